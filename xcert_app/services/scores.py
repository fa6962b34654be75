"""Subject scores: entry inside the score-entry window, publication, corrections with a
reason during publication, and the permanent lock once publication ends.

Windows (all bounds inclusive, read from the business clock):

- score entry: the organisation imports scores and edits them by form; replacing
  a score that differs needs a reason;
- publication: schools and students see the scores; the organisation may only
  correct single scores, each with a reason;
- after publication: every path (import, form, command) rejects a change.

Only a registration with an arrangement (a seat and an admission ticket) can be
scored: an unpaid or unscheduled registration never sat the exam.
"""

import logging
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from sqlalchemy import update
from sqlmodel import Session, select

from xcert_app.clock import clock, format_beijing
from xcert_app.models.accounts import Role
from xcert_app.models.candidates import Candidate
from xcert_app.models.catalogue import ExamPlan, PlanSubject, Subject
from xcert_app.models.registrations import Registration
from xcert_app.models.scheduling import Arrangement
from xcert_app.models.scores import ScoreChange, ScoreStatus, SubjectScore
from xcert_app.services import audit, results
from xcert_app.services.actor import (
    Actor,
    require_org,
    require_role,
    require_same_org,
)
from xcert_app.services.errors import (
    Conflict,
    NotFound,
    ServiceError,
    ValidationError,
)
from xcert_app.services.masking import mask_id_number

logger = logging.getLogger(__name__)

STATUS_LABELS = {
    ScoreStatus.SCORED: "已录入",
    ScoreStatus.ABSENT: "缺考",
    ScoreStatus.DISQUALIFIED: "违纪",
}
STATUS_WORDS = {"缺考": ScoreStatus.ABSENT, "违纪": ScoreStatus.DISQUALIFIED}
MISSING = "missing"
EXPORT_LIMIT = 50_000


class Phase(StrEnum):
    NOT_OPEN = "not_open"
    ENTRY = "entry"
    PUBLICATION = "publication"
    LOCKED = "locked"


def phase_of(plan: ExamPlan) -> Phase:
    """Return the plan's current phase among its score windows."""
    now = clock.now()
    if now > plan.publication_end:
        return Phase.LOCKED
    if plan.publication_start <= now:
        return Phase.PUBLICATION
    if plan.score_entry_start <= now <= plan.score_entry_end:
        return Phase.ENTRY
    return Phase.NOT_OPEN


UNSCHEDULED_MESSAGE = "该考生未安排考场（未缴费或未排考），不能录入成绩"


def _locked_message(plan: ExamPlan) -> str:
    return (
        f"考试计划 {plan.code} 的成绩公示期已于 {format_beijing(plan.publication_end)}"
        " 结束，成绩已永久锁定，不能再导入或修改"
    )


def _entry_window_message(plan: ExamPlan) -> str:
    return (
        f"考试计划 {plan.code} 的成绩登记时间为 "
        f"{format_beijing(plan.score_entry_start)} 至 "
        f"{format_beijing(plan.score_entry_end)}，现在不在此时间内"
    )


@dataclass(frozen=True)
class ScoreValue:
    """A parsed score: a mark in tenths, or an absent/disqualified status."""

    status: ScoreStatus
    tenths: int | None = None

    @property
    def label(self) -> str:
        if self.status == ScoreStatus.SCORED:
            return results.format_tenths(self.tenths)
        return STATUS_LABELS[self.status]


class ScoreFormatError(ValueError):
    """A score cell or form value that is not a valid score; the message is Chinese."""


def allowed_decimals(plan: ExamPlan) -> int:
    """Return the decimals a score may have; storage in tenths caps it at one."""
    return max(0, min(plan.score_decimals, 1))


