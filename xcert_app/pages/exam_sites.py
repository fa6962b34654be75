"""Exam sites: the school's declaration form and list, the organisation's review and 借考."""

import reflex as rx

from xcert_app import routes
from xcert_app.components import uploads
from xcert_app.components.form_fields import (
    RegionMixin,
    data_table,
    labelled,
    native_select,
    region_picker,
)
from xcert_app.components.links import link_parameters, pick
from xcert_app.components.page import page
from xcert_app.db import session_scope
from xcert_app.models.accounts import Role
from xcert_app.models.catalogue import Certificate, CertificateLevel
from xcert_app.models.orgs import Organisation
from xcert_app.models.sites import SITE_STATUS_LABELS, SiteStatus
from xcert_app.services import catalogue, sites
from xcert_app.services.errors import ValidationError
from xcert_app.state import SessionState, shows_service_errors

EVIDENCE_UPLOAD_ID = "site-evidence"
PAGE_SIZE = 50
STATUS_FILTERS = [
    {"value": status.value, "label": label}
    for status, label in SITE_STATUS_LABELS.items()
]


def _site_dict(row: sites.SiteRow) -> dict[str, str]:
    return {
        "id": str(row.id),
        "version": str(row.version),
        "name": row.name,
        "school": row.school_name,
        "org": row.org_name,
        "region": row.region,
        "address": row.address,
        "location": row.location,
        "certificates": "、".join(row.certificates),
        "status": row.status,
        "status_label": row.status_label,
        "reason": row.reject_reason,
        "contact": row.contact,
        "evidence": "1" if row.has_evidence else "",
        "created_at": row.created_at,
        "editable": "1" if row.status != SiteStatus.APPROVED else "",
    }


