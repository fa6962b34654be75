"""Score lists in the caller's scope: one page with counts per status, exports,
per-site statistics, the score distribution of a subject, and filter options.

The organisation's lists include every scheduled registration of its plans. A
school's lists include its own candidates, and only once the plan's publication
has started. A registration without an arrangement (unpaid, or not scheduled)
has no seat and cannot be scored, so every list and count here leaves it out.
"""

import logging
from dataclasses import dataclass

from sqlmodel import Session, func, or_, select

from xcert_app.clock import clock, format_beijing
from xcert_app.models.accounts import Role
from xcert_app.models.candidates import Candidate
from xcert_app.models.catalogue import ExamPlan, PlanSubject, Subject
from xcert_app.models.orgs import Organisation
from xcert_app.models.registrations import Registration
from xcert_app.models.scheduling import Arrangement
from xcert_app.models.scores import ScoreStatus, SubjectScore
from xcert_app.models.sites import ExamSite
from xcert_app.services import results
from xcert_app.services.actor import Actor, require_org, require_school
from xcert_app.services.errors import AccessDenied, NotFound
from xcert_app.services.masking import mask_id_number
from xcert_app.services.scores import (
    EXPORT_LIMIT,
    MISSING,
    STATUS_LABELS,
    load_org_plan,
    value_of,
)

logger = logging.getLogger(__name__)


@dataclass
class ScoreFilter:
    """Filters of a score list; empty values mean no filter."""

    plan_id: int | None = None
    subject_id: int | None = None
    site_id: int | None = None
    status: str = ""
    search: str = ""


def _scoped_query(session: Session, actor: Actor, filters: ScoreFilter):
    query = (
        select(
            Registration,
            Candidate,
            Subject,
            ExamPlan,
            SubjectScore,
            Arrangement,
            Organisation.name,
        )
        .join(Candidate, Candidate.id == Registration.candidate_id)
        .join(Subject, Subject.id == Registration.subject_id)
        .join(ExamPlan, ExamPlan.id == Registration.plan_id)
        .join(Organisation, Organisation.id == Registration.school_id)
        .join(Arrangement, Arrangement.registration_id == Registration.id)
        .outerjoin(SubjectScore, SubjectScore.registration_id == Registration.id)
    )
    if actor.role == Role.ORG_ADMIN:
        query = query.where(ExamPlan.org_id == require_org(actor))
    elif actor.is_school:
        query = query.where(
            Registration.school_id == require_school(actor),
            ExamPlan.publication_start <= clock.now(),
        )
    else:
        raise AccessDenied()
    if filters.plan_id:
        query = query.where(Registration.plan_id == filters.plan_id)
    if filters.subject_id:
        query = query.where(Registration.subject_id == filters.subject_id)
    if filters.site_id:
        query = query.where(Arrangement.site_id == filters.site_id)
    search = filters.search.strip()
    if search:
        query = query.where(
            or_(
                Candidate.name.contains(search),
                Candidate.id_number == search.upper(),
                Arrangement.ticket_number == search,
            )
        )
    return query


def _with_status(query, status: str):
    if status == MISSING:
        return query.where(SubjectScore.id == None)  # noqa: E711
    if status:
        return query.where(SubjectScore.status == status)
    return query


def _row_dict(item) -> dict[str, str]:
    registration, candidate, subject, plan, score, arrangement, school_name = item
    value = value_of(score)
    return {
        "registration_id": str(registration.id),
        "version": str(score.version) if score else "",
        "plan_code": plan.code,
        "candidate_name": candidate.name,
        "id_number": mask_id_number(candidate.id_number),
        "ticket_number": arrangement.ticket_number,
        "school_name": school_name,
        "subject_code": subject.code,
        "subject_name": subject.name,
        "score": value.label if value else "",
        "status": STATUS_LABELS[value.status] if value else "未录入",
        "entered_at": format_beijing(score.entered_at) if score else "",
    }


@dataclass
class ScorePage:
    """One page of a score list, with the total and counts per status."""

    rows: list[dict[str, str]]
    total: int
    counts: dict[str, int]


def list_scores(
    session: Session,
    *,
    actor: Actor,
    filters: ScoreFilter,
    offset: int = 0,
    limit: int = 20,
) -> ScorePage:
    """Return one page of scheduled registrations with their scores, in the caller's scope.

    The organisation gets every scheduled registration of its plans. A school gets
    its own candidates once publication has started.
    """
    base = _scoped_query(session, actor, filters)
    counts = {"all": 0, MISSING: 0}
    counts.update({status.value: 0 for status in ScoreStatus})
    status_column = base.with_only_columns(SubjectScore.status).subquery()
    for status, number in session.exec(
        select(status_column.c.status, func.count()).group_by(status_column.c.status)
    ).all():
        counts[status or MISSING] = number
        counts["all"] += number
    query = _with_status(base, filters.status)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    items = session.exec(
        query.order_by(
            Registration.plan_id, Subject.code, Candidate.name, Registration.id
        )
        .offset(offset)
        .limit(limit)
    ).all()
    return ScorePage(
        rows=[_row_dict(item) for item in items], total=total, counts=counts
    )


