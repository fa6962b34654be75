"""Login page, with the demo accounts listed when demo mode is on."""

import logging

import reflex as rx

from xcert_app import routes
from xcert_app.components.layout import APP_TITLE
from xcert_app.components.page import page
from xcert_app.db import session_scope
from xcert_app.models.accounts import ROLE_LABELS
from xcert_app.services import accounts, demo
from xcert_app.services.errors import ServiceError
from xcert_app.settings import settings
from xcert_app.state import SessionState, login_expired_notice

logger = logging.getLogger(__name__)

DEMO_ROWS = [
    {"username": username, "role": ROLE_LABELS[role], "name": name}
    for username, role, _key, name in demo.DEMO_ACCOUNTS
]


class LoginState(SessionState):
    """The login form."""

    login_username: str = ""
    login_password: str = ""
    login_error: str = ""
    expired_notice: str = ""
    submitting: bool = False

    @rx.event
    def set_login_username(self, value: str):
        self.login_username = value

    @rx.event
    def set_login_password(self, value: str):
        self.login_password = value

    @rx.event
    def use_demo_account(self, username: str):
        self.login_username = username
        self.login_password = demo.DEMO_PASSWORD

    @rx.event
    def submit(self):
        """Check the credentials and open a session."""
        self.login_error = ""
        self.expired_notice = ""
        if not self.login_username.strip() or not self.login_password:
            self.login_error = "请输入账号和密码"
            return
        try:
            with session_scope() as session:
                account = accounts.authenticate(
                    session, username=self.login_username, password=self.login_password
                )
                token = accounts.open_session(session, account=account)
                must_change = account.must_change_password
        except ServiceError as error:
            self.login_error = error.message
            return
        self.auth_token = token
        self.login_password = ""
        target = self.router.url.query_parameters.get("next", routes.HOME)
        if not routes.is_local_path(target):
            target = routes.HOME
        return rx.redirect(routes.CHANGE_PASSWORD if must_change else target)

    @rx.event
    def leave_if_signed_in(self):
        """Go home when signed in, else show whether the last login has ended."""
        with session_scope() as session:
            if self.current_actor(session) is not None:
                return rx.redirect(routes.HOME)
        self.expired_notice = login_expired_notice(self)


def demo_panel() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(
                "演示账号（密码均为 " + demo.DEMO_PASSWORD + "）",
                weight="bold",
                size="2",
            ),
            rx.table.root(
                rx.table.body(
                    *[
                        rx.table.row(
                            rx.table.cell(
                                rx.link(
                                    row["username"],
                                    on_click=LoginState.use_demo_account(
                                        row["username"]
                                    ),
                                )
                            ),
                            rx.table.cell(row["role"]),
                            rx.table.cell(row["name"]),
                        )
                        for row in DEMO_ROWS
                    ]
                ),
                size="1",
            ),
            spacing="2",
        ),
        id="demo-accounts",
        width="100%",
    )


@page(routes.LOGIN, "登录", public=True, on_load=LoginState.leave_if_signed_in)
def login_page() -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.heading(APP_TITLE, size="7"),
            rx.text("职业技能等级证书试点院校业务平台", color_scheme="gray"),
            rx.card(
                rx.form(
                    rx.vstack(
                        rx.cond(
                            LoginState.expired_notice != "",
                            rx.callout(
                                LoginState.expired_notice,
                                color_scheme="amber",
                                icon="clock",
                                id="login-expired",
                                width="100%",
                            ),
                        ),
                        rx.text("账号", size="2"),
                        rx.input(
                            value=LoginState.login_username,
                            on_change=LoginState.set_login_username,
                            placeholder="账号或身份证号",
                            id="username",
                            width="100%",
                        ),
                        rx.text("密码", size="2"),
                        rx.input(
                            type="password",
                            value=LoginState.login_password,
                            on_change=LoginState.set_login_password,
                            placeholder="密码",
                            id="password",
                            width="100%",
                        ),
                        rx.cond(
                            LoginState.login_error != "",
                            rx.callout(
                                LoginState.login_error,
                                color_scheme="red",
                                icon="triangle-alert",
                                id="login-error",
                            ),
                        ),
                        rx.button(
                            "登录", type="submit", width="100%", id="login-submit"
                        ),
                        rx.hstack(
                            rx.link("院校注册", href="/register"),
                            rx.spacer(),
                            rx.link("证书查验", href="/verify"),
                            width="100%",
                        ),
                        spacing="3",
                    ),
                    on_submit=LoginState.submit,
                ),
                width="100%",
            ),
            demo_panel() if settings.demo_mode else rx.fragment(),
            spacing="4",
            width=["92vw", "26rem"],
        ),
        min_height="100vh",
        padding_y="2rem",
    )
