"""Builders for scheduling tests: a plan with subjects and sessions, sites, rooms,
candidates and paid registrations, written straight to the tables."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import count

from sqlalchemy import insert
from sqlmodel import Session

from tests.factories import make_actor, make_organisation
from xcert_app.clock import beijing
from xcert_app.models.accounts import Role
from xcert_app.models.candidates import Candidate, VerificationStatus
from xcert_app.models.catalogue import (
    Certificate,
    CertificateLevel,
    ExamPlan,
    PlanLevel,
    PlanSession,
    PlanSubject,
    Subject,
)
from xcert_app.models.orgs import Organisation, OrgKind
from xcert_app.models.registrations import Registration, RegistrationStatus
from xcert_app.models.sites import ExamSite, Room, RoomCertificate, SiteLoan, SiteStatus
from xcert_app.services.actor import Actor
from xcert_app.services.identity import make_id_number

_numbers = count(1)
EXAM_DAY = beijing(2026, 12, 22)


@dataclass
class PlanSetup:
    """An organisation's plan with one certificate level and its subjects."""

    org: Organisation
    org_actor: Actor
    plan: ExamPlan
    level: CertificateLevel
    plan_subjects: dict[str, PlanSubject] = field(default_factory=dict)
    sessions: dict[str, list[PlanSession]] = field(default_factory=dict)


def make_plan(
    session: Session,
    *,
    subjects: tuple[tuple[str, str, int, int], ...] = (("基础考核", "机考", 9, 11),),
    sessions_per_subject: int = 1,
    requires_payment: bool = True,
) -> PlanSetup:
    """Build a plan; each subject is (name, mode, start hour, end hour) on exam day."""
    number = next(_numbers)
    org = make_organisation(
        session,
        kind=OrgKind.ASSESSMENT_ORG,
        name=f"评价组织{number}",
        requires_payment=requires_payment,
    )
    actor = make_actor(session, role=Role.ORG_ADMIN, organisation=org)
    certificate = Certificate(
        org_id=org.id, code=f"9{number:08d}", name=f"证书{number}"
    )
    session.add(certificate)
    session.flush()
    level = CertificateLevel(certificate_id=certificate.id, level="初级")
    session.add(level)
    session.flush()
    plan = ExamPlan(
        code=f"K2026{number:08d}",
        org_id=org.id,
        name=f"测试计划{number}",
        registration_start=beijing(2026, 11, 1),
        registration_end=beijing(2026, 12, 10),
        ticket_start=beijing(2026, 12, 15),
        ticket_end=beijing(2026, 12, 21, 23, 59),
        exam_start=EXAM_DAY,
        exam_end=EXAM_DAY + timedelta(days=2),
        score_entry_start=beijing(2027, 1, 1),
        score_entry_end=beijing(2027, 1, 10),
        publication_start=beijing(2027, 1, 11),
        publication_end=beijing(2027, 1, 20),
    )
    session.add(plan)
    session.flush()
    plan_level = PlanLevel(plan_id=plan.id, certificate_level_id=level.id)
    session.add(plan_level)
    session.flush()
    setup = PlanSetup(org=org, org_actor=actor, plan=plan, level=level)
    for index, (name, mode, start_hour, end_hour) in enumerate(subjects):
        add_subject(
            session,
            setup,
            name=name,
            mode=mode,
            code=f"{(number * 10 + index) % 1_000_000:06d}",
            start_hour=start_hour,
            end_hour=end_hour,
            sessions=sessions_per_subject,
        )
    return setup


def add_subject(
    session: Session,
    setup: PlanSetup,
    *,
    name: str,
    mode: str,
    code: str,
    start_hour: int,
    end_hour: int,
    sessions: int = 1,
    level: CertificateLevel | None = None,
) -> PlanSubject:
    level = level or setup.level
    subject = Subject(code=code, name=name, mode=mode, certificate_level_id=level.id)
    session.add(subject)
    session.flush()
    plan_level_id = session.exec(
        PlanLevel.__table__.select().where(PlanLevel.plan_id == setup.plan.id)
    ).first()[0]
    plan_subject = PlanSubject(
        plan_id=setup.plan.id,
        plan_level_id=plan_level_id,
        subject_id=subject.id,
        duration_minutes=(end_hour - start_hour) * 60,
    )
    session.add(plan_subject)
    session.flush()
    setup.plan_subjects[name] = plan_subject
    setup.sessions[name] = []
    for day in range(sessions):
        sitting = PlanSession(
            plan_subject_id=plan_subject.id,
            starts_at=EXAM_DAY + timedelta(days=day, hours=start_hour),
            ends_at=EXAM_DAY + timedelta(days=day, hours=end_hour),
        )
        session.add(sitting)
        session.flush()
        setup.sessions[name].append(sitting)
    return plan_subject


def make_school(session: Session, name: str | None = None) -> Organisation:
    return make_organisation(session, kind=OrgKind.SCHOOL, name=name)


def make_site(
    session: Session,
    setup: PlanSetup,
    school: Organisation,
    *,
    status: SiteStatus = SiteStatus.APPROVED,
) -> ExamSite:
    site = ExamSite(
        school_id=school.id,
        org_id=setup.org.id,
        name=f"{school.name}考核站点",
        address="北京市海淀区测试路1号",
        contact_name="王老师",
        contact_mobile="13800000000",
        contact_email="site@example.cn",
        status=status,
    )
    session.add(site)
    session.flush()
    return site


