"""Certificate results: the plan's pass rule applied per candidate and certificate level.

Rounding, used everywhere a composite or a mark is shown or compared: scores are
stored in tenths of a point (integers). The weighted composite is computed
exactly as ``sum(score_tenths * weight_percent)``, then divided by 100 and
rounded half up to whole tenths, so ``60.05`` becomes ``60.1``. Pass marks are
converted to tenths the same way. Every comparison is between integer tenths,
so no floating-point sum ever decides a result.
"""

import logging
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from sqlmodel import Session, func, or_, select

from xcert_app.clock import clock, to_beijing
from xcert_app.models.accounts import Role
from xcert_app.models.candidates import Candidate
from xcert_app.models.catalogue import (
    Certificate,
    CertificateLevel,
    ExamPlan,
    PassRule,
    PlanLevel,
    PlanSubject,
    Subject,
)
from xcert_app.models.issuance import IssuanceRecord, IssuanceStatus
from xcert_app.models.orgs import Organisation
from xcert_app.models.registrations import Registration
from xcert_app.models.scheduling import Arrangement
from xcert_app.models.scores import CertificateResult, ScoreStatus, SubjectScore
from xcert_app.services import audit
from xcert_app.services.actor import (
    Actor,
    require_org,
    require_role,
    require_same_org,
    require_school,
)
from xcert_app.services.errors import AccessDenied, ServiceError
from xcert_app.services.masking import mask_id_number
from xcert_app.services.numbers import next_values

logger = logging.getLogger(__name__)

LEVEL_DIGITS = {"初级": "1", "中级": "2", "高级": "3"}
STATUS_WORDS = {ScoreStatus.ABSENT: "缺考", ScoreStatus.DISQUALIFIED: "违纪"}


def round_half_up(numerator: int, denominator: int) -> int:
    """Divide two non-negative integers and round half up to an integer."""
    return (2 * numerator + denominator) // (2 * denominator)


def mark_to_tenths(mark: float) -> int:
    """Convert a pass mark such as ``60`` or ``59.95`` to tenths, rounding half up."""
    tenths = (Decimal(str(mark)) * 10).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(tenths)


def format_tenths(tenths: int | None) -> str:
    """Show tenths as a mark with one decimal: ``610`` → ``61.0``; None → empty."""
    if tenths is None:
        return ""
    return f"{tenths // 10}.{tenths % 10}"


@dataclass(frozen=True)
class SubjectOutcome:
    """One subject's weight, pass mark and score, as input to a pass rule."""

    name: str
    weight_percent: int
    pass_mark: float
    status: str | None
    tenths: int | None


@dataclass
class Outcome:
    """The rule's verdict for one candidate and level."""

    passed: bool
    composite_tenths: int | None
    reasons: list[str] = field(default_factory=list)


def evaluate(*, rule: str, pass_mark: float, subjects: list[SubjectOutcome]) -> Outcome:
    """Apply a pass rule to the subjects of one level; ``status`` None means not sat.

    A subject that is absent, disqualified or has no score fails either rule, and
    then no composite is given.
    """
    reasons = []
    for subject in subjects:
        if subject.status is None:
            reasons.append(f"{subject.name}无成绩")
        elif subject.status in STATUS_WORDS:
            reasons.append(f"{subject.name}{STATUS_WORDS[subject.status]}")
    complete = not reasons
    composite = None
    total_weight = sum(subject.weight_percent for subject in subjects)
    if complete and total_weight == 100:
        weighted = sum(subject.tenths * subject.weight_percent for subject in subjects)
        composite = round_half_up(weighted, 100)
    if rule == PassRule.COMPOSITE:
        if complete and total_weight != 100:
            raise ServiceError(
                f"各科权重之和为 {total_weight}%，应为 100%；"
                "请先在考试计划中修正权重，再计算考证结果"
            )
        if complete and composite < mark_to_tenths(pass_mark):
            reasons.append(
                f"综合成绩 {format_tenths(composite)} 低于合格线 "
                f"{format_tenths(mark_to_tenths(pass_mark))}"
            )
    else:
        for subject in subjects:
            if subject.tenths is not None and subject.tenths < mark_to_tenths(
                subject.pass_mark
            ):
                reasons.append(
                    f"{subject.name} {format_tenths(subject.tenths)} 低于合格线 "
                    f"{format_tenths(mark_to_tenths(subject.pass_mark))}"
                )
    return Outcome(passed=not reasons, composite_tenths=composite, reasons=reasons)


