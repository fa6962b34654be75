import io
import zipfile

import pytest
from sqlmodel import select

from tests.factories import make_actor, make_organisation
from tests.factories_catalogue import (
    add_declaration,
    add_divisions,
    make_approved_site,
    make_catalogue,
    make_pilot_school,
    make_plan,
    room_input,
    site_input,
)
from xcert_app.clock import beijing
from xcert_app.models.accounts import Role
from xcert_app.models.candidates import Candidate
from xcert_app.models.catalogue import PlanSubject
from xcert_app.models.registrations import Registration
from xcert_app.models.sites import Room, SiteLoan, SiteStatus
from xcert_app.services import notifications, sites
from xcert_app.services.errors import (
    AccessDenied,
    AlreadyDone,
    Conflict,
    NotFound,
    ServiceError,
    ValidationError,
)


def _docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.fixture
def pilot(session):
    add_divisions(session)
    cat = make_catalogue(session)
    school, actor = make_pilot_school(session, cat)
    return cat, school, actor


def test_site_without_pilot_rejected(session):
    add_divisions(session)
    cat = make_catalogue(session)
    school, actor = make_pilot_school(session, cat, approved=False)
    with pytest.raises(ValidationError) as caught:
        sites.declare_site(session, actor=actor, data=site_input(cat, school))
    assert "没有审核通过" in caught.value.errors["certificates"]


# A school's pilot year is the current or the previous year, the later one with an
# approved declaration, so on this day a 2026 pilot still counts.
JANUARY = beijing(2027, 1, 25, 10, 0)


def test_older_pilot_does_not_count_after_newer(session):
    add_divisions(session)
    cat = make_catalogue(session)
    other = make_catalogue(session, code_prefix="20", certificate_code="156000999")
    school, actor = make_pilot_school(session, cat, year=2025)
    add_declaration(session, school, other.certificate_id, 2026)

    with pytest.raises(ValidationError) as caught:
        sites.declare_site(session, actor=actor, data=site_input(cat, school))

    assert caught.value.errors["certificates"] == (
        "本校 2026 年没有审核通过的“物流管理职业技能等级证书”试点申报，"
        "不能为该证书申报考核站点"
    )


def test_pilot_two_years_ago_does_not_count(session):
    add_divisions(session)
    cat = make_catalogue(session)
    school, actor = make_pilot_school(session, cat, year=2024)

    with pytest.raises(ValidationError) as caught:
        sites.declare_site(session, actor=actor, data=site_input(cat, school))

    assert "本校 2026 年没有审核通过" in caught.value.errors["certificates"]


def test_site_declared_in_january_for_last_year(session, frozen_clock):
    add_divisions(session)
    cat = make_catalogue(session)
    school, actor = make_pilot_school(session, cat, year=2026)
    frozen_clock.set(JANUARY)

    site = sites.declare_site(session, actor=actor, data=site_input(cat, school))

    assert site.status == SiteStatus.PENDING
    assert sites.site_level_ids(session, site.id) == [cat.level.id]


def test_next_year_pilot_does_not_count_in_december(session):
    add_divisions(session)
    cat = make_catalogue(session)
    other = make_catalogue(session, code_prefix="20", certificate_code="156000999")
    school, actor = make_pilot_school(session, cat, year=2026)
    add_declaration(session, school, other.certificate_id, 2027)

    site = sites.declare_site(session, actor=actor, data=site_input(cat, school))

    assert site.status == SiteStatus.PENDING


def test_new_pilot_year_applies_in_january(session, frozen_clock):
    add_divisions(session)
    cat = make_catalogue(session)
    other = make_catalogue(session, code_prefix="20", certificate_code="156000999")
    school, actor = make_pilot_school(session, cat, year=2026)
    add_declaration(session, school, other.certificate_id, 2027)
    frozen_clock.set(JANUARY)

    with pytest.raises(ValidationError) as caught:
        sites.declare_site(session, actor=actor, data=site_input(cat, school))

    assert "本校 2027 年没有审核通过" in caught.value.errors["certificates"]


