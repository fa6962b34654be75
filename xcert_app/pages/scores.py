"""Score pages: the organisation's import, edits and corrections, its per-site
statistics with a distribution chart, and the school's subject-score list."""

import asyncio
import logging

import reflex as rx

from xcert_app import routes
from xcert_app.components import uploads
from xcert_app.components.links import link_parameters, pick, plan_from_link
from xcert_app.components.page import page
from xcert_app.components.score_controls import (
    ALL,
    count_badges,
    data_table,
    option_select,
    pager,
    static_select,
)
from xcert_app.db import session_scope
from xcert_app.models.accounts import Role
from xcert_app.models.files import StoredFile
from xcert_app.services import accounts, score_lists, scores, storage
from xcert_app.services.actor import SCHOOL_ROLES, require_org
from xcert_app.services.errors import (
    AccessDenied,
    LoginExpired,
    NotFound,
    ServiceError,
    ValidationError,
)
from xcert_app.spreadsheets.scores import (
    MAX_FILE_BYTES,
    read_score_file,
    rows_xlsx,
    template_xlsx,
)
from xcert_app.state import SessionState, service_error_event, shows_service_errors

logger = logging.getLogger(__name__)

PAGE_SIZE = 20
STATUS_CHOICES = [
    (ALL, "全部状态"),
    ("scored", "已录入"),
    ("absent", "缺考"),
    ("disqualified", "违纪"),
    ("missing", "未录入"),
]
SCORE_COLUMNS = [
    ("plan_code", "考试计划"),
    ("candidate_name", "姓名"),
    ("id_number", "证件号码"),
    ("ticket_number", "准考证号"),
    ("school_name", "所属院校"),
    ("subject_code", "科目编码"),
    ("subject_name", "科目名称"),
    ("score", "成绩"),
    ("status", "状态"),
    ("entered_at", "录入时间"),
]
_UPLOAD_ID = "score-upload"


def _optional_id(value: str) -> int | None:
    return int(value) if value and value != ALL else None


class ScoreListState(SessionState):
    """Filters, counts and one page of a score list; shared by both list pages."""

    plans: list[dict[str, str]] = []
    subjects: list[dict[str, str]] = []
    plan_id: str = ""
    subject_id: str = ALL
    status: str = ALL
    search: str = ""
    rows: list[dict[str, str]] = []
    total: int = 0
    counts: dict[str, int] = {}
    offset: int = 0

    @rx.var
    def page_text(self) -> str:
        if self.total == 0:
            return "共 0 条"
        last = min(self.offset + PAGE_SIZE, self.total)
        return f"第 {self.offset + 1}–{last} 条，共 {self.total} 条"

    def _filters(self) -> score_lists.ScoreFilter:
        return score_lists.ScoreFilter(
            plan_id=_optional_id(self.plan_id),
            subject_id=_optional_id(self.subject_id),
            status="" if self.status == ALL else self.status,
            search=self.search,
        )

    def _load_options(self, session, actor) -> None:
        self.plans = score_lists.plan_options(session, actor=actor)
        known = {option["value"] for option in self.plans}
        if self.plan_id not in known:
            self.plan_id = self.plans[0]["value"] if self.plans else ""
            self.subject_id = ALL
        self.subjects = (
            score_lists.subject_options(session, actor=actor, plan_id=int(self.plan_id))
            if self.plan_id
            else []
        )

    def _load_rows(self, session, actor) -> None:
        found = score_lists.list_scores(
            session,
            actor=actor,
            filters=self._filters(),
            offset=self.offset,
            limit=PAGE_SIZE,
        )
        self.rows = found.rows
        self.total = found.total
        self.counts = found.counts

    @rx.event
    @shows_service_errors
    def load(self):
        with session_scope() as session:
            actor = self.current_actor(session)
            if actor is None:
                return
            try:
                self._load_options(session, actor)
            except AccessDenied:
                return
            self._load_rows(session, actor)

    def _apply_link(self) -> None:
        """Set the plan and status a link puts in the address.

        ``?plan=`` takes an exam plan's code and ``?status=`` a score status such as
        ``missing``. Either one clears the other filters. Each page calls this from
        its own ``open_page`` event, because Reflex 0.10 binds an event inherited
        from this class to this class, whose ``load`` is not the page's.
        """
        requested = link_parameters(self, "plan", "status")
        if requested:
            if "plan" in requested:
                self.plan_id = plan_from_link(requested["plan"])
            statuses = {value for value, _label in STATUS_CHOICES}
            self.status = pick(requested.get("status", ""), statuses, ALL)
            self.subject_id = ALL
            self.search = ""
            self.offset = 0

    @rx.event
    def set_plan_id(self, value: str):
        self.plan_id = value
        self.subject_id = ALL
        self.offset = 0
        return type(self).load

    @rx.event
    def set_subject_id(self, value: str):
        self.subject_id = value
        self.offset = 0
        return type(self).load

    @rx.event
    def set_status(self, value: str):
        self.status = value
        self.offset = 0
        return type(self).load

    @rx.event
    def set_search(self, value: str):
        self.search = value

    @rx.event
    def apply_search(self):
        self.offset = 0
        return type(self).load

    @rx.event
    def previous_page(self):
        self.offset = max(0, self.offset - PAGE_SIZE)
        return type(self).load

    @rx.event
    def next_page(self):
        if self.offset + PAGE_SIZE < self.total:
            self.offset += PAGE_SIZE
        return type(self).load

    @rx.event
    @shows_service_errors
    def export(self):
        with session_scope() as session:
            actor = self.require_actor(session)
            exported = score_lists.export_scores(
                session, actor=actor, filters=self._filters()
            )
        data = rows_xlsx("科目成绩", SCORE_COLUMNS, exported)
        return rx.download(data=data, filename="科目成绩.xlsx")


