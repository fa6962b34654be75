from datetime import timedelta

import pytest
from sqlmodel import select

from tests.factories import make_organisation
from tests.factories_registration import (
    WINDOW_END,
    WINDOW_START,
    add_candidates,
    add_subject,
    approve_pilot,
    by_certificate,
    by_subject,
    make_year,
    workbook,
)
from tests.factories_xlsx import with_cells
from xcert_app.models.candidates import CandidateKind, VerificationStatus
from xcert_app.models.catalogue import Audience, PlanSubject
from xcert_app.models.declarations import DeclarationStatus
from xcert_app.models.registrations import Registration, RegistrationStatus
from xcert_app.models.system import AuditEntry
from xcert_app.services import registrations
from xcert_app.services.errors import AccessDenied, Conflict, ServiceError
from xcert_app.services.masking import mask_id_number
from xcert_app.services.registrations import Rule
from xcert_app.spreadsheets.registrations import ImportKind


def _import(session, year, data, kind=ImportKind.CERTIFICATE, **options):
    return registrations.import_registrations(
        session,
        actor=options.pop("actor", year.school_actor),
        plan_id=year.plan.id,
        data=data,
        file_name="报考.xlsx",
        kind=kind,
        **options,
    )


def _delete(session, year, data, **options):
    return registrations.delete_registrations(
        session,
        actor=year.school_actor,
        plan_id=year.plan.id,
        data=data,
        file_name="删除.xlsx",
        **options,
    )


def _registrations(session, year):
    return session.exec(
        select(Registration).where(Registration.plan_id == year.plan.id)
    ).all()


def test_certificate_import_registers_every_subject_of_level(session):
    year = make_year(session)
    candidates = add_candidates(session, year, 2)
    report = _import(session, year, by_certificate(year, candidates))
    assert report.applied
    assert report.accepted_rows == 2
    assert report.changed == 6
    assert report.refused == []
    found = _registrations(session, year)
    junior = {
        s.id
        for s in year.subjects.values()
        if s.certificate_level_id == year.levels["初级"].id
    }
    assert {r.subject_id for r in found} == junior
    assert {r.status for r in found} == {RegistrationStatus.REGISTERED}
    assert {r.school_id for r in found} == {year.school.id}


def test_subject_import_registers_named_subject_only(session):
    year = make_year(session)
    [candidate] = add_candidates(session, year, 1)
    code = next(iter(year.subjects))
    report = _import(session, year, by_subject([(candidate, code)]), ImportKind.SUBJECT)
    assert report.changed == 1
    [registration] = _registrations(session, year)
    assert registration.subject_id == year.subjects[code].id


def test_subject_code_stored_as_number_keeps_leading_zero(session):
    year = make_year(session)
    [candidate] = add_candidates(session, year, 1)
    code = next(code for code in year.subjects if code.startswith("0"))
    data = workbook(["证件号码", "科目编码"], [[candidate.id_number, int(code)]])
    report = _import(session, year, data, ImportKind.SUBJECT)
    assert report.changed == 1
    [registration] = _registrations(session, year)
    assert registration.subject_id == year.subjects[code].id


def test_subject_code_of_five_text_digits_is_refused(session):
    year = make_year(session)
    [candidate] = add_candidates(session, year, 1)
    code = next(code for code in year.subjects if code.startswith("0"))
    report = _import(
        session, year, by_subject([(candidate, code[1:])]), ImportKind.SUBJECT
    )
    [refusal] = report.refused
    assert refusal.rule == Rule.FILE
    assert "6 位数字" in refusal.message


def test_id_stored_as_number_is_refused_not_repaired(session):
    year = make_year(session)
    [candidate] = add_candidates(session, year, 1)
    data = workbook(
        ["证件号码", "证书名称", "证书等级"],
        [[float(candidate.id_number[:17]), year.certificate.name, "初级"]],
    )
    report = _import(session, year, data)
    [refusal] = report.refused
    assert refusal.rule == Rule.FILE
    assert "存成了数字" in refusal.message
    assert _registrations(session, year) == []


