"""The assessment organisation's catalogue: certificates, subjects, exam plans and rules.

Schools read the catalogue; only the owning organisation changes it. A plan's
rules lock once its registration window opens, after which the organisation may
still correct them with a reason that goes into the audit log.
"""

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, update
from sqlmodel import Session, func, or_, select

from xcert_app.clock import clock, format_beijing, to_beijing
from xcert_app.models.accounts import Role
from xcert_app.models.catalogue import (
    Audience,
    Certificate,
    CertificateLevel,
    ExamMode,
    ExamPlan,
    Level,
    PassRule,
    PlanLevel,
    PlanSession,
    PlanSubject,
    Subject,
)
from xcert_app.models.orgs import Organisation
from xcert_app.models.registrations import Registration
from xcert_app.models.scheduling import Arrangement
from xcert_app.services import audit, numbers
from xcert_app.services.actor import (
    SCHOOL_ROLES,
    Actor,
    require_org,
    require_role,
    require_same_org,
)
from xcert_app.services.errors import Conflict, NotFound, ServiceError, ValidationError

logger = logging.getLogger(__name__)

READER_ROLES = (*SCHOOL_ROLES, Role.ORG_ADMIN, Role.PLATFORM_ADMIN)

# The five windows of a plan in calendar order; each is a pair of ExamPlan columns
# ``<name>_start`` and ``<name>_end``.
WINDOW_NAMES = ("registration", "ticket", "exam", "score_entry", "publication")
WINDOW_LABELS = {
    "registration": "报名时间",
    "ticket": "准考证打印",
    "exam": "考试时间",
    "score_entry": "成绩登记时间",
    "publication": "成绩公示时间",
}

# Plan status labels, derived from the windows by ``plan_window_status``.
STATUS_NOT_STARTED = "未开始"
STATUS_ENDED = "已结束"
# (label while the window is open, label in the gap before it opens)
WINDOW_STATUS_LABELS = {
    "registration": ("报名中", STATUS_NOT_STARTED),
    "ticket": ("准考证打印中", "报名已截止"),
    "exam": ("考试中", "待考试"),
    "score_entry": ("成绩登记中", "待登记成绩"),
    "publication": ("成绩公示中", "待公示"),
}
PLAN_STATUSES = (
    STATUS_NOT_STARTED,
    "报名中",
    "报名已截止",
    "准考证打印中",
    "待考试",
    "考试中",
    "待登记成绩",
    "成绩登记中",
    "待公示",
    "成绩公示中",
    STATUS_ENDED,
)
PASS_RULE_LABELS = {
    PassRule.COMPOSITE: "综合成绩合格",
    PassRule.EVERY_SUBJECT: "各科成绩均合格",
}

SUBJECT_CODE = re.compile(r"^\d{6}$")
CERTIFICATE_CODE = re.compile(r"^\d{1,16}$")
LEVEL_ORDER = {level.value: index for index, level in enumerate(Level)}


# ---------------------------------------------------------------- plan windows


def window_bounds(plan: ExamPlan, window_name: str) -> tuple[datetime, datetime]:
    """Return the start and end of one of the five windows of ``plan``."""
    if window_name not in WINDOW_NAMES:
        raise ValueError(f"unknown plan window {window_name!r}")
    return (
        getattr(plan, f"{window_name}_start"),
        getattr(plan, f"{window_name}_end"),
    )


def is_within(plan: ExamPlan, window_name: str, now: datetime) -> bool:
    """Tell whether ``now`` lies in the window; both ends are inclusive to the second."""
    start, end = window_bounds(plan, window_name)
    return start <= now <= end


def plan_id_for_code(session: Session, *, code: str) -> int | None:
    """Return the id of the exam plan numbered ``code``, or None when there is none.

    It checks no access: callers pick the id only from the plans the caller may see.
    """
    return session.exec(select(ExamPlan.id).where(ExamPlan.code == code)).first()


def plan_window_status(plan: ExamPlan, now: datetime) -> str:
    """Return the plan's status label (one of ``PLAN_STATUSES``) at ``now``.

    Inside a window the label names the open window; between two windows it names
    the step the plan waits for. Where windows overlap, the later open one wins.
    """
    status, is_open = STATUS_NOT_STARTED, False
    for window_name in WINDOW_NAMES:
        start, end = window_bounds(plan, window_name)
        open_label, waiting_label = WINDOW_STATUS_LABELS[window_name]
        if now < start:
            return status if is_open else waiting_label
        is_open = now <= end
        if is_open:
            status = open_label
    return status if is_open else STATUS_ENDED


def rules_locked(plan: ExamPlan, now: datetime) -> bool:
    """Tell whether a published plan's rules are locked: registration has opened."""
    return plan.is_published and now >= plan.registration_start


def exam_begins_at(session: Session, plan: ExamPlan) -> datetime:
    """Return when the plan's first session starts.

    A plan without sessions falls back to the start of its exam window.
    """
    first = session.exec(
        select(PlanSession.starts_at)
        .join(PlanSubject, PlanSubject.id == PlanSession.plan_subject_id)
        .where(PlanSubject.plan_id == plan.id)
        .order_by(PlanSession.starts_at)
        .limit(1)
    ).first()
    return first or plan.exam_start


