"""Change password; also where a generated password must be replaced first."""

import reflex as rx

from xcert_app import routes
from xcert_app.components.page import page
from xcert_app.db import session_scope
from xcert_app.services import accounts
from xcert_app.services.errors import ServiceError, ValidationError
from xcert_app.state import SessionState, service_error_event


class PasswordState(SessionState):
    """The change-password form."""

    old_password: str = ""
    new_password: str = ""
    repeat_password: str = ""
    field_errors: dict[str, str] = {}
    must_change: bool = False

    @rx.event
    def set_old_password(self, value: str):
        self.old_password = value

    @rx.event
    def set_new_password(self, value: str):
        self.new_password = value

    @rx.event
    def set_repeat_password(self, value: str):
        self.repeat_password = value

    @rx.event
    def load(self):
        with session_scope() as session:
            actor = self.current_actor(session)
            self.must_change = bool(
                actor and accounts.must_change_password(session, actor)
            )

    @rx.event
    def submit(self):
        self.field_errors = {}
        try:
            with session_scope() as session:
                actor = self.require_actor(session)
                accounts.change_password(
                    session,
                    actor=actor,
                    old_password=self.old_password,
                    new_password=self.new_password,
                    repeat_password=self.repeat_password,
                )
        except ValidationError as error:
            self.field_errors = error.errors
            return
        except ServiceError as error:
            return service_error_event(self, error)
        self.old_password = self.new_password = self.repeat_password = ""
        self.must_change = False
        return [rx.toast.success("密码已修改"), rx.redirect(routes.HOME)]


def _field(label: str, value, on_change, name: str) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="2"),
        rx.input(
            type="password", value=value, on_change=on_change, id=name, width="100%"
        ),
        rx.cond(
            PasswordState.field_errors.contains(name),
            rx.text(
                PasswordState.field_errors[name],
                color_scheme="red",
                size="1",
                id=f"{name}-error",
            ),
        ),
        spacing="1",
        width="100%",
    )


@page(routes.CHANGE_PASSWORD, "修改密码", on_load=PasswordState.load)
def change_password_page() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.cond(
                PasswordState.must_change,
                rx.callout(
                    "您正在使用系统生成的初始密码，请先设置自己的密码再继续使用。",
                    icon="info",
                    id="must-change",
                ),
            ),
            _field(
                "原密码",
                PasswordState.old_password,
                PasswordState.set_old_password,
                "old_password",
            ),
            _field(
                "新密码（8 位以上，含字母和数字）",
                PasswordState.new_password,
                PasswordState.set_new_password,
                "password",
            ),
            _field(
                "再次输入新密码",
                PasswordState.repeat_password,
                PasswordState.set_repeat_password,
                "repeat_password",
            ),
            rx.button("保存新密码", on_click=PasswordState.submit, id="save-password"),
            spacing="3",
        ),
        max_width="28rem",
    )
