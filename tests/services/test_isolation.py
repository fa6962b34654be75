"""The isolation matrix: every service function that takes an ``actor`` is called by
outsiders (another school, another organisation, another province, a candidate) on
data that is not theirs, and must refuse or show nothing of it.

A new service function fails ``test_every_actor_function_is_in_the_matrix`` until a
case for it is added to ``MATRIX`` (or, with a reason, to ``NOT_SCOPED``).
"""

import importlib
import inspect
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass

import pytest

import xcert_app.services as services_package
from tests.isolation_world import World, build_world
from xcert_app.services import accounts, audit, dashboard, notifications, people, todo
from xcert_app.services.errors import AccessDenied, NotFound


@dataclass(frozen=True)
class Case:
    """How to call one function on the owners' data, and what would be a leak.

    ``call(session, world, actor)`` performs the call. An outsider is refused when the
    call raises ``AccessDenied`` or ``NotFound``, or when ``leaks(result, world)`` is
    false for what it returned (a list without the owners' rows, say). ``owner`` names
    the world's actor for whom the same call must succeed, so a case cannot pass by
    being refused to everybody.
    """

    call: Callable
    leaks: Callable = lambda _result, _world: True
    owner: str = "school_head"


def refused(case: Case, session, world: World, actor) -> bool:
    try:
        result = case.call(session, world, actor)
    except (AccessDenied, NotFound):
        return True
    return not case.leaks(result, world)


def owned_rows(result, world: World) -> bool:
    """Tell whether a list holds a row of the owning school or organisation."""
    owners = {world.school.id, world.org.id, world.province.id}
    return any(getattr(row, "organisation_id", None) in owners for row in result)


def non_empty(result, _world: World) -> bool:
    return bool(result)


OWNED_TODO_KEYS = {"candidates_confirm", "review", "site_review"}


def owned_todo(result, _world: World) -> bool:
    """Tell whether a to-do list shows the owners' pending work."""
    return any(item.key in OWNED_TODO_KEYS for item in result)


def member_of_school(session, world: World) -> int:
    account, _password = people.create_member_account(
        session,
        actor=world.school_head,
        username="member_x",
        display_name="王",
        mobile="13800138000",
    )
    return account.id


def staff_of_school(session, world: World) -> int:
    return people.add_staff(session, actor=world.school_head, name="张监考").id