def test_declared_site_waits_for_review(session, pilot):
    cat, school, actor = pilot
    site = sites.declare_site(session, actor=actor, data=site_input(cat, school))
    assert site.status == SiteStatus.PENDING
    assert sites.site_level_ids(session, site.id) == [cat.level.id]
    rows, total = sites.list_sites(session, actor=cat.org_actor)
    assert total == 1
    assert rows[0].status_label == "待审核"
    assert rows[0].region == "北京市市辖区海淀区"
    assert rows[0].location == "北京市海淀区西三环北路105号"
    assert rows[0].certificates == ["物流管理职业技能等级证书(初级)"]


@pytest.mark.parametrize(
    ("address", "location"),
    [
        ("北京市海淀区西三环北路105号", "北京市海淀区西三环北路105号"),
        ("海淀区西三环北路105号", "北京市海淀区西三环北路105号"),
        ("西三环北路105号", "北京市海淀区 西三环北路105号"),
    ],
)
def test_site_location_names_region_once(address, location):
    assert sites.located_address(["北京市", "海淀区"], address) == location


def test_site_location_without_region_is_the_address():
    assert sites.located_address([], "西三环北路105号") == "西三环北路105号"


def test_suggested_site_name(session, pilot):
    cat, school, actor = pilot
    name = sites.suggested_site_name(
        session, actor=actor, certificate_id=cat.certificate_id
    )
    assert name == f"{school.name}物流管理考核站点"


def test_required_fields_are_reported(session, pilot):
    cat, school, actor = pilot
    data = site_input(
        cat,
        school,
        name="",
        address="",
        contact_mobile="123",
        contact_email="x",
        city_code="",
        introduction="",
    )
    with pytest.raises(ValidationError) as caught:
        sites.declare_site(session, actor=actor, data=data)
    assert set(caught.value.errors) >= {
        "name",
        "address",
        "contact_mobile",
        "contact_email",
        "region",
        "introduction",
    }


def test_missing_certificate_reported_with_organisation(session, pilot):
    cat, school, actor = pilot
    data = site_input(cat, school, org_id=None, certificate_level_ids=[])
    with pytest.raises(ValidationError) as caught:
        sites.declare_site(session, actor=actor, data=data)
    assert caught.value.errors["org_id"] == "请选择申报对象（培训评价组织）"
    assert caught.value.errors["certificates"] == "请至少添加一个申请考试的证书"


def test_empty_contact_fields_named(session, pilot):
    cat, school, actor = pilot
    data = site_input(cat, school, contact_mobile="", contact_email="")
    with pytest.raises(ValidationError) as caught:
        sites.declare_site(session, actor=actor, data=data)
    assert caught.value.errors["contact_mobile"] == "请填写联系人手机：11 位手机号"
    assert caught.value.errors["contact_email"] == "请填写联系人邮箱"


def test_evidence_is_checked_by_content(session, pilot):
    cat, school, actor = pilot
    with pytest.raises(ValidationError) as caught:
        sites.declare_site(
            session,
            actor=actor,
            data=site_input(cat, school),
            evidence=(b"just text pretending", "材料.pdf"),
        )
    assert "不是 PDF 或 Word" in caught.value.errors["evidence"]


def test_pdf_and_docx_evidence_are_stored(session, pilot):
    cat, school, actor = pilot
    pdf = sites.declare_site(
        session,
        actor=actor,
        data=site_input(cat, school),
        evidence=(b"%PDF-1.4 test", "a.pdf"),
    )
    docx = sites.declare_site(
        session,
        actor=actor,
        data=site_input(cat, school, name="第二站点"),
        evidence=(_docx_bytes(), "b.docx"),
    )
    data, name = sites.read_evidence(session, actor=cat.org_actor, site_id=pdf.id)
    assert data == b"%PDF-1.4 test"
    assert name == "a.pdf"
    assert sites.read_evidence(session, actor=actor, site_id=docx.id)[1] == "b.docx"


