"""The school's registration page: list with filters, imports, deletions and templates."""

import asyncio
import logging

import reflex as rx

from xcert_app import routes
from xcert_app.components.imports import (
    ALL,
    read_upload,
    report_rows,
    report_table,
    select_box,
    upload_box,
)
from xcert_app.components.links import link_parameters, pick, plan_from_link
from xcert_app.components.page import page
from xcert_app.db import session_scope
from xcert_app.models.accounts import Role
from xcert_app.models.registrations import REGISTRATION_STATUS_LABELS
from xcert_app.services import registration_lists, registrations
from xcert_app.services.actor import SCHOOL_ROLES
from xcert_app.services.errors import LoginExpired, ServiceError
from xcert_app.services.registration_lists import RegistrationFilter
from xcert_app.services.registrations import ImportReport
from xcert_app.spreadsheets import registrations as sheets
from xcert_app.spreadsheets.registrations import ImportKind
from xcert_app.state import SessionState, service_error_event, shows_service_errors

logger = logging.getLogger(__name__)

PAGE_SIZE = 20
IMPORT_CHOICES = {
    "certificate": "按证书批量导入报考",
    "subject": "按科目批量导入报考",
    "delete": "批量删除报考",
}
TEMPLATES = {
    "certificate": ("按证书报考模板.xlsx", ImportKind.CERTIFICATE, False),
    "subject": ("按科目报考模板.xlsx", ImportKind.SUBJECT, False),
    "delete": ("删除报考模板.xlsx", ImportKind.SUBJECT, True),
}


def template_download(choice: str):
    """Return the download event of one of the three templates."""
    filename, kind, for_delete = TEMPLATES[choice]
    return rx.download(
        data=sheets.template(kind, for_delete=for_delete),
        filename=filename,
        mime_type=sheets.XLSX_MEDIA_TYPE,
    )


