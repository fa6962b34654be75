"""Scheduling page: the organisation runs 排考; schools and the organisation see the
result by site, by room and per room, assign invigilators and download exam-day PDFs."""

import asyncio
import logging

import reflex as rx

from xcert_app import routes
from xcert_app.clock import format_beijing
from xcert_app.components.form_fields import pager
from xcert_app.components.links import link_parameters, plan_from_link
from xcert_app.components.page import page
from xcert_app.db import session_scope
from xcert_app.models.accounts import Role
from xcert_app.services import downloads, exam_documents, exam_views, scheduling
from xcert_app.services.errors import ServiceError, ValidationError
from xcert_app.state import (
    SessionState,
    download_kept_file,
    service_error_event,
    shows_service_errors,
)

logger = logging.getLogger(__name__)

PAGE_SIZE = 50
VIEW_ROLES = [Role.ORG_ADMIN, Role.SCHOOL_HEAD, Role.SCHOOL_ADMIN]


class ScheduleState(SessionState):
    """The chosen plan, the last run's report, one page of rows and the open room."""

    plans: list[dict[str, str]] = []
    plan_id: str = ""
    seed_text: str = ""
    running: bool = False
    progress: int = 0
    progress_label: str = ""
    run_summary: str = ""
    closed_reason: str = ""
    missing_rows: list[dict[str, str]] = []
    moved_rows: list[dict[str, str]] = []
    site_rows: list[dict[str, str]] = []
    room_rows: list[dict[str, str]] = []
    room_total: int = 0
    room_offset: int = 0
    without_invigilator: bool = False
    detail_header: dict[str, str] = {}
    detail_rows: list[dict[str, str]] = []
    room_id: str = ""
    session_id: str = ""
    can_assign: bool = False
    staff: list[dict[str, str]] = []
    chosen_invigilators: list[str] = []
    chosen_roving: list[str] = []
    duty_error: str = ""
    document_problems: list[str] = []
    batch_problems: list[str] = []

    @rx.var
    def is_org(self) -> bool:
        return self.role == Role.ORG_ADMIN.value

    @rx.event
    def set_seed_text(self, value: str):
        self.seed_text = value

    @rx.event
    @shows_service_errors
    def set_plan_id(self, value: str):
        self.plan_id = value
        self.room_offset = 0
        self._close_room()
        self._reload()

    @rx.event
    @shows_service_errors
    def set_without_invigilator(self, value: bool):
        self.without_invigilator = value
        self.room_offset = 0
        self._reload()

    @rx.event
    def open_page(self):
        """Load the page with the plan and room filter a link puts in the address.

        ``?plan=`` takes an exam plan's code, and ``?duty=missing`` lists only the
        rooms that still need an invigilator.
        """
        requested = link_parameters(self, "plan", "duty")
        if requested:
            if "plan" in requested:
                self.plan_id = plan_from_link(requested["plan"])
            self.without_invigilator = requested.get("duty") == "missing"
            self.room_offset = 0
        return ScheduleState.load

    @rx.event
    @shows_service_errors
    def load(self):
        with session_scope() as session:
            actor = self.current_actor(session)
            if actor is None or actor.role.value not in {r.value for r in VIEW_ROLES}:
                return
            plans = exam_views.visible_plans(session, actor=actor)
        self.plans = [
            {"value": str(plan["id"]), "label": f"{plan['code']} {plan['name']}"}
            for plan in plans
        ]
        if self.plans and self.plan_id not in {p["value"] for p in self.plans}:
            self.plan_id = self.plans[0]["value"]
        self._close_room()
        self._reload()

    def _close_room(self) -> None:
        self.room_id = self.session_id = ""
        self.detail_header = {}
        self.detail_rows = []
        self.document_problems = []

    def _reload(self) -> None:
        if not self.plan_id:
            return
        plan_id = int(self.plan_id)
        with session_scope() as session:
            actor = self.require_actor(session)
            if actor.role == Role.ORG_ADMIN:
                self._show_run(
                    scheduling.latest_run(session, actor=actor, plan_id=plan_id)
                )
                self.closed_reason = scheduling.scheduling_closed_reason(
                    session, actor=actor, plan_id=plan_id
                )
            sites = exam_views.sites_view(session, actor=actor, plan_id=plan_id)
            rooms, total = exam_views.rooms_view(
                session,
                actor=actor,
                plan_id=plan_id,
                without_invigilator=self.without_invigilator,
                offset=self.room_offset,
                limit=PAGE_SIZE,
            )
        self.site_rows = [_strings(row) for row in sites]
        self.room_rows = [_strings(row) for row in rooms]
        self.room_total = total

    def _show_run(self, run) -> None:
        if run is None:
            self.run_summary = "该计划尚未排考"
            self.missing_rows = []
            self.moved_rows = []
            return
        report = run.report
        state = "排考完成" if report.get("ok") else "座位不足，未做任何修改"
        self.run_summary = (
            f"{state}｜{format_beijing(run.finished_at)}｜随机种子 {run.seed}｜"
            f"安排 {report.get('placed_count', 0)} 人次，保持原座位 "
            f"{report.get('kept_count', 0)}，调整 {report.get('moved_count', 0)}"
        )
        self.missing_rows = [_strings(row) for row in report.get("missing", [])]
        self.moved_rows = [_strings(row) for row in report.get("moved", [])[:50]]

    @rx.event(background=True)
    async def run_schedule(self):
        """Run the scheduler for the chosen plan in a worker thread."""
        async with self:
            if self.running or not self.plan_id:
                return
            seed_text = self.seed_text.strip()
            if seed_text and not seed_text.isdigit():
                return rx.toast.error("随机种子须为非负整数，留空则自动生成")
            self.running = True
            self.progress = 10
            self.progress_label = "正在排考…"
            plan_id = int(self.plan_id)
            token = self.auth_token
        try:
            result = await asyncio.to_thread(
                _schedule_in_thread,
                token,
                plan_id,
                int(seed_text) if seed_text else None,
            )
        except ServiceError as error:
            async with self:
                self.running = False
                self.progress = 0
                self.progress_label = ""
            return service_error_event(self, error)
        async with self:
            self.running = False
            self.progress = 100
            self.progress_label = "排考完成" if result["ok"] else "座位不足"
            self._reload()
        if result["ok"]:
            return rx.toast.success(f"排考完成，随机种子 {result['seed']}")
        return rx.toast.error("座位不足，未做任何修改；请查看缺座明细")

    @rx.var
    def room_page(self) -> int:
        return self.room_offset // PAGE_SIZE + 1

    @rx.event
    @shows_service_errors
    def go_to_room_page(self, number: int):
        last = max(1, -(-self.room_total // PAGE_SIZE))
        self.room_offset = (min(max(1, number), last) - 1) * PAGE_SIZE
        self._reload()

    @rx.event
    @shows_service_errors
    def open_room(self, room_id: str, session_id: str):
        self.duty_error = ""
        self.document_problems = []
        self._load_room(room_id, session_id)

    def _load_room(self, room_id: str, session_id: str) -> None:
        self.room_id, self.session_id = room_id, session_id
        with session_scope() as session:
            actor = self.require_actor(session)
            detail = exam_views.room_detail(
                session,
                actor=actor,
                plan_id=int(self.plan_id),
                room_id=int(room_id),
                session_id=int(session_id),
            )
            self.can_assign = bool(detail.header["can_assign"])
            self.staff = (
                [_strings(row) for row in exam_views.staff_roster(session, actor=actor)]
                if self.can_assign
                else []
            )
            current = exam_views.current_duties(
                session, room_id=int(room_id), session_id=int(session_id)
            )
        self.detail_header = _strings(detail.header)
        self.detail_rows = [_strings(row) for row in detail.rows]
        self.chosen_invigilators = [str(i) for i in current[exam_views.INVIGILATOR]]
        self.chosen_roving = [str(i) for i in current[exam_views.ROVING]]

    @rx.event
    def toggle_invigilator(self, staff_id: str, checked: bool):
        self.chosen_invigilators = _toggled(self.chosen_invigilators, staff_id, checked)

    @rx.event
    def toggle_roving(self, staff_id: str, checked: bool):
        self.chosen_roving = _toggled(self.chosen_roving, staff_id, checked)

    @rx.event
    @shows_service_errors
    def save_duties(self):
        self.duty_error = ""
        try:
            with session_scope() as session:
                actor = self.require_actor(session)
                exam_views.assign_duties(
                    session,
                    actor=actor,
                    room_id=int(self.room_id),
                    session_id=int(self.session_id),
                    invigilator_ids=[int(i) for i in self.chosen_invigilators],
                    roving_ids=[int(i) for i in self.chosen_roving],
                )
        except ValidationError as error:
            self.duty_error = error.message
            return
        room_id, session_id = self.room_id, self.session_id
        self._reload()
        self._load_room(room_id, session_id)
        return rx.toast.success("监考安排已保存")

    @rx.event(background=True)
    async def download_room(self, kind: str):
        """Render one kind of document for the open room and hand it to the browser."""
        async with self:
            if self.running or not self.room_id:
                return
            self.running = True
            self.progress = 20
            self.progress_label = "正在生成 PDF…"
            args = (self.auth_token, int(self.plan_id), int(self.room_id))
            session_id = int(self.session_id)
        try:
            filename, data, problems = await asyncio.to_thread(
                _room_pdf_in_thread, *args, session_id, kind
            )
        except ServiceError as error:
            async with self:
                self.running = False
                self.progress = 0
                self.progress_label = ""
            return service_error_event(self, error)
        async with self:
            self.running = False
            self.progress = 100
            self.progress_label = f"已生成 {filename}"
            self.document_problems = problems
        return rx.download(data=data, filename=filename)

    @rx.event(background=True)
    async def download_batch(self, site_id: str):
        """Render every document of a site (or of the whole plan) with progress.

        The PDF is kept in storage and fetched over HTTP, because a whole plan is
        too large for one websocket message.
        """
        async with self:
            if self.running or not self.plan_id:
                return
            self.running = True
            self.progress = 0
            self.progress_label = "正在生成考场资料…"
            self.batch_problems = []
            token, plan_id = self.auth_token, int(self.plan_id)
        loop = asyncio.get_running_loop()
        done = {"value": 0}

        def progress(current: int, total: int) -> None:
            done["value"] = int(current * 100 / max(total, 1))

        task = loop.run_in_executor(
            None,
            _batch_pdf_in_thread,
            token,
            plan_id,
            int(site_id) if site_id else None,
            progress,
        )
        while not task.done():
            await asyncio.sleep(0.5)
            async with self:
                self.progress = done["value"]
        try:
            filename, file_id, problems = task.result()
        except ServiceError as error:
            async with self:
                self.running = False
                self.progress_label = ""
            return service_error_event(self, error)
        async with self:
            self.running = False
            self.progress = 100
            self.progress_label = f"已生成 {filename}"
            self.batch_problems = problems
            if problems:
                self.progress_label += f"，其中 {len(problems)} 份考生资料未生成"
        if problems:
            return [
                download_kept_file(file_id),
                rx.toast.warning(
                    f"{len(problems)} 份考生资料未生成，原因见页面上方",
                    duration=10000,
                ),
            ]
        return download_kept_file(file_id)


def _strings(row: dict) -> dict[str, str]:
    return {key: "" if value is None else str(value) for key, value in row.items()}


def _toggled(values: list[str], value: str, checked: bool) -> list[str]:
    rest = [item for item in values if item != value]
    return [*rest, value] if checked else rest


def _schedule_in_thread(token: str, plan_id: int, seed: int | None) -> dict:
    from xcert_app.services import accounts

    with session_scope() as session:
        actor = accounts.actor_for_token(session, token)
        result = scheduling.schedule_plan(
            session, actor=actor, plan_id=plan_id, seed=seed
        )
    return {"ok": result.ok, "seed": result.seed}


def _room_pdf_in_thread(
    token: str, plan_id: int, room_id: int, session_id: int, kind: str
) -> tuple[str, bytes, list[str]]:
    from xcert_app.services import accounts

    with session_scope() as session:
        actor = accounts.actor_for_token(session, token)
        filename, document = exam_documents.room_documents(
            session,
            actor=actor,
            plan_id=plan_id,
            room_id=room_id,
            session_id=session_id,
            kind=kind,
        )
    return filename, document.data, document.problems


def _batch_pdf_in_thread(
    token: str, plan_id: int, site_id: int | None, progress
) -> tuple[str, int, list[str]]:
    from xcert_app.services import accounts

    with session_scope() as session:
        actor = accounts.actor_for_token(session, token)
        filename, document = exam_documents.batch_documents(
            session, actor=actor, plan_id=plan_id, site_id=site_id, progress=progress
        )
        kept = downloads.keep(
            session, actor=actor, data=document.data, filename=filename
        )
        return filename, kept.id, document.problems


def _table(headers: list[str], rows, cells, table_id: str) -> rx.Component:
    return rx.table.root(
        rx.table.header(
            rx.table.row(*[rx.table.column_header_cell(label) for label in headers])
        ),
        rx.table.body(rx.foreach(rows, lambda row: rx.table.row(*cells(row)))),
        width="100%",
        size="1",
        id=table_id,
    )


def _run_panel() -> rx.Component:
    state = ScheduleState
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.input(
                    placeholder="随机种子（留空自动生成）",
                    value=state.seed_text,
                    on_change=state.set_seed_text,
                    id="schedule-seed",
                    width="16rem",
                ),
                rx.button(
                    "开始排考",
                    on_click=state.run_schedule,
                    loading=state.running,
                    disabled=state.closed_reason != "",
                    id="run-schedule",
                ),
                align="center",
            ),
            rx.cond(
                state.closed_reason != "",
                rx.callout(
                    state.closed_reason,
                    color_scheme="orange",
                    size="1",
                    id="schedule-closed",
                ),
            ),
            rx.text(state.run_summary, size="2", id="run-summary"),
            rx.cond(
                state.missing_rows.length() > 0,
                _table(
                    ["考核站点", "考试科目", "场次", "缺少座位"],
                    state.missing_rows,
                    lambda row: [
                        rx.table.cell(row["site"]),
                        rx.table.cell(row["subject"]),
                        rx.table.cell(row["session"]),
                        rx.table.cell(row["missing"]),
                    ],
                    "missing-table",
                ),
            ),
            rx.cond(
                state.moved_rows.length() > 0,
                rx.vstack(
                    rx.text("调整座位的考生", weight="bold", size="2"),
                    _table(
                        ["考生", "原座位", "新座位"],
                        state.moved_rows,
                        lambda row: [
                            rx.table.cell(row["name"]),
                            rx.table.cell(row["from"]),
                            rx.table.cell(row["to"]),
                        ],
                        "moved-table",
                    ),
                    width="100%",
                ),
            ),
            width="100%",
        ),
        width="100%",
    )


