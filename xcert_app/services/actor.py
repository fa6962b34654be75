"""Who is calling a service: the logged-in account with its role and organisation.

Every service that reads or changes data takes an ``Actor`` and checks it here,
so schools, organisations and provinces stay isolated whatever the page
sends.
"""

from dataclasses import dataclass

from xcert_app.models.accounts import Role
from xcert_app.services.errors import AccessDenied

SCHOOL_ROLES = (Role.SCHOOL_HEAD, Role.SCHOOL_ADMIN)
REVIEWER_ROLES = (Role.CITY_REVIEWER, Role.PROVINCE_REVIEWER)


@dataclass(frozen=True)
class Actor:
    """The caller of a service, resolved from a login session on every event."""

    account_id: int
    username: str
    display_name: str
    role: Role
    organisation_id: int | None = None
    province_code: str = ""
    city_code: str = ""
    candidate_id: int | None = None

    @property
    def is_school(self) -> bool:
        return self.role in SCHOOL_ROLES


def require_role(actor: Actor | None, *roles: Role) -> Actor:
    """Return ``actor`` if it has one of ``roles``; raise ``AccessDenied`` otherwise."""
    if actor is None:
        raise AccessDenied("请先登录")
    if actor.role not in roles:
        raise AccessDenied()
    return actor


def require_school(actor: Actor | None) -> int:
    """Return the caller's school id; only school accounts pass."""
    actor = require_role(actor, *SCHOOL_ROLES)
    assert actor.organisation_id is not None
    return actor.organisation_id


def require_org(actor: Actor | None) -> int:
    """Return the caller's assessment organisation id; only organisation accounts pass."""
    actor = require_role(actor, Role.ORG_ADMIN)
    assert actor.organisation_id is not None
    return actor.organisation_id


def require_same_org(actor: Actor, organisation_id: int | None) -> None:
    """Raise ``AccessDenied`` unless the record belongs to the caller's organisation."""
    if organisation_id is None or actor.organisation_id != organisation_id:
        raise AccessDenied()
