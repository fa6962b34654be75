"""Payment orders (缴费申请单) and the assessment organisation's fee table.

A school builds an order from an import by certificate or by subject; the
amount comes from the organisation's fee table. The organisation confirms the
order (its registrations become paid) or rejects it with a reason.
"""

import logging
import time
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import delete as sql_delete
from sqlalchemy import func, update
from sqlmodel import Session, select

from xcert_app.clock import clock, format_beijing
from xcert_app.models.accounts import Role
from xcert_app.models.candidates import Candidate
from xcert_app.models.catalogue import Certificate, CertificateLevel, ExamPlan, Subject
from xcert_app.models.orgs import FeeBasis, Organisation
from xcert_app.models.registrations import (
    REGISTRATION_STATUS_LABELS,
    FeeRule,
    OrderStatus,
    PaymentOrder,
    PaymentOrderLine,
    Registration,
    RegistrationStatus,
)
from xcert_app.services import audit, numbers
from xcert_app.services import registrations as registration_service
from xcert_app.services.actor import Actor, require_org, require_role, require_school
from xcert_app.services.errors import (
    AccessDenied,
    AlreadyDone,
    Conflict,
    NotFound,
    ServiceError,
    ValidationError,
)
from xcert_app.services.masking import mask_id_number
from xcert_app.services.notifications import notify
from xcert_app.services.registrations import ImportReport, Resolved, RowRefusal, Rule
from xcert_app.spreadsheets.registrations import ImportKind

logger = logging.getLogger(__name__)

ORDER_SEQUENCE = "payment_order"
ORDER_STATUS_LABELS = {
    OrderStatus.PENDING: "待确认",
    OrderStatus.CONFIRMED: "已确认缴费",
    OrderStatus.REJECTED: "已退回",
}
BASIS_LABELS = {FeeBasis.CERTIFICATE: "按证书", FeeBasis.SUBJECT: "按科目"}
MAX_FEE_FEN = 10_000_000


def format_yuan(amount_fen: int) -> str:
    """Format an amount in fen as yuan with two decimals: ``360.00``."""
    return f"{Decimal(amount_fen) / 100:.2f}"


def parse_yuan(text: str) -> int:
    """Parse a yuan amount with at most two decimals into fen; raise ``ValidationError``."""
    if not text.strip():
        raise ValidationError({"amount": "请填写金额（元），如 120 或 120.50"})
    try:
        amount = Decimal(text.strip())
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or amount < 0:
        raise ValidationError(
            {"amount": f"金额“{text}”无效：请填写不小于 0 的数，如 120 或 120.50"}
        )
    if amount * 100 > MAX_FEE_FEN:
        raise ValidationError({"amount": "单项费用不能超过 100000 元，请核对"})
    fen = amount * 100
    if fen != fen.to_integral_value():
        raise ValidationError({"amount": f"金额“{text}”最多两位小数（精确到分）"})
    return int(fen)


# ------------------------------------------------------------------ creation


def _order_number(session: Session) -> str:
    (value,) = numbers.next_values(session, ORDER_SEQUENCE)
    return f"JF{clock.today():%Y%m%d}{value:06d}"


def _fees(session: Session, org_id: int) -> tuple[dict[int, int], dict[int, int]]:
    """Return the organisation's fees in fen: by certificate level and by subject."""
    by_level: dict[int, int] = {}
    by_subject: dict[int, int] = {}
    for rule in session.exec(select(FeeRule).where(FeeRule.org_id == org_id)).all():
        if rule.subject_id is not None:
            by_subject[rule.subject_id] = rule.amount_fen
        elif rule.certificate_level_id is not None:
            by_level[rule.certificate_level_id] = rule.amount_fen
    return by_level, by_subject


@dataclass
class _OrderDraft:
    """Lines (registration id, amount in fen) and row count for the order being built."""

    lines: list[tuple[int, int]]
    rows: int = 0


def _payable(
    item: Resolved,
    registrations: dict[int, Registration],
    orders: dict[int, str],
    in_this_order: dict[int, int],
) -> list[Registration] | RowRefusal:
    row, candidate = item.row, item.candidate
    chosen = [
        registrations[info.subject_id]
        for info in item.subjects
        if info.subject_id in registrations
    ]
    if not chosen:
        return registration_service.refuse_row(
            row,
            Rule.STATUS,
            f"考生 {candidate.name} 没有报考 {item.label}，不能缴费；请先报考或删除此行",
        )
    for registration in chosen:
        if registration.id in in_this_order:
            return registration_service.refuse_row(
                row,
                Rule.DUPLICATE,
                f"与第 {in_this_order[registration.id]} 行重复：考生 {candidate.name} "
                f"的 {item.label} 已在本文件中；请删除其中一行",
            )
        if registration.status != RegistrationStatus.REGISTERED:
            return registration_service.refuse_row(
                row,
                Rule.STATUS,
                f"考生 {candidate.name} 的 {item.label} 已缴费，无需再生成申请单",
            )
        if registration.id in orders:
            return registration_service.refuse_row(
                row,
                Rule.ORDER,
                f"考生 {candidate.name} 的 {item.label} 已在缴费申请单 "
                f"{orders[registration.id]} 中；一条报考只能在一张有效申请单中",
            )
    return chosen