def _sites_tab() -> rx.Component:
    state = ScheduleState
    table = _table(
        ["考核站点", "所属院校", "地址", "使用考场", "考生人次", "下载"],
        state.site_rows,
        lambda row: [
            rx.table.cell(row["site"]),
            rx.table.cell(row["school"]),
            rx.table.cell(row["address"]),
            rx.table.cell(row["rooms"]),
            rx.table.cell(row["candidates"]),
            rx.table.cell(
                rx.button(
                    "全部资料",
                    size="1",
                    variant="soft",
                    on_click=state.download_batch(row["site_id"]),
                    disabled=state.running,
                )
            ),
        ],
        "sites-table",
    )
    return rx.vstack(
        table,
        rx.cond(
            state.site_rows.length() == 0,
            rx.text(
                "暂无考点编排，排考后在此按考核站点查看",
                color_scheme="gray",
                size="2",
                id="sites-empty",
            ),
        ),
        width="100%",
    )


def _rooms_tab() -> rx.Component:
    state = ScheduleState
    return rx.vstack(
        rx.checkbox(
            "只看未安排监考的考场",
            checked=state.without_invigilator,
            on_change=state.set_without_invigilator,
            id="filter-without-invigilator",
        ),
        _table(
            ["场次", "考试科目", "考核站点", "考场", "监考", "巡考", "应考人数", ""],
            state.room_rows,
            lambda row: [
                rx.table.cell(row["session"]),
                rx.table.cell(row["subject"]),
                rx.table.cell(row["site"]),
                rx.table.cell(row["room"]),
                rx.table.cell(row["invigilators"]),
                rx.table.cell(row["roving"]),
                rx.table.cell(row["expected"]),
                rx.table.cell(
                    rx.button(
                        "查看",
                        size="1",
                        on_click=state.open_room(row["room_id"], row["session_id"]),
                        id="open-room-" + row["room_id"] + "-" + row["session_id"],
                        class_name="open-room",
                    )
                ),
            ],
            "rooms-table",
        ),
        rx.cond(
            state.room_total == 0,
            rx.text(
                rx.cond(
                    state.plan_id == "",
                    "暂无考场编排，请先选择考试计划",
                    "暂无考场编排：该计划尚未排考，或没有符合筛选条件的考场",
                ),
                color_scheme="gray",
                size="2",
                id="rooms-empty",
            ),
        ),
        pager(
            page_number=state.room_page,
            total=state.room_total,
            page_size=PAGE_SIZE,
            go_to_page=state.go_to_room_page,
        ),
        width="100%",
    )