def plan_is_locked(plan: ExamPlan) -> bool:
    """Tell whether the publication window has ended, which locks scores and results."""
    return clock.now() > plan.publication_end


def freeze_if_due(session: Session, *, plan: ExamPlan) -> int:
    """Mark a locked plan's results frozen; return how many were frozen now."""
    if not plan_is_locked(plan):
        return 0
    results = session.exec(
        select(CertificateResult).where(
            CertificateResult.plan_id == plan.id,
            CertificateResult.is_frozen == False,  # noqa: E712
        )
    ).all()
    for result in results:
        result.is_frozen = True
        session.add(result)
    if results:
        audit.record(
            session,
            actor=None,
            action="results.freeze",
            entity="examplan",
            entity_id=plan.id,
            after={"frozen": len(results)},
        )
        logger.info("plan %s: %d results frozen", plan.code, len(results))
    return len(results)


def recompute(
    session: Session,
    *,
    actor: Actor | None,
    plan: ExamPlan,
    candidate_ids: set[int],
) -> list[CertificateResult]:
    """Recompute the results of ``candidate_ids`` for every level they sat in ``plan``.

    A level is judged once every subject the candidate registered for has a score
    or a status. A pass creates or restores the issuance record; a result that
    stops passing withdraws an unsigned record and is refused for a signed one.
    Only the plan's organisation (or the system, with no actor) may recompute.
    """
    if actor is not None:
        require_org(actor)
        require_same_org(actor, plan.org_id)
    if plan_is_locked(plan):
        raise ServiceError(
            f"考试计划 {plan.code} 的公示期已结束，成绩和考证结果已永久锁定"
        )
    registrations = session.exec(
        select(Registration).where(
            Registration.plan_id == plan.id,
            Registration.candidate_id.in_(candidate_ids),
        )
    ).all()
    by_pair: dict[tuple[int, int], list[Registration]] = {}
    for registration in registrations:
        plan_subject = session.get(PlanSubject, registration.plan_subject_id)
        key = (registration.candidate_id, plan_subject.plan_level_id)
        by_pair.setdefault(key, []).append(registration)
    changed = []
    for (candidate_id, plan_level_id), pair_registrations in sorted(by_pair.items()):
        result = _recompute_one(
            session,
            actor=actor,
            plan=plan,
            plan_level=session.get(PlanLevel, plan_level_id),
            candidate_id=candidate_id,
            registrations=pair_registrations,
        )
        if result is not None:
            changed.append(result)
    return changed


def _recompute_one(
    session: Session,
    *,
    actor: Actor | None,
    plan: ExamPlan,
    plan_level: PlanLevel,
    candidate_id: int,
    registrations: list[Registration],
) -> CertificateResult | None:
    scores = {
        score.registration_id: score
        for score in session.exec(
            select(SubjectScore).where(
                SubjectScore.registration_id.in_([r.id for r in registrations])
            )
        ).all()
    }
    if len(scores) < len(registrations):
        return None
    registered = {r.plan_subject_id: r for r in registrations}
    subjects = []
    plan_subjects = session.exec(
        select(PlanSubject, Subject)
        .join(Subject, Subject.id == PlanSubject.subject_id)
        .where(PlanSubject.plan_level_id == plan_level.id)
        .order_by(Subject.code)
    ).all()
    for plan_subject, subject in plan_subjects:
        registration = registered.get(plan_subject.id)
        score = scores.get(registration.id) if registration else None
        subjects.append(
            SubjectOutcome(
                name=subject.name,
                weight_percent=plan_subject.weight_percent,
                pass_mark=plan_subject.pass_mark,
                status=score.status if score else None,
                tenths=score.score_tenths if score else None,
            )
        )
    outcome = evaluate(
        rule=plan_level.rule, pass_mark=plan_level.pass_mark, subjects=subjects
    )
    return _store(
        session,
        actor=actor,
        plan=plan,
        plan_level=plan_level,
        candidate_id=candidate_id,
        school_id=registrations[0].school_id,
        outcome=outcome,
        site_id=_site_of(session, registrations),
    )


