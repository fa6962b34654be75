import io
from datetime import timedelta

import pytest
from openpyxl import Workbook
from sqlmodel import select

from tests.factories import make_actor, make_organisation
from tests.factories_catalogue import make_catalogue, make_plan, plan_input
from xcert_app.clock import beijing
from xcert_app.models.accounts import Role
from xcert_app.models.catalogue import (
    Certificate,
    CertificateLevel,
    ExamPlan,
    PassRule,
    PlanLevel,
    PlanSession,
    PlanSubject,
    Subject,
)
from xcert_app.models.orgs import Organisation
from xcert_app.models.system import AuditEntry
from xcert_app.services import catalogue, demo
from xcert_app.services.errors import (
    AccessDenied,
    Conflict,
    ServiceError,
    ValidationError,
)
from xcert_app.spreadsheets import catalogue as subject_sheets

# The logistics rows of the subject list (考试科目) in the pilot school operations
# manual: (code, name, mode, level), all 已启用, organisation 北京中物联物流采购培训中心.
MANUAL_SUBJECTS = [
    ("697409", "综合应用考核", "机考", "高级"),
    ("780059", "基础考核", "机考", "高级"),
    ("577975", "实操考核", "实操", "中级"),
    ("338994", "综合应用考核", "机考", "中级"),
    ("043194", "基础考核", "机考", "中级"),
    ("609371", "实操考核", "实操", "初级"),
    ("794690", "综合应用考核", "机考", "初级"),
    ("098994", "基础考核", "机考", "初级"),
]
# The plan detail (查看考试计划) in the same manual: per subject name, weight and pass
# mark.
MANUAL_TERMS = {
    "基础考核": (40, 60),
    "综合应用考核": (30, 60),
    "实操考核": (30, 60),
}
# The demo's own daily session times and the duration of one session, per subject
# name. They replace the manual's, whose practical sessions run to 23:55 and whose
# durations add up both days.
DEMO_SESSIONS = {
    "基础考核": (90, "09:00", "10:30"),
    "综合应用考核": (60, "11:00", "12:00"),
    "实操考核": (120, "14:00", "16:00"),
}


def test_demo_catalogue_matches_manual_tables(session):
    demo.load_demo(session)
    org = session.exec(
        select(Organisation).where(Organisation.name == "北京中物联物流采购培训中心")
    ).one()
    certificate = session.exec(
        select(Certificate).where(Certificate.org_id == org.id)
    ).one()
    assert certificate.name == "物流管理职业技能等级证书"
    levels = {
        level.id: level.level
        for level in session.exec(
            select(CertificateLevel).where(
                CertificateLevel.certificate_id == certificate.id
            )
        )
    }
    subjects = session.exec(
        select(Subject).where(Subject.certificate_level_id.in_(levels))
    ).all()
    found = {
        (subject.code, subject.name, subject.mode, levels[subject.certificate_level_id])
        for subject in subjects
    }
    assert set(MANUAL_SUBJECTS) <= found
    # The demo adds one senior practical subject the manual does not list, so the
    # senior level has three subjects weighted 40/30/30 like the others.
    assert found - set(MANUAL_SUBJECTS) == {("577976", "实操考核", "实操", "高级")}
    assert all(subject.is_active for subject in subjects)
    assert all(subject.audience == "所有考生" for subject in subjects)


def test_demo_plan_matches_manual_detail(session):
    demo.load_demo(session)
    plan = session.exec(select(ExamPlan).where(ExamPlan.code == "K202005226994")).one()
    plan_levels = session.exec(
        select(PlanLevel).where(PlanLevel.plan_id == plan.id)
    ).all()
    assert len(plan_levels) == 3
    assert {row.rule for row in plan_levels} == {PassRule.COMPOSITE}
    assert {row.pass_mark for row in plan_levels} == {60}
    pairs = session.exec(
        select(PlanSubject, Subject)
        .join(Subject, Subject.id == PlanSubject.subject_id)
        .where(PlanSubject.plan_id == plan.id)
    ).all()
    assert len(pairs) == 9
    for plan_subject, subject in pairs:
        weight, pass_mark = MANUAL_TERMS[subject.name]
        duration, start, end = DEMO_SESSIONS[subject.name]
        assert plan_subject.weight_percent == weight, subject.code
        assert plan_subject.pass_mark == pass_mark, subject.code
        assert plan_subject.duration_minutes == duration, subject.code
        sessions = session.exec(
            select(PlanSession).where(PlanSession.plan_subject_id == plan_subject.id)
        ).all()
        assert len(sessions) == 2
        times = {
            (
                catalogue.to_beijing(row.starts_at).strftime("%H:%M"),
                catalogue.to_beijing(row.ends_at).strftime("%H:%M"),
            )
            for row in sessions
        }
        assert times == {(start, end)}
    for plan_level in plan_levels:
        weights = [
            plan_subject.weight_percent
            for plan_subject, _subject in pairs
            if plan_subject.plan_level_id == plan_level.id
        ]
        assert sum(weights) == 100


