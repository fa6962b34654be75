import threading
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from tests.factories import make_actor, make_organisation
from tests.factories_declarations import (
    base_info_form,
    declaration_form,
    docx_bytes,
    make_plan,
    make_province,
)
from xcert_app.clock import beijing
from xcert_app.models.accounts import Role
from xcert_app.models.declarations import (
    Declaration,
    DeclarationMajor,
    DeclarationReview,
    DeclarationStatus,
)
from xcert_app.models.files import StoredFile
from xcert_app.models.system import AuditEntry, SmsMessage
from xcert_app.services import declarations, storage
from xcert_app.services.errors import (
    AccessDenied,
    AlreadyDone,
    Conflict,
    NotFound,
    ServiceError,
    ValidationError,
)


def _draft(session, world, plan, **changes):
    return declarations.save_draft(
        session,
        actor=world.school_head,
        plan_id=plan.id,
        form=declaration_form(world, **changes),
    )


def _submitted(session, world, plan):
    draft = _draft(session, world, plan)
    return declarations.submit_declaration(
        session, actor=world.school_head, declaration_id=draft.id, version=draft.version
    )


# ------------------------------------------------------------------ base info


def test_base_info_saves_and_marks_complete(session):
    world = make_province(session)
    assert world.school.credit_code == "91110000802100433B"
    assert world.school.district_code == "110108"
    assert declarations.has_base_info(world.school)


def test_base_info_rejects_bad_credit_code_mobile_email(session):
    world = make_province(session, base_info=False)
    form = base_info_form(
        credit_code="91110000802100433A",
        contact_mobile="1234",
        contact_email="not-an-email",
        district_code="",
    )
    with pytest.raises(ValidationError) as caught:
        declarations.save_base_info(session, actor=world.school_head, form=form)
    assert set(caught.value.errors) == {
        "credit_code",
        "contact_mobile",
        "contact_email",
        "district_code",
    }
    assert "校验位" in caught.value.errors["credit_code"]
    assert world.school.credit_code == ""
    assert not declarations.has_base_info(world.school)


def test_province_department_follows_from_province(session):
    make_province(session)
    assert (
        declarations.province_department_name(session, "110000") == "北京市教育委员会"
    )


def test_declaring_requires_base_info(session):
    world = make_province(session, base_info=False)
    plan = make_plan(session, world)
    with pytest.raises(ServiceError, match="院校基础信息"):
        _draft(session, world, plan)


# ------------------------------------------------------------------ plans


def test_plan_phase_follows_beijing_window(session, frozen_clock):
    world = make_province(session)
    plan = make_plan(
        session,
        world,
        opens=beijing(2026, 12, 5),
        closes=beijing(2026, 12, 6, 23, 59, 59),
    )
    assert declarations.plan_phase(plan) == "not_started"
    frozen_clock.set(beijing(2026, 12, 5))
    assert declarations.plan_phase(plan) == "open"
    frozen_clock.set(beijing(2026, 12, 6, 23, 59, 59))
    assert declarations.plan_phase(plan) == "open"
    frozen_clock.set(beijing(2026, 12, 7))
    assert declarations.plan_phase(plan) == "ended"


def test_province_creates_plan_with_day_window(session):
    world = make_province(session)
    plan = declarations.create_plan(
        session,
        actor=world.province,
        form=declarations.PlanForm(
            batch_name="2027年第一次",
            year="2027",
            opens_on="2027-04-01",
            closes_on="2027-04-04",
            by_major=True,
            needs_city_review=True,
        ),
    )
    assert plan.opens_at == beijing(2027, 4, 1)
    assert plan.closes_at == beijing(2027, 4, 4, 23, 59, 59)
    assert plan.province_code == "110000"
    assert declarations.plan_window_text(plan) == "2027-04-01 00:00 ~ 2027-04-04 23:59"


def test_plan_form_errors_name_each_field(session):
    world = make_province(session)
    with pytest.raises(ValidationError) as caught:
        declarations.create_plan(
            session,
            actor=world.province,
            form=declarations.PlanForm(
                batch_name="", year="26", opens_on="2027-04-05", closes_on="2027-04-01"
            ),
        )
    assert set(caught.value.errors) == {"batch_name", "year", "closes_on"}