def _site_of(session: Session, registrations: list[Registration]) -> int | None:
    return session.exec(
        select(Arrangement.site_id).where(
            Arrangement.registration_id.in_([r.id for r in registrations])
        )
    ).first()


def _store(
    session: Session,
    *,
    actor: Actor | None,
    plan: ExamPlan,
    plan_level: PlanLevel,
    candidate_id: int,
    school_id: int,
    outcome: Outcome,
    site_id: int | None,
) -> CertificateResult:
    result = session.exec(
        select(CertificateResult).where(
            CertificateResult.plan_level_id == plan_level.id,
            CertificateResult.candidate_id == candidate_id,
        )
    ).first()
    before = (
        {"passed": result.passed, "composite": result.composite_tenths}
        if result
        else {}
    )

    if result is None:
        result = CertificateResult(
            plan_id=plan.id,
            plan_level_id=plan_level.id,
            candidate_id=candidate_id,
            school_id=school_id,
        )
    result.passed = outcome.passed
    result.composite_tenths = outcome.composite_tenths
    result.failure_reason = "；".join(outcome.reasons)[:256]
    result.computed_at = clock.now()
    session.add(result)
    session.flush()

    after = {"passed": result.passed, "composite": result.composite_tenths}
    if before != after:
        audit.record(
            session,
            actor=actor,
            action="result.compute",
            entity="certificateresult",
            entity_id=result.id,
            before=before,
            after=after,
        )
    _sync_issuance(
        session, actor=actor, plan=plan, plan_level=plan_level, result=result
    )
    if site_id is not None:
        record = _record_of(session, result)
        if record is not None and record.site_id is None:
            record.site_id = site_id
            session.add(record)
    return result


def _record_of(session: Session, result: CertificateResult) -> IssuanceRecord | None:
    return session.exec(
        select(IssuanceRecord).where(IssuanceRecord.result_id == result.id)
    ).first()


def _sync_issuance(
    session: Session,
    *,
    actor: Actor | None,
    plan: ExamPlan,
    plan_level: PlanLevel,
    result: CertificateResult,
) -> None:
    record = _record_of(session, result)
    if result.passed and record is None:
        _create_record(
            session, actor=actor, plan=plan, plan_level=plan_level, result=result
        )
    elif result.passed and record.status == IssuanceStatus.WITHDRAWN:
        _set_record_status(session, actor, record, IssuanceStatus.PENDING)
    elif not result.passed and record is not None:
        if record.status == IssuanceStatus.WITHDRAWN:
            return
        if record.school_signed_at or record.org_signed_at:
            raise ServiceError(
                f"证书 {record.certificate_number} 已有签发签名，"
                "这次成绩修改会使考证结果变为不通过，不能保存；请先与院校核实"
            )
        _set_record_status(session, actor, record, IssuanceStatus.WITHDRAWN)


def _set_record_status(
    session: Session, actor: Actor | None, record: IssuanceRecord, status: str
) -> None:
    before = record.status
    record.status = status
    record.version += 1
    session.add(record)
    audit.record(
        session,
        actor=actor,
        action="issuance.status",
        entity="issuancerecord",
        entity_id=record.id,
        before={"status": before},
        after={"status": status},
    )


def _create_record(
    session: Session,
    *,
    actor: Actor | None,
    plan: ExamPlan,
    plan_level: PlanLevel,
    result: CertificateResult,
) -> IssuanceRecord:
    level = session.get(CertificateLevel, plan_level.certificate_level_id)
    certificate = session.get(Certificate, level.certificate_id)
    school = session.get(Organisation, result.school_id)
    record = IssuanceRecord(
        result_id=result.id,
        certificate_number=next_certificate_number(
            session, certificate=certificate, level=level, plan=plan, school=school
        ),
        candidate_id=result.candidate_id,
        school_id=result.school_id,
        org_id=plan.org_id,
        plan_id=plan.id,
        certificate_level_id=level.id,
    )
    session.add(record)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="issuance.create",
        entity="issuancerecord",
        entity_id=record.id,
        after={"certificate_number": record.certificate_number},
    )
    return record