def lend_site(
    session: Session, setup: PlanSetup, school: Organisation, site: ExamSite
) -> SiteLoan:
    loan = SiteLoan(org_id=setup.org.id, school_id=school.id, site_id=site.id)
    session.add(loan)
    session.flush()
    return loan


def make_room(
    session: Session,
    setup: PlanSetup,
    site: ExamSite,
    *,
    seats: int,
    mode: str = "机考",
    name: str | None = None,
    levels: list[CertificateLevel] | None = None,
) -> Room:
    room = Room(
        plan_id=setup.plan.id,
        site_id=site.id,
        name=name or f"{next(_numbers)}号机房",
        mode=mode,
        seats=seats,
        address="北京市海淀区测试路1号实训楼",
    )
    session.add(room)
    session.flush()
    for level in levels if levels is not None else [setup.level]:
        session.add(RoomCertificate(room_id=room.id, certificate_level_id=level.id))
    session.flush()
    return room


def make_candidates(
    session: Session, school: Organisation, n: int, *, names: list[str] | None = None
) -> list[int]:
    """Insert ``n`` verified candidates of the school and return their ids."""
    first = next(_numbers) * 1000
    rows = [
        {
            "school_id": school.id,
            "kind": "school",
            "name": names[index] if names else f"考生{first + index}",
            "name_pinyin": "",
            "id_type": "居民身份证",
            "id_number": make_id_number(
                "110101",
                datetime(2004, 1, 1).date() + timedelta(days=(first + index) % 3000),
                (first + index) % 999,
            ),
            "mobile": "",
            "major": "",
            "programme_level": "",
            "verification_status": VerificationStatus.VERIFIED,
            "verification_reasons": [],
            "created_at": EXAM_DAY,
            "updated_at": EXAM_DAY,
        }
        for index in range(n)
    ]
    result = session.execute(insert(Candidate).returning(Candidate.id), rows)
    return [row[0] for row in result]


def register(
    session: Session,
    setup: PlanSetup,
    school: Organisation,
    candidate_ids: list[int],
    subject_name: str,
    *,
    paid: bool = True,
) -> None:
    """Register the candidates for one subject; paid unless told otherwise."""
    plan_subject = setup.plan_subjects[subject_name]
    level_id = session.get(Subject, plan_subject.subject_id).certificate_level_id
    rows = [
        {
            "plan_id": setup.plan.id,
            "plan_subject_id": plan_subject.id,
            "subject_id": plan_subject.subject_id,
            "certificate_level_id": level_id,
            "candidate_id": candidate_id,
            "school_id": school.id,
            "status": RegistrationStatus.PAID
            if paid
            else RegistrationStatus.REGISTERED,
            "paid_at": EXAM_DAY if paid else None,
            "created_at": EXAM_DAY,
        }
        for candidate_id in candidate_ids
    ]
    for start in range(0, len(rows), 5000):
        session.execute(insert(Registration), rows[start : start + 5000])


def add_demo_exam_rows(session: Session) -> dict:
    """Give the demo year what scheduling needs: an approved site of 首都师范大学 with
    a computer room and a practical room, paid registrations of the four demo
    candidates for the junior logistics subjects, two staff and a student login."""
    from sqlmodel import select

    from xcert_app.models.accounts import StaffMember
    from xcert_app.services import accounts, demo

    school = session.exec(
        select(Organisation).where(Organisation.institution_code == "4111010028")
    ).one()
    plan = session.exec(select(ExamPlan).where(ExamPlan.code == "K202005226994")).one()
    junior = session.exec(
        select(CertificateLevel)
        .join(Certificate, Certificate.id == CertificateLevel.certificate_id)
        .where(Certificate.org_id == plan.org_id, CertificateLevel.level == "初级")
    ).one()
    setup = PlanSetup(
        org=session.get(Organisation, plan.org_id),
        org_actor=None,
        plan=plan,
        level=junior,
    )
    site = make_site(session, setup, school)
    site.name = "首都师范大学物流管理考核站点"
    session.add(site)
    make_room(session, setup, site, seats=30, name="107 室")
    make_room(session, setup, site, seats=30, name="物流实训室", mode="实操")
    candidates = session.exec(
        select(Candidate).where(Candidate.school_id == school.id).order_by(Candidate.id)
    ).all()
    plan_subjects = session.exec(
        select(PlanSubject)
        .join(Subject, Subject.id == PlanSubject.subject_id)
        .where(
            PlanSubject.plan_id == plan.id, Subject.certificate_level_id == junior.id
        )
    ).all()
    for plan_subject in plan_subjects:
        for candidate in candidates:
            session.add(
                Registration(
                    plan_id=plan.id,
                    plan_subject_id=plan_subject.id,
                    subject_id=plan_subject.subject_id,
                    certificate_level_id=junior.id,
                    candidate_id=candidate.id,
                    school_id=school.id,
                    status=RegistrationStatus.PAID,
                    paid_at=plan.registration_start,
                )
            )
    for name in ("赵监考", "钱巡考"):
        session.add(
            StaffMember(organisation_id=school.id, name=name, department="物流系")
        )
    student = accounts.create_account(
        session,
        username="student_liu",
        password=demo.DEMO_PASSWORD,
        role=Role.CANDIDATE,
        organisation_id=None,
        display_name=candidates[0].name,
        candidate_id=candidates[0].id,
    )
    session.flush()
    return {"plan": plan, "school": school, "site": site, "student": student}
