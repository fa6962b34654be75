"""Reviewer pages: the province's declaration plans and the review list."""

import logging

import reflex as rx

from xcert_app import routes
from xcert_app.clock import clock, format_beijing
from xcert_app.components.form_fields import pager
from xcert_app.components.links import link_parameters, pick
from xcert_app.components.page import page
from xcert_app.db import session_scope
from xcert_app.models.accounts import Role
from xcert_app.models.declarations import DeclarationStatus
from xcert_app.services import declarations
from xcert_app.services.errors import Conflict, ValidationError
from xcert_app.state import SessionState, shows_service_errors

logger = logging.getLogger(__name__)

PAGE_SIZE = 20
REVIEW_FILTERS = [
    ("todo", "待我审核"),
    ("all", "全部"),
    ("approved", "审核通过"),
    ("rejected", "审核不通过"),
]


# ------------------------------------------------------------------ plans


class PlansState(SessionState):
    """The province's plans and the create/edit form."""

    plans: list[dict[str, str]] = []
    editing_id: str = ""
    batch_name: str = ""
    year: str = ""
    opens_on: str = ""
    closes_on: str = ""
    by_major: bool = False
    needs_city_review: bool = False
    field_errors: dict[str, str] = {}
    close_id: str = ""
    close_batch: str = ""
    close_open: bool = False

    @rx.event
    @shows_service_errors
    def load(self):
        with session_scope() as session:
            actor = self.current_actor(session)
            if actor is None or actor.role != Role.PROVINCE_REVIEWER:
                return
            self.plans = [
                {
                    "id": str(plan.id),
                    "batch": plan.batch_name,
                    "year": str(plan.year),
                    "window": declarations.plan_window_text(plan),
                    "opens_on": format_beijing(plan.opens_at, "%Y-%m-%d"),
                    "closes_on": format_beijing(plan.closes_at, "%Y-%m-%d"),
                    "by_major": "是" if plan.by_major else "否",
                    "city": "是" if plan.needs_city_review else "否",
                    "phase": declarations.plan_phase(plan),
                    "phase_label": declarations.PHASE_LABELS[
                        declarations.plan_phase(plan)
                    ],
                }
                for plan in declarations.list_plans(session, actor=actor)
            ]
        if not self.editing_id and not self.year:
            self.year = str(clock.today().year)

    @rx.event
    def set_batch_name(self, value: str):
        self.batch_name = value

    @rx.event
    def set_year(self, value: str):
        self.year = value

    @rx.event
    def set_opens_on(self, value: str):
        self.opens_on = value

    @rx.event
    def set_closes_on(self, value: str):
        self.closes_on = value

    @rx.event
    def set_by_major(self, value: bool):
        self.by_major = value

    @rx.event
    def set_needs_city_review(self, value: bool):
        self.needs_city_review = value

    @rx.event
    def edit(self, plan_id: str):
        plan = next((row for row in self.plans if row["id"] == plan_id), None)
        if plan is None:
            return
        self.editing_id = plan_id
        self.batch_name = plan["batch"]
        self.year = plan["year"]
        self.opens_on = plan["opens_on"]
        self.closes_on = plan["closes_on"]
        self.by_major = plan["by_major"] == "是"
        self.needs_city_review = plan["city"] == "是"
        self.field_errors = {}

    @rx.event
    def cancel_edit(self):
        self.editing_id = self.batch_name = self.opens_on = self.closes_on = ""
        self.year = str(clock.today().year)
        self.by_major = self.needs_city_review = False
        self.field_errors = {}

    @rx.event
    @shows_service_errors
    def save(self):
        self.field_errors = {}
        form = declarations.PlanForm(
            batch_name=self.batch_name,
            year=self.year,
            opens_on=self.opens_on,
            closes_on=self.closes_on,
            by_major=self.by_major,
            needs_city_review=self.needs_city_review,
        )
        try:
            with session_scope() as session:
                actor = self.require_actor(session)
                if self.editing_id:
                    declarations.update_plan(
                        session, actor=actor, plan_id=int(self.editing_id), form=form
                    )
                else:
                    declarations.create_plan(session, actor=actor, form=form)
        except ValidationError as error:
            self.field_errors = error.errors
            return
        message = "申报计划已修改" if self.editing_id else "申报计划已发布"
        return [rx.toast.success(message), PlansState.cancel_edit, PlansState.load]

    @rx.event
    def ask_close(self, plan_id: str):
        plan = next((row for row in self.plans if row["id"] == plan_id), None)
        if plan is None:
            return
        self.close_id = plan_id
        self.close_batch = plan["batch"]
        self.close_open = True

    @rx.event
    def set_close_open(self, value: bool):
        self.close_open = value

    @rx.event
    @shows_service_errors
    def close(self):
        """Close the plan chosen in the confirmation dialog."""
        self.close_open = False
        with session_scope() as session:
            declarations.close_plan(
                session, actor=self.require_actor(session), plan_id=int(self.close_id)
            )
        return [rx.toast.success("申报计划已关闭"), PlansState.load]


