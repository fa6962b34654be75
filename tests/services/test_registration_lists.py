from io import BytesIO

from openpyxl import load_workbook
from sqlmodel import select

from tests.factories import make_actor, make_organisation
from tests.factories_registration import add_candidates, by_certificate, make_year
from xcert_app.models.accounts import Role
from xcert_app.models.orgs import OrgKind
from xcert_app.models.registrations import Registration, RegistrationStatus
from xcert_app.services import registration_lists, registrations
from xcert_app.services.registration_lists import RegistrationFilter
from xcert_app.spreadsheets.registrations import ImportKind


def _register(session, year, candidates):
    registrations.import_registrations(
        session,
        actor=year.school_actor,
        plan_id=year.plan.id,
        data=by_certificate(year, candidates),
        file_name="报考.xlsx",
        kind=ImportKind.CERTIFICATE,
    )


def _registrations(session, year):
    return session.exec(
        select(Registration).where(Registration.plan_id == year.plan.id)
    ).all()


def test_list_filters_counts_and_masks(session):
    year = make_year(session)
    candidates = add_candidates(session, year, 2)
    _register(session, year, candidates)
    first = _registrations(session, year)[0]
    first.status = RegistrationStatus.PAID
    session.add(first)
    session.flush()
    page = registration_lists.list_registrations(
        session,
        actor=year.school_actor,
        filters=RegistrationFilter(
            plan_id=year.plan.id, status=RegistrationStatus.REGISTERED
        ),
    )
    assert page.total == 5
    assert page.status_counts == {"registered": 5, "paid": 1, "scheduled": 0}
    assert all("*****" in row.id_number for row in page.rows)
    assert {row.status_label for row in page.rows} == {"已报考"}


def test_list_search_by_name_and_full_id(session):
    year = make_year(session)
    candidates = add_candidates(session, year, 2)
    _register(session, year, candidates)
    by_name = registration_lists.list_registrations(
        session,
        actor=year.school_actor,
        filters=RegistrationFilter(search=candidates[0].name),
    )
    by_id = registration_lists.list_registrations(
        session,
        actor=year.school_actor,
        filters=RegistrationFilter(search=candidates[1].id_number.lower()),
    )
    assert {row.candidate_name for row in by_name.rows} == {candidates[0].name}
    assert {row.candidate_name for row in by_id.rows} == {candidates[1].name}


def test_list_filters_by_subject_and_certificate(session):
    year = make_year(session)
    candidates = add_candidates(session, year, 2)
    _register(session, year, candidates)
    junior_level = year.levels["初级"].id
    code = next(
        code
        for code, subject in sorted(year.subjects.items())
        if subject.certificate_level_id == junior_level
    )
    by_code = registration_lists.list_registrations(
        session,
        actor=year.school_actor,
        filters=RegistrationFilter(subject_id=year.subjects[code].id),
    )
    by_cert = registration_lists.list_registrations(
        session,
        actor=year.school_actor,
        filters=RegistrationFilter(certificate_id=year.certificate.id),
    )
    assert by_code.total == 2
    assert by_cert.total == 6


def test_other_school_sees_none_and_org_sees_all(session):
    year = make_year(session)
    _register(session, year, add_candidates(session, year, 1))
    other = make_actor(
        session, role=Role.SCHOOL_ADMIN, organisation=make_organisation(session)
    )
    other_org = make_actor(
        session,
        role=Role.ORG_ADMIN,
        organisation=make_organisation(session, kind=OrgKind.ASSESSMENT_ORG),
    )
    empty = RegistrationFilter()
    assert (
        registration_lists.list_registrations(session, actor=other, filters=empty).total
        == 0
    )
    assert (
        registration_lists.list_registrations(
            session, actor=other_org, filters=empty
        ).total
        == 0
    )
    assert (
        registration_lists.list_registrations(
            session, actor=year.org_actor, filters=empty
        ).total
        == 3
    )


def test_export_contains_masked_rows(session):
    year = make_year(session)
    [candidate] = add_candidates(session, year, 1)
    _register(session, year, [candidate])
    data = registration_lists.export_registrations(
        session, actor=year.school_actor, filters=RegistrationFilter()
    )
    sheet = load_workbook(BytesIO(data)).active
    rows = list(sheet.values)
    assert rows[0][:4] == ("考试计划", "院校", "姓名", "证件号码")
    assert len(rows) == 4
    assert rows[1][3] == candidate.id_number[:6] + "*****" + candidate.id_number[-4:]


def test_summary_counts_per_school_and_subject(session):
    year = make_year(session)
    _register(session, year, add_candidates(session, year, 2))
    summary = registration_lists.summary_by_school_and_subject(
        session, actor=year.org_actor, plan_id=year.plan.id
    )
    assert len(summary) == 3
    assert {row.registered for row in summary} == {2}
    assert {row.school_name for row in summary} == {year.school.name}
