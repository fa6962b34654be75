"""Exam sites a school declares to an organisation, borrowed sites, and rooms per plan.

A school may declare a site only for certificates it pilots in its pilot year: the
latest year, up to the current Beijing year, with an approved declaration. The
organisation approves or rejects; a rejected site is edited and sent again. Rooms
belong to one plan and one approved site, and can be copied from an earlier plan.
"""

import io
import logging
import zipfile
from dataclasses import dataclass, field

from sqlalchemy import delete, update
from sqlmodel import Session, func, select

from xcert_app.clock import clock, format_beijing
from xcert_app.models.accounts import Role
from xcert_app.models.catalogue import (
    Certificate,
    CertificateLevel,
    ExamMode,
    ExamPlan,
    Subject,
)
from xcert_app.models.declarations import (
    Declaration,
    DeclarationPlan,
    DeclarationStatus,
)
from xcert_app.models.files import StoredFile
from xcert_app.models.orgs import Organisation, OrgKind
from xcert_app.models.reference import Division
from xcert_app.models.registrations import Registration
from xcert_app.models.scheduling import Arrangement
from xcert_app.models.sites import (
    SITE_STATUS_LABELS,
    ExamSite,
    ExamSiteCertificate,
    Room,
    RoomCertificate,
    SiteLoan,
    SiteStatus,
)
from xcert_app.services import audit, catalogue, storage
from xcert_app.services.actor import (
    SCHOOL_ROLES,
    Actor,
    require_org,
    require_role,
    require_same_org,
    require_school,
)
from xcert_app.services.errors import (
    AlreadyDone,
    Conflict,
    NotFound,
    ServiceError,
    ValidationError,
)
from xcert_app.services.identity import is_valid_email, is_valid_mobile
from xcert_app.services.notifications import notify
from xcert_app.services.pilot_years import school_pilot_year, school_pilot_years

logger = logging.getLogger(__name__)

MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
MIN_SEATS, MAX_SEATS = 1, 500
SITE_NAME_SUFFIX = "考核站点"
WORD_CONTENT_TYPE = (
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
)
# Leading bytes of the legacy Word (.doc) compound file format.
OLE_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")


# --------------------------------------------------------------------- evidence


def evidence_kind(data: bytes) -> tuple[str, str] | None:
    """Return (content type, suffix) when ``data`` is a PDF or Word file, else None.

    The content decides, not the file name: PDF starts with ``%PDF-``, .docx is a
    zip holding ``word/document.xml``, .doc is an OLE compound file.
    """
    if data.startswith(b"%PDF-"):
        return "application/pdf", ".pdf"
    if data.startswith(OLE_MAGIC):
        return "application/msword", ".doc"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                if "word/document.xml" in archive.namelist():
                    return WORD_CONTENT_TYPE, ".docx"
        except zipfile.BadZipFile:
            return None
    return None


def _store_evidence(
    session: Session, *, school_id: int, data: bytes, filename: str
) -> StoredFile:
    if len(data) == 0:
        raise ValidationError({"evidence": f"佐证材料“{filename}”是空文件，请重新选择"})
    if len(data) > MAX_EVIDENCE_BYTES:
        raise ValidationError(
            {"evidence": f"佐证材料“{filename}”超过 10 MB，请压缩后再上传"}
        )
    kind = evidence_kind(data)
    if kind is None:
        raise ValidationError(
            {
                "evidence": f"佐证材料“{filename}”不是 PDF 或 Word 文档，请上传 pdf、doc 或 docx"
            }
        )
    content_type, suffix = kind
    return storage.save_bytes(
        session,
        data=data,
        kind="evidence",
        content_type=content_type,
        organisation_id=school_id,
        original_name=filename,
        suffix=suffix,
    )


def read_evidence(session: Session, *, actor: Actor, site_id: int) -> tuple[bytes, str]:
    """Return the evidence file of a site and its original name, for its school or organisation."""
    site = _visible_site(session, actor, site_id)
    if site.evidence_file_id is None:
        raise NotFound(f"考核站点“{site.name}”没有上传佐证材料")
    stored = session.get(StoredFile, site.evidence_file_id)
    return storage.read_bytes(stored), stored.original_name or f"evidence{site.id}"


# ------------------------------------------------------------------ declaration


@dataclass
class SiteInput:
    """The fields of the site declaration form."""

    name: str
    province_code: str
    city_code: str
    district_code: str
    address: str
    org_id: int | None
    certificate_level_ids: list[int]
    introduction: str
    contact_name: str
    contact_mobile: str
    contact_email: str


def suggested_site_name(
    session: Session, *, actor: Actor, certificate_id: int | None = None
) -> str:
    """Return «school + certificate short name + 考核站点» as a suggested site name."""
    school_id = require_school(actor)
    school = session.get(Organisation, school_id)
    certificate = session.get(Certificate, certificate_id) if certificate_id else None
    short_name = ""
    if certificate is not None:
        short_name = certificate.short_name or certificate.name
    return f"{school.name}{short_name}{SITE_NAME_SUFFIX}"


