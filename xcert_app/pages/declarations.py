"""The school's pilot declarations: the province's plans, the list, and the form."""

import reflex as rx

from xcert_app import routes
from xcert_app.clock import clock
from xcert_app.components import uploads
from xcert_app.components.callouts import callout_block
from xcert_app.components.form_fields import pager
from xcert_app.components.page import page
from xcert_app.db import session_scope
from xcert_app.models.accounts import Role
from xcert_app.models.declarations import DeclarationStatus
from xcert_app.services import declarations, reference
from xcert_app.services.errors import ValidationError
from xcert_app.state import SessionState, shows_service_errors

PAGE_SIZE = 10
COUNTERS = [
    ("all", "全部"),
    ("draft", "待提交"),
    ("pending", "待审核"),
    ("approved", "审核通过"),
    ("rejected", "审核不通过"),
]
EVIDENCE_UPLOAD_ID = "evidence-upload"


def _row_dict(row: declarations.DeclarationRow) -> dict[str, str]:
    return {
        "id": str(row.id),
        "version": str(row.version),
        "batch": row.batch_name,
        "certificate": row.certificate_name,
        "issuer": row.issuer_name,
        "planned": str(row.planned_count),
        "approved": "" if row.approved_count is None else str(row.approved_count),
        "status": row.status,
        "status_label": row.status_label,
        "reason": row.reject_reason,
        "editable": "1"
        if row.status in (DeclarationStatus.DRAFT, DeclarationStatus.REJECTED)
        else "",
        "deletable": "1" if row.status == DeclarationStatus.DRAFT else "",
        "evidence": "1" if row.has_evidence else "",
    }


