"""Exam plans: the list and detail schools read, and the organisation's plan form."""

import math
import re
from datetime import datetime, time

import reflex as rx

from xcert_app import routes
from xcert_app.clock import BEIJING, format_beijing
from xcert_app.components.callouts import callout_block
from xcert_app.components.form_fields import data_table, field_error, labelled
from xcert_app.components.page import page
from xcert_app.db import session_scope
from xcert_app.models.accounts import Role
from xcert_app.models.catalogue import PassRule
from xcert_app.services import catalogue
from xcert_app.services.errors import ValidationError
from xcert_app.state import SessionState, shows_service_errors

PAGE_SIZE = 30
SESSION_LINE = re.compile(
    r"^(\d{4}-\d{2}-\d{2})\s+(\d{1,2}:\d{2})\s*[~～\-]\s*(\d{1,2}:\d{2})$"
)
RULE_OPTIONS = [
    {"value": rule.value, "label": label}
    for rule, label in catalogue.PASS_RULE_LABELS.items()
]


class ExamPlansState(SessionState):
    """One page of plans and the plan shown in the detail dialog."""

    rows: list[dict[str, str]] = []
    total: int = 0
    page_number: int = 1
    search: str = ""
    is_org: bool = False
    detail_open: bool = False
    detail: dict[str, str] = {}
    detail_rows: list[dict[str, str]] = []

    @rx.event
    def set_search(self, value: str):
        self.search = value

    @rx.event
    def set_detail_open(self, value: bool):
        self.detail_open = value

    @rx.event
    @shows_service_errors
    def load(self):
        with session_scope() as session:
            actor = self.current_actor(session)
            if actor is None:
                return
            self.is_org = actor.role == Role.ORG_ADMIN
            found, self.total = catalogue.list_plans(
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
                    "subjects": str(row.subject_count),
                    "windows": "\n".join(row.windows),
                    "org": row.org_name,
                    "status": row.status,
                    "edit_url": routes.exam_plan_form(row.id),
                }
                for row in found
            ]

    @rx.event
    def search_plans(self):
        self.page_number = 1
        return ExamPlansState.load

    @rx.event
    def go_to_page(self, number: int):
        pages = max(1, (self.total + PAGE_SIZE - 1) // PAGE_SIZE)
        self.page_number = min(max(1, number), pages)
        return ExamPlansState.load

    @rx.event
    @shows_service_errors
    def show_detail(self, plan_id: str):
        with session_scope() as session:
            actor = self.require_actor(session)
            detail = catalogue.plan_detail(session, actor=actor, plan_id=int(plan_id))
        plan = detail.plan
        self.detail = {
            "code": plan.code,
            "name": plan.name,
            "org": detail.org_name,
            "status": detail.status,
            "registration": _window(plan, "registration"),
            "ticket": _window(plan, "ticket"),
            "exam": _window(plan, "exam"),
            "score_entry": _window(plan, "score_entry"),
            "publication": _window(plan, "publication"),
        }
        self.detail_rows = []
        for level in detail.levels:
            condition = f"考核通过条件: {level.rule_label}"
            if level.rule == PassRule.COMPOSITE:
                condition += f" 综合成绩合格分数: {level.pass_mark:g}分"
            self.detail_rows.append(
                {"kind": "level", "text": f"考核证书: {level.label} {condition}"}
            )
            for subject in level.subjects:
                self.detail_rows.append(
                    {
                        "kind": "subject",
                        "code": subject.code,
                        "name": subject.name,
                        "mode": subject.mode,
                        "pass_mark": f"{subject.pass_mark:g}",
                        "weight": f"{subject.weight_percent}%",
                        "sessions": " ".join(subject.session_lines()),
                        "duration": f"{subject.duration_minutes}分钟",
                    }
                )
        self.detail_open = True


def _window(plan, name: str) -> str:
    start, end = catalogue.window_bounds(plan, name)
    return f"{format_beijing(start, '%Y-%m-%d')} ~ {format_beijing(end, '%Y-%m-%d')}"


def _detail_row(row) -> rx.Component:
    return rx.cond(
        row["kind"] == "level",
        rx.table.row(
            rx.table.cell(rx.text(row["text"], weight="bold"), col_span=7),
        ),
        rx.table.row(
            rx.table.cell(row["code"]),
            rx.table.cell(row["name"]),
            rx.table.cell(row["mode"]),
            rx.table.cell(row["pass_mark"]),
            rx.table.cell(row["weight"]),
            rx.table.cell(row["sessions"]),
            rx.table.cell(row["duration"]),
        ),
    )


def _detail_dialog() -> rx.Component:
    state = ExamPlansState
    detail = state.detail
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("查看考试计划"),
            rx.grid(
                rx.text("考核单位：", detail["org"]),
                rx.text("计划名称：", detail["name"]),
                rx.text("计划编号：", detail["code"]),
                rx.text("状态：", detail["status"]),
                rx.text("报名时间：", detail["registration"]),
                rx.text("准考证打印：", detail["ticket"]),
                rx.text("考试时间：", detail["exam"]),
                rx.text("成绩登记时间：", detail["score_entry"]),
                rx.text("成绩公示时间：", detail["publication"]),
                columns="2",
                spacing="2",
                width="100%",
            ),
            data_table(
                [
                    "科目编码",
                    "科目名称",
                    "考试方式",
                    "合格分数",
                    "所占总成绩比例",
                    "考试时间",
                    "考试时长",
                ],
                rx.foreach(state.detail_rows, _detail_row),
                id="plan-detail-table",
            ),
            rx.dialog.close(rx.button("关闭", variant="soft", margin_top="1rem")),
            max_width="1100px",
            max_height="90vh",
            overflow_y="auto",
            id="plan-detail",
        ),
        open=state.detail_open,
        on_open_change=state.set_detail_open,
    )


