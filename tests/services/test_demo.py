from datetime import time

import pytest
from sqlmodel import func, select

from xcert_app.clock import to_beijing
from xcert_app.models.accounts import Account
from xcert_app.models.candidates import Candidate
from xcert_app.models.catalogue import ExamPlan, PlanSession, PlanSubject, Subject
from xcert_app.models.reference import Division, Institution
from xcert_app.services import accounts, catalogue, demo
from xcert_app.services.errors import ServiceError


def test_demo_loads_into_empty_database(session):
    counts = demo.load_demo(session)
    assert counts["institutions"] == 2631
    assert session.get(Institution, "4111010028").name == "首都师范大学"
    assert session.get(Division, "110000").name == "北京市"
    subjects = {
        subject.code: subject for subject in session.exec(select(Subject)).all()
    }
    assert subjects["043194"].mode == "机考"
    assert subjects["098994"].name == "基础考核"
    plan = session.exec(select(ExamPlan).where(ExamPlan.code == "K202005226994")).one()
    weights = sorted(
        ps.weight_percent
        for ps in session.exec(
            select(PlanSubject).where(PlanSubject.plan_id == plan.id)
        ).all()
    )
    assert weights == [30] * 6 + [40] * 3
    numbers = session.exec(
        select(Candidate.id_number, Candidate.id_number_reversed)
    ).all()
    assert numbers
    assert all(backwards == number[::-1] for number, backwards in numbers)


def test_demo_refuses_non_empty_database_and_changes_nothing(session):
    demo.load_demo(session)
    before = session.exec(select(func.count()).select_from(Institution)).one()
    with pytest.raises(ServiceError, match="空数据库"):
        demo.load_demo(session)
    assert session.exec(select(func.count()).select_from(Institution)).one() == before


def test_institution_names_lose_line_breaks(session):
    demo.load_demo(session)
    names = session.exec(
        select(Institution.name).where(Institution.name.contains("方正软件"))
    ).all()
    assert names == ["北京北大方正软件职业技术学院"]


def test_demo_duration_is_one_session_long(session):
    demo.load_demo(session)
    plan = session.exec(select(ExamPlan).where(ExamPlan.code == "K202005226994")).one()
    account = session.exec(select(Account).where(Account.username == "wuliu_org")).one()
    actor = accounts.actor_for_account(session, account)
    detail = catalogue.plan_detail(session, actor=actor, plan_id=plan.id)
    durations = {}
    for level in detail.levels:
        for subject in level.subjects:
            lengths = {
                (ends - starts).total_seconds() / 60
                for starts, ends in subject.sessions
            }
            assert len(subject.sessions) == 2, subject.code
            assert lengths == {subject.duration_minutes}, subject.code
            durations[subject.name] = subject.duration_minutes
    assert durations == {"基础考核": 90, "综合应用考核": 60, "实操考核": 120}


def test_demo_sessions_run_in_daytime(session):
    demo.load_demo(session)
    for starts, ends in session.exec(
        select(PlanSession.starts_at, PlanSession.ends_at)
    ).all():
        assert to_beijing(starts).hour >= 8
        assert to_beijing(ends).time() <= time(18, 0)
        assert to_beijing(starts).date() == to_beijing(ends).date()