def _plan_error(name: str) -> rx.Component:
    return rx.cond(
        PlansState.field_errors.contains(name),
        rx.text(
            PlansState.field_errors[name],
            color_scheme="red",
            size="1",
            id=f"{name}-error",
        ),
    )


def _plan_field(label: str, control: rx.Component, name: str) -> rx.Component:
    return rx.vstack(rx.text(label, size="2"), control, _plan_error(name), spacing="1")


def plan_form() -> rx.Component:
    state = PlansState
    return rx.card(
        rx.vstack(
            rx.text(
                rx.cond(state.editing_id != "", "修改申报计划", "发布新的申报计划"),
                weight="bold",
            ),
            rx.hstack(
                _plan_field(
                    "申报批次",
                    rx.input(
                        value=state.batch_name,
                        on_change=state.set_batch_name,
                        placeholder="例如 2026年第一次",
                        id="plan-batch",
                    ),
                    "batch_name",
                ),
                _plan_field(
                    "年度",
                    rx.input(
                        value=state.year,
                        on_change=state.set_year,
                        id="plan-year",
                        width="6rem",
                    ),
                    "year",
                ),
                _plan_field(
                    "开始日期（00:00 起）",
                    rx.input(
                        type="date",
                        value=state.opens_on,
                        on_change=state.set_opens_on,
                        id="plan-opens",
                    ),
                    "opens_on",
                ),
                _plan_field(
                    "结束日期（23:59:59 止）",
                    rx.input(
                        type="date",
                        value=state.closes_on,
                        on_change=state.set_closes_on,
                        id="plan-closes",
                    ),
                    "closes_on",
                ),
                wrap="wrap",
                spacing="4",
            ),
            rx.hstack(
                rx.checkbox(
                    "要求按专业填报",
                    checked=state.by_major,
                    on_change=state.set_by_major,
                    id="plan-by-major",
                ),
                rx.checkbox(
                    "需要地市级教育局审批",
                    checked=state.needs_city_review,
                    on_change=state.set_needs_city_review,
                    id="plan-city-review",
                ),
                spacing="5",
            ),
            rx.hstack(
                rx.button(
                    rx.cond(state.editing_id != "", "保存修改", "发布"),
                    on_click=state.save,
                    id="save-plan",
                ),
                rx.cond(
                    state.editing_id != "",
                    rx.button(
                        "取消",
                        variant="soft",
                        color_scheme="gray",
                        on_click=state.cancel_edit,
                    ),
                ),
            ),
            spacing="3",
        ),
        width="100%",
    )


def _plan_row(plan) -> rx.Component:
    return rx.table.row(
        rx.table.cell(plan["batch"]),
        rx.table.cell(plan["year"]),
        rx.table.cell(plan["window"]),
        rx.table.cell(plan["by_major"]),
        rx.table.cell(plan["city"]),
        rx.table.cell(rx.badge(plan["phase_label"])),
        rx.table.cell(
            rx.hstack(
                rx.cond(
                    plan["phase"] == "not_started",
                    rx.button(
                        "修改",
                        size="1",
                        variant="soft",
                        on_click=PlansState.edit(plan["id"]),
                    ),
                ),
                rx.cond(
                    plan["phase"] != "ended",
                    rx.button(
                        "关闭",
                        size="1",
                        color_scheme="red",
                        variant="soft",
                        on_click=PlansState.ask_close(plan["id"]),
                        id="close-plan-" + plan["id"],
                    ),
                ),
            )
        ),
    )


def close_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("关闭申报计划「", PlansState.close_batch, "」？"),
            rx.alert_dialog.description(
                "关闭后学校不能再新增、修改或提交该批次的申报，且不能重新开放；"
                "已提交的申报仍可继续审核。"
            ),
            rx.hstack(
                rx.alert_dialog.cancel(
                    rx.button("取消", variant="soft", color_scheme="gray")
                ),
                rx.alert_dialog.action(
                    rx.button(
                        "确认关闭",
                        color_scheme="red",
                        on_click=PlansState.close,
                        id="confirm-close-plan",
                    )
                ),
                justify="end",
                spacing="3",
            ),
        ),
        open=PlansState.close_open,
        on_open_change=PlansState.set_close_open,
    )