def parse_score(raw: object, *, plan: ExamPlan) -> ScoreValue:
    """Parse a score cell or form value: a number in range, 缺考 or 违纪."""
    if isinstance(raw, bool) or raw is None:
        raise ScoreFormatError("成绩为空，请填写分数，或填写“缺考”“违纪”")
    if isinstance(raw, int):
        value = Decimal(raw)
    elif isinstance(raw, float):
        value = Decimal(repr(raw))
    else:
        text = unicodedata.normalize("NFKC", str(raw)).strip()
        if not text:
            raise ScoreFormatError("成绩为空，请填写分数，或填写“缺考”“违纪”")
        if text in STATUS_WORDS:
            return ScoreValue(status=STATUS_WORDS[text])
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise ScoreFormatError(
                f"成绩“{text}”不是数字，也不是“缺考”或“违纪”"
            ) from None
    if not value.is_finite() or value < 0 or value > plan.score_max:
        raise ScoreFormatError(f"成绩 {value} 超出 0–{plan.score_max} 分的范围")
    decimals = allowed_decimals(plan)
    if -value.as_tuple().exponent > decimals and value != value.quantize(
        Decimal(1).scaleb(-decimals)
    ):
        raise ScoreFormatError(
            f"成绩 {value} 的小数位数超过 {decimals} 位，请按考试计划的要求填写"
        )
    return ScoreValue(status=ScoreStatus.SCORED, tenths=int(value * 10))


def value_of(score: SubjectScore | None) -> ScoreValue | None:
    """Return a stored score as a ``ScoreValue``, or None when there is none."""
    if score is None:
        return None
    return ScoreValue(status=ScoreStatus(score.status), tenths=score.score_tenths)


def load_org_plan(session: Session, *, actor: Actor, plan_id: int) -> ExamPlan:
    """Return one of the caller's organisation's plans."""
    require_org(actor)
    plan = session.get(ExamPlan, plan_id)
    if plan is None:
        raise NotFound("考试计划不存在")
    require_same_org(actor, plan.org_id)
    return plan


def _write_score(
    session: Session,
    *,
    actor: Actor,
    plan: ExamPlan,
    registration: Registration,
    existing: SubjectScore | None,
    value: ScoreValue,
    reason: str,
    expected_version: int | None,
) -> tuple[str, SubjectScore]:
    """Create or replace one score.

    Returns ``created``, ``replaced`` or ``unchanged`` with the score row. A new
    row is flushed only when its change record needs the id, so imports batch
    their inserts.
    """
    phase = phase_of(plan)
    reason = reason.strip()
    if existing is not None and value_of(existing) == value:
        return "unchanged", existing

    if existing is None:
        existing = SubjectScore(
            registration_id=registration.id,
            plan_id=plan.id,
            candidate_id=registration.candidate_id,
            subject_id=registration.subject_id,
            score_tenths=value.tenths,
            status=value.status,
            entered_by_id=actor.account_id,
        )
        session.add(existing)
        if phase == Phase.PUBLICATION:
            session.flush()
            _record_change(session, actor, existing, None, value, reason)
        return "created", existing

    version = existing.version if expected_version is None else expected_version
    before = value_of(existing)
    outcome = session.exec(
        update(SubjectScore)
        .where(SubjectScore.id == existing.id, SubjectScore.version == version)
        .values(
            score_tenths=value.tenths,
            status=value.status,
            entered_by_id=actor.account_id,
            entered_at=clock.now(),
            version=SubjectScore.version + 1,
        )
    )
    if outcome.rowcount == 0:
        raise Conflict("该成绩已被他人修改，请刷新后查看最新成绩再修改")
    session.refresh(existing)
    _record_change(session, actor, existing, before, value, reason)
    return "replaced", existing


def _record_change(
    session: Session,
    actor: Actor,
    score: SubjectScore,
    before: ScoreValue | None,
    after: ScoreValue,
    reason: str,
) -> None:
    session.add(
        ScoreChange(
            score_id=score.id,
            before_tenths=before.tenths if before else None,
            before_status=before.status if before else "",
            after_tenths=after.tenths,
            after_status=after.status,
            reason=reason,
            changed_by_id=actor.account_id,
        )
    )
    audit.record(
        session,
        actor=actor,
        action="score.correct",
        entity="subjectscore",
        entity_id=score.id,
        before={"score": before.label if before else ""},
        after={"score": after.label, "reason": reason},
    )