class ScoreEntryState(ScoreListState):
    """The organisation's score import, single edit and correction."""

    window_text: str = ""
    uploaded_name: str = ""
    import_reason: str = ""
    importing: bool = False
    progress: int = 0
    report_counts: dict[str, int] = {}
    report_rows: list[dict[str, str]] = []
    edit_open: bool = False
    edit_registration_id: str = ""
    edit_version: str = ""
    edit_title: str = ""
    edit_score: str = ""
    edit_reason: str = ""
    edit_errors: dict[str, str] = {}
    edit_history: list[dict[str, str]] = []
    _file_id: int | None = None

    @rx.event
    def open_page(self):
        """Load the page with the plan and status a link puts in the address."""
        self._apply_link()
        return ScoreEntryState.load

    @rx.event
    @shows_service_errors
    def load(self):
        with session_scope() as session:
            actor = self.current_actor(session)
            if actor is None or actor.role != Role.ORG_ADMIN:
                return
            self._load_options(session, actor)
            self.window_text = (
                scores.window_summary(session, actor=actor, plan_id=int(self.plan_id))
                if self.plan_id
                else "还没有考试计划"
            )
            self._load_rows(session, actor)

    @rx.event
    def set_import_reason(self, value: str):
        self.import_reason = value

    @rx.event
    def download_template(self):
        return rx.download(data=template_xlsx(), filename="成绩导入模板.xlsx")

    @rx.event
    @shows_service_errors
    async def handle_upload(self, files: list[rx.UploadFile]):
        """Keep the chosen file in storage; the import starts with the button."""
        if not files:
            return
        upload = files[0]
        data = await upload.read()
        name = upload.name or "成绩.xlsx"
        if len(data) > MAX_FILE_BYTES:
            return rx.toast.error(f"文件 {name} 超过 10 MB，请拆分后分批导入")
        # Reading it now rejects a file that is not a score sheet before it is stored.
        read_score_file(data, file_name=name)
        with session_scope() as session:
            actor = self.require_actor(session)
            require_org(actor)
            stored = storage.save_bytes(
                session,
                data=data,
                kind="score-import",
                content_type="application/octet-stream",
                organisation_id=actor.organisation_id,
                original_name=name,
            )
            self._file_id = stored.id
        self.uploaded_name = name
        self.report_rows = []
        self.report_counts = {}

    @rx.event(background=True)
    async def run_import(self):
        async with self:
            if self.importing or self._file_id is None or not self.plan_id:
                return rx.toast.error("请先选择考试计划和成绩文件")
            self.importing = True
            self.progress = 0
            token = self.auth_token
            file_id = self._file_id
            plan_id = int(self.plan_id)
            reason = self.import_reason
        done = {"count": 0, "total": 0}

        def work() -> dict:
            with session_scope() as session:
                actor = accounts.actor_for_token(session, token)
                if actor is None:
                    raise LoginExpired()
                stored = session.get(StoredFile, file_id)
                if stored is None or stored.organisation_id != actor.organisation_id:
                    raise NotFound("成绩文件不存在，请重新选择")
                rows = read_score_file(
                    storage.read_bytes(stored), file_name=stored.original_name
                )
                report = scores.import_scores(
                    session,
                    actor=actor,
                    plan_id=plan_id,
                    rows=rows,
                    reason=reason,
                    progress=lambda count, total: done.update(count=count, total=total),
                )
                return report.as_dict()

        task = asyncio.create_task(asyncio.to_thread(work))
        while not task.done():
            await asyncio.sleep(0.3)
            async with self:
                if done["total"]:
                    self.progress = done["count"] * 100 // done["total"]
        try:
            report = task.result()
        except ServiceError as error:
            async with self:
                self.importing = False
            return service_error_event(self, error)
        except Exception:
            logger.exception("score import of stored file %s failed", file_id)
            async with self:
                self.importing = False
            return rx.toast.error(
                "成绩导入失败，没有保存任何成绩；错误已记录，请联系平台运营"
            )
        async with self:
            self.importing = False
            self.progress = 100
            self._file_id = None
            self.uploaded_name = ""
            self.report_counts = {
                key: report[key]
                for key in (
                    "total",
                    "created",
                    "replaced",
                    "unchanged",
                    "refused_count",
                )
            }
            self.report_rows = [
                {"row": str(problem["row"]), "message": problem["message"]}
                for problem in report["refused"]
            ]
        return [
            ScoreEntryState.load,
            rx.toast.success(
                f"导入完成：新录入 {report['created']} 条，替换 {report['replaced']} 条，"
                f"拒绝 {report['refused_count']} 条"
            ),
        ]

    @rx.event
    @shows_service_errors
    def open_edit(self, registration_id: str):
        row = next(
            (item for item in self.rows if item["registration_id"] == registration_id),
            None,
        )
        if row is None:
            return
        with session_scope() as session:
            actor = self.require_actor(session)
            self.edit_history = scores.score_history(
                session, actor=actor, registration_id=int(registration_id)
            )
        self.edit_registration_id = registration_id
        self.edit_version = row["version"]
        self.edit_title = (
            f"{row['candidate_name']} · {row['subject_code']} {row['subject_name']}"
        )
        self.edit_score = row["score"]
        self.edit_reason = ""
        self.edit_errors = {}
        self.edit_open = True

    @rx.event
    def close_edit(self):
        self.edit_open = False

    @rx.event
    def set_edit_open(self, value: bool):
        self.edit_open = value

    @rx.event
    def set_edit_score(self, value: str):
        self.edit_score = value

    @rx.event
    def set_edit_reason(self, value: str):
        self.edit_reason = value

    @rx.event
    @shows_service_errors
    def save_edit(self):
        self.edit_errors = {}
        try:
            with session_scope() as session:
                actor = self.require_actor(session)
                scores.save_score(
                    session,
                    actor=actor,
                    registration_id=int(self.edit_registration_id),
                    score=self.edit_score,
                    reason=self.edit_reason,
                    expected_version=int(self.edit_version)
                    if self.edit_version
                    else None,
                )
        except ValidationError as error:
            self.edit_errors = error.errors
            return
        self.edit_open = False
        return [ScoreEntryState.load, rx.toast.success("成绩已保存")]


