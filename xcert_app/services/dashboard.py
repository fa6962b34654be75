"""Home-page figures: the pilot year's timeline and the numbers that matter per role."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, case
from sqlmodel import Session, func, or_, select

from xcert_app.clock import beijing, clock, format_beijing
from xcert_app.models.accounts import Role
from xcert_app.models.catalogue import (
    Certificate,
    CertificateLevel,
    ExamPlan,
    PlanLevel,
)
from xcert_app.models.declarations import (
    Declaration,
    DeclarationPlan,
    DeclarationStatus,
)
from xcert_app.models.orgs import Organisation
from xcert_app.models.registrations import Registration, RegistrationStatus
from xcert_app.models.scheduling import Arrangement
from xcert_app.models.scores import CertificateResult
from xcert_app.models.sites import ExamSite, Room, SiteStatus
from xcert_app.services.actor import Actor, require_role
from xcert_app.services.pilot_years import pilot_year

WINDOWS = (
    ("registration", "报名"),
    ("ticket", "准考证打印"),
    ("exam", "考试"),
    ("score_entry", "成绩登记"),
    ("publication", "成绩公示"),
)


@dataclass(frozen=True)
class WindowBar:
    """One window of a plan placed on the timeline, in percent of the span shown."""

    label: str
    start_text: str
    end_text: str
    left: float
    width: float
    is_current: bool
    is_past: bool


@dataclass(frozen=True)
class PlanTimeline:
    """The five windows of one exam plan, and where today falls."""

    code: str
    name: str
    bars: list[WindowBar]
    today_left: float
    current_step: str


def plan_timeline(plan: ExamPlan, now: datetime) -> PlanTimeline:
    """Lay out a plan's windows between the first start and the last end."""
    first = plan.registration_start
    last = plan.publication_end
    span = max((last - first).total_seconds(), 1.0)

    def position(moment: datetime) -> float:
        return round(
            min(max((moment - first).total_seconds() / span, 0.0), 1.0) * 100, 2
        )

    bars = []
    current_step = "已结束" if now > last else "未开始"
    for key, label in WINDOWS:
        start = getattr(plan, f"{key}_start")
        end = getattr(plan, f"{key}_end")
        is_current = start <= now <= end
        if is_current:
            current_step = label
        bars.append(
            WindowBar(
                label=label,
                start_text=format_beijing(start, "%m-%d"),
                end_text=format_beijing(end, "%m-%d"),
                left=position(start),
                width=max(position(end) - position(start), 1.0),
                is_current=is_current,
                is_past=end < now,
            )
        )
    return PlanTimeline(plan.code, plan.name, bars, position(now), current_step)


def _year_bounds(year: int) -> tuple[datetime, datetime]:
    return beijing(year, 1, 1), beijing(year + 1, 1, 1)


def plans_involving(session: Session, *, actor: Actor) -> list[ExamPlan]:
    """Return the caller's exam plans of its pilot year and those still running.

    Plans are in order of registration start.
    """
    year_start, next_year_start = _year_bounds(pilot_year(session, actor=actor))
    query = select(ExamPlan).where(
        or_(
            (ExamPlan.registration_start >= year_start)
            & (ExamPlan.registration_start < next_year_start),
            ExamPlan.publication_end >= clock.now(),
        )
    )
    if actor.role == Role.ORG_ADMIN:
        query = query.where(ExamPlan.org_id == actor.organisation_id)
    elif actor.role in (Role.SCHOOL_HEAD, Role.SCHOOL_ADMIN):
        approved_orgs = (
            select(Certificate.org_id)
            .join(Declaration, Declaration.certificate_id == Certificate.id)
            .where(
                Declaration.school_id == actor.organisation_id,
                Declaration.status == DeclarationStatus.APPROVED,
            )
        )
        query = query.where(ExamPlan.org_id.in_(approved_orgs))
    else:
        return []
    return list(session.exec(query.order_by(ExamPlan.registration_start)).all())


def school_numbers(session: Session, *, actor: Actor) -> list[dict]:
    """Return per certificate the approved quota and the candidates registered, paid, scheduled and passed."""
    require_role(actor, Role.SCHOOL_HEAD, Role.SCHOOL_ADMIN)
    school_id = actor.organisation_id
    year = pilot_year(session, actor=actor)
    year_plans = _plan_ids_of_year(year)
    quotas = session.exec(
        select(Certificate.id, Certificate.name, func.sum(Declaration.approved_count))
        .join(Declaration, Declaration.certificate_id == Certificate.id)
        .join(DeclarationPlan, DeclarationPlan.id == Declaration.plan_id)
        .where(
            Declaration.school_id == school_id,
            Declaration.status == DeclarationStatus.APPROVED,
            DeclarationPlan.year == year,
        )
        .group_by(Certificate.id, Certificate.name)
    ).all()
    rows = []
    for certificate_id, name, quota in quotas:
        registrations = (
            select(Registration)
            .join(
                CertificateLevel,
                CertificateLevel.id == Registration.certificate_level_id,
            )
            .where(
                Registration.school_id == school_id,
                CertificateLevel.certificate_id == certificate_id,
                Registration.plan_id.in_(year_plans),
            )
        )
        candidates = _count_distinct_candidates(session, registrations)
        registered = _count(session, registrations)
        paid = _count(
            session,
            registrations.where(Registration.status != RegistrationStatus.REGISTERED),
        )
        scheduled = _count(
            session,
            registrations.join(
                Arrangement, Arrangement.registration_id == Registration.id
            ),
        )
        passed, decided = _pass_counts(
            session,
            school_id=school_id,
            certificate_id=certificate_id,
            plan_ids=year_plans,
        )
        rows.append(
            {
                "certificate": name,
                "quota": int(quota or 0),
                "candidates": candidates,
                "registrations": registered,
                "paid": paid,
                "scheduled": scheduled,
                "passed": passed,
                "pass_rate": _rate(passed, decided),
            }
        )
    return rows