def save_score(
    session: Session,
    *,
    actor: Actor,
    registration_id: int,
    score: str,
    reason: str = "",
    expected_version: int | None = None,
) -> SubjectScore:
    """Enter or correct one registration's score from the form.

    During score entry a first score needs no reason and a different one does;
    during publication every change needs a reason; afterwards nothing changes.
    ``expected_version`` is the version the form showed (optimistic locking).
    """
    registration = session.get(Registration, registration_id)
    if registration is None:
        raise NotFound("报考记录不存在")
    plan = load_org_plan(session, actor=actor, plan_id=registration.plan_id)
    phase = phase_of(plan)
    if phase == Phase.LOCKED:
        raise ServiceError(_locked_message(plan))
    if phase == Phase.NOT_OPEN:
        raise ServiceError(_entry_window_message(plan))
    seated = session.exec(
        select(Arrangement.id).where(Arrangement.registration_id == registration_id)
    ).first()
    if seated is None:
        raise ServiceError(_unscheduled_message(session, registration))
    try:
        value = parse_score(score, plan=plan)
    except ScoreFormatError as error:
        raise ValidationError({"score": str(error)}) from None
    existing = session.exec(
        select(SubjectScore).where(SubjectScore.registration_id == registration_id)
    ).first()
    needs_reason = existing is not None or phase == Phase.PUBLICATION
    if needs_reason and value_of(existing) != value and not reason.strip():
        raise ValidationError(
            {"reason": "修改已录入的成绩或在公示期内更正成绩，须填写更正原因"}
        )
    _write_score(
        session,
        actor=actor,
        plan=plan,
        registration=registration,
        existing=existing,
        value=value,
        reason=reason,
        expected_version=expected_version,
    )
    results.recompute(
        session, actor=actor, plan=plan, candidate_ids={registration.candidate_id}
    )
    return session.exec(
        select(SubjectScore).where(SubjectScore.registration_id == registration_id)
    ).one()


def _unscheduled_message(session: Session, registration: Registration) -> str:
    candidate = session.get(Candidate, registration.candidate_id)
    subject = session.get(Subject, registration.subject_id)
    return (
        f"考生 {candidate.name} 的科目 {subject.code} 未安排考场（未缴费或未排考），"
        "不能录入成绩"
    )


@dataclass
class ScoreRow:
    """One row of a score import, as read from the file."""

    row_number: int
    ticket_number: str = ""
    id_number: str = ""
    subject_code: str = ""
    score: object = None
    reason: str = ""
    problem: str = ""


@dataclass
class ImportReport:
    """Counts of a score import, with the reason for each refused row."""

    total: int = 0
    created: int = 0
    replaced: int = 0
    unchanged: int = 0
    refused: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "total": self.total,
            "created": self.created,
            "replaced": self.replaced,
            "unchanged": self.unchanged,
            "refused_count": len(self.refused),
            "refused": self.refused,
        }


@dataclass
class _PlanIndex:
    by_ticket: dict[str, Registration]
    scheduled_ids: set[int]
    by_person_subject: dict[tuple[str, str], list[Registration]]
    subject_codes: set[str]
    id_numbers: set[str]
    subject_code_of: dict[int, str]


def _index_plan(session: Session, plan: ExamPlan) -> _PlanIndex:
    rows = session.exec(
        select(
            Registration, Candidate.id_number, Subject.code, Arrangement.ticket_number
        )
        .join(Candidate, Candidate.id == Registration.candidate_id)
        .join(Subject, Subject.id == Registration.subject_id)
        .outerjoin(Arrangement, Arrangement.registration_id == Registration.id)
        .where(Registration.plan_id == plan.id)
    ).all()
    index = _PlanIndex({}, set(), {}, set(), set(), {})
    for registration, id_number, subject_code, ticket_number in rows:
        if ticket_number:
            index.by_ticket[ticket_number] = registration
            index.scheduled_ids.add(registration.id)
        key = (id_number.upper(), subject_code)
        index.by_person_subject.setdefault(key, []).append(registration)
        index.id_numbers.add(id_number.upper())
        index.subject_code_of[registration.id] = subject_code
    index.subject_codes = set(
        session.exec(
            select(Subject.code)
            .join(PlanSubject, PlanSubject.subject_id == Subject.id)
            .where(PlanSubject.plan_id == plan.id)
        ).all()
    )
    return index