def _field_error(errors, name: str) -> rx.Component:
    return rx.cond(
        errors.contains(name),
        rx.text(errors[name], color_scheme="red", size="1", id=f"error-{name}"),
    )


def _filters(state) -> rx.Component:
    return rx.hstack(
        option_select(
            state.plans,
            state.plan_id,
            state.set_plan_id,
            element_id="plan-select",
            placeholder="考试计划",
            with_all=False,
        ),
        option_select(
            state.subjects,
            state.subject_id,
            state.set_subject_id,
            element_id="subject-select",
            placeholder="科目",
            with_all=True,
        ),
        static_select(
            STATUS_CHOICES, state.status, state.set_status, element_id="status-select"
        ),
        rx.input(
            placeholder="姓名、证件号码或准考证号",
            value=state.search,
            on_change=state.set_search,
            id="score-search",
            width="16rem",
        ),
        rx.button("查询", on_click=state.apply_search, variant="soft", id="search"),
        rx.button("导出", on_click=state.export, variant="outline", id="export-scores"),
        wrap="wrap",
        align="center",
    )


def _counts(state) -> rx.Component:
    return count_badges(
        [
            ("全部", state.counts.get("all", 0)),
            ("已录入", state.counts.get("scored", 0)),
            ("缺考", state.counts.get("absent", 0)),
            ("违纪", state.counts.get("disqualified", 0)),
            ("未录入", state.counts.get("missing", 0)),
        ],
        element_id="score-counts",
    )