def test_plan_editable_only_before_opening(session):
    world = make_province(session)
    plan = make_plan(session, world)
    form = declarations.PlanForm(
        batch_name="改名", year="2026", opens_on="2026-12-10", closes_on="2026-12-11"
    )
    with pytest.raises(ServiceError, match="不能再修改"):
        declarations.update_plan(
            session, actor=world.province, plan_id=plan.id, form=form
        )
    later = make_plan(session, world, opens=beijing(2026, 12, 8))
    later.batch_name = "later"
    declarations.update_plan(session, actor=world.province, plan_id=later.id, form=form)
    assert later.batch_name == "改名"
    assert later.opens_at == beijing(2026, 12, 10)


def test_closed_plan_refuses_declarations(session):
    world = make_province(session)
    plan = make_plan(session, world)
    declarations.close_plan(session, actor=world.province, plan_id=plan.id)
    assert declarations.plan_phase(plan) == "ended"
    with pytest.raises(ServiceError, match="不在申报时间内"):
        _draft(session, world, plan)


def test_school_and_city_cannot_manage_plans(session):
    world = make_province(session)
    form = declarations.PlanForm(
        batch_name="x", year="2026", opens_on="2026-12-10", closes_on="2026-12-11"
    )
    for actor in (world.school_head, world.city):
        with pytest.raises(AccessDenied):
            declarations.create_plan(session, actor=actor, form=form)


# ------------------------------------------------------------------ window edges


def test_last_second_of_window_is_inside(session, frozen_clock):
    world = make_province(session)
    plan = make_plan(session, world, closes=beijing(2026, 12, 20, 23, 59, 59))
    draft = _draft(session, world, plan)
    frozen_clock.set(beijing(2026, 12, 20, 23, 59, 59))
    assert frozen_clock.now().tzinfo is not None
    assert frozen_clock.now().hour == 15  # the server clock is in UTC
    submitted = declarations.submit_declaration(
        session, actor=world.school_head, declaration_id=draft.id, version=draft.version
    )
    assert submitted.status == DeclarationStatus.PENDING_CITY


def test_next_second_after_window_is_outside(session, frozen_clock):
    world = make_province(session)
    plan = make_plan(session, world, closes=beijing(2026, 12, 20, 23, 59, 59))
    draft = _draft(session, world, plan)
    frozen_clock.set(beijing(2026, 12, 21, 0, 0, 0))
    with pytest.raises(ServiceError, match="不在申报时间内"):
        declarations.submit_declaration(
            session,
            actor=world.school_head,
            declaration_id=draft.id,
            version=draft.version,
        )
    with pytest.raises(ServiceError, match="不在申报时间内"):
        declarations.save_draft(
            session,
            actor=world.school_head,
            plan_id=plan.id,
            form=declaration_form(world, planned_count="5"),
            declaration_id=draft.id,
            version=draft.version,
        )
    assert draft.status == DeclarationStatus.DRAFT
    assert draft.planned_count == 100


def test_nothing_created_before_window_opens(session, frozen_clock):
    world = make_province(session)
    plan = make_plan(session, world, opens=beijing(2026, 12, 5))
    frozen_clock.set(beijing(2026, 12, 4, 23, 59, 59))
    with pytest.raises(ServiceError, match="不在申报时间内"):
        _draft(session, world, plan)
    frozen_clock.shift(timedelta(seconds=1))
    assert _draft(session, world, plan).status == DeclarationStatus.DRAFT


# ------------------------------------------------------------------ declarations


def test_draft_stores_fields_and_majors(session):
    world = make_province(session)
    plan = make_plan(session, world, by_major=True)
    draft = _draft(session, world, plan)
    assert draft.status == DeclarationStatus.DRAFT
    assert draft.planned_count == 100
    links = session.exec(
        select(DeclarationMajor).where(DeclarationMajor.declaration_id == draft.id)
    ).all()
    assert [link.major_id for link in links] == [world.major.id]


def test_declaration_form_errors_name_each_field(session):
    world = make_province(session)
    plan = make_plan(session, world, by_major=True)
    with pytest.raises(ValidationError) as caught:
        _draft(
            session,
            world,
            plan,
            certificate_id=None,
            major_ids=[],
            planned_count="-3",
            teacher_description=" ",
            venue_description="",
        )
    assert set(caught.value.errors) == {
        "certificate_id",
        "majors",
        "planned_count",
        "teacher_description",
        "venue_description",
    }
    assert session.exec(select(Declaration)).all() == []


