"""Exam subjects: the list schools read, and the organisation's certificates and subjects."""

import reflex as rx

from xcert_app import routes
from xcert_app.components import uploads
from xcert_app.components.form_fields import (
    data_table,
    field_error,
    labelled,
    native_select,
)
from xcert_app.components.page import page
from xcert_app.db import session_scope
from xcert_app.models.accounts import Role
from xcert_app.models.catalogue import Audience, ExamMode, Level
from xcert_app.services import catalogue
from xcert_app.services.errors import ValidationError
from xcert_app.spreadsheets import catalogue as subject_sheets
from xcert_app.state import SessionState, shows_service_errors

PAGE_SIZE = 50
MODE_OPTIONS = [{"value": mode.value, "label": mode.value} for mode in ExamMode]
LEVEL_NAMES = [level.value for level in Level]
IMPORT_UPLOAD_ID = "subject-import"


class SubjectsState(SessionState):
    """One page of subjects; for an organisation also its certificates and forms."""

    rows: list[dict[str, str]] = []
    total: int = 0
    page_number: int = 1
    search: str = ""
    is_org: bool = False
    certificates: list[dict[str, str]] = []
    level_options: list[dict[str, str]] = []
    # Subject form
    form_open: bool = False
    editing_id: int = 0
    code: str = ""
    name: str = ""
    mode: str = ExamMode.COMPUTER.value
    level_id: str = ""
    audience: str = Audience.ALL.value
    is_active: bool = True
    field_errors: dict[str, str] = {}
    # Certificate form; cert_editing_id is 0 for a new certificate
    cert_editing_id: int = 0
    cert_active: bool = True
    cert_code: str = ""
    cert_name: str = ""
    cert_short_name: str = ""
    cert_levels: list[str] = list(LEVEL_NAMES)
    cert_errors: dict[str, str] = {}
    # Import report
    import_summary: str = ""
    import_errors: list[dict[str, str]] = []

    @rx.event
    def set_search(self, value: str):
        self.search = value

    @rx.event
    def set_code(self, value: str):
        self.code = value

    @rx.event
    def set_name(self, value: str):
        self.name = value

    @rx.event
    def set_mode(self, value: str):
        self.mode = value

    @rx.event
    def set_level_id(self, value: str):
        self.level_id = value

    @rx.event
    def set_audience(self, value: str):
        self.audience = value

    @rx.event
    def set_is_active(self, value: bool):
        self.is_active = value

    @rx.event
    def set_cert_code(self, value: str):
        self.cert_code = value

    @rx.event
    def set_cert_name(self, value: str):
        self.cert_name = value

    @rx.event
    def set_cert_short_name(self, value: str):
        self.cert_short_name = value

    @rx.event
    def toggle_cert_level(self, level: str):
        if level in self.cert_levels:
            self.cert_levels = [item for item in self.cert_levels if item != level]
        else:
            self.cert_levels = [
                item for item in LEVEL_NAMES if item in {*self.cert_levels, level}
            ]

    @rx.var
    def page_count(self) -> int:
        return max(1, (self.total + PAGE_SIZE - 1) // PAGE_SIZE)

    @rx.event
    @shows_service_errors
    def load(self):
        with session_scope() as session:
            actor = self.current_actor(session)
            if actor is None:
                return
            self.is_org = actor.role == Role.ORG_ADMIN
            found, self.total = catalogue.list_subjects(
                session,
                actor=actor,
                search=self.search,
                offset=(self.page_number - 1) * PAGE_SIZE,
                limit=PAGE_SIZE,
            )
            self.rows = [
                {
                    "id": str(row.id),
                    "code": row.code,
                    "name": row.name,
                    "mode": row.mode,
                    "certificate": row.certificate_label,
                    "level_id": str(row.certificate_level_id),
                    "org": row.org_name,
                    "audience": row.audience,
                    "status": row.status_label,
                    "active": "1" if row.is_active else "",
                }
                for row in found
            ]
            if self.is_org:
                self._load_certificates(session, actor)

    def _load_certificates(self, session, actor) -> None:
        certificates = catalogue.list_certificates(session, actor=actor)
        self.certificates = [
            {
                "id": str(row.id),
                "code": row.code,
                "name": row.name,
                "short_name": row.short_name,
                "levels": "、".join(row.levels),
                "level_list": ",".join(row.levels),
                "active": "1" if row.is_active else "",
                "status": "启用" if row.is_active else "停用",
            }
            for row in certificates
        ]
        options = catalogue.search_certificate_levels(
            session, actor=actor, org_id=actor.organisation_id, limit=200
        )
        self.level_options = [
            {"value": str(option.certificate_level_id), "label": option.label}
            for option in options
        ]

    @rx.event
    def search_subjects(self):
        self.page_number = 1
        return SubjectsState.load

    @rx.event
    def go_to_page(self, number: int):
        self.page_number = min(max(1, number), self.page_count)
        return SubjectsState.load

    @rx.event
    def open_new(self):
        self.editing_id = 0
        self.code = self.name = ""
        self.mode = ExamMode.COMPUTER.value
        self.level_id = self.level_options[0]["value"] if self.level_options else ""
        self.audience = Audience.ALL.value
        self.is_active = True
        self.field_errors = {}
        self.form_open = True

    @rx.event
    def open_edit(self, row: dict[str, str]):
        self.editing_id = int(row["id"])
        self.code, self.name, self.mode = row["code"], row["name"], row["mode"]
        self.level_id, self.audience = row["level_id"], row["audience"]
        self.is_active = row["active"] == "1"
        self.field_errors = {}
        self.form_open = True

    @rx.event
    def close_form(self):
        self.form_open = False

    @rx.event
    @shows_service_errors
    def save_subject(self):
        self.field_errors = {}
        data = catalogue.SubjectInput(
            code=self.code,
            name=self.name,
            mode=self.mode,
            certificate_level_id=int(self.level_id) if self.level_id else None,
            audience=self.audience,
            is_active=self.is_active,
        )
        try:
            with session_scope() as session:
                actor = self.require_actor(session)
                if self.editing_id:
                    catalogue.update_subject(
                        session, actor=actor, subject_id=self.editing_id, data=data
                    )
                else:
                    catalogue.create_subject(session, actor=actor, data=data)
        except ValidationError as error:
            self.field_errors = error.errors
            return
        self.form_open = False
        return [
            rx.toast.success(f"科目 {data.code.strip()} 已保存"),
            SubjectsState.load,
        ]

    @rx.event
    def set_cert_active(self, value: bool):
        self.cert_active = value

    @rx.event
    def edit_certificate(self, row: dict[str, str]):
        self.cert_editing_id = int(row["id"])
        self.cert_code, self.cert_name = row["code"], row["name"]
        self.cert_short_name = row["short_name"]
        self.cert_levels = [level for level in row["level_list"].split(",") if level]
        self.cert_active = row["active"] == "1"
        self.cert_errors = {}

    @rx.event
    def cancel_certificate_edit(self):
        self._clear_certificate_form()

    def _clear_certificate_form(self) -> None:
        self.cert_editing_id = 0
        self.cert_code = self.cert_name = self.cert_short_name = ""
        self.cert_levels = list(LEVEL_NAMES)
        self.cert_active = True
        self.cert_errors = {}

    @rx.event
    @shows_service_errors
    def save_certificate(self):
        self.cert_errors = {}
        try:
            with session_scope() as session:
                actor = self.require_actor(session)
                if self.cert_editing_id:
                    catalogue.update_certificate(
                        session,
                        actor=actor,
                        certificate_id=self.cert_editing_id,
                        name=self.cert_name,
                        short_name=self.cert_short_name,
                        levels=self.cert_levels,
                        is_active=self.cert_active,
                    )
                else:
                    catalogue.create_certificate(
                        session,
                        actor=actor,
                        code=self.cert_code,
                        name=self.cert_name,
                        short_name=self.cert_short_name,
                        levels=self.cert_levels,
                    )
        except ValidationError as error:
            self.cert_errors = error.errors
            return
        name = self.cert_name.strip()
        self._clear_certificate_form()
        return [rx.toast.success(f"证书“{name}”已添加"), SubjectsState.load]

    @rx.event
    @shows_service_errors
    def download_template(self):
        with session_scope() as session:
            self.require_actor(session)
        return rx.download(
            data=subject_sheets.subject_template(), filename="考试科目导入模板.xlsx"
        )

    @rx.event
    @shows_service_errors
    async def import_file(self, files: list[rx.UploadFile]):
        self.import_summary = ""
        self.import_errors = []
        if not files:
            return rx.toast.error("请先选择要导入的 Excel 文件")
        upload = files[0]
        data = await upload.read()
        filename = upload.name or "科目.xlsx"
        try:
            with session_scope() as session:
                actor = self.require_actor(session)
                report = subject_sheets.import_subjects(
                    session, actor=actor, data=data, filename=filename
                )
        except ValidationError as error:
            return rx.toast.error(error.message)
        self.import_summary = (
            f"导入完成：新增 {report.added} 个，更新 {report.updated} 个，"
            f"失败 {report.failed} 行"
        )
        self.import_errors = [
            {
                "row": str(row.row_number),
                "code": row.code,
                "errors": "；".join(row.errors),
            }
            for row in report.rows
            if row.errors
        ]
        return [rx.clear_selected_files(IMPORT_UPLOAD_ID), SubjectsState.load]


def _subject_row(row) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row["code"]),
        rx.table.cell(row["name"]),
        rx.table.cell(row["mode"]),
        rx.table.cell(row["certificate"]),
        rx.table.cell(row["org"]),
        rx.table.cell(row["audience"]),
        rx.table.cell(row["status"]),
        rx.table.cell(
            rx.cond(
                SubjectsState.is_org,
                rx.button(
                    "编辑",
                    size="1",
                    variant="soft",
                    on_click=SubjectsState.open_edit(row),
                    id="edit-subject-" + row["code"],
                ),
            )
        ),
    )