def piloted_certificate_ids(session: Session, *, school_id: int, year: int) -> set[int]:
    """Return the certificates with an approved declaration of the school in ``year``."""
    return set(
        session.exec(
            select(Declaration.certificate_id)
            .join(DeclarationPlan, DeclarationPlan.id == Declaration.plan_id)
            .where(
                Declaration.school_id == school_id,
                Declaration.status == DeclarationStatus.APPROVED,
                DeclarationPlan.year == year,
            )
        ).all()
    )


def assessment_orgs(session: Session) -> list[Organisation]:
    """Return the active assessment organisations by name."""
    return list(
        session.exec(
            select(Organisation)
            .where(Organisation.kind == OrgKind.ASSESSMENT_ORG, Organisation.is_active)
            .order_by(Organisation.name)
        ).all()
    )


def _check_site(session: Session, *, school_id: int, data: SiteInput) -> None:
    errors: dict[str, str] = {}
    required = {
        "name": (data.name, "请填写站点名称"),
        "address": (data.address, "请填写详细地址"),
        "introduction": (data.introduction, "请填写考点简介"),
        "contact_name": (data.contact_name, "请填写联系人姓名"),
    }
    for key, (value, message) in required.items():
        if not value:
            errors[key] = message
    if len(data.name) > 128:
        errors["name"] = "站点名称不能超过 128 个字"
    if len(data.address) > 256:
        errors["address"] = "详细地址不能超过 256 个字"
    if not data.contact_mobile:
        errors["contact_mobile"] = "请填写联系人手机：11 位手机号"
    elif not is_valid_mobile(data.contact_mobile):
        errors["contact_mobile"] = (
            f"联系人手机“{data.contact_mobile}”无效：须为 11 位手机号"
        )
    if not data.contact_email:
        errors["contact_email"] = "请填写联系人邮箱"
    elif not is_valid_email(data.contact_email):
        errors["contact_email"] = f"联系人邮箱“{data.contact_email}”格式不正确"
    if data.province_code or data.city_code or data.district_code:
        region_error = region_problem(
            session, data.province_code, data.city_code, data.district_code
        )
        if region_error:
            errors["region"] = region_error
    organisation = session.get(Organisation, data.org_id) if data.org_id else None
    if organisation is None or organisation.kind != OrgKind.ASSESSMENT_ORG:
        errors["org_id"] = "请选择申报对象（培训评价组织）"
        organisation = None
    if not data.certificate_level_ids:
        errors["certificates"] = "请至少添加一个申请考试的证书"
    elif organisation is not None:
        problem = _certificates_problem(session, school_id, organisation, data)
        if problem:
            errors["certificates"] = problem
    if errors:
        raise ValidationError(errors)


def region_problem(
    session: Session, province_code: str, city_code: str, district_code: str
) -> str:
    """Return what is wrong with a province/city/district choice, or an empty string."""
    if not province_code:
        return "请选择所在省份"
    chain = [(province_code, None)]
    if city_code:
        chain.append((city_code, province_code))
    if district_code:
        if not city_code:
            return "请先选择所在城市，再选择区县"
        chain.append((district_code, city_code))
    for code, parent in chain:
        division = session.get(Division, code)
        if division is None or (parent and division.parent_code != parent):
            return f"所在区域代码 {code} 无效，请重新选择"
    return ""


def _certificates_problem(
    session: Session, school_id: int, organisation: Organisation, data: SiteInput
) -> str:
    year = school_pilot_year(session, school_id=school_id)
    piloted = piloted_certificate_ids(session, school_id=school_id, year=year)
    for level_id in data.certificate_level_ids:
        level = session.get(CertificateLevel, level_id)
        certificate = session.get(Certificate, level.certificate_id) if level else None
        if certificate is None or certificate.org_id != organisation.id:
            return f"所选证书不属于{organisation.name}，请重新选择"
        if certificate.id not in piloted:
            return (
                f"本校 {year} 年没有审核通过的“{certificate.name}”试点申报，"
                "不能为该证书申报考核站点"
            )
    return ""


def declare_site(
    session: Session,
    *,
    actor: Actor,
    data: SiteInput,
    evidence: tuple[bytes, str] | None = None,
) -> ExamSite:
    """Declare an exam site to an organisation; it waits for the organisation's review."""
    school_id = require_school(actor)
    data = _clean_site(data)
    _check_site(session, school_id=school_id, data=data)
    evidence_id = None
    if evidence is not None:
        evidence_id = _store_evidence(
            session, school_id=school_id, data=evidence[0], filename=evidence[1]
        ).id

    site = ExamSite(
        school_id=school_id,
        evidence_file_id=evidence_id,
        status=SiteStatus.PENDING,
        **_site_columns(data),
    )
    session.add(site)
    session.flush()
    _set_site_certificates(session, site.id, data.certificate_level_ids)

    audit.record(
        session,
        actor=actor,
        action="exam_site.declared",
        entity="exam_site",
        entity_id=site.id,
        after={"name": site.name, "org_id": site.org_id, "status": site.status},
    )
    return site