def _resolve(row: ScoreRow, index: _PlanIndex, plan: ExamPlan) -> Registration:
    """Find the registration a row is about, or raise ``ScoreFormatError``."""
    if row.subject_code not in index.subject_codes:
        raise ScoreFormatError(
            f"科目编码 {row.subject_code} 不是考试计划 {plan.code} 的科目"
        )
    if row.ticket_number:
        registration = index.by_ticket.get(row.ticket_number)
        if registration is None:
            raise ScoreFormatError(
                f"准考证号 {row.ticket_number} 在考试计划 {plan.code} 中不存在"
            )
        if index.subject_code_of[registration.id] != row.subject_code:
            raise ScoreFormatError(
                f"准考证号 {row.ticket_number} 对应科目 "
                f"{index.subject_code_of[registration.id]}，与科目编码 "
                f"{row.subject_code} 不符"
            )
        return registration
    id_number = row.id_number.upper()
    if id_number not in index.id_numbers:
        raise ScoreFormatError(
            f"证件号码 {mask_id_number(id_number)} 的考生未报考考试计划 {plan.code}"
        )
    found = index.by_person_subject.get((id_number, row.subject_code), [])
    if not found:
        raise ScoreFormatError(
            f"证件号码 {mask_id_number(id_number)} 的考生未报考科目 {row.subject_code}"
        )
    if len(found) > 1:
        raise ScoreFormatError(
            f"证件号码 {mask_id_number(id_number)} 在多所院校报考了科目 "
            f"{row.subject_code}，请改用准考证号"
        )
    return found[0]