def _subject_form() -> rx.Component:
    state = SubjectsState
    errors = state.field_errors
    return rx.card(
        rx.vstack(
            rx.text(
                rx.cond(state.editing_id > 0, "编辑科目", "新增科目"), weight="bold"
            ),
            rx.hstack(
                labelled(
                    "科目编号（6 位数字）",
                    rx.input(
                        value=state.code, on_change=state.set_code, id="subject-code"
                    ),
                    errors,
                    "code",
                    required=True,
                ),
                labelled(
                    "科目名称",
                    rx.input(
                        value=state.name, on_change=state.set_name, id="subject-name"
                    ),
                    errors,
                    "name",
                    required=True,
                ),
                labelled(
                    "考试方式",
                    native_select(
                        MODE_OPTIONS,
                        value=state.mode,
                        on_change=state.set_mode,
                        placeholder="请选择",
                        id="subject-mode",
                    ),
                    errors,
                    "mode",
                    required=True,
                ),
                labelled(
                    "考核证书",
                    native_select(
                        state.level_options,
                        value=state.level_id,
                        on_change=state.set_level_id,
                        placeholder="请选择证书和等级",
                        id="subject-level",
                    ),
                    errors,
                    "certificate_level_id",
                    required=True,
                ),
                labelled(
                    "参考对象",
                    rx.input(
                        value=state.audience,
                        on_change=state.set_audience,
                        id="subject-audience",
                        placeholder="所有考生 / 院校学生 / 社会学员",
                    ),
                    errors,
                    "audience",
                    required=True,
                ),
                rx.checkbox(
                    "启用",
                    checked=state.is_active,
                    on_change=state.set_is_active,
                    id="subject-active",
                ),
                wrap="wrap",
                align="end",
                spacing="3",
            ),
            rx.hstack(
                rx.button("保存", on_click=state.save_subject, id="save-subject"),
                rx.button("关闭", variant="soft", on_click=state.close_form),
            ),
        ),
        width="100%",
    )