def test_other_school_cannot_read_evidence(session, pilot):
    cat, school, actor = pilot
    site = sites.declare_site(
        session,
        actor=actor,
        data=site_input(cat, school),
        evidence=(b"%PDF-1.4 test", "a.pdf"),
    )
    stranger = make_actor(
        session, role=Role.SCHOOL_ADMIN, organisation=make_organisation(session)
    )
    with pytest.raises(NotFound):
        sites.read_evidence(session, actor=stranger, site_id=site.id)


def test_rejected_site_can_be_resubmitted(session, pilot):
    cat, school, actor = pilot
    site = sites.declare_site(session, actor=actor, data=site_input(cat, school))
    with pytest.raises(ValidationError):
        sites.reject_site(
            session, actor=cat.org_actor, site_id=site.id, version=1, reason=" "
        )
    site = sites.reject_site(
        session, actor=cat.org_actor, site_id=site.id, version=1, reason="缺少平面图"
    )
    assert site.status == SiteStatus.REJECTED
    assert site.reject_reason == "缺少平面图"
    site = sites.update_site(
        session,
        actor=actor,
        site_id=site.id,
        version=site.version,
        data=site_input(cat, school, introduction="已补充平面图"),
    )
    assert site.status == SiteStatus.PENDING
    assert site.reject_reason == ""
    assert site.introduction == "已补充平面图"


def test_approved_site_cannot_be_edited(session, pilot):
    cat, school, actor = pilot
    site = make_approved_site(session, cat, school, actor)
    with pytest.raises(ServiceError, match="已审核通过"):
        sites.update_site(
            session,
            actor=actor,
            site_id=site.id,
            version=site.version,
            data=site_input(cat, school),
        )


def test_stale_review_conflicts(session, pilot):
    cat, school, actor = pilot
    site = sites.declare_site(session, actor=actor, data=site_input(cat, school))
    sites.approve_site(session, actor=cat.org_actor, site_id=site.id, version=1)
    with pytest.raises(Conflict):
        sites.reject_site(
            session, actor=cat.org_actor, site_id=site.id, version=1, reason="晚了"
        )


def test_second_approve_changes_nothing(session, pilot):
    cat, school, actor = pilot
    site = sites.declare_site(session, actor=actor, data=site_input(cat, school))
    sites.approve_site(session, actor=cat.org_actor, site_id=site.id, version=1)
    with pytest.raises(AlreadyDone) as caught:
        sites.approve_site(session, actor=cat.org_actor, site_id=site.id, version=1)
    assert caught.value.message == f"考核站点“{site.name}”已审核通过，无需重复操作"
    assert site.version == 2
    assert len(notifications.list_for(session, actor=actor)) == 1


def test_other_org_cannot_review(session, pilot):
    cat, school, actor = pilot
    other = make_catalogue(session, code_prefix="20", certificate_code="156000999")
    site = sites.declare_site(session, actor=actor, data=site_input(cat, school))
    with pytest.raises(AccessDenied):
        sites.approve_site(session, actor=other.org_actor, site_id=site.id, version=1)


def test_loan_assigns_school_without_site(session, pilot):
    cat, school, actor = pilot
    site = make_approved_site(session, cat, school, actor)
    borrower, _ = make_pilot_school(session, cat)
    assert [
        row.id for row in sites.schools_without_site(session, actor=cat.org_actor)
    ] == [borrower.id]
    loan = sites.assign_loan(
        session, actor=cat.org_actor, school_id=borrower.id, site_id=site.id
    )
    assert loan.site_id == site.id
    assert sites.borrowed_site_ids(session, school_id=borrower.id) == [site.id]
    rows = sites.list_loans(session, actor=cat.org_actor)
    assert rows[0].host_school_name == school.name


