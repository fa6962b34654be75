"""Pilot declarations: school base information, province plans, declarations, review.

A school with at least one approved declaration in a year is a pilot school that
year, and the approved trainee counts are its quota per certificate for that
year only.
"""

import io
import logging
import re
import time as timer
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time

from sqlalchemy import func, update
from sqlmodel import Session, or_, select
from stdnum.cn import uscc

from xcert_app.clock import BEIJING, clock, format_beijing
from xcert_app.models.accounts import Role
from xcert_app.models.catalogue import Certificate
from xcert_app.models.declarations import (
    DECLARATION_STATUS_LABELS,
    Declaration,
    DeclarationMajor,
    DeclarationPlan,
    DeclarationReview,
    DeclarationStatus,
    PlanStatus,
)
from xcert_app.models.files import StoredFile
from xcert_app.models.orgs import Organisation, OrgKind
from xcert_app.models.reference import Division, Major
from xcert_app.services import audit, reference, storage
from xcert_app.services.actor import Actor, require_role, require_school
from xcert_app.services.errors import (
    AccessDenied,
    AlreadyDone,
    Conflict,
    NotFound,
    ServiceError,
    ValidationError,
)
from xcert_app.services.notifications import notify
from xcert_app.services.registration import normalise_mobile
from xcert_app.services.sms import get_sender

logger = logging.getLogger(__name__)

SCHOOL_TYPES = ["本科院校", "高职院校", "中职学校", "其他"]
MAX_EVIDENCE_BYTES = 20 * 1024 * 1024
MAX_DESCRIPTION = 2000
MAX_PLANNED_COUNT = 100_000
PENDING = (DeclarationStatus.PENDING_CITY, DeclarationStatus.PENDING_PROVINCE)
EDITABLE = (DeclarationStatus.DRAFT, DeclarationStatus.REJECTED)
PHASE_LABELS = {"not_started": "未开始", "open": "申报中", "ended": "已结束"}
# Counter and filter groups of the school's list, in display order.
STATUS_GROUPS = {
    "all": None,
    "draft": (DeclarationStatus.DRAFT,),
    "pending": PENDING,
    "approved": (DeclarationStatus.APPROVED,),
    "rejected": (DeclarationStatus.REJECTED,),
}


# ---------------------------------------------------------------- base information


@dataclass
class BaseInfoForm:
    """The school's base information form (院校基础信息)."""

    school_type: str = ""
    credit_code: str = ""
    website: str = ""
    city_code: str = ""
    district_code: str = ""
    address: str = ""
    contact_name: str = ""
    contact_mobile: str = ""
    contact_email: str = ""


def province_department_name(session: Session, province_code: str) -> str:
    """Return the name of the education department of ``province_code``."""
    department = session.exec(
        select(Organisation).where(
            Organisation.kind == OrgKind.PROVINCE_DEPARTMENT,
            Organisation.province_code == province_code,
        )
    ).first()
    if department is not None:
        return department.name
    return f"{reference.division_name(session, province_code)}教育行政部门"


def get_school(session: Session, *, actor: Actor) -> Organisation:
    """Return the caller's school, or raise unless the caller is a school account."""
    school = session.get(Organisation, require_school(actor))
    if school is None:
        raise NotFound("本校信息不存在，请联系平台运营")
    return school


def _check_base_info(
    session: Session, school: Organisation, form: BaseInfoForm
) -> dict:
    errors: dict[str, str] = {}
    values = {
        "school_type": form.school_type.strip(),
        "credit_code": re.sub(r"\s", "", form.credit_code).upper(),
        "website": form.website.strip(),
        "city_code": form.city_code.strip(),
        "district_code": form.district_code.strip(),
        "address": form.address.strip(),
        "contact_name": form.contact_name.strip(),
        "contact_mobile": form.contact_mobile.strip(),
        "contact_email": form.contact_email.strip(),
    }

    if values["school_type"] not in SCHOOL_TYPES:
        errors["school_type"] = "请选择院校类型"
    if not values["credit_code"]:
        errors["credit_code"] = "请填写 18 位统一社会信用代码"
    elif not uscc.is_valid(values["credit_code"]):
        errors["credit_code"] = (
            f"统一社会信用代码 {values['credit_code']} 无效（长度或校验位不对），请核对"
        )
    if values["website"] and not re.fullmatch(
        r"(https?://)?[\w.-]+\.[a-zA-Z]{2,}(/\S*)?", values["website"]
    ):
        errors["website"] = "院校网址格式不对，例如 https://www.example.edu.cn"

    city = session.get(Division, values["city_code"]) if values["city_code"] else None
    if city is None or city.parent_code != school.province_code:
        errors["city_code"] = "请选择所在市"
    district = (
        session.get(Division, values["district_code"])
        if values["district_code"]
        else None
    )
    if district is None or district.parent_code != values["city_code"]:
        errors["district_code"] = "请选择所在区县"

    if not values["address"]:
        errors["address"] = "请填写详细地址"
    elif len(values["address"]) > 256:
        errors["address"] = "详细地址不能超过 256 个字"
    if not values["contact_name"]:
        errors["contact_name"] = "请填写联系人姓名"
    elif len(values["contact_name"]) > 64:
        errors["contact_name"] = "联系人姓名不能超过 64 个字"

    try:
        values["contact_mobile"] = normalise_mobile(
            values["contact_mobile"], field_name="contact_mobile"
        )
    except ValidationError as error:
        errors.update(error.errors)
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}", values["contact_email"]):
        errors["contact_email"] = "请填写有效的联系人邮箱，例如 name@example.cn"
    if errors:
        raise ValidationError(errors)
    return values