class SiteDeclarationState(RegionMixin, SessionState):
    """The school's sites and the declaration form."""

    rows: list[dict[str, str]] = []
    form_open: bool = False
    editing_id: int = 0
    editing_version: int = 0
    name: str = ""
    address: str = ""
    org_id: str = ""
    orgs: list[dict[str, str]] = []
    certificate_search: str = ""
    certificate_options: list[dict[str, str]] = []
    picked_level_id: str = ""
    chosen: list[dict[str, str]] = []
    introduction: str = ""
    contact_name: str = ""
    contact_mobile: str = ""
    contact_email: str = ""
    evidence_name: str = ""
    _evidence: bytes = b""
    field_errors: dict[str, str] = {}

    @rx.event
    def set_name(self, value: str):
        self.name = value

    @rx.event
    def set_address(self, value: str):
        self.address = value

    @rx.event
    def set_introduction(self, value: str):
        self.introduction = value

    @rx.event
    def set_contact_name(self, value: str):
        self.contact_name = value

    @rx.event
    def set_contact_mobile(self, value: str):
        self.contact_mobile = value

    @rx.event
    def set_contact_email(self, value: str):
        self.contact_email = value

    @rx.event
    def set_picked_level_id(self, value: str):
        self.picked_level_id = value

    @rx.event
    def set_org_id(self, value: str):
        if value != self.org_id:
            self.chosen = []
        self.org_id = value
        return SiteDeclarationState.search_certificates

    @rx.event
    def set_certificate_search(self, value: str):
        self.certificate_search = value
        return SiteDeclarationState.search_certificates

    @rx.event
    @shows_service_errors
    def load(self):
        with session_scope() as session:
            actor = self.current_actor(session)
            if actor is None or not actor.is_school:
                return
            found, _total = sites.list_sites(session, actor=actor, limit=PAGE_SIZE)
            self.rows = [_site_dict(row) for row in found]
            self.orgs = [
                {"value": str(org.id), "label": org.name}
                for org in sites.assessment_orgs(session)
            ]
            self.load_provinces(session)

    @rx.event
    @shows_service_errors
    def search_certificates(self):
        if not self.org_id:
            self.certificate_options = []
            return
        with session_scope() as session:
            actor = self.require_actor(session)
            options = catalogue.search_certificate_levels(
                session,
                actor=actor,
                org_id=int(self.org_id),
                text=self.certificate_search,
            )
        self.certificate_options = [
            {"value": str(option.certificate_level_id), "label": option.label}
            for option in options
        ]
        self.picked_level_id = (
            self.certificate_options[0]["value"] if self.certificate_options else ""
        )

    @rx.event
    @shows_service_errors
    def add_certificate(self):
        if not self.picked_level_id:
            return rx.toast.error("请先选择证书，再点确认添加")
        if any(row["id"] == self.picked_level_id for row in self.chosen):
            return rx.toast.info("该证书已添加")
        with session_scope() as session:
            actor = self.require_actor(session)
            level = session.get(CertificateLevel, int(self.picked_level_id))
            certificate = session.get(Certificate, level.certificate_id)
            self.chosen = [
                *self.chosen,
                {
                    "id": str(level.id),
                    "code": certificate.code,
                    "name": certificate.name,
                    "level": level.level,
                    "certificate_id": str(certificate.id),
                },
            ]
            if not self.name.strip():
                self.name = sites.suggested_site_name(
                    session, actor=actor, certificate_id=certificate.id
                )

    @rx.event
    def remove_certificate(self, level_id: str):
        self.chosen = [row for row in self.chosen if row["id"] != level_id]

    @rx.event
    @shows_service_errors
    def suggest_name(self):
        certificate_id = int(self.chosen[0]["certificate_id"]) if self.chosen else None
        with session_scope() as session:
            actor = self.require_actor(session)
            self.name = sites.suggested_site_name(
                session, actor=actor, certificate_id=certificate_id
            )

    @rx.event
    @shows_service_errors
    def open_new(self):
        self._reset_form()
        with session_scope() as session:
            actor = self.require_actor(session)
            school = session.get(Organisation, actor.organisation_id)
            self.set_region(
                session, school.province_code, school.city_code, school.district_code
            )
            self.address = school.address
            self.contact_name = school.contact_name
            self.contact_mobile = school.contact_mobile
            self.contact_email = school.contact_email
        self.form_open = True

    def _reset_form(self) -> None:
        self.editing_id = self.editing_version = 0
        self.name = self.address = self.introduction = ""
        self.org_id = self.certificate_search = self.picked_level_id = ""
        self.contact_name = self.contact_mobile = self.contact_email = ""
        self.chosen, self.certificate_options = [], []
        self.evidence_name, self._evidence = "", b""
        self.field_errors = {}

    @rx.event
    @shows_service_errors
    def open_edit(self, site_id: str):
        self._reset_form()
        with session_scope() as session:
            actor = self.require_actor(session)
            site, level_ids = sites.get_site_for_edit(
                session, actor=actor, site_id=int(site_id)
            )
            self.editing_id, self.editing_version = site.id, site.version
            self.name, self.address = site.name, site.address
            self.org_id = str(site.org_id)
            self.introduction = site.introduction
            self.contact_name = site.contact_name
            self.contact_mobile = site.contact_mobile
            self.contact_email = site.contact_email
            self.set_region(
                session, site.province_code, site.city_code, site.district_code
            )
            for level_id in level_ids:
                level = session.get(CertificateLevel, level_id)
                certificate = session.get(Certificate, level.certificate_id)
                self.chosen.append(
                    {
                        "id": str(level.id),
                        "code": certificate.code,
                        "name": certificate.name,
                        "level": level.level,
                        "certificate_id": str(certificate.id),
                    }
                )
        self.form_open = True
        return SiteDeclarationState.search_certificates

    @rx.event
    def close_form(self):
        self.form_open = False

    @rx.event
    @shows_service_errors
    async def attach_evidence(self, files: list[rx.UploadFile]):
        if not files:
            return rx.toast.error("请先选择佐证材料文件")
        upload = files[0]
        data = await upload.read()
        name = upload.name or "佐证材料"
        if len(data) > sites.MAX_EVIDENCE_BYTES:
            return rx.toast.error(f"佐证材料“{name}”超过 10 MB，请压缩后再上传")
        if sites.evidence_kind(data) is None:
            return rx.toast.error(f"佐证材料“{name}”不是 PDF 或 Word 文档")
        self._evidence, self.evidence_name = data, name
        return rx.clear_selected_files(EVIDENCE_UPLOAD_ID)

    @rx.event
    @shows_service_errors
    def save(self):
        self.field_errors = {}
        data = sites.SiteInput(
            name=self.name,
            province_code=self.province_code,
            city_code=self.city_code,
            district_code=self.district_code,
            address=self.address,
            org_id=int(self.org_id) if self.org_id else None,
            certificate_level_ids=[int(row["id"]) for row in self.chosen],
            introduction=self.introduction,
            contact_name=self.contact_name,
            contact_mobile=self.contact_mobile,
            contact_email=self.contact_email,
        )
        evidence = (self._evidence, self.evidence_name) if self._evidence else None
        try:
            with session_scope() as session:
                actor = self.require_actor(session)
                if self.editing_id:
                    sites.update_site(
                        session,
                        actor=actor,
                        site_id=self.editing_id,
                        version=self.editing_version,
                        data=data,
                        evidence=evidence,
                    )
                else:
                    sites.declare_site(
                        session, actor=actor, data=data, evidence=evidence
                    )
        except ValidationError as error:
            self.field_errors = error.errors
            return rx.toast.error(error.message)
        self.form_open = False
        self._evidence = b""
        return [
            rx.toast.success("考核站点已提交，等待培训评价组织审核"),
            SiteDeclarationState.load,
        ]

    @rx.event
    @shows_service_errors
    def download_evidence(self, site_id: str):
        with session_scope() as session:
            actor = self.require_actor(session)
            data, name = sites.read_evidence(session, actor=actor, site_id=int(site_id))
        return rx.download(data=data, filename=name)


