"""Signing issuance records by the school's principal and the assessment organisation.

Each side signs with a handwritten signature or refuses with a reason. A signature
is never undone.
"""

import base64
import binascii
import logging
import time
from dataclasses import dataclass

from sqlalchemy import update
from sqlmodel import Session, func, select

from xcert_app.clock import clock, format_beijing
from xcert_app.models.accounts import Account, Role
from xcert_app.models.candidates import Candidate
from xcert_app.models.catalogue import Certificate, CertificateLevel, ExamPlan
from xcert_app.models.issuance import (
    IssuanceRecord,
    IssuanceStatus,
    Signature,
    SigningSide,
)
from xcert_app.models.orgs import Organisation
from xcert_app.models.scores import CertificateResult
from xcert_app.models.sites import ExamSite
from xcert_app.models.system import Notification
from xcert_app.routes import SIGNING as SIGNING_ROUTE
from xcert_app.services import audit, storage
from xcert_app.services.actor import Actor, require_role
from xcert_app.services.errors import (
    AlreadyDone,
    Conflict,
    NotFound,
    ServiceError,
    ValidationError,
)
from xcert_app.services.masking import mask_id_number

logger = logging.getLogger(__name__)

STATUS_LABELS = {
    IssuanceStatus.PENDING: "待签发",
    IssuanceStatus.REFUSED: "拒绝签发",
    IssuanceStatus.ISSUED: "已签发",
}
DATA_URL_PREFIX = "data:image/png;base64,"
MAX_SIGNATURE_BYTES = 512 * 1024
MAX_BATCH = 200


@dataclass(frozen=True)
class RecordRow:
    """One issuance record as the signing list shows it."""

    id: int
    version: int
    certificate_number: str
    candidate_name: str
    id_number_masked: str
    school_name: str
    certificate_name: str
    level: str
    plan_name: str
    site_name: str
    result: str
    status: str
    school_signed: bool
    org_signed: bool
    refused_reason: str
    issued_at: str
    school_signer: str = ""
    org_signer: str = ""


def signing_side(actor: Actor) -> SigningSide:
    """Return which side the caller signs for: the school's principal or the organisation."""
    require_role(actor, Role.SCHOOL_HEAD, Role.ORG_ADMIN)
    return SigningSide.SCHOOL if actor.role == Role.SCHOOL_HEAD else SigningSide.ORG


def _scope(query, actor: Actor):
    """Limit a record query to the caller's school or organisation."""
    if actor.role in (Role.SCHOOL_HEAD, Role.SCHOOL_ADMIN):
        return query.where(IssuanceRecord.school_id == actor.organisation_id)
    return query.where(IssuanceRecord.org_id == actor.organisation_id)


def locked_plan_ids():
    """Return a query of the plans whose publication has ended, which locks their scores.

    Only their certificates may be signed: a signature confirms scores that can
    no longer change.
    """
    return select(ExamPlan.id).where(ExamPlan.publication_end < clock.now())


def _filtered(query, actor: Actor, status: str):
    query = _scope(query, actor)
    side = signing_side(actor) if status == "to_sign" else None
    if status == "to_sign":
        signed_column = (
            IssuanceRecord.school_signed_at
            if side == SigningSide.SCHOOL
            else IssuanceRecord.org_signed_at
        )
        return query.where(
            IssuanceRecord.status == IssuanceStatus.PENDING,
            signed_column.is_(None),
            IssuanceRecord.plan_id.in_(locked_plan_ids()),
        )
    if status:
        return query.where(IssuanceRecord.status == status)
    return query


def list_records(
    session: Session,
    *,
    actor: Actor,
    status: str = "to_sign",
    search: str = "",
    limit: int = 20,
    offset: int = 0,
) -> tuple[list[RecordRow], int]:
    """Return one page of the caller's records and the total count.

    ``status`` is ``to_sign`` (pending and not yet signed by the caller's side),
    one of ``IssuanceStatus``, or empty for all.
    """
    require_role(actor, Role.SCHOOL_HEAD, Role.SCHOOL_ADMIN, Role.ORG_ADMIN)
    query = select(IssuanceRecord, Candidate).join(
        Candidate, Candidate.id == IssuanceRecord.candidate_id
    )
    query = _filtered(query, actor, status)
    if search.strip():
        pattern = f"%{search.strip()}%"
        query = query.where(
            Candidate.name.like(pattern)
            | IssuanceRecord.certificate_number.like(pattern)
        )
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    found = session.exec(
        query.order_by(IssuanceRecord.id).limit(limit).offset(offset)
    ).all()
    return [_row(session, record, candidate) for record, candidate in found], total