def save_base_info(session: Session, *, actor: Actor, form: BaseInfoForm) -> None:
    """Validate and store the school's base information, which declaring requires."""
    school = get_school(session, actor=actor)
    values = _check_base_info(session, school, form)
    before = {key: getattr(school, key) for key in values}

    for key, value in values.items():
        setattr(school, key, value)
    school.base_info_completed_at = school.base_info_completed_at or clock.now()
    session.add(school)
    audit.record(
        session,
        actor=actor,
        action="school.base_info",
        entity="organisation",
        entity_id=school.id,
        before=before,
        after=values,
    )


def has_base_info(school: Organisation) -> bool:
    """Tell whether the school has completed its base information."""
    return school.base_info_completed_at is not None


# ---------------------------------------------------------------- plans


@dataclass
class PlanForm:
    """Form of a province's declaration plan. Dates are Beijing calendar days."""

    batch_name: str = ""
    year: str = ""
    opens_on: str = ""
    closes_on: str = ""
    by_major: bool = False
    needs_city_review: bool = False


def plan_phase(plan: DeclarationPlan, now: datetime | None = None) -> str:
    """Return "not_started", "open" or "ended" for the plan at ``now`` (default: now).

    The window includes both ends to the second: a plan closing at 23:59:59
    Beijing time is open during that second and ended from the next one.
    """
    now = (now or clock.now()).replace(microsecond=0)
    if plan.status == PlanStatus.CLOSED:
        return "ended"
    if now < plan.opens_at:
        return "not_started"
    if now <= plan.closes_at:
        return "open"
    return "ended"


def plan_window_text(plan: DeclarationPlan) -> str:
    """Return the window as the manual shows it, in Beijing time."""
    return f"{format_beijing(plan.opens_at)} ~ {format_beijing(plan.closes_at)}"


def _parse_day(value: str, field_name: str, label: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationError({field_name: f"请选择{label}（年-月-日）"}) from None


def _check_plan(
    session: Session, actor: Actor, form: PlanForm, plan_id: int | None
) -> dict:
    errors: dict[str, str] = {}
    batch_name = form.batch_name.strip()
    if not batch_name:
        errors["batch_name"] = "请填写申报批次，例如 2026年第一次"
    elif len(batch_name) > 64:
        errors["batch_name"] = "申报批次不能超过 64 个字"
    year = int(form.year) if str(form.year).strip().isdigit() else 0
    if not 2019 <= year <= 2100:
        errors["year"] = "请填写四位数的申报年度，例如 2026"
    opens_on = closes_on = None
    for name, label in (("opens_on", "开始日期"), ("closes_on", "结束日期")):
        try:
            parsed = _parse_day(getattr(form, name), name, label)
        except ValidationError as error:
            errors.update(error.errors)
            continue
        if name == "opens_on":
            opens_on = parsed
        else:
            closes_on = parsed
    if opens_on and closes_on and closes_on < opens_on:
        errors["closes_on"] = "结束日期不能早于开始日期"
    if not errors:
        duplicate = session.exec(
            select(DeclarationPlan).where(
                DeclarationPlan.province_code == actor.province_code,
                DeclarationPlan.year == year,
                DeclarationPlan.batch_name == batch_name,
                DeclarationPlan.id != (plan_id or 0),
            )
        ).first()
        if duplicate is not None:
            errors["batch_name"] = f"{year} 年已有批次「{batch_name}」，请换一个名称"
    if errors:
        raise ValidationError(errors)
    return {
        "batch_name": batch_name,
        "year": year,
        "opens_at": datetime.combine(opens_on, time(0, 0), tzinfo=BEIJING),
        "closes_at": datetime.combine(closes_on, time(23, 59, 59), tzinfo=BEIJING),
        "by_major": bool(form.by_major),
        "needs_city_review": bool(form.needs_city_review),
    }


def _plan_audit_values(plan: DeclarationPlan) -> dict:
    return {
        "batch_name": plan.batch_name,
        "year": plan.year,
        "opens_at": plan.opens_at.isoformat(),
        "closes_at": plan.closes_at.isoformat(),
        "by_major": plan.by_major,
        "needs_city_review": plan.needs_city_review,
        "status": plan.status,
    }


def create_plan(session: Session, *, actor: Actor, form: PlanForm) -> DeclarationPlan:
    """Publish a declaration plan for the caller's province."""
    require_role(actor, Role.PROVINCE_REVIEWER)
    values = _check_plan(session, actor, form, None)

    plan = DeclarationPlan(
        department_id=actor.organisation_id,
        province_code=actor.province_code,
        status=PlanStatus.PUBLISHED,
        **values,
    )
    session.add(plan)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="declaration_plan.create",
        entity="declaration_plan",
        entity_id=plan.id,
        after=_plan_audit_values(plan),
    )
    return plan


