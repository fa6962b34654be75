"""Certificate results: the plan's pass rule applied per candidate and certificate level.

Rounding, used everywhere a composite or a mark is shown or compared: scores are
stored in tenths of a point (integers). The weighted composite is computed
exactly as ``sum(score_tenths * weight_percent)``, then divided by 100 and
rounded half up to whole tenths, so ``60.05`` becomes ``60.1``. Pass marks are
converted to tenths the same way. Every comparison is between integer tenths,
so no floating-point sum ever decides a result.
"""

import logging
from collections.abc import Iterator
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

    Only scheduled registrations (those with an arrangement) count. A level is
    judged once every subject the candidate was scheduled for has a score or a
    status. A subject of the level that was never scheduled counts as having no
    score, like a subject never registered, so the level fails. A candidate with
    no scheduled subject of a level gets no result for it. A pass creates or
    restores the issuance record. A result that
    stops passing withdraws an unsigned record, and raises for a signed one.
    Only the plan's organisation (or the system, with no actor) may recompute.
    """
    if actor is not None:
        require_org(actor)
        require_same_org(actor, plan.org_id)
    if plan_is_locked(plan):
        raise ServiceError(
            f"考试计划 {plan.code} 的公示期已结束，成绩和考证结果已永久锁定"
        )
    facts = _load_plan_facts(session, plan)
    registrations, scores, sites = _load_candidates(session, plan, candidate_ids)
    by_pair: dict[tuple[int, int], list[Registration]] = {}
    for registration in registrations:
        level_id = facts.level_of_plan_subject[registration.plan_subject_id]
        by_pair.setdefault((registration.candidate_id, level_id), []).append(
            registration
        )
    existing = {
        (result.candidate_id, result.plan_level_id): result
        for chunk in _chunks(sorted(candidate_ids))
        for result in session.exec(
            select(CertificateResult).where(
                CertificateResult.plan_id == plan.id,
                CertificateResult.candidate_id.in_(chunk),
            )
        ).all()
    }

    judged = []
    for (candidate_id, level_id), pair in sorted(by_pair.items()):
        if any(registration.id not in scores for registration in pair):
            continue
        plan_level = facts.levels[level_id]
        outcome = evaluate(
            rule=plan_level.rule,
            pass_mark=plan_level.pass_mark,
            subjects=_subject_outcomes(facts, level_id, pair, scores),
        )
        result = existing.get((candidate_id, level_id))
        before = (
            {"passed": result.passed, "composite": result.composite_tenths}
            if result
            else {}
        )
        if result is None:
            result = CertificateResult(
                plan_id=plan.id,
                plan_level_id=level_id,
                candidate_id=candidate_id,
                school_id=pair[0].school_id,
            )
        result.passed = outcome.passed
        result.composite_tenths = outcome.composite_tenths
        result.failure_reason = "；".join(outcome.reasons)[:256]
        result.computed_at = clock.now()
        session.add(result)
        site_id = next((sites[r.id] for r in pair if r.id in sites), None)
        judged.append((result, before, site_id))
    session.flush()

    _record_changes(session, actor=actor, judged=judged)
    _sync_issuance(session, actor=actor, plan=plan, facts=facts, judged=judged)
    return [result for result, _before, _site in judged]


def _chunks(values: list[int], size: int = 500) -> Iterator[list[int]]:
    """Split ids into lists small enough for one ``IN (...)`` on every database."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


@dataclass
class _PlanFacts:
    """A plan's levels, subjects and certificates, loaded once per recompute."""

    levels: dict[int, PlanLevel]
    level_of_plan_subject: dict[int, int]
    subjects_of_level: dict[int, list[tuple[PlanSubject, Subject]]]
    certificates: dict[int, tuple[Certificate, CertificateLevel]]


def _load_plan_facts(session: Session, plan: ExamPlan) -> _PlanFacts:
    levels = {
        level.id: level
        for level in session.exec(
            select(PlanLevel).where(PlanLevel.plan_id == plan.id)
        ).all()
    }
    facts = _PlanFacts(
        levels=levels, level_of_plan_subject={}, subjects_of_level={}, certificates={}
    )
    for plan_subject, subject in session.exec(
        select(PlanSubject, Subject)
        .join(Subject, Subject.id == PlanSubject.subject_id)
        .where(PlanSubject.plan_id == plan.id)
        .order_by(Subject.code)
    ).all():
        facts.level_of_plan_subject[plan_subject.id] = plan_subject.plan_level_id
        facts.subjects_of_level.setdefault(plan_subject.plan_level_id, []).append(
            (plan_subject, subject)
        )
    for plan_level_id, level, certificate in session.exec(
        select(PlanLevel.id, CertificateLevel, Certificate)
        .join(CertificateLevel, CertificateLevel.id == PlanLevel.certificate_level_id)
        .join(Certificate, Certificate.id == CertificateLevel.certificate_id)
        .where(PlanLevel.plan_id == plan.id)
    ).all():
        facts.certificates[plan_level_id] = (certificate, level)
    return facts


def _load_candidates(
    session: Session, plan: ExamPlan, candidate_ids: set[int]
) -> tuple[list[Registration], dict[int, SubjectScore], dict[int, int]]:
    """Load the candidates' scheduled registrations, scores and exam sites.

    Scores and sites are keyed by registration. A registration without an
    arrangement is left out, together with any score it has.
    """
    registrations: list[Registration] = []
    scores: dict[int, SubjectScore] = {}
    sites: dict[int, int] = {}
    for chunk in _chunks(sorted(candidate_ids)):
        for registration, score, site_id in session.exec(
            select(Registration, SubjectScore, Arrangement.site_id)
            .join(Arrangement, Arrangement.registration_id == Registration.id)
            .outerjoin(SubjectScore, SubjectScore.registration_id == Registration.id)
            .where(
                Registration.plan_id == plan.id,
                Registration.candidate_id.in_(chunk),
            )
        ).all():
            registrations.append(registration)
            sites[registration.id] = site_id
            if score is not None:
                scores[registration.id] = score
    return registrations, scores, sites