def update_site(
    session: Session,
    *,
    actor: Actor,
    site_id: int,
    version: int,
    data: SiteInput,
    evidence: tuple[bytes, str] | None = None,
) -> ExamSite:
    """Edit a pending or rejected site; a rejected one goes back to review."""
    school_id = require_school(actor)
    site = _own_site(session, actor, site_id)
    if site.status == SiteStatus.APPROVED:
        raise ServiceError(f"考核站点“{site.name}”已审核通过，不能再修改")
    data = _clean_site(data)
    _check_site(session, school_id=school_id, data=data)
    evidence_id = site.evidence_file_id
    if evidence is not None:
        evidence_id = _store_evidence(
            session, school_id=school_id, data=evidence[0], filename=evidence[1]
        ).id

    before = {"name": site.name, "status": site.status}
    changed = session.exec(
        update(ExamSite)
        .where(ExamSite.id == site.id, ExamSite.version == version)
        .values(
            evidence_file_id=evidence_id,
            status=SiteStatus.PENDING,
            reject_reason="",
            decided_at=None,
            version=version + 1,
            **_site_columns(data),
        )
    )
    if changed.rowcount != 1:
        raise Conflict(f"考核站点“{site.name}”已被他人修改或审核，请刷新后重试")
    session.refresh(site)
    _set_site_certificates(session, site.id, data.certificate_level_ids)

    audit.record(
        session,
        actor=actor,
        action="exam_site.resubmitted"
        if before["status"] == SiteStatus.REJECTED
        else "exam_site.updated",
        entity="exam_site",
        entity_id=site.id,
        before=before,
        after={"name": site.name, "status": site.status},
    )
    return site


def _clean_site(data: SiteInput) -> SiteInput:
    return SiteInput(
        name=data.name.strip(),
        province_code=data.province_code.strip(),
        city_code=data.city_code.strip(),
        district_code=data.district_code.strip(),
        address=data.address.strip(),
        org_id=data.org_id,
        certificate_level_ids=list(dict.fromkeys(data.certificate_level_ids)),
        introduction=data.introduction.strip(),
        contact_name=data.contact_name.strip(),
        contact_mobile=data.contact_mobile.strip(),
        contact_email=data.contact_email.strip(),
    )


def _site_columns(data: SiteInput) -> dict:
    return {
        "name": data.name,
        "province_code": data.province_code,
        "city_code": data.city_code,
        "district_code": data.district_code,
        "address": data.address,
        "org_id": data.org_id,
        "introduction": data.introduction,
        "contact_name": data.contact_name,
        "contact_mobile": data.contact_mobile,
        "contact_email": data.contact_email,
    }


def _set_site_certificates(session: Session, site_id: int, level_ids: list[int]):
    session.exec(
        delete(ExamSiteCertificate).where(ExamSiteCertificate.site_id == site_id)
    )
    for level_id in level_ids:
        session.add(ExamSiteCertificate(site_id=site_id, certificate_level_id=level_id))
    session.flush()


def _own_site(session: Session, actor: Actor, site_id: int) -> ExamSite:
    site = session.get(ExamSite, site_id)
    if site is None or site.school_id != actor.organisation_id:
        raise NotFound(f"考核站点（编号 {site_id}）不存在或不属于本校")
    return site


def _visible_site(session: Session, actor: Actor, site_id: int) -> ExamSite:
    require_role(actor, *SCHOOL_ROLES, Role.ORG_ADMIN)
    site = session.get(ExamSite, site_id)
    if site is None or actor.organisation_id not in (site.school_id, site.org_id):
        raise NotFound(f"考核站点（编号 {site_id}）不存在或无权查看")
    return site


# ----------------------------------------------------------------------- review


def approve_site(
    session: Session, *, actor: Actor, site_id: int, version: int
) -> ExamSite:
    """Approve a pending site declared to the caller's organisation."""
    return _decide(session, actor, site_id, version, SiteStatus.APPROVED, "")


