"""Registration lists: filtered pages with counts, the export, filter choices, and the
organisation's counts per school and subject."""

import logging
from dataclasses import dataclass

from sqlalchemy import func, or_
from sqlmodel import Session, select

from xcert_app.clock import format_beijing
from xcert_app.models.accounts import Role
from xcert_app.models.candidates import Candidate, CandidateKind
from xcert_app.models.catalogue import Certificate, CertificateLevel, ExamPlan, Subject
from xcert_app.models.orgs import Organisation
from xcert_app.models.registrations import (
    REGISTRATION_STATUS_LABELS,
    Registration,
    RegistrationStatus,
)
from xcert_app.services import registrations
from xcert_app.services.actor import Actor, require_role, require_school
from xcert_app.services.errors import AccessDenied, NotFound, ServiceError
from xcert_app.services.masking import mask_id_number
from xcert_app.services.registrations import PlanSubjectInfo
from xcert_app.spreadsheets import registrations as sheets

logger = logging.getLogger(__name__)

EXPORT_LIMIT = 50_000


@dataclass(frozen=True)
class RegistrationFilter:
    """List filters; None or an empty string means no filter."""

    plan_id: int | None = None
    certificate_id: int | None = None
    subject_id: int | None = None
    school_id: int | None = None
    status: str = ""
    search: str = ""


@dataclass(frozen=True)
class RegistrationRow:
    """One registration as lists and exports show it; the ID number is masked."""

    id: int
    plan_code: str
    school_name: str
    candidate_name: str
    id_number: str
    candidate_kind: str
    certificate_name: str
    level: str
    subject_code: str
    subject_name: str
    status: str
    status_label: str
    registered_at: str


@dataclass(frozen=True)
class RegistrationPage:
    """One page of a filtered list, its total and the counts per status."""

    rows: list[RegistrationRow]
    total: int
    status_counts: dict[str, int]


def _scoped_query(actor: Actor, filters: RegistrationFilter, *, with_status: bool):
    """Build the filtered registration query within what the caller may see."""
    query = (
        select(Registration, Candidate, Subject, CertificateLevel, Certificate)
        .join(Candidate, Candidate.id == Registration.candidate_id)
        .join(Subject, Subject.id == Registration.subject_id)
        .join(
            CertificateLevel, CertificateLevel.id == Registration.certificate_level_id
        )
        .join(Certificate, Certificate.id == CertificateLevel.certificate_id)
        .join(ExamPlan, ExamPlan.id == Registration.plan_id)
    )
    if actor.is_school:
        query = query.where(Registration.school_id == require_school(actor))
    elif actor.role == Role.ORG_ADMIN:
        query = query.where(ExamPlan.org_id == actor.organisation_id)
        if filters.school_id:
            query = query.where(Registration.school_id == filters.school_id)
    else:
        raise AccessDenied()
    if filters.plan_id:
        query = query.where(Registration.plan_id == filters.plan_id)
    if filters.certificate_id:
        query = query.where(Certificate.id == filters.certificate_id)
    if filters.subject_id:
        query = query.where(Registration.subject_id == filters.subject_id)
    if with_status and filters.status:
        query = query.where(Registration.status == filters.status)
    search = sheets.clean_text(filters.search)
    if search:
        query = query.where(
            or_(
                Candidate.name.contains(search),
                Candidate.id_number == search.upper(),
            )
        )
    return query


def list_registrations(
    session: Session,
    *,
    actor: Actor,
    filters: RegistrationFilter,
    offset: int = 0,
    limit: int = 50,
) -> RegistrationPage:
    """Return one page of the caller's registrations, newest first, with counts."""
    require_role(actor, Role.SCHOOL_HEAD, Role.SCHOOL_ADMIN, Role.ORG_ADMIN)
    query = _scoped_query(actor, filters, with_status=True)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    found = session.exec(
        query.order_by(Registration.candidate_id.desc(), Subject.code)
        .offset(offset)
        .limit(limit)
    ).all()
    unfiltered = _scoped_query(actor, filters, with_status=False).subquery()
    counts = dict(
        session.exec(
            select(unfiltered.c.status, func.count()).group_by(unfiltered.c.status)
        ).all()
    )
    return RegistrationPage(
        rows=_to_rows(session, found),
        total=total,
        status_counts={
            status.value: counts.get(status.value, 0) for status in RegistrationStatus
        },
    )


def _to_rows(session: Session, found) -> list[RegistrationRow]:
    plan_codes = _names(session, ExamPlan, "code", {r[0].plan_id for r in found})
    schools = _names(session, Organisation, "name", {r[0].school_id for r in found})
    return [
        RegistrationRow(
            id=registration.id,
            plan_code=plan_codes.get(registration.plan_id, ""),
            school_name=schools.get(registration.school_id, ""),
            candidate_name=candidate.name,
            id_number=mask_id_number(candidate.id_number),
            candidate_kind="社会学员"
            if candidate.kind == CandidateKind.SOCIAL
            else "院校学生",
            certificate_name=certificate.name,
            level=level.level,
            subject_code=subject.code,
            subject_name=subject.name,
            status=registration.status,
            status_label=REGISTRATION_STATUS_LABELS[
                RegistrationStatus(registration.status)
            ],
            registered_at=format_beijing(registration.created_at),
        )
        for registration, candidate, subject, level, certificate in found
    ]


