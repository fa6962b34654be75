import pytest
from sqlmodel import select

from xcert_app.clock import beijing
from xcert_app.models.accounts import Account
from xcert_app.models.candidates import Candidate
from xcert_app.models.catalogue import ExamPlan, PlanSubject, Subject
from xcert_app.models.registrations import Registration
from xcert_app.services import accounts, dashboard, demo


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


def test_school_numbers_count_quota_and_registrations(year):
    school_actor = actor(year, "cnu_admin")
    plan = year.exec(select(ExamPlan)).one()
    candidate = year.exec(select(Candidate)).first()
    subject = year.exec(select(Subject).where(Subject.code == "043194")).one()
    plan_subject = year.exec(
        select(PlanSubject).where(PlanSubject.subject_id == subject.id)
    ).one()
    year.add(
        Registration(
            plan_id=plan.id,
            plan_subject_id=plan_subject.id,
            subject_id=subject.id,
            certificate_level_id=subject.certificate_level_id,
            candidate_id=candidate.id,
            school_id=school_actor.organisation_id,
        )
    )
    year.flush()
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
