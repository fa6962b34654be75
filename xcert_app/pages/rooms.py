"""Rooms per plan and approved site, copying from an earlier plan, and seats per mode."""

import reflex as rx

from xcert_app import routes
from xcert_app.clock import clock
from xcert_app.components.form_fields import (
    RegionMixin,
    data_table,
    labelled,
    native_select,
    region_picker,
)
from xcert_app.components.links import link_parameters, plan_from_link
from xcert_app.components.page import page
from xcert_app.db import session_scope
from xcert_app.models.accounts import Role
from xcert_app.models.catalogue import ExamMode
from xcert_app.models.sites import ExamSite
from xcert_app.services import catalogue, sites
from xcert_app.services.errors import ValidationError
from xcert_app.state import SessionState, shows_service_errors

MODE_OPTIONS = [
    {"value": mode.value, "label": mode.value + "考场"} for mode in ExamMode
]


class RoomsState(RegionMixin, SessionState):
    """The school's rooms for one plan and site, the room form and the copy preview."""

    plans: list[dict[str, str]] = []
    site_options: list[dict[str, str]] = []
    plan_id: str = ""
    site_id: str = ""
    rows: list[dict[str, str]] = []
    capacity: list[dict[str, str]] = []
    level_options: list[dict[str, str]] = []
    # Room form
    form_open: bool = False
    editing_id: int = 0
    name: str = ""
    mode: str = ""
    seats: str = ""
    address: str = ""
    level_ids: list[str] = []
    field_errors: dict[str, str] = {}
    # Copy from an earlier plan
    copy_source_id: str = ""
    copy_preview: list[dict[str, str]] = []

    @rx.var
    def copy_sources(self) -> list[dict[str, str]]:
        """Return the plans whose rooms can be copied, which are all but the chosen one."""
        return [plan for plan in self.plans if plan["value"] != self.plan_id]

    @rx.event
    def set_name(self, value: str):
        self.name = value

    @rx.event
    def set_mode(self, value: str):
        self.mode = value

    @rx.event
    def set_seats(self, value: str):
        self.seats = value

    @rx.event
    def set_address(self, value: str):
        self.address = value

    @rx.event
    def set_copy_source_id(self, value: str):
        self.copy_source_id = value
        self.copy_preview = []

    @rx.event
    def toggle_level(self, level_id: str, checked: bool):
        others = [item for item in self.level_ids if item != level_id]
        self.level_ids = [*others, level_id] if checked else others

    @rx.event
    def pick_plan(self, value: str):
        self.plan_id = value
        self.copy_preview = []
        self.form_open = False
        return RoomsState.refresh

    @rx.event
    def pick_site(self, value: str):
        self.site_id = value
        self.copy_preview = []
        self.form_open = False
        return RoomsState.refresh

    @rx.event
    def open_page(self):
        """Load the page with the plan a ``?plan=`` code in the address names."""
        requested = link_parameters(self, "plan")
        if requested:
            self.plan_id = plan_from_link(requested["plan"])
            self.form_open = False
            self.copy_preview = []
        return RoomsState.load

    @rx.event
    @shows_service_errors
    def load(self):
        with session_scope() as session:
            actor = self.current_actor(session)
            if actor is None or not actor.is_school:
                return
            approved = sites.approved_sites(session, actor=actor)
            self.site_options = [
                {"value": str(site.id), "label": site.name} for site in approved
            ]
            plans = sites.plans_for_rooms(session, actor=actor)
            now = clock.now()
            self.plans = [
                {
                    "value": str(plan.id),
                    "label": f"{plan.code} {plan.name}（{catalogue.plan_window_status(plan, now)}）",
                }
                for plan in plans
            ]
            self.load_provinces(session)
            if self.plan_id not in {plan["value"] for plan in self.plans}:
                self.plan_id = self.plans[0]["value"] if self.plans else ""
            if not self.site_id and self.site_options:
                self.site_id = self.site_options[0]["value"]
        return RoomsState.refresh

    @rx.event
    @shows_service_errors
    def refresh(self):
        self.rows, self.capacity, self.level_options = [], [], []
        if not self.plan_id:
            return
        with session_scope() as session:
            actor = self.require_actor(session)
            plan_id = int(self.plan_id)
            found = sites.list_rooms(
                session,
                actor=actor,
                plan_id=plan_id,
                site_id=int(self.site_id) if self.site_id else None,
            )
            self.rows = [
                {
                    "id": str(row.id),
                    "site": row.site_name,
                    "name": row.name,
                    "mode": row.mode,
                    "seats": str(row.seats),
                    "address": row.address,
                    "certificates": "、".join(row.certificates),
                    "warning": row.warning,
                }
                for row in found
            ]
            self.capacity = [
                {
                    "mode": row.mode,
                    "candidates": str(row.candidates),
                    "seats": str(row.seats),
                    "shortfall": str(row.shortfall),
                }
                for row in sites.capacity_by_mode(session, actor=actor, plan_id=plan_id)
            ]
            if self.site_id:
                allowed = set(
                    sites.site_level_ids(session, int(self.site_id))
                ) & catalogue.plan_level_ids(session, plan_id)
                labels = catalogue.level_labels(session, sorted(allowed))
                self.level_options = [
                    {"value": str(level_id), "label": label}
                    for level_id, label in sorted(labels.items(), key=lambda i: i[1])
                ]

    @rx.event
    @shows_service_errors
    def open_new(self):
        if not self.plan_id or not self.site_id:
            return rx.toast.error("请先选择考试计划和考核站点")
        self.editing_id = 0
        self.name = self.seats = ""
        self.mode = ""
        self.level_ids = [option["value"] for option in self.level_options]
        self.field_errors = {}
        with session_scope() as session:
            site = session.get(ExamSite, int(self.site_id))
            self.set_region(
                session, site.province_code, site.city_code, site.district_code
            )
            self.address = site.address
        self.form_open = True

    @rx.event
    @shows_service_errors
    def open_edit(self, room_id: str):
        with session_scope() as session:
            actor = self.require_actor(session)
            room, level_ids = sites.get_room_for_edit(
                session, actor=actor, room_id=int(room_id)
            )
            self.editing_id = room.id
            self.name, self.mode, self.seats = room.name, room.mode, str(room.seats)
            self.address = room.address
            self.level_ids = [str(level_id) for level_id in level_ids]
            self.set_region(
                session, room.province_code, room.city_code, room.district_code
            )
        self.field_errors = {}
        self.form_open = True

    @rx.event
    def close_form(self):
        self.form_open = False

    @rx.event
    @shows_service_errors
    def save(self):
        self.field_errors = {}
        data = sites.RoomInput(
            plan_id=int(self.plan_id) if self.plan_id else None,
            site_id=int(self.site_id) if self.site_id else None,
            name=self.name,
            mode=self.mode,
            seats=int(self.seats) if self.seats.strip().isdigit() else None,
            province_code=self.province_code,
            city_code=self.city_code,
            district_code=self.district_code,
            address=self.address,
            certificate_level_ids=[int(level_id) for level_id in self.level_ids],
        )
        try:
            with session_scope() as session:
                actor = self.require_actor(session)
                if self.editing_id:
                    result = sites.update_room(
                        session, actor=actor, room_id=self.editing_id, data=data
                    )
                else:
                    result = sites.create_room(session, actor=actor, data=data)
                name, warnings = result.room.name, result.warnings
        except ValidationError as error:
            self.field_errors = error.errors
            return rx.toast.error(error.message)
        self.form_open = False
        events = [rx.toast.success(f"考场“{name}”已保存"), RoomsState.refresh]
        events += [rx.toast.warning(warning) for warning in warnings]
        return events

    @rx.event
    @shows_service_errors
    def delete(self, room_id: str):
        with session_scope() as session:
            actor = self.require_actor(session)
            sites.delete_room(session, actor=actor, room_id=int(room_id))
        return [rx.toast.success("考场已删除"), RoomsState.refresh]

    @rx.event
    @shows_service_errors
    def preview_copy(self):
        if not (self.copy_source_id and self.plan_id and self.site_id):
            return rx.toast.error("请选择要沿用的考试计划")
        with session_scope() as session:
            actor = self.require_actor(session)
            preview = sites.preview_room_copy(
                session,
                actor=actor,
                source_plan_id=int(self.copy_source_id),
                target_plan_id=int(self.plan_id),
                site_id=int(self.site_id),
            )
        self.copy_preview = [
            {
                "name": row.name,
                "mode": row.mode,
                "seats": str(row.seats),
                "address": row.address,
                "action": "复制" if row.will_copy else "跳过",
                "note": row.note,
            }
            for row in preview
        ]
        if not preview:
            return rx.toast.info("所选计划在该站点下没有考场")

    @rx.event
    @shows_service_errors
    def confirm_copy(self):
        with session_scope() as session:
            actor = self.require_actor(session)
            copied = sites.copy_rooms(
                session,
                actor=actor,
                source_plan_id=int(self.copy_source_id),
                target_plan_id=int(self.plan_id),
                site_id=int(self.site_id),
            )
        self.copy_preview = []
        self.copy_source_id = ""
        return [rx.toast.success(f"已复制 {copied} 个考场"), RoomsState.refresh]