def _plan_row(row) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row["code"]),
        rx.table.cell(row["name"]),
        rx.table.cell(row["subjects"]),
        rx.table.cell(rx.text(row["windows"], white_space="pre-line", size="1")),
        rx.table.cell(row["org"]),
        rx.table.cell(rx.badge(row["status"])),
        rx.table.cell(
            rx.hstack(
                rx.button(
                    "查看",
                    size="1",
                    variant="soft",
                    on_click=ExamPlansState.show_detail(row["id"]),
                    id="view-plan-" + row["code"],
                ),
                rx.cond(
                    ExamPlansState.is_org,
                    rx.link(
                        rx.button("编辑", size="1", variant="outline"),
                        href=row["edit_url"],
                        id="edit-plan-" + row["code"],
                    ),
                ),
            )
        ),
    )


@page(
    routes.EXAM_PLANS,
    "考试计划",
    roles=[Role.SCHOOL_HEAD, Role.SCHOOL_ADMIN, Role.ORG_ADMIN],
    on_load=ExamPlansState.load,
    nav_label="考试计划",
    nav_group="考试管理",
    order=255,
)
def exam_plans_page() -> rx.Component:
    state = ExamPlansState
    return rx.vstack(
        rx.hstack(
            rx.input(
                placeholder="计划编号或名称",
                value=state.search,
                on_change=state.set_search,
                id="plan-search",
            ),
            rx.button("查询", variant="soft", on_click=state.search_plans),
            rx.spacer(),
            rx.cond(
                state.is_org,
                rx.link(
                    rx.button("新建考试计划", id="new-plan"), href=routes.EXAM_PLAN_FORM
                ),
            ),
            width="100%",
        ),
        data_table(
            [
                "计划编号",
                "计划名称",
                "开考科目",
                "考试安排",
                "考核单位",
                "状态",
                "操作",
            ],
            rx.foreach(state.rows, _plan_row),
            id="plan-table",
        ),
        rx.hstack(
            rx.text("共 ", state.total, " 个计划", size="2"),
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
                disabled=state.page_number * PAGE_SIZE >= state.total,
            ),
            align="center",
        ),
        rx.text(
            "试点院校需要在考试计划时间范围内，完成考点申报、考场设置、考生信息录入、报考等考试组织工作。",
            color_scheme="gray",
            size="2",
        ),
        _detail_dialog(),
        width="100%",
    )


# ------------------------------------------------------------------ plan form

DATE_KEYS = [
    f"{name}_{edge}" for name in catalogue.WINDOW_NAMES for edge in ("start", "end")
]