def _own_plan(session: Session, actor: Actor, plan_id: int) -> DeclarationPlan:
    require_role(actor, Role.PROVINCE_REVIEWER)
    plan = session.get(DeclarationPlan, plan_id)
    if plan is None or plan.province_code != actor.province_code:
        raise NotFound("申报计划不存在或不属于本省")
    return plan


def update_plan(
    session: Session, *, actor: Actor, plan_id: int, form: PlanForm
) -> DeclarationPlan:
    """Change a plan that has not opened yet."""
    plan = _own_plan(session, actor, plan_id)
    if plan_phase(plan) != "not_started":
        raise ServiceError(
            f"申报计划「{plan.batch_name}」已开始或已结束，不能再修改；可以关闭它"
        )
    values = _check_plan(session, actor, form, plan.id)
    before = _plan_audit_values(plan)

    for key, value in values.items():
        setattr(plan, key, value)
    session.add(plan)
    audit.record(
        session,
        actor=actor,
        action="declaration_plan.update",
        entity="declaration_plan",
        entity_id=plan.id,
        before=before,
        after=_plan_audit_values(plan),
    )
    return plan


def close_plan(session: Session, *, actor: Actor, plan_id: int) -> DeclarationPlan:
    """End a plan's window now; declarations already submitted stay under review."""
    plan = _own_plan(session, actor, plan_id)
    if plan.status == PlanStatus.CLOSED:
        raise ServiceError(f"申报计划「{plan.batch_name}」已关闭")
    before = _plan_audit_values(plan)

    plan.status = PlanStatus.CLOSED
    session.add(plan)
    audit.record(
        session,
        actor=actor,
        action="declaration_plan.close",
        entity="declaration_plan",
        entity_id=plan.id,
        before=before,
        after=_plan_audit_values(plan),
    )
    return plan


def list_plans(session: Session, *, actor: Actor) -> list[DeclarationPlan]:
    """Return the plans of the caller's province, newest first."""
    if actor.role not in (
        Role.SCHOOL_HEAD,
        Role.SCHOOL_ADMIN,
        Role.CITY_REVIEWER,
        Role.PROVINCE_REVIEWER,
    ):
        raise AccessDenied()
    return list(
        session.exec(
            select(DeclarationPlan)
            .where(DeclarationPlan.province_code == actor.province_code)
            .order_by(DeclarationPlan.opens_at.desc(), DeclarationPlan.id.desc())
        ).all()
    )


# ---------------------------------------------------------------- declarations


@dataclass
class DeclarationForm:
    """Form of a school's declaration. ``planned_count`` is the text as typed."""

    certificate_id: int | None = None
    major_ids: list[int] = field(default_factory=list)
    planned_count: str = ""
    teacher_description: str = ""
    venue_description: str = ""


@dataclass
class Evidence:
    """An uploaded evidence file as received."""

    filename: str
    data: bytes


@dataclass
class DeclarationRow:
    """One declaration as lists show it."""

    id: int
    version: int
    plan_id: int
    batch_name: str
    year: int
    school_name: str
    certificate_name: str
    issuer_name: str
    planned_count: int
    approved_count: int | None
    status: str
    status_label: str
    reject_reason: str
    submitted_at: str
    has_evidence: bool


def evidence_type(data: bytes) -> tuple[str, str]:
    """Return (content type, suffix) of a PDF or Word file recognised by its content.

    Raise ``ValidationError`` for anything else, whatever the file name.
    """
    if data.startswith(b"%PDF-"):
        return "application/pdf", ".pdf"
    if data.startswith(bytes.fromhex("D0CF11E0A1B11AE1")):
        return "application/msword", ".doc"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                if "word/document.xml" in archive.namelist():
                    return (
                        "application/vnd.openxmlformats-officedocument."
                        "wordprocessingml.document",
                        ".docx",
                    )
        except zipfile.BadZipFile:
            pass
    raise ValidationError(
        {
            "evidence": "佐证材料只能是 PDF 或 Word 文档（.pdf/.doc/.docx），请转换后再上传"
        }
    )


def check_evidence(evidence: Evidence) -> tuple[str, str]:
    """Return (content type, suffix) of an evidence file that is valid to store.

    Raise ``ValidationError`` if it is empty, over 20 MB, or not PDF or Word.
    """
    if not evidence.data:
        raise ValidationError(
            {"evidence": f"文件 {evidence.filename} 是空的，请重新选择"}
        )
    if len(evidence.data) > MAX_EVIDENCE_BYTES:
        size_mb = len(evidence.data) / 1024 / 1024
        raise ValidationError(
            {
                "evidence": f"文件 {evidence.filename} 有 {size_mb:.1f} MB，"
                "超过 20 MB，请压缩后再上传"
            }
        )
    return evidence_type(evidence.data)