@page(
    routes.DECLARATION_PLANS,
    "申报计划",
    roles=[Role.PROVINCE_REVIEWER],
    on_load=PlansState.load,
    nav_label="申报计划",
    nav_group="证书管理",
    order=110,
)
def plans_page() -> rx.Component:
    return rx.vstack(
        plan_form(),
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    *[
                        rx.table.column_header_cell(label)
                        for label in (
                            "申报批次",
                            "年度",
                            "申报时间（北京时间）",
                            "按专业填报",
                            "地市级审批",
                            "状态",
                            "操作",
                        )
                    ]
                )
            ),
            rx.table.body(rx.foreach(PlansState.plans, _plan_row)),
            width="100%",
            id="plan-list",
        ),
        close_dialog(),
        width="100%",
    )


# ------------------------------------------------------------------ review


class ReviewState(SessionState):
    """One page of declarations to review, the selection and the decision dialog."""

    detail: dict[str, str] = {}
    detail_open: bool = False

    group: str = "todo"
    rows: list[dict[str, str]] = []
    total: int = 0
    page_number: int = 1
    selected: list[str] = []
    is_province: bool = False
    dialog_open: bool = False
    decision: str = "approve"
    decision_id: str = ""
    decision_version: str = ""
    decision_title: str = ""
    decision_planned: str = ""
    approved_count: str = ""
    reason: str = ""
    field_errors: dict[str, str] = {}

    @rx.event
    @shows_service_errors
    def load(self):
        with session_scope() as session:
            actor = self.current_actor(session)
            if actor is None or actor.role not in (
                Role.CITY_REVIEWER,
                Role.PROVINCE_REVIEWER,
            ):
                return
            self.is_province = actor.role == Role.PROVINCE_REVIEWER
            found, self.total = declarations.list_for_review(
                session,
                actor=actor,
                group=self.group,
                limit=PAGE_SIZE,
                offset=(self.page_number - 1) * PAGE_SIZE,
            )
        todo = (
            DeclarationStatus.PENDING_PROVINCE
            if self.is_province
            else DeclarationStatus.PENDING_CITY
        )
        self.rows = [
            {
                "id": str(row.id),
                "version": str(row.version),
                "batch": row.batch_name,
                "school": row.school_name,
                "certificate": row.certificate_name,
                "planned": str(row.planned_count),
                "approved": ""
                if row.approved_count is None
                else str(row.approved_count),
                "status": row.status,
                "status_label": row.status_label,
                "reason": row.reject_reason,
                "submitted": row.submitted_at,
                "todo": "1" if row.status == todo else "",
                "evidence": "1" if row.has_evidence else "",
            }
            for row in found
        ]
        self.selected = []

    @rx.event
    def show_group(self, group: str):
        self.group = group
        self.page_number = 1
        return ReviewState.load

    @rx.event
    def open_page(self):
        """Load the page showing the group a ``?group=`` in the address names."""
        requested = link_parameters(self, "group")
        if requested:
            groups = {group for group, _label in REVIEW_FILTERS}
            self.group = pick(requested["group"], groups, "todo")
            self.page_number = 1
        return ReviewState.load

    @rx.event
    def go_to_page(self, number: int):
        self.page_number = max(1, number)
        return ReviewState.load

    @rx.event
    def toggle(self, declaration_id: str, checked: bool):
        if checked and declaration_id not in self.selected:
            self.selected.append(declaration_id)
        if not checked:
            self.selected = [item for item in self.selected if item != declaration_id]

    @rx.event
    def open_decision(self, declaration_id: str, decision: str):
        row = next((row for row in self.rows if row["id"] == declaration_id), None)
        if row is None:
            return
        self.decision = decision
        self.decision_id = row["id"]
        self.decision_version = row["version"]
        self.decision_title = f"{row['school']} · {row['certificate']}"
        self.decision_planned = row["planned"]
        self.approved_count = row["planned"]
        self.reason = ""
        self.field_errors = {}
        self.dialog_open = True

    @rx.event
    def set_dialog_open(self, value: bool):
        self.dialog_open = value

    @rx.event
    def set_approved_count(self, value: str):
        self.approved_count = value

    @rx.event
    def set_reason(self, value: str):
        self.reason = value

    @rx.event
    @shows_service_errors
    def decide(self):
        """Record the decision, or report that another reviewer decided first."""
        if not self.dialog_open:
            # A second click queued behind the first, which closed the dialog.
            return
        self.field_errors = {}
        try:
            with session_scope() as session:
                actor = self.require_actor(session)
                if self.decision == "approve":
                    declarations.approve_declaration(
                        session,
                        actor=actor,
                        declaration_id=int(self.decision_id),
                        version=int(self.decision_version),
                        approved_count=self.approved_count,
                    )
                else:
                    declarations.reject_declaration(
                        session,
                        actor=actor,
                        declaration_id=int(self.decision_id),
                        version=int(self.decision_version),
                        reason=self.reason,
                    )
        except ValidationError as error:
            self.field_errors = error.errors
            return
        except Conflict as error:
            logger.info(
                "decision on declaration %s lost to another reviewer", self.decision_id
            )
            self.dialog_open = False
            return [rx.toast.error(error.message), ReviewState.load]
        self.dialog_open = False
        message = "已审核通过" if self.decision == "approve" else "已审核不通过"
        return [rx.toast.success(message), ReviewState.load]

    @rx.event
    @shows_service_errors
    def bulk_approve(self):
        """Approve every selected row, the province at each row's planned count."""
        versions = {row["id"]: int(row["version"]) for row in self.rows}
        items = [
            (int(item), versions[item]) for item in self.selected if item in versions
        ]
        with session_scope() as session:
            result = declarations.bulk_approve(
                session, actor=self.require_actor(session), items=items
            )
        events = [
            rx.toast.success(f"已批量通过 {result.approved} 条"),
            ReviewState.load,
        ]
        if result.skipped:
            events.insert(1, rx.toast.warning("未处理：" + "；".join(result.skipped)))
        return events

    @rx.event
    @shows_service_errors
    def open_detail(self, declaration_id: str):
        """Show what the school declared: majors, teachers, venues and evidence."""
        with session_scope() as session:
            found = declarations.get_declaration(
                session,
                actor=self.require_actor(session),
                declaration_id=int(declaration_id),
            )
        declaration = found.declaration
        self.detail = {
            "id": str(declaration.id),
            "certificate": found.certificate_name,
            "planned": str(declaration.planned_count),
            "majors": "、".join(name for _major_id, name in found.majors)
            or "（未填写）",
            "teachers": declaration.teacher_description,
            "venues": declaration.venue_description,
            "evidence": found.evidence_name,
        }
        self.detail_open = True

    @rx.event
    def set_detail_open(self, value: bool):
        self.detail_open = value

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


