"""An organisation's own people: the accounts its head manages, and the staff roster.

A school's principal account manages the school's business-admin accounts; an
assessment organisation's and an education department's accounts manage further
accounts of their own role in their own organisation.
"""

from sqlmodel import Session, select

from xcert_app.models.accounts import Account, Role, StaffMember
from xcert_app.services import accounts, audit
from xcert_app.services.actor import Actor, require_role
from xcert_app.services.errors import NotFound, ServiceError, ValidationError
from xcert_app.services.identity import is_valid_mobile

# The role of the accounts each managing role may create.
MANAGED_ROLE = {
    Role.SCHOOL_HEAD: Role.SCHOOL_ADMIN,
    Role.ORG_ADMIN: Role.ORG_ADMIN,
    Role.PROVINCE_REVIEWER: Role.PROVINCE_REVIEWER,
    Role.CITY_REVIEWER: Role.CITY_REVIEWER,
}
ROSTER_ROLES = (Role.SCHOOL_HEAD, Role.SCHOOL_ADMIN)


def _managed_account(session: Session, actor: Actor, account_id: int) -> Account:
    account = session.get(Account, account_id)
    if (
        account is None
        or account.organisation_id != actor.organisation_id
        or account.role != MANAGED_ROLE[actor.role]
        or account.id == actor.account_id
    ):
        raise NotFound("账号不存在或不属于本单位")
    return account


def list_member_accounts(session: Session, *, actor: Actor) -> list[Account]:
    """Return the accounts the caller manages in its organisation, oldest first."""
    require_role(actor, *MANAGED_ROLE)
    query = (
        select(Account)
        .where(
            Account.organisation_id == actor.organisation_id,
            Account.role == MANAGED_ROLE[actor.role],
            Account.id != actor.account_id,
        )
        .order_by(Account.id)
    )
    return list(session.exec(query).all())


def create_member_account(
    session: Session, *, actor: Actor, username: str, display_name: str, mobile: str
) -> tuple[Account, str]:
    """Create an account for a named person; return it with its generated password."""
    require_role(actor, *MANAGED_ROLE)
    errors = {}
    if not display_name.strip():
        errors["display_name"] = "请填写使用人姓名"
    if not is_valid_mobile(mobile.strip()):
        errors["mobile"] = "请填写 11 位手机号码"
    if errors:
        raise ValidationError(errors)
    password = accounts.generate_password()
    account = accounts.create_account(
        session,
        username=username,
        password=password,
        role=MANAGED_ROLE[actor.role],
        organisation_id=actor.organisation_id,
        display_name=display_name.strip(),
        mobile=mobile.strip(),
        must_change_password=True,
    )
    audit.record(
        session,
        actor=actor,
        action="account.create",
        entity="account",
        entity_id=account.id,
        after={
            "username": account.username,
            "name": account.display_name,
            "role": account.role,
        },
    )
    return account, password


def set_member_active(
    session: Session, *, actor: Actor, account_id: int, active: bool
) -> Account:
    """Enable or disable a managed account; disabling ends all its sessions at once."""
    require_role(actor, *MANAGED_ROLE)
    account = _managed_account(session, actor, account_id)
    before = account.is_active
    account.is_active = active
    session.add(account)
    if not active:
        accounts.close_all_sessions(session, account_id=account.id)
    audit.record(
        session,
        actor=actor,
        action="account.enable" if active else "account.disable",
        entity="account",
        entity_id=account.id,
        before={"is_active": before},
        after={"is_active": active},
    )
    return account


def reset_member_password(session: Session, *, actor: Actor, account_id: int) -> str:
    """Give a managed account a new generated password, to be changed at next login."""
    require_role(actor, *MANAGED_ROLE)
    account = _managed_account(session, actor, account_id)
    password = accounts.generate_password()
    account.password_hash = accounts.hash_password(password)
    account.must_change_password = True
    account.failed_logins = 0
    account.locked_until = None
    session.add(account)
    accounts.close_all_sessions(session, account_id=account.id)
    audit.record(
        session,
        actor=actor,
        action="account.reset_password",
        entity="account",
        entity_id=account.id,
    )
    return password


def list_staff(
    session: Session, *, actor: Actor, include_inactive: bool = False
) -> list[StaffMember]:
    """Return the school's staff roster by name."""
    require_role(actor, *ROSTER_ROLES)
    query = select(StaffMember).where(
        StaffMember.organisation_id == actor.organisation_id
    )
    if not include_inactive:
        query = query.where(StaffMember.is_active)
    return list(session.exec(query.order_by(StaffMember.name)).all())


def _check_staff_fields(name: str, mobile: str) -> dict[str, str]:
    errors = {}
    if not name.strip():
        errors["name"] = "请填写姓名"
    if mobile.strip() and not is_valid_mobile(mobile.strip()):
        errors["mobile"] = f"手机号码 {mobile} 无效，请填写 11 位手机号码"
    return errors


def add_staff(
    session: Session, *, actor: Actor, name: str, mobile: str = "", department: str = ""
) -> StaffMember:
    """Add a person to the school's roster."""
    require_role(actor, *ROSTER_ROLES)
    errors = _check_staff_fields(name, mobile)
    if errors:
        raise ValidationError(errors)
    member = StaffMember(
        organisation_id=actor.organisation_id,
        name=name.strip(),
        mobile=mobile.strip(),
        department=department.strip(),
    )
    session.add(member)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="staff.add",
        entity="staff",
        entity_id=member.id,
        after={"name": member.name},
    )
    return member


def set_staff_active(
    session: Session, *, actor: Actor, staff_id: int, active: bool
) -> StaffMember:
    """Keep or take a person off the roster; history keeps the row."""
    require_role(actor, *ROSTER_ROLES)
    member = session.get(StaffMember, staff_id)
    if member is None or member.organisation_id != actor.organisation_id:
        raise NotFound("人员不存在或不属于本校")
    member.is_active = active
    session.add(member)
    audit.record(
        session,
        actor=actor,
        action="staff.enable" if active else "staff.disable",
        entity="staff",
        entity_id=member.id,
        after={"is_active": active},
    )
    return member


def import_staff_rows(
    session: Session, *, actor: Actor, rows: list[dict[str, str]]
) -> dict[str, int]:
    """Add roster rows (姓名, 手机号码, 部门) in one go; any invalid row rejects the whole file.

    A row's ``_row`` names its sheet row in messages (by default its place under a
    header row). A person with the same name and mobile already on the roster is
    counted as unchanged.
    """
    require_role(actor, *ROSTER_ROLES)
    problems = []
    for number, row in enumerate(rows, start=2):
        sheet_row = row.get("_row") or number
        for message in _check_staff_fields(
            row.get("姓名", ""), row.get("手机号码", "")
        ).values():
            problems.append(f"第 {sheet_row} 行：{message}")
    if problems:
        raise ServiceError("人员名册有误，未导入任何人员：" + "；".join(problems[:20]))
    existing = {
        (member.name, member.mobile)
        for member in list_staff(session, actor=actor, include_inactive=True)
    }
    added = unchanged = 0
    for row in rows:
        key = (row.get("姓名", "").strip(), row.get("手机号码", "").strip())
        if key in existing:
            unchanged += 1
            continue
        existing.add(key)
        add_staff(
            session,
            actor=actor,
            name=key[0],
            mobile=key[1],
            department=row.get("部门", ""),
        )
        added += 1
    return {"added": added, "unchanged": unchanged}