def _row(session: Session, record: IssuanceRecord, candidate: Candidate) -> RecordRow:
    level = session.get(CertificateLevel, record.certificate_level_id)
    certificate = session.get(Certificate, level.certificate_id)
    plan = session.get(ExamPlan, record.plan_id)
    site = session.get(ExamSite, record.site_id) if record.site_id else None
    school = session.get(Organisation, record.school_id)
    result = session.get(CertificateResult, record.result_id)
    composite = ""
    if result and result.composite_tenths is not None:
        composite = f"（{result.composite_tenths / 10:.1f} 分）"
    return RecordRow(
        id=record.id,
        version=record.version,
        certificate_number=record.certificate_number,
        candidate_name=candidate.name,
        id_number_masked=mask_id_number(candidate.id_number),
        school_name=school.name if school else "",
        certificate_name=certificate.name,
        level=level.level,
        plan_name=plan.name,
        site_name=site.name if site else "",
        result=("已通过" if result and result.passed else "未通过") + composite,
        status=STATUS_LABELS.get(IssuanceStatus(record.status), record.status),
        school_signed=record.school_signed_at is not None,
        org_signed=record.org_signed_at is not None,
        refused_reason=record.refused_reason,
        issued_at=format_beijing(record.issued_at, "%Y-%m-%d"),
        **_signers(session, record.id),
    )


def _signers(session: Session, record_id: int) -> dict[str, str]:
    """Return who signed for each side and when, as ``school_signer``/``org_signer``."""
    found = session.exec(
        select(Signature, Account)
        .join(Account, Account.id == Signature.account_id)
        .where(Signature.record_id == record_id, Signature.signed.is_(True))
    ).all()
    return {
        f"{signature.side}_signer": f"{account.display_name} "
        f"{format_beijing(signature.created_at)}"
        for signature, account in found
    }


