from datetime import timedelta

import pytest

from tests.factories import PASSWORD, make_account, make_actor, make_organisation
from xcert_app.models.accounts import Role
from xcert_app.services import accounts
from xcert_app.services.errors import AccessDenied, ServiceError, ValidationError


def test_login_with_right_password_opens_session(session):
    account = make_account(
        session, role=Role.SCHOOL_ADMIN, organisation=make_organisation(session)
    )
    found = accounts.authenticate(session, username=account.username, password=PASSWORD)
    token = accounts.open_session(session, account=found)
    actor = accounts.actor_for_token(session, token)
    assert actor is not None
    assert actor.account_id == account.id
    assert actor.role == Role.SCHOOL_ADMIN


def test_five_wrong_passwords_lock_for_fifteen_minutes(session, frozen_clock):
    account = make_account(
        session, role=Role.ORG_ADMIN, organisation=make_organisation(session)
    )
    for _ in range(4):
        with pytest.raises(ServiceError, match="再错"):
            accounts.authenticate(
                session, username=account.username, password="wrong1234"
            )
    with pytest.raises(ServiceError, match="锁定"):
        accounts.authenticate(session, username=account.username, password="wrong1234")
    with pytest.raises(ServiceError, match="锁定"):
        accounts.authenticate(session, username=account.username, password=PASSWORD)
    frozen_clock.shift(timedelta(minutes=15, seconds=1))
    assert (
        accounts.authenticate(session, username=account.username, password=PASSWORD).id
        == account.id
    )


def test_unknown_user_gets_same_message_as_wrong_password(session):
    with pytest.raises(ServiceError, match="^账号或密码错误$"):
        accounts.authenticate(session, username="nobody", password="whatever1")


def test_disabled_account_session_resolves_to_nobody(session):
    account = make_account(
        session, role=Role.SCHOOL_ADMIN, organisation=make_organisation(session)
    )
    token = accounts.open_session(session, account=account)
    account.is_active = False
    session.add(account)
    assert accounts.actor_for_token(session, token) is None


def test_expired_and_revoked_sessions_are_refused(session, frozen_clock):
    account = make_account(
        session, role=Role.SCHOOL_ADMIN, organisation=make_organisation(session)
    )
    token = accounts.open_session(session, account=account)
    other = accounts.open_session(session, account=account)
    accounts.close_session(session, token)
    assert accounts.actor_for_token(session, token) is None
    assert accounts.actor_for_token(session, other) is not None
    frozen_clock.shift(timedelta(hours=13))
    assert accounts.actor_for_token(session, other) is None


def test_logout_everywhere_revokes_every_session(session):
    account = make_account(
        session, role=Role.SCHOOL_ADMIN, organisation=make_organisation(session)
    )
    tokens = [accounts.open_session(session, account=account) for _ in range(3)]
    session.flush()
    assert accounts.close_all_sessions(session, account_id=account.id) == 3
    assert all(accounts.actor_for_token(session, token) is None for token in tokens)


@pytest.mark.parametrize("password", ["short1", "onlyletters", "1234567890"])
def test_weak_passwords_are_rejected(password):
    with pytest.raises(ValidationError):
        accounts.check_password_rules(password)


def test_change_password_clears_forced_change(session):
    account = make_account(
        session,
        role=Role.SCHOOL_HEAD,
        organisation=make_organisation(session),
        must_change_password=True,
    )
    actor = accounts.actor_for_account(session, account)
    assert accounts.must_change_password(session, actor)
    with pytest.raises(ValidationError):
        accounts.change_password(
            session, actor=actor, old_password="wrong", new_password="NewPass2026"
        )
    accounts.change_password(
        session, actor=actor, old_password=PASSWORD, new_password="NewPass2026"
    )
    assert not accounts.must_change_password(session, actor)
    assert accounts.authenticate(
        session, username=account.username, password="NewPass2026"
    )


def test_only_operator_lists_and_creates_accounts(session):
    school = make_organisation(session)
    school_actor = make_actor(session, role=Role.SCHOOL_HEAD, organisation=school)
    with pytest.raises(AccessDenied):
        accounts.list_accounts(session, actor=school_actor)
    with pytest.raises(AccessDenied):
        accounts.operator_create_account(
            session,
            actor=school_actor,
            username="x1",
            role=Role.SCHOOL_ADMIN,
            organisation_id=school.id,
            display_name="x",
        )
    operator = make_actor(session, role=Role.PLATFORM_ADMIN)
    account, password = accounts.operator_create_account(
        session,
        actor=operator,
        username="new_admin",
        role=Role.SCHOOL_ADMIN,
        organisation_id=school.id,
        display_name="新管理员",
    )
    assert account.must_change_password
    assert (
        accounts.authenticate(session, username="new_admin", password=password).id
        == account.id
    )


def test_password_change_reports_every_field(session):
    account = make_account(
        session, role=Role.SCHOOL_HEAD, organisation=make_organisation(session)
    )
    actor = accounts.actor_for_account(session, account)
    with pytest.raises(ValidationError) as caught:
        accounts.change_password(
            session,
            actor=actor,
            old_password="wrong",
            new_password="short",
            repeat_password="shorter",
        )
    assert caught.value.errors == {
        "old_password": "原密码不正确",
        "password": "密码长度须为 8 到 64 位",
        "repeat_password": "两次输入的新密码不一致",
    }


def test_operator_account_form_reports_every_field(session):
    make_account(session, role=Role.PLATFORM_ADMIN, username="taken")
    operator = make_actor(session, role=Role.PLATFORM_ADMIN)
    with pytest.raises(ValidationError) as caught:
        accounts.operator_create_account(
            session,
            actor=operator,
            username="taken",
            role=Role.SCHOOL_ADMIN,
            organisation_id=None,
            display_name="x",
        )
    assert caught.value.errors == {
        "organisation_id": "请选择账号所属机构",
        "username": "账号 taken 已存在，请换一个",
    }
