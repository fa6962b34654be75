"""Each role's home page: what to do now, the year's timeline and the numbers that matter."""

import reflex as rx

from xcert_app import routes
from xcert_app.clock import clock, format_beijing
from xcert_app.components.page import page
from xcert_app.db import session_scope
from xcert_app.models.accounts import Role
from xcert_app.services import dashboard, notifications, pilot_years, todo
from xcert_app.spreadsheets.reports import table_to_xlsx
from xcert_app.state import SessionState, shows_service_errors

# Column keys and headers of the numbers table, per role.
NUMBER_COLUMNS = {
    "school": [
        ("certificate", "证书"),
        ("quota", "批准指标"),
        ("candidates", "报考人数"),
        ("registrations", "报考科次"),
        ("paid", "已缴费"),
        ("scheduled", "已排考"),
        ("passed", "通过"),
        ("pass_rate", "通过率"),
    ],
    "reviewer": [
        ("school", "院校"),
        ("certificate", "证书"),
        ("declared", "申报数"),
        ("approved", "通过数"),
        ("planned", "拟培训人数"),
        ("approved_count", "批准人数"),
    ],
    "org": [
        ("school", "院校"),
        ("registrations", "报考科次"),
        ("sites", "考核站点"),
        ("seats", "座位数"),
        ("passed", "通过"),
        ("pass_rate", "通过率"),
    ],
}
CHART_SERIES = {
    "school": [("quota", "批准指标"), ("candidates", "报考人数"), ("passed", "通过")],
    "reviewer": [("planned", "拟培训人数"), ("approved_count", "批准人数")],
    "org": [("registrations", "报考科次"), ("seats", "座位数"), ("passed", "通过")],
}
# The row fields that name a bar group. The reviewer's rows are per school and
# certificate, so both fields are needed to tell two groups of one school apart.
CHART_LABEL = {
    "school": ("certificate",),
    "reviewer": ("school", "certificate"),
    "org": ("school",),
}
CHART_COLOURS = ["#3e63dd", "#30a46c", "#f76b15"]
# Longer axis labels are cut with an ellipsis; the tooltip shows the full name.
CHART_LABEL_LENGTH = 14
CERTIFICATE_SUFFIX = "职业技能等级证书"
# Tooltip title: the full name of the hovered group instead of its short label.
_FULL_NAME = rx.Var(
    "(label, payload) => (payload && payload.length ? payload[0].payload.name : label)"
)


def _numbers_kind(role: str) -> str:
    if role in (Role.SCHOOL_HEAD, Role.SCHOOL_ADMIN):
        return "school"
    if role in (Role.CITY_REVIEWER, Role.PROVINCE_REVIEWER):
        return "reviewer"
    if role == Role.ORG_ADMIN:
        return "org"
    return ""


class HomeState(SessionState):
    """The to-do list, the timelines and the numbers of the signed-in organisation."""

    todo_items: list[dict[str, str]] = []
    timelines: list[dict] = []
    number_headers: list[str] = []
    number_rows: list[list[str]] = []
    chart_rows: list[dict] = []
    chart_series: list[dict[str, str]] = []
    today_text: str = ""
    pilot_year_text: str = ""

    @rx.event
    @shows_service_errors
    def load(self):
        with session_scope() as session:
            actor = self.current_actor(session)
            if actor is None:
                return
            notifications.announce_publications(session)
            self.unread_notifications = notifications.unread_count(session, actor=actor)
            now = clock.now()
            self.today_text = format_beijing(now, "%Y-%m-%d")
            self.pilot_year_text = f"{pilot_years.pilot_year(session, actor=actor)}年度"
            self.todo_items = [
                {
                    "title": item.title,
                    "count": str(item.count),
                    "link": item.link,
                    "deadline": item.deadline_text(now),
                    "key": item.key,
                }
                for item in todo.items_for(session, actor=actor)
            ]
            self.timelines = [
                _timeline_row(dashboard.plan_timeline(plan, now))
                for plan in dashboard.plans_involving(session, actor=actor)
            ]
            kind = _numbers_kind(actor.role)
            rows = _numbers(session, actor, kind)
        self._show_numbers(kind, rows)

    def _show_numbers(self, kind: str, rows: list[dict]) -> None:
        if not kind:
            self.number_headers, self.number_rows, self.chart_rows = [], [], []
            return
        columns = NUMBER_COLUMNS[kind]
        self.number_headers = [header for _key, header in columns]
        self.number_rows = [[str(row[key]) for key, _header in columns] for row in rows]
        self.chart_series = chart_series(kind)
        self.chart_rows = chart_rows(kind, rows)

    @rx.event
    def export_numbers(self):
        data = table_to_xlsx("统计", self.number_headers, self.number_rows)
        filename = f"统计_{self.organisation_name or '全部'}_{self.today_text}.xlsx"
        return rx.download(data=data, filename=filename)