def exam_started_problem(session: Session, plan: ExamPlan, action: str) -> str:
    """Return why ``action`` is closed because the plan's exam has begun, or "".

    Seats, rooms and tickets must stay as candidates found them once the first
    session has started, so these actions close then.
    """
    begins_at = exam_begins_at(session, plan)
    if clock.now() < begins_at:
        return ""
    return (
        f"考试计划 {plan.code}（{plan.name}）已开考（首场 "
        f"{format_beijing(begins_at)}，北京时间），不能再{action}"
    )


def check_windows(windows: dict[str, tuple[datetime, datetime]]) -> None:
    """Raise ``ValidationError`` unless the five windows are complete and in order.

    Each window ends after it starts, and the windows start and end in calendar
    order. Registration closes before ticket printing opens, because the tickets
    carry a schedule built from the final registrations. Ticket printing may run
    into the exam days, and publication may start with score entry. The order is
    checked between the windows that are complete, so one error does not hide
    another.
    """
    errors: dict[str, str] = {}
    for window_name in WINDOW_NAMES:
        start, end = windows.get(window_name, (None, None))
        label = WINDOW_LABELS[window_name]
        if start is None or end is None:
            errors[window_name] = f"请填写{label}的开始和结束时间"
        elif start.tzinfo is None or end.tzinfo is None:
            raise ValueError("plan windows must be timezone-aware")
        elif end < start:
            errors[window_name] = f"{label}的结束时间早于开始时间，请修改"
    valid = [name for name in WINDOW_NAMES if name not in errors]
    for earlier, later in zip(valid, valid[1:], strict=False):
        (earlier_start, earlier_end), (later_start, later_end) = (
            windows[earlier],
            windows[later],
        )
        if later_start < earlier_start or later_end < earlier_end:
            errors[later] = (
                f"{WINDOW_LABELS[later]}须在{WINDOW_LABELS[earlier]}之后，请调整顺序"
            )
    if (
        "registration" in valid
        and "ticket" in valid
        and windows["registration"][1] >= windows["ticket"][0]
    ):
        errors.setdefault(
            "ticket", "准考证打印须在报名时间结束之后开始，请调整准考证打印时间"
        )
    if errors:
        raise ValidationError(errors)


# ---------------------------------------------------------------- certificates


@dataclass
class CertificateRow:
    """A certificate with its levels, as a list shows it."""

    id: int
    code: str
    name: str
    short_name: str
    org_name: str
    levels: list[str]
    is_active: bool


def level_label(certificate: Certificate, level: CertificateLevel) -> str:
    """Return the display name of a certificate level: ``物流管理职业技能等级证书(初级)``."""
    return f"{certificate.name}({level.level})"


def _check_certificate_fields(
    session: Session, *, code: str, name: str, levels: list[str], own_id: int | None
) -> None:
    errors: dict[str, str] = {}
    if not code:
        errors["code"] = "请填写证书编号：1 到 16 位数字"
    elif not CERTIFICATE_CODE.match(code):
        errors["code"] = f"证书编号“{code}”无效：须为 1 到 16 位数字"
    else:
        clash = session.exec(
            select(Certificate).where(Certificate.code == code)
        ).first()
        if clash is not None and clash.id != own_id:
            errors["code"] = f"证书编号 {code} 已被“{clash.name}”使用，请换一个"
    if not name:
        errors["name"] = "请填写证书名称"
    unknown = [level for level in levels if level not in LEVEL_ORDER]
    if not levels:
        errors["levels"] = "请至少选择一个证书等级（初级/中级/高级）"
    elif unknown:
        errors["levels"] = f"证书等级“{'、'.join(unknown)}”无效：只能是初级、中级或高级"
    if errors:
        raise ValidationError(errors)


def create_certificate(
    session: Session,
    *,
    actor: Actor,
    code: str,
    name: str,
    short_name: str = "",
    levels: list[str],
) -> Certificate:
    """Add a certificate of the caller's organisation with the given levels."""
    org_id = require_org(actor)
    code, name, short_name = code.strip(), name.strip(), short_name.strip()
    _check_certificate_fields(session, code=code, name=name, levels=levels, own_id=None)

    certificate = Certificate(
        org_id=org_id, code=code, name=name, short_name=short_name
    )
    session.add(certificate)
    session.flush()
    for level in sorted(set(levels), key=LEVEL_ORDER.get):
        session.add(CertificateLevel(certificate_id=certificate.id, level=level))
    session.flush()

    audit.record(
        session,
        actor=actor,
        action="certificate.created",
        entity="certificate",
        entity_id=certificate.id,
        after={"code": code, "name": name, "levels": ",".join(levels)},
    )
    return certificate


