"""Registration (报考): a school registers its candidates for the subjects of an exam plan.

Imports go by certificate level (every subject of the level in the plan) or by
subject, and deletions go by the same files. Every rule is checked here, row by
row, so the page, the command line and the tests get the same results.
"""

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete as sql_delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from xcert_app.clock import BEIJING, clock, format_beijing, to_beijing
from xcert_app.models.candidates import (
    VERIFICATION_LABELS,
    Candidate,
    CandidateKind,
    VerificationStatus,
)
from xcert_app.models.catalogue import (
    Audience,
    Certificate,
    CertificateLevel,
    ExamPlan,
    Level,
    PlanLevel,
    PlanSubject,
    Subject,
)
from xcert_app.models.declarations import (
    Declaration,
    DeclarationPlan,
    DeclarationStatus,
)
from xcert_app.models.registrations import (
    REGISTRATION_STATUS_LABELS,
    OrderStatus,
    PaymentOrder,
    PaymentOrderLine,
    Registration,
    RegistrationStatus,
)
from xcert_app.services import audit
from xcert_app.services.actor import Actor, require_school
from xcert_app.services.errors import Conflict, NotFound, ServiceError
from xcert_app.services.masking import mask_id_number
from xcert_app.spreadsheets import registrations as sheets
from xcert_app.spreadsheets.registrations import ImportKind, ImportRow, ParsedImport

logger = logging.getLogger(__name__)

ELIGIBLE_VERIFICATION = (VerificationStatus.VERIFIED, VerificationStatus.CONFIRMED)
LIVE_ORDER_STATUSES = (OrderStatus.PENDING, OrderStatus.CONFIRMED)


class Rule:
    """The rule a refused row broke, as shown in the report's 规则 column."""

    FILE = "填写格式"
    CANDIDATE = "考生信息"
    VERIFICATION = "实名认证"
    PLAN = "考试计划"
    AUDIENCE = "报考对象"
    PILOT = "试点资格"
    QUOTA = "核定人数"
    DUPLICATE = "重复报考"
    STATUS = "报考状态"
    FEE = "收费标准"
    ORDER = "缴费申请单"


@dataclass(frozen=True)
class RowRefusal:
    """A row that was not applied: which rule it broke and what to do about it."""

    row_number: int
    id_number: str
    rule: str
    message: str


@dataclass
class ImportReport:
    """The outcome of one import; ``applied`` is False when nothing was written."""

    kind: str
    rows: int
    accepted_rows: int
    changed: int
    refused: list[RowRefusal]
    blank_rows: int
    all_or_nothing: bool
    applied: bool

    @property
    def summary(self) -> str:
        """One Chinese sentence for a toast or the command line."""
        if not self.applied and self.all_or_nothing and self.refused:
            return (
                f"共 {self.rows} 行，{len(self.refused)} 行不符合要求；"
                "已选择“全部通过才导入”，本次未做任何修改"
            )
        if not self.applied:
            return f"共 {self.rows} 行，没有符合要求的行，本次未做任何修改"
        return (
            f"共 {self.rows} 行，成功 {self.accepted_rows} 行（{self.changed} 条报考），"
            f"未通过 {len(self.refused)} 行"
        )


# ---------------------------------------------------------------- window and plan


def registration_window_problem(plan: ExamPlan, moment: datetime) -> str | None:
    """Return why registration is closed at ``moment``, or None when it is open.

    Both ends are inclusive to the second, in Beijing time.
    """
    window = (
        f"{format_beijing(plan.registration_start, '%Y-%m-%d %H:%M:%S')} 至 "
        f"{format_beijing(plan.registration_end, '%Y-%m-%d %H:%M:%S')}"
    )
    if moment < plan.registration_start:
        return f"考试计划 {plan.code} 的报考时间为 {window}（北京时间），尚未开始"
    if moment > plan.registration_end:
        return f"考试计划 {plan.code} 的报考时间为 {window}（北京时间），已经结束"
    return None


def require_registration_window(plan: ExamPlan) -> None:
    """Raise ``ServiceError`` unless the plan's registration window is open now."""
    problem = registration_window_problem(plan, clock.now())
    if problem:
        raise ServiceError(problem + "；报考和删除报考只能在报考时间内进行")