class DeclarationsState(SessionState):
    """Plans, counters, one page of declarations, and the open form."""

    plans: list[dict[str, str]] = []
    counts: dict[str, int] = {group: 0 for group, _label in COUNTERS}
    group: str = "all"
    rows: list[dict[str, str]] = []
    page_number: int = 1
    total: int = 0
    quotas: list[dict[str, str]] = []
    is_pilot: bool = False
    year: int = 0
    needs_base_info: bool = False

    form_open: bool = False
    confirm_open: bool = False
    confirm_id: str = ""
    confirm_version: str = ""
    editing_id: str = ""
    editing_version: str = ""
    plan_id: str = ""
    plan_batch: str = ""
    plan_by_major: bool = False
    certificate_text: str = ""
    certificate_options: list[dict[str, str]] = []
    certificate_id: str = ""
    major_text: str = ""
    major_options: list[dict[str, str]] = []
    majors: list[dict[str, str]] = []
    planned_count: str = ""
    teacher_description: str = ""
    venue_description: str = ""
    evidence_name: str = ""
    remove_evidence: bool = False
    field_errors: dict[str, str] = {}
    # NOTE: the chosen file (up to 20 MB) stays in this backend var until the form
    # is saved, so with Redis state it is serialised on every event of the page.
    _evidence_data: bytes = b""

    @rx.event
    @shows_service_errors
    def load(self):
        with session_scope() as session:
            actor = self.current_actor(session)
            if actor is None or not actor.is_school:
                return
            school = declarations.get_school(session, actor=actor)
            self.needs_base_info = not declarations.has_base_info(school)
            self.plans = [
                {
                    "id": str(plan.id),
                    "batch": plan.batch_name,
                    "window": declarations.plan_window_text(plan),
                    "by_major": "是" if plan.by_major else "否",
                    "city": "是" if plan.needs_city_review else "否",
                    "phase": declarations.plan_phase(plan),
                    "phase_label": declarations.PHASE_LABELS[
                        declarations.plan_phase(plan)
                    ],
                }
                for plan in declarations.list_plans(session, actor=actor)
            ]
            self.counts = declarations.school_counts(session, actor=actor)
            found, self.total = declarations.list_school_declarations(
                session,
                actor=actor,
                group=self.group,
                limit=PAGE_SIZE,
                offset=(self.page_number - 1) * PAGE_SIZE,
            )
            self.rows = [_row_dict(row) for row in found]
            self.year = clock.today().year
            self.quotas = [
                {"certificate": name, "count": str(count)}
                for name, count in declarations.school_quotas(
                    session, actor=actor, year=self.year
                )
            ]
            self.is_pilot = declarations.is_pilot_school(
                session, school_id=school.id, year=self.year
            )

    @rx.event
    def show_group(self, group: str):
        self.group = group
        self.page_number = 1
        return DeclarationsState.load

    @rx.event
    def open_page(self):
        """Load the page, showing the group a ``?status=`` in the address names."""
        wanted = self.router.url.query_parameters.get("status", "")
        if wanted in dict(COUNTERS):
            self.group = wanted
            self.page_number = 1
        return DeclarationsState.load

    @rx.event
    def go_to_page(self, number: int):
        self.page_number = max(1, number)
        return DeclarationsState.load

    # -------------------------------------------------------------- the form

    def _clear_form(self) -> None:
        self.editing_id = self.editing_version = ""
        self.certificate_text = self.certificate_id = self.major_text = ""
        self.certificate_options = []
        self.major_options = []
        self.majors = []
        self.planned_count = self.teacher_description = self.venue_description = ""
        self.evidence_name = ""
        self.remove_evidence = False
        self._evidence_data = b""
        self.field_errors = {}

    @rx.event
    def new_declaration(self, plan_id: str):
        plan = next((row for row in self.plans if row["id"] == plan_id), None)
        if plan is None:
            return
        self._clear_form()
        self.plan_id = plan_id
        self.plan_batch = plan["batch"]
        self.plan_by_major = plan["by_major"] == "是"
        self.form_open = True

    @rx.event
    @shows_service_errors
    def edit(self, declaration_id: str):
        self._clear_form()
        with session_scope() as session:
            actor = self.require_actor(session)
            detail = declarations.get_declaration(
                session, actor=actor, declaration_id=int(declaration_id)
            )
            declaration = detail.declaration
            plan = next(
                (row for row in self.plans if row["id"] == str(declaration.plan_id)),
                None,
            )
            self.editing_id = str(declaration.id)
            self.editing_version = str(declaration.version)
            self.plan_id = str(declaration.plan_id)
            self.plan_batch = plan["batch"] if plan else ""
            self.plan_by_major = bool(plan and plan["by_major"] == "是")
            self.certificate_id = str(declaration.certificate_id)
            self.certificate_text = detail.certificate_name
            self.majors = [
                {"id": str(major_id), "name": name} for major_id, name in detail.majors
            ]
            self.planned_count = str(declaration.planned_count)
            self.teacher_description = declaration.teacher_description
            self.venue_description = declaration.venue_description
            self.evidence_name = detail.evidence_name
        self.form_open = True

    @rx.event
    def set_form_open(self, value: bool):
        self.form_open = value

    @rx.event
    def set_certificate_text(self, value: str):
        self.certificate_text = value
        self.certificate_id = ""
        with session_scope() as session:
            self.certificate_options = [
                {"id": str(certificate_id), "name": name, "issuer": issuer}
                for certificate_id, name, issuer in declarations.search_certificates(
                    session, text=value
                )
            ]

    @rx.event
    def choose_certificate(self, certificate_id: str):
        chosen = next(
            (row for row in self.certificate_options if row["id"] == certificate_id),
            None,
        )
        if chosen is None:
            return
        self.certificate_id = chosen["id"]
        self.certificate_text = chosen["name"]
        self.certificate_options = []

    @rx.event
    def set_major_text(self, value: str):
        self.major_text = value
        if not value.strip():
            self.major_options = []
            return
        with session_scope() as session:
            self.major_options = [
                {
                    "id": str(major.id),
                    "name": f"{major.name}（{major.code}）",
                    "issuer": major.programme_level,
                }
                for major in reference.search_majors(session, text=value, limit=10)
            ]

    @rx.event
    def add_major(self, major_id: str):
        chosen = next(
            (row for row in self.major_options if row["id"] == major_id), None
        )
        if chosen and all(row["id"] != major_id for row in self.majors):
            self.majors.append(chosen)
        self.major_text = ""
        self.major_options = []

    @rx.event
    def remove_major(self, major_id: str):
        self.majors = [row for row in self.majors if row["id"] != major_id]

    @rx.event
    def set_planned_count(self, value: str):
        self.planned_count = value

    @rx.event
    def set_teacher_description(self, value: str):
        self.teacher_description = value

    @rx.event
    def set_venue_description(self, value: str):
        self.venue_description = value

    @rx.event
    async def handle_upload(self, files: list[rx.UploadFile]):
        """Keep the chosen evidence file until the form is saved, after checking it."""
        self.field_errors = {
            key: value for key, value in self.field_errors.items() if key != "evidence"
        }
        for file in files[:1]:
            data = await file.read()
            name = file.name or "佐证材料"
            try:
                declarations.check_evidence(declarations.Evidence(name, data))
            except ValidationError as error:
                self.field_errors = {**self.field_errors, **error.errors}
                return
            self._evidence_data = data
            self.evidence_name = name
            self.remove_evidence = False

    @rx.event
    def evidence_rejected(self, rejected: list[dict]):
        """Explain a file the browser refused before upload (type or size)."""
        self.field_errors = {
            **self.field_errors,
            "evidence": "只能上传 20 MB 以内的 PDF 或 Word 文档（.pdf/.doc/.docx）",
        }

    @rx.event
    def drop_evidence(self):
        self._evidence_data = b""
        self.evidence_name = ""
        self.remove_evidence = True

    def _form(self) -> declarations.DeclarationForm:
        return declarations.DeclarationForm(
            certificate_id=int(self.certificate_id) if self.certificate_id else None,
            major_ids=[int(row["id"]) for row in self.majors],
            planned_count=self.planned_count,
            teacher_description=self.teacher_description,
            venue_description=self.venue_description,
        )

    def _save(self, session, actor):
        evidence = (
            declarations.Evidence(self.evidence_name, self._evidence_data)
            if self._evidence_data
            else None
        )
        return declarations.save_draft(
            session,
            actor=actor,
            plan_id=int(self.plan_id),
            form=self._form(),
            evidence=evidence,
            remove_evidence=self.remove_evidence,
            declaration_id=int(self.editing_id) if self.editing_id else None,
            version=int(self.editing_version) if self.editing_version else None,
        )

    @rx.event
    @shows_service_errors
    def save_draft(self):
        """Save the form as a draft: still editable and deletable."""
        self.field_errors = {}
        try:
            with session_scope() as session:
                self._save(session, self.require_actor(session))
        except ValidationError as error:
            self.field_errors = error.errors
            return
        self.form_open = False
        self._clear_form()
        return [rx.toast.success("已保存，暂未提交审核"), DeclarationsState.load]

    @rx.event
    @shows_service_errors
    def ask_submit_form(self):
        """Check the form by saving it, then ask for confirmation before locking it."""
        self.field_errors = {}
        try:
            with session_scope() as session:
                declaration = self._save(session, self.require_actor(session))
                self.editing_id = str(declaration.id)
                self.editing_version = str(declaration.version)
        except ValidationError as error:
            self.field_errors = error.errors
            return
        self._evidence_data = b""
        self.remove_evidence = False
        self.confirm_id = self.editing_id
        self.confirm_version = self.editing_version
        self.confirm_open = True

    @rx.event
    def ask_submit(self, declaration_id: str, version: str):
        self.confirm_id = declaration_id
        self.confirm_version = version
        self.confirm_open = True

    @rx.event
    def set_confirm_open(self, value: bool):
        self.confirm_open = value

    @rx.event
    @shows_service_errors
    def confirm_submit(self):
        """Submit the declaration, which stays locked until the reviewers decide."""
        self.confirm_open = False
        with session_scope() as session:
            declarations.submit_declaration(
                session,
                actor=self.require_actor(session),
                declaration_id=int(self.confirm_id),
                version=int(self.confirm_version),
            )
        self.form_open = False
        self._clear_form()
        return [rx.toast.success("已提交审核"), DeclarationsState.load]

    @rx.event
    @shows_service_errors
    def delete(self, declaration_id: str, version: str):
        with session_scope() as session:
            declarations.delete_draft(
                session,
                actor=self.require_actor(session),
                declaration_id=int(declaration_id),
                version=int(version),
            )
        return [rx.toast.success("申报已删除"), DeclarationsState.load]

    @rx.event
    @shows_service_errors
    def download_evidence(self, declaration_id: str):
        with session_scope() as session:
            name, data = declarations.evidence_download(
                session,
                actor=self.require_actor(session),
                declaration_id=int(declaration_id),
            )
        return rx.download(data=data, filename=name)


