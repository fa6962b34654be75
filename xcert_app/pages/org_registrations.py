"""The organisation's registrations: counts per school and subject, and the export."""

import reflex as rx

from xcert_app import routes
from xcert_app.components.imports import select_box
from xcert_app.components.page import page
from xcert_app.db import session_scope
from xcert_app.models.accounts import Role
from xcert_app.services import registration_lists
from xcert_app.services.registration_lists import RegistrationFilter
from xcert_app.spreadsheets import registrations as sheets
from xcert_app.state import SessionState, shows_service_errors


class OrgRegistrationsState(SessionState):
    """The organisation's view of registrations: counts per school and subject."""

    plans: list[dict[str, str]] = []
    plan_id: str = ""
    rows: list[dict[str, str]] = []

    @rx.event
    @shows_service_errors
    def set_plan(self, value: str):
        self.plan_id = value
        self._load_rows()

    @rx.event
    @shows_service_errors
    def load(self):
        with session_scope() as session:
            actor = self.current_actor(session)
            if actor is None or actor.role != Role.ORG_ADMIN:
                return
            self.plans = registration_lists.plan_choices(session, actor=actor)
        if self.plans and self.plan_id not in {p["value"] for p in self.plans}:
            self.plan_id = self.plans[0]["value"]
        self._load_rows()

    def _load_rows(self) -> None:
        if not self.plan_id:
            self.rows = []
            return
        with session_scope() as session:
            actor = self.require_actor(session)
            found = registration_lists.summary_by_school_and_subject(
                session, actor=actor, plan_id=int(self.plan_id)
            )
        self.rows = [
            {
                "school": row.school_name,
                "subject": f"{row.subject_code} {row.subject_name}",
                "level": row.level,
                "registered": str(row.registered),
                "paid": str(row.paid),
                "scheduled": str(row.scheduled),
                "total": str(row.registered + row.paid + row.scheduled),
            }
            for row in found
        ]

    @rx.event
    @shows_service_errors
    def export(self):
        with session_scope() as session:
            actor = self.require_actor(session)
            data = registration_lists.export_registrations(
                session,
                actor=actor,
                filters=RegistrationFilter(
                    plan_id=int(self.plan_id) if self.plan_id else None
                ),
            )
        return rx.download(
            data=data, filename="报考明细.xlsx", mime_type=sheets.XLSX_MEDIA_TYPE
        )


@page(
    routes.ORG_REGISTRATIONS,
    "报考统计",
    roles=[Role.ORG_ADMIN],
    on_load=OrgRegistrationsState.load,
    nav_label="报考统计",
    nav_group="考试管理",
    order=320,
)
def org_registrations_page() -> rx.Component:
    state = OrgRegistrationsState
    return rx.vstack(
        rx.hstack(
            select_box(
                state.plans,
                state.plan_id,
                state.set_plan,
                placeholder="考试计划",
                id="org-plan-select",
            ),
            rx.button("导出报考明细", on_click=state.export, variant="outline"),
            align="center",
        ),
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    *[
                        rx.table.column_header_cell(label)
                        for label in (
                            "院校",
                            "科目",
                            "等级",
                            "已报考",
                            "已缴费",
                            "已排考",
                            "合计",
                        )
                    ]
                )
            ),
            rx.table.body(
                rx.foreach(
                    state.rows,
                    lambda row: rx.table.row(
                        rx.table.cell(row["school"]),
                        rx.table.cell(row["subject"]),
                        rx.table.cell(row["level"]),
                        rx.table.cell(row["registered"]),
                        rx.table.cell(row["paid"]),
                        rx.table.cell(row["scheduled"]),
                        rx.table.cell(row["total"]),
                    ),
                )
            ),
            width="100%",
            id="summary-table",
        ),
        width="100%",
        spacing="4",
    )