def _line_amounts(
    item: Resolved,
    chosen: list[Registration],
    basis: str,
    fees: tuple[dict[int, int], dict[int, int]],
) -> list[tuple[int, int]] | RowRefusal:
    """Price a row: each subject's fee, or the level's fee once on its first subject."""
    by_level, by_subject = fees
    if basis == FeeBasis.SUBJECT:
        lines = []
        for registration in chosen:
            if registration.subject_id not in by_subject:
                code = next(
                    info.code
                    for info in item.subjects
                    if info.subject_id == registration.subject_id
                )
                return registration_service.refuse_row(
                    item.row,
                    Rule.FEE,
                    f"收费标准中没有科目 {code} 的费用；请联系培训评价组织补充收费标准",
                )
            lines.append((registration.id, by_subject[registration.subject_id]))
        return lines
    level_id = chosen[0].certificate_level_id
    if level_id not in by_level:
        return registration_service.refuse_row(
            item.row,
            Rule.FEE,
            f"收费标准中没有 {item.label} 的费用；请联系培训评价组织补充收费标准",
        )
    ordered = sorted(chosen, key=lambda registration: registration.subject_id)
    return [(ordered[0].id, by_level[level_id])] + [
        (registration.id, 0) for registration in ordered[1:]
    ]


def create_order(
    session: Session,
    *,
    actor: Actor,
    plan_id: int,
    data: bytes,
    file_name: str,
    kind: ImportKind,
    all_or_nothing: bool = True,
) -> tuple[PaymentOrder | None, ImportReport]:
    """Build one payment order from an import; return it (or None) and the row report.

    The import kind must match the organisation's fee basis, because the basis
    decides what one line of the order is and what it costs.
    """
    school_id = require_school(actor)
    plan = session.get(ExamPlan, plan_id)
    if plan is None:
        raise NotFound("考试计划不存在，请重新选择")
    org = session.get(Organisation, plan.org_id)
    if not org.requires_payment:
        raise ServiceError(
            f"{org.name} 没有要求在平台缴费，无需生成缴费申请单；请按该组织的方式缴费"
        )
    if kind != org.fee_basis:
        expected_basis = BASIS_LABELS[FeeBasis(org.fee_basis)]
        raise ServiceError(
            f"{org.name} {expected_basis}收费，请使用“{expected_basis}生成缴费申请单”的模板导入"
        )
    parsed = registration_service.read_import(data, file_name, kind)
    started = time.monotonic()

    resolved, refused = registration_service.resolve_rows(
        session, school_id=school_id, plan=plan, parsed=parsed
    )
    existing = registration_service.registrations_for_rows(
        session, plan_id=plan.id, resolved=resolved, lock=True
    )
    ids = {r.id for by_subject in existing.values() for r in by_subject.values()}
    orders = registration_service.live_orders_of(session, ids)
    fees = _fees(session, org.id)
    draft = _OrderDraft(lines=[])
    in_this_order: dict[int, int] = {}
    for item in resolved:
        chosen = _payable(
            item, existing.get(item.candidate.id, {}), orders, in_this_order
        )
        if not isinstance(chosen, RowRefusal):
            chosen = _line_amounts(item, chosen, org.fee_basis, fees)
        if isinstance(chosen, RowRefusal):
            refused.append(chosen)
            continue
        draft.rows += 1
        draft.lines.extend(chosen)
        in_this_order.update(
            {registration_id: item.row.row_number for registration_id, _ in chosen}
        )

    refused.sort(key=lambda refusal: refusal.row_number)
    apply = bool(draft.lines) and not (all_or_nothing and refused)
    order = _save_order(session, actor, plan, school_id, kind, draft) if apply else None
    logger.info(
        "payment order import school=%s plan=%s kind=%s rows=%d lines=%d refused=%d "
        "order=%s in %.2fs",
        school_id,
        plan.code,
        kind,
        len(parsed.rows),
        len(draft.lines) if apply else 0,
        len(refused),
        order.number if order else None,
        time.monotonic() - started,
    )
    report = ImportReport(
        kind=kind,
        rows=len(parsed.rows),
        accepted_rows=draft.rows if apply else 0,
        changed=len(draft.lines) if apply else 0,
        refused=refused,
        blank_rows=parsed.blank_rows,
        all_or_nothing=all_or_nothing,
        applied=apply,
    )
    return order, report


