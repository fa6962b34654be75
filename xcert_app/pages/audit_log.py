"""The operator's audit log: every change of state, searchable, read-only."""

import reflex as rx

from xcert_app import routes
from xcert_app.clock import format_beijing
from xcert_app.components.page import page
from xcert_app.db import session_scope
from xcert_app.models.accounts import Role
from xcert_app.services import audit
from xcert_app.state import SessionState, shows_service_errors

PAGE_SIZE = 50


class AuditLogState(SessionState):
    """One page of the audit log and its filters."""

    entries: list[dict[str, str]] = []
    text: str = ""
    action: str = ""
    page_number: int = 1
    total: int = 0

    @rx.var
    def page_count(self) -> int:
        return max(1, (self.total + PAGE_SIZE - 1) // PAGE_SIZE)

    @rx.event
    def set_text(self, value: str):
        self.text = value

    @rx.event
    def set_action(self, value: str):
        self.action = value

    @rx.event
    def search(self):
        self.page_number = 1
        return AuditLogState.load

    @rx.event
    def next_page(self):
        if self.page_number < self.page_count:
            self.page_number += 1
        return AuditLogState.load

    @rx.event
    def previous_page(self):
        if self.page_number > 1:
            self.page_number -= 1
        return AuditLogState.load

    @rx.event
    @shows_service_errors
    def load(self):
        with session_scope() as session:
            actor = self.current_actor(session)
            if actor is None or actor.role != Role.PLATFORM_ADMIN:
                return
            rows, self.total = audit.search(
                session,
                actor=actor,
                text=self.text,
                action=self.action,
                limit=PAGE_SIZE,
                offset=(self.page_number - 1) * PAGE_SIZE,
            )
        self.entries = [
            {
                "at": format_beijing(entry.at, "%Y-%m-%d %H:%M:%S"),
                "who": entry.account_name,
                "role": audit.role_label(entry.role),
                "action": entry.action,
                "action_label": audit.action_label(entry.action),
                "entity": audit.entity_label(entry.entity, entry.entity_id),
                "before": audit.format_values(entry.before),
                "after": audit.format_values(entry.after),
            }
            for entry in rows
        ]


def _action_cell(row) -> rx.Component:
    """Show the action's label, with its code underneath for searching the log."""
    return rx.vstack(
        rx.text(row["action_label"], size="2"),
        rx.text(row["action"], size="1", color_scheme="gray"),
        spacing="0",
    )


def _values_text(values) -> rx.Component:
    return rx.text(values, size="1", white_space="pre-line")


@page(
    routes.OPERATOR_AUDIT,
    "审计日志",
    roles=[Role.PLATFORM_ADMIN],
    on_load=AuditLogState.load,
    nav_label="审计日志",
    nav_group="系统管理",
    order=920,
)
def audit_log_page() -> rx.Component:
    state = AuditLogState
    return rx.vstack(
        rx.hstack(
            rx.input(
                placeholder="操作人、对象或编号",
                value=state.text,
                on_change=state.set_text,
                id="audit-text",
            ),
            rx.input(
                placeholder="操作（如 declaration.）",
                value=state.action,
                on_change=state.set_action,
            ),
            rx.button("查询", on_click=state.search, id="audit-search"),
            rx.text("共 " + state.total.to_string() + " 条", color_scheme="gray"),
        ),
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    *[
                        rx.table.column_header_cell(label)
                        for label in (
                            "时间",
                            "操作人",
                            "角色",
                            "操作",
                            "对象",
                            "修改前",
                            "修改后",
                        )
                    ]
                )
            ),
            rx.table.body(
                rx.foreach(
                    state.entries,
                    lambda row: rx.table.row(
                        rx.table.cell(row["at"]),
                        rx.table.cell(row["who"]),
                        rx.table.cell(row["role"]),
                        rx.table.cell(_action_cell(row)),
                        rx.table.cell(row["entity"]),
                        rx.table.cell(_values_text(row["before"])),
                        rx.table.cell(_values_text(row["after"])),
                    ),
                )
            ),
            width="100%",
            id="audit-table",
        ),
        rx.hstack(
            rx.button(
                "上一页",
                on_click=state.previous_page,
                variant="soft",
                disabled=state.page_number <= 1,
            ),
            rx.text(
                state.page_number.to_string() + " / " + state.page_count.to_string()
            ),
            rx.button(
                "下一页",
                on_click=state.next_page,
                variant="soft",
                disabled=state.page_number >= state.page_count,
            ),
        ),
        width="100%",
    )