def update_certificate(
    session: Session,
    *,
    actor: Actor,
    certificate_id: int,
    name: str,
    short_name: str,
    levels: list[str],
    is_active: bool = True,
) -> Certificate:
    """Change a certificate's names, status and levels; a level with subjects stays."""
    require_org(actor)
    certificate = _own_certificate(session, actor, certificate_id)
    name, short_name = name.strip(), short_name.strip()
    _check_certificate_fields(
        session, code=certificate.code, name=name, levels=levels, own_id=certificate.id
    )

    existing = {
        level.level: level
        for level in session.exec(
            select(CertificateLevel).where(
                CertificateLevel.certificate_id == certificate.id
            )
        ).all()
    }
    for level_name, level in existing.items():
        if level_name in levels:
            continue
        has_subjects = session.exec(
            select(Subject.id).where(Subject.certificate_level_id == level.id)
        ).first()
        if has_subjects is not None:
            raise ValidationError(
                {
                    "levels": f"{level_label(certificate, level)}下已有科目，不能删除该等级"
                }
            )
        session.delete(level)
    for level_name in levels:
        if level_name not in existing:
            session.add(
                CertificateLevel(certificate_id=certificate.id, level=level_name)
            )

    before = {"name": certificate.name, "short_name": certificate.short_name}
    certificate.name, certificate.short_name = name, short_name
    certificate.is_active = is_active
    session.add(certificate)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="certificate.updated",
        entity="certificate",
        entity_id=certificate.id,
        before=before,
        after={"name": name, "short_name": short_name, "levels": ",".join(levels)},
    )
    return certificate


def _own_certificate(
    session: Session, actor: Actor, certificate_id: int
) -> Certificate:
    certificate = session.get(Certificate, certificate_id)
    if certificate is None:
        raise NotFound(f"证书（编号 {certificate_id}）不存在")
    require_same_org(actor, certificate.org_id)
    return certificate


def list_certificates(
    session: Session, *, actor: Actor, org_id: int | None = None
) -> list[CertificateRow]:
    """Return certificates with their levels, only its own for an organisation account."""
    require_role(actor, *READER_ROLES)
    if actor.role == Role.ORG_ADMIN:
        org_id = actor.organisation_id
    query = select(Certificate, Organisation).join(
        Organisation, Organisation.id == Certificate.org_id
    )
    if org_id is not None:
        query = query.where(Certificate.org_id == org_id)
    rows = []
    for certificate, organisation in session.exec(query.order_by(Certificate.code)):
        levels = session.exec(
            select(CertificateLevel.level).where(
                CertificateLevel.certificate_id == certificate.id
            )
        ).all()
        rows.append(
            CertificateRow(
                id=certificate.id,
                code=certificate.code,
                name=certificate.name,
                short_name=certificate.short_name,
                org_name=organisation.name,
                levels=sorted(levels, key=LEVEL_ORDER.get),
                is_active=certificate.is_active,
            )
        )
    return rows


@dataclass
class LevelOption:
    """A certificate level offered in a picker."""

    certificate_level_id: int
    certificate_id: int
    certificate_code: str
    label: str
    level: str


def search_certificate_levels(
    session: Session, *, actor: Actor, org_id: int, text: str = "", limit: int = 30
) -> list[LevelOption]:
    """Find active certificate levels of one organisation by part of name or code."""
    require_role(actor, *READER_ROLES)
    query = (
        select(Certificate, CertificateLevel)
        .join(CertificateLevel, CertificateLevel.certificate_id == Certificate.id)
        .where(Certificate.org_id == org_id, Certificate.is_active)
    )
    text = text.strip()
    if text:
        query = query.where(
            or_(
                Certificate.name.contains(text),
                Certificate.short_name.contains(text),
                Certificate.code.startswith(text),
            )
        )
    found = session.exec(query.order_by(Certificate.code).limit(limit * 3)).all()
    found.sort(key=lambda pair: (pair[0].code, LEVEL_ORDER.get(pair[1].level, 9)))
    return [
        LevelOption(
            certificate_level_id=level.id,
            certificate_id=certificate.id,
            certificate_code=certificate.code,
            label=level_label(certificate, level),
            level=level.level,
        )
        for certificate, level in found[:limit]
    ]


def level_labels(session: Session, level_ids: list[int]) -> dict[int, str]:
    """Return the display name of each certificate level id."""
    if not level_ids:
        return {}
    pairs = session.exec(
        select(CertificateLevel, Certificate)
        .join(Certificate, Certificate.id == CertificateLevel.certificate_id)
        .where(CertificateLevel.id.in_(level_ids))
    ).all()
    return {level.id: level_label(certificate, level) for level, certificate in pairs}


# -------------------------------------------------------------------- subjects


@dataclass
class SubjectInput:
    """The fields of a subject form or of one import row."""

    code: str
    name: str
    mode: str
    certificate_level_id: int | None
    audience: str = Audience.ALL
    is_active: bool = True


@dataclass
class SubjectRow:
    """A subject as the subject list shows it."""

    id: int
    code: str
    name: str
    mode: str
    certificate_label: str
    certificate_level_id: int
    org_name: str
    audience: str
    is_active: bool

    @property
    def status_label(self) -> str:
        return "已启用" if self.is_active else "已停用"