def test_title_row_and_messy_cells_read(session):
    year = make_year(session)
    [candidate] = add_candidates(session, year, 1)
    messy_id = "\u200b" + candidate.id_number.lower() + "\u3000"
    data = workbook(
        ["\ufeff证件号码 ", "*证书名称", "证书等级\u00a0"],
        [[messy_id, f" {year.certificate.name}", "初级"], [" ", "\u3000", ""]],
        title_row="2026年报考名单",
    )
    report = _import(session, year, data)
    assert report.changed == 3
    assert report.blank_rows == 1


def test_refused_row_cites_sheet_row_number(session):
    year = make_year(session)
    data = workbook(
        ["证件号码", "证书名称", "证书等级"],
        [["110101199003071233", year.certificate.name, "初级"]],
        title_row="标题",
    )
    [refusal] = _import(session, year, data).refused
    assert refusal.row_number == 3
    assert refusal.rule == Rule.CANDIDATE
    assert refusal.id_number == "110101*****1233"


def test_subject_formula_cells_named_per_row(session):
    year = make_year(session)
    first, third = add_candidates(session, year, 2)
    code = next(iter(year.subjects))
    data = with_cells(
        workbook(
            ["证件号码", "科目编码", "备注"],
            [
                [first.id_number, code, ""],
                ["", code, ""],
                [third.id_number, code, ""],
                ["", "", ""],
            ],
        ),
        {
            "B2": '<c r="B2"><f>TEXT(B9,"000000")</f></c>',
            "A3": '<c r="A3" t="e"><f>VLOOKUP(D3,名单!A:B,2,0)</f><v>#N/A</v></c>',
            "B4": f'<c r="B4" t="str"><f>"{code}"</f><v>{code}</v></c>',
            "C5": '<c r="C5" t="e"><v>#DIV/0!</v></c>',
        },
    )

    report = _import(session, year, data, ImportKind.SUBJECT)

    assert report.accepted_rows == 1
    assert report.blank_rows == 1
    assert [refusal.row_number for refusal in report.refused] == [2, 3]
    assert [refusal.rule for refusal in report.refused] == [Rule.FILE, Rule.FILE]
    assert report.refused[0].id_number == mask_id_number(first.id_number)
    assert report.refused[0].message == (
        '第 2 行「科目编码」是公式（=TEXT(B9,"000000")），文件中没有它的计算结果。'
        "请在 Excel 中打开并保存，或把该列复制后“选择性粘贴-数值”再导入"
    )
    assert report.refused[1].message == (
        "第 3 行「证件号码」是公式（=VLOOKUP(D3,名单!A:B,2,0)），计算结果是错误值 #N/A。"
        "请在 Excel 中改正公式，或直接填写正确的内容后再导入"
    )
    [registration] = _registrations(session, year)
    assert registration.candidate_id == third.id


def test_certificate_formula_cells_named_per_row(session):
    year = make_year(session)
    [candidate] = add_candidates(session, year, 1)
    data = with_cells(
        by_certificate(year, [candidate]),
        {
            "B2": '<c r="B2"><f>名单!C2</f></c>',
            "C2": '<c r="C2" t="e"><v>#REF!</v></c>',
        },
    )

    [refusal] = _import(session, year, data).refused

    assert refusal.row_number == 2
    assert refusal.rule == Rule.FILE
    assert refusal.message == (
        "第 2 行「证书名称」是公式（=名单!C2），文件中没有它的计算结果。"
        "请在 Excel 中打开并保存，或把该列复制后“选择性粘贴-数值”再导入；"
        "第 2 行「证书等级」是错误值 #REF!，请填写正确的内容后再导入"
    )
    assert _registrations(session, year) == []


def test_file_that_is_not_a_workbook_is_refused(session):
    year = make_year(session)
    with pytest.raises(ServiceError, match="不是 Excel 工作簿"):
        _import(session, year, "证件号码,科目编码\n".encode("gbk"))