def _error(name: str) -> rx.Component:
    return rx.cond(
        DeclarationsState.field_errors.contains(name),
        rx.text(
            DeclarationsState.field_errors[name],
            color_scheme="red",
            size="1",
            id=f"{name}-error",
        ),
    )


def _plan_row(plan) -> rx.Component:
    return rx.table.row(
        rx.table.cell(plan["batch"]),
        rx.table.cell(plan["window"]),
        rx.table.cell(plan["by_major"]),
        rx.table.cell(plan["city"]),
        rx.table.cell(
            rx.badge(
                plan["phase_label"],
                color_scheme=rx.match(
                    plan["phase"], ("open", "green"), ("ended", "gray"), "blue"
                ),
            )
        ),
        rx.table.cell(
            rx.cond(
                plan["phase"] == "open",
                rx.button(
                    "申报新的证书试点",
                    size="1",
                    on_click=DeclarationsState.new_declaration(plan["id"]),
                    disabled=DeclarationsState.needs_base_info,
                    id="new-declaration-" + plan["id"],
                ),
            )
        ),
    )


def plans_table() -> rx.Component:
    return rx.table.root(
        rx.table.header(
            rx.table.row(
                *[
                    rx.table.column_header_cell(label)
                    for label in (
                        "申报批次",
                        "申报时间（北京时间）",
                        "是否要求按专业填报",
                        "是否需要地市级教育局审批",
                        "状态",
                        "操作",
                    )
                ]
            )
        ),
        rx.table.body(rx.foreach(DeclarationsState.plans, _plan_row)),
        width="100%",
        id="plans-table",
    )