def _names(session: Session, model, column: str, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.exec(
        select(model.id, getattr(model, column)).where(model.id.in_(ids))
    ).all()
    return dict(rows)


EXPORT_HEADERS = [
    "考试计划",
    "院校",
    "姓名",
    "证件号码",
    "考生类型",
    "证书名称",
    "证书等级",
    "科目编码",
    "科目名称",
    "报考状态",
    "报考时间",
]


def export_registrations(
    session: Session, *, actor: Actor, filters: RegistrationFilter
) -> bytes:
    """Return the filtered registrations as an .xlsx workbook (ID numbers masked)."""
    require_role(actor, Role.SCHOOL_HEAD, Role.SCHOOL_ADMIN, Role.ORG_ADMIN)
    query = _scoped_query(actor, filters, with_status=True)
    found = session.exec(query.order_by(Registration.id).limit(EXPORT_LIMIT + 1)).all()
    if len(found) > EXPORT_LIMIT:
        raise ServiceError(
            f"符合条件的报考超过 {EXPORT_LIMIT} 条，请按考试计划或证书筛选后分批导出"
        )
    rows = [
        [
            row.plan_code,
            row.school_name,
            row.candidate_name,
            row.id_number,
            row.candidate_kind,
            row.certificate_name,
            row.level,
            row.subject_code,
            row.subject_name,
            row.status_label,
            row.registered_at,
        ]
        for row in _to_rows(session, found)
    ]
    logger.info("registration export actor=%s rows=%d", actor.account_id, len(rows))
    return sheets.export_rows(EXPORT_HEADERS, rows, title="报考信息")


# ------------------------------------------------------------- page choices


def plan_choices(session: Session, *, actor: Actor) -> list[dict[str, str]]:
    """Return the exam plans the caller works with, newest first, as select options.

    Each option also carries the registration window and the organisation's fee basis.
    """
    query = select(ExamPlan).order_by(ExamPlan.registration_start.desc())
    if actor.role == Role.ORG_ADMIN:
        query = query.where(ExamPlan.org_id == actor.organisation_id)
    else:
        require_school(actor)
        query = query.where(ExamPlan.is_published)
    found = session.exec(query.limit(200)).all()
    bases = _names(session, Organisation, "fee_basis", {plan.org_id for plan in found})
    return [
        {
            "value": str(plan.id),
            "label": f"{plan.code} {plan.name}",
            "window": f"{format_beijing(plan.registration_start)} 至 "
            f"{format_beijing(plan.registration_end)}",
            "fee_basis": bases.get(plan.org_id, ""),
        }
        for plan in found
    ]


def subject_choices(session: Session, *, plan_id: int) -> list[PlanSubjectInfo]:
    """Return the subjects of a plan with their certificates, for filter lists."""
    return registrations.plan_subjects(session, plan_id)


@dataclass(frozen=True)
class SubjectSummary:
    """Registrations of one school for one subject, by status."""

    school_name: str
    subject_code: str
    subject_name: str
    level: str
    registered: int
    paid: int
    scheduled: int


def summary_by_school_and_subject(
    session: Session, *, actor: Actor, plan_id: int
) -> list[SubjectSummary]:
    """Count the plan's registrations per school and subject, for the organisation."""
    require_role(actor, Role.ORG_ADMIN)
    plan = registrations.load_plan(session, plan_id)
    if plan.org_id != actor.organisation_id:
        raise NotFound("考试计划不存在或不属于本组织")
    rows = session.exec(
        select(
            Organisation.name,
            Subject.code,
            Subject.name,
            CertificateLevel.level,
            Registration.status,
            func.count(),
        )
        .join(Organisation, Organisation.id == Registration.school_id)
        .join(Subject, Subject.id == Registration.subject_id)
        .join(
            CertificateLevel, CertificateLevel.id == Registration.certificate_level_id
        )
        .where(Registration.plan_id == plan.id)
        .group_by(
            Organisation.name,
            Subject.code,
            Subject.name,
            CertificateLevel.level,
            Registration.status,
        )
        .order_by(Organisation.name, Subject.code)
    ).all()
    counts: dict[tuple, dict[str, int]] = {}
    for school, code, name, level, status, number in rows:
        counts.setdefault((school, code, name, level), {})[status] = number
    return [
        SubjectSummary(
            school_name=school,
            subject_code=code,
            subject_name=name,
            level=level,
            registered=by_status.get(RegistrationStatus.REGISTERED, 0),
            paid=by_status.get(RegistrationStatus.PAID, 0),
            scheduled=by_status.get(RegistrationStatus.SCHEDULED, 0),
        )
        for (school, code, name, level), by_status in counts.items()
    ]