@pytest.mark.parametrize(
    ("count", "message"),
    [
        ("0", "拟申报的培训人数须至少为 1 人"),
        ("1.5", "拟申报的培训人数“1.5”无效：请填写 1 到 100000 的整数"),
        ("²", "拟申报的培训人数“²”无效：请填写 1 到 100000 的整数"),
        ("", "请填写拟申报的培训人数"),
        ("100001", "拟申报的培训人数 100001 超过上限：每项申报最多 100000 人"),
        ("99999999999999999999", "超过上限：每项申报最多 100000 人"),
    ],
)
def test_planned_count_messages(session, count, message):
    world = make_province(session)
    plan = make_plan(session, world)
    with pytest.raises(ValidationError) as caught:
        _draft(session, world, plan, planned_count=count)
    assert message in caught.value.errors["planned_count"]


def test_majors_optional_when_plan_not_by_major(session):
    world = make_province(session)
    plan = make_plan(session, world, by_major=False)
    assert _draft(session, world, plan, major_ids=[]).id is not None


def test_one_declaration_per_certificate_per_plan(session):
    world = make_province(session)
    plan = make_plan(session, world)
    _draft(session, world, plan)
    with pytest.raises(ValidationError) as caught:
        _draft(session, world, plan)
    assert "已申报过" in caught.value.errors["certificate_id"]


def test_draft_can_be_edited_and_deleted(session):
    world = make_province(session)
    plan = make_plan(session, world)
    draft = _draft(session, world, plan)
    edited = declarations.save_draft(
        session,
        actor=world.school_head,
        plan_id=plan.id,
        form=declaration_form(world, planned_count="80"),
        declaration_id=draft.id,
        version=draft.version,
    )
    assert edited.planned_count == 80
    assert edited.version == 2
    declarations.delete_draft(
        session, actor=world.school_head, declaration_id=draft.id, version=2
    )
    assert session.get(Declaration, draft.id) is None


def test_submitted_declaration_is_locked(session):
    world = make_province(session)
    plan = make_plan(session, world)
    submitted = _submitted(session, world, plan)
    with pytest.raises(ServiceError, match="不能执行此操作"):
        declarations.save_draft(
            session,
            actor=world.school_head,
            plan_id=plan.id,
            form=declaration_form(world, planned_count="5"),
            declaration_id=submitted.id,
            version=submitted.version,
        )
    with pytest.raises(ServiceError):
        declarations.delete_draft(
            session,
            actor=world.school_head,
            declaration_id=submitted.id,
            version=submitted.version,
        )
    assert submitted.planned_count == 100


def test_submit_without_city_review_goes_to_province(session):
    world = make_province(session)
    plan = make_plan(session, world, needs_city_review=False)
    assert _submitted(session, world, plan).status == DeclarationStatus.PENDING_PROVINCE


def test_counters_by_status_group(session):
    world = make_province(session)
    plan = make_plan(session, world)
    _draft(session, world, plan)
    other = make_plan(session, world)
    _submitted(session, world, other)
    counts = declarations.school_counts(session, actor=world.school_head)
    assert counts == {"all": 2, "draft": 1, "pending": 1, "approved": 0, "rejected": 0}


def test_other_school_cannot_see_or_edit(session):
    world = make_province(session)
    plan = make_plan(session, world)
    draft = _draft(session, world, plan)
    other = make_actor(
        session, role=Role.SCHOOL_ADMIN, organisation=make_organisation(session)
    )
    with pytest.raises(NotFound):
        declarations.get_declaration(session, actor=other, declaration_id=draft.id)
    with pytest.raises(NotFound):
        declarations.delete_draft(
            session, actor=other, declaration_id=draft.id, version=draft.version
        )
    rows, total = declarations.list_school_declarations(session, actor=other)
    assert total == 0


# ------------------------------------------------------------------ evidence


def test_evidence_recognised_by_content():
    assert declarations.evidence_type(b"%PDF-1.7\n...")[1] == ".pdf"
    assert (
        declarations.evidence_type(bytes.fromhex("D0CF11E0A1B11AE1") + b"x")[1]
        == ".doc"
    )
    assert declarations.evidence_type(docx_bytes())[1] == ".docx"


@pytest.mark.parametrize(
    "data", [b"\x89PNG\r\n\x1a\n", b"PK\x03\x04broken", b"plain text named .pdf"]
)
def test_evidence_other_content_refused(data):
    with pytest.raises(ValidationError) as caught:
        declarations.evidence_type(data)
    assert "PDF 或 Word" in caught.value.errors["evidence"]