def test_file_of_other_template_is_refused(session):
    year = make_year(session)
    [candidate] = add_candidates(session, year, 1)
    data = by_subject([(candidate, next(iter(year.subjects)))])
    with pytest.raises(ServiceError, match="与所选导入方式不符"):
        _import(session, year, data, ImportKind.CERTIFICATE)


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        (WINDOW_START - timedelta(seconds=1), False),
        (WINDOW_START, True),
        (WINDOW_END, True),
        (WINDOW_END + timedelta(seconds=1), False),
    ],
)
def test_registration_window_edges(session, frozen_clock, moment, is_open):
    year = make_year(session)
    candidates = add_candidates(session, year, 1)
    frozen_clock.set(moment)
    if is_open:
        assert _import(session, year, by_certificate(year, candidates)).changed == 3
    else:
        with pytest.raises(ServiceError, match="报考时间"):
            _import(session, year, by_certificate(year, candidates))


def test_window_message_shows_beijing_times(session, frozen_clock):
    year = make_year(session)
    candidates = add_candidates(session, year, 1)
    frozen_clock.set(WINDOW_END + timedelta(seconds=1))
    with pytest.raises(ServiceError) as raised:
        _import(session, year, by_certificate(year, candidates))
    assert "2026-12-01 00:00:00 至 2026-12-14 23:59:59（北京时间），已经结束" in str(
        raised.value
    )


def test_deletion_outside_window_is_refused(session, frozen_clock):
    year = make_year(session)
    candidates = add_candidates(session, year, 1)
    _import(session, year, by_certificate(year, candidates))
    frozen_clock.set(WINDOW_END + timedelta(seconds=1))
    with pytest.raises(ServiceError, match="删除报考只能在报考时间内"):
        _delete(session, year, by_certificate(year, candidates))
    assert len(_registrations(session, year)) == 3


@pytest.mark.parametrize(
    ("status", "accepted"),
    [
        (VerificationStatus.VERIFIED, True),
        (VerificationStatus.CONFIRMED, True),
        (VerificationStatus.PENDING, False),
        (VerificationStatus.NEEDS_CONFIRMATION, False),
    ],
)
def test_only_verified_candidates_register(session, status, accepted):
    year = make_year(session)
    candidates = add_candidates(session, year, 1, status=status)
    report = _import(session, year, by_certificate(year, candidates))
    if accepted:
        assert report.changed == 3
    else:
        [refusal] = report.refused
        assert refusal.rule == Rule.VERIFICATION
        assert "人工确认" in refusal.message


def test_candidate_of_other_school_is_not_found(session):
    year = make_year(session)
    other = make_organisation(session)
    candidates = add_candidates(session, year, 1, school=other)
    [refusal] = _import(session, year, by_certificate(year, candidates)).refused
    assert refusal.rule == Rule.CANDIDATE
    assert "请先在考生管理中导入" in refusal.message


@pytest.mark.parametrize(
    ("audience", "kind", "accepted"),
    [
        (Audience.ALL, CandidateKind.SOCIAL, True),
        (Audience.SCHOOL, CandidateKind.SCHOOL, True),
        (Audience.SCHOOL, CandidateKind.SOCIAL, False),
        (Audience.SOCIAL, CandidateKind.SOCIAL, True),
        (Audience.SOCIAL, CandidateKind.SCHOOL, False),
    ],
)
def test_subject_audience_must_match_candidate_kind(session, audience, kind, accepted):
    year = make_year(session)
    [candidate] = add_candidates(session, year, 1, kind=kind)
    subject = add_subject(
        session, level=year.levels["中级"], code="555501", audience=audience
    )
    plan_level_id = session.exec(
        select(PlanSubject.plan_level_id).where(PlanSubject.plan_id == year.plan.id)
    ).all()[-1]
    session.add(
        PlanSubject(
            plan_id=year.plan.id, plan_level_id=plan_level_id, subject_id=subject.id
        )
    )
    session.flush()
    report = _import(
        session, year, by_subject([(candidate, "555501")]), ImportKind.SUBJECT
    )
    if accepted:
        assert report.changed == 1
    else:
        [refusal] = report.refused
        assert refusal.rule == Rule.AUDIENCE
        assert "仅限" in refusal.message