def check_subject(
    session: Session, *, org_id: int, data: SubjectInput, own_id: int | None
) -> None:
    """Raise ``ValidationError`` with every invalid field of a subject."""
    errors: dict[str, str] = {}
    if not data.code:
        errors["code"] = "请填写科目编号：6 位数字（保留开头的 0）"
    elif not SUBJECT_CODE.match(data.code):
        errors["code"] = f"科目编号“{data.code}”无效：须为 6 位数字（保留开头的 0）"
    else:
        clash = session.exec(select(Subject).where(Subject.code == data.code)).first()
        if clash is not None and clash.id != own_id:
            errors["code"] = f"科目编号 {data.code} 已被科目“{clash.name}”使用"
    if not data.name:
        errors["name"] = "请填写科目名称"
    elif len(data.name) > 64:
        errors["name"] = "科目名称不能超过 64 个字"
    if not data.mode:
        errors["mode"] = "请选择考试方式：机考、实操或笔试"
    elif data.mode not in {mode.value for mode in ExamMode}:
        errors["mode"] = f"考试方式“{data.mode}”无效：只能是机考、实操或笔试"
    if not data.audience:
        errors["audience"] = "请填写参考对象，如“所有考生”或“院校学生”"
    elif len(data.audience) > 16:
        errors["audience"] = "参考对象不能超过 16 个字"
    level = (
        session.get(CertificateLevel, data.certificate_level_id)
        if data.certificate_level_id
        else None
    )
    certificate = session.get(Certificate, level.certificate_id) if level else None
    if certificate is None or certificate.org_id != org_id:
        errors["certificate_level_id"] = "请选择本机构的考核证书和等级"
    if errors:
        raise ValidationError(errors)


def create_subject(session: Session, *, actor: Actor, data: SubjectInput) -> Subject:
    """Add a subject to one of the caller's certificate levels."""
    org_id = require_org(actor)
    data = _clean_subject(data)
    check_subject(session, org_id=org_id, data=data, own_id=None)

    subject = Subject(
        code=data.code,
        name=data.name,
        mode=data.mode,
        certificate_level_id=data.certificate_level_id,
        audience=data.audience,
        is_active=data.is_active,
    )
    session.add(subject)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="subject.created",
        entity="subject",
        entity_id=subject.id,
        after=_subject_values(subject),
    )
    return subject


def update_subject(
    session: Session, *, actor: Actor, subject_id: int, data: SubjectInput
) -> Subject:
    """Change a subject of the caller's organisation; a subject in a plan keeps its code."""
    org_id = require_org(actor)
    subject = _own_subject(session, actor, subject_id)
    data = _clean_subject(data)
    check_subject(session, org_id=org_id, data=data, own_id=subject.id)
    in_plan = session.exec(
        select(PlanSubject.id).where(PlanSubject.subject_id == subject.id)
    ).first()
    if in_plan is not None and (
        data.code != subject.code
        or data.certificate_level_id != subject.certificate_level_id
        or data.mode != subject.mode
    ):
        raise ValidationError(
            {
                "code": f"科目 {subject.code} 已用于考试计划，不能再改编号、考试方式或所属证书"
            }
        )

    before = _subject_values(subject)
    for name in ("code", "name", "mode", "certificate_level_id", "audience"):
        setattr(subject, name, getattr(data, name))
    subject.is_active = data.is_active
    session.add(subject)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="subject.updated",
        entity="subject",
        entity_id=subject.id,
        before=before,
        after=_subject_values(subject),
    )
    return subject


def _clean_subject(data: SubjectInput) -> SubjectInput:
    return SubjectInput(
        code=data.code.strip(),
        name=data.name.strip(),
        mode=data.mode.strip(),
        certificate_level_id=data.certificate_level_id,
        audience=(data.audience or "").strip(),
        is_active=data.is_active,
    )


def _subject_values(subject: Subject) -> dict:
    return {
        "code": subject.code,
        "name": subject.name,
        "mode": subject.mode,
        "certificate_level_id": subject.certificate_level_id,
        "audience": subject.audience,
        "is_active": subject.is_active,
    }


def _own_subject(session: Session, actor: Actor, subject_id: int) -> Subject:
    subject = session.get(Subject, subject_id)
    if subject is None:
        raise NotFound(f"科目（编号 {subject_id}）不存在")
    level = session.get(CertificateLevel, subject.certificate_level_id)
    certificate = session.get(Certificate, level.certificate_id)
    require_same_org(actor, certificate.org_id)
    return subject


def list_subjects(
    session: Session,
    *,
    actor: Actor,
    search: str = "",
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[SubjectRow], int]:
    """Return one page of subjects and the total.

    An organisation account gets only its own subjects. School accounts get every
    organisation's subjects, because the catalogue is public to pilot schools.
    """
    require_role(actor, *READER_ROLES)
    query = (
        select(Subject, CertificateLevel, Certificate, Organisation)
        .join(CertificateLevel, CertificateLevel.id == Subject.certificate_level_id)
        .join(Certificate, Certificate.id == CertificateLevel.certificate_id)
        .join(Organisation, Organisation.id == Certificate.org_id)
    )
    if actor.role == Role.ORG_ADMIN:
        query = query.where(Certificate.org_id == actor.organisation_id)
    search = search.strip()
    if search:
        query = query.where(
            or_(
                Subject.code.startswith(search),
                Subject.name.contains(search),
                Certificate.name.contains(search),
            )
        )
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    found = session.exec(
        query.order_by(Organisation.name, Certificate.code, Subject.code)
        .offset(offset)
        .limit(limit)
    ).all()
    rows = [
        SubjectRow(
            id=subject.id,
            code=subject.code,
            name=subject.name,
            mode=subject.mode,
            certificate_label=level_label(certificate, level),
            certificate_level_id=level.id,
            org_name=organisation.name,
            audience=subject.audience,
            is_active=subject.is_active,
        )
        for subject, level, certificate, organisation in found
    ]
    return rows, total


# ------------------------------------------------------------------ exam plans