def test_evidence_stored_outside_public_folder(session):
    world = make_province(session)
    plan = make_plan(session, world)
    draft = declarations.save_draft(
        session,
        actor=world.school_head,
        plan_id=plan.id,
        form=declaration_form(world),
        evidence=declarations.Evidence("佐证.docx", docx_bytes()),
    )
    stored = session.get(StoredFile, draft.evidence_file_id)
    assert stored.kind == "evidence"
    assert stored.original_name == "佐证.docx"
    assert "uploaded_files" not in str(storage.storage_root())
    name, data = declarations.evidence_download(
        session, actor=world.province, declaration_id=draft.id
    )
    assert name == "佐证.docx"
    assert data == docx_bytes()


def test_evidence_over_20_mb_refused(session):
    world = make_province(session)
    plan = make_plan(session, world)
    big = b"%PDF-" + b"0" * (20 * 1024 * 1024)
    with pytest.raises(ValidationError) as caught:
        declarations.save_draft(
            session,
            actor=world.school_head,
            plan_id=plan.id,
            form=declaration_form(world),
            evidence=declarations.Evidence("big.pdf", big),
        )
    assert "超过 20 MB" in caught.value.errors["evidence"]
    assert session.exec(select(StoredFile)).all() == []


# ------------------------------------------------------------------ review


def test_city_then_province_approval_with_count(session):
    world = make_province(session)
    plan = make_plan(session, world)
    declaration = _submitted(session, world, plan)
    rows, total = declarations.list_for_review(session, actor=world.city)
    assert [row.id for row in rows] == [declaration.id]
    declarations.approve_declaration(
        session,
        actor=world.city,
        declaration_id=declaration.id,
        version=declaration.version,
    )
    assert declaration.status == DeclarationStatus.PENDING_PROVINCE
    declarations.approve_declaration(
        session,
        actor=world.province,
        declaration_id=declaration.id,
        version=declaration.version,
        approved_count="60",
    )
    assert declaration.status == DeclarationStatus.APPROVED
    assert declaration.approved_count == 60
    reviews = session.exec(select(DeclarationReview)).all()
    assert [(review.level, review.approved) for review in reviews] == [
        ("city", True),
        ("province", True),
    ]


def test_second_approval_click_changes_nothing(session):
    world = make_province(session)
    plan = make_plan(session, world)
    declaration = _submitted(session, world, plan)
    clicked = declaration.version
    declarations.approve_declaration(
        session, actor=world.city, declaration_id=declaration.id, version=clicked
    )
    with pytest.raises(AlreadyDone) as caught:
        declarations.approve_declaration(
            session, actor=world.city, declaration_id=declaration.id, version=clicked
        )
    assert caught.value.message == "该申报已是「待审核（省级）」，无需重复操作"
    assert declaration.version == clicked + 1
    assert len(session.exec(select(DeclarationReview)).all()) == 1


def test_second_submit_click_changes_nothing(session):
    world = make_province(session)
    plan = make_plan(session, world)
    draft = _draft(session, world, plan)
    submit = dict(
        actor=world.school_head, declaration_id=draft.id, version=draft.version
    )
    declarations.submit_declaration(session, **submit)
    with pytest.raises(AlreadyDone) as caught:
        declarations.submit_declaration(session, **submit)
    assert caught.value.message == "该申报已是「待审核（地市）」，无需重复操作"


def test_province_cannot_skip_city_review(session):
    world = make_province(session)
    plan = make_plan(session, world)
    declaration = _submitted(session, world, plan)
    with pytest.raises(ServiceError, match="待审核（地市）"):
        declarations.approve_declaration(
            session,
            actor=world.province,
            declaration_id=declaration.id,
            version=declaration.version,
            approved_count="10",
        )


@pytest.mark.parametrize("count", ["0", "101", "", "x"])
def test_approved_count_between_one_and_planned(session, count):
    world = make_province(session)
    plan = make_plan(session, world, needs_city_review=False)
    declaration = _submitted(session, world, plan)
    with pytest.raises(ValidationError) as caught:
        declarations.approve_declaration(
            session,
            actor=world.province,
            declaration_id=declaration.id,
            version=declaration.version,
            approved_count=count,
        )
    assert "1 到 100" in caught.value.errors["approved_count"]
    assert declaration.status == DeclarationStatus.PENDING_PROVINCE