def test_subject_codes_keep_leading_zero(session):
    demo.load_demo(session)
    codes = set(session.exec(select(Subject.code)).all())
    assert "043194" in codes
    assert "098994" in codes
    assert "43194" not in codes


def test_plan_status_labels_follow_windows(session):
    cat = make_catalogue(session)
    plan = make_plan(session, cat, start=beijing(2026, 12, 5))
    expected = [
        (beijing(2026, 12, 4, 23, 59, 59), "未开始"),
        (beijing(2026, 12, 5), "报名中"),
        (beijing(2026, 12, 14, 23, 59, 59), "报名中"),
        (beijing(2026, 12, 15, 12), "报名已截止"),
        (beijing(2026, 12, 16), "准考证打印中"),
        (beijing(2026, 12, 23), "考试中"),
        (beijing(2026, 12, 25), "成绩登记中"),
        (beijing(2027, 1, 4, 12), "待公示"),
        (beijing(2027, 1, 5), "成绩公示中"),
        (beijing(2027, 1, 19), "已结束"),
    ]
    for moment, label in expected:
        assert catalogue.plan_window_status(plan, moment) == label, moment


def test_is_within_includes_both_ends(session):
    cat = make_catalogue(session)
    plan = make_plan(session, cat, start=beijing(2026, 12, 5))
    start, end = plan.registration_start, plan.registration_end
    assert catalogue.is_within(plan, "registration", start)
    assert catalogue.is_within(plan, "registration", end)
    assert not catalogue.is_within(plan, "registration", start - timedelta(seconds=1))
    assert not catalogue.is_within(plan, "registration", end + timedelta(seconds=1))
    assert catalogue.is_within(plan, "exam", plan.exam_start)
    with pytest.raises(ValueError):
        catalogue.is_within(plan, "holiday", start)


def test_plan_code_is_k_and_twelve_digits(session):
    cat = make_catalogue(session)
    first = make_plan(session, cat)
    second = make_plan(session, cat, name="第二次")
    assert first.code == "K202612040001"
    assert second.code == "K202612040002"


def test_weights_not_summing_to_100_rejected(session):
    cat = make_catalogue(session)
    with pytest.raises(ValidationError) as caught:
        make_plan(session, cat, weights=(40, 30, 20))
    message = caught.value.errors[f"level_{cat.level.id}"]
    assert "90%" in message
    assert "100%" in message


def test_every_subject_rule_ignores_weights(session):
    cat = make_catalogue(session)
    plan = make_plan(session, cat, weights=(0, 0, 0), rule=PassRule.EVERY_SUBJECT)
    assert plan.code.startswith("K")


def test_windows_out_of_order_are_rejected(session):
    cat = make_catalogue(session)
    data = plan_input(cat)
    exam = data.windows["exam"]
    data.windows["score_entry"] = (exam[0] - timedelta(days=2), exam[1])
    with pytest.raises(ValidationError) as caught:
        catalogue.create_plan(session, actor=cat.org_actor, data=data)
    assert "成绩登记时间须在考试时间之后" in caught.value.errors["score_entry"]


def test_window_ending_before_start_is_rejected(session):
    cat = make_catalogue(session)
    data = plan_input(cat)
    start, end = data.windows["exam"]
    data.windows["exam"] = (end, start)
    with pytest.raises(ValidationError) as caught:
        catalogue.create_plan(session, actor=cat.org_actor, data=data)
    assert "结束时间早于开始时间" in caught.value.errors["exam"]


def test_ticket_window_overlapping_registration_rejected(session):
    cat = make_catalogue(session)
    data = plan_input(cat)
    registration = data.windows["registration"]
    data.windows["ticket"] = (registration[1], data.windows["ticket"][1])
    with pytest.raises(ValidationError) as caught:
        catalogue.create_plan(session, actor=cat.org_actor, data=data)
    assert "报名时间结束之后" in caught.value.errors["ticket"]