def test_certificate_import_refuses_level_with_restricted_subject(session):
    year = make_year(session)
    [candidate] = add_candidates(session, year, 1, kind=CandidateKind.SOCIAL)
    subject = next(iter(year.subjects.values()))
    subject.audience = Audience.SCHOOL
    session.add(subject)
    session.flush()
    [refusal] = _import(session, year, by_certificate(year, [candidate])).refused
    assert refusal.rule == Rule.AUDIENCE
    assert "按科目导入" in refusal.message


def test_school_without_approved_pilot_is_refused(session):
    year = make_year(session)
    year.declaration.status = DeclarationStatus.PENDING_PROVINCE
    session.add(year.declaration)
    session.flush()
    candidates = add_candidates(session, year, 1)
    [refusal] = _import(session, year, by_certificate(year, candidates)).refused
    assert refusal.rule == Rule.PILOT


def test_pilot_of_another_year_does_not_count(session):
    year = make_year(session)
    session.delete(year.declaration)
    session.flush()
    approve_pilot(
        session, school=year.school, certificate=year.certificate, quota=10, year=2025
    )
    candidates = add_candidates(session, year, 1)
    [refusal] = _import(session, year, by_certificate(year, candidates)).refused
    assert refusal.rule == Rule.PILOT
    assert "2026 年没有获批" in refusal.message


def test_quota_admits_exactly_the_approved_count(session):
    year = make_year(session, quota=3)
    candidates = add_candidates(session, year, 3)
    report = _import(session, year, by_certificate(year, candidates))
    assert report.accepted_rows == 3
    assert report.refused == []


def test_quota_refuses_one_candidate_over_the_limit(session):
    year = make_year(session, quota=3)
    candidates = add_candidates(session, year, 4)
    report = _import(session, year, by_certificate(year, candidates))
    assert report.accepted_rows == 3
    [refusal] = report.refused
    assert refusal.rule == Rule.QUOTA
    assert refusal.row_number == 5
    assert "核定人数为 3 人" in refusal.message


def test_quota_counts_candidates_not_subjects(session):
    year = make_year(session, quota=1)
    [candidate] = add_candidates(session, year, 1)
    _import(session, year, by_certificate(year, [candidate], "初级"))
    report = _import(session, year, by_certificate(year, [candidate], "中级"))
    assert report.refused == []
    assert report.changed == 2


def test_quota_counts_earlier_imports(session):
    year = make_year(session, quota=2)
    first = add_candidates(session, year, 2)
    _import(session, year, by_certificate(year, first))
    later = add_candidates(session, year, 1)
    [refusal] = _import(session, year, by_certificate(year, later)).refused
    assert refusal.rule == Rule.QUOTA


def test_same_candidate_and_subject_twice_is_duplicate(session):
    year = make_year(session)
    candidates = add_candidates(session, year, 1)
    _import(session, year, by_certificate(year, candidates))
    [refusal] = _import(session, year, by_certificate(year, candidates)).refused
    assert refusal.rule == Rule.DUPLICATE
    assert len(_registrations(session, year)) == 3


def test_duplicate_rows_in_one_file_name_each_other(session):
    year = make_year(session)
    [candidate] = add_candidates(session, year, 1)
    report = _import(session, year, by_certificate(year, [candidate, candidate]))
    assert report.accepted_rows == 1
    [refusal] = report.refused
    assert refusal.rule == Rule.DUPLICATE
    assert refusal.row_number == 3
    assert "与第 2 行重复" in refusal.message


def test_all_or_nothing_writes_nothing(session):
    year = make_year(session)
    good = add_candidates(session, year, 2)
    bad = add_candidates(session, year, 1, status=VerificationStatus.PENDING)
    report = _import(
        session, year, by_certificate(year, good + bad), all_or_nothing=True
    )
    assert not report.applied
    assert report.changed == 0
    assert len(report.refused) == 1
    assert "未做任何修改" in report.summary
    assert _registrations(session, year) == []