def test_schools_without_site_in_january(session, pilot, frozen_clock):
    cat, school, actor = pilot
    make_approved_site(session, cat, school, actor)
    last_year_school, _ = make_pilot_school(session, cat, year=2026)
    moved_on_school, _ = make_pilot_school(session, cat, year=2026)
    other = make_catalogue(session, code_prefix="20", certificate_code="156000999")
    add_declaration(session, moved_on_school, other.certificate_id, 2027)
    frozen_clock.set(JANUARY)

    listed = sites.schools_without_site(session, actor=cat.org_actor)

    assert [row.id for row in listed] == [last_year_school.id]


def test_schools_without_site_skip_next_year(session, pilot):
    cat, school, _actor = pilot
    next_year_school, _ = make_pilot_school(session, cat, year=2027)

    listed = sites.schools_without_site(session, actor=cat.org_actor)

    assert next_year_school.id not in [row.id for row in listed]
    assert [row.id for row in listed] == [school.id]


def test_loan_rejected_for_school_with_site(session, pilot):
    cat, school, actor = pilot
    site = make_approved_site(session, cat, school, actor)
    other, other_actor = make_pilot_school(session, cat)
    make_approved_site(session, cat, other, other_actor)
    with pytest.raises(ServiceError, match="已有审核通过"):
        sites.assign_loan(
            session, actor=cat.org_actor, school_id=other.id, site_id=site.id
        )
    assert session.exec(select(SiteLoan)).first() is None


def test_loan_needs_approved_site(session, pilot):
    cat, school, actor = pilot
    site = sites.declare_site(session, actor=actor, data=site_input(cat, school))
    borrower, _ = make_pilot_school(session, cat)
    with pytest.raises(ServiceError, match="未审核通过"):
        sites.assign_loan(
            session, actor=cat.org_actor, school_id=borrower.id, site_id=site.id
        )


@pytest.fixture
def room_setup(session, pilot):
    cat, school, actor = pilot
    site = make_approved_site(session, cat, school, actor)
    plan = make_plan(session, cat)
    return cat, school, actor, site, plan


def test_room_is_created_for_approved_site(session, room_setup):
    cat, _school, actor, site, plan = room_setup
    result = sites.create_room(
        session,
        actor=actor,
        data=room_input(plan, site, certificate_level_ids=[cat.level.id]),
    )
    assert result.room.seats == 60
    assert result.warnings == []
    assert sites.room_level_ids(session, result.room.id) == [cat.level.id]


def test_room_on_pending_site_rejected(session, pilot):
    cat, school, actor = pilot
    site = sites.declare_site(session, actor=actor, data=site_input(cat, school))
    plan = make_plan(session, cat)
    with pytest.raises(ValidationError) as caught:
        sites.create_room(
            session,
            actor=actor,
            data=room_input(plan, site, certificate_level_ids=[cat.level.id]),
        )
    assert "尚未审核通过" in caught.value.errors["site_id"]


@pytest.mark.parametrize("seats", [0, 501, None])
def test_room_seats_must_be_1_to_500(session, room_setup, seats):
    cat, _school, actor, site, plan = room_setup
    with pytest.raises(ValidationError) as caught:
        sites.create_room(
            session,
            actor=actor,
            data=room_input(
                plan, site, seats=seats, certificate_level_ids=[cat.level.id]
            ),
        )
    assert "1 到 500" in caught.value.errors["seats"]


def test_room_name_unique_within_site_and_plan(session, room_setup):
    cat, _school, actor, site, plan = room_setup
    data = room_input(plan, site, certificate_level_ids=[cat.level.id])
    sites.create_room(session, actor=actor, data=data)
    with pytest.raises(ValidationError) as caught:
        sites.create_room(session, actor=actor, data=data)
    assert "已存在" in caught.value.errors["name"]