def _certificate_card() -> rx.Component:
    state = SubjectsState
    return rx.card(
        rx.vstack(
            rx.text("本机构证书", weight="bold"),
            data_table(
                ["证书编号", "证书名称", "简称", "等级", "状态", "操作"],
                rx.foreach(
                    state.certificates,
                    lambda row: rx.table.row(
                        rx.table.cell(row["code"]),
                        rx.table.cell(row["name"]),
                        rx.table.cell(row["short_name"]),
                        rx.table.cell(row["levels"]),
                        rx.table.cell(row["status"]),
                        rx.table.cell(
                            rx.button(
                                "编辑",
                                size="1",
                                variant="soft",
                                on_click=state.edit_certificate(row),
                                id="edit-certificate-" + row["code"],
                            )
                        ),
                    ),
                ),
                id="certificate-table",
            ),
            rx.hstack(
                labelled(
                    "证书编号",
                    rx.input(
                        value=state.cert_code,
                        on_change=state.set_cert_code,
                        disabled=state.cert_editing_id > 0,
                        id="cert-code",
                    ),
                    state.cert_errors,
                    "code",
                ),
                labelled(
                    "证书名称",
                    rx.input(
                        value=state.cert_name,
                        on_change=state.set_cert_name,
                        id="cert-name",
                    ),
                    state.cert_errors,
                    "name",
                ),
                labelled(
                    "证书简称",
                    rx.input(
                        value=state.cert_short_name,
                        on_change=state.set_cert_short_name,
                        id="cert-short-name",
                    ),
                ),
                rx.vstack(
                    rx.hstack(
                        *[
                            rx.checkbox(
                                level,
                                checked=state.cert_levels.contains(level),
                                on_change=lambda _value, level=level: (
                                    state.toggle_cert_level(level)
                                ),
                            )
                            for level in LEVEL_NAMES
                        ]
                    ),
                    field_error(state.cert_errors, "levels"),
                ),
                rx.cond(
                    state.cert_editing_id > 0,
                    rx.checkbox(
                        "启用",
                        checked=state.cert_active,
                        on_change=state.set_cert_active,
                    ),
                ),
                rx.button(
                    rx.cond(state.cert_editing_id > 0, "保存证书", "添加证书"),
                    on_click=state.save_certificate,
                    id="save-certificate",
                ),
                rx.cond(
                    state.cert_editing_id > 0,
                    rx.button(
                        "取消", variant="soft", on_click=state.cancel_certificate_edit
                    ),
                ),
                wrap="wrap",
                align="end",
                spacing="3",
            ),
        ),
        width="100%",
    )


