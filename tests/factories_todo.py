"""Rows on top of the demo year that make to-do items appear."""

from sqlmodel import select

from xcert_app.models.candidates import Candidate
from xcert_app.models.catalogue import ExamPlan


def register_demo_candidates(session, school_actor) -> list:
    """Register every demo candidate of the school for 098994 基础考核 (机考)."""
    from xcert_app.models.catalogue import PlanSubject, Subject
    from xcert_app.models.registrations import Registration

    plan = session.exec(select(ExamPlan)).one()
    subject = session.exec(select(Subject).where(Subject.code == "098994")).one()
    plan_subject = session.exec(
        select(PlanSubject).where(PlanSubject.subject_id == subject.id)
    ).one()
    registrations = []
    for candidate in session.exec(
        select(Candidate).where(Candidate.school_id == school_actor.organisation_id)
    ):
        registration = Registration(
            plan_id=plan.id,
            plan_subject_id=plan_subject.id,
            subject_id=subject.id,
            certificate_level_id=subject.certificate_level_id,
            candidate_id=candidate.id,
            school_id=school_actor.organisation_id,
        )
        session.add(registration)
        registrations.append(registration)
    session.flush()
    return registrations


def approved_demo_site(session, school_actor, seats: int):
    from xcert_app.models.sites import ExamSite, Room, SiteStatus

    plan = session.exec(select(ExamPlan)).one()
    site = ExamSite(
        school_id=school_actor.organisation_id,
        org_id=plan.org_id,
        name="首都师范大学物流管理考核站点",
        address="北京市海淀区西三环北路105号",
        contact_name="张老师",
        contact_mobile="17600086571",
        contact_email="a@b.cn",
        status=SiteStatus.APPROVED,
    )
    session.add(site)
    session.flush()
    room = Room(
        plan_id=plan.id,
        site_id=site.id,
        name="107 室",
        mode="机考",
        seats=seats,
        address="实训楼",
    )
    session.add(room)
    session.flush()
    return site, room