def chart_series(kind: str) -> list[dict[str, str]]:
    """Return the bars of the kind's chart in drawing order, each with its colour."""
    return [
        {"key": key, "name": name, "colour": CHART_COLOURS[index]}
        for index, (key, name) in enumerate(CHART_SERIES[kind])
    ]


def chart_rows(kind: str, rows: list[dict]) -> list[dict]:
    """Return one chart row per numbers row: a short axis label, the full name and
    the values of the kind's series."""
    chart = []
    for row in rows:
        names = [_short_name(str(row[field])) for field in CHART_LABEL[kind]]
        label = " ".join(names)
        if len(label) > CHART_LABEL_LENGTH:
            label = label[: CHART_LABEL_LENGTH - 1] + "…"
        chart.append(
            {
                "label": label,
                "name": " ".join(str(row[field]) for field in CHART_LABEL[kind]),
                **{key: row[key] for key, _name in CHART_SERIES[kind]},
            }
        )
    return chart


def _short_name(name: str) -> str:
    # Every 1+X certificate name ends with the same suffix, which would fill the label.
    shortened = name.removesuffix(CERTIFICATE_SUFFIX)
    return shortened or name


def _numbers(session, actor, kind: str) -> list[dict]:
    if kind == "school":
        return dashboard.school_numbers(session, actor=actor)
    if kind == "reviewer":
        return dashboard.province_numbers(session, actor=actor)
    if kind == "org":
        return dashboard.org_numbers(session, actor=actor)
    return []


def _timeline_row(timeline: dashboard.PlanTimeline) -> dict:
    return {
        "code": timeline.code,
        "name": timeline.name,
        "current": timeline.current_step,
        "today": f"{timeline.today_left}%",
        "bars": [
            {
                "label": bar.label,
                "dates": f"{bar.start_text}~{bar.end_text}",
                "left": f"{bar.left}%",
                "width": f"{bar.width}%",
                "state": "current"
                if bar.is_current
                else ("past" if bar.is_past else "future"),
            }
            for bar in timeline.bars
        ],
    }


def _todo_row(item) -> rx.Component:
    return rx.link(
        rx.hstack(
            rx.badge(item["count"], color_scheme="orange", size="2"),
            rx.text(item["title"], weight="medium"),
            rx.spacer(),
            rx.text(item["deadline"], size="2", color_scheme="red"),
            rx.icon("chevron-right", size=16),
            width="100%",
            align="center",
            padding="0.5rem",
            border_radius="6px",
            _hover={"background": rx.color("accent", 2)},
        ),
        href=item["link"],
        underline="none",
        width="100%",
        id="todo-" + item["key"],
    )


def todo_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text("待办事项", weight="bold"),
            rx.cond(
                HomeState.todo_items.length() > 0,
                rx.vstack(
                    rx.foreach(HomeState.todo_items, _todo_row),
                    width="100%",
                    spacing="1",
                    id="todo-list",
                ),
                rx.text("暂无待办事项", color_scheme="gray", id="todo-empty"),
            ),
            width="100%",
        ),
        width="100%",
    )


def _bar(bar) -> rx.Component:
    return rx.tooltip(
        rx.box(
            rx.text(bar["label"], size="1", white_space="nowrap", overflow="hidden"),
            position="absolute",
            left=bar["left"],
            width=bar["width"],
            top="0",
            height="1.6rem",
            padding_x="0.25rem",
            border_radius="4px",
            background=rx.match(
                bar["state"],
                ("current", rx.color("accent", 9)),
                ("past", rx.color("gray", 5)),
                rx.color("accent", 4),
            ),
            color=rx.cond(bar["state"] == "current", "white", rx.color("gray", 12)),
        ),
        content=bar["label"] + " " + bar["dates"],
    )