def counters() -> rx.Component:
    return rx.hstack(
        *[
            rx.button(
                f"{label} ",
                rx.text.span(DeclarationsState.counts[group].to_string()),
                variant=rx.cond(DeclarationsState.group == group, "solid", "soft"),
                size="1",
                on_click=DeclarationsState.show_group(group),
                id=f"count-{group}",
            )
            for group, label in COUNTERS
        ],
        wrap="wrap",
    )


def _declaration_row(row) -> rx.Component:
    state = DeclarationsState
    return rx.table.row(
        rx.table.cell(row["batch"]),
        rx.table.cell(row["certificate"]),
        rx.table.cell(row["issuer"]),
        rx.table.cell(row["planned"]),
        rx.table.cell(row["approved"], id="approved-" + row["id"]),
        rx.table.cell(
            rx.vstack(
                rx.badge(
                    row["status_label"],
                    color_scheme=rx.match(
                        row["status"],
                        ("approved", "green"),
                        ("rejected", "red"),
                        ("draft", "gray"),
                        "orange",
                    ),
                    id="status-" + row["id"],
                ),
                rx.cond(
                    row["reason"] != "",
                    rx.text("原因：" + row["reason"], size="1", color_scheme="red"),
                ),
                spacing="1",
            )
        ),
        rx.table.cell(
            rx.hstack(
                rx.cond(
                    row["editable"] != "",
                    rx.fragment(
                        rx.button(
                            "修改",
                            size="1",
                            variant="soft",
                            on_click=state.edit(row["id"]),
                            id="edit-" + row["id"],
                        ),
                        rx.button(
                            "提交审核",
                            size="1",
                            on_click=state.ask_submit(row["id"], row["version"]),
                            id="submit-" + row["id"],
                        ),
                    ),
                ),
                rx.cond(
                    row["deletable"] != "",
                    rx.button(
                        "删除",
                        size="1",
                        color_scheme="red",
                        variant="soft",
                        on_click=state.delete(row["id"], row["version"]),
                        id="delete-" + row["id"],
                    ),
                ),
                rx.cond(
                    row["evidence"] != "",
                    rx.button(
                        "佐证材料",
                        size="1",
                        variant="ghost",
                        on_click=state.download_evidence(row["id"]),
                    ),
                ),
                spacing="2",
            )
        ),
        id="declaration-" + row["id"],
    )