def _duty_editor() -> rx.Component:
    state = ScheduleState
    return rx.card(
        rx.vstack(
            rx.text("安排监考与巡考（本校在职人员）", weight="bold", size="2"),
            rx.cond(
                state.staff.length() == 0,
                rx.text("本校人员名单为空，请先在人员管理中添加。", size="2"),
            ),
            rx.foreach(
                state.staff,
                lambda person: rx.hstack(
                    rx.text(person["name"], width="8rem", size="2"),
                    rx.checkbox(
                        "监考",
                        checked=state.chosen_invigilators.contains(person["id"]),
                        on_change=lambda checked: state.toggle_invigilator(
                            person["id"], checked
                        ),
                        id="invigilator-" + person["id"],
                    ),
                    rx.checkbox(
                        "巡考",
                        checked=state.chosen_roving.contains(person["id"]),
                        on_change=lambda checked: state.toggle_roving(
                            person["id"], checked
                        ),
                        id="roving-" + person["id"],
                    ),
                    spacing="4",
                ),
            ),
            rx.cond(
                state.duty_error != "",
                rx.text(
                    state.duty_error, color_scheme="red", size="1", id="duty-error"
                ),
            ),
            rx.button(
                "保存监考安排", size="2", on_click=state.save_duties, id="save-duties"
            ),
        ),
        width="100%",
    )


