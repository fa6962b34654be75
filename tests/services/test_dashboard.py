import pytest
from sqlmodel import select

from xcert_app.clock import beijing
from xcert_app.models.accounts import Account
from xcert_app.models.candidates import Candidate
from xcert_app.models.catalogue import ExamPlan, PlanSubject, Subject
from xcert_app.models.declarations import (
    Declaration,
    DeclarationPlan,
    DeclarationStatus,
)
from xcert_app.models.registrations import Registration
from xcert_app.services import accounts, dashboard, demo, pilot_years


@pytest.fixture
def year(session):
    demo.load_demo(session)
    session.flush()
    return session


def actor(session, username):
    account = session.exec(select(Account).where(Account.username == username)).one()
    return accounts.actor_for_account(session, account)


def test_timeline_marks_current_window(year, frozen_clock):
    plan = year.exec(select(ExamPlan)).one()
    timeline = dashboard.plan_timeline(plan, frozen_clock.now())
    assert [bar.label for bar in timeline.bars] == [
        "报名",
        "准考证打印",
        "考试",
        "成绩登记",
        "成绩公示",
    ]
    assert timeline.current_step == "报名"
    assert timeline.bars[0].is_current
    assert 0 < timeline.today_left < timeline.bars[1].left
    frozen_clock.set(beijing(2027, 6, 1))
    assert dashboard.plan_timeline(plan, frozen_clock.now()).current_step == "已结束"


def test_school_sees_plans_of_its_approved_certificates(year):
    assert [
        plan.code
        for plan in dashboard.plans_involving(year, actor=actor(year, "cnu_admin"))
    ] == ["K202005226994"]
    assert dashboard.plans_involving(year, actor=actor(year, "bpi_head")) == []
    assert [
        plan.code
        for plan in dashboard.plans_involving(year, actor=actor(year, "wuliu_org"))
    ] == ["K202005226994"]
    assert dashboard.plans_involving(year, actor=actor(year, "qiche_org")) == []


def register_one_candidate(session, school_actor) -> None:
    """Register the first demo candidate for one subject of the demo plan."""
    plan = session.exec(select(ExamPlan)).one()
    candidate = session.exec(select(Candidate)).first()
    subject = session.exec(select(Subject).where(Subject.code == "043194")).one()
    plan_subject = session.exec(
        select(PlanSubject).where(PlanSubject.subject_id == subject.id)
    ).one()
    session.add(
        Registration(
            plan_id=plan.id,
            plan_subject_id=plan_subject.id,
            subject_id=subject.id,
            certificate_level_id=subject.certificate_level_id,
            candidate_id=candidate.id,
            school_id=school_actor.organisation_id,
        )
    )
    session.flush()


def test_school_numbers_count_quota_and_registrations(year):
    school_actor = actor(year, "cnu_admin")
    register_one_candidate(year, school_actor)
    [row] = dashboard.school_numbers(year, actor=school_actor)
    assert row["certificate"] == "物流管理职业技能等级证书"
    assert row["quota"] == 150
    assert row["candidates"] == 1
    assert row["registrations"] == 1
    assert row["paid"] == 0
    assert row["pass_rate"] == "—"


def test_province_numbers_per_school_and_certificate(year):
    rows = dashboard.province_numbers(year, actor=actor(year, "bj_province"))
    assert rows == [
        {
            "school": "首都师范大学",
            "certificate": "物流管理职业技能等级证书",
            "declared": 1,
            "approved": 1,
            "planned": 200,
            "approved_count": 150,
        }
    ]


def test_org_numbers_start_empty(year):
    assert dashboard.org_numbers(year, actor=actor(year, "wuliu_org")) == []


# The demo year is loaded on 2026-12-04: its declarations belong to 2026 and its
# plan opens registration on 2026-12-01 and ends publication on 2027-01-18.
JANUARY = beijing(2027, 1, 25, 10, 0)


def test_pilot_year_in_january_is_last_year(year, frozen_clock):
    frozen_clock.set(JANUARY)

    for username in ("cnu_admin", "bj_province", "bj_city"):
        assert pilot_years.pilot_year(year, actor=actor(year, username)) == 2026
    assert pilot_years.pilot_year(year, actor=actor(year, "operator")) == 2027
    # No plan of this organisation has registrations yet.
    assert pilot_years.pilot_year(year, actor=actor(year, "wuliu_org")) == 2027


def test_school_numbers_in_january_keep_last_year(year, frozen_clock):
    school_actor = actor(year, "cnu_admin")
    register_one_candidate(year, school_actor)
    frozen_clock.set(JANUARY)

    [row] = dashboard.school_numbers(year, actor=school_actor)
    plans = dashboard.plans_involving(year, actor=school_actor)

    assert row["certificate"] == "物流管理职业技能等级证书"
    assert row["quota"] == 150
    assert row["candidates"] == 1
    assert row["registrations"] == 1
    assert [plan.code for plan in plans] == ["K202005226994"]


def test_province_numbers_in_january_keep_last_year(year, frozen_clock):
    frozen_clock.set(JANUARY)

    rows = dashboard.province_numbers(year, actor=actor(year, "bj_province"))

    assert [(row["school"], row["approved_count"]) for row in rows] == [
        ("首都师范大学", 150)
    ]


def test_org_numbers_in_january_keep_last_year(year, frozen_clock):
    school_actor = actor(year, "cnu_admin")
    org_actor = actor(year, "wuliu_org")
    register_one_candidate(year, school_actor)
    frozen_clock.set(JANUARY)

    rows = dashboard.org_numbers(year, actor=org_actor)
    plans = dashboard.plans_involving(year, actor=org_actor)

    assert pilot_years.pilot_year(year, actor=org_actor) == 2026
    assert [(row["school"], row["registrations"]) for row in rows] == [
        ("首都师范大学", 1)
    ]
    assert [plan.code for plan in plans] == ["K202005226994"]


def test_school_moves_to_new_pilot_year_in_january(year, frozen_clock):
    school_actor = actor(year, "cnu_admin")
    register_one_candidate(year, school_actor)
    approve_declaration_of_2027(year, school_actor)

    december_year = pilot_years.pilot_year(year, actor=school_actor)
    frozen_clock.set(JANUARY)
    [row] = dashboard.school_numbers(year, actor=school_actor)

    assert december_year == 2026
    assert pilot_years.pilot_year(year, actor=school_actor) == 2027
    assert row["quota"] == 90
    assert row["registrations"] == 0


def approve_declaration_of_2027(session, school_actor) -> None:
    """Approve a 2027 logistics declaration of the school, decided in December 2026."""
    last_year = session.exec(select(DeclarationPlan)).one()
    [declaration] = session.exec(select(Declaration)).all()
    plan = DeclarationPlan(
        department_id=last_year.department_id,
        province_code=last_year.province_code,
        year=2027,
        batch_name="2027年第一次",
        opens_at=beijing(2026, 12, 1),
        closes_at=beijing(2026, 12, 31),
    )
    session.add(plan)
    session.flush()
    session.add(
        Declaration(
            plan_id=plan.id,
            school_id=school_actor.organisation_id,
            certificate_id=declaration.certificate_id,
            planned_count=100,
            approved_count=90,
            status=DeclarationStatus.APPROVED,
        )
    )
    session.flush()