def _chosen_row(row) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row["code"]),
        rx.table.cell(row["name"]),
        rx.table.cell(row["level"]),
        rx.table.cell(
            rx.button(
                "删除",
                size="1",
                variant="soft",
                color_scheme="red",
                on_click=SiteDeclarationState.remove_certificate(row["id"]),
            )
        ),
    )


def _declaration_form() -> rx.Component:
    state = SiteDeclarationState
    errors = state.field_errors

    def text_input(value, on_change, id_, width="28rem"):
        return rx.input(value=value, on_change=on_change, id=id_, width=width)

    return rx.card(
        rx.vstack(
            rx.text(
                rx.cond(state.editing_id > 0, "修改考核站点", "申报考核站点"),
                weight="bold",
                size="4",
            ),
            labelled(
                "站点名称",
                rx.hstack(
                    text_input(state.name, state.set_name, "site-name"),
                    rx.button(
                        "使用建议名称",
                        variant="soft",
                        size="1",
                        on_click=state.suggest_name,
                        id="suggest-site-name",
                    ),
                    align="center",
                ),
                errors,
                "name",
                required=True,
            ),
            labelled(
                "所在区域", region_picker(state, id_prefix="site"), errors, "region"
            ),
            labelled(
                "详细地址",
                text_input(state.address, state.set_address, "site-address"),
                errors,
                "address",
                required=True,
            ),
            labelled(
                "申报对象",
                native_select(
                    state.orgs,
                    value=state.org_id,
                    on_change=state.set_org_id,
                    placeholder="请选择需要向哪个培训评价组织申报",
                    id="site-org",
                    width="28rem",
                ),
                errors,
                "org_id",
                required=True,
            ),
            labelled(
                "申请考试的证书",
                rx.vstack(
                    rx.hstack(
                        rx.input(
                            placeholder="输入证书名称或编号搜索",
                            value=state.certificate_search,
                            on_change=state.set_certificate_search,
                            id="site-certificate-search",
                        ),
                        native_select(
                            state.certificate_options,
                            value=state.picked_level_id,
                            on_change=state.set_picked_level_id,
                            placeholder="请选择",
                            id="site-certificate-pick",
                        ),
                        rx.button(
                            "确认添加",
                            variant="soft",
                            on_click=state.add_certificate,
                            id="site-certificate-add",
                        ),
                    ),
                    data_table(
                        ["证书编号", "证书名称", "证书等级", "操作"],
                        rx.foreach(state.chosen, _chosen_row),
                        id="site-certificates",
                    ),
                ),
                errors,
                "certificates",
                required=True,
            ),
            labelled(
                "考点简介",
                rx.text_area(
                    value=state.introduction,
                    on_change=state.set_introduction,
                    width="40rem",
                    id="site-introduction",
                ),
                errors,
                "introduction",
                required=True,
            ),
            labelled(
                "其他佐证材料（选填）",
                rx.hstack(
                    uploads.upload(
                        rx.button("选择文件", variant="outline", type="button"),
                        id=EVIDENCE_UPLOAD_ID,
                        max_files=1,
                        no_drag=True,
                        border="none",
                        padding="0",
                        accept={
                            "application/pdf": [".pdf"],
                            "application/msword": [".doc"],
                            sites.WORD_CONTENT_TYPE: [".docx"],
                        },
                        max_size=sites.MAX_EVIDENCE_BYTES,
                    ),
                    rx.text(rx.selected_files(EVIDENCE_UPLOAD_ID).join(", "), size="2"),
                    rx.button(
                        "上传",
                        variant="soft",
                        on_click=state.attach_evidence(
                            rx.upload_files(upload_id=EVIDENCE_UPLOAD_ID)
                        ),
                        id="site-evidence-upload",
                    ),
                    rx.cond(
                        state.evidence_name != "",
                        rx.badge("已选：", state.evidence_name, color_scheme="green"),
                    ),
                    align="center",
                ),
                errors,
                "evidence",
            ),
            rx.text(
                "请上传 pdf 或 word 格式的文档。该材料根据培训评价组织的要求提供，没有要求可以不提供。",
                size="1",
                color_scheme="gray",
            ),
            rx.hstack(
                labelled(
                    "联系人姓名",
                    text_input(
                        state.contact_name,
                        state.set_contact_name,
                        "site-contact-name",
                        "10rem",
                    ),
                    errors,
                    "contact_name",
                    required=True,
                ),
                labelled(
                    "联系人手机",
                    text_input(
                        state.contact_mobile,
                        state.set_contact_mobile,
                        "site-contact-mobile",
                        "10rem",
                    ),
                    errors,
                    "contact_mobile",
                    required=True,
                ),
                labelled(
                    "联系人邮箱",
                    text_input(
                        state.contact_email,
                        state.set_contact_email,
                        "site-contact-email",
                        "16rem",
                    ),
                    errors,
                    "contact_email",
                    required=True,
                ),
            ),
            rx.hstack(
                rx.button("关闭", variant="soft", on_click=state.close_form),
                rx.button("保存", on_click=state.save, id="save-site"),
            ),
            spacing="3",
        ),
        width="100%",
    )