def province_numbers(session: Session, *, actor: Actor) -> list[dict]:
    """Return per school and certificate the declarations made and approved, with trainee counts."""
    require_role(actor, Role.PROVINCE_REVIEWER, Role.CITY_REVIEWER)
    query = (
        select(
            Organisation.name,
            Certificate.name,
            Declaration.status,
            Declaration.planned_count,
            Declaration.approved_count,
        )
        .join(Organisation, Organisation.id == Declaration.school_id)
        .join(Certificate, Certificate.id == Declaration.certificate_id)
        .join(DeclarationPlan, DeclarationPlan.id == Declaration.plan_id)
        .where(
            DeclarationPlan.province_code == actor.province_code,
            DeclarationPlan.year == pilot_year(session, actor=actor),
        )
    )
    if actor.role == Role.CITY_REVIEWER:
        query = query.where(Organisation.city_code == actor.city_code)
    rows: dict[tuple[str, str], dict] = {}
    for school, certificate, status, planned, approved in session.exec(query).all():
        row = rows.setdefault(
            (school, certificate),
            {
                "school": school,
                "certificate": certificate,
                "declared": 0,
                "approved": 0,
                "planned": 0,
                "approved_count": 0,
            },
        )
        if status != DeclarationStatus.DRAFT:
            row["declared"] += 1
            row["planned"] += planned
        if status == DeclarationStatus.APPROVED:
            row["approved"] += 1
            row["approved_count"] += approved or 0
    return sorted(rows.values(), key=lambda row: (row["school"], row["certificate"]))


def org_numbers(session: Session, *, actor: Actor) -> list[dict]:
    """Return per school the registrations, approved sites, seats and pass rate of the organisation's plans."""
    require_role(actor, Role.ORG_ADMIN)
    org_id = actor.organisation_id
    plan_ids = _plan_ids_of_year(pilot_year(session, actor=actor)).where(
        ExamPlan.org_id == org_id
    )
    registrations = dict(
        session.exec(
            select(Registration.school_id, func.count())
            .where(Registration.plan_id.in_(plan_ids))
            .group_by(Registration.school_id)
        ).all()
    )

    sites = dict(
        session.exec(
            select(ExamSite.school_id, func.count())
            .where(ExamSite.org_id == org_id, ExamSite.status == SiteStatus.APPROVED)
            .group_by(ExamSite.school_id)
        ).all()
    )

    seats = dict(
        session.exec(
            select(ExamSite.school_id, func.sum(Room.seats))
            .join(Room, Room.site_id == ExamSite.id)
            .where(ExamSite.org_id == org_id, Room.plan_id.in_(plan_ids))
            .group_by(ExamSite.school_id)
        ).all()
    )
    passes = {
        school_id: (int(passed or 0), decided)
        for school_id, passed, decided in session.exec(
            select(
                CertificateResult.school_id,
                func.sum(case((CertificateResult.passed, 1), else_=0)),
                func.count(),
            )
            .where(CertificateResult.plan_id.in_(plan_ids))
            .group_by(CertificateResult.school_id)
        ).all()
    }

    school_ids = set(registrations) | set(sites) | set(seats) | set(passes)
    names = dict(
        session.exec(
            select(Organisation.id, Organisation.name).where(
                Organisation.id.in_(school_ids)
            )
        ).all()
    )
    rows = []
    for school_id in sorted(school_ids, key=lambda key: names.get(key, "")):
        passed, decided = passes.get(school_id, (0, 0))
        rows.append(
            {
                "school": names.get(school_id, ""),
                "registrations": registrations.get(school_id, 0),
                "sites": sites.get(school_id, 0),
                "seats": int(seats.get(school_id) or 0),
                "passed": passed,
                "pass_rate": _rate(passed, decided),
            }
        )
    return rows


def _plan_ids_of_year(year: int) -> Select:
    """Return a query of the ids of the exam plans of pilot year ``year``."""
    year_start, next_year_start = _year_bounds(year)
    return select(ExamPlan.id).where(
        ExamPlan.registration_start >= year_start,
        ExamPlan.registration_start < next_year_start,
    )


def _count(session: Session, query) -> int:
    return session.exec(select(func.count()).select_from(query.subquery())).one()


def _count_distinct_candidates(session: Session, registrations) -> int:
    subquery = registrations.subquery()
    return session.exec(
        select(func.count(func.distinct(subquery.c.candidate_id)))
    ).one()


def _pass_counts(
    session: Session, *, school_id: int, certificate_id: int, plan_ids: Select
) -> tuple[int, int]:
    rows = session.exec(
        select(CertificateResult.passed)
        .join(PlanLevel, PlanLevel.id == CertificateResult.plan_level_id)
        .join(CertificateLevel, CertificateLevel.id == PlanLevel.certificate_level_id)
        .where(
            CertificateResult.school_id == school_id,
            CertificateLevel.certificate_id == certificate_id,
            CertificateResult.plan_id.in_(plan_ids),
        )
    ).all()
    return sum(1 for passed in rows if passed), len(rows)


def _rate(passed: int, decided: int) -> str:
    """Return the pass rate as a percentage with one decimal, or a dash before any result."""
    if decided == 0:
        return "—"
    return f"{passed * 100 / decided:.1f}%"
