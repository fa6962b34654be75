"""The organisation's payment settings and fee table."""

import reflex as rx

from xcert_app import routes
from xcert_app.components.page import page
from xcert_app.db import session_scope
from xcert_app.models.accounts import Role
from xcert_app.services import payments
from xcert_app.state import SessionState, shows_service_errors


class FeesState(SessionState):
    """The organisation's payment settings and fee table."""

    requires_payment: bool = False
    fee_basis: str = "subject"
    rows: list[dict[str, str]] = []
    inputs: dict[str, str] = {}

    @rx.event
    def set_requires_payment(self, value: bool):
        self.requires_payment = value

    @rx.event
    def set_fee_basis(self, value: str):
        self.fee_basis = value

    @rx.event
    def set_input(self, key: str, value: str):
        self.inputs[key] = value

    @rx.event
    @shows_service_errors
    def load(self):
        with session_scope() as session:
            actor = self.current_actor(session)
            if actor is None or actor.role != Role.ORG_ADMIN:
                return
            current = payments.payment_settings(session, actor=actor)
            found = payments.fee_table(session, actor=actor)
        self.requires_payment = bool(current["requires_payment"])
        self.fee_basis = str(current["fee_basis"])
        self.rows = [
            {
                "key": row.key,
                "certificate": row.certificate_name,
                "level": row.level,
                "subject": row.subject,
                "amount": row.amount,
            }
            for row in found
        ]
        self.inputs = {row.key: row.amount for row in found}

    @rx.event
    @shows_service_errors
    def save_settings(self):
        with session_scope() as session:
            actor = self.require_actor(session)
            payments.set_payment_settings(
                session,
                actor=actor,
                requires_payment=self.requires_payment,
                fee_basis=self.fee_basis,
            )
        return rx.toast.success("收费设置已保存")

    @rx.event
    @shows_service_errors
    def save_fee(self, key: str):
        with session_scope() as session:
            actor = self.require_actor(session)
            payments.set_fee(
                session, actor=actor, key=key, amount=self.inputs.get(key, "")
            )
        return [FeesState.load, rx.toast.success("收费标准已保存")]


def _fee_row(row) -> rx.Component:
    state = FeesState
    return rx.table.row(
        rx.table.cell(row["certificate"]),
        rx.table.cell(row["level"]),
        rx.table.cell(row["subject"]),
        rx.table.cell(
            rx.input(
                value=state.inputs[row["key"]],
                on_change=lambda value: state.set_input(row["key"], value),
                placeholder="未设置",
                width="8rem",
                id="fee-" + row["key"],
            )
        ),
        rx.table.cell(
            rx.button(
                "保存",
                size="1",
                variant="soft",
                on_click=state.save_fee(row["key"]),
                id="save-fee-" + row["key"],
            )
        ),
    )


@page(
    routes.ORG_FEES,
    "收费标准",
    roles=[Role.ORG_ADMIN],
    on_load=FeesState.load,
    nav_label="收费标准",
    nav_group="考试管理",
    order=335,
)
def fees_page() -> rx.Component:
    state = FeesState
    return rx.vstack(
        rx.card(
            rx.hstack(
                rx.switch(
                    checked=state.requires_payment,
                    on_change=state.set_requires_payment,
                    id="requires-payment",
                ),
                rx.text("要求院校在平台生成缴费申请单", size="2"),
                rx.select.root(
                    rx.select.trigger(id="fee-basis"),
                    rx.select.content(
                        rx.select.item("按证书收费", value="certificate"),
                        rx.select.item("按科目收费", value="subject"),
                    ),
                    value=state.fee_basis,
                    on_change=state.set_fee_basis,
                ),
                rx.button("保存设置", on_click=state.save_settings, id="save-settings"),
                align="center",
                spacing="3",
            ),
            width="100%",
        ),
        rx.text(
            "金额单位为元，最多两位小数；按证书收费时使用“整个等级”一行，"
            "按科目收费时使用各科目行。留空并保存即删除该项收费。",
            size="1",
            color_scheme="gray",
        ),
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    *[
                        rx.table.column_header_cell(label)
                        for label in ("证书", "等级", "科目", "金额（元）", "")
                    ]
                )
            ),
            rx.table.body(rx.foreach(state.rows, _fee_row)),
            width="100%",
            id="fee-table",
        ),
        width="100%",
        spacing="4",
    )