class PlanFormState(SessionState):
    """The organisation's form for one plan: windows, levels, rules and subjects."""

    plan_id: int = 0
    version: int = 0
    plan_code: str = ""
    name: str = ""
    dates: dict[str, str] = {}
    levels: list[dict[str, str]] = []
    subjects: list[dict[str, str]] = []
    rules_locked: bool = False
    correction_reason: str = ""
    field_errors: dict[str, str] = {}

    @rx.event
    def set_name(self, value: str):
        self.name = value

    @rx.event
    def set_date(self, key: str, value: str):
        self.dates = {**self.dates, key: value}

    @rx.event
    def set_correction_reason(self, value: str):
        self.correction_reason = value

    @rx.event
    def set_level_field(self, index: int, key: str, value: str):
        levels = [dict(row) for row in self.levels]
        levels[index][key] = value
        self.levels = levels
        if key == "selected":
            selected = {row["id"] for row in levels if row["selected"] == "1"}
            self.subjects = [
                {**row, "visible": "1" if row["level_id"] in selected else ""}
                for row in self.subjects
            ]

    @rx.event
    def toggle_level(self, index: int, checked: bool):
        return PlanFormState.set_level_field(index, "selected", "1" if checked else "")

    @rx.event
    def toggle_subject(self, index: int, checked: bool):
        return PlanFormState.set_subject_field(
            index, "included", "1" if checked else ""
        )

    @rx.event
    def set_subject_field(self, index: int, key: str, value: str):
        subjects = [dict(row) for row in self.subjects]
        subjects[index][key] = value
        self.subjects = subjects

    @rx.event
    @shows_service_errors
    def load(self):
        self.field_errors = {}
        self.correction_reason = ""
        with session_scope() as session:
            actor = self.current_actor(session)
            if actor is None or actor.role != Role.ORG_ADMIN:
                return
            raw_id = self.router.url.query_parameters.get("id", "")
            self.plan_id = int(raw_id) if raw_id.isdigit() else 0
            self._load_choices(session, actor)
            if self.plan_id:
                self._fill_from_plan(session, actor)
            else:
                self.version = 0
                self.plan_code = self.name = ""
                self.dates = {key: "" for key in DATE_KEYS}
                self.rules_locked = False

    def _load_choices(self, session, actor) -> None:
        options = catalogue.search_certificate_levels(
            session, actor=actor, org_id=actor.organisation_id, limit=200
        )
        subjects, _total = catalogue.list_subjects(session, actor=actor, limit=1000)
        self.levels = [
            {
                "id": str(option.certificate_level_id),
                "label": option.label,
                "selected": "",
                "rule": PassRule.COMPOSITE.value,
                "pass_mark": "60",
                "error": "",
            }
            for option in options
        ]
        self.subjects = [
            {
                "subject_id": str(row.id),
                "level_id": str(row.certificate_level_id),
                "code": row.code,
                "name": row.name,
                "mode": row.mode,
                "pass_mark": "60",
                "weight": "",
                "duration": "",
                "sessions": "",
                "included": "1",
                "visible": "",
                "error": "",
            }
            for row in subjects
            if row.is_active
        ]

    def _fill_from_plan(self, session, actor) -> None:
        detail = catalogue.plan_detail(session, actor=actor, plan_id=self.plan_id)
        plan = detail.plan
        self.version, self.plan_code, self.name = plan.version, plan.code, plan.name
        self.rules_locked = detail.rules_locked
        self.dates = {
            key: format_beijing(getattr(plan, key), "%Y-%m-%d") for key in DATE_KEYS
        }
        by_level = {level.certificate_level_id: level for level in detail.levels}
        by_subject = {
            subject.subject_id: subject
            for level in detail.levels
            for subject in level.subjects
        }
        for row in self.levels:
            level = by_level.get(int(row["id"]))
            if level:
                row.update(
                    selected="1", rule=level.rule, pass_mark=f"{level.pass_mark:g}"
                )
        selected = {row["id"] for row in self.levels if row["selected"] == "1"}
        for row in self.subjects:
            subject = by_subject.get(int(row["subject_id"]))
            row["visible"] = "1" if row["level_id"] in selected else ""
            row["included"] = "1" if subject or row["level_id"] not in selected else ""
            if subject:
                row.update(
                    pass_mark=f"{subject.pass_mark:g}",
                    weight=str(subject.weight_percent),
                    duration=str(subject.duration_minutes),
                    sessions="\n".join(subject.session_lines()),
                )

    @rx.event
    @shows_service_errors
    def save(self):
        self.field_errors = {}
        try:
            data, date_errors, session_problems = self._plan_input()
            with session_scope() as session:
                actor = self.require_actor(session)
                if date_errors or session_problems:
                    errors = catalogue.plan_errors(
                        session,
                        org_id=actor.organisation_id,
                        data=data,
                        session_problems=session_problems,
                    )
                    raise ValidationError({**errors, **date_errors})
                if self.plan_id:
                    plan = catalogue.update_plan(
                        session,
                        actor=actor,
                        plan_id=self.plan_id,
                        version=self.version,
                        data=data,
                        correction_reason=self.correction_reason,
                    )
                else:
                    plan = catalogue.create_plan(session, actor=actor, data=data)
                code = plan.code
        except ValidationError as error:
            self._show_errors(error.errors)
            return rx.toast.error(error.message)
        return [
            rx.toast.success(f"考试计划 {code} 已保存"),
            rx.redirect(routes.EXAM_PLANS),
        ]

    def _show_errors(self, errors: dict[str, str]) -> None:
        self.field_errors = errors
        self.levels = [
            {**row, "error": errors.get(f"level_{row['id']}", "")}
            for row in self.levels
        ]
        self.subjects = [
            {**row, "error": errors.get(f"subject_{row['code']}", "")}
            for row in self.subjects
        ]

    def _plan_input(
        self,
    ) -> tuple[catalogue.PlanInput, dict[str, str], dict[int, str]]:
        """Read the form into a plan.

        Also return the window dates that could not be read, by window name, and
        the session lines that could not be read, by subject id.
        """
        windows = {}
        date_errors = {}
        for name in catalogue.WINDOW_NAMES:
            start = _parse_date(self.dates.get(f"{name}_start", ""), time(0, 0))
            end = _parse_date(self.dates.get(f"{name}_end", ""), time(23, 59, 59))
            if start is None or end is None:
                label = catalogue.WINDOW_LABELS[name]
                date_errors[name] = f"请填写{label}的开始和结束日期"
            windows[name] = (start, end)
        levels = []
        session_problems = {}
        for level in self.levels:
            if level["selected"] != "1":
                continue
            terms = []
            for row in self.subjects:
                if row["level_id"] != level["id"] or row["included"] != "1":
                    continue
                sessions, problem = _parse_sessions(row["sessions"])
                if problem:
                    session_problems[int(row["subject_id"])] = problem
                terms.append(
                    catalogue.SubjectTerms(
                        subject_id=int(row["subject_id"]),
                        pass_mark=_number(row["pass_mark"]),
                        weight_percent=int(_number(row["weight"])),
                        duration_minutes=int(_number(row["duration"])),
                        sessions=sessions,
                    )
                )
            levels.append(
                catalogue.LevelRule(
                    certificate_level_id=int(level["id"]),
                    rule=level["rule"],
                    pass_mark=_number(level["pass_mark"]),
                    subjects=terms,
                )
            )
        data = catalogue.PlanInput(name=self.name, windows=windows, levels=levels)
        return data, date_errors, session_problems