# Maximum exam duration (one day), so that a mistyped duration is caught.
MAX_DURATION_MINUTES = 24 * 60


@dataclass
class SubjectTerms:
    """Per subject of a plan: pass mark, weight in percent, duration and sessions."""

    subject_id: int
    pass_mark: float = 60
    weight_percent: int = 0
    duration_minutes: int = 0
    sessions: list[tuple[datetime, datetime]] = field(default_factory=list)


@dataclass
class LevelRule:
    """Per certificate level of a plan: the pass rule and its subjects."""

    certificate_level_id: int
    rule: str = PassRule.COMPOSITE
    pass_mark: float = 60
    subjects: list[SubjectTerms] = field(default_factory=list)


@dataclass
class PlanInput:
    """Everything an organisation enters for a plan."""

    name: str
    windows: dict[str, tuple[datetime, datetime]]
    levels: list[LevelRule]
    score_max: int = 100


def check_levels(
    session: Session,
    *,
    org_id: int,
    data: PlanInput,
    session_problems: dict[int, str] | None = None,
) -> None:
    """Raise ``ValidationError`` unless every level's rule and subjects are complete.

    ``session_problems`` maps a subject id to the problem the form found while
    reading its session lines. That problem replaces the missing-sessions message.
    """
    errors: dict[str, str] = {}
    if not data.levels:
        raise ValidationError({"levels": "请至少添加一个考核证书等级及其科目"})
    seen_levels: set[int] = set()
    for rule in data.levels:
        level = session.get(CertificateLevel, rule.certificate_level_id)
        certificate = session.get(Certificate, level.certificate_id) if level else None
        if certificate is None or certificate.org_id != org_id:
            errors["levels"] = "考核证书须为本机构的证书"
            continue
        label = level_label(certificate, level)
        key = f"level_{level.id}"
        if level.id in seen_levels:
            errors[key] = f"{label}重复添加，请删除一项"
            continue
        seen_levels.add(level.id)
        problem = _level_problem(session, rule, level, label, data)
        if problem:
            errors[key] = problem
        for terms in rule.subjects:
            subject = session.get(Subject, terms.subject_id)
            if subject is None or subject.certificate_level_id != level.id:
                continue
            problems = _terms_problems(
                terms,
                data,
                (session_problems or {}).get(subject.id, ""),
            )
            if problems:
                errors[f"subject_{subject.code}"] = (
                    f"科目 {subject.code}：{'；'.join(problems)}"
                )
    if errors:
        raise ValidationError(errors)


def plan_errors(
    session: Session,
    *,
    org_id: int,
    data: PlanInput,
    session_problems: dict[int, str] | None = None,
) -> dict[str, str]:
    """Return every field error of a plan's name, windows and levels at once.

    The result is empty when the plan can be saved. ``session_problems`` is as
    for ``check_levels``.
    """
    errors: dict[str, str] = {}
    if not data.name.strip():
        errors["name"] = "请填写计划名称"
    try:
        check_windows(data.windows)
    except ValidationError as error:
        errors.update(error.errors)
    try:
        check_levels(
            session, org_id=org_id, data=data, session_problems=session_problems
        )
    except ValidationError as error:
        errors.update(error.errors)
    return errors


def _level_problem(
    session: Session,
    rule: LevelRule,
    level: CertificateLevel,
    label: str,
    data: PlanInput,
) -> str:
    if rule.rule not in {PassRule.COMPOSITE.value, PassRule.EVERY_SUBJECT.value}:
        return f"{label}的考核通过条件无效"
    if not rule.subjects:
        return f"{label}没有考试科目，请至少选择一个科目"
    for terms in rule.subjects:
        subject = session.get(Subject, terms.subject_id)
        if subject is None or subject.certificate_level_id != level.id:
            return f"{label}中有不属于该证书等级的科目，请重新选择"
        if not subject.is_active:
            return f"科目 {subject.code} 已停用，不能用于考试计划"
    if len({terms.subject_id for terms in rule.subjects}) != len(rule.subjects):
        return f"{label}中有重复的科目"
    if rule.rule == PassRule.COMPOSITE:
        if not 0 < rule.pass_mark <= data.score_max:
            return f"{label}的综合成绩合格分数须在 0 到 {data.score_max} 之间"
        total = sum(terms.weight_percent for terms in rule.subjects)
        if total != 100:
            return f"{label}各科目所占总成绩比例之和为 {total}%，须为 100%"
    return ""


def _terms_problems(terms: SubjectTerms, data: PlanInput, sessions_problem: str):
    """List every problem of one subject's terms, for one message on its row."""
    problems = []
    if not 0 <= terms.pass_mark <= data.score_max:
        problems.append(f"合格分数须在 0 到 {data.score_max} 之间")
    if not 0 <= terms.weight_percent <= 100:
        problems.append("所占总成绩比例须在 0 到 100 之间")
    if terms.duration_minutes <= 0:
        problems.append("请填写考试时长（分钟）")
    elif terms.duration_minutes > MAX_DURATION_MINUTES:
        problems.append(f"考试时长不能超过 {MAX_DURATION_MINUTES} 分钟")
    if sessions_problem:
        problems.append(sessions_problem)
    elif not terms.sessions:
        problems.append("请至少填写一个考试场次")
    else:
        problems.extend(_sessions_problems(terms, data.windows.get("exam")))
    return problems