def test_room_form_reports_every_field(session, room_setup):
    cat, _school, actor, site, plan = room_setup
    data = room_input(plan, site, certificate_level_ids=[cat.level.id])
    sites.create_room(session, actor=actor, data=data)
    data.seats, data.address = 0, ""
    with pytest.raises(ValidationError) as caught:
        sites.create_room(session, actor=actor, data=data)
    assert set(caught.value.errors) == {"name", "seats", "address"}
    assert "已存在" in caught.value.errors["name"]
    data.name, data.certificate_level_ids = "", []
    with pytest.raises(ValidationError) as caught:
        sites.create_room(session, actor=actor, data=data)
    assert caught.value.errors["name"] == "请填写考场名称，如“107 室”或“13 号机房”"
    assert caught.value.errors["certificates"] == "请选择在该考场考试的证书"


def test_room_type_no_subject_needs_warns(session, room_setup):
    cat, _school, actor, site, plan = room_setup
    result = sites.create_room(
        session,
        actor=actor,
        data=room_input(
            plan,
            site,
            name="201 教室",
            mode="笔试",
            certificate_level_ids=[cat.level.id],
        ),
    )
    assert result.room.id is not None
    assert len(result.warnings) == 1
    assert "没有笔试科目" in result.warnings[0]


def test_other_school_cannot_use_site(session, room_setup):
    cat, _school, _actor, site, plan = room_setup
    _other, other_actor = make_pilot_school(session, cat)
    with pytest.raises(ValidationError) as caught:
        sites.create_room(
            session,
            actor=other_actor,
            data=room_input(plan, site, certificate_level_ids=[cat.level.id]),
        )
    assert "site_id" in caught.value.errors


def test_rooms_are_locked_once_exam_starts(session, room_setup, frozen_clock):
    cat, _school, actor, site, plan = room_setup
    frozen_clock.set(beijing(2026, 12, 23, 8, 0))
    with pytest.raises(ServiceError, match="已开考") as caught:
        sites.create_room(
            session,
            actor=actor,
            data=room_input(plan, site, certificate_level_ids=[cat.level.id]),
        )
    assert plan.code in caught.value.message
    assert "首场 2026-12-23 08:00" in caught.value.message


def test_rooms_editable_before_first_session(session, room_setup, frozen_clock):
    cat, _school, actor, site, plan = room_setup
    frozen_clock.set(beijing(2026, 12, 23, 7, 59))
    result = sites.create_room(
        session,
        actor=actor,
        data=room_input(plan, site, certificate_level_ids=[cat.level.id]),
    )
    assert result.room.plan_id == plan.id


def _three_rooms(session, cat, actor, site, plan):
    for name, mode in (("13 号机房", "机考"), ("实训室 A", "实操"), ("107 室", "笔试")):
        sites.create_room(
            session,
            actor=actor,
            data=room_input(
                plan, site, name=name, mode=mode, certificate_level_ids=[cat.level.id]
            ),
        )


def test_copy_preview_then_copy_rooms(session, room_setup):
    cat, _school, actor, site, plan = room_setup
    _three_rooms(session, cat, actor, site, plan)
    later = make_plan(session, cat, name="第二次考核")
    sites.create_room(
        session,
        actor=actor,
        data=room_input(
            later, site, name="107 室", certificate_level_ids=[cat.level.id]
        ),
    )
    preview = sites.preview_room_copy(
        session,
        actor=actor,
        source_plan_id=plan.id,
        target_plan_id=later.id,
        site_id=site.id,
    )
    by_name = {row.name: row for row in preview}
    assert by_name["107 室"].will_copy is False
    assert by_name["107 室"].note == "同名考场已存在，跳过"
    assert by_name["13 号机房"].will_copy is True
    assert session.exec(select(Room).where(Room.plan_id == later.id)).all()[0].name == (
        "107 室"
    )

    copied = sites.copy_rooms(
        session,
        actor=actor,
        source_plan_id=plan.id,
        target_plan_id=later.id,
        site_id=site.id,
    )
    assert copied == 2
    names = set(session.exec(select(Room.name).where(Room.plan_id == later.id)).all())
    assert names == {"13 号机房", "实训室 A", "107 室"}


