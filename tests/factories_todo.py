"""Rows on top of the demo year that make to-do items appear."""

from datetime import timedelta

from sqlmodel import select

from xcert_app.models.candidates import Candidate
from xcert_app.models.catalogue import ExamPlan


def register_demo_candidates(session, school_actor, subject_code="098994") -> list:
    """Register every demo candidate of the school for one subject, by default
    098994 基础考核 (机考)."""
    from xcert_app.models.catalogue import PlanSubject, Subject
    from xcert_app.models.registrations import Registration

    plan = session.exec(select(ExamPlan)).one()
    subject = session.exec(select(Subject).where(Subject.code == subject_code)).one()
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


def seat(session, registration, site, room, seat_number: int = 1):
    """Arrange ``registration`` in ``room`` at the first sitting of its subject."""
    from xcert_app.models.catalogue import PlanSession
    from xcert_app.models.scheduling import Arrangement

    sitting = session.exec(
        select(PlanSession).where(
            PlanSession.plan_subject_id == registration.plan_subject_id
        )
    ).first()
    arrangement = Arrangement(
        registration_id=registration.id,
        plan_id=registration.plan_id,
        site_id=site.id,
        room_id=room.id,
        session_id=sitting.id,
        seat_number=seat_number,
        ticket_number=f"2600001000001000100{seat_number}",
    )
    session.add(arrangement)
    session.flush()
    return arrangement


WINDOWS = ("registration", "ticket", "exam", "score_entry", "publication")


def _last_year_plan(session, plan: ExamPlan) -> ExamPlan:
    """Add a copy of ``plan`` a year earlier, whose publication has ended."""
    windows = {
        f"{window}_{edge}": getattr(plan, f"{window}_{edge}") - timedelta(days=365)
        for window in WINDOWS
        for edge in ("start", "end")
    }
    earlier = ExamPlan(
        code=f"K9{plan.code[2:]}",
        org_id=plan.org_id,
        name=f"{plan.name}（上一年）",
        is_published=True,
        **windows,
    )
    session.add(earlier)
    session.flush()
    return earlier


def pending_issuance(session, registration, number: str):
    """Add a passed result and an issuance record that neither side has signed.

    They belong to a copy of the registration's plan a year earlier, because
    certificates wait for signatures only once publication has locked the scores.
    """
    from xcert_app.models.catalogue import PlanLevel
    from xcert_app.models.issuance import IssuanceRecord
    from xcert_app.models.scores import CertificateResult

    plan = _last_year_plan(session, session.get(ExamPlan, registration.plan_id))
    plan_level = PlanLevel(
        plan_id=plan.id, certificate_level_id=registration.certificate_level_id
    )
    session.add(plan_level)
    session.flush()
    result = CertificateResult(
        plan_id=plan.id,
        plan_level_id=plan_level.id,
        candidate_id=registration.candidate_id,
        school_id=registration.school_id,
        passed=True,
    )
    session.add(result)
    session.flush()
    record = IssuanceRecord(
        result_id=result.id,
        certificate_number=number,
        candidate_id=registration.candidate_id,
        school_id=registration.school_id,
        org_id=plan.org_id,
        plan_id=plan.id,
        certificate_level_id=registration.certificate_level_id,
    )
    session.add(record)
    session.flush()
    return record


def give_photo(session, candidate) -> None:
    """Store a placeholder photo for ``candidate``."""
    from xcert_app.services import storage

    photo = storage.save_bytes(
        session,
        data=b"photo",
        kind="photo",
        content_type="image/jpeg",
        organisation_id=candidate.school_id,
        original_name=f"{candidate.id}.jpg",
    )
    candidate.photo_file_id = photo.id
    session.add(candidate)
    session.flush()
