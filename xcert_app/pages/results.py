"""Certificate results: the list with counts, pass rate per certificate and export,
for schools (their own candidates, once published) and organisations."""

import reflex as rx
from sqlmodel import select

from xcert_app import routes
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
from xcert_app.models.catalogue import Certificate, CertificateLevel, PlanLevel
from xcert_app.services import results, score_lists
from xcert_app.services.actor import SCHOOL_ROLES
from xcert_app.spreadsheets.scores import rows_xlsx
from xcert_app.state import SessionState, shows_service_errors

PAGE_SIZE = 20
OUTCOME_CHOICES = [(ALL, "全部结果"), ("passed", "通过"), ("failed", "未通过")]
RESULT_COLUMNS = [
    ("plan_code", "考试计划"),
    ("candidate_name", "姓名"),
    ("id_number", "证件号码"),
    ("school_name", "所属院校"),
    ("certificate", "证书（等级）"),
    ("composite", "综合成绩"),
    ("outcome", "考证结果"),
    ("reason", "未通过原因"),
    ("state", "状态"),
    ("certificate_number", "证书编号"),
]


class ResultsState(SessionState):
    """Filters, counts, pass rates and one page of certificate results."""

    plans: list[dict[str, str]] = []
    levels: list[dict[str, str]] = []
    plan_id: str = ALL
    level_id: str = ALL
    outcome: str = ALL
    search: str = ""
    rows: list[dict[str, str]] = []
    total: int = 0
    counts: dict[str, int] = {}
    pass_rates: list[dict[str, str]] = []
    offset: int = 0

    @rx.var
    def page_text(self) -> str:
        if self.total == 0:
            return "共 0 条"
        last = min(self.offset + PAGE_SIZE, self.total)
        return f"第 {self.offset + 1}–{last} 条，共 {self.total} 条"

    def _filters(self) -> results.ResultFilter:
        return results.ResultFilter(
            plan_id=None if self.plan_id == ALL else int(self.plan_id),
            certificate_level_id=None if self.level_id == ALL else int(self.level_id),
            outcome="" if self.outcome == ALL else self.outcome,
            search=self.search,
        )

    @rx.event
    @shows_service_errors
    def load(self):
        with session_scope() as session:
            actor = self.current_actor(session)
            if actor is None or not (actor.is_school or actor.role == Role.ORG_ADMIN):
                return
            self.plans = score_lists.plan_options(session, actor=actor)
            if self.plan_id not in {option["value"] for option in self.plans}:
                self.plan_id = ALL
            self.levels = _level_options(session, self.plans, self.plan_id)
            found = results.list_results(
                session,
                actor=actor,
                filters=self._filters(),
                offset=self.offset,
                limit=PAGE_SIZE,
            )
        self.rows = found.rows
        self.total = found.total
        self.counts = found.counts
        self.pass_rates = found.pass_rates

    @rx.event
    def set_plan_id(self, value: str):
        self.plan_id = value
        self.level_id = ALL
        self.offset = 0
        return ResultsState.load

    @rx.event
    def set_level_id(self, value: str):
        self.level_id = value
        self.offset = 0
        return ResultsState.load

    @rx.event
    def set_outcome(self, value: str):
        self.outcome = value
        self.offset = 0
        return ResultsState.load

    @rx.event
    def set_search(self, value: str):
        self.search = value

    @rx.event
    def apply_search(self):
        self.offset = 0
        return ResultsState.load

    @rx.event
    def previous_page(self):
        self.offset = max(0, self.offset - PAGE_SIZE)
        return ResultsState.load

    @rx.event
    def next_page(self):
        if self.offset + PAGE_SIZE < self.total:
            self.offset += PAGE_SIZE
        return ResultsState.load

    @rx.event
    @shows_service_errors
    def export(self):
        with session_scope() as session:
            actor = self.require_actor(session)
            exported = results.export_results(
                session, actor=actor, filters=self._filters()
            )
        data = rows_xlsx("考证结果", RESULT_COLUMNS, exported)
        return rx.download(data=data, filename="考证结果.xlsx")


def _level_options(session, plans: list[dict[str, str]], plan_id: str) -> list[dict]:
    """Return the certificate levels of the selected plan, or of every visible plan."""
    plan_ids = (
        [int(option["value"]) for option in plans] if plan_id == ALL else [int(plan_id)]
    )
    found = session.exec(
        select(CertificateLevel, Certificate)
        .join(Certificate, Certificate.id == CertificateLevel.certificate_id)
        .join(PlanLevel, PlanLevel.certificate_level_id == CertificateLevel.id)
        .where(PlanLevel.plan_id.in_(plan_ids))
        .distinct()
        .order_by(Certificate.name, CertificateLevel.id)
    ).all()
    return [
        {"value": str(level.id), "label": f"{certificate.name}（{level.level}）"}
        for level, certificate in found
    ]


@page(
    routes.RESULTS,
    "考证结果",
    roles=[*SCHOOL_ROLES, Role.ORG_ADMIN],
    on_load=ResultsState.load,
    nav_label="考证结果",
    nav_group="考试管理",
    order=410,
)
def results_page() -> rx.Component:
    state = ResultsState
    return rx.vstack(
        rx.text(
            "考证结果按考试计划设置的规则和各科成绩判定；通过的考生自动生成证书发放记录，"
            "待双方签发后学生即可查询电子证书。公示期结束后结果永久锁定。",
            size="2",
            color_scheme="gray",
        ),
        rx.hstack(
            rx.select.root(
                rx.select.trigger(placeholder="考试计划", id="result-plan-select"),
                rx.select.content(
                    rx.select.item("全部考试计划", value=ALL),
                    rx.foreach(
                        state.plans,
                        lambda option: rx.select.item(
                            option["label"], value=option["value"]
                        ),
                    ),
                ),
                value=state.plan_id,
                on_change=state.set_plan_id,
            ),
            option_select(
                state.levels,
                state.level_id,
                state.set_level_id,
                element_id="level-select",
                placeholder="证书等级",
                with_all=True,
            ),
            static_select(
                OUTCOME_CHOICES,
                state.outcome,
                state.set_outcome,
                element_id="outcome-select",
            ),
            rx.input(
                placeholder="姓名、证件号码或证书编号",
                value=state.search,
                on_change=state.set_search,
                id="result-search",
                width="16rem",
            ),
            rx.button(
                "查询",
                on_click=state.apply_search,
                variant="soft",
                id="result-search-go",
            ),
            rx.button(
                "导出", on_click=state.export, variant="outline", id="export-results"
            ),
            wrap="wrap",
            align="center",
        ),
        count_badges(
            [
                ("全部", state.counts.get("all", 0)),
                ("通过", state.counts.get("passed", 0)),
                ("未通过", state.counts.get("failed", 0)),
            ],
            element_id="result-counts",
        ),
        rx.text("各证书通过率", weight="bold"),
        data_table(
            [
                ("certificate", "证书（等级）"),
                ("total", "考证人数"),
                ("passed", "通过人数"),
                ("rate", "通过率"),
            ],
            state.pass_rates,
            element_id="pass-rates",
        ),
        data_table(RESULT_COLUMNS, state.rows, element_id="result-table"),
        pager(state, PAGE_SIZE),
        width="100%",
    )