def import_scores(
    session: Session,
    *,
    actor: Actor,
    plan_id: int,
    rows: list[ScoreRow],
    reason: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Import score rows into a plan inside its score-entry window.

    Valid rows are saved and refused rows are reported with their reason. A row
    that would replace a different score needs a reason, from its own 更正原因
    cell or from ``reason``.
    """
    started = time.monotonic()
    plan = load_org_plan(session, actor=actor, plan_id=plan_id)
    phase = phase_of(plan)
    if phase == Phase.LOCKED:
        raise ServiceError(_locked_message(plan))
    if phase == Phase.PUBLICATION:
        raise ServiceError(
            f"考试计划 {plan.code} 的成绩登记已结束；公示期内只能逐条更正成绩，"
            "并须填写更正原因"
        )
    if phase != Phase.ENTRY:
        raise ServiceError(_entry_window_message(plan) + "，不能导入成绩")

    index = _index_plan(session, plan)
    existing = {
        score.registration_id: score
        for score in session.exec(
            select(SubjectScore).where(SubjectScore.plan_id == plan.id)
        ).all()
    }
    report = ImportReport(total=len(rows))
    seen: dict[int, int] = {}
    touched: set[int] = set()
    for position, row in enumerate(rows, start=1):
        try:
            outcome, registration = _import_row(
                session, actor, plan, index, existing, seen, row, reason
            )
        except ScoreFormatError as error:
            report.refused.append({"row": row.row_number, "message": str(error)})
        else:
            setattr(report, outcome, getattr(report, outcome) + 1)
            if outcome != "unchanged":
                touched.add(registration.candidate_id)
        if progress is not None and (position % 50 == 0 or position == len(rows)):
            progress(position, len(rows))

    if touched:
        results.recompute(session, actor=actor, plan=plan, candidate_ids=touched)
    audit.record(
        session,
        actor=actor,
        action="scores.import",
        entity="examplan",
        entity_id=plan.id,
        after={
            key: value for key, value in report.as_dict().items() if key != "refused"
        },
    )
    logger.info(
        "score import plan=%s rows=%d created=%d replaced=%d unchanged=%d "
        "refused=%d in %.2fs",
        plan.code,
        report.total,
        report.created,
        report.replaced,
        report.unchanged,
        len(report.refused),
        time.monotonic() - started,
    )
    return report


def _import_row(
    session: Session,
    actor: Actor,
    plan: ExamPlan,
    index: _PlanIndex,
    existing: dict[int, SubjectScore],
    seen: dict[int, int],
    row: ScoreRow,
    reason: str,
) -> tuple[str, Registration]:
    if row.problem:
        raise ScoreFormatError(row.problem)
    registration = _resolve(row, index, plan)
    if registration.id not in index.scheduled_ids:
        raise ScoreFormatError(UNSCHEDULED_MESSAGE)
    if registration.id in seen:
        raise ScoreFormatError(
            f"与第 {seen[registration.id]} 行是同一考生同一科目，已跳过"
        )
    seen[registration.id] = row.row_number
    value = parse_score(row.score, plan=plan)
    current = existing.get(registration.id)
    row_reason = row.reason.strip() or reason.strip()
    if current is not None and value_of(current) != value and not row_reason:
        raise ScoreFormatError(
            f"该考生此科目已有成绩 {value_of(current).label}，替换为 {value.label}"
            " 须填写更正原因（导入时填写，或在文件中加“更正原因”列）"
        )
    outcome, score = _write_score(
        session,
        actor=actor,
        plan=plan,
        registration=registration,
        existing=current,
        value=value,
        reason=row_reason,
        expected_version=None,
    )
    existing[registration.id] = score
    return outcome, registration


def scores_for_candidate(session: Session, *, actor: Actor) -> list[dict]:
    """Return the caller's own scores of plans whose publication has started."""
    require_role(actor, Role.CANDIDATE)
    if actor.candidate_id is None:
        return []
    items = session.exec(
        select(SubjectScore, Subject, ExamPlan)
        .join(Subject, Subject.id == SubjectScore.subject_id)
        .join(ExamPlan, ExamPlan.id == SubjectScore.plan_id)
        .where(
            SubjectScore.candidate_id == actor.candidate_id,
            ExamPlan.publication_start <= clock.now(),
        )
        .order_by(ExamPlan.exam_start, Subject.code)
    ).all()
    corrected = set(
        session.exec(
            select(ScoreChange.score_id).where(
                ScoreChange.score_id.in_([score.id for score, _s, _p in items])
            )
        ).all()
    )
    return [
        {
            "plan_code": plan.code,
            "plan_name": plan.name,
            "subject_code": subject.code,
            "subject_name": subject.name,
            "score": value_of(score).label,
            "status": score.status,
            "corrected": score.id in corrected,
            "locked": phase_of(plan) == Phase.LOCKED,
        }
        for score, subject, plan in items
    ]


def score_history(
    session: Session, *, actor: Actor, registration_id: int
) -> list[dict[str, str]]:
    """Return the audited changes of one registration's score (organisation only)."""
    registration = session.get(Registration, registration_id)
    if registration is None:
        raise NotFound("报考记录不存在")
    load_org_plan(session, actor=actor, plan_id=registration.plan_id)
    changes = session.exec(
        select(ScoreChange)
        .join(SubjectScore, SubjectScore.id == ScoreChange.score_id)
        .where(SubjectScore.registration_id == registration_id)
        .order_by(ScoreChange.id)
    ).all()
    return [
        {
            "at": format_beijing(change.changed_at),
            "before": _change_label(change.before_status, change.before_tenths),
            "after": _change_label(change.after_status, change.after_tenths),
            "reason": change.reason,
        }
        for change in changes
    ]


def _change_label(status: str, tenths: int | None) -> str:
    if not status:
        return "未录入"
    return ScoreValue(status=ScoreStatus(status), tenths=tenths).label


def window_summary(session: Session, *, actor: Actor, plan_id: int) -> str:
    """Describe the plan's score windows and what may be done now, for the page."""
    plan = load_org_plan(session, actor=actor, plan_id=plan_id)
    entry = (
        f"成绩登记 {format_beijing(plan.score_entry_start)} 至 "
        f"{format_beijing(plan.score_entry_end)}"
    )
    publication = (
        f"公示期 {format_beijing(plan.publication_start)} 至 "
        f"{format_beijing(plan.publication_end)}"
    )
    now_text = {
        Phase.NOT_OPEN: "现在不在成绩登记时间内",
        Phase.ENTRY: "现在可以导入和修改成绩",
        Phase.PUBLICATION: "公示中：只能逐条更正成绩，须填写更正原因",
        Phase.LOCKED: "公示期已结束，成绩已永久锁定",
    }[phase_of(plan)]
    return f"{entry}；{publication}。{now_text}"
