"""The candidate's personal space (学生个人空间): login by ID number, first login by SMS
code, and the candidate's own tickets, scores, results and certificates."""

import reflex as rx

from xcert_app import routes
from xcert_app.components.layout import APP_TITLE
from xcert_app.components.page import page
from xcert_app.db import session_scope
from xcert_app.models.accounts import Role
from xcert_app.services import accounts, candidate_space, certificates, exam_documents
from xcert_app.services.errors import ServiceError
from xcert_app.state import SessionState, login_expired_notice, shows_service_errors


class StudentLoginState(SessionState):
    """Login with ID number and password, or set the password at first login."""

    mode: str = "login"
    id_number: str = ""
    password: str = ""
    code: str = ""
    new_password: str = ""
    repeat_password: str = ""
    code_sent_to: str = ""
    error: str = ""
    expired_notice: str = ""

    @rx.event
    def open_page(self):
        self.expired_notice = login_expired_notice(self)

    @rx.event
    def set_id_number(self, value: str):
        self.id_number = value

    @rx.event
    def set_password(self, value: str):
        self.password = value

    @rx.event
    def set_code(self, value: str):
        self.code = value

    @rx.event
    def set_new_password(self, value: str):
        self.new_password = value

    @rx.event
    def set_repeat_password(self, value: str):
        self.repeat_password = value

    @rx.event
    def switch_mode(self, mode: str):
        self.mode = mode
        self.error = ""
        self.code_sent_to = ""

    @rx.event
    def log_in(self):
        self.error = ""
        self.expired_notice = ""
        id_number = candidate_space.normalise_id_number(self.id_number)
        if not id_number or not self.password:
            self.error = "请输入证件号码和密码"
            return
        try:
            with session_scope() as session:
                account = accounts.authenticate(
                    session, username=id_number, password=self.password
                )
                if account.role != Role.CANDIDATE:
                    raise ServiceError("此处仅供考生登录，院校和机构请从平台登录页登录")
                token = accounts.open_session(session, account=account)
        except ServiceError as error:
            self.error = error.message
            return
        self.auth_token = token
        self.password = ""
        return rx.redirect(routes.STUDENT_SPACE)

    @rx.event
    def send_code(self):
        self.error = ""
        try:
            with session_scope() as session:
                self.code_sent_to = candidate_space.request_first_login_code(
                    session, id_number=self.id_number
                )
        except ServiceError as error:
            self.error = error.message

    @rx.event
    def set_first_password(self):
        self.error = ""
        if self.new_password != self.repeat_password:
            self.error = "两次输入的密码不一致"
            return
        failure: ServiceError | None = None
        with session_scope() as session:
            # The error is caught inside the transaction so a wrong code's attempt
            # count is committed.
            try:
                account = candidate_space.set_first_password(
                    session,
                    id_number=self.id_number,
                    code=self.code,
                    password=self.new_password,
                )
                token = accounts.open_session(session, account=account)
            except ServiceError as error:
                failure = error
        if failure is not None:
            self.error = failure.message
            return
        self.auth_token = token
        self.new_password = self.repeat_password = self.code = ""
        return rx.redirect(routes.STUDENT_SPACE)


class StudentSpaceState(SessionState):
    """The candidate's own rows, one short list per section."""

    profile: dict[str, str] = {}
    certificate_rows: list[dict[str, str]] = []
    result_rows: list[dict[str, str]] = []
    score_rows: list[dict[str, str]] = []
    ticket_rows: list[dict[str, str]] = []

    @rx.event
    @shows_service_errors
    def load(self):
        with session_scope() as session:
            actor = self.current_actor(session)
            if actor is None or actor.role != Role.CANDIDATE:
                return
            found = candidate_space.profile(session, actor=actor)
            self.profile = {
                "name": found.name,
                "id_number": found.id_number_masked,
                "school": found.school_name,
            }
            self.certificate_rows = candidate_space.certificates(session, actor=actor)
            self.result_rows = candidate_space.results(session, actor=actor)
            self.score_rows = candidate_space.scores(session, actor=actor)
            self.ticket_rows = candidate_space.tickets(session, actor=actor)

    @rx.event
    @shows_service_errors
    def download(self, record_id: str):
        with session_scope() as session:
            name, pdf = certificates.certificate_pdf(
                session, actor=self.require_actor(session), record_id=int(record_id)
            )
        return rx.download(data=pdf, filename=name)

    @rx.event
    @shows_service_errors
    def download_ticket(self, plan_id: str):
        with session_scope() as session:
            actor = self.require_actor(session)
            pdf = exam_documents.ticket_pdf_for_candidate(
                session, actor=actor, plan_id=int(plan_id)
            )
        return rx.download(
            data=pdf, filename=f"准考证_{self.profile.get('name', '')}.pdf"
        )