MATRIX: dict[str, Case] = {
    "accounts.list_accounts": Case(
        lambda s, w, a: accounts.list_accounts(s, actor=a), owner="operator"
    ),
    "accounts.operator_create_account": Case(
        lambda s, w, a: accounts.operator_create_account(
            s,
            actor=a,
            username="x_new",
            role="school_admin",
            organisation_id=w.school.id,
            display_name="x",
        ),
        owner="operator",
    ),
    "audit.search": Case(lambda s, w, a: audit.search(s, actor=a), owner="operator"),
    "people.list_member_accounts": Case(
        lambda s, w, a: people.list_member_accounts(s, actor=a), owned_rows
    ),
    "people.create_member_account": Case(
        lambda s, w, a: [
            people.create_member_account(
                s,
                actor=a,
                username=f"m{a.account_id}",
                display_name="x",
                mobile="13800138000",
            )[0]
        ],
        owned_rows,
    ),
    "people.set_member_active": Case(
        lambda s, w, a: people.set_member_active(
            s, actor=a, account_id=member_of_school(s, w), active=False
        )
    ),
    "people.reset_member_password": Case(
        lambda s, w, a: people.reset_member_password(
            s, actor=a, account_id=member_of_school(s, w)
        )
    ),
    "people.list_staff": Case(
        lambda s, w, a: people.list_staff(s, actor=a), owned_rows
    ),
    "people.add_staff": Case(
        lambda s, w, a: [people.add_staff(s, actor=a, name="x")], owned_rows
    ),
    "people.set_staff_active": Case(
        lambda s, w, a: people.set_staff_active(
            s, actor=a, staff_id=staff_of_school(s, w), active=False
        )
    ),
    "people.import_staff_rows": Case(
        lambda s, w, a: (
            people.import_staff_rows(s, actor=a, rows=[{"姓名": "x"}])
            and people.list_staff(s, actor=a)
        ),
        owned_rows,
    ),
    "todo.school_items": Case(
        lambda s, w, a: todo.school_items(s, actor=a), owned_todo
    ),
    "todo.reviewer_items": Case(
        lambda s, w, a: todo.reviewer_items(s, actor=a),
        non_empty,
        owner="province_reviewer",
    ),
    "todo.org_items": Case(
        lambda s, w, a: todo.org_items(s, actor=a), owned_todo, owner="org_admin"
    ),
    "todo.items_for": Case(lambda s, w, a: todo.items_for(s, actor=a), owned_todo),
    "dashboard.plans_involving": Case(
        lambda s, w, a: dashboard.plans_involving(s, actor=a), non_empty
    ),
    "dashboard.school_numbers": Case(
        lambda s, w, a: dashboard.school_numbers(s, actor=a), non_empty
    ),
    "dashboard.province_numbers": Case(
        lambda s, w, a: dashboard.province_numbers(s, actor=a),
        non_empty,
        owner="province_reviewer",
    ),
    "dashboard.org_numbers": Case(
        lambda s, w, a: dashboard.org_numbers(s, actor=a),
        non_empty,
        owner="org_admin",
    ),
    "notifications.list_for": Case(
        lambda s, w, a: notifications.list_for(s, actor=a), non_empty
    ),
    "notifications.unread_count": Case(
        lambda s, w, a: notifications.unread_count(s, actor=a), non_empty
    ),
    "notifications.mark_read": Case(
        lambda s, w, a: notifications.mark_read(
            s, actor=a, notification_id=w.notification_id
        )
    ),
    "notifications.sms_for": Case(
        lambda s, w, a: notifications.sms_for(s, actor=a), non_empty
    ),
}

# Functions that take an actor but touch no other organisation's data, with the reason.
NOT_SCOPED: dict[str, str] = {
    "accounts.change_password": "acts only on the caller's own account",
    "accounts.must_change_password": "reads only the caller's own account",
    "audit.record": "writes the caller's own entry; called by services, not pages",
    "actor.require_role": "the check itself",
    "actor.require_school": "the check itself",
    "actor.require_org": "the check itself",
    "actor.require_same_org": "the check itself",
}


def actor_functions() -> list[str]:
    """Return ``module.function`` for every public service function with an ``actor`` parameter."""
    found = []
    for module_info in pkgutil.iter_modules(services_package.__path__):
        module = importlib.import_module(
            f"{services_package.__name__}.{module_info.name}"
        )
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("_") or function.__module__ != module.__name__:
                continue
            if "actor" in inspect.signature(function).parameters:
                found.append(f"{module_info.name}.{name}")
    return sorted(found)


def test_every_actor_function_is_in_the_matrix():
    missing = [
        name
        for name in actor_functions()
        if name not in MATRIX and name not in NOT_SCOPED
    ]
    assert missing == [], f"add these to the isolation matrix: {missing}"


@pytest.fixture
def world(session):
    return build_world(session)


OUTSIDERS = [
    "other_school_head",
    "other_school_admin",
    "far_school_head",
    "other_org",
    "other_province",
    "candidate",
]


@pytest.mark.parametrize("function_name", sorted(MATRIX))
def test_outsiders_are_refused_and_owner_is_not(session, world, function_name):
    case = MATRIX[function_name]
    let_through = []
    for outsider in OUTSIDERS:
        savepoint = session.begin_nested()
        try:
            if not refused(case, session, world, world.outsiders[outsider]):
                let_through.append(outsider)
        finally:
            if savepoint.is_active:
                savepoint.rollback()
    assert let_through == []
    assert not refused(case, session, world, getattr(world, case.owner))
