"""Payment order pages: the school's orders and the organisation's confirmation queue."""

import asyncio

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
from xcert_app.components.links import link_parameters, pick
from xcert_app.components.page import page
from xcert_app.db import session_scope
from xcert_app.models.accounts import Role
from xcert_app.models.registrations import OrderStatus
from xcert_app.pages.registrations import template_download
from xcert_app.services import accounts, payments, registration_lists
from xcert_app.services.actor import SCHOOL_ROLES
from xcert_app.services.errors import LoginExpired, ServiceError, ValidationError
from xcert_app.services.payments import ORDER_STATUS_LABELS
from xcert_app.services.registrations import ImportReport
from xcert_app.spreadsheets.registrations import ImportKind
from xcert_app.state import SessionState, service_error_event, shows_service_errors

PAGE_SIZE = 20
ORDER_HEADERS = (
    "申请单号",
    "院校",
    "考试计划",
    "方式",
    "条数",
    "金额（元）",
    "状态",
    "退回原因",
    "生成时间",
    "操作",
)


def _order_dicts(rows: list[payments.OrderRow]) -> list[dict[str, str]]:
    return [
        {
            "id": str(row.id),
            "number": row.number,
            "school": row.school_name,
            "plan": row.plan_code,
            "basis": row.basis_label,
            "lines": str(row.line_count),
            "amount": row.amount,
            "status": row.status,
            "status_label": row.status_label,
            "reason": row.reject_reason,
            "at": row.created_at,
            "version": str(row.version),
        }
        for row in rows
    ]


def _line_dicts(rows: list[payments.OrderLineRow]) -> list[dict[str, str]]:
    return [
        {
            "name": row.candidate_name,
            "id_number": row.id_number,
            "subject": row.subject,
            "amount": row.amount,
            "status": row.status_label,
        }
        for row in rows
    ]


def _order_table(rows, actions) -> rx.Component:
    return rx.table.root(
        rx.table.header(
            rx.table.row(
                *[rx.table.column_header_cell(label) for label in ORDER_HEADERS]
            )
        ),
        rx.table.body(
            rx.foreach(
                rows,
                lambda row: rx.table.row(
                    rx.table.cell(row["number"]),
                    rx.table.cell(row["school"]),
                    rx.table.cell(row["plan"]),
                    rx.table.cell(row["basis"]),
                    rx.table.cell(row["lines"]),
                    rx.table.cell(row["amount"]),
                    rx.table.cell(
                        rx.badge(
                            row["status_label"], id="order-status-" + row["number"]
                        )
                    ),
                    rx.table.cell(row["reason"]),
                    rx.table.cell(row["at"]),
                    rx.table.cell(actions(row)),
                ),
            )
        ),
        width="100%",
        id="order-table",
    )


def _lines_table(title, rows) -> rx.Component:
    return rx.cond(
        title != "",
        rx.card(
            rx.vstack(
                rx.text("申请单 ", title, " 明细", weight="bold"),
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            *[
                                rx.table.column_header_cell(label)
                                for label in (
                                    "姓名",
                                    "证件号码",
                                    "科目",
                                    "金额（元）",
                                    "报考状态",
                                )
                            ]
                        )
                    ),
                    rx.table.body(
                        rx.foreach(
                            rows,
                            lambda row: rx.table.row(
                                rx.table.cell(row["name"]),
                                rx.table.cell(row["id_number"]),
                                rx.table.cell(row["subject"]),
                                rx.table.cell(row["amount"]),
                                rx.table.cell(row["status"]),
                            ),
                        )
                    ),
                    width="100%",
                    id="order-lines",
                ),
                width="100%",
            ),
            width="100%",
        ),
    )


# ------------------------------------------------------------------ school side


