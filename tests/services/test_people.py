import pytest

from tests.factories import make_actor, make_organisation
from xcert_app.models.accounts import Role
from xcert_app.services import accounts, people
from xcert_app.services.errors import (
    AccessDenied,
    NotFound,
    ServiceError,
    ValidationError,
)


@pytest.fixture
def school_head(session):
    return make_actor(
        session, role=Role.SCHOOL_HEAD, organisation=make_organisation(session)
    )


def test_head_creates_admin_who_can_log_in(session, school_head):
    account, password = people.create_member_account(
        session,
        actor=school_head,
        username="teacher_wang",
        display_name="王老师",
        mobile="13800138000",
    )
    assert account.role == Role.SCHOOL_ADMIN
    assert account.organisation_id == school_head.organisation_id
    assert accounts.authenticate(
        session, username="teacher_wang", password=password
    ).must_change_password


def test_member_account_needs_name_and_mobile(session, school_head):
    with pytest.raises(ValidationError) as error:
        people.create_member_account(
            session, actor=school_head, username="x", display_name="", mobile="123"
        )
    assert set(error.value.errors) == {"display_name", "mobile"}


def test_disabling_ends_sessions_at_once(session, school_head):
    account, _password = people.create_member_account(
        session,
        actor=school_head,
        username="to_disable",
        display_name="李老师",
        mobile="13800138001",
    )
    token = accounts.open_session(session, account=account)
    session.flush()
    people.set_member_active(
        session, actor=school_head, account_id=account.id, active=False
    )
    assert accounts.actor_for_token(session, token) is None
    with pytest.raises(ServiceError, match="停用"):
        accounts.authenticate(session, username="to_disable", password=_password)


def test_head_cannot_touch_other_schools_accounts(session, school_head):
    other_head = make_actor(
        session, role=Role.SCHOOL_HEAD, organisation=make_organisation(session)
    )
    account, _password = people.create_member_account(
        session,
        actor=other_head,
        username="other_admin",
        display_name="赵老师",
        mobile="13800138002",
    )
    with pytest.raises(NotFound):
        people.set_member_active(
            session, actor=school_head, account_id=account.id, active=False
        )
    with pytest.raises(NotFound):
        people.reset_member_password(session, actor=school_head, account_id=account.id)
    assert [
        a.username for a in people.list_member_accounts(session, actor=school_head)
    ] == []


def test_school_admin_cannot_manage_accounts(session):
    admin = make_actor(
        session, role=Role.SCHOOL_ADMIN, organisation=make_organisation(session)
    )
    with pytest.raises(AccessDenied):
        people.create_member_account(
            session, actor=admin, username="x", display_name="x", mobile="13800138000"
        )


def test_org_admin_creates_org_accounts(session):
    org_actor = make_actor(
        session,
        role=Role.ORG_ADMIN,
        organisation=make_organisation(session, kind="assessment_org"),
    )
    account, _password = people.create_member_account(
        session,
        actor=org_actor,
        username="org_staff",
        display_name="考务员",
        mobile="13800138003",
    )
    assert account.role == Role.ORG_ADMIN


def test_reset_password_forces_change_and_unlocks(session, school_head):
    account, _password = people.create_member_account(
        session,
        actor=school_head,
        username="forgot",
        display_name="钱老师",
        mobile="13800138004",
    )
    new_password = people.reset_member_password(
        session, actor=school_head, account_id=account.id
    )
    assert new_password != _password
    assert accounts.authenticate(
        session, username="forgot", password=new_password
    ).must_change_password


def test_roster_is_per_school_and_import_is_all_or_nothing(session, school_head):
    people.add_staff(
        session,
        actor=school_head,
        name="张监考",
        mobile="13900139000",
        department="教务处",
    )
    other_head = make_actor(
        session, role=Role.SCHOOL_HEAD, organisation=make_organisation(session)
    )
    assert people.list_staff(session, actor=other_head) == []
    with pytest.raises(ServiceError, match="第 3 行"):
        people.import_staff_rows(
            session,
            actor=school_head,
            rows=[
                {"姓名": "甲", "手机号码": "13900139001"},
                {"姓名": "乙", "手机号码": "12345"},
            ],
        )
    assert [m.name for m in people.list_staff(session, actor=school_head)] == ["张监考"]
    counts = people.import_staff_rows(
        session,
        actor=school_head,
        rows=[
            {"姓名": "张监考", "手机号码": "13900139000"},
            {"姓名": "刘巡考", "手机号码": "13900139002", "部门": "信息中心"},
        ],
    )
    assert counts == {"added": 1, "unchanged": 1}


def test_roster_file_rows_keep_their_sheet_numbers(session, school_head):
    from io import BytesIO

    from openpyxl import Workbook

    from xcert_app.spreadsheets import staff

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["2026 年监考人员名册"])
    sheet.append(["姓名", "手机号码", "部门"])
    sheet.append(["张监考", 13900139000, "教务处"])
    sheet.append(["李巡考", "1390013", "信息中心"])
    buffer = BytesIO()
    workbook.save(buffer)

    rows = staff.read_roster(buffer.getvalue())
    assert rows[0] == {
        "_row": "3",
        "姓名": "张监考",
        "手机号码": "13900139000",
        "部门": "教务处",
    }
    with pytest.raises(ServiceError, match="第 4 行：手机号码 1390013 无效"):
        people.import_staff_rows(session, actor=school_head, rows=rows)
    assert people.list_staff(session, actor=school_head) == []