def _room_row(row) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row["site"]),
        rx.table.cell(row["name"]),
        rx.table.cell(row["mode"]),
        rx.table.cell(row["seats"]),
        rx.table.cell(row["address"]),
        rx.table.cell(row["certificates"]),
        rx.table.cell(
            rx.cond(
                row["warning"] != "",
                rx.text(row["warning"], color_scheme="amber", size="1"),
            )
        ),
        rx.table.cell(
            rx.hstack(
                rx.button(
                    "编辑",
                    size="1",
                    variant="soft",
                    on_click=RoomsState.open_edit(row["id"]),
                ),
                rx.button(
                    "删除",
                    size="1",
                    variant="soft",
                    color_scheme="red",
                    on_click=RoomsState.delete(row["id"]),
                ),
            )
        ),
    )


def _room_form() -> rx.Component:
    state = RoomsState
    errors = state.field_errors
    return rx.card(
        rx.vstack(
            rx.text(
                rx.cond(state.editing_id > 0, "编辑考场", "设置考场"), weight="bold"
            ),
            rx.hstack(
                labelled(
                    "考场名称",
                    rx.input(
                        value=state.name,
                        on_change=state.set_name,
                        placeholder="如 107 室、13 号机房",
                        id="room-name",
                    ),
                    errors,
                    "name",
                    required=True,
                ),
                labelled(
                    "考场类型",
                    native_select(
                        MODE_OPTIONS,
                        value=state.mode,
                        on_change=state.set_mode,
                        placeholder="请选择",
                        id="room-mode",
                    ),
                    errors,
                    "mode",
                    required=True,
                ),
                labelled(
                    "考场座位数（1–500）",
                    rx.input(
                        value=state.seats,
                        on_change=state.set_seats,
                        type="number",
                        min=1,
                        max=500,
                        id="room-seats",
                    ),
                    errors,
                    "seats",
                    required=True,
                ),
                wrap="wrap",
                spacing="3",
            ),
            labelled(
                "考场地址", region_picker(state, id_prefix="room"), errors, "region"
            ),
            labelled(
                "详细地址（尽量精确到门牌号）",
                rx.input(
                    value=state.address,
                    on_change=state.set_address,
                    width="32rem",
                    id="room-address",
                ),
                errors,
                "address",
                required=True,
            ),
            labelled(
                "考试的证书",
                rx.hstack(
                    rx.foreach(
                        state.level_options,
                        lambda option: rx.checkbox(
                            option["label"],
                            checked=state.level_ids.contains(option["value"]),
                            on_change=lambda checked: state.toggle_level(
                                option["value"], checked
                            ),
                        ),
                    ),
                    wrap="wrap",
                ),
                errors,
                "certificates",
            ),
            rx.text(
                "设置考场和座位数时，要充分考虑本次考试需要考试的人数，尽量准备充足。",
                size="1",
                color_scheme="gray",
            ),
            rx.hstack(
                rx.button("关闭", variant="soft", on_click=state.close_form),
                rx.button("保存", on_click=state.save, id="save-room"),
            ),
        ),
        width="100%",
    )