def _download_button(label: str, kind: str) -> rx.Component:
    return rx.button(
        label,
        size="2",
        variant="outline",
        on_click=ScheduleState.download_room(kind),
        disabled=ScheduleState.running,
        id=f"download-{kind}",
    )


def _detail() -> rx.Component:
    state = ScheduleState
    header = state.detail_header
    return rx.cond(
        state.room_id != "",
        rx.card(
            rx.vstack(
                rx.heading(header["site"] + " " + header["room"], size="4"),
                rx.grid(
                    rx.text("考试科目：" + header["subject"], size="2"),
                    rx.text("考试证书：" + header["certificate"], size="2"),
                    rx.text("考试时间：" + header["session"], size="2"),
                    rx.text("考场地址：" + header["address"], size="2"),
                    rx.text(
                        "监考老师：" + header["invigilators"],
                        size="2",
                        id="detail-invigilators",
                    ),
                    rx.text("巡考老师：" + header["roving"], size="2"),
                    rx.text("应考人数：" + header["expected"], size="2"),
                    columns="2",
                    spacing="2",
                    width="100%",
                ),
                _table(
                    [
                        "序号",
                        "学生姓名",
                        "身份证号码",
                        "准考证号",
                        "所属院校",
                        "座位号",
                    ],
                    state.detail_rows,
                    lambda row: [
                        rx.table.cell(row["index"]),
                        rx.table.cell(row["name"]),
                        rx.table.cell(row["masked_id"]),
                        rx.table.cell(row["ticket_number"]),
                        rx.table.cell(row["school"]),
                        rx.table.cell(row["seat"]),
                    ],
                    "detail-table",
                ),
                rx.hstack(
                    _download_button("导出准考证", "tickets"),
                    _download_button("下载考场门贴", "door"),
                    _download_button("下载考场桌贴", "desk"),
                    _download_button("下载考场签到表", "sign_in"),
                    wrap="wrap",
                ),
                rx.foreach(
                    state.document_problems,
                    lambda problem: rx.callout(
                        problem, color_scheme="orange", size="1"
                    ),
                ),
                rx.cond(state.can_assign, _duty_editor()),
                width="100%",
            ),
            width="100%",
            id="room-detail",
        ),
    )