def _save_order(
    session: Session,
    actor: Actor,
    plan: ExamPlan,
    school_id: int,
    kind: ImportKind,
    draft: _OrderDraft,
) -> PaymentOrder:
    order = PaymentOrder(
        number=_order_number(session),
        school_id=school_id,
        org_id=plan.org_id,
        plan_id=plan.id,
        basis=kind,
        line_count=draft.rows,
        amount_fen=sum(amount for _id, amount in draft.lines),
    )
    session.add(order)
    session.flush()
    for registration_id, amount in draft.lines:
        session.add(
            PaymentOrderLine(
                order_id=order.id, registration_id=registration_id, amount_fen=amount
            )
        )
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="payment_order.create",
        entity="payment_order",
        entity_id=order.id,
        after={
            "number": order.number,
            "line_count": order.line_count,
            "amount_fen": order.amount_fen,
        },
    )
    return order


# ------------------------------------------------------------- state changes


def _load_order(session: Session, order_id: int) -> PaymentOrder:
    order = session.get(PaymentOrder, order_id)
    if order is None:
        raise NotFound("缴费申请单不存在或已删除，请刷新列表")
    return order


def _stop_repeat(order: PaymentOrder, status: OrderStatus) -> None:
    """Raise ``AlreadyDone`` when ``order`` already has the requested ``status``."""
    if order.status == status:
        raise AlreadyDone(
            f"缴费申请单 {order.number} {ORDER_STATUS_LABELS[status]}，无需重复操作"
        )


def _bump(session: Session, order: PaymentOrder, version: int, **values) -> None:
    """Write ``values`` unless another transaction changed the order after ``version``."""
    result = session.exec(
        update(PaymentOrder)
        .where(PaymentOrder.id == order.id, PaymentOrder.version == version)
        .values(version=version + 1, **values)
    )
    if result.rowcount == 0:
        raise Conflict(f"缴费申请单 {order.number} 已被他人处理，请刷新后查看最新状态")
    session.refresh(order)


def delete_order(
    session: Session, *, actor: Actor, order_id: int, version: int
) -> None:
    """Delete the school's order unless the organisation has confirmed it."""
    school_id = require_school(actor)
    order = _load_order(session, order_id)
    if order.school_id != school_id:
        raise NotFound("缴费申请单不存在或已删除，请刷新列表")
    if order.status == OrderStatus.CONFIRMED:
        raise ServiceError(f"缴费申请单 {order.number} 已确认缴费，不能删除或修改")

    _bump(session, order, version)
    session.exec(
        sql_delete(PaymentOrderLine).where(PaymentOrderLine.order_id == order.id)
    )
    session.delete(order)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="payment_order.delete",
        entity="payment_order",
        entity_id=order_id,
        before={"number": order.number, "status": order.status},
    )


def _org_order(
    session: Session, actor: Actor, order_id: int, target: OrderStatus
) -> PaymentOrder:
    """Return the organisation's pending order that is to get the ``target`` status."""
    org_id = require_org(actor)
    order = _load_order(session, order_id)
    if order.org_id != org_id:
        raise NotFound("缴费申请单不存在或不属于本组织")
    _stop_repeat(order, target)
    if order.status != OrderStatus.PENDING:
        status = ORDER_STATUS_LABELS[OrderStatus(order.status)]
        raise ServiceError(
            f"缴费申请单 {order.number} 当前状态为“{status}”，不能再处理"
        )
    return order


def confirm_order(
    session: Session, *, actor: Actor, order_id: int, version: int
) -> PaymentOrder:
    """Confirm receipt of an order's payment; its registrations become paid."""
    order = _org_order(session, actor, order_id, OrderStatus.CONFIRMED)
    now = clock.now()

    _bump(session, order, version, status=OrderStatus.CONFIRMED, decided_at=now)
    registration_ids = select(PaymentOrderLine.registration_id).where(
        PaymentOrderLine.order_id == order.id
    )
    paid = session.exec(
        update(Registration)
        .where(
            Registration.id.in_(registration_ids),
            Registration.status == RegistrationStatus.REGISTERED,
        )
        .values(status=RegistrationStatus.PAID, paid_at=now)
    ).rowcount
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="payment_order.confirm",
        entity="payment_order",
        entity_id=order.id,
        before={"status": OrderStatus.PENDING},
        after={"status": OrderStatus.CONFIRMED, "paid_registrations": paid},
    )
    logger.info("payment order %s confirmed, %d registrations paid", order.number, paid)
    notify(
        session,
        organisation_id=order.school_id,
        title=f"缴费申请单 {order.number} 已确认缴费",
        body=f"{paid} 条报考记录已变为已缴费",
        link="/payments",
    )
    return order


