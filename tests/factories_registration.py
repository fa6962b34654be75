"""Builders for registration and payment tests: an organisation with a certificate
and an exam plan, a pilot school with an approved quota, and its candidates."""

from dataclasses import dataclass, field
from datetime import date
from io import BytesIO
from itertools import count

from openpyxl import Workbook
from sqlmodel import Session

from tests.factories import make_actor, make_organisation
from xcert_app.clock import beijing
from xcert_app.models.accounts import Role
from xcert_app.models.candidates import Candidate, CandidateKind, VerificationStatus
from xcert_app.models.catalogue import (
    Audience,
    Certificate,
    CertificateLevel,
    ExamPlan,
    PlanLevel,
    PlanSubject,
    Subject,
)
from xcert_app.models.declarations import (
    Declaration,
    DeclarationPlan,
    DeclarationStatus,
)
from xcert_app.models.orgs import FeeBasis, Organisation, OrgKind
from xcert_app.models.registrations import FeeRule
from xcert_app.services.actor import Actor
from xcert_app.services.identity import make_id_number

_sequence = count(1)

# Registration window of the default plan, Beijing time; the test clock is 12-04 10:00.
WINDOW_START = beijing(2026, 12, 1, 0, 0, 0)
WINDOW_END = beijing(2026, 12, 14, 23, 59, 59)
LEVEL_FEE_FEN = 36000
SUBJECT_FEE_FEN = 12000


@dataclass
class Year:
    """One organisation's certificate in an open plan, and one pilot school."""

    org: Organisation
    org_actor: Actor
    school: Organisation
    school_actor: Actor
    certificate: Certificate
    plan: ExamPlan
    levels: dict[str, CertificateLevel]
    subjects: dict[str, Subject]
    declaration: Declaration
    candidates: list[Candidate] = field(default_factory=list)


def make_year(
    session: Session,
    *,
    quota: int = 150,
    requires_payment: bool = True,
    fee_basis: FeeBasis = FeeBasis.SUBJECT,
) -> Year:
    """Build the organisation, its certificate with two levels, a plan and a school."""
    number = next(_sequence)
    org = make_organisation(
        session,
        kind=OrgKind.ASSESSMENT_ORG,
        requires_payment=requires_payment,
        fee_basis=fee_basis,
    )
    certificate = Certificate(
        org_id=org.id,
        code=f"1560{number:05d}",
        name=f"物流管理{number}职业技能等级证书",
    )
    session.add(certificate)
    session.flush()

    plan = ExamPlan(
        code=f"K2026{number:08d}",
        org_id=org.id,
        name="测试考试计划",
        registration_start=WINDOW_START,
        registration_end=WINDOW_END,
        ticket_start=beijing(2026, 12, 15),
        ticket_end=beijing(2026, 12, 20),
        exam_start=beijing(2026, 12, 21),
        exam_end=beijing(2026, 12, 22),
        score_entry_start=beijing(2026, 12, 23),
        score_entry_end=beijing(2026, 12, 30),
        publication_start=beijing(2027, 1, 2),
        publication_end=beijing(2027, 1, 20),
    )
    session.add(plan)
    session.flush()

    levels: dict[str, CertificateLevel] = {}
    subjects: dict[str, Subject] = {}
    for level_name, codes in (
        ("初级", ("0981", "7946", "6093")),
        ("中级", ("0431", "3389")),
    ):
        level = CertificateLevel(certificate_id=certificate.id, level=level_name)
        session.add(level)
        session.flush()
        levels[level_name] = level
        plan_level = PlanLevel(plan_id=plan.id, certificate_level_id=level.id)
        session.add(plan_level)
        session.flush()
        session.add(
            FeeRule(
                org_id=org.id, certificate_level_id=level.id, amount_fen=LEVEL_FEE_FEN
            )
        )
        for prefix in codes:
            subject = add_subject(
                session, level=level, code=f"{prefix}{number % 100:02d}"
            )
            subjects[subject.code] = subject
            session.add(
                PlanSubject(
                    plan_id=plan.id, plan_level_id=plan_level.id, subject_id=subject.id
                )
            )
            session.add(
                FeeRule(
                    org_id=org.id, subject_id=subject.id, amount_fen=SUBJECT_FEE_FEN
                )
            )

    school = make_organisation(session, name=f"测试院校{number}")
    declaration = approve_pilot(
        session, school=school, certificate=certificate, quota=quota
    )
    session.flush()
    return Year(
        org=org,
        org_actor=make_actor(session, role=Role.ORG_ADMIN, organisation=org),
        school=school,
        school_actor=make_actor(session, role=Role.SCHOOL_ADMIN, organisation=school),
        certificate=certificate,
        plan=plan,
        levels=levels,
        subjects=subjects,
        declaration=declaration,
    )


def add_subject(
    session: Session,
    *,
    level: CertificateLevel,
    code: str,
    audience: Audience = Audience.ALL,
) -> Subject:
    subject = Subject(
        code=code,
        name=f"科目{code}",
        mode="机考",
        certificate_level_id=level.id,
        audience=audience,
    )
    session.add(subject)
    session.flush()
    return subject


def approve_pilot(
    session: Session,
    *,
    school: Organisation,
    certificate: Certificate,
    quota: int,
    year: int = 2026,
    status: DeclarationStatus = DeclarationStatus.APPROVED,
) -> Declaration:
    """Add a declaration plan of ``year`` and the school's declaration in ``status``."""
    plan = DeclarationPlan(
        department_id=make_organisation(session, kind=OrgKind.PROVINCE_DEPARTMENT).id,
        province_code="110000",
        year=year,
        batch_name=f"{year}年第一次",
        opens_at=beijing(year, 3, 1),
        closes_at=beijing(year, 4, 1),
    )
    session.add(plan)
    session.flush()
    declaration = Declaration(
        plan_id=plan.id,
        school_id=school.id,
        certificate_id=certificate.id,
        planned_count=quota,
        approved_count=quota if status == DeclarationStatus.APPROVED else None,
        status=status,
    )
    session.add(declaration)
    session.flush()
    return declaration


def add_candidates(
    session: Session,
    year: Year,
    number: int,
    *,
    kind: CandidateKind = CandidateKind.SCHOOL,
    status: VerificationStatus = VerificationStatus.VERIFIED,
    school: Organisation | None = None,
) -> list[Candidate]:
    """Add ``number`` candidates of the year's school (or ``school``) with valid IDs."""
    added = []
    for _ in range(number):
        sequence = next(_sequence)
        candidate = Candidate(
            school_id=(school or year.school).id,
            kind=kind,
            name=f"考生{sequence}",
            id_number=make_id_number(
                "110102", date(2004, 1, 1 + sequence % 28), sequence % 1000
            ),
            verification_status=status,
        )
        session.add(candidate)
        added.append(candidate)
    session.flush()
    if school is None:
        year.candidates.extend(added)
    return added


def workbook(
    headers: list[str], rows: list[list[object]], *, title_row: str = ""
) -> bytes:
    """Build an .xlsx import file; ``title_row`` puts a title above the header."""
    book = Workbook()
    sheet = book.active
    if title_row:
        sheet.append([title_row])
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def by_certificate(
    year: Year, candidates: list[Candidate], level: str = "初级"
) -> bytes:
    return workbook(
        ["证件号码", "证书名称", "证书等级"],
        [
            [candidate.id_number, year.certificate.name, level]
            for candidate in candidates
        ],
    )


def by_subject(pairs: list[tuple[Candidate, str]]) -> bytes:
    return workbook(
        ["证件号码", "科目编码"],
        [[candidate.id_number, code] for candidate, code in pairs],
    )