def test_reject_requires_reason(session):
    world = make_province(session)
    plan = make_plan(session, world)
    declaration = _submitted(session, world, plan)
    with pytest.raises(ValidationError) as caught:
        declarations.reject_declaration(
            session,
            actor=world.city,
            declaration_id=declaration.id,
            version=declaration.version,
            reason="  ",
        )
    assert "reason" in caught.value.errors


def test_rejected_declaration_can_be_resubmitted(session):
    world = make_province(session)
    plan = make_plan(session, world)
    declaration = _submitted(session, world, plan)
    declarations.reject_declaration(
        session,
        actor=world.city,
        declaration_id=declaration.id,
        version=declaration.version,
        reason="师资描述不完整",
    )
    assert declaration.status == DeclarationStatus.REJECTED
    assert declaration.reject_reason == "师资描述不完整"
    edited = declarations.save_draft(
        session,
        actor=world.school_head,
        plan_id=plan.id,
        form=declaration_form(world, teacher_description="专任教师 12 人，双师 8 人"),
        declaration_id=declaration.id,
        version=declaration.version,
    )
    assert edited.status == DeclarationStatus.DRAFT
    resubmitted = declarations.submit_declaration(
        session,
        actor=world.school_head,
        declaration_id=edited.id,
        version=edited.version,
    )
    assert resubmitted.status == DeclarationStatus.PENDING_CITY
    assert resubmitted.reject_reason == ""


def test_each_decision_sends_sms_and_is_audited(session):
    world = make_province(session)
    plan = make_plan(session, world)
    declaration = _submitted(session, world, plan)
    declarations.approve_declaration(
        session,
        actor=world.city,
        declaration_id=declaration.id,
        version=declaration.version,
    )
    declarations.approve_declaration(
        session,
        actor=world.province,
        declaration_id=declaration.id,
        version=declaration.version,
        approved_count=50,
    )
    messages = session.exec(
        select(SmsMessage).where(SmsMessage.purpose == "declaration")
    ).all()
    assert [message.mobile for message in messages] == ["13800138000"] * 2
    assert "批准培训人数 50 人" in messages[1].body
    entries = session.exec(
        select(AuditEntry).where(AuditEntry.action.like("declaration.approve%"))
    ).all()
    assert [entry.action for entry in entries] == [
        "declaration.approve.city",
        "declaration.approve.province",
    ]
    assert entries[1].before["status"] == DeclarationStatus.PENDING_PROVINCE
    assert entries[1].after == {"status": "approved", "approved_count": 50}
    assert entries[1].account_id == world.province.account_id


def test_concurrent_decisions_only_first_stands(engine, session):
    world = make_province(session)
    plan = make_plan(session, world, needs_city_review=False)
    declaration = _submitted(session, world, plan)
    session.commit()
    second_reviewer = make_actor(
        session, role=Role.PROVINCE_REVIEWER, organisation=world.department
    )
    session.commit()
    version = declaration.version

    with Session(engine) as first, Session(engine) as second:
        # Both reviewers opened the list and read the same version.
        first.get(Declaration, declaration.id)
        second.get(Declaration, declaration.id)
        declarations.approve_declaration(
            first,
            actor=world.province,
            declaration_id=declaration.id,
            version=version,
            approved_count=80,
        )
        first.commit()
        with pytest.raises(Conflict, match="已被他人处理"):
            declarations.reject_declaration(
                second,
                actor=second_reviewer,
                declaration_id=declaration.id,
                version=version,
                reason="名额不足",
            )
        second.rollback()

    session.expire_all()
    stored = session.get(Declaration, declaration.id)
    assert stored.status == DeclarationStatus.APPROVED
    assert stored.approved_count == 80
    assert len(session.exec(select(DeclarationReview)).all()) == 1


def test_bulk_approve_skips_changed_rows(session):
    world = make_province(session)
    plan = make_plan(session, world, needs_city_review=False)
    first = _submitted(session, world, plan)
    other_plan = make_plan(session, world, needs_city_review=False)
    second = _submitted(session, world, other_plan)
    result = declarations.bulk_approve(
        session,
        actor=world.province,
        items=[(first.id, first.version), (second.id, second.version - 1)],
    )
    assert result.approved == 1
    assert len(result.skipped) == 1
    assert first.status == DeclarationStatus.APPROVED
    assert first.approved_count == 100
    assert second.status == DeclarationStatus.PENDING_PROVINCE