def declarations_table() -> rx.Component:
    state = DeclarationsState
    return rx.vstack(
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    *[
                        rx.table.column_header_cell(label)
                        for label in (
                            "申报批次",
                            "证书名称",
                            "颁证机构",
                            "拟申报培训人数",
                            "已批准培训人数",
                            "状态",
                            "操作",
                        )
                    ]
                )
            ),
            rx.table.body(rx.foreach(state.rows, _declaration_row)),
            width="100%",
            id="declarations-table",
        ),
        rx.cond(state.total == 0, rx.text("暂无数据", color_scheme="gray")),
        pager(
            page_number=state.page_number,
            total=state.total,
            page_size=PAGE_SIZE,
            go_to_page=state.go_to_page,
        ),
        width="100%",
    )


def _option_button(row, on_click, prefix: str) -> rx.Component:
    return rx.button(
        row["name"],
        rx.text(row["issuer"], size="1", color_scheme="gray"),
        on_click=on_click(row["id"]),
        variant="ghost",
        size="1",
        justify="start",
        width="100%",
        type="button",
        id=prefix + row["id"],
    )


def _label(text: str, required=True) -> rx.Component:
    return rx.text(
        rx.cond(required, rx.text.span("* ", color_scheme="red"), ""), text, size="2"
    )


def declaration_form() -> rx.Component:
    state = DeclarationsState
    return rx.vstack(
        rx.text("申报批次：", state.plan_batch, size="2", weight="medium"),
        _label("选择试点证书"),
        rx.input(
            value=state.certificate_text,
            on_change=state.set_certificate_text.debounce(300),
            placeholder="请输入关键字搜索选择试点证书",
            id="certificate-search",
            width="100%",
        ),
        rx.foreach(
            state.certificate_options,
            lambda row: _option_button(
                row, state.choose_certificate, "certificate-option-"
            ),
        ),
        _error("certificate_id"),
        _label("拟申请的专业名称", required=state.plan_by_major),
        rx.input(
            value=state.major_text,
            on_change=state.set_major_text.debounce(300),
            placeholder="请输入关键字搜索选择专业",
            id="major-search",
            width="100%",
        ),
        rx.foreach(
            state.major_options,
            lambda row: _option_button(row, state.add_major, "major-option-"),
        ),
        rx.hstack(
            rx.foreach(
                state.majors,
                lambda row: rx.badge(
                    row["name"],
                    rx.icon(
                        "x",
                        size=12,
                        cursor="pointer",
                        on_click=state.remove_major(row["id"]),
                    ),
                    size="2",
                ),
            ),
            wrap="wrap",
            id="chosen-majors",
        ),
        _error("majors"),
        _label("拟申报的培训人数"),
        rx.input(
            value=state.planned_count,
            on_change=state.set_planned_count,
            placeholder="1 到 100000 的整数",
            id="planned-count",
            width="12rem",
        ),
        _error("planned_count"),
        _label("师资情况描述"),
        rx.text_area(
            value=state.teacher_description,
            on_change=state.set_teacher_description,
            id="teacher-description",
            width="100%",
            rows="4",
        ),
        _error("teacher_description"),
        _label("场地情况描述"),
        rx.text_area(
            value=state.venue_description,
            on_change=state.set_venue_description,
            id="venue-description",
            width="100%",
            rows="4",
        ),
        _error("venue_description"),
        _label("其他佐证材料（选填）", required=False),
        rx.hstack(
            uploads.upload(
                rx.button("选择文件", variant="soft", size="1", type="button"),
                id=EVIDENCE_UPLOAD_ID,
                max_files=1,
                multiple=False,
                max_size=declarations.MAX_EVIDENCE_BYTES,
                accept={
                    "application/pdf": [".pdf"],
                    "application/msword": [".doc"],
                    "application/vnd.openxmlformats-officedocument."
                    "wordprocessingml.document": [".docx"],
                },
                on_drop=state.handle_upload(
                    rx.upload_files(upload_id=EVIDENCE_UPLOAD_ID)
                ),
                on_drop_rejected=state.evidence_rejected,
                border="none",
                padding="0",
            ),
            rx.cond(
                state.evidence_name != "",
                rx.hstack(
                    rx.text(state.evidence_name, size="2", id="evidence-name"),
                    rx.link("移除", size="1", on_click=state.drop_evidence),
                ),
                rx.text("请上传 pdf 或 word 格式的文档，20 MB 以内", size="1"),
            ),
            align="center",
        ),
        _error("evidence"),
        rx.hstack(
            rx.dialog.close(
                rx.button("取消", variant="soft", color_scheme="gray", type="button")
            ),
            rx.button(
                "保存，暂不提交审核",
                variant="soft",
                on_click=state.save_draft,
                id="save-draft",
            ),
            rx.button("提交审核", on_click=state.ask_submit_form, id="submit-form"),
            justify="end",
            width="100%",
        ),
        spacing="2",
        width="100%",
    )