def decode_signature(data_url: str) -> bytes:
    """Return the PNG bytes of a signature pad's data URL, or raise ``ValidationError``."""
    if not data_url or not data_url.startswith(DATA_URL_PREFIX):
        raise ValidationError({"signature": "请先在签名板上手写签名"})
    try:
        data = base64.b64decode(data_url[len(DATA_URL_PREFIX) :], validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValidationError(
            {"signature": "签名图片无法读取，请清除后重新签名"}
        ) from error
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise ValidationError({"signature": "签名图片不是 PNG，请清除后重新签名"})
    if len(data) > MAX_SIGNATURE_BYTES:
        raise ValidationError({"signature": "签名图片过大，请清除后重新签名"})
    return data


def _load_for_decision(
    session: Session,
    *,
    actor: Actor,
    record_id: int,
    side: SigningSide,
    signing: bool = False,
) -> IssuanceRecord:
    """Return a record this side may still sign or refuse.

    When ``signing``, a record this side already signed raises ``AlreadyDone``,
    because signing it again is a repeated request, not a broken rule, and a
    record whose plan has not locked its scores yet is refused. A refusal may
    come earlier, for a name or a score that needs correcting.
    """
    record = session.get(IssuanceRecord, record_id)
    owner = record.school_id if record and side == SigningSide.SCHOOL else None
    if record and side == SigningSide.ORG:
        owner = record.org_id
    if record is None or owner != actor.organisation_id:
        raise NotFound(f"证书发放记录 {record_id} 不存在或不属于本单位")
    signed_at = (
        record.school_signed_at if side == SigningSide.SCHOOL else record.org_signed_at
    )
    if signed_at is not None:
        error = AlreadyDone if signing else ServiceError
        raise error(
            f"证书 {record.certificate_number} 已由本方签字确认，签发不可撤回，也无需重复签字"
        )
    if record.status != IssuanceStatus.PENDING:
        label = STATUS_LABELS.get(IssuanceStatus(record.status), record.status)
        raise ServiceError(
            f"证书 {record.certificate_number} 当前状态为「{label}」，不能签字或拒绝"
        )
    if signing:
        plan = session.get(ExamPlan, record.plan_id)
        if clock.now() <= plan.publication_end:
            raise ServiceError(
                f"证书 {record.certificate_number} 所属考试计划 {plan.code} 的成绩公示到 "
                f"{format_beijing(plan.publication_end)} 结束，成绩锁定后才能签发"
            )
    return record


def _apply(
    session: Session, *, record: IssuanceRecord, version: int, values: dict
) -> None:
    """Write ``values`` only if the record is still at ``version``; raise ``Conflict`` otherwise."""
    changed = session.exec(
        update(IssuanceRecord)
        .where(IssuanceRecord.id == record.id, IssuanceRecord.version == version)
        .values(version=IssuanceRecord.version + 1, **values)
    ).rowcount
    if changed == 0:
        raise Conflict(
            f"证书 {record.certificate_number} 已被他人处理，请刷新列表后查看最新状态"
        )
    session.refresh(record)


def sign(
    session: Session,
    *,
    actor: Actor,
    versions: dict[int, int],
    signature_data_url: str,
) -> list[IssuanceRecord]:
    """Sign every record in ``versions`` (record id → version read) with one signature.

    All records are signed or none: the caller's transaction rolls back on the
    first refusal or conflict. A record becomes issued once both sides signed.
    """
    side = signing_side(actor)
    if not versions:
        raise ValidationError({"records": "请至少选择一条待签发记录"})
    if len(versions) > MAX_BATCH:
        raise ValidationError({"records": f"一次最多签发 {MAX_BATCH} 条，请分批操作"})
    image = decode_signature(signature_data_url)
    started = time.monotonic()

    stored = storage.save_bytes(
        session,
        data=image,
        kind="signature",
        content_type="image/png",
        organisation_id=actor.organisation_id,
        suffix=".png",
    )
    now = clock.now()
    signed: list[IssuanceRecord] = []
    for record_id, version in versions.items():
        record = _load_for_decision(
            session, actor=actor, record_id=record_id, side=side, signing=True
        )
        other_signed = (
            record.org_signed_at
            if side == SigningSide.SCHOOL
            else record.school_signed_at
        ) is not None
        values: dict = {f"{side.value}_signed_at": now}
        if other_signed:
            values |= {"status": IssuanceStatus.ISSUED, "issued_at": now}
        _apply(session, record=record, version=version, values=values)
        session.add(
            Signature(
                record_id=record.id,
                side=side,
                account_id=actor.account_id,
                signed=True,
                image_file_id=stored.id,
            )
        )
        audit.record(
            session,
            actor=actor,
            action="issuance.sign",
            entity="issuancerecord",
            entity_id=record.id,
            before={"status": IssuanceStatus.PENDING},
            after={"status": record.status, "side": side, "signature_file": stored.id},
        )
        signed.append(record)

    session.flush()
    _notify_signed(session, signed=signed, side=side)
    logger.info(
        "issuance signed: side=%s records=%d issued=%d in %.2fs",
        side,
        len(signed),
        sum(1 for record in signed if record.status == IssuanceStatus.ISSUED),
        time.monotonic() - started,
    )
    return signed


def refuse(
    session: Session, *, actor: Actor, record_id: int, version: int, reason: str
) -> IssuanceRecord:
    """Refuse one record with a reason; it goes back to the organisation to correct."""
    side = signing_side(actor)
    reason = reason.strip()
    if len(reason) < 2:
        raise ValidationError({"reason": "请填写拒绝签发的理由"})
    if len(reason) > 500:
        raise ValidationError({"reason": "拒绝理由不能超过 500 字"})
    record = _load_for_decision(session, actor=actor, record_id=record_id, side=side)

    _apply(
        session,
        record=record,
        version=version,
        values={"status": IssuanceStatus.REFUSED, "refused_reason": reason},
    )
    session.add(
        Signature(
            record_id=record.id,
            side=side,
            account_id=actor.account_id,
            signed=False,
            reason=reason,
        )
    )
    audit.record(
        session,
        actor=actor,
        action="issuance.refuse",
        entity="issuancerecord",
        entity_id=record.id,
        before={"status": IssuanceStatus.PENDING},
        after={"status": IssuanceStatus.REFUSED, "side": side, "reason": reason},
    )
    _notify_refusal(session, record=record, side=side, reason=reason)
    logger.info("issuance record %s refused by side %s", record.id, side)
    return record


def _add_notice(
    session: Session, *, organisation_id: int, title: str, body: str = ""
) -> None:
    """Notify an organisation of a signing event, a school through its heads only.

    Only a school head may open the signing page, so the school's business
    administrators would get a link they cannot follow.
    """
    heads = session.exec(
        select(Account.id).where(
            Account.organisation_id == organisation_id,
            Account.role == Role.SCHOOL_HEAD,
            Account.is_active == True,  # noqa: E712
        )
    ).all()
    if not heads:
        session.add(
            Notification(
                organisation_id=organisation_id,
                title=title,
                body=body,
                link=SIGNING_ROUTE,
            )
        )
        return
    for account_id in heads:
        session.add(
            Notification(
                account_id=account_id, title=title, body=body, link=SIGNING_ROUTE
            )
        )


def _notify_signed(
    session: Session, *, signed: list[IssuanceRecord], side: SigningSide
) -> None:
    """Tell the other side how many records now wait for it, and both how many were issued."""
    signer = "试点院校" if side == SigningSide.SCHOOL else "培训评价组织"
    by_pair: dict[tuple[int, int], list[IssuanceRecord]] = {}
    for record in signed:
        by_pair.setdefault((record.school_id, record.org_id), []).append(record)
    for (school_id, org_id), records in by_pair.items():
        issued = sum(1 for record in records if record.status == IssuanceStatus.ISSUED)
        waiting = len(records) - issued
        other = org_id if side == SigningSide.SCHOOL else school_id
        if waiting:
            _add_notice(
                session,
                organisation_id=other,
                title=f"{signer}已签发 {waiting} 份证书，等待贵方签发",
            )
        if issued:
            for organisation_id in (school_id, org_id):
                _add_notice(
                    session,
                    organisation_id=organisation_id,
                    title=f"{issued} 份电子证书已完成双方签发",
                )


def _notify_refusal(
    session: Session, *, record: IssuanceRecord, side: SigningSide, reason: str
) -> None:
    """Tell the organisation (or, when it refused itself, the school) about a refusal."""
    refuser = "试点院校" if side == SigningSide.SCHOOL else "培训评价组织"
    recipients = {record.org_id}
    if side == SigningSide.ORG:
        recipients.add(record.school_id)
    for organisation_id in recipients:
        _add_notice(
            session,
            organisation_id=organisation_id,
            title=f"证书 {record.certificate_number} 被{refuser}拒绝签发",
            body=f"拒绝理由：{reason}",
        )


def resubmit(
    session: Session, *, actor: Actor, record_id: int, version: int
) -> IssuanceRecord:
    """Put a refused record back to pending after the organisation corrected it.

    Signatures already given stay: a signature is never withdrawn.
    """
    require_role(actor, Role.ORG_ADMIN)
    record = session.get(IssuanceRecord, record_id)
    if record is None or record.org_id != actor.organisation_id:
        raise NotFound(f"证书发放记录 {record_id} 不存在或不属于本单位")
    if record.status != IssuanceStatus.REFUSED:
        raise ServiceError(
            f"证书 {record.certificate_number} 未被拒绝签发，无需重新提交"
        )
    reason = record.refused_reason

    _apply(
        session,
        record=record,
        version=version,
        values={"status": IssuanceStatus.PENDING, "refused_reason": ""},
    )
    audit.record(
        session,
        actor=actor,
        action="issuance.resubmit",
        entity="issuancerecord",
        entity_id=record.id,
        before={"status": IssuanceStatus.REFUSED, "reason": reason},
        after={"status": IssuanceStatus.PENDING},
    )
    return record


def signatures_of(session: Session, *, actor: Actor, record_id: int) -> list[Signature]:
    """List the signatures and refusals on one of the caller's records, oldest first."""
    require_role(actor, Role.SCHOOL_HEAD, Role.SCHOOL_ADMIN, Role.ORG_ADMIN)
    record = session.get(IssuanceRecord, record_id)
    if record is None:
        raise NotFound(f"证书发放记录 {record_id} 不存在")
    owner = record.org_id if actor.role == Role.ORG_ADMIN else record.school_id
    if owner != actor.organisation_id:
        raise NotFound(f"证书发放记录 {record_id} 不存在或不属于本单位")
    return list(
        session.exec(
            select(Signature)
            .where(Signature.record_id == record_id)
            .order_by(Signature.id)
        ).all()
    )