def _import_card() -> rx.Component:
    state = SubjectsState
    return rx.card(
        rx.vstack(
            rx.text("从 Excel 导入科目", weight="bold"),
            rx.hstack(
                rx.button(
                    "下载导入模板", variant="soft", on_click=state.download_template
                ),
                uploads.upload(
                    rx.button("选择文件", variant="outline", type="button"),
                    id=IMPORT_UPLOAD_ID,
                    max_files=1,
                    accept={
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": [
                            ".xlsx"
                        ],
                        "application/vnd.ms-excel": [".xls"],
                    },
                    no_drag=True,
                    border="none",
                    padding="0",
                ),
                rx.text(rx.selected_files(IMPORT_UPLOAD_ID).join(", "), size="2"),
                rx.button(
                    "导入",
                    on_click=state.import_file(
                        rx.upload_files(upload_id=IMPORT_UPLOAD_ID)
                    ),
                    id="import-subjects",
                ),
                align="center",
            ),
            rx.cond(
                state.import_summary != "",
                rx.text(state.import_summary, id="import-summary"),
            ),
            rx.cond(
                state.import_errors.length() > 0,
                data_table(
                    ["行号", "科目编号", "问题"],
                    rx.foreach(
                        state.import_errors,
                        lambda row: rx.table.row(
                            rx.table.cell(row["row"]),
                            rx.table.cell(row["code"]),
                            rx.table.cell(row["errors"]),
                        ),
                    ),
                    id="import-errors",
                ),
            ),
        ),
        width="100%",
    )


@page(
    routes.EXAM_SUBJECTS,
    "考试科目",
    roles=[Role.SCHOOL_HEAD, Role.SCHOOL_ADMIN, Role.ORG_ADMIN],
    on_load=SubjectsState.load,
    nav_label="考试科目",
    nav_group="考试管理",
    order=250,
)
def subjects_page() -> rx.Component:
    state = SubjectsState
    return rx.vstack(
        rx.cond(
            state.is_org,
            rx.vstack(
                _certificate_card(),
                _import_card(),
                rx.cond(state.form_open, _subject_form()),
                width="100%",
            ),
            rx.text(
                "各培训评价组织发布的证书考试科目。参考对象不是“所有考生”的科目，"
                "报考时须填写考生所属的参考对象类型。",
                color_scheme="gray",
                size="2",
            ),
        ),
        rx.hstack(
            rx.input(
                placeholder="科目编号、名称或证书",
                value=state.search,
                on_change=state.set_search,
                id="subject-search",
            ),
            rx.button("查询", variant="soft", on_click=state.search_subjects),
            rx.spacer(),
            rx.cond(
                state.is_org,
                rx.button("新增科目", on_click=state.open_new, id="new-subject"),
            ),
            width="100%",
        ),
        data_table(
            [
                "科目编号",
                "科目名称",
                "考试方式",
                "考核证书",
                "考核单位",
                "参考对象",
                "科目状态",
                "操作",
            ],
            rx.foreach(state.rows, _subject_row),
            id="subject-table",
        ),
        rx.hstack(
            rx.text(
                "共 ",
                state.total,
                " 个科目，第 ",
                state.page_number,
                "/",
                state.page_count,
                " 页",
                size="2",
            ),
            rx.button(
                "上一页",
                size="1",
                variant="soft",
                on_click=state.go_to_page(state.page_number - 1),
                disabled=state.page_number <= 1,
            ),
            rx.button(
                "下一页",
                size="1",
                variant="soft",
                on_click=state.go_to_page(state.page_number + 1),
                disabled=state.page_number >= state.page_count,
            ),
            align="center",
        ),
        width="100%",
    )