def _open_plan_for_school(
    session: Session, plan_id: int, school: Organisation
) -> DeclarationPlan:
    plan = session.get(DeclarationPlan, plan_id)
    if plan is None or plan.province_code != school.province_code:
        raise NotFound("申报计划不存在或不属于本省")
    if plan_phase(plan) != "open":
        raise ServiceError(
            f"申报批次「{plan.batch_name}」不在申报时间内（{plan_window_text(plan)}，"
            "北京时间），不能新增、修改或提交申报"
        )
    return plan


def _require_base_info(school: Organisation) -> None:
    if not has_base_info(school):
        raise ServiceError("请先在「院校基础信息」中完善并保存本校信息，再申报证书试点")


def _check_declaration(
    session: Session,
    form: DeclarationForm,
    plan: DeclarationPlan,
    school_id: int,
    declaration_id: int | None,
) -> tuple[int, list[int]]:
    errors: dict[str, str] = {}
    certificate = (
        session.get(Certificate, form.certificate_id) if form.certificate_id else None
    )
    if certificate is None or not certificate.is_active:
        errors["certificate_id"] = "请搜索并选择试点证书"
    else:
        existing = session.exec(
            select(Declaration).where(
                Declaration.plan_id == plan.id,
                Declaration.school_id == school_id,
                Declaration.certificate_id == certificate.id,
                Declaration.id != (declaration_id or 0),
            )
        ).first()
        if existing is not None:
            label = DECLARATION_STATUS_LABELS[DeclarationStatus(existing.status)]
            errors["certificate_id"] = (
                f"本批次已申报过「{certificate.name}」（{label}），请在列表中修改原申报"
            )

    major_ids = sorted(set(form.major_ids))
    found_majors = (
        session.exec(select(Major.id).where(Major.id.in_(major_ids))).all()
        if major_ids
        else []
    )
    if len(found_majors) != len(major_ids):
        errors["majors"] = "所选专业不在专业目录中，请重新搜索选择"
    elif plan.by_major and not major_ids:
        errors["majors"] = "本批次要求按专业填报，请至少添加一个专业"

    planned, problem = _planned_count(str(form.planned_count))
    if problem:
        errors["planned_count"] = problem

    for name, label in (
        ("teacher_description", "师资情况描述"),
        ("venue_description", "场地情况描述"),
    ):
        value = getattr(form, name).strip()
        if not value:
            errors[name] = f"请填写{label}"
        elif len(value) > MAX_DESCRIPTION:
            errors[name] = (
                f"{label}不能超过 {MAX_DESCRIPTION} 个字（现有 {len(value)} 个）"
            )
    if errors:
        raise ValidationError(errors)
    return planned, major_ids


def _planned_count(typed: str) -> tuple[int, str]:
    """Parse the planned trainee count. Return it, or 0 and the error message."""
    text = typed.strip()
    if not text:
        return 0, "请填写拟申报的培训人数"
    if not re.fullmatch(r"[0-9]+", text):
        return (
            0,
            f"拟申报的培训人数“{text}”无效：请填写 1 到 {MAX_PLANNED_COUNT} 的整数",
        )
    planned = int(text)
    if planned == 0:
        return 0, "拟申报的培训人数须至少为 1 人"
    if planned > MAX_PLANNED_COUNT:
        return 0, (
            f"拟申报的培训人数 {planned} 超过上限：每项申报最多 {MAX_PLANNED_COUNT} 人"
        )
    return planned, ""


