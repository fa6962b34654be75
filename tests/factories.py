"""Small builders for test rows; each returns the flushed row."""

from itertools import count

from sqlmodel import Session

from xcert_app.models.accounts import Account, Role
from xcert_app.models.orgs import Organisation, OrgKind
from xcert_app.services import accounts
from xcert_app.services.actor import Actor

PASSWORD = "Test2026pass"
_sequence = count(1)
_password_hash = None


def _shared_hash() -> str:
    global _password_hash
    if _password_hash is None:
        _password_hash = accounts.hash_password(PASSWORD)
    return _password_hash


def make_organisation(
    session: Session,
    *,
    kind: OrgKind = OrgKind.SCHOOL,
    name: str | None = None,
    **fields,
) -> Organisation:
    number = next(_sequence)
    fields.setdefault("province_code", "110000")
    if kind == OrgKind.SCHOOL:
        fields.setdefault("institution_code", f"41110{number:05d}")
        fields.setdefault("city_code", "110100")
    organisation = Organisation(kind=kind, name=name or f"测试机构{number}", **fields)
    session.add(organisation)
    session.flush()
    return organisation


def make_account(
    session: Session,
    *,
    role: Role,
    organisation: Organisation | None = None,
    username: str | None = None,
    **fields,
) -> Account:
    return accounts.create_account(
        session,
        username=username or f"user{next(_sequence)}",
        password=PASSWORD,
        role=role,
        organisation_id=organisation.id if organisation else None,
        password_hash=_shared_hash(),
        **fields,
    )


def actor_of(session: Session, account: Account) -> Actor:
    return accounts.actor_for_account(session, account)


def make_actor(
    session: Session, *, role: Role, organisation: Organisation | None = None
) -> Actor:
    return actor_of(
        session, make_account(session, role=role, organisation=organisation)
    )