def test_session_outside_exam_window_is_rejected(session):
    cat = make_catalogue(session)
    data = plan_input(cat)
    terms = data.levels[0].subjects[0]
    starts_at = data.windows["exam"][1] + timedelta(hours=1)
    terms.sessions = [(starts_at, starts_at + timedelta(hours=1))]
    with pytest.raises(ValidationError) as caught:
        catalogue.create_plan(session, actor=cat.org_actor, data=data)
    assert (
        "不在考试时间范围内" in caught.value.errors[f"subject_{cat.subjects[0].code}"]
    )


def test_subject_of_other_level_is_rejected(session):
    cat = make_catalogue(session)
    other = make_catalogue(session, code_prefix="20", certificate_code="156000999")
    data = plan_input(cat)
    data.levels[0].subjects[0].subject_id = other.subjects[0].id
    with pytest.raises(ValidationError):
        catalogue.create_plan(session, actor=cat.org_actor, data=data)


def test_plan_reports_every_error(session):
    cat = make_catalogue(session)
    data = plan_input(cat, name=" ", weights=(40, 30, 20))
    data.windows["exam"] = (None, None)
    data.windows["score_entry"] = (
        data.windows["registration"][0],
        data.windows["score_entry"][1],
    )
    terms = data.levels[0].subjects[0]
    terms.pass_mark, terms.duration_minutes = 200, 0
    with pytest.raises(ValidationError) as caught:
        catalogue.create_plan(session, actor=cat.org_actor, data=data)
    errors = caught.value.errors
    assert errors["name"] == "请填写计划名称"
    assert errors["exam"] == "请填写考试时间的开始和结束时间"
    assert errors["score_entry"] == "成绩登记时间须在准考证打印之后，请调整顺序"
    assert "90%" in errors[f"level_{cat.level.id}"]
    assert errors[f"subject_{cat.subjects[0].code}"] == (
        f"科目 {cat.subjects[0].code}：合格分数须在 0 到 100 之间；请填写考试时长（分钟）"
    )


def test_unreadable_sessions_named_in_error(session):
    cat = make_catalogue(session)
    data = plan_input(cat)
    subject = cat.subjects[1]
    data.levels[0].subjects[1].sessions = []
    data.levels[0].subjects[1].duration_minutes = 2000
    errors = catalogue.plan_errors(
        session,
        org_id=cat.org.id,
        data=data,
        session_problems={subject.id: "场次“上午”格式不对"},
    )
    assert errors == {
        f"subject_{subject.code}": (
            f"科目 {subject.code}：考试时长不能超过 1440 分钟；场次“上午”格式不对"
        )
    }


def test_rules_lock_once_registration_opens(session, frozen_clock):
    cat = make_catalogue(session)
    plan = make_plan(session, cat, start=beijing(2026, 12, 5))
    frozen_clock.set(beijing(2026, 12, 5, 8, 0))
    data = plan_input(cat, weights=(50, 25, 25))
    with pytest.raises(ServiceError, match="考核规则已锁定"):
        catalogue.update_plan(
            session,
            actor=cat.org_actor,
            plan_id=plan.id,
            version=plan.version,
            data=data,
        )


def test_locked_rules_allow_audited_correction(session, frozen_clock):
    cat = make_catalogue(session)
    plan = make_plan(session, cat, start=beijing(2026, 12, 5))
    frozen_clock.set(beijing(2026, 12, 6))
    catalogue.update_plan(
        session,
        actor=cat.org_actor,
        plan_id=plan.id,
        version=plan.version,
        data=plan_input(cat, weights=(50, 25, 25)),
        correction_reason="比例录入错误",
    )
    weights = session.exec(
        select(PlanSubject.weight_percent)
        .where(PlanSubject.plan_id == plan.id)
        .order_by(PlanSubject.weight_percent)
    ).all()
    assert weights == [25, 25, 50]
    entry = session.exec(
        select(AuditEntry).where(AuditEntry.action == "exam_plan.corrected")
    ).one()
    assert entry.after["reason"] == "比例录入错误"
    assert "/40%" in entry.before["rules"]
    assert "/50%" in entry.after["rules"]