def test_city_sees_only_its_city(session):
    world = make_province(session)
    plan = make_plan(session, world)
    declaration = _submitted(session, world, plan)
    other_city = make_organisation(
        session, kind=declarations.OrgKind.CITY_BUREAU, city_code="110200"
    )
    reviewer = make_actor(session, role=Role.CITY_REVIEWER, organisation=other_city)
    rows, total = declarations.list_for_review(session, actor=reviewer)
    assert total == 0
    with pytest.raises(NotFound):
        declarations.approve_declaration(
            session,
            actor=reviewer,
            declaration_id=declaration.id,
            version=declaration.version,
        )


def test_school_cannot_review(session):
    world = make_province(session)
    plan = make_plan(session, world)
    declaration = _submitted(session, world, plan)
    with pytest.raises(AccessDenied):
        declarations.approve_declaration(
            session,
            actor=world.school_head,
            declaration_id=declaration.id,
            version=declaration.version,
        )


# ------------------------------------------------------------------ outcome


def _approved(session, world, plan, count):
    declaration = _submitted(session, world, plan)
    if plan.needs_city_review:
        declarations.approve_declaration(
            session,
            actor=world.city,
            declaration_id=declaration.id,
            version=declaration.version,
        )
    return declarations.approve_declaration(
        session,
        actor=world.province,
        declaration_id=declaration.id,
        version=declaration.version,
        approved_count=count,
    )


def test_quota_is_per_certificate_and_year(session):
    world = make_province(session)
    first = make_plan(session, world)
    second = make_plan(session, world, needs_city_review=False)
    _approved(session, world, first, 60)
    _approved(session, world, second, 30)
    school_id, certificate_id = world.school.id, world.certificate.id
    assert (
        declarations.approved_quota(
            session, school_id=school_id, certificate_id=certificate_id, year=2026
        )
        == 90
    )
    assert (
        declarations.approved_quota(
            session, school_id=school_id, certificate_id=certificate_id, year=2027
        )
        == 0
    )
    assert declarations.school_quotas(session, actor=world.school_head, year=2026) == [
        ("物流管理职业技能等级证书", 90)
    ]


def test_pilot_school_needs_approval_that_year(session):
    world = make_province(session)
    plan = make_plan(session, world)
    declaration = _submitted(session, world, plan)
    assert not declarations.is_pilot_school(
        session, school_id=world.school.id, year=2026
    )
    declarations.reject_declaration(
        session,
        actor=world.city,
        declaration_id=declaration.id,
        version=declaration.version,
        reason="不符合条件",
    )
    assert not declarations.is_pilot_school(
        session, school_id=world.school.id, year=2026
    )
    other = make_plan(session, world)
    _approved(session, world, other, 10)
    assert declarations.is_pilot_school(session, school_id=world.school.id, year=2026)
    assert not declarations.is_pilot_school(
        session, school_id=world.school.id, year=2027
    )


def test_simultaneous_decisions_exactly_one_stands(engine, session):
    world = make_province(session)
    plan = make_plan(session, world, needs_city_review=False)
    declaration = _submitted(session, world, plan)
    other = make_actor(
        session, role=Role.PROVINCE_REVIEWER, organisation=world.department
    )
    session.commit()
    version = declaration.version
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def decide(name: str, actor, approve: bool) -> None:
        with Session(engine) as own:
            own.get(Declaration, declaration.id)
            barrier.wait()
            try:
                if approve:
                    declarations.approve_declaration(
                        own,
                        actor=actor,
                        declaration_id=declaration.id,
                        version=version,
                        approved_count=70,
                    )
                else:
                    declarations.reject_declaration(
                        own,
                        actor=actor,
                        declaration_id=declaration.id,
                        version=version,
                        reason="同时审核",
                    )
                own.commit()
                outcomes[name] = "stored"
            except Conflict:
                own.rollback()
                outcomes[name] = "conflict"

    threads = [
        threading.Thread(target=decide, args=("approve", world.province, True)),
        threading.Thread(target=decide, args=("reject", other, False)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes.values()) == ["conflict", "stored"]
    session.expire_all()
    stored = session.get(Declaration, declaration.id)
    winner = next(name for name, outcome in outcomes.items() if outcome == "stored")
    expected = "approved" if winner == "approve" else "rejected"
    assert stored.status == expected
    assert stored.version == version + 1
    assert len(session.exec(select(DeclarationReview)).all()) == 1