def _parse_date(text: str, at: time) -> datetime | None:
    try:
        day = datetime.strptime(text.strip(), "%Y-%m-%d").date()
    except ValueError:
        return None
    return datetime.combine(day, at, tzinfo=BEIJING)


def _number(text: str) -> float:
    """Read a number from a field, or -1, which the range checks reject."""
    try:
        value = float(text.strip())
    except ValueError:
        return -1
    return value if math.isfinite(value) else -1


def _parse_sessions(text: str) -> tuple[list[tuple[datetime, datetime]], str]:
    """Read one session a line, ``2026-12-22 08:30~10:00``, in Beijing time."""
    sessions = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        match = SESSION_LINE.match(line)
        if not match:
            return [], f"场次“{line}”格式不对，应为 2026-12-22 08:30~10:00"
        day, start, end = match.groups()
        try:
            starts_at = datetime.strptime(f"{day} {start}", "%Y-%m-%d %H:%M")
            ends_at = datetime.strptime(f"{day} {end}", "%Y-%m-%d %H:%M")
        except ValueError:
            return [], f"场次“{line}”的日期或时间不存在"
        sessions.append(
            (starts_at.replace(tzinfo=BEIJING), ends_at.replace(tzinfo=BEIJING))
        )
    return sessions, ""


def _date_input(key: str) -> rx.Component:
    return rx.input(
        type="date",
        value=PlanFormState.dates[key],
        on_change=lambda value: PlanFormState.set_date(key, value),
        id=f"plan-{key.replace('_', '-')}",
    )


def _window_inputs() -> rx.Component:
    return rx.grid(
        *[
            labelled(
                catalogue.WINDOW_LABELS[name],
                rx.hstack(
                    _date_input(f"{name}_start"),
                    rx.text("~"),
                    _date_input(f"{name}_end"),
                    align="center",
                ),
                PlanFormState.field_errors,
                name,
                required=True,
            )
            for name in catalogue.WINDOW_NAMES
        ],
        columns="3",
        spacing="3",
    )