def test_update_keeps_plan_subject_rows(session):
    cat = make_catalogue(session)
    plan = make_plan(session, cat)
    before = set(
        session.exec(select(PlanSubject.id).where(PlanSubject.plan_id == plan.id))
    )
    catalogue.update_plan(
        session,
        actor=cat.org_actor,
        plan_id=plan.id,
        version=plan.version,
        data=plan_input(cat, weights=(34, 33, 33)),
    )
    after = set(
        session.exec(select(PlanSubject.id).where(PlanSubject.plan_id == plan.id))
    )
    assert after == before


def test_stale_plan_version_conflicts(session):
    cat = make_catalogue(session)
    plan = make_plan(session, cat)
    version = plan.version
    catalogue.update_plan(
        session,
        actor=cat.org_actor,
        plan_id=plan.id,
        version=version,
        data=plan_input(cat),
    )
    with pytest.raises(Conflict):
        catalogue.update_plan(
            session,
            actor=cat.org_actor,
            plan_id=plan.id,
            version=version,
            data=plan_input(cat),
        )


def test_other_org_cannot_edit_plan(session):
    cat = make_catalogue(session)
    other = make_catalogue(session, code_prefix="20", certificate_code="156000999")
    plan = make_plan(session, cat)
    with pytest.raises(AccessDenied):
        catalogue.update_plan(
            session,
            actor=other.org_actor,
            plan_id=plan.id,
            version=plan.version,
            data=plan_input(cat),
        )


def test_subject_code_must_be_six_digits(session):
    cat = make_catalogue(session)
    with pytest.raises(ValidationError) as caught:
        catalogue.create_subject(
            session,
            actor=cat.org_actor,
            data=catalogue.SubjectInput(
                code="43194",
                name="基础",
                mode="机考",
                certificate_level_id=cat.level.id,
            ),
        )
    assert "6 位数字" in caught.value.errors["code"]


def test_empty_subject_fields_named(session):
    cat = make_catalogue(session)
    with pytest.raises(ValidationError) as caught:
        catalogue.create_subject(
            session,
            actor=cat.org_actor,
            data=catalogue.SubjectInput(
                code=" ", name="", mode="", certificate_level_id=None
            ),
        )
    errors = caught.value.errors
    assert errors["code"] == "请填写科目编号：6 位数字（保留开头的 0）"
    assert errors["name"] == "请填写科目名称"
    assert errors["mode"] == "请选择考试方式：机考、实操或笔试"
    assert errors["certificate_level_id"] == "请选择本机构的考核证书和等级"
    assert "“”" not in " ".join(errors.values())


def test_duplicate_subject_code_is_rejected(session):
    cat = make_catalogue(session)
    with pytest.raises(ValidationError) as caught:
        catalogue.create_subject(
            session,
            actor=cat.org_actor,
            data=catalogue.SubjectInput(
                code=cat.subjects[0].code,
                name="重复",
                mode="笔试",
                certificate_level_id=cat.level.id,
            ),
        )
    assert "已被科目" in caught.value.errors["code"]


def test_school_cannot_create_subject(session):
    cat = make_catalogue(session)
    school = make_organisation(session)
    actor = make_actor(session, role=Role.SCHOOL_ADMIN, organisation=school)
    with pytest.raises(AccessDenied):
        catalogue.create_subject(
            session,
            actor=actor,
            data=catalogue.SubjectInput(
                code="123456", name="x", mode="机考", certificate_level_id=cat.level.id
            ),
        )


def test_subject_list_scoped_by_role(session):
    cat = make_catalogue(session)
    make_catalogue(session, code_prefix="20", certificate_code="156000999")
    school = make_organisation(session)
    school_actor = make_actor(session, role=Role.SCHOOL_ADMIN, organisation=school)
    own, own_total = catalogue.list_subjects(session, actor=cat.org_actor)
    every, every_total = catalogue.list_subjects(session, actor=school_actor)
    assert own_total == 3
    assert {row.code for row in own} == {subject.code for subject in cat.subjects}
    assert every_total == 6
    assert own[0].certificate_label == "物流管理职业技能等级证书(初级)"


def test_subject_in_plan_keeps_its_mode(session):
    cat = make_catalogue(session)
    make_plan(session, cat)
    subject = cat.subjects[0]
    with pytest.raises(ValidationError):
        catalogue.update_subject(
            session,
            actor=cat.org_actor,
            subject_id=subject.id,
            data=catalogue.SubjectInput(
                code=subject.code,
                name=subject.name,
                mode="笔试",
                certificate_level_id=subject.certificate_level_id,
            ),
        )