def _import_card() -> rx.Component:
    state = ScoreEntryState
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.text("成绩导入", weight="bold"),
                rx.spacer(),
                rx.button(
                    "下载导入模板",
                    on_click=state.download_template,
                    variant="ghost",
                    size="1",
                ),
                width="100%",
            ),
            rx.text(state.window_text, size="2", color_scheme="gray", id="window-text"),
            rx.text(
                "每行一个考生一个科目：准考证号或证件号码、科目编码（6 位文本）、"
                "成绩（分数，或填写“缺考”“违纪”）。替换已有成绩须填写更正原因。",
                size="1",
                color_scheme="gray",
            ),
            rx.hstack(
                uploads.upload(
                    rx.button("选择成绩文件", variant="soft", type="button"),
                    id=_UPLOAD_ID,
                    max_files=1,
                    multiple=False,
                    max_size=MAX_FILE_BYTES,
                    on_drop=state.handle_upload(rx.upload_files(upload_id=_UPLOAD_ID)),
                    border="none",
                    padding="0",
                ),
                rx.text(state.uploaded_name, size="2", id="uploaded-name"),
                rx.input(
                    placeholder="更正原因（替换已有成绩时必填）",
                    value=state.import_reason,
                    on_change=state.set_import_reason,
                    id="import-reason",
                    width="18rem",
                ),
                rx.button(
                    "开始导入",
                    on_click=state.run_import,
                    loading=state.importing,
                    disabled=state.uploaded_name == "",
                    id="start-import",
                ),
                align="center",
                wrap="wrap",
            ),
            rx.cond(state.importing, rx.progress(value=state.progress, width="100%")),
            rx.cond(
                state.report_counts.contains("total"),
                rx.vstack(
                    count_badges(
                        [
                            ("共", state.report_counts["total"]),
                            ("新录入", state.report_counts["created"]),
                            ("替换", state.report_counts["replaced"]),
                            ("未变", state.report_counts["unchanged"]),
                            ("拒绝", state.report_counts["refused_count"]),
                        ],
                        element_id="import-counts",
                    ),
                    rx.cond(
                        state.report_rows.length() > 0,
                        data_table(
                            [("row", "行号"), ("message", "拒绝原因")],
                            state.report_rows,
                            element_id="import-report",
                        ),
                    ),
                    width="100%",
                ),
            ),
            width="100%",
        ),
        width="100%",
    )


def _edit_dialog() -> rx.Component:
    state = ScoreEntryState
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("修改成绩"),
            rx.text(state.edit_title, size="2"),
            rx.vstack(
                rx.input(
                    placeholder="分数，或“缺考”“违纪”",
                    value=state.edit_score,
                    on_change=state.set_edit_score,
                    id="edit-score",
                ),
                _field_error(state.edit_errors, "score"),
                rx.text_area(
                    placeholder="更正原因（修改已录入的成绩或公示期内更正时必填）",
                    value=state.edit_reason,
                    on_change=state.set_edit_reason,
                    id="edit-reason",
                ),
                _field_error(state.edit_errors, "reason"),
                rx.cond(
                    state.edit_history.length() > 0,
                    data_table(
                        [
                            ("at", "时间"),
                            ("before", "原成绩"),
                            ("after", "新成绩"),
                            ("reason", "原因"),
                        ],
                        state.edit_history,
                        element_id="edit-history",
                    ),
                ),
                rx.hstack(
                    rx.button(
                        "取消",
                        variant="soft",
                        color_scheme="gray",
                        on_click=state.close_edit,
                    ),
                    rx.button("保存", on_click=state.save_edit, id="save-score"),
                    justify="end",
                    width="100%",
                ),
                spacing="2",
                margin_top="0.75rem",
            ),
        ),
        open=state.edit_open,
        on_open_change=state.set_edit_open,
    )


@page(
    routes.SCORE_ENTRY,
    "成绩登记",
    roles=[Role.ORG_ADMIN],
    on_load=ScoreEntryState.open_page,
    nav_label="成绩登记",
    nav_group="考试管理",
    order=400,
)
def score_entry_page() -> rx.Component:
    state = ScoreEntryState
    return rx.vstack(
        _import_card(),
        _filters(state),
        _counts(state),
        data_table(
            SCORE_COLUMNS,
            state.rows,
            element_id="score-table",
            actions=lambda row: rx.button(
                "修改",
                size="1",
                variant="soft",
                on_click=state.open_edit(row["registration_id"]),
                id="edit-" + row["registration_id"],
            ),
        ),
        pager(state, PAGE_SIZE),
        _edit_dialog(),
        width="100%",
    )