def reject_order(
    session: Session, *, actor: Actor, order_id: int, version: int, reason: str
) -> PaymentOrder:
    """Return an order to the school with a reason; its registrations are free again."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "请填写退回原因，学校将据此修改后重新提交"})
    order = _org_order(session, actor, order_id, OrderStatus.REJECTED)

    _bump(
        session,
        order,
        version,
        status=OrderStatus.REJECTED,
        reject_reason=reason[:500],
        decided_at=clock.now(),
    )
    audit.record(
        session,
        actor=actor,
        action="payment_order.reject",
        entity="payment_order",
        entity_id=order.id,
        before={"status": OrderStatus.PENDING},
        after={"status": OrderStatus.REJECTED, "reason": reason[:500]},
    )
    notify(
        session,
        organisation_id=order.school_id,
        title=f"缴费申请单 {order.number} 被退回",
        body=f"退回原因：{reason[:500]}",
        link="/payments",
    )
    return order


# --------------------------------------------------------------------- lists


@dataclass(frozen=True)
class OrderRow:
    """A payment order as the lists show it."""

    id: int
    number: str
    school_name: str
    plan_code: str
    basis_label: str
    line_count: int
    amount: str
    status: str
    status_label: str
    reject_reason: str
    created_at: str
    decided_at: str
    version: int


def list_orders(
    session: Session,
    *,
    actor: Actor,
    status: str = "",
    plan_id: int | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[OrderRow], int]:
    """Return one page of the caller's orders (school: its own; organisation: to it)."""
    require_role(actor, Role.SCHOOL_HEAD, Role.SCHOOL_ADMIN, Role.ORG_ADMIN)
    query = (
        select(PaymentOrder, Organisation.name, ExamPlan.code)
        .join(Organisation, Organisation.id == PaymentOrder.school_id)
        .join(ExamPlan, ExamPlan.id == PaymentOrder.plan_id)
    )
    if actor.is_school:
        query = query.where(PaymentOrder.school_id == actor.organisation_id)
    elif actor.role == Role.ORG_ADMIN:
        query = query.where(PaymentOrder.org_id == actor.organisation_id)
    else:
        raise AccessDenied()
    if status:
        query = query.where(PaymentOrder.status == status)
    if plan_id:
        query = query.where(PaymentOrder.plan_id == plan_id)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    found = session.exec(
        query.order_by(PaymentOrder.id.desc()).offset(offset).limit(limit)
    ).all()
    rows = [
        OrderRow(
            id=order.id,
            number=order.number,
            school_name=school_name,
            plan_code=plan_code,
            basis_label=BASIS_LABELS.get(FeeBasis(order.basis), order.basis),
            line_count=order.line_count,
            amount=format_yuan(order.amount_fen),
            status=order.status,
            status_label=ORDER_STATUS_LABELS[OrderStatus(order.status)],
            reject_reason=order.reject_reason,
            created_at=format_beijing(order.created_at),
            decided_at=format_beijing(order.decided_at),
            version=order.version,
        )
        for order, school_name, plan_code in found
    ]
    return rows, total


@dataclass(frozen=True)
class OrderLineRow:
    """One registration in an order."""

    candidate_name: str
    id_number: str
    subject: str
    amount: str
    status_label: str


def order_lines(session: Session, *, actor: Actor, order_id: int) -> list[OrderLineRow]:
    """Return the registrations of an order the caller may see."""
    order = _load_order(session, order_id)
    if actor.is_school:
        visible = order.school_id == actor.organisation_id
    else:
        visible = actor.role == Role.ORG_ADMIN and order.org_id == actor.organisation_id
    if not visible:
        raise NotFound("缴费申请单不存在或无权查看")
    rows = session.exec(
        select(PaymentOrderLine, Registration, Candidate, Subject)
        .join(Registration, Registration.id == PaymentOrderLine.registration_id)
        .join(Candidate, Candidate.id == Registration.candidate_id)
        .join(Subject, Subject.id == Registration.subject_id)
        .where(PaymentOrderLine.order_id == order.id)
        .order_by(Candidate.name, Subject.code)
    ).all()
    return [
        OrderLineRow(
            candidate_name=candidate.name,
            id_number=mask_id_number(candidate.id_number),
            subject=f"{subject.code} {subject.name}",
            amount=format_yuan(line.amount_fen),
            status_label=REGISTRATION_STATUS_LABELS[
                RegistrationStatus(registration.status)
            ],
        )
        for line, registration, candidate, subject in rows
    ]