def reject_site(
    session: Session, *, actor: Actor, site_id: int, version: int, reason: str
) -> ExamSite:
    """Reject a pending site with a reason the school reads before resubmitting."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "请填写审核不通过的原因"})
    return _decide(session, actor, site_id, version, SiteStatus.REJECTED, reason)


def _decide(
    session: Session,
    actor: Actor,
    site_id: int,
    version: int,
    status: SiteStatus,
    reason: str,
) -> ExamSite:
    require_org(actor)
    site = session.get(ExamSite, site_id)
    if site is None:
        raise NotFound(f"考核站点（编号 {site_id}）不存在")
    require_same_org(actor, site.org_id)
    if site.status == status:
        raise AlreadyDone(
            f"考核站点“{site.name}”已{SITE_STATUS_LABELS[status]}，无需重复操作"
        )
    if site.status != SiteStatus.PENDING:
        raise Conflict(
            f"考核站点“{site.name}”当前为{SITE_STATUS_LABELS[SiteStatus(site.status)]}，"
            "不是待审核状态，请刷新"
        )

    changed = session.exec(
        update(ExamSite)
        .where(
            ExamSite.id == site.id,
            ExamSite.version == version,
            ExamSite.status == SiteStatus.PENDING,
        )
        .values(
            status=status,
            reject_reason=reason,
            decided_at=clock.now(),
            version=version + 1,
        )
    )
    if changed.rowcount != 1:
        raise Conflict(f"考核站点“{site.name}”已被他人处理，请刷新后查看")
    session.refresh(site)
    audit.record(
        session,
        actor=actor,
        action=(
            "exam_site.approved"
            if status == SiteStatus.APPROVED
            else "exam_site.rejected"
        ),
        entity="exam_site",
        entity_id=site.id,
        before={"status": SiteStatus.PENDING.value},
        after={"status": status.value, "reason": reason},
    )
    verdict = "审核通过" if status == SiteStatus.APPROVED else f"审核不通过：{reason}"
    notify(
        session,
        organisation_id=site.school_id,
        title=f"考核站点“{site.name}”{verdict}"[:128],
        link="/exam/sites",
    )
    return site


# ------------------------------------------------------------------------ lists


@dataclass
class SiteRow:
    """A site as the school's and the organisation's lists show it."""

    id: int
    version: int
    name: str
    school_name: str
    org_name: str
    region: str
    address: str
    location: str
    certificates: list[str]
    status: str
    status_label: str
    reject_reason: str
    contact: str
    has_evidence: bool
    created_at: str


def list_sites(
    session: Session,
    *,
    actor: Actor,
    status: str = "",
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[SiteRow], int]:
    """Return one page of sites: a school's own, or those declared to the organisation."""
    require_role(actor, *SCHOOL_ROLES, Role.ORG_ADMIN)
    query = select(ExamSite)
    if actor.role == Role.ORG_ADMIN:
        query = query.where(ExamSite.org_id == actor.organisation_id)
    else:
        query = query.where(ExamSite.school_id == actor.organisation_id)
    if status:
        query = query.where(ExamSite.status == status)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    sites = session.exec(
        query.order_by(ExamSite.created_at.desc(), ExamSite.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return [_site_row(session, site) for site in sites], total


def _site_row(session: Session, site: ExamSite) -> SiteRow:
    names = {
        org.id: org.name
        for org in session.exec(
            select(Organisation).where(
                Organisation.id.in_([site.school_id, site.org_id])
            )
        )
    }
    names_in_region: list[str] = []
    for code in (site.province_code, site.city_code, site.district_code):
        division = session.get(Division, code) if code else None
        # A municipality's city level repeats its name (北京市 北京市 海淀区).
        if division is not None and division.name not in names_in_region:
            names_in_region.append(division.name)
    region = "".join(names_in_region)
    return SiteRow(
        id=site.id,
        version=site.version,
        name=site.name,
        school_name=names.get(site.school_id, ""),
        org_name=names.get(site.org_id, ""),
        region=region,
        address=site.address,
        location=located_address(names_in_region, site.address),
        certificates=sorted(
            catalogue.level_labels(session, site_level_ids(session, site.id)).values()
        ),
        status=site.status,
        status_label=SITE_STATUS_LABELS[SiteStatus(site.status)],
        reject_reason=site.reject_reason,
        contact=f"{site.contact_name} {site.contact_mobile} {site.contact_email}",
        has_evidence=site.evidence_file_id is not None,
        created_at=format_beijing(site.created_at),
    )


def located_address(region_names: list[str], address: str) -> str:
    """Join the region's division names and the address without repeating a name.

    When the address starts with one of the names, only the names before it are
    put in front: ``["北京市", "海淀区"]`` with "海淀区西三环北路105号" gives
    "北京市海淀区西三环北路105号", and with "北京市海淀区…" the address alone. An
    address that starts with none of them follows the region after a space.
    """
    for index, name in enumerate(region_names):
        if address.startswith(name):
            return "".join(region_names[:index]) + address
    region = "".join(region_names)
    return f"{region} {address}" if region else address


def site_level_ids(session: Session, site_id: int) -> list[int]:
    """Return the certificate level ids a site may examine."""
    return list(
        session.exec(
            select(ExamSiteCertificate.certificate_level_id).where(
                ExamSiteCertificate.site_id == site_id
            )
        ).all()
    )


def get_site_for_edit(
    session: Session, *, actor: Actor, site_id: int
) -> tuple[ExamSite, list[int]]:
    """Return a school's own site and its certificate levels, to fill the form again."""
    require_school(actor)
    site = _own_site(session, actor, site_id)
    return site, site_level_ids(session, site.id)


def approved_sites(session: Session, *, actor: Actor) -> list[ExamSite]:
    """Return the caller school's approved sites, where it may set rooms."""
    school_id = require_school(actor)
    return list(
        session.exec(
            select(ExamSite)
            .where(
                ExamSite.school_id == school_id,
                ExamSite.status == SiteStatus.APPROVED,
            )
            .order_by(ExamSite.name)
        ).all()
    )


def plans_for_rooms(
    session: Session, *, actor: Actor, limit: int = 100
) -> list[ExamPlan]:
    """Return published plans of the organisations the caller school has approved sites
    with, latest exam first: the plans it may set rooms for."""
    school_id = require_school(actor)
    org_ids = select(ExamSite.org_id).where(
        ExamSite.school_id == school_id, ExamSite.status == SiteStatus.APPROVED
    )
    return list(
        session.exec(
            select(ExamPlan)
            .where(ExamPlan.is_published, ExamPlan.org_id.in_(org_ids))
            .order_by(ExamPlan.exam_start.desc(), ExamPlan.id.desc())
            .limit(limit)
        ).all()
    )


# ------------------------------------------------------------------ site loans


@dataclass
class LoanRow:
    """A borrowed site assignment as the organisation's list shows it."""

    id: int
    school_name: str
    site_name: str
    host_school_name: str
    created_at: str


def schools_without_site(session: Session, *, actor: Actor) -> list[Organisation]:
    """Return the schools that need a borrowed site from the organisation.

    These pilot one of its certificates in their own pilot year, so they could
    declare a site for it, but have no approved site with the organisation.
    """
    org_id = require_org(actor)
    latest = school_pilot_years()
    piloting = set(
        session.exec(
            select(Declaration.school_id)
            .join(DeclarationPlan, DeclarationPlan.id == Declaration.plan_id)
            .join(Certificate, Certificate.id == Declaration.certificate_id)
            .join(
                latest,
                (latest.c.school_id == Declaration.school_id)
                & (latest.c.year == DeclarationPlan.year),
            )
            .where(
                Certificate.org_id == org_id,
                Declaration.status == DeclarationStatus.APPROVED,
            )
        ).all()
    )
    with_site = set(
        session.exec(
            select(ExamSite.school_id).where(
                ExamSite.org_id == org_id, ExamSite.status == SiteStatus.APPROVED
            )
        ).all()
    )
    ids = piloting - with_site
    if not ids:
        return []
    return list(
        session.exec(
            select(Organisation)
            .where(Organisation.id.in_(ids))
            .order_by(Organisation.name)
        ).all()
    )


def assign_loan(
    session: Session, *, actor: Actor, school_id: int, site_id: int
) -> SiteLoan:
    """Let a school without an approved site examine at another school's site (借考).

    A school has at most one borrowed site per organisation; assigning again
    replaces the earlier one.
    """
    org_id = require_org(actor)
    site = session.get(ExamSite, site_id)
    if site is None or site.org_id != org_id:
        raise NotFound(f"考核站点（编号 {site_id}）不存在或未向本机构申报")
    if site.status != SiteStatus.APPROVED:
        raise ServiceError(f"考核站点“{site.name}”未审核通过，不能用于借考")
    school = session.get(Organisation, school_id)
    if school is None or school.kind != OrgKind.SCHOOL:
        raise NotFound(f"院校（编号 {school_id}）不存在")
    if site.school_id == school_id:
        raise ServiceError(f"“{site.name}”是{school.name}自己的站点，无需借考")
    own_site = session.exec(
        select(ExamSite.id).where(
            ExamSite.school_id == school_id,
            ExamSite.org_id == org_id,
            ExamSite.status == SiteStatus.APPROVED,
        )
    ).first()
    if own_site is not None:
        raise ServiceError(f"{school.name}已有审核通过的考核站点，无需借考")

    loan = session.exec(
        select(SiteLoan).where(
            SiteLoan.school_id == school_id, SiteLoan.org_id == org_id
        )
    ).first()
    before = {"site_id": loan.site_id} if loan else {}
    if loan is None:
        loan = SiteLoan(org_id=org_id, school_id=school_id, site_id=site_id)
    loan.site_id = site_id
    session.add(loan)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="site_loan.assigned",
        entity="site_loan",
        entity_id=loan.id,
        before=before,
        after={"school_id": school_id, "site_id": site_id},
    )
    return loan


def remove_loan(session: Session, *, actor: Actor, loan_id: int) -> None:
    """End a borrowed site assignment of the caller's organisation."""
    require_org(actor)
    loan = session.get(SiteLoan, loan_id)
    if loan is None:
        raise NotFound(f"借考分配（编号 {loan_id}）不存在")
    require_same_org(actor, loan.org_id)
    audit.record(
        session,
        actor=actor,
        action="site_loan.removed",
        entity="site_loan",
        entity_id=loan.id,
        before={"school_id": loan.school_id, "site_id": loan.site_id},
    )
    session.delete(loan)
    session.flush()


def list_loans(session: Session, *, actor: Actor) -> list[LoanRow]:
    """Return the organisation's borrowed site assignments."""
    org_id = require_org(actor)
    rows = []
    for loan in session.exec(
        select(SiteLoan).where(SiteLoan.org_id == org_id).order_by(SiteLoan.id)
    ):
        site = session.get(ExamSite, loan.site_id)
        rows.append(
            LoanRow(
                id=loan.id,
                school_name=session.get(Organisation, loan.school_id).name,
                site_name=site.name,
                host_school_name=session.get(Organisation, site.school_id).name,
                created_at=format_beijing(loan.created_at),
            )
        )
    return rows


def borrowed_site_ids(session: Session, *, school_id: int) -> list[int]:
    """Return the sites a school examines at through a loan."""
    return list(
        session.exec(
            select(SiteLoan.site_id).where(SiteLoan.school_id == school_id)
        ).all()
    )


# ------------------------------------------------------------------------ rooms


@dataclass
class RoomInput:
    """The fields of the room form."""

    plan_id: int | None
    site_id: int | None
    name: str
    mode: str
    seats: int | None
    province_code: str
    city_code: str
    district_code: str
    address: str
    certificate_level_ids: list[int] = field(default_factory=list)


@dataclass
class RoomResult:
    """A saved room and the warnings the school should read."""

    room: Room
    warnings: list[str]


def room_mode_warning(session: Session, plan: ExamPlan, mode: str) -> str:
    """Return a warning when no subject of the plan is examined in this room type."""
    if mode in catalogue.plan_modes(session, plan.id):
        return ""
    return (
        f"考试计划 {plan.code} 没有{mode}科目，{mode}考场不会被排考；"
        "请确认考场类型是否选对"
    )


def _check_room(
    session: Session, *, school_id: int, data: RoomInput, own_id: int | None
) -> tuple[ExamPlan, ExamSite]:
    errors: dict[str, str] = {}
    plan = session.get(ExamPlan, data.plan_id) if data.plan_id else None
    if plan is None or not plan.is_published:
        errors["plan_id"] = "请选择考试计划"
    site = session.get(ExamSite, data.site_id) if data.site_id else None
    if site is None or site.school_id != school_id:
        errors["site_id"] = "请选择本校的考核站点"
    elif site.status != SiteStatus.APPROVED:
        errors["site_id"] = f"考核站点“{site.name}”尚未审核通过，不能设置考场"
    elif plan is not None and site.org_id != plan.org_id:
        errors["site_id"] = f"考核站点“{site.name}”不是向该计划的培训评价组织申报的"

    errors.update(_room_field_errors(session, data))
    if "plan_id" not in errors and "site_id" not in errors:
        for key, message in _room_clash(session, plan, site, data, own_id).items():
            errors.setdefault(key, message)
    if errors:
        raise ValidationError(errors)
    return plan, site


def _room_field_errors(session: Session, data: RoomInput) -> dict[str, str]:
    errors = {}
    if not data.name:
        errors["name"] = "请填写考场名称，如“107 室”或“13 号机房”"
    elif len(data.name) > 64:
        errors["name"] = "考场名称不能超过 64 个字"
    if data.mode not in {mode.value for mode in ExamMode}:
        errors["mode"] = "请选择考场类型：机考、实操或笔试"
    if data.seats is None or not MIN_SEATS <= data.seats <= MAX_SEATS:
        errors["seats"] = f"考场座位数须在 {MIN_SEATS} 到 {MAX_SEATS} 之间"
    if not data.address:
        errors["address"] = "请填写详细地址，尽量精确到门牌号"
    if not data.certificate_level_ids:
        errors["certificates"] = "请选择在该考场考试的证书"
    if data.province_code or data.city_code or data.district_code:
        region_error = region_problem(
            session, data.province_code, data.city_code, data.district_code
        )
        if region_error:
            errors["region"] = region_error
    return errors


def _room_clash(
    session: Session, plan: ExamPlan, site: ExamSite, data: RoomInput, own_id
) -> dict[str, str]:
    errors = {}
    clash = session.exec(
        select(Room.id).where(
            Room.plan_id == plan.id, Room.site_id == site.id, Room.name == data.name
        )
    ).first()
    if clash is not None and clash != own_id:
        errors["name"] = f"考场“{data.name}”在该站点和计划下已存在，请换一个名称"
    allowed = set(site_level_ids(session, site.id)) & catalogue.plan_level_ids(
        session, plan.id
    )
    if data.certificate_level_ids and not set(data.certificate_level_ids) <= allowed:
        errors["certificates"] = "所选证书须同时在该站点的申报证书和该考试计划中"
    return errors


def _room_editable(session: Session, plan: ExamPlan) -> None:
    problem = catalogue.exam_started_problem(session, plan, "添加、修改或删除考场")
    if problem:
        raise ServiceError(problem)


def create_room(session: Session, *, actor: Actor, data: RoomInput) -> RoomResult:
    """Add a room to an approved site of the caller's school for one plan."""
    school_id = require_school(actor)
    data = _clean_room(data)
    plan, site = _check_room(session, school_id=school_id, data=data, own_id=None)
    _room_editable(session, plan)

    room = Room(**_room_columns(data))
    session.add(room)
    session.flush()
    _set_room_certificates(session, room.id, data.certificate_level_ids)
    audit.record(
        session,
        actor=actor,
        action="room.created",
        entity="room",
        entity_id=room.id,
        after={"plan": plan.code, "site_id": site.id, "name": room.name},
    )
    warning = room_mode_warning(session, plan, room.mode)
    return RoomResult(room=room, warnings=[warning] if warning else [])


def update_room(
    session: Session, *, actor: Actor, room_id: int, data: RoomInput
) -> RoomResult:
    """Change a room; seats cannot drop below the seats already arranged."""
    school_id = require_school(actor)
    room = _own_room(session, actor, room_id)
    data = _clean_room(data)
    data.plan_id, data.site_id = room.plan_id, room.site_id
    plan, _site = _check_room(session, school_id=school_id, data=data, own_id=room.id)
    _room_editable(session, plan)
    highest_seat = session.exec(
        select(func.max(Arrangement.seat_number)).where(Arrangement.room_id == room.id)
    ).one()
    if highest_seat and data.seats < highest_seat:
        raise ValidationError(
            {"seats": f"考场已排考到第 {highest_seat} 号座位，座位数不能少于此数"}
        )
    if data.mode != room.mode and highest_seat:
        raise ValidationError({"mode": "考场已排考，不能更改考场类型"})

    before = {"name": room.name, "mode": room.mode, "seats": room.seats}
    for key, value in _room_columns(data).items():
        setattr(room, key, value)
    session.add(room)
    session.flush()
    _set_room_certificates(session, room.id, data.certificate_level_ids)
    audit.record(
        session,
        actor=actor,
        action="room.updated",
        entity="room",
        entity_id=room.id,
        before=before,
        after={"name": room.name, "mode": room.mode, "seats": room.seats},
    )
    warning = room_mode_warning(session, plan, room.mode)
    return RoomResult(room=room, warnings=[warning] if warning else [])


def delete_room(session: Session, *, actor: Actor, room_id: int) -> None:
    """Delete a room that has no seat arrangements yet."""
    require_school(actor)
    room = _own_room(session, actor, room_id)
    _room_editable(session, session.get(ExamPlan, room.plan_id))
    arranged = session.exec(
        select(Arrangement.id).where(Arrangement.room_id == room.id)
    ).first()
    if arranged is not None:
        raise ServiceError(f"考场“{room.name}”已有考生排考，不能删除")
    session.exec(delete(RoomCertificate).where(RoomCertificate.room_id == room.id))
    audit.record(
        session,
        actor=actor,
        action="room.deleted",
        entity="room",
        entity_id=room.id,
        before={"name": room.name, "plan_id": room.plan_id, "site_id": room.site_id},
    )
    session.delete(room)
    session.flush()


def _clean_room(data: RoomInput) -> RoomInput:
    return RoomInput(
        plan_id=data.plan_id,
        site_id=data.site_id,
        name=data.name.strip(),
        mode=data.mode.strip(),
        seats=data.seats,
        province_code=data.province_code.strip(),
        city_code=data.city_code.strip(),
        district_code=data.district_code.strip(),
        address=data.address.strip(),
        certificate_level_ids=list(dict.fromkeys(data.certificate_level_ids)),
    )


def _room_columns(data: RoomInput) -> dict:
    return {
        "plan_id": data.plan_id,
        "site_id": data.site_id,
        "name": data.name,
        "mode": data.mode,
        "seats": data.seats,
        "province_code": data.province_code,
        "city_code": data.city_code,
        "district_code": data.district_code,
        "address": data.address,
    }


def _set_room_certificates(session: Session, room_id: int, level_ids: list[int]):
    session.exec(delete(RoomCertificate).where(RoomCertificate.room_id == room_id))
    for level_id in level_ids:
        session.add(RoomCertificate(room_id=room_id, certificate_level_id=level_id))
    session.flush()


def _own_room(session: Session, actor: Actor, room_id: int) -> Room:
    room = session.get(Room, room_id)
    site = session.get(ExamSite, room.site_id) if room else None
    if site is None or site.school_id != actor.organisation_id:
        raise NotFound(f"考场（编号 {room_id}）不存在或不属于本校")
    return room


def get_room_for_edit(
    session: Session, *, actor: Actor, room_id: int
) -> tuple[Room, list[int]]:
    """Return a room of the caller school's sites and its certificate levels."""
    require_school(actor)
    room = _own_room(session, actor, room_id)
    return room, room_level_ids(session, room.id)


def room_level_ids(session: Session, room_id: int) -> list[int]:
    """Return the certificate level ids examined in a room."""
    return list(
        session.exec(
            select(RoomCertificate.certificate_level_id).where(
                RoomCertificate.room_id == room_id
            )
        ).all()
    )


@dataclass
class RoomRow:
    """A room as the room list shows it."""

    id: int
    plan_code: str
    site_id: int
    site_name: str
    name: str
    mode: str
    seats: int
    address: str
    certificates: list[str]
    warning: str


def list_rooms(
    session: Session,
    *,
    actor: Actor,
    plan_id: int | None = None,
    site_id: int | None = None,
) -> list[RoomRow]:
    """Return the rooms of the caller school's sites, optionally of one plan and site."""
    school_id = require_school(actor)
    query = (
        select(Room, ExamSite, ExamPlan)
        .join(ExamSite, ExamSite.id == Room.site_id)
        .join(ExamPlan, ExamPlan.id == Room.plan_id)
        .where(ExamSite.school_id == school_id)
    )
    if plan_id:
        query = query.where(Room.plan_id == plan_id)
    if site_id:
        query = query.where(Room.site_id == site_id)
    rows = []
    for room, site, plan in session.exec(
        query.order_by(ExamPlan.exam_start.desc(), ExamSite.name, Room.name)
    ):
        rows.append(
            RoomRow(
                id=room.id,
                plan_code=plan.code,
                site_id=site.id,
                site_name=site.name,
                name=room.name,
                mode=room.mode,
                seats=room.seats,
                address=room.address,
                certificates=sorted(
                    catalogue.level_labels(
                        session, room_level_ids(session, room.id)
                    ).values()
                ),
                warning=room_mode_warning(session, plan, room.mode),
            )
        )
    return rows


# ------------------------------------------------------------------ room copy


@dataclass
class CopyPreviewRow:
    """One room of the earlier plan and what copying would do with it."""

    source_room_id: int
    name: str
    mode: str
    seats: int
    address: str
    will_copy: bool
    note: str


def preview_room_copy(
    session: Session,
    *,
    actor: Actor,
    source_plan_id: int,
    target_plan_id: int,
    site_id: int,
) -> list[CopyPreviewRow]:
    """Show which rooms of the site in the earlier plan would be copied to the new one."""
    school_id = require_school(actor)
    if source_plan_id == target_plan_id:
        raise ValidationError({"source_plan_id": "请选择另一个（更早的）考试计划"})
    site = session.get(ExamSite, site_id)
    if site is None or site.school_id != school_id:
        raise NotFound(f"考核站点（编号 {site_id}）不存在或不属于本校")
    target = session.get(ExamPlan, target_plan_id)
    if target is None or not target.is_published:
        raise NotFound(f"考试计划（编号 {target_plan_id}）不存在")
    if target.org_id != site.org_id:
        raise ServiceError(f"考核站点“{site.name}”不是向该计划的培训评价组织申报的")

    existing_names = set(
        session.exec(
            select(Room.name).where(Room.plan_id == target.id, Room.site_id == site.id)
        ).all()
    )
    target_levels = catalogue.plan_level_ids(session, target.id) & set(
        site_level_ids(session, site.id)
    )
    rows = []
    for room in session.exec(
        select(Room)
        .where(Room.plan_id == source_plan_id, Room.site_id == site.id)
        .order_by(Room.name)
    ):
        levels = set(room_level_ids(session, room.id)) & target_levels
        note, will_copy = "", True
        if room.name in existing_names:
            note, will_copy = "同名考场已存在，跳过", False
        elif not levels:
            note, will_copy = "考场的证书都不在新计划中，跳过", False
        else:
            note = room_mode_warning(session, target, room.mode)
        rows.append(
            CopyPreviewRow(
                source_room_id=room.id,
                name=room.name,
                mode=room.mode,
                seats=room.seats,
                address=room.address,
                will_copy=will_copy,
                note=note,
            )
        )
    return rows


def copy_rooms(
    session: Session,
    *,
    actor: Actor,
    source_plan_id: int,
    target_plan_id: int,
    site_id: int,
) -> int:
    """Copy the rooms the preview marks for copying; return how many were added."""
    preview = preview_room_copy(
        session,
        actor=actor,
        source_plan_id=source_plan_id,
        target_plan_id=target_plan_id,
        site_id=site_id,
    )
    target = session.get(ExamPlan, target_plan_id)
    _room_editable(session, target)
    target_levels = catalogue.plan_level_ids(session, target.id) & set(
        site_level_ids(session, site_id)
    )
    copied = 0
    for row in preview:
        if not row.will_copy:
            continue
        source = session.get(Room, row.source_room_id)
        room = Room(
            plan_id=target.id,
            site_id=site_id,
            name=source.name,
            mode=source.mode,
            seats=source.seats,
            province_code=source.province_code,
            city_code=source.city_code,
            district_code=source.district_code,
            address=source.address,
        )
        session.add(room)
        session.flush()
        levels = [
            level_id
            for level_id in room_level_ids(session, source.id)
            if level_id in target_levels
        ]
        _set_room_certificates(session, room.id, levels)
        copied += 1
    audit.record(
        session,
        actor=actor,
        action="room.copied",
        entity="exam_plan",
        entity_id=target.id,
        after={"source_plan_id": source_plan_id, "site_id": site_id, "rooms": copied},
    )
    logger.info(
        "copied %s rooms of site %s from plan %s to plan %s",
        copied,
        site_id,
        source_plan_id,
        target.id,
    )
    return copied


# ------------------------------------------------------------------ capacity


@dataclass
class CapacityRow:
    """Registered candidates against seats for one plan and exam mode."""

    mode: str
    candidates: int
    seats: int

    @property
    def shortfall(self) -> int:
        return max(0, self.candidates - self.seats)


def capacity_by_mode(
    session: Session, *, actor: Actor, plan_id: int
) -> list[CapacityRow]:
    """Return, per exam mode of the plan, the school's candidates and its seats.

    A candidate counts once per mode even when registered for two subjects of it,
    because seats serve every session. The figure is an early signal, not the schedule.
    NOTE: registrations of schools that borrow one of these sites are not counted.
    """
    school_id = require_school(actor)
    modes = catalogue.plan_modes(session, plan_id)
    candidates = dict(
        session.exec(
            select(Subject.mode, func.count(func.distinct(Registration.candidate_id)))
            .join(Subject, Subject.id == Registration.subject_id)
            .where(Registration.plan_id == plan_id, Registration.school_id == school_id)
            .group_by(Subject.mode)
        ).all()
    )
    seats = dict(
        session.exec(
            select(Room.mode, func.sum(Room.seats))
            .join(ExamSite, ExamSite.id == Room.site_id)
            .where(Room.plan_id == plan_id, ExamSite.school_id == school_id)
            .group_by(Room.mode)
        ).all()
    )
    order = [mode.value for mode in ExamMode]
    shown_modes = sorted(modes | set(seats) | set(candidates), key=order.index)
    return [
        CapacityRow(
            mode=mode,
            candidates=int(candidates.get(mode, 0)),
            seats=int(seats.get(mode, 0) or 0),
        )
        for mode in shown_modes
    ]