def _school_site_row(row) -> rx.Component:
    state = SiteDeclarationState
    return rx.table.row(
        rx.table.cell(row["name"]),
        rx.table.cell(row["org"]),
        rx.table.cell(row["certificates"]),
        rx.table.cell(row["location"]),
        rx.table.cell(
            rx.vstack(
                rx.badge(row["status_label"], id="site-status-" + row["id"]),
                rx.cond(
                    row["reason"] != "",
                    rx.text("原因：", row["reason"], size="1", color_scheme="red"),
                ),
            )
        ),
        rx.table.cell(row["created_at"]),
        rx.table.cell(
            rx.hstack(
                rx.cond(
                    row["editable"] == "1",
                    rx.button(
                        rx.cond(row["status"] == "rejected", "修改后重新提交", "修改"),
                        size="1",
                        variant="soft",
                        on_click=state.open_edit(row["id"]),
                        id="edit-site-" + row["id"],
                    ),
                ),
                rx.cond(
                    row["evidence"] == "1",
                    rx.button(
                        "佐证材料",
                        size="1",
                        variant="outline",
                        on_click=state.download_evidence(row["id"]),
                    ),
                ),
            )
        ),
    )


@page(
    routes.EXAM_SITES,
    "申报考点",
    roles=[Role.SCHOOL_HEAD, Role.SCHOOL_ADMIN],
    on_load=SiteDeclarationState.load,
    nav_label="申报考点",
    nav_group="考试管理",
    order=260,
)
def exam_sites_page() -> rx.Component:
    state = SiteDeclarationState
    return rx.vstack(
        rx.text(
            "院校组织证书考试须向培训评价组织申报考核站点，审核通过后方可组织考试。"
            "不符合考核站点建设标准的院校，可向培训评价组织申请借考。",
            size="2",
            color_scheme="gray",
        ),
        rx.cond(
            state.form_open,
            _declaration_form(),
            rx.button("申报考核站点", on_click=state.open_new, id="new-site"),
        ),
        data_table(
            ["站点名称", "申报对象", "证书", "地址", "审核状态", "申报时间", "操作"],
            rx.foreach(state.rows, _school_site_row),
            id="site-table",
        ),
        width="100%",
    )


# ---------------------------------------------------------------- org review