def _copy_card() -> rx.Component:
    state = RoomsState
    return rx.card(
        rx.vstack(
            rx.text("沿用之前的考场设置", weight="bold"),
            rx.hstack(
                native_select(
                    state.copy_sources,
                    value=state.copy_source_id,
                    on_change=state.set_copy_source_id,
                    placeholder="选择之前的考试计划",
                    id="copy-source",
                ),
                rx.button(
                    "预览",
                    variant="soft",
                    on_click=state.preview_copy,
                    id="preview-copy",
                ),
            ),
            rx.cond(
                state.copy_preview.length() > 0,
                rx.vstack(
                    data_table(
                        ["考场名称", "类型", "座位数", "地址", "处理", "说明"],
                        rx.foreach(
                            state.copy_preview,
                            lambda row: rx.table.row(
                                rx.table.cell(row["name"]),
                                rx.table.cell(row["mode"]),
                                rx.table.cell(row["seats"]),
                                rx.table.cell(row["address"]),
                                rx.table.cell(row["action"]),
                                rx.table.cell(row["note"]),
                            ),
                        ),
                        id="copy-preview",
                    ),
                    rx.button(
                        "确认复制", on_click=state.confirm_copy, id="confirm-copy"
                    ),
                    width="100%",
                ),
            ),
            width="100%",
        ),
        width="100%",
    )


