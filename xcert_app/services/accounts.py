"""Accounts: passwords (Argon2), login with lockout, sessions, and account management."""

import hashlib
import logging
import re
import secrets
import string
from datetime import timedelta

from pwdlib import PasswordHash
from sqlmodel import Session, select

from xcert_app.clock import clock
from xcert_app.models.accounts import Account, AuthSession, Role
from xcert_app.models.orgs import Organisation
from xcert_app.services import audit
from xcert_app.services.actor import Actor, require_role
from xcert_app.services.errors import AccessDenied, ServiceError, ValidationError
from xcert_app.settings import settings

logger = logging.getLogger(__name__)

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
_hasher = PasswordHash.recommended()
# Verifying against this hash when the user does not exist keeps the timing the same.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def username_problem(session: Session, username: str) -> str:
    """Return why ``username`` cannot be a new account's name, or "" if it can."""
    if not username.strip():
        return "请填写账号"
    existing_id = session.exec(
        select(Account.id).where(Account.username == username.strip())
    ).first()
    if existing_id is not None:
        return f"账号 {username.strip()} 已存在，请换一个"
    return ""


def hash_password(password: str) -> str:
    """Return the Argon2 hash of ``password``."""
    return _hasher.hash(password)


def check_password_rules(password: str) -> None:
    """Raise ``ValidationError`` unless the password is 8–64 characters with letters and digits."""
    if not 8 <= len(password) <= 64:
        raise ValidationError({"password": "密码长度须为 8 到 64 位"})
    if not re.search(r"[A-Za-z]", password) or not re.search(r"\d", password):
        raise ValidationError({"password": "密码须同时包含字母和数字"})


def generate_password() -> str:
    """Return a random 10-character password that passes the rules."""
    alphabet = string.ascii_letters + string.digits
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(10))
        if re.search(r"[A-Za-z]", password) and re.search(r"\d", password):
            return password


def create_account(
    session: Session,
    *,
    username: str,
    password: str,
    role: Role,
    organisation_id: int | None,
    display_name: str = "",
    mobile: str = "",
    must_change_password: bool = False,
    candidate_id: int | None = None,
    password_hash: str | None = None,
) -> Account:
    """Add an account; the username must be unused.

    ``password_hash`` may carry a hash of ``password`` made earlier, so that
    many accounts sharing one password (demo data, tests) are hashed once.
    """
    username = username.strip()
    problem = username_problem(session, username)
    if problem:
        raise ValidationError({"username": problem})
    account = Account(
        username=username,
        display_name=display_name or username,
        role=role,
        organisation_id=organisation_id,
        candidate_id=candidate_id,
        mobile=mobile,
        password_hash=password_hash or hash_password(password),
        must_change_password=must_change_password,
        password_changed_at=clock.now(),
    )
    session.add(account)
    session.flush()
    return account