def test_valid_rows_go_in_when_chosen(session):
    year = make_year(session)
    good = add_candidates(session, year, 2)
    bad = add_candidates(session, year, 1, status=VerificationStatus.PENDING)
    report = _import(session, year, by_certificate(year, good + bad))
    assert report.applied
    assert report.accepted_rows == 2
    assert len(_registrations(session, year)) == 6


def test_unknown_certificate_and_level_are_refused(session):
    year = make_year(session)
    [candidate] = add_candidates(session, year, 1)
    data = workbook(
        ["证件号码", "证书名称", "证书等级"],
        [
            [candidate.id_number, "不存在的证书", "初级"],
            [candidate.id_number, year.certificate.name, "高级"],
            [candidate.id_number, year.certificate.name, "特级"],
        ],
    )
    refused = _import(session, year, data).refused
    assert [r.rule for r in refused] == [Rule.PLAN, Rule.PLAN, Rule.FILE]


def test_import_is_recorded_in_audit_log(session):
    year = make_year(session)
    _import(session, year, by_certificate(year, add_candidates(session, year, 1)))
    entry = session.exec(
        select(AuditEntry).where(AuditEntry.action == "registration.import")
    ).one()
    assert entry.after["added"] == 3


def test_organisation_account_cannot_import(session):
    year = make_year(session)
    candidates = add_candidates(session, year, 1)
    with pytest.raises(AccessDenied):
        _import(session, year, by_certificate(year, candidates), actor=year.org_actor)


def test_delete_by_subject_removes_named_registrations(session):
    year = make_year(session)
    [candidate] = add_candidates(session, year, 1)
    _import(session, year, by_certificate(year, [candidate]))
    junior = [
        c
        for c in sorted(year.subjects)
        if year.subjects[c].certificate_level_id == year.levels["初级"].id
    ]
    report = _delete(
        session, year, by_subject([(candidate, junior[0]), (candidate, junior[1])])
    )
    assert report.changed == 2
    left = _registrations(session, year)
    assert [r.subject_id for r in left] == [year.subjects[junior[2]].id]


def test_delete_by_certificate_removes_whole_level(session):
    year = make_year(session)
    candidates = add_candidates(session, year, 1)
    _import(session, year, by_certificate(year, candidates))
    report = _delete(session, year, by_certificate(year, candidates))
    assert report.changed == 3
    assert _registrations(session, year) == []


def test_delete_of_missing_registration_is_refused(session):
    year = make_year(session)
    [candidate] = add_candidates(session, year, 1)
    [refusal] = _delete(session, year, by_certificate(year, [candidate])).refused
    assert refusal.rule == Rule.STATUS
    assert "没有报考" in refusal.message


@pytest.mark.parametrize(
    "status", [RegistrationStatus.PAID, RegistrationStatus.SCHEDULED]
)
def test_paid_or_scheduled_registration_cannot_be_deleted(session, status):
    year = make_year(session)
    candidates = add_candidates(session, year, 1)
    _import(session, year, by_certificate(year, candidates))
    first = _registrations(session, year)[0]
    first.status = status
    session.add(first)
    session.flush()
    report = _delete(session, year, by_certificate(year, candidates))
    [refusal] = report.refused
    assert refusal.rule == Rule.STATUS
    assert "不能删除" in refusal.message
    assert len(_registrations(session, year)) == 3


def test_concurrent_duplicate_becomes_conflict(session, monkeypatch):
    year = make_year(session)
    candidates = add_candidates(session, year, 1)
    _import(session, year, by_certificate(year, candidates))
    # Pretend the earlier registrations were committed after this import read them.
    monkeypatch.setattr(registrations, "_existing_keys", lambda *args: set())
    with pytest.raises(Conflict, match="请重新导入"):
        _import(session, year, by_certificate(year, candidates))
