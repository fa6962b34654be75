"""Filters that a link, such as a to-do item on the home page, puts in a page's address.

A page reads them once, when it opens: a value it does not know leaves that
filter in its default state, so a stale or foreign link opens the default view.
"""

import reflex as rx

from xcert_app.db import session_scope
from xcert_app.services import catalogue


def link_parameters(state: rx.State, *names: str) -> dict[str, str]:
    """Return the non-empty ``names`` among the address's query parameters."""
    query = state.router.url.query_parameters
    return {name: query[name] for name in names if query.get(name)}


def plan_from_link(code: str) -> str:
    """Return the id, as a plan option's value, of the exam plan numbered ``code``.

    An unknown code gives "", which every plan select replaces by its first plan.
    A plan the caller may not see is missing from the options, so it is replaced too.
    """
    if not code:
        return ""
    with session_scope() as session:
        plan_id = catalogue.plan_id_for_code(session, code=code)
    return str(plan_id) if plan_id else ""


def pick(value: str, allowed, default: str) -> str:
    """Return ``value`` when it is one of ``allowed``, otherwise ``default``."""
    return value if value in allowed else default