# ----------------------------------------------------------------- fee table


@dataclass(frozen=True)
class FeeRow:
    """One priced item of the fee table: a certificate level or a subject."""

    key: str
    certificate_name: str
    level: str
    subject: str
    amount: str


def fee_table(session: Session, *, actor: Actor) -> list[FeeRow]:
    """Return every level and subject of the organisation's certificates with its fee."""
    org_id = require_org(actor)
    by_level, by_subject = _fees(session, org_id)
    levels = session.exec(
        select(CertificateLevel, Certificate)
        .join(Certificate, Certificate.id == CertificateLevel.certificate_id)
        .where(Certificate.org_id == org_id)
        .order_by(Certificate.name, CertificateLevel.id)
    ).all()
    rows: list[FeeRow] = []
    for level, certificate in levels:
        rows.append(
            FeeRow(
                key=f"level:{level.id}",
                certificate_name=certificate.name,
                level=level.level,
                subject="（整个等级）",
                amount=format_yuan(by_level[level.id]) if level.id in by_level else "",
            )
        )
        for subject in session.exec(
            select(Subject)
            .where(Subject.certificate_level_id == level.id)
            .order_by(Subject.code)
        ).all():
            rows.append(
                FeeRow(
                    key=f"subject:{subject.id}",
                    certificate_name=certificate.name,
                    level=level.level,
                    subject=f"{subject.code} {subject.name}",
                    amount=format_yuan(by_subject[subject.id])
                    if subject.id in by_subject
                    else "",
                )
            )
    return rows


def set_fee(session: Session, *, actor: Actor, key: str, amount: str) -> None:
    """Set (or with an empty amount, remove) the fee of ``level:ID`` or ``subject:ID``."""
    org_id = require_org(actor)
    kind, _, raw_id = key.partition(":")
    if kind not in ("level", "subject") or not raw_id.isdigit():
        raise NotFound("收费项目不存在，请刷新收费标准")
    item_id = int(raw_id)
    if kind == "level":
        level = session.get(CertificateLevel, item_id)
        certificate = session.get(Certificate, level.certificate_id) if level else None
        column = FeeRule.certificate_level_id
    else:
        subject = session.get(Subject, item_id)
        level = (
            session.get(CertificateLevel, subject.certificate_level_id)
            if subject
            else None
        )
        certificate = session.get(Certificate, level.certificate_id) if level else None
        column = FeeRule.subject_id
    if certificate is None or certificate.org_id != org_id:
        raise NotFound("收费项目不存在或不属于本组织")

    rule = session.exec(
        select(FeeRule).where(FeeRule.org_id == org_id, column == item_id)
    ).first()
    before = rule.amount_fen if rule else None
    if not amount.strip():
        if rule:
            session.delete(rule)
        after = None
    else:
        after = parse_yuan(amount)
        if rule is None:
            rule = FeeRule(org_id=org_id, amount_fen=after)
            setattr(rule, column.key, item_id)
        rule.amount_fen = after
        session.add(rule)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="fee_rule.set",
        entity="fee_rule",
        entity_id=key,
        before={"amount_fen": before},
        after={"amount_fen": after},
    )


def set_payment_settings(
    session: Session, *, actor: Actor, requires_payment: bool, fee_basis: str
) -> Organisation:
    """Set whether schools pay through the platform and whether per certificate or subject."""
    org_id = require_org(actor)
    if fee_basis not in {basis.value for basis in FeeBasis}:
        raise ValidationError({"fee_basis": "收费方式只能是按证书或按科目"})
    org = session.get(Organisation, org_id)
    before = {"requires_payment": org.requires_payment, "fee_basis": org.fee_basis}
    org.requires_payment = requires_payment
    org.fee_basis = fee_basis
    session.add(org)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="organisation.payment_settings",
        entity="organisation",
        entity_id=org_id,
        before=before,
        after={"requires_payment": requires_payment, "fee_basis": fee_basis},
    )
    return org


def payment_settings(session: Session, *, actor: Actor) -> dict[str, object]:
    """Return the organisation's payment settings."""
    org = session.get(Organisation, require_org(actor))
    return {"requires_payment": org.requires_payment, "fee_basis": org.fee_basis}