def authenticate(session: Session, *, username: str, password: str) -> Account:
    """Return the account for a correct username and password.

    Five wrong passwords in a row lock the account for 15 minutes.
    """
    now = clock.now()
    account = session.exec(
        select(Account).where(Account.username == username.strip())
    ).first()
    if account is None:
        _hasher.verify(password, _DUMMY_HASH)
        raise ServiceError("账号或密码错误")
    if account.locked_until and account.locked_until > now:
        minutes = int((account.locked_until - now).total_seconds() // 60) + 1
        raise ServiceError(f"密码错误次数过多，账号已锁定，请 {minutes} 分钟后再试")
    if not _hasher.verify(password, account.password_hash):
        account.failed_logins += 1
        if account.failed_logins >= MAX_FAILED_LOGINS:
            account.locked_until = now + LOCKOUT
            account.failed_logins = 0
            logger.warning(
                "account %s locked after %d failed logins",
                account.id,
                MAX_FAILED_LOGINS,
            )
            session.add(account)
            raise ServiceError("密码错误次数过多，账号已锁定 15 分钟")
        session.add(account)
        left = MAX_FAILED_LOGINS - account.failed_logins
        raise ServiceError(f"账号或密码错误，再错 {left} 次账号将被锁定 15 分钟")
    if not account.is_active:
        raise ServiceError("账号已停用，请联系管理员")
    account.failed_logins = 0
    account.locked_until = None
    account.last_login_at = now
    session.add(account)
    return account


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(session: Session, *, account: Account) -> str:
    """Create a login session and return the token the browser keeps."""
    token = secrets.token_urlsafe(32)
    session.add(
        AuthSession(
            token_hash=_token_hash(token),
            account_id=account.id,
            expires_at=clock.now() + timedelta(hours=settings.session_hours),
        )
    )
    return token


def actor_for_token(session: Session, token: str) -> Actor | None:
    """Resolve a browser token to the caller, or None if it is unknown, expired or revoked."""
    if not token:
        return None
    row = session.exec(
        select(AuthSession, Account)
        .join(Account, Account.id == AuthSession.account_id)
        .where(AuthSession.token_hash == _token_hash(token))
    ).first()
    if row is None:
        return None
    auth_session, account = row
    if auth_session.revoked_at is not None or auth_session.expires_at <= clock.now():
        return None
    if not account.is_active:
        return None
    return actor_for_account(session, account)


def actor_for_account(session: Session, account: Account) -> Actor:
    """Build the ``Actor`` of an account, with its organisation's province and city."""
    province_code = city_code = ""
    if account.organisation_id is not None:
        organisation = session.get(Organisation, account.organisation_id)
        if organisation is not None:
            province_code = organisation.province_code
            city_code = organisation.city_code
    return Actor(
        account_id=account.id,
        username=account.username,
        display_name=account.display_name,
        role=Role(account.role),
        organisation_id=account.organisation_id,
        province_code=province_code,
        city_code=city_code,
        candidate_id=account.candidate_id,
    )


def close_session(session: Session, token: str) -> None:
    """Revoke one login session (logout)."""
    auth_session = session.exec(
        select(AuthSession).where(AuthSession.token_hash == _token_hash(token))
    ).first()
    if auth_session and auth_session.revoked_at is None:
        auth_session.revoked_at = clock.now()
        session.add(auth_session)


def close_all_sessions(session: Session, *, account_id: int) -> int:
    """Revoke every login session of an account (logout everywhere); return how many."""
    now = clock.now()
    open_sessions = session.exec(
        select(AuthSession).where(
            AuthSession.account_id == account_id, AuthSession.revoked_at.is_(None)
        )
    ).all()
    for auth_session in open_sessions:
        auth_session.revoked_at = now
        session.add(auth_session)
    return len(open_sessions)


def must_change_password(session: Session, actor: Actor) -> bool:
    """Tell whether the caller still has to replace a generated password."""
    account = session.get(Account, actor.account_id)
    return bool(account and account.must_change_password)


def change_password(
    session: Session,
    *,
    actor: Actor,
    old_password: str,
    new_password: str,
    repeat_password: str | None = None,
) -> None:
    """Replace the caller's password after checking the old one and the rules.

    ``repeat_password``, when given, must equal ``new_password``. Every field's
    error is raised at once.
    """
    account = session.get(Account, actor.account_id)
    if account is None:
        raise AccessDenied("请先登录")
    errors: dict[str, str] = {}
    if not _hasher.verify(old_password, account.password_hash):
        errors["old_password"] = "原密码不正确"
    try:
        check_password_rules(new_password)
    except ValidationError as error:
        errors.update(error.errors)
    if "password" not in errors and new_password == old_password:
        errors["password"] = "新密码不能与原密码相同"
    if repeat_password is not None and repeat_password != new_password:
        errors["repeat_password"] = "两次输入的新密码不一致"
    if errors:
        raise ValidationError(errors)
    account.password_hash = hash_password(new_password)
    account.must_change_password = False
    account.password_changed_at = clock.now()
    session.add(account)
    audit.record(
        session,
        actor=actor,
        action="password.change",
        entity="account",
        entity_id=account.id,
    )


def list_accounts(
    session: Session,
    *,
    actor: Actor,
    search: str = "",
    limit: int = 50,
    offset: int = 0,
) -> list[Account]:
    """List accounts for the platform operator, newest first."""
    require_role(actor, Role.PLATFORM_ADMIN)
    query = select(Account).order_by(Account.id.desc()).limit(limit).offset(offset)
    if search:
        pattern = f"%{search.strip()}%"
        query = query.where(
            Account.username.like(pattern) | Account.display_name.like(pattern)
        )
    return list(session.exec(query).all())


def operator_create_account(
    session: Session,
    *,
    actor: Actor,
    username: str,
    role: Role,
    organisation_id: int | None,
    display_name: str,
    mobile: str = "",
) -> tuple[Account, str]:
    """Create an account as the platform operator; return it with its generated password."""
    require_role(actor, Role.PLATFORM_ADMIN)
    errors: dict[str, str] = {}
    if role not in (Role.PLATFORM_ADMIN, Role.CANDIDATE) and organisation_id is None:
        errors["organisation_id"] = "请选择账号所属机构"
    elif (
        organisation_id is not None
        and session.get(Organisation, organisation_id) is None
    ):
        errors["organisation_id"] = "所选机构不存在"
    problem = username_problem(session, username)
    if problem:
        errors["username"] = problem
    if errors:
        raise ValidationError(errors)
    password = generate_password()
    account = create_account(
        session,
        username=username,
        password=password,
        role=role,
        organisation_id=organisation_id,
        display_name=display_name,
        mobile=mobile,
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
            "role": role,
            "organisation_id": organisation_id,
        },
    )
    return account, password