def _subject_line(row, index) -> rx.Component:
    state = PlanFormState

    def cell_input(key: str, width: str) -> rx.Component:
        return rx.input(
            value=row[key],
            on_change=lambda value: state.set_subject_field(index, key, value),
            width=width,
            id=f"plan-{key}-" + row["code"],
        )

    return rx.cond(
        row["visible"] == "1",
        rx.table.row(
            rx.table.cell(
                rx.checkbox(
                    checked=row["included"] == "1",
                    on_change=lambda checked: state.toggle_subject(index, checked),
                )
            ),
            rx.table.cell(row["code"]),
            rx.table.cell(row["name"]),
            rx.table.cell(row["mode"]),
            rx.table.cell(cell_input("pass_mark", "4rem")),
            rx.table.cell(cell_input("weight", "4rem")),
            rx.table.cell(
                rx.vstack(
                    rx.text_area(
                        value=row["sessions"],
                        on_change=lambda value: state.set_subject_field(
                            index, "sessions", value
                        ),
                        placeholder="每行一个场次，如 2026-12-22 08:30~10:00",
                        rows="2",
                        width="17rem",
                        id="plan-sessions-" + row["code"],
                    ),
                    rx.cond(
                        row["error"] != "",
                        rx.text(row["error"], color_scheme="red", size="1"),
                    ),
                )
            ),
            rx.table.cell(cell_input("duration", "5rem")),
        ),
    )


def _level_line(row, index) -> rx.Component:
    state = PlanFormState
    return rx.hstack(
        rx.checkbox(
            row["label"],
            checked=row["selected"] == "1",
            on_change=lambda checked: state.toggle_level(index, checked),
            id="plan-level-" + row["id"],
        ),
        rx.cond(
            row["selected"] == "1",
            rx.hstack(
                rx.el.select(
                    *[
                        rx.el.option(option["label"], value=option["value"])
                        for option in RULE_OPTIONS
                    ],
                    value=row["rule"],
                    on_change=lambda value: state.set_level_field(index, "rule", value),
                    id="plan-rule-" + row["id"],
                ),
                rx.text("综合成绩合格分数", size="2"),
                rx.input(
                    value=row["pass_mark"],
                    on_change=lambda value: state.set_level_field(
                        index, "pass_mark", value
                    ),
                    width="4rem",
                    id="plan-pass-mark-" + row["id"],
                ),
                rx.cond(
                    row["error"] != "",
                    rx.text(row["error"], color_scheme="red", size="1"),
                ),
                align="center",
            ),
        ),
        align="center",
        spacing="3",
    )


@page(
    routes.EXAM_PLAN_FORM,
    "考试计划设置",
    roles=[Role.ORG_ADMIN],
    on_load=PlanFormState.load,
)
def exam_plan_form_page() -> rx.Component:
    state = PlanFormState
    return rx.vstack(
        rx.cond(
            state.plan_code != "",
            rx.text("计划编号：", state.plan_code, id="plan-code"),
            rx.text("保存后自动生成计划编号（K + 12 位数字）", color_scheme="gray"),
        ),
        labelled(
            "计划名称",
            rx.input(
                value=state.name,
                on_change=state.set_name,
                width="28rem",
                id="plan-name",
            ),
            state.field_errors,
            "name",
            required=True,
        ),
        rx.text("时间安排", weight="bold"),
        _window_inputs(),
        rx.text("考核证书与通过条件", weight="bold"),
        field_error(state.field_errors, "levels"),
        rx.foreach(state.levels, _level_line),
        data_table(
            [
                "",
                "科目编码",
                "科目名称",
                "考试方式",
                "合格分数",
                "比例 %",
                "考试场次",
                "时长（分钟）",
            ],
            rx.foreach(state.subjects, _subject_line),
            id="plan-subject-table",
        ),
        rx.cond(
            state.rules_locked,
            callout_block(
                rx.vstack(
                    rx.text(
                        "该计划已开始报名，考核规则已锁定。如确需更正，请填写更正原因，更正将记入审计日志。"
                    ),
                    rx.input(
                        value=state.correction_reason,
                        on_change=state.set_correction_reason,
                        placeholder="更正原因",
                        width="28rem",
                        id="plan-correction-reason",
                    ),
                ),
                icon="lock",
                color_scheme="amber",
            ),
        ),
        rx.hstack(
            rx.button("保存", on_click=state.save, id="save-plan"),
            rx.link(rx.button("返回列表", variant="soft"), href=routes.EXAM_PLANS),
        ),
        width="100%",
        spacing="3",
    )