def _subject_outcomes(
    facts: _PlanFacts,
    level_id: int,
    registrations: list[Registration],
    scores: dict[int, SubjectScore],
) -> list[SubjectOutcome]:
    registered = {r.plan_subject_id: r for r in registrations}
    outcomes = []
    for plan_subject, subject in facts.subjects_of_level.get(level_id, []):
        registration = registered.get(plan_subject.id)
        score = scores.get(registration.id) if registration else None
        outcomes.append(
            SubjectOutcome(
                name=subject.name,
                weight_percent=plan_subject.weight_percent,
                pass_mark=plan_subject.pass_mark,
                status=score.status if score else None,
                tenths=score.score_tenths if score else None,
            )
        )
    return outcomes


def _record_changes(session: Session, *, actor: Actor | None, judged: list) -> None:
    for result, before, _site_id in judged:
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


def _sync_issuance(
    session: Session,
    *,
    actor: Actor | None,
    plan: ExamPlan,
    facts: _PlanFacts,
    judged: list,
) -> None:
    """Create, withdraw or restore the issuance record of each judged result."""
    records = {
        record.result_id: record
        for chunk in _chunks(sorted(result.id for result, _b, _s in judged))
        for record in session.exec(
            select(IssuanceRecord).where(IssuanceRecord.result_id.in_(chunk))
        ).all()
    }
    new_passes = []
    for result, _before, site_id in judged:
        record = records.get(result.id)
        if result.passed and record is None:
            new_passes.append((result, site_id))
        elif result.passed and record.status == IssuanceStatus.WITHDRAWN:
            _set_record_status(session, actor, record, IssuanceStatus.PENDING)
        elif not result.passed and record is not None:
            if record.status == IssuanceStatus.WITHDRAWN:
                continue
            if record.school_signed_at or record.org_signed_at:
                raise ServiceError(
                    f"证书 {record.certificate_number} 已有签发签名，"
                    "这次成绩修改会使考证结果变为不通过，不能保存；请先与院校核实"
                )
            _set_record_status(session, actor, record, IssuanceStatus.WITHDRAWN)
    _create_records(session, actor=actor, plan=plan, facts=facts, new_passes=new_passes)


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


def _create_records(
    session: Session,
    *,
    actor: Actor | None,
    plan: ExamPlan,
    facts: _PlanFacts,
    new_passes: list[tuple[CertificateResult, int | None]],
) -> None:
    """Add an issuance record per new pass, reserving serials once per certificate."""
    by_level: dict[int, list[tuple[CertificateResult, int | None]]] = {}
    for result, site_id in new_passes:
        by_level.setdefault(result.plan_level_id, []).append((result, site_id))
    schools: dict[int, Organisation] = {}
    created = []
    for plan_level_id, passes in sorted(by_level.items()):
        certificate, level = facts.certificates[plan_level_id]
        prefix = certificate_number_prefix(
            certificate=certificate, level=level, plan=plan
        )
        serials = next_values(session, f"certificate:{certificate.code}", len(passes))
        if serials[-1] > 99_999_999:
            raise ServiceError(f"证书 {certificate.name} 的证书编号流水号已用尽")
        for (result, site_id), serial in zip(passes, serials, strict=True):
            if result.school_id not in schools:
                schools[result.school_id] = session.get(Organisation, result.school_id)
            province = (schools[result.school_id].province_code or "00")[:2]
            record = IssuanceRecord(
                result_id=result.id,
                certificate_number=f"{prefix}{province.rjust(2, '0')}{serial:08d}",
                candidate_id=result.candidate_id,
                school_id=result.school_id,
                org_id=plan.org_id,
                plan_id=plan.id,
                certificate_level_id=level.id,
                site_id=site_id,
            )
            session.add(record)
            created.append(record)
    session.flush()
    for record in created:
        audit.record(
            session,
            actor=actor,
            action="issuance.create",
            entity="issuancerecord",
            entity_id=record.id,
            after={"certificate_number": record.certificate_number},
        )


def certificate_number_prefix(
    *, certificate: Certificate, level: CertificateLevel, plan: ExamPlan
) -> str:
    """Return the first 12 digits of the plan level's 22-digit certificate numbers.

    A certificate number reads, left to right:

    - 9 digits: the certificate code (``156000310``);
    - 1 digit: the level, 1 初级, 2 中级, 3 高级;
    - 2 digits: the year of the plan's exam start in Beijing time (``26``);
    - 2 digits: the province of the school, from its division code (``11``);
    - 8 digits: a serial per certificate code from the counter
      ``certificate:<code>`` in ``services.numbers``, which never hands out a
      value twice.

    The serial alone makes a number unique within a certificate, and the
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
    year = to_beijing(plan.exam_start).year % 100
    return f"{certificate.code}{level_digit}{year:02d}"


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


def freeze_due_plans(session: Session, *, actor: Actor | None) -> int:
    """Freeze the results of every plan whose publication ended; return the count.

    ``actor`` limits it to the caller's scope, and None (the operator command)
    covers every plan.

    NOTE: freezing runs when a result list is opened or ``python -m xcert_app
    scores freeze`` runs, not at the moment publication ends. Code that must
    know whether a result can still change should also check ``plan_is_locked``.
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
    if actor is None:
        pass
    elif actor.role == Role.ORG_ADMIN:
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