@page(
    routes.EXAM_ROOMS,
    "考场管理",
    roles=[Role.SCHOOL_HEAD, Role.SCHOOL_ADMIN],
    on_load=RoomsState.open_page,
    nav_label="考场管理",
    nav_group="考试管理",
    order=265,
)
def rooms_page() -> rx.Component:
    state = RoomsState
    return rx.vstack(
        rx.hstack(
            labelled(
                "考试计划",
                native_select(
                    state.plans,
                    value=state.plan_id,
                    on_change=state.pick_plan,
                    placeholder="请选择",
                    id="room-plan",
                    # Wide enough for the longest label, so its status (报名中) shows.
                    width="auto",
                ),
            ),
            labelled(
                "站点名称",
                native_select(
                    state.site_options,
                    value=state.site_id,
                    on_change=state.pick_site,
                    placeholder="请选择",
                    id="room-site",
                    width="20rem",
                ),
            ),
            rx.spacer(),
            rx.button("设置考场", on_click=state.open_new, id="new-room"),
            align="end",
            width="100%",
        ),
        rx.cond(
            state.site_options.length() == 0,
            rx.callout(
                "本校还没有审核通过的考核站点，请先在“申报考点”中申报，或向培训评价组织申请借考。",
                icon="info",
            ),
        ),
        data_table(
            ["考试方式", "已报考人数", "考场座位数", "座位缺口"],
            rx.foreach(
                state.capacity,
                lambda row: rx.table.row(
                    rx.table.cell(row["mode"]),
                    rx.table.cell(row["candidates"]),
                    rx.table.cell(row["seats"]),
                    rx.table.cell(
                        rx.cond(
                            row["shortfall"] != "0",
                            rx.text(
                                row["shortfall"], color_scheme="red", weight="bold"
                            ),
                            rx.text("0"),
                        )
                    ),
                    id="capacity-" + row["mode"],
                ),
            ),
            id="capacity-table",
        ),
        rx.cond(state.form_open, _room_form()),
        data_table(
            [
                "站点",
                "考场名称",
                "类型",
                "座位数",
                "地址",
                "考试的证书",
                "提醒",
                "操作",
            ],
            rx.foreach(state.rows, _room_row),
            id="room-table",
        ),
        _copy_card(),
        width="100%",
        spacing="4",
    )
