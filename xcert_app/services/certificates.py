"""Electronic certificates of issued records: who may download them, and their content."""

import logging
import time

from sqlmodel import Session, select

from xcert_app.clock import format_beijing
from xcert_app.documents import certificate as document
from xcert_app.models.accounts import Role
from xcert_app.models.candidates import Candidate
from xcert_app.models.catalogue import Certificate, CertificateLevel
from xcert_app.models.files import StoredFile
from xcert_app.models.issuance import IssuanceRecord, IssuanceStatus
from xcert_app.models.orgs import Organisation
from xcert_app.services import audit, seals, storage
from xcert_app.services.actor import Actor, require_role
from xcert_app.services.errors import NotFound, ServiceError, ValidationError
from xcert_app.services.masking import mask_id_number

logger = logging.getLogger(__name__)

# fpdf2 builds the whole batch PDF in memory (each page carries a photo and two
# seals), so one batch is capped.
MAX_BATCH = 1000


def _visible(actor: Actor, record: IssuanceRecord) -> bool:
    if actor.role == Role.ORG_ADMIN:
        return record.org_id == actor.organisation_id
    if actor.role in (Role.SCHOOL_HEAD, Role.SCHOOL_ADMIN):
        return record.school_id == actor.organisation_id
    if actor.role == Role.CANDIDATE:
        return (
            actor.candidate_id is not None and record.candidate_id == actor.candidate_id
        )
    return False


def issued_record(session: Session, *, actor: Actor, record_id: int) -> IssuanceRecord:
    """Return an issued record the caller may see, or raise ``NotFound``."""
    require_role(
        actor, Role.ORG_ADMIN, Role.SCHOOL_HEAD, Role.SCHOOL_ADMIN, Role.CANDIDATE
    )
    record = session.get(IssuanceRecord, record_id)
    if record is None or not _visible(actor, record):
        raise NotFound(f"证书发放记录 {record_id} 不存在或无权查看")
    if record.status != IssuanceStatus.ISSUED:
        raise ServiceError(
            f"证书 {record.certificate_number} 尚未完成双方签发，还没有电子证书"
        )
    return record


def content_of(session: Session, record: IssuanceRecord) -> document.CertificateContent:
    """Gather what is printed on the certificate of an issued record."""
    candidate = session.get(Candidate, record.candidate_id)
    level = session.get(CertificateLevel, record.certificate_level_id)
    certificate = session.get(Certificate, level.certificate_id)
    organisation = session.get(Organisation, record.org_id)
    school = session.get(Organisation, record.school_id)
    photo = None
    if candidate.photo_file_id:
        photo = storage.read_bytes(session.get(StoredFile, candidate.photo_file_id))
    return document.CertificateContent(
        holder_name=candidate.name,
        id_number_masked=mask_id_number(candidate.id_number),
        certificate_name=certificate.name,
        level=level.level,
        certificate_number=record.certificate_number,
        organisation_name=organisation.name,
        school_name=school.name,
        issue_date=format_beijing(record.issued_at, "%Y年%m月%d日"),
        photo=photo,
        seal=seals.current_seal_image(session, school_id=record.school_id),
    )


def _render_error(record: IssuanceRecord, error: document.MissingGlyph) -> ServiceError:
    return ServiceError(
        f"证书 {record.certificate_number} 中的字符「{error.args[0]}」"
        f"（U+{ord(error.args[0]):04X}）不在证书字体中，无法生成电子证书，请联系平台运营"
    )


def certificate_pdf(
    session: Session, *, actor: Actor, record_id: int
) -> tuple[str, bytes]:
    """Return the file name and PDF bytes of one issued certificate."""
    record = issued_record(session, actor=actor, record_id=record_id)
    content = content_of(session, record)
    try:
        pdf = document.render_certificate(content)
    except document.MissingGlyph as error:
        raise _render_error(record, error) from error
    audit.record(
        session,
        actor=actor,
        action="certificate.download",
        entity="issuancerecord",
        entity_id=record.id,
    )
    return f"证书_{record.certificate_number}.pdf", pdf


def batch_contents(
    session: Session, *, actor: Actor, record_ids: list[int]
) -> list[tuple[IssuanceRecord, document.CertificateContent]]:
    """Gather the content of several issued certificates for one batch PDF."""
    require_role(actor, Role.ORG_ADMIN)
    if not record_ids:
        raise ValidationError({"records": "请至少选择一条已签发的证书"})
    if len(record_ids) > MAX_BATCH:
        raise ValidationError(
            {"records": f"一次最多下载 {MAX_BATCH} 份证书，请分批下载"}
        )
    return [
        (record, content_of(session, record))
        for record in (
            issued_record(session, actor=actor, record_id=record_id)
            for record_id in record_ids
        )
    ]


def render_batch(
    contents: list[tuple[IssuanceRecord, document.CertificateContent]],
    on_page=None,
) -> bytes:
    """Render a batch to one PDF; raise ``ServiceError`` naming an undrawable character."""
    started = time.monotonic()
    for record, content in contents:
        try:
            document.check_content(content)
        except document.MissingGlyph as error:
            raise _render_error(record, error) from error
    pdf = document.render_certificates(
        [content for _record, content in contents], on_page=on_page
    )
    logger.info(
        "certificate batch rendered: %d pages in %.2fs",
        len(contents),
        time.monotonic() - started,
    )
    return pdf


def issued_ids(session: Session, *, actor: Actor, limit: int = MAX_BATCH) -> list[int]:
    """Return the ids of the organisation's issued records, oldest first."""
    org_id = require_role(actor, Role.ORG_ADMIN).organisation_id
    return list(
        session.exec(
            select(IssuanceRecord.id)
            .where(
                IssuanceRecord.org_id == org_id,
                IssuanceRecord.status == IssuanceStatus.ISSUED,
            )
            .order_by(IssuanceRecord.id)
            .limit(limit)
        ).all()
    )