def next_certificate_number(
    session: Session,
    *,
    certificate: Certificate,
    level: CertificateLevel,
    plan: ExamPlan,
    school: Organisation,
) -> str:
    """Reserve a new 22-digit certificate number.

    Structure, left to right:

    - 9 digits: the certificate code (``156000310``);
    - 1 digit: the level, 1 初级, 2 中级, 3 高级;
    - 2 digits: the year of the plan's exam start in Beijing time (``26``);
    - 2 digits: the province of the school, from its division code (``11``);
    - 8 digits: a serial per certificate code, from the counter
      ``certificate:<code>``, which never hands out a value twice.

    The serial alone makes the number unique within a certificate, and the
    certificate code makes it unique across certificates.
    """
    if not (certificate.code.isdigit() and len(certificate.code) == 9):
        raise ServiceError(
            f"证书 {certificate.name} 的编码 {certificate.code} 不是 9 位数字，"
            "无法生成证书编号；请联系平台运营修正证书编码"
        )
    level_digit = LEVEL_DIGITS.get(level.level)
    if level_digit is None:
        raise ServiceError(f"证书等级 {level.level} 无法编入证书编号")
    year = f"{to_beijing(plan.exam_start).year % 100:02d}"
    province = (school.province_code or "00")[:2].rjust(2, "0")
    (serial,) = next_values(session, f"certificate:{certificate.code}")
    if serial > 99_999_999:
        raise ServiceError(f"证书 {certificate.name} 的证书编号流水号已用尽")
    return f"{certificate.code}{level_digit}{year}{province}{serial:08d}"


@dataclass
class ResultFilter:
    """Filters of a result list; empty values mean no filter."""

    plan_id: int | None = None
    certificate_level_id: int | None = None
    outcome: str = ""
    search: str = ""


@dataclass
class ResultPage:
    """One page of results, with counts and the pass rate per certificate level."""

    rows: list[dict[str, str]]
    total: int
    counts: dict[str, int]
    pass_rates: list[dict[str, str]]


def _results_query():
    return (
        select(
            CertificateResult,
            Candidate,
            ExamPlan,
            CertificateLevel,
            Certificate,
            Organisation.name,
            IssuanceRecord.certificate_number,
        )
        .join(Candidate, Candidate.id == CertificateResult.candidate_id)
        .join(ExamPlan, ExamPlan.id == CertificateResult.plan_id)
        .join(PlanLevel, PlanLevel.id == CertificateResult.plan_level_id)
        .join(CertificateLevel, CertificateLevel.id == PlanLevel.certificate_level_id)
        .join(Certificate, Certificate.id == CertificateLevel.certificate_id)
        .join(Organisation, Organisation.id == CertificateResult.school_id)
        .outerjoin(
            IssuanceRecord,
            (IssuanceRecord.result_id == CertificateResult.id)
            & (IssuanceRecord.status != IssuanceStatus.WITHDRAWN),
        )
    )


def _scoped_results(actor: Actor, filters: ResultFilter):
    query = _results_query()
    if actor.role == Role.ORG_ADMIN:
        query = query.where(ExamPlan.org_id == require_org(actor))
    elif actor.is_school:
        query = query.where(
            CertificateResult.school_id == require_school(actor),
            ExamPlan.publication_start <= clock.now(),
        )
    else:
        raise AccessDenied()
    if filters.plan_id:
        query = query.where(CertificateResult.plan_id == filters.plan_id)
    if filters.certificate_level_id:
        query = query.where(CertificateLevel.id == filters.certificate_level_id)
    search = filters.search.strip()
    if search:
        query = query.where(
            or_(
                Candidate.name.contains(search),
                Candidate.id_number == search.upper(),
                IssuanceRecord.certificate_number == search,
            )
        )
    return query


def _with_outcome(query, outcome: str):
    if outcome == "passed":
        return query.where(CertificateResult.passed == True)  # noqa: E712
    if outcome == "failed":
        return query.where(CertificateResult.passed == False)  # noqa: E712
    return query