class SiteReviewState(SessionState):
    """The organisation's site review list and borrowed site assignments."""

    rows: list[dict[str, str]] = []
    status_filter: str = SiteStatus.PENDING.value
    reject_site_id: str = ""
    reject_version: str = ""
    reject_reason: str = ""
    reject_open: bool = False
    loans: list[dict[str, str]] = []
    loan_schools: list[dict[str, str]] = []
    loan_sites: list[dict[str, str]] = []
    loan_school_id: str = ""
    loan_site_id: str = ""

    @rx.event
    def set_status_filter(self, value: str):
        self.status_filter = value
        return SiteReviewState.load

    @rx.event
    def open_page(self):
        """Load the page with the site status a ``?status=`` in the address names."""
        requested = link_parameters(self, "status")
        if requested:
            statuses = {status.value for status in SiteStatus}
            self.status_filter = pick(
                requested["status"], statuses, SiteStatus.PENDING.value
            )
        return SiteReviewState.load

    @rx.event
    def set_reject_reason(self, value: str):
        self.reject_reason = value

    @rx.event
    def set_reject_open(self, value: bool):
        self.reject_open = value

    @rx.event
    def set_loan_school_id(self, value: str):
        self.loan_school_id = value

    @rx.event
    def set_loan_site_id(self, value: str):
        self.loan_site_id = value

    @rx.event
    @shows_service_errors
    def load(self):
        with session_scope() as session:
            actor = self.current_actor(session)
            if actor is None or actor.role != Role.ORG_ADMIN:
                return
            found, _total = sites.list_sites(
                session, actor=actor, status=self.status_filter, limit=PAGE_SIZE
            )
            self.rows = [_site_dict(row) for row in found]
            approved, _ = sites.list_sites(
                session, actor=actor, status=SiteStatus.APPROVED, limit=500
            )
            self.loan_sites = [
                {"value": str(row.id), "label": f"{row.name}（{row.school_name}）"}
                for row in approved
            ]
            self.loan_schools = [
                {"value": str(school.id), "label": school.name}
                for school in sites.schools_without_site(session, actor=actor)
            ]
            self.loans = [
                {
                    "id": str(loan.id),
                    "school": loan.school_name,
                    "site": loan.site_name,
                    "host": loan.host_school_name,
                    "created_at": loan.created_at,
                }
                for loan in sites.list_loans(session, actor=actor)
            ]

    @rx.event
    @shows_service_errors
    def approve(self, site_id: str, version: str):
        with session_scope() as session:
            actor = self.require_actor(session)
            site = sites.approve_site(
                session, actor=actor, site_id=int(site_id), version=int(version)
            )
            name = site.name
        return [rx.toast.success(f"考核站点“{name}”已审核通过"), SiteReviewState.load]

    @rx.event
    def open_reject(self, site_id: str, version: str):
        self.reject_site_id, self.reject_version = site_id, version
        self.reject_reason = ""
        self.reject_open = True

    @rx.event
    @shows_service_errors
    def reject(self):
        if not self.reject_open:
            # A second click queued behind the first, which closed the dialog.
            return
        with session_scope() as session:
            actor = self.require_actor(session)
            site = sites.reject_site(
                session,
                actor=actor,
                site_id=int(self.reject_site_id),
                version=int(self.reject_version),
                reason=self.reject_reason,
            )
            name = site.name
        self.reject_open = False
        return [rx.toast.success(f"考核站点“{name}”已审核不通过"), SiteReviewState.load]

    @rx.event
    @shows_service_errors
    def assign(self):
        if not self.loan_school_id or not self.loan_site_id:
            return rx.toast.error("请选择借考院校和考核站点")
        with session_scope() as session:
            actor = self.require_actor(session)
            sites.assign_loan(
                session,
                actor=actor,
                school_id=int(self.loan_school_id),
                site_id=int(self.loan_site_id),
            )
        self.loan_school_id = self.loan_site_id = ""
        return [rx.toast.success("借考已分配"), SiteReviewState.load]

    @rx.event
    @shows_service_errors
    def remove_loan(self, loan_id: str):
        with session_scope() as session:
            actor = self.require_actor(session)
            sites.remove_loan(session, actor=actor, loan_id=int(loan_id))
        return [rx.toast.success("借考分配已取消"), SiteReviewState.load]

    @rx.event
    @shows_service_errors
    def download_evidence(self, site_id: str):
        with session_scope() as session:
            actor = self.require_actor(session)
            data, name = sites.read_evidence(session, actor=actor, site_id=int(site_id))
        return rx.download(data=data, filename=name)