class SchoolPaymentsState(SessionState):
    """The school's payment orders and the order import."""

    plans: list[dict[str, str]] = []
    plan_id: str = ""
    import_kind: str = ImportKind.SUBJECT.value
    all_or_nothing: bool = True
    importing: bool = False
    report_summary: str = ""
    report_rows: list[dict[str, str]] = []
    orders: list[dict[str, str]] = []
    lines_title: str = ""
    lines: list[dict[str, str]] = []
    _upload_data: bytes = b""
    _upload_name: str = ""

    @rx.event
    @shows_service_errors
    def set_plan(self, value: str):
        self.plan_id = value
        self._follow_fee_basis()
        self._load_orders()

    def _follow_fee_basis(self) -> None:
        plan = next((p for p in self.plans if p["value"] == self.plan_id), None)
        if plan and plan["fee_basis"]:
            self.import_kind = plan["fee_basis"]

    @rx.event
    def set_import_kind(self, value: str):
        self.import_kind = value

    @rx.event
    def set_all_or_nothing(self, value: bool):
        self.all_or_nothing = value

    @rx.event
    def download_template(self, choice: str):
        return template_download(choice)

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
        self._follow_fee_basis()
        self._load_orders()

    def _load_orders(self) -> None:
        with session_scope() as session:
            actor = self.require_actor(session)
            rows, _total = payments.list_orders(
                session,
                actor=actor,
                plan_id=int(self.plan_id) if self.plan_id else None,
                limit=100,
            )
        self.orders = _order_dicts(rows)

    @rx.event
    @shows_service_errors
    def show_lines(self, order_id: str, number: str):
        with session_scope() as session:
            actor = self.require_actor(session)
            found = payments.order_lines(session, actor=actor, order_id=int(order_id))
        self.lines_title = number
        self.lines = _line_dicts(found)

    @rx.event
    @shows_service_errors
    def delete_order(self, order_id: str, version: str):
        with session_scope() as session:
            actor = self.require_actor(session)
            payments.delete_order(
                session, actor=actor, order_id=int(order_id), version=int(version)
            )
        self.lines_title = ""
        self.lines = []
        self._load_orders()
        return rx.toast.success("缴费申请单已删除")

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
        return SchoolPaymentsState.run_import

    @rx.event(background=True)
    async def run_import(self):
        async with self:
            data, name = self._upload_data, self._upload_name
            self._upload_data = b""
            token, kind = self.auth_token, ImportKind(self.import_kind)
            plan_id, all_or_nothing = int(self.plan_id), self.all_or_nothing
        try:
            number, report = await asyncio.to_thread(
                _create_order, token, plan_id, data, name, kind, all_or_nothing
            )
        except ServiceError as error:
            async with self:
                self.importing = False
            yield service_error_event(self, error)
            return
        async with self:
            self.importing = False
            self.report_summary = (
                f"已生成缴费申请单 {number}。{report.summary}"
                if number
                else f"未生成缴费申请单。{report.summary}"
            )
            self.report_rows = report_rows(report)
            self._load_orders()
        yield rx.clear_selected_files("order-upload")


def _create_order(
    token: str,
    plan_id: int,
    data: bytes,
    name: str,
    kind: ImportKind,
    all_or_nothing: bool,
) -> tuple[str, ImportReport]:
    with session_scope() as session:
        actor = accounts.actor_for_token(session, token)
        if actor is None:
            raise LoginExpired()
        order, report = payments.create_order(
            session,
            actor=actor,
            plan_id=plan_id,
            data=data,
            file_name=name,
            kind=kind,
            all_or_nothing=all_or_nothing,
        )
        return (order.number if order else ""), report


def _school_actions(row) -> rx.Component:
    state = SchoolPaymentsState
    return rx.hstack(
        rx.button(
            "明细",
            size="1",
            variant="soft",
            on_click=state.show_lines(row["id"], row["number"]),
            id="lines-" + row["number"],
        ),
        rx.cond(
            row["status"] != OrderStatus.CONFIRMED.value,
            rx.button(
                "删除",
                size="1",
                color_scheme="red",
                variant="soft",
                on_click=state.delete_order(row["id"], row["version"]),
                id="delete-" + row["number"],
            ),
        ),
    )