def _claim(
    session: Session,
    declaration: Declaration,
    version: int,
    allowed: tuple[DeclarationStatus, ...],
    *,
    repeat_is_done: bool = False,
    **values,
) -> None:
    """Update a declaration only if its version still equals ``version``, else raise.

    With ``repeat_is_done``, a declaration that already has the requested status
    raises ``AlreadyDone`` rather than ``Conflict``, so a double click is harmless.
    """
    session.flush()
    result = session.exec(
        update(Declaration)
        .where(
            Declaration.id == declaration.id,
            Declaration.version == version,
            Declaration.status.in_([str(status) for status in allowed]),
        )
        .values(version=Declaration.version + 1, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1:
        session.refresh(declaration)
        return
    session.refresh(declaration)
    label = DECLARATION_STATUS_LABELS[DeclarationStatus(declaration.status)]
    if repeat_is_done and declaration.status == values.get("status"):
        raise AlreadyDone(f"该申报已是「{label}」，无需重复操作")
    if declaration.version != version:
        raise Conflict(f"该申报已被他人处理，当前状态为「{label}」，请刷新列表后查看")
    raise ServiceError(f"该申报当前状态为「{label}」，不能执行此操作")


def _set_majors(session: Session, declaration_id: int, major_ids: list[int]) -> None:
    for link in session.exec(
        select(DeclarationMajor).where(
            DeclarationMajor.declaration_id == declaration_id
        )
    ).all():
        session.delete(link)
    session.flush()
    for major_id in major_ids:
        session.add(DeclarationMajor(declaration_id=declaration_id, major_id=major_id))


def _declaration_values(declaration: Declaration, major_ids: list[int]) -> dict:
    return {
        "certificate_id": declaration.certificate_id,
        "planned_count": declaration.planned_count,
        "majors": ",".join(str(major_id) for major_id in major_ids),
        "evidence_file_id": declaration.evidence_file_id,
        "status": declaration.status,
    }


def save_draft(
    session: Session,
    *,
    actor: Actor,
    plan_id: int,
    form: DeclarationForm,
    evidence: Evidence | None = None,
    remove_evidence: bool = False,
    declaration_id: int | None = None,
    version: int | None = None,
) -> Declaration:
    """Create or change a declaration as a draft, inside the plan's open window.

    A rejected declaration becomes a draft again when the school edits it.
    """
    school = get_school(session, actor=actor)
    _require_base_info(school)
    declaration = None
    if declaration_id is not None:
        declaration = _own_declaration(session, school.id, declaration_id)
        plan_id = declaration.plan_id
    plan = _open_plan_for_school(session, plan_id, school)
    planned, major_ids = _check_declaration(
        session, form, plan, school.id, declaration_id
    )
    evidence_format = check_evidence(evidence) if evidence else None

    if declaration is None:
        declaration = Declaration(plan_id=plan.id, school_id=school.id, planned_count=0)
        action, before = "declaration.create", {}
    else:
        before = _declaration_values(declaration, _major_ids(session, declaration.id))
        _claim(
            session, declaration, version or 0, EDITABLE, status=DeclarationStatus.DRAFT
        )
        action = "declaration.update"
    declaration.certificate_id = form.certificate_id
    declaration.planned_count = planned
    declaration.teacher_description = form.teacher_description.strip()
    declaration.venue_description = form.venue_description.strip()
    if evidence is not None:
        # Written after the version check, so a conflicting edit leaves no file behind.
        content_type, suffix = evidence_format
        declaration.evidence_file_id = storage.save_bytes(
            session,
            data=evidence.data,
            kind="evidence",
            content_type=content_type,
            organisation_id=school.id,
            original_name=evidence.filename,
            suffix=suffix,
        ).id
    elif remove_evidence:
        declaration.evidence_file_id = None
    session.add(declaration)
    session.flush()
    _set_majors(session, declaration.id, major_ids)
    audit.record(
        session,
        actor=actor,
        action=action,
        entity="declaration",
        entity_id=declaration.id,
        before=before,
        after=_declaration_values(declaration, major_ids),
    )
    return declaration


def _own_declaration(
    session: Session, school_id: int, declaration_id: int
) -> Declaration:
    declaration = session.get(Declaration, declaration_id)
    if declaration is None or declaration.school_id != school_id:
        raise NotFound("申报记录不存在或不属于本校")
    return declaration


def _major_ids(session: Session, declaration_id: int) -> list[int]:
    return sorted(
        session.exec(
            select(DeclarationMajor.major_id).where(
                DeclarationMajor.declaration_id == declaration_id
            )
        ).all()
    )


def submit_declaration(
    session: Session, *, actor: Actor, declaration_id: int, version: int
) -> Declaration:
    """Lock a draft or rejected declaration and send it to the first reviewer."""
    school = get_school(session, actor=actor)
    _require_base_info(school)
    declaration = _own_declaration(session, school.id, declaration_id)
    plan = _open_plan_for_school(session, declaration.plan_id, school)
    if plan.by_major and not _major_ids(session, declaration.id):
        raise ServiceError("本批次要求按专业填报，请先编辑申报并添加专业")
    before = {"status": declaration.status}

    target = (
        DeclarationStatus.PENDING_CITY
        if plan.needs_city_review
        else DeclarationStatus.PENDING_PROVINCE
    )
    _claim(
        session,
        declaration,
        version,
        EDITABLE,
        repeat_is_done=True,
        status=target,
        submitted_at=clock.now(),
        reject_reason="",
        approved_count=None,
    )
    audit.record(
        session,
        actor=actor,
        action="declaration.submit",
        entity="declaration",
        entity_id=declaration.id,
        before=before,
        after={"status": target},
    )
    return declaration


def delete_draft(
    session: Session, *, actor: Actor, declaration_id: int, version: int
) -> None:
    """Delete a declaration that was never submitted."""
    school = get_school(session, actor=actor)
    declaration = _own_declaration(session, school.id, declaration_id)
    _claim(session, declaration, version, (DeclarationStatus.DRAFT,))
    before = _declaration_values(declaration, _major_ids(session, declaration.id))

    _set_majors(session, declaration.id, [])
    session.delete(declaration)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="declaration.delete",
        entity="declaration",
        entity_id=declaration_id,
        before=before,
    )


@dataclass
class DeclarationDetail:
    """A declaration with its majors and evidence name, for the edit form."""

    declaration: Declaration
    certificate_name: str
    majors: list[tuple[int, str]]
    evidence_name: str


def get_declaration(
    session: Session, *, actor: Actor, declaration_id: int
) -> DeclarationDetail:
    """Return one declaration of the caller's school, or one the reviewer may see."""
    declaration = session.get(Declaration, declaration_id)
    if declaration is None:
        raise NotFound("申报记录不存在")
    _require_visible(session, actor, declaration)
    certificate = session.get(Certificate, declaration.certificate_id)
    majors = session.exec(
        select(Major.id, Major.name)
        .join(DeclarationMajor, DeclarationMajor.major_id == Major.id)
        .where(DeclarationMajor.declaration_id == declaration.id)
        .order_by(Major.code)
    ).all()
    stored = (
        session.get(StoredFile, declaration.evidence_file_id)
        if declaration.evidence_file_id
        else None
    )
    return DeclarationDetail(
        declaration=declaration,
        certificate_name=certificate.name if certificate else "",
        majors=[(major_id, name) for major_id, name in majors],
        evidence_name=stored.original_name if stored else "",
    )


def evidence_download(
    session: Session, *, actor: Actor, declaration_id: int
) -> tuple[str, bytes]:
    """Return the evidence file's name and content for the school or its reviewers."""
    detail = get_declaration(session, actor=actor, declaration_id=declaration_id)
    file_id = detail.declaration.evidence_file_id
    stored = session.get(StoredFile, file_id) if file_id else None
    if stored is None:
        raise NotFound("该申报没有上传佐证材料")
    return stored.original_name or f"佐证材料{stored.relative_path[-5:]}", (
        storage.read_bytes(stored)
    )


def _require_visible(session: Session, actor: Actor, declaration: Declaration) -> None:
    if actor.is_school:
        if declaration.school_id != actor.organisation_id:
            raise NotFound("申报记录不存在或不属于本校")
        return
    plan = session.get(DeclarationPlan, declaration.plan_id)
    school = session.get(Organisation, declaration.school_id)
    if actor.role == Role.PROVINCE_REVIEWER:
        visible = plan.province_code == actor.province_code
    elif actor.role == Role.CITY_REVIEWER:
        visible = (
            plan.province_code == actor.province_code
            and school.city_code == actor.city_code
        )
    else:
        raise AccessDenied()
    if not visible:
        raise NotFound("申报记录不存在或不在您的管辖范围")


def _row_query():
    issuer = Organisation.__table__.alias("issuer")
    school = Organisation.__table__.alias("school")
    query = (
        select(
            Declaration,
            DeclarationPlan.batch_name,
            DeclarationPlan.year,
            school.c.name,
            Certificate.name,
            issuer.c.name,
        )
        .join(DeclarationPlan, DeclarationPlan.id == Declaration.plan_id)
        .join(Certificate, Certificate.id == Declaration.certificate_id)
        .join(school, school.c.id == Declaration.school_id)
        .join(issuer, issuer.c.id == Certificate.org_id)
    )
    return query, school


def _to_rows(results) -> list[DeclarationRow]:
    return [
        DeclarationRow(
            id=declaration.id,
            version=declaration.version,
            plan_id=declaration.plan_id,
            batch_name=batch_name,
            year=year,
            school_name=school_name,
            certificate_name=certificate_name,
            issuer_name=issuer_name,
            planned_count=declaration.planned_count,
            approved_count=declaration.approved_count,
            status=declaration.status,
            status_label=DECLARATION_STATUS_LABELS[
                DeclarationStatus(declaration.status)
            ],
            reject_reason=declaration.reject_reason,
            submitted_at=format_beijing(declaration.submitted_at),
            has_evidence=declaration.evidence_file_id is not None,
        )
        for (
            declaration,
            batch_name,
            year,
            school_name,
            certificate_name,
            issuer_name,
        ) in results
    ]


def school_counts(session: Session, *, actor: Actor) -> dict[str, int]:
    """Count the school's declarations per group of ``STATUS_GROUPS``."""
    school_id = require_school(actor)
    by_status = dict(
        session.exec(
            select(Declaration.status, func.count())
            .where(Declaration.school_id == school_id)
            .group_by(Declaration.status)
        ).all()
    )
    counts = {}
    for group, statuses in STATUS_GROUPS.items():
        if statuses is None:
            counts[group] = sum(by_status.values())
        else:
            counts[group] = sum(by_status.get(str(status), 0) for status in statuses)
    return counts


def list_school_declarations(
    session: Session,
    *,
    actor: Actor,
    group: str = "all",
    limit: int = 10,
    offset: int = 0,
) -> tuple[list[DeclarationRow], int]:
    """Return one page of the school's declarations, newest first, and the total."""
    school_id = require_school(actor)
    query, _school = _row_query()
    query = query.where(Declaration.school_id == school_id)
    statuses = STATUS_GROUPS.get(group)
    if statuses:
        query = query.where(Declaration.status.in_([str(s) for s in statuses]))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    results = session.exec(
        query.order_by(Declaration.id.desc()).limit(limit).offset(offset)
    ).all()
    return _to_rows(results), total


def search_certificates(
    session: Session, *, text: str, limit: int = 20
) -> list[tuple[int, str, str]]:
    """Find active certificates by part of the name or code: (id, name, issuer)."""
    query = (
        select(Certificate.id, Certificate.name, Organisation.name)
        .join(Organisation, Organisation.id == Certificate.org_id)
        .where(Certificate.is_active)
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
    return list(session.exec(query.order_by(Certificate.name).limit(limit)).all())


# ---------------------------------------------------------------- review

REVIEW_GROUPS = ("todo", "all", "approved", "rejected")


def _review_scope(query, actor: Actor, school):
    query = query.where(DeclarationPlan.province_code == actor.province_code)
    if actor.role == Role.CITY_REVIEWER:
        query = query.where(
            school.c.city_code == actor.city_code,
            DeclarationPlan.needs_city_review,
        )
    return query


def _todo_status(actor: Actor) -> DeclarationStatus:
    if actor.role == Role.CITY_REVIEWER:
        return DeclarationStatus.PENDING_CITY
    return DeclarationStatus.PENDING_PROVINCE


def list_for_review(
    session: Session,
    *,
    actor: Actor,
    group: str = "todo",
    plan_id: int | None = None,
    limit: int = 20,
    offset: int = 0,
) -> tuple[list[DeclarationRow], int]:
    """Return one page of the declarations the reviewer may see, and the total.

    "todo" lists those waiting for the caller's level. Drafts are never shown.
    """
    require_role(actor, Role.CITY_REVIEWER, Role.PROVINCE_REVIEWER)
    query, school = _row_query()
    query = _review_scope(query, actor, school)
    query = query.where(Declaration.status != DeclarationStatus.DRAFT)
    if group == "todo":
        query = query.where(Declaration.status == _todo_status(actor))
    elif group in ("approved", "rejected"):
        query = query.where(Declaration.status == group)
    if plan_id:
        query = query.where(Declaration.plan_id == plan_id)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    results = session.exec(
        query.order_by(Declaration.submitted_at, Declaration.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return _to_rows(results), total


def _notify_school(session: Session, declaration: Declaration, text: str) -> None:
    school = session.get(Organisation, declaration.school_id)
    if school is None or not school.registered_mobile:
        logger.warning("school %s has no registered mobile", declaration.school_id)
        return
    get_sender().send(
        session,
        mobile=school.registered_mobile,
        purpose="declaration",
        body=f"【1+X证书试点平台】{school.name}：{text}",
    )


def _certificate_name(session: Session, declaration: Declaration) -> str:
    certificate = session.get(Certificate, declaration.certificate_id)
    return certificate.name if certificate else ""


def _reviewable(session: Session, actor: Actor, declaration_id: int) -> Declaration:
    require_role(actor, Role.CITY_REVIEWER, Role.PROVINCE_REVIEWER)
    declaration = session.get(Declaration, declaration_id)
    if declaration is None:
        raise NotFound("申报记录不存在")
    _require_visible(session, actor, declaration)
    return declaration


def _record_decision(
    session: Session,
    actor: Actor,
    declaration: Declaration,
    *,
    before: dict,
    approved_count: int | None = None,
    reason: str = "",
) -> None:
    """Store the review row, send the school its SMS and write the audit entry."""
    level = "city" if actor.role == Role.CITY_REVIEWER else "province"
    approved = declaration.status != DeclarationStatus.REJECTED
    session.add(
        DeclarationReview(
            declaration_id=declaration.id,
            level=level,
            reviewer_id=actor.account_id,
            approved=approved,
            approved_count=approved_count,
            reason=reason,
        )
    )

    name = _certificate_name(session, declaration)
    if not approved:
        text = f"「{name}」试点申报审核不通过，原因：{reason}。可修改后重新提交。"
    elif level == "city":
        text = f"「{name}」试点申报已通过地市级教育局审核，等待省级教育行政部门审核。"
    else:
        text = f"「{name}」试点申报审核通过，批准培训人数 {approved_count} 人。"
    _notify_school(session, declaration, text)
    notify(
        session,
        organisation_id=declaration.school_id,
        title=f"证书试点申报{'审核不通过' if not approved else '审核通过' if level != 'city' else '通过地市审核'}",
        body=text,
        link="/school/declarations",
    )

    after = {"status": declaration.status}
    after.update({"approved_count": approved_count} if approved else {"reason": reason})
    audit.record(
        session,
        actor=actor,
        action=f"declaration.{'approve' if approved else 'reject'}.{level}",
        entity="declaration",
        entity_id=declaration.id,
        before=before,
        after=after,
    )


def approve_declaration(
    session: Session,
    *,
    actor: Actor,
    declaration_id: int,
    version: int,
    approved_count: int | str | None = None,
) -> Declaration:
    """Approve at the caller's level. The city passes it on, the province sets a count.

    Two reviewers deciding at once: only the first decision is stored, the
    other one gets ``Conflict``.
    """
    declaration = _reviewable(session, actor, declaration_id)
    count = None
    if actor.role == Role.PROVINCE_REVIEWER:
        text = str(approved_count if approved_count is not None else "").strip()
        count = int(text) if text.isdigit() else 0
        if not 1 <= count <= declaration.planned_count:
            raise ValidationError(
                {
                    "approved_count": "批准培训人数须为 1 到 "
                    f"{declaration.planned_count}（拟申报人数）之间的整数"
                }
            )
    before = {
        "status": declaration.status,
        "approved_count": declaration.approved_count,
    }

    if actor.role == Role.CITY_REVIEWER:
        values = {"status": DeclarationStatus.PENDING_PROVINCE}
    else:
        values = {
            "status": DeclarationStatus.APPROVED,
            "approved_count": count,
            "decided_at": clock.now(),
        }
    _claim(
        session,
        declaration,
        version,
        (_todo_status(actor),),
        repeat_is_done=True,
        **values,
    )
    _record_decision(session, actor, declaration, before=before, approved_count=count)
    return declaration


def reject_declaration(
    session: Session, *, actor: Actor, declaration_id: int, version: int, reason: str
) -> Declaration:
    """Reject at the caller's level with a reason. The school may edit and resubmit."""
    declaration = _reviewable(session, actor, declaration_id)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请填写不通过的原因，学校将据此修改"})
    if len(reason) > 500:
        raise ValidationError({"reason": "不通过原因不能超过 500 个字"})
    before = {"status": declaration.status}

    _claim(
        session,
        declaration,
        version,
        (_todo_status(actor),),
        repeat_is_done=True,
        status=DeclarationStatus.REJECTED,
        reject_reason=reason,
        approved_count=None,
        decided_at=clock.now(),
    )
    _record_decision(session, actor, declaration, before=before, reason=reason)
    return declaration


@dataclass
class BulkResult:
    """Outcome of a bulk approval: the approved count and why rows were skipped."""

    approved: int = 0
    skipped: list[str] = field(default_factory=list)


def bulk_approve(
    session: Session, *, actor: Actor, items: list[tuple[int, int]]
) -> BulkResult:
    """Approve several (declaration id, version) pairs at the planned count.

    A declaration someone else decided meanwhile is skipped and named in the result.
    """
    require_role(actor, Role.CITY_REVIEWER, Role.PROVINCE_REVIEWER)
    if not items:
        raise ServiceError("请先勾选要批量通过的申报")
    result = BulkResult()
    started = timer.monotonic()
    for declaration_id, version in items:
        declaration = session.get(Declaration, declaration_id)
        count = declaration.planned_count if declaration else None
        try:
            approve_declaration(
                session,
                actor=actor,
                declaration_id=declaration_id,
                version=version,
                approved_count=count,
            )
        except (Conflict, NotFound) as error:
            name = _certificate_name(session, declaration) if declaration else ""
            result.skipped.append(f"{name}：{error.message}")
            continue
        except ServiceError as error:
            result.skipped.append(error.message)
            continue
        result.approved += 1
    logger.info(
        "bulk approval by account %s: %d approved, %d skipped in %.2f s",
        actor.account_id,
        result.approved,
        len(result.skipped),
        timer.monotonic() - started,
    )
    return result


# ---------------------------------------------------------------- outcome


def approved_quota(
    session: Session, *, school_id: int, certificate_id: int, year: int
) -> int:
    """Return the trainee count approved for the school and certificate in ``year``.

    Counts approved in one year never apply to another.
    """
    total = session.exec(
        select(func.coalesce(func.sum(Declaration.approved_count), 0))
        .join(DeclarationPlan, DeclarationPlan.id == Declaration.plan_id)
        .where(
            Declaration.school_id == school_id,
            Declaration.certificate_id == certificate_id,
            Declaration.status == DeclarationStatus.APPROVED,
            DeclarationPlan.year == year,
        )
    ).one()
    return int(total)


def is_pilot_school(session: Session, *, school_id: int, year: int) -> bool:
    """Tell whether the school has at least one approved declaration in ``year``."""
    found = session.exec(
        select(Declaration.id)
        .join(DeclarationPlan, DeclarationPlan.id == Declaration.plan_id)
        .where(
            Declaration.school_id == school_id,
            Declaration.status == DeclarationStatus.APPROVED,
            DeclarationPlan.year == year,
        )
        .limit(1)
    ).first()
    return found is not None


def school_quotas(
    session: Session, *, actor: Actor, year: int
) -> list[tuple[str, int]]:
    """Return the caller's quota per certificate in ``year`` as (name, count) pairs."""
    school_id = require_school(actor)
    rows = session.exec(
        select(Certificate.name, func.sum(Declaration.approved_count))
        .join(Certificate, Certificate.id == Declaration.certificate_id)
        .join(DeclarationPlan, DeclarationPlan.id == Declaration.plan_id)
        .where(
            Declaration.school_id == school_id,
            Declaration.status == DeclarationStatus.APPROVED,
            DeclarationPlan.year == year,
        )
        .group_by(Certificate.name)
        .order_by(Certificate.name)
    ).all()
    return [(name, int(count or 0)) for name, count in rows]
