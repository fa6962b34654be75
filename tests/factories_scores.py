"""Builders for score and result tests: a plan with windows around the frozen clock,
a level with weighted subjects, and seated registrations with ticket numbers."""

from dataclasses import dataclass, field
from datetime import datetime
from itertools import count

from sqlmodel import Session, select

from tests.factories import actor_of, make_account, make_organisation
from xcert_app.clock import beijing
from xcert_app.models.accounts import Account, Role
from xcert_app.models.candidates import Candidate, VerificationStatus
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
from xcert_app.models.orgs import Organisation, OrgKind
from xcert_app.models.registrations import Registration, RegistrationStatus
from xcert_app.models.scheduling import Arrangement
from xcert_app.models.sites import ExamSite, Room
from xcert_app.services.actor import Actor
from xcert_app.services.identity import make_id_number

_sequence = count(1)

# The frozen test clock reads 2026-12-04 10:00 Beijing, inside score entry.
ENTRY_START = beijing(2026, 12, 1)
ENTRY_END = beijing(2026, 12, 10, 23, 59, 59)
PUBLICATION_START = beijing(2026, 12, 11)
PUBLICATION_END = beijing(2026, 12, 20, 23, 59, 59)


@dataclass
class ScoreWorld:
    """An organisation, a school, a plan with one level of weighted subjects."""

    org: Organisation
    school: Organisation
    plan: ExamPlan
    plan_level: PlanLevel
    certificate: Certificate
    level: CertificateLevel
    subjects: list[Subject]
    site: ExamSite
    room: Room
    org_actor: Actor
    school_actor: Actor
    candidates: list[Candidate] = field(default_factory=list)


def make_world(
    session: Session,
    *,
    weights: tuple[int, ...] = (40, 30, 30),
    rule: str = PassRule.COMPOSITE,
    pass_mark: float = 60,
    subject_pass_marks: tuple[float, ...] | None = None,
    code_prefix: str = "04",
    certificate_code: str = "156000310",
) -> ScoreWorld:
    number = next(_sequence)
    org = make_organisation(
        session, kind=OrgKind.ASSESSMENT_ORG, name=f"评价组织{number}"
    )
    school = make_organisation(session, name=f"试点院校{number}")
    certificate = Certificate(
        org_id=org.id, code=certificate_code, name=f"物流管理{number}"
    )
    session.add(certificate)
    session.flush()
    level = CertificateLevel(certificate_id=certificate.id, level="中级")
    session.add(level)
    session.flush()
    plan = ExamPlan(
        code=f"K2026{number:08d}",
        org_id=org.id,
        name=f"考试计划{number}",
        registration_start=beijing(2026, 10, 1),
        registration_end=beijing(2026, 10, 31),
        ticket_start=beijing(2026, 11, 1),
        ticket_end=beijing(2026, 11, 19),
        exam_start=beijing(2026, 11, 20),
        exam_end=beijing(2026, 11, 21, 23, 59, 59),
        score_entry_start=ENTRY_START,
        score_entry_end=ENTRY_END,
        publication_start=PUBLICATION_START,
        publication_end=PUBLICATION_END,
    )
    session.add(plan)
    session.flush()
    plan_level = PlanLevel(
        plan_id=plan.id,
        certificate_level_id=level.id,
        rule=rule,
        pass_mark=pass_mark,
    )
    session.add(plan_level)
    session.flush()
    site = ExamSite(
        school_id=school.id,
        org_id=org.id,
        name=f"{school.name}物流管理考核站点",
        address="北京市海淀区",
        contact_name="张老师",
        contact_mobile="13800138000",
        contact_email="site@example.cn",
        status="approved",
    )
    session.add(site)
    session.flush()
    room = Room(
        plan_id=plan.id,
        site_id=site.id,
        name="101机房",
        mode="机考",
        seats=200,
        address="实训楼101",
    )
    session.add(room)
    session.flush()
    subjects = []
    marks = subject_pass_marks or (60,) * len(weights)
    for index, (weight, mark) in enumerate(zip(weights, marks, strict=True)):
        subject = Subject(
            code=f"{code_prefix}{number % 100:02d}{index:02d}",
            name=("基础考核", "综合应用考核", "实操考核", "附加考核")[index],
            mode="机考",
            certificate_level_id=level.id,
        )
        session.add(subject)
        session.flush()
        plan_subject = PlanSubject(
            plan_id=plan.id,
            plan_level_id=plan_level.id,
            subject_id=subject.id,
            pass_mark=mark,
            weight_percent=weight,
            duration_minutes=120,
        )
        session.add(plan_subject)
        session.flush()
        session.add(
            PlanSession(
                plan_subject_id=plan_subject.id,
                starts_at=beijing(2026, 11, 20, 8 + index * 2),
                ends_at=beijing(2026, 11, 20, 9 + index * 2),
            )
        )
        subjects.append(subject)
    session.flush()
    org_actor = actor_of(
        session, make_account(session, role=Role.ORG_ADMIN, organisation=org)
    )
    school_actor = actor_of(
        session, make_account(session, role=Role.SCHOOL_ADMIN, organisation=school)
    )
    return ScoreWorld(
        org=org,
        school=school,
        plan=plan,
        plan_level=plan_level,
        certificate=certificate,
        level=level,
        subjects=subjects,
        site=site,
        room=room,
        org_actor=org_actor,
        school_actor=school_actor,
    )