def _review_row(row) -> rx.Component:
    state = ReviewState
    return rx.table.row(
        rx.table.cell(
            rx.cond(
                row["todo"] != "",
                rx.checkbox(
                    checked=state.selected.contains(row["id"]),
                    on_change=lambda checked: state.toggle(row["id"], checked),
                    id="select-" + row["id"],
                ),
            )
        ),
        rx.table.cell(row["batch"]),
        rx.table.cell(row["school"]),
        rx.table.cell(row["certificate"]),
        rx.table.cell(row["planned"]),
        rx.table.cell(row["approved"]),
        rx.table.cell(row["submitted"]),
        rx.table.cell(
            rx.vstack(
                rx.badge(row["status_label"], id="review-status-" + row["id"]),
                rx.cond(
                    row["reason"] != "",
                    rx.text(row["reason"], size="1", color_scheme="red"),
                ),
                spacing="1",
            )
        ),
        rx.table.cell(
            rx.hstack(
                rx.cond(
                    row["todo"] != "",
                    rx.fragment(
                        rx.button(
                            "通过",
                            size="1",
                            on_click=state.open_decision(row["id"], "approve"),
                            id="approve-" + row["id"],
                        ),
                        rx.button(
                            "不通过",
                            size="1",
                            color_scheme="red",
                            variant="soft",
                            on_click=state.open_decision(row["id"], "reject"),
                            id="reject-" + row["id"],
                        ),
                    ),
                ),
                rx.button(
                    "查看",
                    size="1",
                    variant="soft",
                    on_click=state.open_detail(row["id"]),
                    id="detail-" + row["id"],
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
            )
        ),
        id="review-row-" + row["id"],
    )


def _detail_line(label: str, value) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="1", color_scheme="gray"),
        rx.text(value, size="2", white_space="pre-wrap"),
        spacing="0",
        width="100%",
    )