def test_capacity_compares_candidates_with_seats(session, room_setup):
    cat, school, actor, site, plan = room_setup
    sites.create_room(
        session,
        actor=actor,
        data=room_input(plan, site, seats=1, certificate_level_ids=[cat.level.id]),
    )
    plan_subjects = {
        row.subject_id: row
        for row in session.exec(
            select(PlanSubject).where(PlanSubject.plan_id == plan.id)
        )
    }
    for index in range(2):
        candidate = Candidate(
            school_id=school.id, name=f"考生{index}", id_number=f"x{index}"
        )
        session.add(candidate)
        session.flush()
        for subject in cat.subjects[:2]:
            session.add(
                Registration(
                    plan_id=plan.id,
                    plan_subject_id=plan_subjects[subject.id].id,
                    subject_id=subject.id,
                    certificate_level_id=cat.level.id,
                    candidate_id=candidate.id,
                    school_id=school.id,
                )
            )
    session.flush()
    rows = {
        row.mode: row
        for row in sites.capacity_by_mode(session, actor=actor, plan_id=plan.id)
    }
    assert rows["机考"].candidates == 2
    assert rows["机考"].seats == 1
    assert rows["机考"].shortfall == 1
    assert rows["实操"].candidates == 0
    assert rows["实操"].seats == 0


def test_site_region_is_optional(session, pilot):
    cat, school, actor = pilot
    data = site_input(cat, school, province_code="", city_code="", district_code="")
    site = sites.declare_site(session, actor=actor, data=data)
    assert site.province_code == ""
    assert site.status == SiteStatus.PENDING


def test_room_update_and_delete(session, room_setup):
    cat, _school, actor, site, plan = room_setup
    room = sites.create_room(
        session,
        actor=actor,
        data=room_input(plan, site, certificate_level_ids=[cat.level.id]),
    ).room
    sites.update_room(
        session,
        actor=actor,
        room_id=room.id,
        data=room_input(plan, site, seats=80, certificate_level_ids=[cat.level.id]),
    )
    stored, level_ids = sites.get_room_for_edit(session, actor=actor, room_id=room.id)
    assert stored.seats == 80
    assert level_ids == [cat.level.id]
    sites.delete_room(session, actor=actor, room_id=room.id)
    assert session.get(Room, room.id) is None


def test_plans_for_rooms_need_approved_site(session, pilot):
    cat, school, actor = pilot
    plan = make_plan(session, cat)
    assert sites.plans_for_rooms(session, actor=actor) == []
    make_approved_site(session, cat, school, actor)
    assert [row.id for row in sites.plans_for_rooms(session, actor=actor)] == [plan.id]


def test_review_notifies_the_school(session, pilot):
    cat, school, actor = pilot
    site = sites.declare_site(session, actor=actor, data=site_input(cat, school))
    sites.reject_site(
        session, actor=cat.org_actor, site_id=site.id, version=1, reason="缺少佐证材料"
    )
    [(notification, read)] = notifications.list_for(session, actor=actor)
    assert notification.title.endswith("审核不通过：缺少佐证材料")
    assert notification.link == "/exam/sites"
    assert not read


def test_municipality_region_named_once(session, pilot):
    from xcert_app.models.reference import Division

    cat, school, actor = pilot
    city = session.get(Division, "110100")
    city.name = "北京市"
    session.add(city)
    session.flush()
    sites.declare_site(session, actor=actor, data=site_input(cat, school))
    rows, _total = sites.list_sites(session, actor=cat.org_actor)
    assert rows[0].region == "北京市海淀区"