@page(
    routes.PAYMENTS,
    "缴费管理",
    roles=[Role.SCHOOL_HEAD, Role.SCHOOL_ADMIN],
    on_load=SchoolPaymentsState.load,
    nav_label="缴费管理",
    nav_group="考试管理",
    order=310,
)
def school_payments_page() -> rx.Component:
    state = SchoolPaymentsState
    return rx.vstack(
        rx.card(
            rx.vstack(
                rx.hstack(
                    select_box(
                        state.plans,
                        state.plan_id,
                        state.set_plan,
                        placeholder="考试计划",
                        id="order-plan-select",
                    ),
                    rx.radio_group.root(
                        rx.hstack(
                            rx.radio_group.item(
                                "按报考证书生成",
                                value="certificate",
                                id="order-kind-certificate",
                            ),
                            rx.radio_group.item(
                                "按报考科目生成",
                                value="subject",
                                id="order-kind-subject",
                            ),
                            spacing="4",
                        ),
                        value=state.import_kind,
                        on_change=state.set_import_kind,
                    ),
                    rx.spacer(),
                    rx.button(
                        "按证书模板",
                        variant="soft",
                        on_click=state.download_template("certificate"),
                    ),
                    rx.button(
                        "按科目模板",
                        variant="soft",
                        on_click=state.download_template("subject"),
                    ),
                    width="100%",
                    align="center",
                    wrap="wrap",
                ),
                rx.hstack(
                    rx.switch(
                        checked=state.all_or_nothing,
                        on_change=state.set_all_or_nothing,
                        id="order-all-or-nothing",
                    ),
                    rx.text(
                        "全部通过才生成（关闭时：只把符合要求的行放入申请单）", size="2"
                    ),
                    align="center",
                ),
                upload_box("order-upload", state.handle_upload, state.importing),
                report_table(state.report_summary, state.report_rows),
                rx.text(
                    "金额按培训评价组织的收费标准计算；请按申请单号线下缴费，"
                    "组织确认收款后报考变为已缴费。已确认的申请单不能删除。",
                    size="1",
                    color_scheme="gray",
                ),
                width="100%",
            ),
            width="100%",
        ),
        _order_table(state.orders, _school_actions),
        _lines_table(state.lines_title, state.lines),
        width="100%",
        spacing="4",
    )


# ------------------------------------------------------------ organisation side


class OrgPaymentsState(SessionState):
    """Orders sent to the organisation, with confirm and reject."""

    status: str = OrderStatus.PENDING.value
    orders: list[dict[str, str]] = []
    total: int = 0
    lines_title: str = ""
    lines: list[dict[str, str]] = []
    rejecting_id: str = ""
    rejecting_number: str = ""
    rejecting_version: str = ""
    reason: str = ""
    reason_error: str = ""

    @rx.event
    @shows_service_errors
    def set_status(self, value: str):
        self.status = value
        self._load_orders()

    @rx.event
    def set_reason(self, value: str):
        self.reason = value

    @rx.event
    def open_page(self):
        """Load the page with the order status a ``?status=`` in the address names."""
        requested = link_parameters(self, "status")
        if requested:
            statuses = {status.value for status in OrderStatus}
            self.status = pick(requested["status"], statuses, OrderStatus.PENDING.value)
        return OrgPaymentsState.load

    @rx.event
    @shows_service_errors
    def load(self):
        with session_scope() as session:
            actor = self.current_actor(session)
            if actor is None or actor.role != Role.ORG_ADMIN:
                return
        self._load_orders()

    def _load_orders(self) -> None:
        with session_scope() as session:
            actor = self.require_actor(session)
            rows, self.total = payments.list_orders(
                session,
                actor=actor,
                status="" if self.status == ALL else self.status,
                limit=PAGE_SIZE * 5,
            )
        self.orders = _order_dicts(rows)

    @rx.event
    @shows_service_errors
    def show_lines(self, order_id: str, number: str):
        with session_scope() as session:
            actor = self.require_actor(session)
            found = payments.order_lines(session, actor=actor, order_id=int(order_id))
        self.lines_title = number
        self.lines = _line_dicts(found)

    @rx.event
    @shows_service_errors
    def confirm(self, order_id: str, version: str):
        with session_scope() as session:
            actor = self.require_actor(session)
            order = payments.confirm_order(
                session, actor=actor, order_id=int(order_id), version=int(version)
            )
            number = order.number
        self._load_orders()
        return rx.toast.success(f"已确认缴费申请单 {number}，相关报考已变为已缴费")

    @rx.event
    def start_reject(self, order_id: str, number: str, version: str):
        self.rejecting_id, self.rejecting_number = order_id, number
        self.rejecting_version = version
        self.reason = self.reason_error = ""

    @rx.event
    def cancel_reject(self):
        self.rejecting_id = ""

    @rx.event
    @shows_service_errors
    def reject(self):
        if not self.rejecting_id:
            # A second click queued behind the first, which closed the dialog.
            return
        try:
            with session_scope() as session:
                actor = self.require_actor(session)
                payments.reject_order(
                    session,
                    actor=actor,
                    order_id=int(self.rejecting_id),
                    version=int(self.rejecting_version),
                    reason=self.reason,
                )
        except ValidationError as error:
            self.reason_error = error.errors.get("reason", error.message)
            return
        number = self.rejecting_number
        self.rejecting_id = ""
        self._load_orders()
        return rx.toast.success(f"已退回缴费申请单 {number}")