@page(
    routes.EXAM_SCHEDULE,
    "排考管理",
    roles=VIEW_ROLES,
    on_load=ScheduleState.open_page,
    nav_label="排考管理",
    nav_group="考试管理",
    order=360,
)
def schedule_page() -> rx.Component:
    state = ScheduleState
    return rx.vstack(
        rx.hstack(
            rx.text("考试计划", size="2"),
            rx.select.root(
                rx.select.trigger(placeholder="请选择考试计划", id="plan-select"),
                rx.select.content(
                    rx.foreach(
                        state.plans,
                        lambda option: rx.select.item(
                            option["label"], value=option["value"]
                        ),
                    )
                ),
                value=state.plan_id,
                on_change=state.set_plan_id,
            ),
            rx.cond(
                state.is_org,
                rx.button(
                    "下载全部考场资料",
                    variant="soft",
                    on_click=state.download_batch(""),
                    disabled=state.running,
                    id="download-plan",
                ),
            ),
            align="center",
            wrap="wrap",
        ),
        rx.cond(
            state.progress_label != "",
            rx.hstack(
                rx.progress(value=state.progress, width="20rem", id="job-progress"),
                rx.text(state.progress_label, size="2", id="job-label"),
                align="center",
            ),
        ),
        rx.foreach(
            state.batch_problems,
            lambda problem: rx.callout(
                problem, color_scheme="orange", size="1", class_name="batch-problem"
            ),
        ),
        rx.cond(state.is_org, _run_panel()),
        rx.tabs.root(
            rx.tabs.list(
                rx.tabs.trigger("考场编排", value="rooms", id="tab-rooms"),
                rx.tabs.trigger("考点编排", value="sites", id="tab-sites"),
            ),
            rx.tabs.content(_rooms_tab(), value="rooms", padding_top="0.75rem"),
            rx.tabs.content(_sites_tab(), value="sites", padding_top="0.75rem"),
            default_value="rooms",
            width="100%",
        ),
        _detail(),
        width="100%",
    )