def _sessions_problems(
    terms: SubjectTerms, exam_window: tuple[datetime, datetime] | None
) -> list[str]:
    problems = []
    for starts_at, ends_at in terms.sessions:
        session_text = f"{format_beijing(starts_at)}~{format_beijing(ends_at, '%H:%M')}"
        if ends_at <= starts_at:
            problems.append(f"场次 {session_text} 的结束时间须晚于开始时间")
        elif exam_window is None or None in exam_window:
            continue
        elif starts_at < exam_window[0] or ends_at > exam_window[1]:
            problems.append(f"场次 {session_text} 不在考试时间范围内")
    return problems


def _generate_plan_code(session: Session) -> str:
    """Return ``K`` + the Beijing date (8 digits) + a 4-digit daily counter."""
    day = clock.today().strftime("%Y%m%d")
    while True:
        value = numbers.next_values(session, f"exam_plan:{day}")[0]
        if value > 9999:
            raise ServiceError("今日新建考试计划已达 9999 个，请明天再建")
        code = f"K{day}{value:04d}"
        exists = session.exec(select(ExamPlan.id).where(ExamPlan.code == code)).first()
        if exists is None:
            return code


def create_plan(session: Session, *, actor: Actor, data: PlanInput) -> ExamPlan:
    """Add a published exam plan with its windows and rules; the code is generated."""
    org_id = require_org(actor)
    name = data.name.strip()
    errors = plan_errors(session, org_id=org_id, data=data)
    if errors:
        raise ValidationError(errors)

    plan = ExamPlan(
        code=_generate_plan_code(session),
        org_id=org_id,
        name=name,
        score_max=data.score_max,
        **_window_columns(data.windows),
    )
    session.add(plan)
    session.flush()
    _sync_rules(session, plan, data.levels)

    audit.record(
        session,
        actor=actor,
        action="exam_plan.created",
        entity="exam_plan",
        entity_id=plan.id,
        after={"code": plan.code, "name": name, **_window_text(data.windows)},
    )
    logger.info("exam plan %s created by org %s", plan.code, org_id)
    return plan


def update_plan(
    session: Session,
    *,
    actor: Actor,
    plan_id: int,
    version: int,
    data: PlanInput,
    correction_reason: str = "",
) -> ExamPlan:
    """Change a plan's name, windows and rules.

    Once registration has opened the rules are locked. The organisation may still
    correct them with a reason, which the audit log records with the before and after.
    """
    require_org(actor)
    plan = get_plan(session, actor=actor, plan_id=plan_id)
    require_same_org(actor, plan.org_id)
    correction_reason = correction_reason.strip()
    locked = rules_locked(plan, clock.now())
    if locked and not correction_reason:
        raise ServiceError(
            f"考试计划 {plan.code} 已开始报名，考核规则已锁定；如确需更正，请填写更正原因"
        )
    name = data.name.strip()
    errors = plan_errors(session, org_id=plan.org_id, data=data)
    if errors:
        raise ValidationError(errors)

    before = {"name": plan.name, **_window_text(_plan_windows(plan))}
    before["rules"] = _rules_text(session, plan.id)
    changed = session.exec(
        update(ExamPlan)
        .where(ExamPlan.id == plan.id, ExamPlan.version == version)
        .values(
            name=name,
            score_max=data.score_max,
            version=version + 1,
            **_window_columns(data.windows),
        )
    )
    if changed.rowcount != 1:
        raise Conflict(f"考试计划 {plan.code} 已被他人修改，请刷新后重试")
    session.refresh(plan)
    _sync_rules(session, plan, data.levels)

    after = {"name": name, **_window_text(data.windows)}
    after["rules"] = _rules_text(session, plan.id)
    if locked:
        after["reason"] = correction_reason
    audit.record(
        session,
        actor=actor,
        action="exam_plan.corrected" if locked else "exam_plan.updated",
        entity="exam_plan",
        entity_id=plan.id,
        before=before,
        after=after,
    )
    return plan


def _window_columns(windows: dict[str, tuple[datetime, datetime]]) -> dict:
    columns = {}
    for window_name in WINDOW_NAMES:
        columns[f"{window_name}_start"], columns[f"{window_name}_end"] = windows[
            window_name
        ]
    return columns


def _plan_windows(plan: ExamPlan) -> dict[str, tuple[datetime, datetime]]:
    return {name: window_bounds(plan, name) for name in WINDOW_NAMES}


def _window_text(windows: dict[str, tuple[datetime, datetime]]) -> dict[str, str]:
    pattern = "%Y-%m-%d %H:%M:%S"
    return {
        name: f"{format_beijing(start, pattern)}~{format_beijing(end, pattern)}"
        for name, (start, end) in windows.items()
    }


def _rules_text(session: Session, plan_id: int) -> str:
    parts = []
    for plan_level in session.exec(
        select(PlanLevel).where(PlanLevel.plan_id == plan_id).order_by(PlanLevel.id)
    ):
        subjects = session.exec(
            select(PlanSubject, Subject)
            .join(Subject, Subject.id == PlanSubject.subject_id)
            .where(PlanSubject.plan_level_id == plan_level.id)
            .order_by(Subject.code)
        ).all()
        terms = ",".join(
            f"{subject.code}:{plan_subject.pass_mark:g}/{plan_subject.weight_percent}%"
            f"/{plan_subject.duration_minutes}min"
            for plan_subject, subject in subjects
        )
        parts.append(
            f"{plan_level.certificate_level_id}:{plan_level.rule}"
            f"@{plan_level.pass_mark:g}[{terms}]"
        )
    return ";".join(parts)