def add_candidate(
    session: Session,
    world: ScoreWorld,
    *,
    name: str | None = None,
    subjects: list[Subject] | None = None,
    school: Organisation | None = None,
    seat: bool = True,
) -> tuple[Candidate, list[Registration]]:
    """Add a verified candidate registered (and seated) for ``subjects`` (all by default)."""
    number = next(_sequence)
    school = school or world.school
    candidate = Candidate(
        school_id=school.id,
        name=name or f"考生{number}",
        id_number=make_id_number("110101", datetime(2004, 1, 1).date(), number % 1000),
        verification_status=VerificationStatus.VERIFIED,
    )
    session.add(candidate)
    session.flush()
    registrations = [
        add_registration(session, world, candidate, subject, seat=seat)
        for subject in (subjects if subjects is not None else world.subjects)
    ]
    world.candidates.append(candidate)
    return candidate, registrations


def add_registration(
    session: Session,
    world: ScoreWorld,
    candidate: Candidate,
    subject: Subject,
    *,
    seat: bool = True,
) -> Registration:
    """Register ``candidate`` for ``subject``, seated with a ticket unless ``seat`` is False."""
    plan_subject = session.exec(
        select(PlanSubject).where(
            PlanSubject.plan_id == world.plan.id,
            PlanSubject.subject_id == subject.id,
        )
    ).one()
    registration = Registration(
        plan_id=world.plan.id,
        plan_subject_id=plan_subject.id,
        subject_id=subject.id,
        certificate_level_id=world.level.id,
        candidate_id=candidate.id,
        school_id=candidate.school_id,
        status=RegistrationStatus.SCHEDULED if seat else RegistrationStatus.REGISTERED,
    )
    session.add(registration)
    session.flush()
    if seat:
        session_row = session.exec(
            select(PlanSession).where(PlanSession.plan_subject_id == plan_subject.id)
        ).first()
        session.add(
            Arrangement(
                registration_id=registration.id,
                plan_id=world.plan.id,
                site_id=world.site.id,
                room_id=world.room.id,
                session_id=session_row.id,
                seat_number=registration.id,
                ticket_number=f"2060000225{registration.id:010d}",
            )
        )
        session.flush()
    return registration


def ticket_of(session: Session, registration: Registration) -> str:
    return session.exec(
        select(Arrangement.ticket_number).where(
            Arrangement.registration_id == registration.id
        )
    ).one()


def candidate_actor(session: Session, candidate: Candidate) -> Actor:
    account = make_account(session, role=Role.CANDIDATE, candidate_id=candidate.id)
    return actor_of(session, account)


def account_of(session: Session, actor: Actor) -> Account:
    return session.get(Account, actor.account_id)