class RegistrationsState(SessionState):
    """One page of the school's registrations, the filters and the last import report."""

    plans: list[dict[str, str]] = []
    plan_id: str = ""
    window_text: str = ""
    certificates: list[dict[str, str]] = []
    subjects: list[dict[str, str]] = []
    certificate_id: str = ALL
    subject_id: str = ALL
    status: str = ALL
    search: str = ""
    rows: list[dict[str, str]] = []
    total: int = 0
    counts: dict[str, int] = {}
    page_number: int = 1
    import_choice: str = "certificate"
    all_or_nothing: bool = False
    importing: bool = False
    report_summary: str = ""
    report_rows: list[dict[str, str]] = []
    _upload_data: bytes = b""
    _upload_name: str = ""

    @rx.var
    def page_count(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))

    @rx.event
    def set_import_choice(self, value: str):
        self.import_choice = value

    @rx.event
    def set_all_or_nothing(self, value: bool):
        self.all_or_nothing = value

    @rx.event
    def set_search(self, value: str):
        self.search = value

    @rx.event
    @shows_service_errors
    def set_plan(self, value: str):
        self.plan_id = value
        self.certificate_id = self.subject_id = ALL
        self._load_choices()
        self.page_number = 1
        self._load_rows()

    @rx.event
    @shows_service_errors
    def set_certificate(self, value: str):
        self.certificate_id = value
        self.subject_id = ALL
        self._load_choices()
        self.page_number = 1
        self._load_rows()

    @rx.event
    @shows_service_errors
    def set_subject(self, value: str):
        self.subject_id = value
        self.page_number = 1
        self._load_rows()

    @rx.event
    @shows_service_errors
    def set_status(self, value: str):
        self.status = value
        self.page_number = 1
        self._load_rows()

    @rx.event
    @shows_service_errors
    def apply_search(self):
        self.page_number = 1
        self._load_rows()

    @rx.event
    @shows_service_errors
    def turn_page(self, step: int):
        self.page_number = min(max(1, self.page_number + step), self.page_count)
        self._load_rows()

    @rx.event
    def open_page(self):
        """Load the page with the plan and status a link puts in the address.

        ``?plan=`` takes an exam plan's code and ``?status=`` a registration status;
        either one clears the other filters.
        """
        requested = link_parameters(self, "plan", "status")
        if requested:
            if "plan" in requested:
                self.plan_id = plan_from_link(requested["plan"])
            statuses = {status.value for status in REGISTRATION_STATUS_LABELS}
            self.status = pick(requested.get("status", ""), statuses, ALL)
            self.certificate_id = self.subject_id = ALL
            self.search = ""
            self.page_number = 1
        return RegistrationsState.load

    @rx.event
    @shows_service_errors
    def load(self):
        with session_scope() as session:
            actor = self.current_actor(session)
            if actor is None or actor.role not in SCHOOL_ROLES:
                return
            self.plans = registration_lists.plan_choices(session, actor=actor)
        if self.plans and self.plan_id not in {p["value"] for p in self.plans}:
            self.plan_id = self.plans[0]["value"]
        self.report_summary = ""
        self.report_rows = []
        self._load_choices()
        self._load_rows()

    def _filters(self) -> RegistrationFilter:
        def chosen(value: str) -> int | None:
            return int(value) if value not in ("", ALL) else None

        return RegistrationFilter(
            plan_id=chosen(self.plan_id),
            certificate_id=chosen(self.certificate_id),
            subject_id=chosen(self.subject_id),
            status="" if self.status == ALL else self.status,
            search=self.search,
        )

    def _load_choices(self) -> None:
        plan = next((p for p in self.plans if p["value"] == self.plan_id), None)
        self.window_text = plan["window"] if plan else ""
        if plan is None:
            self.certificates = self.subjects = []
            return
        with session_scope() as session:
            found = registration_lists.subject_choices(
                session, plan_id=int(self.plan_id)
            )
        names = {str(info.certificate_id): info.certificate_name for info in found}
        self.certificates = [{"value": k, "label": v} for k, v in names.items()]
        self.subjects = [
            {
                "value": str(info.subject_id),
                "label": f"{info.code} {info.name}（{info.level}）",
            }
            for info in found
            if self.certificate_id == ALL
            or str(info.certificate_id) == self.certificate_id
        ]

    def _load_rows(self) -> None:
        with session_scope() as session:
            actor = self.require_actor(session)
            result = registration_lists.list_registrations(
                session,
                actor=actor,
                filters=self._filters(),
                offset=(self.page_number - 1) * PAGE_SIZE,
                limit=PAGE_SIZE,
            )
        self.total = result.total
        self.counts = result.status_counts
        self.rows = [
            {
                "name": row.candidate_name,
                "id_number": row.id_number,
                "kind": row.candidate_kind,
                "certificate": row.certificate_name,
                "level": row.level,
                "subject_code": row.subject_code,
                "subject_name": row.subject_name,
                "status": row.status_label,
                "at": row.registered_at,
            }
            for row in result.rows
        ]

    @rx.event
    def download_template(self, choice: str):
        return template_download(choice if choice in TEMPLATES else "certificate")

    @rx.event
    @shows_service_errors
    def export(self):
        with session_scope() as session:
            actor = self.require_actor(session)
            data = registration_lists.export_registrations(
                session, actor=actor, filters=self._filters()
            )
        return rx.download(
            data=data, filename="报考信息.xlsx", mime_type=sheets.XLSX_MEDIA_TYPE
        )

    @rx.event
    @shows_service_errors
    async def handle_upload(self, files: list[rx.UploadFile]):
        if not files:
            # The browser rejected the file, and its toast already explains why.
            return
        if not self.plan_id:
            raise ServiceError("请先选择考试计划")
        self._upload_data, self._upload_name = await read_upload(files)
        self.importing = True
        self.report_summary = ""
        self.report_rows = []
        return RegistrationsState.run_import

    @rx.event(background=True)
    async def run_import(self):
        async with self:
            data, name = self._upload_data, self._upload_name
            self._upload_data = b""
            token, choice = self.auth_token, self.import_choice
            plan_id, all_or_nothing = int(self.plan_id), self.all_or_nothing
        try:
            report = await asyncio.to_thread(
                _run_import, token, choice, plan_id, data, name, all_or_nothing
            )
        except ServiceError as error:
            async with self:
                self.importing = False
            yield service_error_event(self, error)
            return
        async with self:
            self.importing = False
            self.report_summary = report.summary
            self.report_rows = report_rows(report)
            self._load_rows()
        yield rx.clear_selected_files("registration-upload")
        if report.applied:
            yield rx.toast.success(report.summary)
        else:
            yield rx.toast.warning(report.summary)


def _run_import(
    token: str,
    choice: str,
    plan_id: int,
    data: bytes,
    name: str,
    all_or_nothing: bool,
) -> ImportReport:
    from xcert_app.services import accounts

    with session_scope() as session:
        actor = accounts.actor_for_token(session, token)
        if actor is None:
            raise LoginExpired()
        if choice == "delete":
            return registrations.delete_registrations(
                session,
                actor=actor,
                plan_id=plan_id,
                data=data,
                file_name=name,
                all_or_nothing=all_or_nothing,
            )
        return registrations.import_registrations(
            session,
            actor=actor,
            plan_id=plan_id,
            data=data,
            file_name=name,
            kind=ImportKind(choice),
            all_or_nothing=all_or_nothing,
        )


def _status_badges() -> rx.Component:
    state = RegistrationsState
    return rx.hstack(
        rx.badge("共 ", state.total, " 条", size="2", id="registration-total"),
        *[
            rx.badge(
                label,
                " ",
                state.counts[status.value],
                color_scheme=color,
                size="2",
                id=f"count-{status.value}",
            )
            for (status, label), color in zip(
                REGISTRATION_STATUS_LABELS.items(),
                ("blue", "green", "purple"),
                strict=True,
            )
        ],
    )