def _sync_rules(session: Session, plan: ExamPlan, levels: list[LevelRule]) -> None:
    """Make the plan's levels, subjects and sessions equal ``levels``, in place.

    Rows are updated rather than replaced, because registrations point at plan
    subjects and seat arrangements point at sessions.
    """
    old_levels = {
        row.certificate_level_id: row
        for row in session.exec(select(PlanLevel).where(PlanLevel.plan_id == plan.id))
    }
    old_subjects = {
        row.subject_id: row
        for row in session.exec(
            select(PlanSubject).where(PlanSubject.plan_id == plan.id)
        )
    }
    requested_subject_ids = {
        terms.subject_id for rule in levels for terms in rule.subjects
    }
    for subject_id, plan_subject in old_subjects.items():
        if subject_id not in requested_subject_ids:
            _remove_plan_subject(session, plan_subject)
    session.flush()
    requested_level_ids = {rule.certificate_level_id for rule in levels}
    for level_id, plan_level in old_levels.items():
        if level_id not in requested_level_ids:
            session.delete(plan_level)
    session.flush()

    for rule in levels:
        plan_level = old_levels.get(rule.certificate_level_id) or PlanLevel(
            plan_id=plan.id, certificate_level_id=rule.certificate_level_id
        )
        plan_level.rule = rule.rule
        plan_level.pass_mark = rule.pass_mark
        session.add(plan_level)
        session.flush()
        for terms in rule.subjects:
            plan_subject = old_subjects.get(terms.subject_id) or PlanSubject(
                plan_id=plan.id,
                plan_level_id=plan_level.id,
                subject_id=terms.subject_id,
            )
            plan_subject.plan_level_id = plan_level.id
            plan_subject.pass_mark = terms.pass_mark
            plan_subject.weight_percent = terms.weight_percent
            plan_subject.duration_minutes = terms.duration_minutes
            session.add(plan_subject)
            session.flush()
            _sync_sessions(session, plan_subject, terms.sessions)


def _remove_plan_subject(session: Session, plan_subject: PlanSubject) -> None:
    registered = session.exec(
        select(Registration.id).where(Registration.plan_subject_id == plan_subject.id)
    ).first()
    if registered is not None:
        subject = session.get(Subject, plan_subject.subject_id)
        raise ValidationError(
            {"levels": f"科目 {subject.code} 已有考生报考，不能从计划中移除"}
        )
    session.exec(
        delete(PlanSession).where(PlanSession.plan_subject_id == plan_subject.id)
    )
    session.delete(plan_subject)


def _sync_sessions(
    session: Session,
    plan_subject: PlanSubject,
    sessions: list[tuple[datetime, datetime]],
) -> None:
    existing = list(
        session.exec(
            select(PlanSession)
            .where(PlanSession.plan_subject_id == plan_subject.id)
            .order_by(PlanSession.starts_at, PlanSession.id)
        )
    )
    requested = sorted(sessions)
    for row, (starts_at, ends_at) in zip(existing, requested, strict=False):
        row.starts_at, row.ends_at = starts_at, ends_at
        session.add(row)
    for starts_at, ends_at in requested[len(existing) :]:
        session.add(
            PlanSession(
                plan_subject_id=plan_subject.id, starts_at=starts_at, ends_at=ends_at
            )
        )
    for row in existing[len(requested) :]:
        arranged = session.exec(
            select(Arrangement.id).where(Arrangement.session_id == row.id)
        ).first()
        if arranged is not None:
            raise ValidationError(
                {"levels": "有场次已排考，不能删除该场次；请改时间而不是删除"}
            )
        session.delete(row)
    session.flush()


def get_plan(session: Session, *, actor: Actor, plan_id: int) -> ExamPlan:
    """Return a plan the caller may see: schools see published plans, an organisation its own."""
    require_role(actor, *READER_ROLES)
    plan = session.get(ExamPlan, plan_id)
    if plan is None:
        raise NotFound(f"考试计划（编号 {plan_id}）不存在")
    if actor.role == Role.ORG_ADMIN:
        require_same_org(actor, plan.org_id)
    elif not plan.is_published:
        raise NotFound(f"考试计划（编号 {plan_id}）不存在")
    return plan


@dataclass
class PlanRow:
    """A plan as the plan list shows it."""

    id: int
    code: str
    name: str
    subject_count: int
    windows: list[str]
    org_name: str
    status: str