def _review_row(row) -> rx.Component:
    state = SiteReviewState
    return rx.table.row(
        rx.table.cell(row["name"]),
        rx.table.cell(row["school"]),
        rx.table.cell(row["certificates"]),
        rx.table.cell(row["location"]),
        rx.table.cell(row["contact"]),
        rx.table.cell(
            rx.vstack(
                rx.badge(row["status_label"]),
                rx.cond(row["reason"] != "", rx.text(row["reason"], size="1")),
            )
        ),
        rx.table.cell(
            rx.hstack(
                rx.cond(
                    row["status"] == "pending",
                    rx.hstack(
                        rx.button(
                            "通过",
                            size="1",
                            on_click=state.approve(row["id"], row["version"]),
                            id="approve-site-" + row["id"],
                        ),
                        rx.button(
                            "不通过",
                            size="1",
                            color_scheme="red",
                            variant="soft",
                            on_click=state.open_reject(row["id"], row["version"]),
                            id="reject-site-" + row["id"],
                        ),
                    ),
                ),
                rx.cond(
                    row["evidence"] == "1",
                    rx.button(
                        "佐证材料",
                        size="1",
                        variant="outline",
                        on_click=state.download_evidence(row["id"]),
                    ),
                ),
            )
        ),
    )


def _reject_dialog() -> rx.Component:
    state = SiteReviewState
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("审核不通过"),
            rx.text_area(
                value=state.reject_reason,
                on_change=state.set_reject_reason,
                placeholder="请填写不通过的原因，院校将据此修改后重新提交",
                id="reject-reason",
                width="100%",
            ),
            rx.hstack(
                rx.dialog.close(rx.button("取消", variant="soft")),
                rx.button(
                    "确认不通过",
                    color_scheme="red",
                    on_click=state.reject,
                    id="confirm-reject",
                ),
                margin_top="1rem",
            ),
        ),
        open=state.reject_open,
        on_open_change=state.set_reject_open,
    )


def _loan_card() -> rx.Component:
    state = SiteReviewState
    return rx.card(
        rx.vstack(
            rx.text("借考分配", weight="bold"),
            rx.text(
                "为没有审核通过考核站点的试点院校指定其他院校的考核站点。",
                size="2",
                color_scheme="gray",
            ),
            rx.hstack(
                native_select(
                    state.loan_schools,
                    value=state.loan_school_id,
                    on_change=state.set_loan_school_id,
                    placeholder="选择借考院校",
                    id="loan-school",
                ),
                native_select(
                    state.loan_sites,
                    value=state.loan_site_id,
                    on_change=state.set_loan_site_id,
                    placeholder="选择考核站点",
                    id="loan-site",
                ),
                rx.button("分配", on_click=state.assign, id="assign-loan"),
            ),
            data_table(
                ["借考院校", "考核站点", "站点所属院校", "分配时间", "操作"],
                rx.foreach(
                    state.loans,
                    lambda row: rx.table.row(
                        rx.table.cell(row["school"]),
                        rx.table.cell(row["site"]),
                        rx.table.cell(row["host"]),
                        rx.table.cell(row["created_at"]),
                        rx.table.cell(
                            rx.button(
                                "取消",
                                size="1",
                                variant="soft",
                                on_click=state.remove_loan(row["id"]),
                            )
                        ),
                    ),
                ),
                id="loan-table",
            ),
        ),
        width="100%",
    )


@page(
    routes.EXAM_SITE_REVIEW,
    "考核站点审核",
    roles=[Role.ORG_ADMIN],
    on_load=SiteReviewState.open_page,
    nav_label="考核站点审核",
    nav_group="考试管理",
    order=262,
)
def site_review_page() -> rx.Component:
    state = SiteReviewState
    return rx.vstack(
        rx.hstack(
            rx.text("审核状态", size="2"),
            native_select(
                STATUS_FILTERS,
                value=state.status_filter,
                on_change=state.set_status_filter,
                placeholder="全部",
                id="site-status-filter",
            ),
        ),
        data_table(
            ["站点名称", "申报院校", "证书", "地址", "联系人", "状态", "操作"],
            rx.foreach(state.rows, _review_row),
            id="review-table",
        ),
        _loan_card(),
        _reject_dialog(),
        width="100%",
    )