def form_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("申报证书试点"),
            declaration_form(),
            max_width="40rem",
        ),
        open=DeclarationsState.form_open,
        on_open_change=DeclarationsState.set_form_open,
    )


def confirm_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("确认提交审核？"),
            rx.alert_dialog.description(
                "提交后不能再修改，只能等待审核结果；审核不通过时才可以修改后重新提交。"
            ),
            rx.hstack(
                rx.alert_dialog.cancel(
                    rx.button("再检查一下", variant="soft", color_scheme="gray")
                ),
                rx.alert_dialog.action(
                    rx.button(
                        "确认提交",
                        on_click=DeclarationsState.confirm_submit,
                        id="confirm-submit",
                    )
                ),
                justify="end",
                spacing="3",
            ),
        ),
        open=DeclarationsState.confirm_open,
        on_open_change=DeclarationsState.set_confirm_open,
    )


def quota_card() -> rx.Component:
    state = DeclarationsState
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.text(state.year.to_string(), " 年度试点资格：", weight="bold"),
                rx.cond(
                    state.is_pilot,
                    rx.badge("本年度试点院校", color_scheme="green", id="pilot-status"),
                    rx.badge(
                        "尚无审核通过的申报", color_scheme="gray", id="pilot-status"
                    ),
                ),
            ),
            rx.foreach(
                state.quotas,
                lambda row: rx.text(
                    row["certificate"],
                    "：本年度指标 ",
                    rx.text.span(row["count"], weight="bold"),
                    " 人",
                    size="2",
                ),
            ),
            rx.text(
                "指标只在本年度有效，不能跨年使用。", size="1", color_scheme="gray"
            ),
            spacing="2",
            id="quota-card",
        ),
        width="100%",
    )


@page(
    routes.SCHOOL_DECLARATIONS,
    "证书试点申报",
    roles=[Role.SCHOOL_HEAD, Role.SCHOOL_ADMIN],
    on_load=DeclarationsState.open_page,
    nav_label="证书试点申报",
    nav_group="证书管理",
    order=100,
)
def declarations_page() -> rx.Component:
    return rx.vstack(
        rx.cond(
            DeclarationsState.needs_base_info,
            callout_block(
                rx.hstack(
                    rx.text("申报前请先完善院校基础信息。"),
                    rx.link("去完善", href=routes.SCHOOL_BASE_INFO),
                ),
                icon="info",
                id="needs-base-info",
            ),
        ),
        quota_card(),
        rx.heading("省级教育行政部门的申报计划", size="4"),
        plans_table(),
        rx.text(
            "原则上每年都需要进行一次本年度证书试点的申报。"
            "只有状态为“申报中”的批次可以新增、修改和提交申报。",
            size="1",
            color_scheme="gray",
        ),
        counters(),
        declarations_table(),
        form_dialog(),
        confirm_dialog(),
        width="100%",
        spacing="3",
    )