def export_scores(
    session: Session, *, actor: Actor, filters: ScoreFilter
) -> list[dict[str, str]]:
    """Return every row of a filtered score list, up to ``EXPORT_LIMIT``."""
    query = _with_status(_scoped_query(session, actor, filters), filters.status)
    items = session.exec(
        query.order_by(Registration.plan_id, Subject.code, Candidate.name).limit(
            EXPORT_LIMIT
        )
    ).all()
    logger.info("score export by account %s: %d rows", actor.account_id, len(items))
    return [_row_dict(item) for item in items]


def site_statistics(
    session: Session, *, actor: Actor, plan_id: int
) -> list[dict[str, str]]:
    """Count and average the plan's scores per exam site (organisation only).

    Only scheduled registrations count, each under the site of its seat.
    """
    plan = load_org_plan(session, actor=actor, plan_id=plan_id)
    items = session.exec(
        select(Registration, SubjectScore, PlanSubject.pass_mark, ExamSite.name)
        .join(PlanSubject, PlanSubject.id == Registration.plan_subject_id)
        .join(Arrangement, Arrangement.registration_id == Registration.id)
        .join(ExamSite, ExamSite.id == Arrangement.site_id)
        .outerjoin(SubjectScore, SubjectScore.registration_id == Registration.id)
        .where(Registration.plan_id == plan.id)
    ).all()
    sites: dict[str, dict] = {}
    for _registration, score, pass_mark, site_name in items:
        site = sites.setdefault(
            site_name,
            {"registered": 0, MISSING: 0, "absent": 0, "disqualified": 0, "marks": []},
        )
        site["registered"] += 1
        if score is None:
            site[MISSING] += 1
        elif score.status != ScoreStatus.SCORED:
            site[score.status] += 1
        else:
            site["marks"].append(
                (score.score_tenths, results.mark_to_tenths(pass_mark))
            )
    rows = []
    for name, site in sorted(sites.items()):
        marks = site["marks"]
        average = (
            results.round_half_up(sum(mark for mark, _ in marks), len(marks))
            if marks
            else None
        )
        passed = sum(1 for mark, needed in marks if mark >= needed)
        rows.append(
            {
                "site": name,
                "registered": str(site["registered"]),
                "scored": str(len(marks)),
                "absent": str(site["absent"]),
                "disqualified": str(site["disqualified"]),
                "missing": str(site[MISSING]),
                "average": results.format_tenths(average),
                "passed": str(passed),
            }
        )
    return rows


def score_distribution(
    session: Session, *, actor: Actor, plan_id: int, subject_id: int
) -> list[dict]:
    """Count the scores of one subject in ten equal bands of the plan's score range."""
    plan = session.get(ExamPlan, plan_id)
    if plan is None:
        raise NotFound("考试计划不存在")
    page_filter = ScoreFilter(plan_id=plan_id, subject_id=subject_id)
    query = _with_status(_scoped_query(session, actor, page_filter), ScoreStatus.SCORED)
    marks = session.exec(query.with_only_columns(SubjectScore.score_tenths)).all()
    counts = [0] * 10
    for (mark,) in marks:
        # A band is a tenth of the range: score_max tenths of a point wide.
        counts[min(mark // plan.score_max, 9)] += 1
    step = plan.score_max / 10
    return [
        {"band": f"{step * band:g}–{step * (band + 1):g}", "count": counts[band]}
        for band in range(10)
    ]


def plan_options(session: Session, *, actor: Actor) -> list[dict[str, str]]:
    """Return the plans whose scores the caller may see, newest first.

    The organisation gets all its plans; a school gets the plans its candidates
    registered for once their publication has started.
    """
    query = select(ExamPlan).order_by(ExamPlan.exam_start.desc())
    if actor.role == Role.ORG_ADMIN:
        query = query.where(ExamPlan.org_id == require_org(actor))
    elif actor.is_school:
        school_id = require_school(actor)
        query = query.where(
            ExamPlan.publication_start <= clock.now(),
            ExamPlan.id.in_(
                select(Registration.plan_id).where(Registration.school_id == school_id)
            ),
        )
    else:
        raise AccessDenied()
    return [
        {"value": str(plan.id), "label": f"{plan.code} {plan.name}"}
        for plan in session.exec(query).all()
    ]


def subject_options(
    session: Session, *, actor: Actor, plan_id: int
) -> list[dict[str, str]]:
    """Return the subjects examined under a plan the caller may see."""
    allowed = {int(option["value"]) for option in plan_options(session, actor=actor)}
    if plan_id not in allowed:
        raise NotFound("考试计划不存在或成绩尚未公示")
    subjects = session.exec(
        select(Subject)
        .join(PlanSubject, PlanSubject.subject_id == Subject.id)
        .where(PlanSubject.plan_id == plan_id)
        .order_by(Subject.code)
    ).all()
    return [
        {"value": str(subject.id), "label": f"{subject.code} {subject.name}"}
        for subject in subjects
    ]