def detail_dialog() -> rx.Component:
    state = ReviewState
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("申报详情"),
            rx.vstack(
                _detail_line("试点证书", state.detail["certificate"]),
                _detail_line("拟申报培训人数", state.detail["planned"]),
                _detail_line("拟申请的专业", state.detail["majors"]),
                _detail_line("师资情况", state.detail["teachers"]),
                _detail_line("场地情况", state.detail["venues"]),
                rx.cond(
                    state.detail["evidence"] != "",
                    rx.button(
                        "下载佐证材料：" + state.detail["evidence"],
                        variant="soft",
                        size="1",
                        on_click=state.download_evidence(state.detail["id"]),
                    ),
                ),
                rx.dialog.close(rx.button("关闭", variant="soft")),
                spacing="3",
                id="declaration-detail",
            ),
        ),
        open=state.detail_open,
        on_open_change=state.set_detail_open,
    )


def _review_error(name: str) -> rx.Component:
    return rx.cond(
        ReviewState.field_errors.contains(name),
        rx.text(
            ReviewState.field_errors[name],
            color_scheme="red",
            size="1",
            id=f"{name}-error",
        ),
    )


def decision_dialog() -> rx.Component:
    state = ReviewState
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(
                rx.cond(state.decision == "approve", "审核通过", "审核不通过")
            ),
            rx.dialog.description(state.decision_title),
            rx.vstack(
                rx.cond(
                    state.decision == "approve",
                    rx.cond(
                        state.is_province,
                        rx.vstack(
                            rx.text(
                                "批准培训人数（1 到 ",
                                state.decision_planned,
                                "）",
                                size="2",
                            ),
                            rx.input(
                                value=state.approved_count,
                                on_change=state.set_approved_count,
                                id="approved-count",
                            ),
                            _review_error("approved_count"),
                            spacing="1",
                        ),
                        rx.text("通过后将提交省级教育行政部门审核。", size="2"),
                    ),
                    rx.vstack(
                        rx.text("不通过的原因（学校据此修改）", size="2"),
                        rx.text_area(
                            value=state.reason,
                            on_change=state.set_reason,
                            id="reject-reason",
                            width="100%",
                        ),
                        _review_error("reason"),
                        spacing="1",
                        width="100%",
                    ),
                ),
                rx.hstack(
                    rx.dialog.close(
                        rx.button("取消", variant="soft", color_scheme="gray")
                    ),
                    rx.button("确定", on_click=state.decide, id="confirm-decision"),
                    justify="end",
                    width="100%",
                ),
                spacing="3",
                padding_top="0.75rem",
            ),
        ),
        open=state.dialog_open,
        on_open_change=state.set_dialog_open,
    )


@page(
    routes.DECLARATION_REVIEW,
    "证书试点申报审核",
    roles=[Role.CITY_REVIEWER, Role.PROVINCE_REVIEWER],
    on_load=ReviewState.open_page,
    nav_label="申报审核",
    nav_group="证书管理",
    order=115,
)
def review_page() -> rx.Component:
    state = ReviewState
    return rx.vstack(
        detail_dialog(),
        rx.hstack(
            *[
                rx.button(
                    label,
                    size="1",
                    variant=rx.cond(state.group == group, "solid", "soft"),
                    on_click=state.show_group(group),
                    id=f"review-filter-{group}",
                )
                for group, label in REVIEW_FILTERS
            ],
            rx.spacer(),
            rx.button(
                "批量通过所选",
                size="2",
                on_click=state.bulk_approve,
                disabled=state.selected.length() == 0,
                id="bulk-approve",
            ),
            width="100%",
        ),
        rx.cond(
            state.is_province,
            rx.text(
                "批量通过时，批准培训人数等于拟申报人数；需要调整人数请逐条审核。",
                size="1",
                color_scheme="gray",
            ),
        ),
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    *[
                        rx.table.column_header_cell(label)
                        for label in (
                            "",
                            "申报批次",
                            "院校",
                            "证书名称",
                            "拟申报人数",
                            "批准人数",
                            "提交时间",
                            "状态",
                            "操作",
                        )
                    ]
                )
            ),
            rx.table.body(rx.foreach(state.rows, _review_row)),
            width="100%",
            id="review-table",
        ),
        rx.cond(state.total == 0, rx.text("暂无数据", color_scheme="gray")),
        pager(
            page_number=state.page_number,
            total=state.total,
            page_size=PAGE_SIZE,
            go_to_page=state.go_to_page,
        ),
        decision_dialog(),
        width="100%",
    )
