import pytest
from sqlmodel import func, select

from xcert_app.models.candidates import Candidate
from xcert_app.models.catalogue import ExamPlan, PlanSubject, Subject
from xcert_app.models.reference import Division, Institution
from xcert_app.services import demo
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