def test_plan_detail_lists_rules_and_sessions(session):
    cat = make_catalogue(session)
    plan = make_plan(session, cat)
    detail = catalogue.plan_detail(session, actor=cat.org_actor, plan_id=plan.id)
    assert detail.org_name == cat.org.name
    assert len(detail.levels) == 1
    level = detail.levels[0]
    assert level.label == "物流管理职业技能等级证书(初级)"
    assert level.rule_label == "综合成绩合格"
    assert [item.weight_percent for item in level.subjects] == [40, 30, 30]
    assert level.subjects[0].session_lines() == ["2026-12-23 08:00~09:30"]


def test_school_lists_published_plans_with_status(session):
    cat = make_catalogue(session)
    make_plan(session, cat, start=beijing(2026, 12, 1))
    school = make_organisation(session)
    actor = make_actor(session, role=Role.SCHOOL_ADMIN, organisation=school)
    rows, total = catalogue.list_plans(session, actor=actor)
    assert total == 1
    assert rows[0].status == "报名中"
    assert rows[0].subject_count == 3
    assert rows[0].windows[0] == "报名时间：2026-12-01 ~ 2026-12-10"


def test_certificate_level_with_subjects_cannot_be_removed(session):
    cat = make_catalogue(session)
    with pytest.raises(ValidationError):
        catalogue.update_certificate(
            session,
            actor=cat.org_actor,
            certificate_id=cat.certificate_id,
            name="物流管理职业技能等级证书",
            short_name="物流管理",
            levels=["中级"],
        )


def _sheet(rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_subject_import_adds_updates_and_reports(session):
    cat = make_catalogue(session)
    existing = cat.subjects[0]
    data = _sheet(
        [
            subject_sheets.HEADERS,
            ["043194", "基础考核", "机考", "156000310", "初级", "所有考生", "启用"],
            [43195, "理论考核", "笔试", "156000310", "初级", "院校学生", "停用"],
            [existing.code, "基础考核（新）", "机考", "156000310", "初级", "", "启用"],
            ["12345X", "坏编号", "机考", "156000310", "初级", "", ""],
            ["555555", "无证书", "机考", "999", "初级", "", ""],
        ]
    )
    report = subject_sheets.import_subjects(
        session, actor=cat.org_actor, data=data, filename="科目.xlsx"
    )
    assert report.added == 2
    assert report.updated == 1
    assert report.failed == 2
    assert [row.row_number for row in report.rows if row.errors] == [5, 6]
    added = session.exec(select(Subject).where(Subject.code == "043195")).one()
    assert added.audience == "院校学生"
    assert added.is_active is False
    assert session.get(Subject, existing.id).name == "基础考核（新）"
    assert session.exec(select(Subject).where(Subject.code == "12345X")).first() is None


def test_subject_import_names_missing_certificate(session):
    cat = make_catalogue(session)
    data = _sheet(
        [
            subject_sheets.HEADERS,
            ["555555", "无证书", "机考", "", "初级", "", ""],
            ["555556", "无等级", "机考", "156000310", "", "", ""],
        ]
    )
    report = subject_sheets.import_subjects(
        session, actor=cat.org_actor, data=data, filename="科目.xlsx"
    )
    assert [row.errors for row in report.rows] == [
        ["证书编号和证书等级都必须填写"],
        ["证书编号和证书等级都必须填写"],
    ]


def test_subject_import_rejects_wrong_header(session):
    cat = make_catalogue(session)
    with pytest.raises(ValidationError) as caught:
        subject_sheets.import_subjects(
            session,
            actor=cat.org_actor,
            data=_sheet([["编号", "名称"]]),
            filename="x.xlsx",
        )
    assert "表头与模板不一致" in caught.value.errors["file"]


def test_subject_template_has_headers(session):
    rows = subject_sheets.read_rows(subject_sheets.subject_template(), "模板.xlsx")
    assert rows == [subject_sheets.EXAMPLE_ROW]


def test_plan_detail_orders_levels_junior_first(session):
    demo.load_demo(session)
    plan = session.exec(select(ExamPlan).where(ExamPlan.code == "K202005226994")).one()
    org_actor = make_actor(
        session,
        role=Role.ORG_ADMIN,
        organisation=session.get(Organisation, plan.org_id),
    )
    detail = catalogue.plan_detail(session, actor=org_actor, plan_id=plan.id)
    assert [level.label[-3:-1] for level in detail.levels] == ["初级", "中级", "高级"]