def plan_year(plan: ExamPlan) -> int:
    """Return the calendar year (Beijing) whose approved pilot counts apply to the plan."""
    return to_beijing(plan.registration_start).year


def load_plan(session: Session, plan_id: int) -> ExamPlan:
    """Return a published exam plan or raise ``NotFound``."""
    plan = session.get(ExamPlan, plan_id)
    if plan is None or not plan.is_published:
        raise NotFound("考试计划不存在或尚未发布，请重新选择")
    return plan


def _year_bounds(year: int) -> tuple[datetime, datetime]:
    return (
        datetime(year, 1, 1, tzinfo=BEIJING),
        datetime(year + 1, 1, 1, tzinfo=BEIJING),
    )


# -------------------------------------------------- lookups over other areas' tables
# Only these helpers read the candidate, catalogue and declaration tables directly.
# They can later call those areas' services instead.


def _school_candidates(
    session: Session, school_id: int, id_numbers: set[str]
) -> dict[str, Candidate]:
    if not id_numbers:
        return {}
    found = session.exec(
        select(Candidate).where(
            Candidate.school_id == school_id, Candidate.id_number.in_(id_numbers)
        )
    ).all()
    return {candidate.id_number: candidate for candidate in found}


def _audience_allows(audience: str, candidate_kind: str) -> bool:
    if audience == Audience.SCHOOL:
        return candidate_kind == CandidateKind.SCHOOL
    if audience == Audience.SOCIAL:
        return candidate_kind == CandidateKind.SOCIAL
    return True


@dataclass(frozen=True)
class PlanSubjectInfo:
    """A subject examined in the plan, with its certificate and level."""

    plan_subject_id: int
    subject_id: int
    code: str
    name: str
    audience: str
    certificate_level_id: int
    certificate_id: int
    certificate_name: str
    level: str


def plan_subjects(session: Session, plan_id: int) -> list[PlanSubjectInfo]:
    rows = session.exec(
        select(PlanSubject, Subject, CertificateLevel, Certificate)
        .join(Subject, Subject.id == PlanSubject.subject_id)
        .join(PlanLevel, PlanLevel.id == PlanSubject.plan_level_id)
        .join(CertificateLevel, CertificateLevel.id == PlanLevel.certificate_level_id)
        .join(Certificate, Certificate.id == CertificateLevel.certificate_id)
        .where(PlanSubject.plan_id == plan_id, Subject.is_active)
        .order_by(Subject.code)
    ).all()
    return [
        PlanSubjectInfo(
            plan_subject_id=plan_subject.id,
            subject_id=subject.id,
            code=subject.code,
            name=subject.name,
            audience=subject.audience,
            certificate_level_id=level.id,
            certificate_id=certificate.id,
            certificate_name=certificate.name,
            level=level.level,
        )
        for plan_subject, subject, level, certificate in rows
    ]


def _approved_quota(
    session: Session, school_id: int, certificate_id: int, year: int
) -> int | None:
    """Return the approved count for the year, or None without an approved pilot.

    The declaration rows are locked on PostgreSQL so that two imports for the same
    certificate count one after the other.
    """
    declarations = session.exec(
        select(Declaration)
        .join(DeclarationPlan, DeclarationPlan.id == Declaration.plan_id)
        .where(
            Declaration.school_id == school_id,
            Declaration.certificate_id == certificate_id,
            Declaration.status == DeclarationStatus.APPROVED,
            DeclarationPlan.year == year,
        )
        .with_for_update()
    ).all()
    if not declarations:
        return None
    return sum(declaration.approved_count or 0 for declaration in declarations)


def _registered_candidates(
    session: Session, school_id: int, certificate_id: int, year: int
) -> set[int]:
    start, end = _year_bounds(year)
    found = session.exec(
        select(Registration.candidate_id)
        .distinct()
        .join(
            CertificateLevel,
            CertificateLevel.id == Registration.certificate_level_id,
        )
        .join(ExamPlan, ExamPlan.id == Registration.plan_id)
        .where(
            Registration.school_id == school_id,
            CertificateLevel.certificate_id == certificate_id,
            ExamPlan.registration_start >= start,
            ExamPlan.registration_start < end,
        )
    ).all()
    return set(found)


# ------------------------------------------------------------- row resolution