def _import_card() -> rx.Component:
    state = RegistrationsState
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.radio_group.root(
                    rx.hstack(
                        *[
                            rx.radio_group.item(
                                label, value=value, id=f"choice-{value}"
                            )
                            for value, label in IMPORT_CHOICES.items()
                        ],
                        spacing="4",
                    ),
                    value=state.import_choice,
                    on_change=state.set_import_choice,
                ),
                rx.spacer(),
                # One button for the chosen import: a menu of the three templates
                # did not open again after its first download.
                rx.button(
                    "下载所选模板",
                    variant="soft",
                    on_click=state.download_template(state.import_choice),
                    title="下载与所选导入方式对应的 Excel 模板",
                    id="template-download",
                ),
                width="100%",
                align="center",
            ),
            rx.hstack(
                rx.switch(
                    checked=state.all_or_nothing,
                    on_change=state.set_all_or_nothing,
                    id="all-or-nothing",
                ),
                rx.text(
                    "全部通过才导入（关闭时：符合要求的行导入，其余列在下方）", size="2"
                ),
                align="center",
            ),
            upload_box("registration-upload", state.handle_upload, state.importing),
            report_table(state.report_summary, state.report_rows),
            rx.text(
                "报考和删除报考只能在考试计划的报考时间内进行；当前计划报考时间：",
                state.window_text,
                "（北京时间）",
                size="1",
                color_scheme="gray",
            ),
            width="100%",
        ),
        width="100%",
    )


def _filters() -> rx.Component:
    state = RegistrationsState
    return rx.hstack(
        select_box(
            state.plans,
            state.plan_id,
            state.set_plan,
            placeholder="考试计划",
            id="plan-select",
        ),
        select_box(
            state.certificates,
            state.certificate_id,
            state.set_certificate,
            placeholder="证书",
            id="certificate-select",
            all_label="全部证书",
        ),
        select_box(
            state.subjects,
            state.subject_id,
            state.set_subject,
            placeholder="科目",
            id="subject-select",
            all_label="全部科目",
        ),
        rx.select.root(
            rx.select.trigger(placeholder="报考状态", id="status-select"),
            rx.select.content(
                rx.select.item("全部状态", value=ALL),
                *[
                    rx.select.item(label, value=status.value)
                    for status, label in REGISTRATION_STATUS_LABELS.items()
                ],
            ),
            value=state.status,
            on_change=state.set_status,
        ),
        rx.input(
            placeholder="姓名或完整证件号码",
            value=state.search,
            on_change=state.set_search,
            id="registration-search",
        ),
        rx.button("查询", on_click=state.apply_search, variant="soft", id="search"),
        rx.button("导出", on_click=state.export, variant="outline", id="export"),
        wrap="wrap",
        align="center",
    )


HEADERS = (
    "姓名",
    "证件号码",
    "考生类型",
    "证书",
    "等级",
    "科目编码",
    "科目名称",
    "状态",
    "报考时间",
)


def registration_table(rows) -> rx.Component:
    return rx.table.root(
        rx.table.header(
            rx.table.row(*[rx.table.column_header_cell(label) for label in HEADERS])
        ),
        rx.table.body(
            rx.foreach(
                rows,
                lambda row: rx.table.row(
                    rx.table.cell(row["name"]),
                    rx.table.cell(row["id_number"]),
                    rx.table.cell(row["kind"]),
                    rx.table.cell(row["certificate"]),
                    rx.table.cell(row["level"]),
                    rx.table.cell(row["subject_code"]),
                    rx.table.cell(row["subject_name"]),
                    rx.table.cell(row["status"]),
                    rx.table.cell(row["at"]),
                ),
            )
        ),
        width="100%",
        id="registration-table",
    )


@page(
    routes.REGISTRATIONS,
    "报考管理",
    roles=[Role.SCHOOL_HEAD, Role.SCHOOL_ADMIN],
    on_load=RegistrationsState.open_page,
    nav_label="报考管理",
    nav_group="考试管理",
    order=300,
)
def registrations_page() -> rx.Component:
    state = RegistrationsState
    return rx.vstack(
        _import_card(),
        _filters(),
        _status_badges(),
        registration_table(state.rows),
        rx.hstack(
            rx.button(
                "上一页",
                on_click=state.turn_page(-1),
                variant="soft",
                size="1",
                disabled=state.page_number <= 1,
            ),
            rx.text(state.page_number, " / ", state.page_count, size="2"),
            rx.button(
                "下一页",
                on_click=state.turn_page(1),
                variant="soft",
                size="1",
                disabled=state.page_number >= state.page_count,
            ),
            align="center",
        ),
        width="100%",
        spacing="4",
    )
