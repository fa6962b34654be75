"""The login session shared by every page: who is signed in and what they may open.

Every event resolves the caller again from the session token, so a disabled
account or a revoked session is refused at its next event.
"""

import functools
import inspect
import json
import logging
from collections.abc import Callable

import reflex as rx
from reflex.config import get_config
from sqlmodel import Session

from xcert_app import routes
from xcert_app.db import session_scope
from xcert_app.models.accounts import ROLE_LABELS, Role
from xcert_app.models.orgs import Organisation
from xcert_app.services import accounts, downloads, notifications
from xcert_app.services.actor import Actor
from xcert_app.services.errors import (
    LOGIN_EXPIRED_MESSAGE,
    AlreadyDone,
    LoginExpired,
    ServiceError,
)
from xcert_app.settings import settings

logger = logging.getLogger(__name__)


def nav_items_for(role: str) -> list[dict[str, str]]:
    """Return the navigation entries the role may use, in menu order."""
    from xcert_app.components.page import REGISTRY

    entries = [entry for entry in REGISTRY if entry.nav_label and role in entry.roles]
    entries.sort(key=lambda entry: entry.order)
    return [
        {"label": entry.nav_label, "route": entry.route, "group": entry.nav_group}
        for entry in entries
    ]


class SessionState(rx.State):
    """The signed-in account as the browser sees it; the token lives in a cookie."""

    # The server decides when a login ends. The cookie is kept a week longer,
    # so a page can tell an ended login from a first visit.
    auth_token: str = rx.Cookie(
        "",
        name="xcert_token",
        same_site="strict",
        max_age=(settings.session_hours + 7 * 24) * 3600,
    )
    display_name: str = ""
    username: str = ""
    role: str = ""
    role_label: str = ""
    organisation_name: str = ""
    nav_items: list[dict[str, str]] = []
    access: str = "checking"
    unread_notifications: int = 0

    def current_actor(self, session: Session) -> Actor | None:
        """Resolve the caller from the session token, or None."""
        return accounts.actor_for_token(session, self.auth_token)

    def require_actor(self, session: Session) -> Actor:
        """Resolve the caller or raise ``LoginExpired``."""
        actor = self.current_actor(session)
        if actor is None:
            raise LoginExpired()
        return actor

    def _remember(self, session: Session, actor: Actor) -> None:
        self.display_name = actor.display_name
        self.username = actor.username
        self.role = actor.role.value
        self.role_label = ROLE_LABELS[actor.role]
        organisation = (
            session.get(Organisation, actor.organisation_id)
            if actor.organisation_id
            else None
        )
        self.organisation_name = organisation.name if organisation else ""
        self.nav_items = nav_items_for(actor.role.value)
        self.unread_notifications = notifications.unread_count(session, actor=actor)

    @rx.event
    def guard(self, allowed_roles: str):
        """Check the caller on page load: log in first, then the role must be allowed."""
        url = self.router.url
        path = url.path
        with session_scope() as session:
            actor = self.current_actor(session)
            if actor is None:
                # A token that no longer resolves belongs to an expired, revoked
                # or disabled login, which the login page then reports.
                expired = bool(self.auth_token)
                self.auth_token = ""
                self.access = "checking"
                return login_redirect(
                    self,
                    student=allowed_roles == Role.CANDIDATE.value,
                    expired=expired,
                )
            self._remember(session, actor)
            if (
                accounts.must_change_password(session, actor)
                and path != routes.CHANGE_PASSWORD
            ):
                return rx.redirect(routes.CHANGE_PASSWORD)
        roles = [role for role in allowed_roles.split(",") if role]
        self.access = "ok" if not roles or actor.role.value in roles else "denied"
        if self.access == "denied":
            logger.warning(
                "account %s (%s) refused page %s", actor.account_id, actor.role, path
            )

    @rx.event
    def logout(self):
        """End this login session and return to the login page."""
        if self.auth_token:
            with session_scope() as session:
                accounts.close_session(session, self.auth_token)
        self.auth_token = ""
        self.reset()
        return rx.redirect(routes.LOGIN)

    @rx.event
    def logout_everywhere(self):
        """End every login session of this account, on every device."""
        with session_scope() as session:
            actor = self.current_actor(session)
            if actor is not None:
                accounts.close_all_sessions(session, account_id=actor.account_id)
        self.auth_token = ""
        self.reset()
        return rx.redirect(routes.LOGIN)


def service_error_toast(error: ServiceError) -> rx.event.EventSpec:
    """Return the toast for ``error``: information for ``AlreadyDone``, else an error."""
    if isinstance(error, AlreadyDone):
        return rx.toast.info(error.message)
    return rx.toast.error(error.message)


def login_redirect(
    state: rx.State, *, student: bool, expired: bool
) -> rx.event.EventSpec:
    """Send the browser to the login page, which returns to the current page afterwards.

    Students go to their own login page, which always opens the personal space.
    """
    if student:
        return rx.redirect(routes.student_login(expired=expired))
    url = state.router.url
    back = f"{url.path}?{url.query}" if url.query else url.path
    return rx.redirect(routes.login_with_next(back, expired=expired))


def service_error_event(state: SessionState, error: ServiceError) -> rx.event.EventSpec:
    """Return the event that reports ``error``, raised by one of the page's events.

    An ended login redirects to the login page, as the page-load check does.
    Any other error becomes a toast. ``state`` may be a background task's proxy,
    because this function only reads the state.
    """
    if isinstance(error, LoginExpired):
        return login_redirect(
            state, student=state.role == Role.CANDIDATE.value, expired=True
        )
    return service_error_toast(error)


def shows_service_errors(handler: Callable) -> Callable:
    """Turn a ``ServiceError`` raised by an event handler into ``service_error_event``.

    Any other exception propagates, so a bug is never shown as a rule message.
    """
    if inspect.iscoroutinefunction(handler):

        @functools.wraps(handler)
        async def async_wrapper(self, *args, **kwargs):
            try:
                return await handler(self, *args, **kwargs)
            except ServiceError as error:
                return service_error_event(self, error)

        return async_wrapper

    @functools.wraps(handler)
    def wrapper(self, *args, **kwargs):
        try:
            return handler(self, *args, **kwargs)
        except ServiceError as error:
            return service_error_event(self, error)

    return wrapper


def login_expired_notice(state: rx.State) -> str:
    """Return the notice for a login page opened because the last login ended, or ""."""
    query = state.router.url.query_parameters
    return LOGIN_EXPIRED_MESSAGE if query.get(routes.EXPIRED_PARAMETER) else ""


ALL_SIGNED_IN = ",".join(role.value for role in Role)


def download_kept_file(file_id: int) -> rx.event.EventSpec:
    """Make the browser fetch a file kept by ``downloads.keep`` from the backend.

    The response is an attachment, so the browser saves it and stays on the page.
    """
    base = get_config().api_url.rstrip("/")
    url = base + downloads.signed_path(file_id)
    return rx.call_script(f"window.location.assign({json.dumps(url)})")