def _org_actions(row) -> rx.Component:
    state = OrgPaymentsState
    return rx.hstack(
        rx.button(
            "明细",
            size="1",
            variant="soft",
            on_click=state.show_lines(row["id"], row["number"]),
            id="lines-" + row["number"],
        ),
        rx.cond(
            row["status"] == OrderStatus.PENDING.value,
            rx.hstack(
                rx.alert_dialog.root(
                    rx.alert_dialog.trigger(
                        rx.button(
                            "确认缴费",
                            size="1",
                            color_scheme="green",
                            id="confirm-" + row["number"],
                        ),
                    ),
                    rx.alert_dialog.content(
                        rx.alert_dialog.title("确认缴费申请单 ", row["number"]),
                        rx.alert_dialog.description(
                            "确认已收到 ",
                            row["school"],
                            " 的款项 ",
                            row["amount"],
                            " 元？确认后该单不能删除或退回，相关报考变为已缴费。",
                        ),
                        rx.flex(
                            rx.alert_dialog.cancel(
                                rx.button("取消", variant="soft", color_scheme="gray")
                            ),
                            rx.alert_dialog.action(
                                rx.button(
                                    "确认已收款",
                                    color_scheme="green",
                                    on_click=state.confirm(row["id"], row["version"]),
                                    id="confirm-order-" + row["number"],
                                )
                            ),
                            spacing="3",
                            justify="end",
                            margin_top="1rem",
                        ),
                    ),
                ),
                rx.button(
                    "退回",
                    size="1",
                    color_scheme="red",
                    variant="soft",
                    on_click=state.start_reject(
                        row["id"], row["number"], row["version"]
                    ),
                    id="reject-" + row["number"],
                ),
            ),
        ),
    )


def _reject_dialog() -> rx.Component:
    state = OrgPaymentsState
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("退回缴费申请单 ", state.rejecting_number),
            rx.vstack(
                rx.text_area(
                    placeholder="退回原因（学校将看到此原因）",
                    value=state.reason,
                    on_change=state.set_reason,
                    id="reject-reason",
                    width="100%",
                ),
                rx.cond(
                    state.reason_error != "",
                    rx.text(state.reason_error, color_scheme="red", size="1"),
                ),
                rx.hstack(
                    rx.button("取消", variant="soft", on_click=state.cancel_reject),
                    rx.button(
                        "确认退回",
                        color_scheme="red",
                        on_click=state.reject,
                        id="reject-submit",
                    ),
                    justify="end",
                    width="100%",
                ),
                width="100%",
            ),
        ),
        open=state.rejecting_id != "",
    )


STATUS_FILTER = [(ALL, "全部")] + [
    (status.value, label) for status, label in ORDER_STATUS_LABELS.items()
]


@page(
    routes.ORG_PAYMENTS,
    "缴费确认",
    roles=[Role.ORG_ADMIN],
    on_load=OrgPaymentsState.open_page,
    nav_label="缴费确认",
    nav_group="考试管理",
    order=330,
)
def org_payments_page() -> rx.Component:
    state = OrgPaymentsState
    return rx.vstack(
        rx.hstack(
            rx.select.root(
                rx.select.trigger(id="order-status-filter"),
                rx.select.content(
                    *[
                        rx.select.item(label, value=value)
                        for value, label in STATUS_FILTER
                    ]
                ),
                value=state.status,
                on_change=state.set_status,
            ),
            rx.badge("共 ", state.total, " 张"),
            align="center",
        ),
        _order_table(state.orders, _org_actions),
        _lines_table(state.lines_title, state.lines),
        _reject_dialog(),
        width="100%",
        spacing="4",
    )