def _field(label: str, value, on_change, field_id: str, kind: str = "text"):
    return rx.vstack(
        rx.text(label, size="2"),
        rx.input(
            type=kind,
            value=value,
            on_change=on_change,
            size="3",
            width="100%",
            id=field_id,
        ),
        spacing="1",
        width="100%",
    )


def _login_form() -> rx.Component:
    state = StudentLoginState
    return rx.form(
        rx.vstack(
            _field("证件号码", state.id_number, state.set_id_number, "student-id"),
            _field(
                "密码",
                state.password,
                state.set_password,
                "student-password",
                "password",
            ),
            rx.button(
                "登录", type="submit", size="3", width="100%", id="student-login"
            ),
            rx.link(
                "首次登录？用手机验证码设置密码",
                on_click=state.switch_mode("first"),
                size="2",
                id="first-login-link",
            ),
            spacing="3",
        ),
        on_submit=state.log_in,
    )


def _first_login_form() -> rx.Component:
    state = StudentLoginState
    return rx.vstack(
        rx.text(
            "首次登录请用院校登记的手机号接收验证码，并设置密码（8 位以上，含字母和数字）。",
            size="2",
            color_scheme="gray",
        ),
        _field("证件号码", state.id_number, state.set_id_number, "first-id"),
        rx.button(
            "获取短信验证码",
            variant="soft",
            size="3",
            on_click=state.send_code,
            id="send-code",
        ),
        rx.cond(
            state.code_sent_to != "",
            rx.text("验证码已发送至 " + state.code_sent_to, size="2", id="code-sent"),
        ),
        _field("短信验证码", state.code, state.set_code, "first-code"),
        _field(
            "设置密码",
            state.new_password,
            state.set_new_password,
            "first-password",
            "password",
        ),
        _field(
            "再次输入密码",
            state.repeat_password,
            state.set_repeat_password,
            "first-repeat",
            "password",
        ),
        rx.button(
            "设置密码并登录",
            size="3",
            width="100%",
            on_click=state.set_first_password,
            id="first-submit",
        ),
        rx.link("返回登录", on_click=state.switch_mode("login"), size="2"),
        spacing="3",
        width="100%",
    )


@page(
    routes.STUDENT_LOGIN,
    "考生登录",
    public=True,
    on_load=StudentLoginState.open_page,
)
def student_login_page() -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.heading("学生个人空间", size="6"),
            rx.text(APP_TITLE, size="2", color_scheme="gray"),
            rx.card(
                rx.vstack(
                    rx.cond(
                        StudentLoginState.expired_notice != "",
                        rx.callout(
                            StudentLoginState.expired_notice,
                            icon="clock",
                            color_scheme="amber",
                            id="student-login-expired",
                        ),
                    ),
                    rx.cond(
                        StudentLoginState.mode == "login",
                        _login_form(),
                        _first_login_form(),
                    ),
                    rx.cond(
                        StudentLoginState.error != "",
                        rx.callout(
                            StudentLoginState.error,
                            icon="triangle-alert",
                            color_scheme="red",
                            id="student-error",
                        ),
                    ),
                    spacing="3",
                ),
                width="100%",
            ),
            rx.link("证书查验", href=routes.VERIFY, size="2"),
            spacing="4",
            width=["92vw", "26rem"],
        ),
        min_height="100vh",
        padding_y="2rem",
    )