class SchoolScoresState(ScoreListState):
    """The school's list of its candidates' published subject scores."""

    @rx.event
    def open_page(self):
        """Load the page with the plan and status a link puts in the address."""
        self._apply_link()
        return SchoolScoresState.load


@page(
    routes.SCORES,
    "科目成绩",
    roles=list(SCHOOL_ROLES),
    on_load=SchoolScoresState.open_page,
    nav_label="科目成绩",
    nav_group="考试管理",
    order=401,
)
def school_scores_page() -> rx.Component:
    state = SchoolScoresState
    return rx.vstack(
        rx.text(
            "成绩公示期开始后，这里显示本校考生的各科目成绩；"
            "对成绩有疑问请联系培训评价组织查证。",
            size="2",
            color_scheme="gray",
        ),
        _filters(state),
        _counts(state),
        data_table(SCORE_COLUMNS, state.rows, element_id="score-table"),
        pager(state, PAGE_SIZE),
        width="100%",
    )


class ScoreStatisticsState(SessionState):
    """Per-site statistics of a plan and the score distribution of one subject."""

    plans: list[dict[str, str]] = []
    subjects: list[dict[str, str]] = []
    plan_id: str = ""
    subject_id: str = ""
    site_rows: list[dict[str, str]] = []
    distribution: list[dict] = []

    @rx.event
    @shows_service_errors
    def load(self):
        with session_scope() as session:
            actor = self.current_actor(session)
            if actor is None or actor.role != Role.ORG_ADMIN:
                return
            self.plans = score_lists.plan_options(session, actor=actor)
            if self.plan_id not in {option["value"] for option in self.plans}:
                self.plan_id = self.plans[0]["value"] if self.plans else ""
            if not self.plan_id:
                return
            plan_id = int(self.plan_id)
            self.subjects = score_lists.subject_options(
                session, actor=actor, plan_id=plan_id
            )
            if self.subject_id not in {option["value"] for option in self.subjects}:
                self.subject_id = self.subjects[0]["value"] if self.subjects else ""
            self.site_rows = score_lists.site_statistics(
                session, actor=actor, plan_id=plan_id
            )
            self.distribution = (
                score_lists.score_distribution(
                    session,
                    actor=actor,
                    plan_id=plan_id,
                    subject_id=int(self.subject_id),
                )
                if self.subject_id
                else []
            )

    @rx.event
    def set_plan_id(self, value: str):
        self.plan_id = value
        self.subject_id = ""
        return ScoreStatisticsState.load

    @rx.event
    def set_subject_id(self, value: str):
        self.subject_id = value
        return ScoreStatisticsState.load


@page(
    routes.SCORE_STATISTICS,
    "成绩统计",
    roles=[Role.ORG_ADMIN],
    on_load=ScoreStatisticsState.load,
    nav_label="成绩统计",
    nav_group="考试管理",
    order=402,
)
def score_statistics_page() -> rx.Component:
    state = ScoreStatisticsState
    return rx.vstack(
        option_select(
            state.plans,
            state.plan_id,
            state.set_plan_id,
            element_id="plan-select",
            placeholder="考试计划",
            with_all=False,
        ),
        rx.text("各考核站点成绩统计", weight="bold"),
        data_table(
            [
                ("site", "考核站点"),
                ("registered", "报考科次"),
                ("scored", "有成绩"),
                ("absent", "缺考"),
                ("disqualified", "违纪"),
                ("missing", "未录入"),
                ("average", "平均分"),
                ("passed", "达到科目合格线"),
            ],
            state.site_rows,
            element_id="site-statistics",
        ),
        rx.hstack(
            rx.text("成绩分布", weight="bold"),
            option_select(
                state.subjects,
                state.subject_id,
                state.set_subject_id,
                element_id="chart-subject-select",
                placeholder="科目",
                with_all=False,
            ),
            align="center",
        ),
        rx.box(
            rx.recharts.bar_chart(
                rx.recharts.cartesian_grid(stroke_dasharray="3 3"),
                rx.recharts.x_axis(data_key="band"),
                rx.recharts.y_axis(allow_decimals=False),
                rx.recharts.graphing_tooltip(),
                rx.recharts.bar(
                    data_key="count",
                    name="人数",
                    fill="#3E63DD",
                    is_animation_active=False,
                ),
                data=state.distribution,
                width="100%",
                height=300,
            ),
            width="100%",
            max_width="760px",
            id="score-distribution",
        ),
        width="100%",
    )