@dataclass
class _Catalogue:
    """The plan's subjects, indexed the ways import rows name them."""

    subjects: list[PlanSubjectInfo]
    by_code: dict[str, PlanSubjectInfo] = field(default_factory=dict)
    by_level: dict[tuple[str, str], list[PlanSubjectInfo]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        names: dict[int, set[str]] = {}
        for info in self.subjects:
            self.by_code[info.code] = info
            names.setdefault(info.certificate_id, {info.certificate_name})
        for info in self.subjects:
            for name in names[info.certificate_id]:
                self.by_level.setdefault((name, info.level), []).append(info)

    def add_short_names(self, session: Session) -> None:
        ids = {info.certificate_id for info in self.subjects}
        if not ids:
            return
        for certificate in session.exec(
            select(Certificate).where(Certificate.id.in_(ids))
        ).all():
            if certificate.short_name in ("", certificate.name):
                continue
            for info in self.subjects:
                if info.certificate_id == certificate.id:
                    key = (certificate.short_name, info.level)
                    self.by_level.setdefault(key, []).append(info)


@dataclass(frozen=True)
class Resolved:
    """An import row matched to its candidate and the plan subjects it names."""

    row: ImportRow
    candidate: Candidate
    subjects: list[PlanSubjectInfo]
    label: str


def refuse_row(row: ImportRow, rule: str, message: str) -> RowRefusal:
    return RowRefusal(
        row_number=row.row_number,
        id_number=mask_id_number(row.id_number) if row.id_number else "",
        rule=rule,
        message=message,
    )


def resolve_rows(
    session: Session,
    *,
    school_id: int,
    plan: ExamPlan,
    parsed: ParsedImport,
) -> tuple[list[Resolved], list[RowRefusal]]:
    """Match each row to a candidate of the school and to subjects of the plan."""
    catalogue = _Catalogue(plan_subjects(session, plan.id))
    catalogue.add_short_names(session)
    candidates = _school_candidates(
        session, school_id, {row.id_number for row in parsed.rows if row.id_number}
    )
    resolved: list[Resolved] = []
    refused: list[RowRefusal] = []
    for row in parsed.rows:
        outcome = _resolve_row(row, parsed.kind, plan, catalogue, candidates)
        if isinstance(outcome, RowRefusal):
            refused.append(outcome)
        else:
            resolved.append(outcome)
    return resolved, refused


def _resolve_row(
    row: ImportRow,
    kind: ImportKind,
    plan: ExamPlan,
    catalogue: _Catalogue,
    candidates: dict[str, Candidate],
) -> Resolved | RowRefusal:
    if row.problem:
        return refuse_row(row, Rule.FILE, row.problem)
    if not row.id_number:
        return refuse_row(row, Rule.FILE, "证件号码为空，请填写考生的证件号码")
    candidate = candidates.get(row.id_number)
    if candidate is None:
        return refuse_row(
            row,
            Rule.CANDIDATE,
            "本校考生中没有此证件号码；请先在考生管理中导入该考生，或核对号码",
        )

    if kind == ImportKind.SUBJECT:
        if not row.subject_code:
            return refuse_row(row, Rule.FILE, "科目编码为空，请填写 6 位科目编码")
        info = catalogue.by_code.get(row.subject_code)
        if info is None:
            return refuse_row(
                row,
                Rule.PLAN,
                f"考试计划 {plan.code} 中没有科目 {row.subject_code}；"
                "请核对科目编码，或选择考该科目的考试计划",
            )
        label = f"{info.code} {info.name}"
        return Resolved(row=row, candidate=candidate, subjects=[info], label=label)

    if not row.certificate_name or not row.level:
        return refuse_row(row, Rule.FILE, "证书名称和证书等级都必须填写")
    if row.level not in {level.value for level in Level}:
        return refuse_row(
            row, Rule.FILE, f"证书等级“{row.level}”无效，请填写 初级、中级 或 高级"
        )
    subjects = catalogue.by_level.get((row.certificate_name, row.level))
    if not subjects:
        return refuse_row(
            row,
            Rule.PLAN,
            f"考试计划 {plan.code} 不考“{row.certificate_name}”{row.level}；"
            "请核对证书名称（与证书目录一致）和等级",
        )
    label = f"{subjects[0].certificate_name}（{row.level}）"
    return Resolved(row=row, candidate=candidate, subjects=subjects, label=label)


# ---------------------------------------------------------------- import rules


class _QuotaBook:
    """Approved counts and the candidates already counted, per certificate."""

    def __init__(self, session: Session, school_id: int, year: int) -> None:
        self._session = session
        self._school_id = school_id
        self._year = year
        self._quota: dict[int, int | None] = {}
        self._counted: dict[int, set[int]] = {}

    def _load(self, certificate_id: int) -> None:
        if certificate_id not in self._quota:
            self._quota[certificate_id] = _approved_quota(
                self._session, self._school_id, certificate_id, self._year
            )
            self._counted[certificate_id] = _registered_candidates(
                self._session, self._school_id, certificate_id, self._year
            )

    def problem(self, certificate_id: int, certificate_name: str, candidate_id: int):
        """Return (rule, message) when the candidate does not fit, else None."""
        self._load(certificate_id)
        quota = self._quota[certificate_id]
        if quota is None:
            return (
                Rule.PILOT,
                f"本校 {self._year} 年没有获批“{certificate_name}”的试点，不能报考；"
                "请先完成证书试点申报并等待审核通过",
            )
        counted = self._counted[certificate_id]
        if candidate_id not in counted and len(counted) >= quota:
            return (
                Rule.QUOTA,
                f"“{certificate_name}”{self._year} 年核定人数为 {quota} 人，"
                f"已报考 {len(counted)} 人，已满；请删除其他考生的报考后再导入",
            )
        return None

    def count(self, certificate_id: int, candidate_id: int) -> None:
        self._counted[certificate_id].add(candidate_id)


def _existing_keys(session: Session, plan_id: int, candidate_ids: set[int]) -> set:
    if not candidate_ids:
        return set()
    rows = session.exec(
        select(Registration.candidate_id, Registration.subject_id).where(
            Registration.plan_id == plan_id,
            Registration.candidate_id.in_(candidate_ids),
        )
    ).all()
    return {(candidate_id, subject_id) for candidate_id, subject_id in rows}


def _check_registration(
    item: Resolved,
    *,
    quota: _QuotaBook,
    taken: set,
    seen_in_file: dict,
) -> RowRefusal | None:
    """Apply the rules to one resolved row; ``taken`` contains (candidate, subject) pairs."""
    row, candidate = item.row, item.candidate
    if candidate.verification_status not in ELIGIBLE_VERIFICATION:
        status = VERIFICATION_LABELS.get(
            candidate.verification_status, candidate.verification_status
        )
        return refuse_row(
            row,
            Rule.VERIFICATION,
            f"考生 {candidate.name} 实名认证状态为“{status}”，只有认证通过或人工确认"
            "通过的考生可以报考；请先在考生管理中完成认证或人工确认",
        )
    kind_label = "社会学员" if candidate.kind == CandidateKind.SOCIAL else "院校学生"
    for info in item.subjects:
        if not _audience_allows(info.audience, candidate.kind):
            return refuse_row(
                row,
                Rule.AUDIENCE,
                f"科目 {info.code} {info.name} 仅限{info.audience}报考，考生 "
                f"{candidate.name} 是{kind_label}；请改用按科目导入，只报适合的科目",
            )
    for info in item.subjects:
        key = (candidate.id, info.subject_id)
        if key in seen_in_file:
            return refuse_row(
                row,
                Rule.DUPLICATE,
                f"与第 {seen_in_file[key]} 行重复：考生 {candidate.name} 已在本文件中"
                f"报考科目 {info.code}；请删除其中一行",
            )
        if key in taken:
            return refuse_row(
                row,
                Rule.DUPLICATE,
                f"考生 {candidate.name} 已报考本计划的科目 {info.code} {info.name}，"
                "同一考生同一科目不能重复报考；请删除此行",
            )
    certificate = item.subjects[0]
    problem = quota.problem(
        certificate.certificate_id, certificate.certificate_name, candidate.id
    )
    if problem:
        return refuse_row(row, *problem)
    return None


def import_registrations(
    session: Session,
    *,
    actor: Actor,
    plan_id: int,
    data: bytes,
    file_name: str,
    kind: ImportKind,
    all_or_nothing: bool = False,
) -> ImportReport:
    """Register the school's candidates from an import by certificate or by subject.

    With ``all_or_nothing`` a single refused row leaves the database unchanged;
    otherwise the valid rows are registered and the others reported.
    """
    school_id = require_school(actor)
    plan = load_plan(session, plan_id)
    require_registration_window(plan)
    parsed = read_import(data, file_name, kind)
    started = time.monotonic()

    resolved, refused = resolve_rows(
        session, school_id=school_id, plan=plan, parsed=parsed
    )
    quota = _QuotaBook(session, school_id, plan_year(plan))
    taken = _existing_keys(session, plan.id, {item.candidate.id for item in resolved})
    seen_in_file: dict[tuple[int, int], int] = {}
    accepted: list[Resolved] = []
    for item in resolved:
        broken = _check_registration(
            item, quota=quota, taken=taken, seen_in_file=seen_in_file
        )
        for info in item.subjects:
            seen_in_file.setdefault(
                (item.candidate.id, info.subject_id), item.row.row_number
            )
        if broken:
            refused.append(broken)
            continue
        quota.count(item.subjects[0].certificate_id, item.candidate.id)
        accepted.append(item)

    refused.sort(key=lambda item: item.row_number)
    apply = bool(accepted) and not (all_or_nothing and refused)
    added = _add_registrations(session, plan, school_id, accepted) if apply else 0
    report = ImportReport(
        kind=parsed.kind,
        rows=len(parsed.rows),
        accepted_rows=len(accepted) if apply else 0,
        changed=added,
        refused=refused,
        blank_rows=parsed.blank_rows,
        all_or_nothing=all_or_nothing,
        applied=apply,
    )
    if apply:
        audit.record(
            session,
            actor=actor,
            action="registration.import",
            entity="exam_plan",
            entity_id=plan.id,
            after={"file": file_name, "kind": parsed.kind, "added": added},
        )
    logger.info(
        "registration import school=%s plan=%s kind=%s rows=%d added=%d refused=%d "
        "applied=%s in %.2fs",
        school_id,
        plan.code,
        parsed.kind,
        report.rows,
        added,
        len(refused),
        apply,
        time.monotonic() - started,
    )
    return report


def read_import(data: bytes, file_name: str, kind: ImportKind | None) -> ParsedImport:
    """Parse an import file; a file that cannot be read becomes a ``ServiceError``."""
    try:
        parsed = sheets.parse_import(data, file_name=file_name, expected=kind)
    except sheets.SpreadsheetError as error:
        raise ServiceError(error.message) from error
    if not parsed.rows:
        raise ServiceError(f"文件 {file_name} 中没有数据行；请在表头下方逐行填写")
    return parsed


def _add_registrations(
    session: Session, plan: ExamPlan, school_id: int, accepted: list[Resolved]
) -> int:
    added = 0
    for item in accepted:
        for info in item.subjects:
            session.add(
                Registration(
                    plan_id=plan.id,
                    plan_subject_id=info.plan_subject_id,
                    subject_id=info.subject_id,
                    certificate_level_id=info.certificate_level_id,
                    candidate_id=item.candidate.id,
                    school_id=school_id,
                )
            )
            added += 1
    try:
        session.flush()
    except IntegrityError as error:
        # Another import committed the same (plan, candidate, subject) after this
        # one read the existing registrations; the unique constraint stops it.
        logger.warning("registration import for plan %s collided: %s", plan.code, error)
        raise Conflict(
            "另一项导入同时报考了相同的考生和科目，本次未做任何修改；请重新导入"
        ) from error
    return added


# ------------------------------------------------------------------ deletion


def registrations_for_rows(
    session: Session, *, plan_id: int, resolved: list[Resolved], lock: bool = False
) -> dict[int, dict[int, Registration]]:
    """Return the plan's registrations of the rows' candidates: candidate → subject → row.

    With ``lock`` the rows are locked on PostgreSQL until the transaction ends, so
    two payment orders built at the same time cannot both take a registration.
    """
    candidate_ids = {item.candidate.id for item in resolved}
    if not candidate_ids:
        return {}
    query = select(Registration).where(
        Registration.plan_id == plan_id,
        Registration.candidate_id.in_(candidate_ids),
    )
    if lock:
        query = query.with_for_update()
    found: dict[int, dict[int, Registration]] = {}
    for registration in session.exec(query).all():
        found.setdefault(registration.candidate_id, {})[registration.subject_id] = (
            registration
        )
    return found


def live_orders_of(session: Session, registration_ids: set[int]) -> dict[int, str]:
    """Return the number of the pending or confirmed order of each registration."""
    if not registration_ids:
        return {}
    rows = session.exec(
        select(PaymentOrderLine.registration_id, PaymentOrder.number)
        .join(PaymentOrder, PaymentOrder.id == PaymentOrderLine.order_id)
        .where(
            PaymentOrderLine.registration_id.in_(registration_ids),
            PaymentOrder.status.in_(LIVE_ORDER_STATUSES),
        )
    ).all()
    return dict(rows)


def _deletable(
    item: Resolved,
    registrations: dict[int, Registration],
    orders: dict[int, str],
) -> list[Registration] | RowRefusal:
    row, candidate = item.row, item.candidate
    chosen = [
        registrations[info.subject_id]
        for info in item.subjects
        if info.subject_id in registrations
    ]
    if not chosen:
        return refuse_row(
            row,
            Rule.STATUS,
            f"考生 {candidate.name} 没有报考 {item.label}，无需删除；请核对此行",
        )
    for registration in chosen:
        if registration.status != RegistrationStatus.REGISTERED:
            status = REGISTRATION_STATUS_LABELS[RegistrationStatus(registration.status)]
            return refuse_row(
                row,
                Rule.STATUS,
                f"考生 {candidate.name} 的报考状态为“{status}”，已缴费或已排考的报考"
                "不能删除；如需调整请联系培训评价组织",
            )
        if registration.id in orders:
            return refuse_row(
                row,
                Rule.ORDER,
                f"考生 {candidate.name} 的报考在缴费申请单 {orders[registration.id]} "
                "中；请先删除该申请单（已确认的不能删除）",
            )
    return chosen


def delete_registrations(
    session: Session,
    *,
    actor: Actor,
    plan_id: int,
    data: bytes,
    file_name: str,
    all_or_nothing: bool = False,
) -> ImportReport:
    """Delete the registrations named by an import (by subject or by certificate)."""
    school_id = require_school(actor)
    plan = load_plan(session, plan_id)
    require_registration_window(plan)
    parsed = read_import(data, file_name, None)
    started = time.monotonic()

    resolved, refused = resolve_rows(
        session, school_id=school_id, plan=plan, parsed=parsed
    )
    existing = registrations_for_rows(session, plan_id=plan.id, resolved=resolved)
    all_ids = {
        registration.id
        for by_subject in existing.values()
        for registration in by_subject.values()
    }
    orders = live_orders_of(session, all_ids)
    doomed: dict[int, Registration] = {}
    accepted_rows = 0
    for item in resolved:
        outcome = _deletable(item, existing.get(item.candidate.id, {}), orders)
        if isinstance(outcome, RowRefusal):
            refused.append(outcome)
            continue
        accepted_rows += 1
        doomed.update({registration.id: registration for registration in outcome})

    refused.sort(key=lambda item: item.row_number)
    apply = bool(doomed) and not (all_or_nothing and refused)
    if apply:
        _remove(session, list(doomed))
        audit.record(
            session,
            actor=actor,
            action="registration.delete",
            entity="exam_plan",
            entity_id=plan.id,
            after={"file": file_name, "deleted": len(doomed)},
        )
    logger.info(
        "registration delete school=%s plan=%s rows=%d deleted=%d refused=%d in %.2fs",
        school_id,
        plan.code,
        len(parsed.rows),
        len(doomed) if apply else 0,
        len(refused),
        time.monotonic() - started,
    )
    return ImportReport(
        kind=parsed.kind,
        rows=len(parsed.rows),
        accepted_rows=accepted_rows if apply else 0,
        changed=len(doomed) if apply else 0,
        refused=refused,
        blank_rows=parsed.blank_rows,
        all_or_nothing=all_or_nothing,
        applied=apply,
    )


def _remove(session: Session, registration_ids: list[int]) -> None:
    # Only lines of rejected orders can still point here (live orders were refused
    # above); the rejected order keeps its recorded line count and amount.
    session.exec(
        sql_delete(PaymentOrderLine).where(
            PaymentOrderLine.registration_id.in_(registration_ids)
        )
    )
    session.exec(sql_delete(Registration).where(Registration.id.in_(registration_ids)))
    session.flush()