def list_plans(
    session: Session,
    *,
    actor: Actor,
    search: str = "",
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[PlanRow], int]:
    """Return one page of plans, newest exam first, and the total."""
    require_role(actor, *READER_ROLES)
    query = select(ExamPlan, Organisation).join(
        Organisation, Organisation.id == ExamPlan.org_id
    )
    if actor.role == Role.ORG_ADMIN:
        query = query.where(ExamPlan.org_id == actor.organisation_id)
    else:
        query = query.where(ExamPlan.is_published)
    search = search.strip()
    if search:
        query = query.where(
            or_(ExamPlan.code.startswith(search), ExamPlan.name.contains(search))
        )

    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    found = session.exec(
        query.order_by(ExamPlan.exam_start.desc(), ExamPlan.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()

    now = clock.now()
    rows = []
    for plan, organisation in found:
        subject_count = session.exec(
            select(func.count()).where(PlanSubject.plan_id == plan.id)
        ).one()
        rows.append(
            PlanRow(
                id=plan.id,
                code=plan.code,
                name=plan.name,
                subject_count=subject_count,
                windows=window_lines(plan),
                org_name=organisation.name,
                status=plan_window_status(plan, now),
            )
        )
    return rows, total


def window_lines(plan: ExamPlan) -> list[str]:
    """Return one ``label：start ~ end`` line per window, dates in Beijing time."""
    return [
        f"{WINDOW_LABELS[name]}：{format_beijing(start, '%Y-%m-%d')} ~ "
        f"{format_beijing(end, '%Y-%m-%d')}"
        for name, (start, end) in _plan_windows(plan).items()
    ]


@dataclass
class PlanSubjectDetail:
    """A subject line of the plan detail."""

    plan_subject_id: int
    subject_id: int
    code: str
    name: str
    mode: str
    audience: str
    pass_mark: float
    weight_percent: int
    duration_minutes: int
    sessions: list[tuple[datetime, datetime]]

    def session_lines(self) -> list[str]:
        """Return each session as ``2019-12-21 08:30~10:00`` in Beijing time."""
        return [
            f"{format_beijing(start)}~{format_beijing(end, '%H:%M')}"
            for start, end in self.sessions
        ]


@dataclass
class PlanLevelDetail:
    """A certificate level of the plan detail, with its pass rule."""

    certificate_level_id: int
    label: str
    rule: str
    pass_mark: float
    subjects: list[PlanSubjectDetail]

    @property
    def rule_label(self) -> str:
        return PASS_RULE_LABELS[PassRule(self.rule)]


@dataclass
class PlanDetail:
    """Everything the plan detail view shows."""

    plan: ExamPlan
    org_name: str
    status: str
    levels: list[PlanLevelDetail]
    rules_locked: bool


def plan_detail(session: Session, *, actor: Actor, plan_id: int) -> PlanDetail:
    """Return a plan with its levels, pass rules, subjects and sessions."""
    plan = get_plan(session, actor=actor, plan_id=plan_id)
    organisation = session.get(Organisation, plan.org_id)
    levels = []
    order_keys: dict[int, tuple[str, int]] = {}
    plan_levels = session.exec(select(PlanLevel).where(PlanLevel.plan_id == plan.id))
    for plan_level in plan_levels:
        level = session.get(CertificateLevel, plan_level.certificate_level_id)
        certificate = session.get(Certificate, level.certificate_id)
        order_keys[level.id] = (certificate.code, LEVEL_ORDER.get(level.level, 9))
        levels.append(
            PlanLevelDetail(
                certificate_level_id=level.id,
                label=level_label(certificate, level),
                rule=plan_level.rule,
                pass_mark=plan_level.pass_mark,
                subjects=_subject_details(session, plan_level.id),
            )
        )
    levels.sort(key=lambda item: order_keys[item.certificate_level_id])
    now = clock.now()
    return PlanDetail(
        plan=plan,
        org_name=organisation.name,
        status=plan_window_status(plan, now),
        levels=levels,
        rules_locked=rules_locked(plan, now),
    )


def _subject_details(session: Session, plan_level_id: int) -> list[PlanSubjectDetail]:
    details = []
    pairs = session.exec(
        select(PlanSubject, Subject)
        .join(Subject, Subject.id == PlanSubject.subject_id)
        .where(PlanSubject.plan_level_id == plan_level_id)
        .order_by(PlanSubject.id)
    ).all()
    for plan_subject, subject in pairs:
        sessions = session.exec(
            select(PlanSession)
            .where(PlanSession.plan_subject_id == plan_subject.id)
            .order_by(PlanSession.starts_at)
        ).all()
        details.append(
            PlanSubjectDetail(
                plan_subject_id=plan_subject.id,
                subject_id=subject.id,
                code=subject.code,
                name=subject.name,
                mode=subject.mode,
                audience=subject.audience,
                pass_mark=plan_subject.pass_mark,
                weight_percent=plan_subject.weight_percent,
                duration_minutes=plan_subject.duration_minutes,
                sessions=[(row.starts_at, row.ends_at) for row in sessions],
            )
        )
    return details


def plan_modes(session: Session, plan_id: int) -> set[str]:
    """Return the exam modes (机考/实操/笔试) the plan's subjects need."""
    return set(
        session.exec(
            select(Subject.mode)
            .join(PlanSubject, PlanSubject.subject_id == Subject.id)
            .where(PlanSubject.plan_id == plan_id)
        ).all()
    )


def plan_level_ids(session: Session, plan_id: int) -> set[int]:
    """Return the certificate level ids examined in the plan."""
    return set(
        session.exec(
            select(PlanLevel.certificate_level_id).where(PlanLevel.plan_id == plan_id)
        ).all()
    )


def beijing_date_text(moment: datetime) -> str:
    """Return the Beijing date of ``moment`` as ``YYYY-MM-DD``."""
    return to_beijing(moment).strftime("%Y-%m-%d")