def _line(label: str, value) -> rx.Component:
    return rx.text(rx.text.span(label + "：", color_scheme="gray"), value, size="2")


def _certificate_card(row) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(row["certificate"] + " · " + row["level"], weight="bold"),
            _line("证书编号", row["number"]),
            _line("发证机构", row["organisation"]),
            _line("发证日期", row["issued"]),
            rx.hstack(
                rx.button(
                    "下载电子证书",
                    size="3",
                    on_click=StudentSpaceState.download(row["id"]),
                    id="student-download-" + row["id"],
                ),
                rx.link(
                    "查验", href=routes.VERIFY + "?number=" + row["number"], size="2"
                ),
                align="center",
                spacing="4",
            ),
            spacing="1",
        ),
        width="100%",
        id="student-certificate-" + row["id"],
    )


def _section(title: str, note: str, rows, render, empty: str, section_id: str):
    return rx.vstack(
        rx.heading(title, size="4"),
        rx.text(note, size="1", color_scheme="gray"),
        rx.cond(
            rows.length() > 0,
            rx.vstack(rx.foreach(rows, render), width="100%", spacing="2"),
            rx.text(empty, size="2", color_scheme="gray"),
        ),
        width="100%",
        spacing="2",
        id=section_id,
    )


def _simple_card(*fields):
    def render(row) -> rx.Component:
        return rx.card(
            rx.vstack(*[_line(label, row[key]) for key, label in fields], spacing="1"),
            width="100%",
        )

    return render


def _ticket_card(row) -> rx.Component:
    return rx.card(
        rx.vstack(
            *[
                _line(label, row[key])
                for key, label in (
                    ("ticket", "准考证号"),
                    ("subject", "科目"),
                    ("time", "考试时间"),
                    ("site", "考核站点"),
                    ("room", "考场"),
                    ("seat", "座位号"),
                    ("address", "地址"),
                )
            ],
            rx.button(
                "下载准考证（PDF）",
                on_click=StudentSpaceState.download_ticket(row["plan_id"]),
                size="2",
                id="download-ticket-" + row["ticket"],
            ),
            spacing="1",
        ),
        width="100%",
    )


@page(
    routes.STUDENT_SPACE,
    "学生个人空间",
    roles=[Role.CANDIDATE],
    on_load=StudentSpaceState.load,
    nav_label="个人空间",
    nav_group="个人空间",
    order=470,
)
def student_space_page() -> rx.Component:
    state = StudentSpaceState
    return rx.vstack(
        rx.card(
            rx.vstack(
                rx.text(
                    state.profile["name"], weight="bold", size="4", id="student-name"
                ),
                _line("证件号码", state.profile["id_number"]),
                _line("所属院校", state.profile["school"]),
                spacing="1",
            ),
            width="100%",
        ),
        _section(
            "我的证书",
            "培训评价组织与院校双方签发后，电子证书在此查看和下载。",
            state.certificate_rows,
            _certificate_card,
            "暂无已签发的证书",
            "student-certificates",
        ),
        _section(
            "考证结果",
            "成绩公示开始后显示各证书等级的考核结果。",
            state.result_rows,
            _simple_card(
                ("plan", "考试计划"),
                ("certificate", "证书"),
                ("level", "等级"),
                ("composite", "综合成绩"),
                ("outcome", "结果"),
            ),
            "暂无考证结果",
            "student-results",
        ),
        _section(
            "科目成绩",
            "成绩公示开始后显示；公示期间如有更正以最新成绩为准。",
            state.score_rows,
            _simple_card(("plan", "考试计划"), ("subject", "科目"), ("score", "成绩")),
            "暂无已公示的成绩",
            "student-scores",
        ),
        _section(
            "准考证",
            "准考证打印时间内显示考场、座位与考试时间。",
            state.ticket_rows,
            _ticket_card,
            "当前不在准考证打印时间内",
            "student-tickets",
        ),
        spacing="5",
        width="100%",
    )