def _result_row(item) -> dict[str, str]:
    result, candidate, plan, level, certificate, school_name, number = item
    return {
        "result_id": str(result.id),
        "plan_code": plan.code,
        "candidate_name": candidate.name,
        "id_number": mask_id_number(candidate.id_number),
        "school_name": school_name,
        "certificate": f"{certificate.name}（{level.level}）",
        "composite": format_tenths(result.composite_tenths),
        "outcome": "通过" if result.passed else "未通过",
        "reason": result.failure_reason,
        "state": "已锁定" if result.is_frozen or plan_is_locked(plan) else "公示中",
        "certificate_number": number or "",
    }


def freeze_due_plans(session: Session, *, actor: Actor) -> int:
    """Freeze the results of every plan in the caller's scope whose publication ended.

    The scope is the organisation's plans or the school's results; other roles get
    ``AccessDenied``.
    """
    query = (
        select(ExamPlan)
        .join(CertificateResult, CertificateResult.plan_id == ExamPlan.id)
        .where(
            CertificateResult.is_frozen == False,  # noqa: E712
            ExamPlan.publication_end < clock.now(),
        )
        .distinct()
    )
    if actor.role == Role.ORG_ADMIN:
        query = query.where(ExamPlan.org_id == actor.organisation_id)
    elif actor.is_school:
        query = query.where(CertificateResult.school_id == actor.organisation_id)
    else:
        raise AccessDenied()
    return sum(freeze_if_due(session, plan=plan) for plan in session.exec(query).all())


def list_results(
    session: Session,
    *,
    actor: Actor,
    filters: ResultFilter,
    offset: int = 0,
    limit: int = 20,
) -> ResultPage:
    """Return one page of certificate results in the caller's scope.

    The organisation sees every result of its plans; a school sees its own
    candidates' results once publication has started.
    """
    freeze_due_plans(session, actor=actor)
    base = _scoped_results(actor, filters)
    per_level = base.with_only_columns(
        Certificate.name, CertificateLevel.level, CertificateResult.passed
    ).subquery()
    rates: dict[str, list[int]] = {}
    for name, level, passed, number in session.exec(
        select(per_level.c.name, per_level.c.level, per_level.c.passed, func.count())
        .group_by(per_level.c.name, per_level.c.level, per_level.c.passed)
        .order_by(per_level.c.name, per_level.c.level)
    ).all():
        totals = rates.setdefault(f"{name}（{level}）", [0, 0])
        totals[0] += number
        totals[1] += number if passed else 0
    query = _with_outcome(base, filters.outcome)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    items = session.exec(
        query.order_by(
            ExamPlan.id, Certificate.name, Candidate.name, CertificateResult.id
        )
        .offset(offset)
        .limit(limit)
    ).all()
    all_count = sum(totals[0] for totals in rates.values())
    passed_count = sum(totals[1] for totals in rates.values())
    return ResultPage(
        rows=[_result_row(item) for item in items],
        total=total,
        counts={
            "all": all_count,
            "passed": passed_count,
            "failed": all_count - passed_count,
        },
        pass_rates=[
            {
                "certificate": certificate,
                "total": str(totals[0]),
                "passed": str(totals[1]),
                "rate": _percent(totals[1], totals[0]),
            }
            for certificate, totals in rates.items()
        ],
    )


def _percent(part: int, whole: int) -> str:
    """Show a share as a percentage with one decimal, rounded half up."""
    if whole == 0:
        return ""
    return format_tenths(round_half_up(part * 1000, whole)) + "%"


def export_results(
    session: Session, *, actor: Actor, filters: ResultFilter
) -> list[dict[str, str]]:
    """Return every row of a filtered result list, up to 50,000."""
    query = _with_outcome(_scoped_results(actor, filters), filters.outcome)
    items = session.exec(
        query.order_by(ExamPlan.id, Certificate.name, Candidate.name).limit(50_000)
    ).all()
    logger.info("result export by account %s: %d rows", actor.account_id, len(items))
    return [_result_row(item) for item in items]


def results_for_candidate(session: Session, *, actor: Actor) -> list[dict[str, str]]:
    """Return the caller's own certificate results of plans whose publication started."""
    require_role(actor, Role.CANDIDATE)
    if actor.candidate_id is None:
        return []
    query = _results_query().where(
        CertificateResult.candidate_id == actor.candidate_id,
        ExamPlan.publication_start <= clock.now(),
    )
    return [_result_row(item) for item in session.exec(query).all()]
