"""The audit log: every change of state in the workflow, append-only."""

from typing import Any

from sqlalchemy import event
from sqlmodel import Session, func, or_, select

from xcert_app.models.accounts import ROLE_LABELS, Role
from xcert_app.models.system import AuditEntry
from xcert_app.services.actor import Actor, require_role

# The Chinese label of every action code that services pass to ``record``.
# tests/unit/test_audit_labels.py reads every ``record`` call and fails when a
# code has no label here.
ACTION_LABELS = {
    "account.create": "创建账号",
    "account.disable": "停用账号",
    "account.enable": "启用账号",
    "account.reset_password": "重置密码",
    "announce_publication": "发送成绩发布通知",
    "candidate.add": "新增考生",
    "candidate.confirm": "人工确认考生",
    "candidate.edit": "修改考生信息",
    "candidate.first_login": "考生首次登录设置密码",
    "candidate.photo_upload": "上传考生照片",
    "candidates.import": "导入考生",
    "candidates.photos_import": "批量导入考生照片",
    "certificate.created": "新增证书",
    "certificate.download": "下载电子证书",
    "certificate.updated": "修改证书",
    "declaration.approve.city": "地市审核通过试点申报",
    "declaration.approve.province": "省级审核通过试点申报",
    "declaration.create": "新建试点申报",
    "declaration.delete": "删除试点申报",
    "declaration.reject.city": "地市审核不通过试点申报",
    "declaration.reject.province": "省级审核不通过试点申报",
    "declaration.submit": "提交试点申报",
    "declaration.update": "修改试点申报",
    "declaration_plan.close": "关闭申报计划",
    "declaration_plan.create": "新建申报计划",
    "declaration_plan.update": "修改申报计划",
    "exam_plan.corrected": "更正考试计划",
    "exam_plan.created": "新建考试计划",
    "exam_plan.updated": "修改考试计划",
    "exam_site.approved": "考核站点审核通过",
    "exam_site.declared": "申报考核站点",
    "exam_site.rejected": "考核站点审核不通过",
    "exam_site.resubmitted": "重新提交考核站点",
    "exam_site.updated": "修改考核站点",
    "fee_rule.set": "设置收费标准",
    "issuance.create": "生成证书发放记录",
    "issuance.refuse": "拒签证书",
    "issuance.resubmit": "重新提交证书签发",
    "issuance.sign": "签发证书",
    "issuance.status": "变更证书发放状态",
    "organisation.payment_settings": "设置缴费方式",
    "password.change": "修改密码",
    "payment_order.confirm": "确认缴费",
    "payment_order.create": "生成缴费申请单",
    "payment_order.delete": "删除缴费申请单",
    "payment_order.reject": "退回缴费申请单",
    "registration.delete": "批量删除报考",
    "registration.import": "批量导入报考",
    "result.compute": "计算考试结果",
    "results.freeze": "锁定考试结果",
    "room.copied": "复制考场",
    "room.created": "新增考场",
    "room.deleted": "删除考场",
    "room.duties": "设置监考和巡考",
    "room.updated": "修改考场",
    "schedule.failed": "排考失败",
    "schedule.run": "排考",
    "school.base_info": "保存院校基本信息",
    "school.register": "院校注册",
    "score.correct": "更正成绩",
    "scores.import": "导入成绩",
    "seal.upload": "上传院校公章",
    "site_loan.assigned": "指定借考站点",
    "site_loan.removed": "取消借考站点",
    "staff.add": "新增人员",
    "staff.disable": "停用人员",
    "staff.enable": "启用人员",
    "subject.created": "新增科目",
    "subject.updated": "修改科目",
}

# The Chinese name of every kind of entity that services pass to ``record``; the
# same test fails when an entity has no name here.
ENTITY_LABELS = {
    "account": "账号",
    "candidate": "考生",
    "certificate": "证书",
    "certificateresult": "考证结果",
    "declaration": "试点申报",
    "declaration_plan": "申报计划",
    "exam_plan": "考试计划",
    "examplan": "考试计划",
    "exam_site": "考核站点",
    "fee_rule": "收费标准",
    "issuancerecord": "证书签发",
    "organisation": "机构",
    "payment_order": "缴费申请单",
    "room": "考场",
    "seal": "电子签章",
    "site_loan": "借用考点",
    "staff": "机构人员",
    "subject": "考试科目",
    "subjectscore": "科目成绩",
}

# The role recorded for entries written by the system itself (``actor=None``).
SYSTEM_ROLE = "system"


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _refuse_change(_mapper, _connection, entry: AuditEntry) -> None:
    raise PermissionError(f"audit entry {entry.id} is append-only")


def record(
    session: Session,
    *,
    actor: Actor | None,
    action: str,
    entity: str,
    entity_id: Any = "",
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEntry:
    """Add one audit entry in the caller's transaction."""
    entry = AuditEntry(
        account_id=actor.account_id if actor else None,
        account_name=actor.display_name or actor.username if actor else SYSTEM_ROLE,
        role=str(actor.role) if actor else SYSTEM_ROLE,
        organisation_id=actor.organisation_id if actor else None,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        before=_jsonable(before or {}),
        after=_jsonable(after or {}),
    )
    session.add(entry)
    return entry


def action_label(action: str) -> str:
    """Return the Chinese label of an action code, or the code when it has none."""
    return ACTION_LABELS.get(action, action)


def entity_label(entity: str, entity_id: str) -> str:
    """Return what an entry is about, e.g. "考试计划 #3"; an unnamed kind keeps its code."""
    return f"{ENTITY_LABELS.get(entity, entity)} #{entity_id}"


def role_label(role: str) -> str:
    """Return the Chinese label of the role an entry recorded, or the value itself."""
    if role == SYSTEM_ROLE:
        return "系统"
    try:
        return ROLE_LABELS[Role(role)]
    except ValueError:
        return role


def format_values(values: dict | None) -> str:
    """Return the before or after values of an entry as one ``key: value`` line each.

    ``record`` stores numbers, booleans, None and text only, so no value is nested.
    A ``role`` value is shown by its label.
    """
    lines = []
    for key, value in (values or {}).items():
        if key == "role" and isinstance(value, str) and value:
            text = role_label(value)
        else:
            text = _format_value(value)
        lines.append(f"{key}: {text}")
    return "\n".join(lines)


def _format_value(value: Any) -> str:
    if value is None or value == "":
        return "（空）"
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def _jsonable(values: dict) -> dict:
    return {
        key: value if isinstance(value, (int, float, bool, type(None))) else str(value)
        for key, value in values.items()
    }


def search(
    session: Session,
    *,
    actor: Actor,
    text: str = "",
    action: str = "",
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[AuditEntry], int]:
    """Return one page of audit entries, newest first, and the total that match.

    Only the platform operator reads the whole log.
    """
    require_role(actor, Role.PLATFORM_ADMIN)
    query = select(AuditEntry)
    if action:
        query = query.where(AuditEntry.action.startswith(action))
    if text:
        pattern = f"%{text.strip()}%"
        query = query.where(
            or_(
                AuditEntry.account_name.like(pattern),
                AuditEntry.entity.like(pattern),
                AuditEntry.entity_id == text.strip(),
                AuditEntry.action.like(pattern),
            )
        )
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(AuditEntry.id.desc()).limit(limit).offset(offset)
    ).all()
    return list(rows), total