def _timeline(row) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text(row["name"], weight="medium"),
            rx.code(row["code"]),
            rx.badge("当前：" + row["current"].to(str), color_scheme="green"),
        ),
        rx.box(
            rx.foreach(row["bars"].to(list[dict[str, str]]), _bar),
            rx.box(
                position="absolute",
                left=row["today"],
                top="-0.25rem",
                height="2.1rem",
                width="2px",
                background="red",
            ),
            position="relative",
            width="100%",
            height="1.6rem",
        ),
        width="100%",
        spacing="2",
    )


def timeline_card() -> rx.Component:
    return rx.cond(
        HomeState.timelines.length() > 0,
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.text(HomeState.pilot_year_text, "时间线", weight="bold"),
                    rx.text(
                        "红线为今天 " + HomeState.today_text,
                        size="1",
                        color_scheme="gray",
                    ),
                ),
                rx.foreach(HomeState.timelines, _timeline),
                width="100%",
                spacing="4",
                id="timeline",
            ),
            width="100%",
        ),
    )


def numbers_card() -> rx.Component:
    return rx.cond(
        HomeState.number_headers.length() > 0,
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.text(
                        "数据概览（", HomeState.pilot_year_text, "）", weight="bold"
                    ),
                    rx.spacer(),
                    rx.button(
                        "导出 Excel",
                        on_click=HomeState.export_numbers,
                        variant="soft",
                        size="1",
                        id="export-numbers",
                    ),
                    width="100%",
                ),
                rx.cond(
                    HomeState.number_rows.length() > 0,
                    rx.hstack(
                        rx.box(
                            rx.recharts.bar_chart(
                                rx.foreach(
                                    HomeState.chart_series,
                                    lambda series: rx.recharts.bar(
                                        data_key=series["key"],
                                        name=series["name"],
                                        fill=series["colour"],
                                    ),
                                ),
                                # interval 0 draws every label; Recharts otherwise
                                # hides labels it thinks overlap.
                                rx.recharts.x_axis(
                                    data_key="label",
                                    interval=0,
                                    angle=-20,
                                    text_anchor="end",
                                    height=56,
                                    tick={"fontSize": 12},
                                ),
                                rx.recharts.y_axis(),
                                # Recharts 3 sorts legend entries by name unless
                                # itemSorter is null; keep the bars' order.
                                rx.recharts.legend(
                                    custom_attrs={"itemSorter": rx.Var("null")}
                                ),
                                rx.recharts.graphing_tooltip(
                                    custom_attrs={"labelFormatter": _FULL_NAME}
                                ),
                                data=HomeState.chart_rows,
                                width="100%",
                                height=260,
                            ),
                            width=["100%", "100%", "45%"],
                        ),
                        rx.table.root(
                            rx.table.header(
                                rx.table.row(
                                    rx.foreach(
                                        HomeState.number_headers,
                                        rx.table.column_header_cell,
                                    )
                                )
                            ),
                            rx.table.body(
                                rx.foreach(
                                    HomeState.number_rows,
                                    lambda row: rx.table.row(
                                        rx.foreach(row, rx.table.cell)
                                    ),
                                )
                            ),
                            size="1",
                            id="numbers-table",
                        ),
                        width="100%",
                        wrap="wrap",
                    ),
                    rx.text("暂无数据", color_scheme="gray"),
                ),
                width="100%",
            ),
            width="100%",
        ),
    )


@page(routes.HOME, "首页", on_load=HomeState.load, nav_label="首页", order=0)
def home_page() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text(
                "您好，" + SessionState.display_name,
                size="4",
                weight="bold",
                id="home-greeting",
            ),
            rx.badge(SessionState.role_label, id="home-role"),
            rx.text(
                SessionState.organisation_name,
                color_scheme="gray",
                id="home-organisation",
            ),
            align="center",
        ),
        todo_card(),
        timeline_card(),
        numbers_card(),
        width="100%",
        spacing="4",
    )
