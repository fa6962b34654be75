"""School self-registration: province, institution, mobile, image captcha, SMS code."""

import logging

import reflex as rx
from sqlalchemy.exc import IntegrityError

from xcert_app import routes
from xcert_app.components.form_fields import field_error
from xcert_app.components.layout import APP_TITLE
from xcert_app.components.page import page
from xcert_app.db import session_scope
from xcert_app.services import reference, registration
from xcert_app.services.errors import ValidationError
from xcert_app.state import SessionState

logger = logging.getLogger(__name__)

CAPTCHA_MISSING = "请输入图形验证码，再点击“获取验证码”接收短信验证码"


class RegisterState(SessionState):
    """The registration form. The captcha token stays on the server."""

    provinces: list[dict[str, str]] = []
    province_code: str = ""
    institution_text: str = ""
    institution_options: list[dict[str, str]] = []
    institution_code: str = ""
    institution_name: str = ""
    mobile: str = ""
    captcha_image: str = ""
    captcha_answer: str = ""
    sms_code: str = ""
    field_errors: dict[str, str] = {}
    code_sent: bool = False
    registered: bool = False
    new_username: str = ""
    new_password: str = ""
    _captcha_token: str = ""

    @rx.event
    def load(self):
        """Reset the form, list the provinces and draw a captcha."""
        self.province_code = self.institution_code = self.institution_name = ""
        self.institution_text = self.mobile = self.sms_code = ""
        self.institution_options = []
        self.field_errors = {}
        self.code_sent = self.registered = False
        self.new_username = self.new_password = ""
        with session_scope() as session:
            self.provinces = [
                {"code": division.code, "name": division.name}
                for division in reference.provinces(session)
            ]
        self._new_captcha()

    def _new_captcha(self) -> None:
        with session_scope() as session:
            challenge = registration.new_captcha(session)
        self._captcha_token = challenge.token
        self.captcha_image = challenge.image_data_url
        self.captcha_answer = ""

    def _search(self) -> None:
        if not self.province_code:
            self.institution_options = []
            return
        with session_scope() as session:
            self.institution_options = registration.search_institutions(
                session, province_code=self.province_code, text=self.institution_text
            )

    @rx.event
    def refresh_captcha(self):
        self._new_captcha()

    @rx.event
    def set_province(self, value: str):
        self.province_code = value
        self.institution_code = self.institution_name = self.institution_text = ""
        self.field_errors = {}
        self._search()

    @rx.event
    def set_institution_text(self, value: str):
        self.institution_text = value
        self.institution_code = self.institution_name = ""
        self._search()

    @rx.event
    def choose_institution(self, code: str):
        chosen = next(
            (row for row in self.institution_options if row["code"] == code), None
        )
        if chosen is None:
            return
        self.institution_code = chosen["code"]
        self.institution_name = chosen["name"]
        self.institution_text = f"{chosen['name']}（{chosen['code']}）"
        self.institution_options = []
        self.field_errors = {
            key: value
            for key, value in self.field_errors.items()
            if key != "institution"
        }
        if chosen["registered"]:
            self.field_errors["institution"] = (
                f"{chosen['name']} 已注册，请用注册时收到的账号登录；"
                "忘记账号请联系省级教育行政部门"
            )

    @rx.event
    def set_mobile(self, value: str):
        self.mobile = value

    @rx.event
    def set_captcha_answer(self, value: str):
        self.captcha_answer = value

    @rx.event
    def set_sms_code(self, value: str):
        self.sms_code = value

    @rx.event
    def send_code(self):
        """Check every field, then send an SMS code to the mobile."""
        self.field_errors = {}
        try:
            with session_scope() as session:
                result = registration.request_registration_code(
                    session,
                    province_code=self.province_code,
                    institution_code=self.institution_code,
                    mobile=self.mobile,
                    captcha_token=self._captcha_token,
                    captcha_answer=self.captcha_answer,
                )
        except ValidationError as error:
            self.field_errors = error.errors
            return
        finally:
            self._new_captcha()
        if result.errors:
            self.field_errors = result.errors
            return
        self.code_sent = True
        return rx.toast.success("短信验证码已发送，5 分钟内有效")

    def _show_registration_errors(self, errors: dict[str, str]) -> None:
        """Show ``errors``, naming the empty captcha too while no SMS code was sent.

        The captcha guards only the SMS code, so once the code is sent it is not needed.
        """
        if not self.code_sent and not self.captcha_answer.strip():
            errors = {**errors, "captcha": CAPTCHA_MISSING}
        self.field_errors = errors

    @rx.event
    def register(self):
        """Register the school and show the new account once."""
        self.field_errors = {}
        try:
            with session_scope() as session:
                result = registration.register_school(
                    session,
                    province_code=self.province_code,
                    institution_code=self.institution_code,
                    mobile=self.mobile,
                    sms_code=self.sms_code,
                )
        except ValidationError as error:
            self._show_registration_errors(error.errors)
            return
        except IntegrityError:
            # Two registrations of one institution at once: the unique institution
            # code lets only the first one in.
            logger.warning(
                "registration of institution %s lost a race", self.institution_code
            )
            self.field_errors = {
                "institution": f"{self.institution_name} 刚刚已被注册，"
                "请用注册时收到的账号登录"
            }
            return
        if result.errors:
            self._show_registration_errors(result.errors)
            return
        self.registered = True
        self.new_username = result.username
        self.new_password = result.password
        self.sms_code = ""


def _error(name: str) -> rx.Component:
    return field_error(RegisterState.field_errors, name)


def _institution_option(row) -> rx.Component:
    return rx.button(
        rx.text(row["name"]),
        rx.text(row["code"], color_scheme="gray", size="1"),
        rx.cond(row["registered"] != "", rx.badge("已注册", color_scheme="orange")),
        on_click=RegisterState.choose_institution(row["code"]),
        variant="ghost",
        width="100%",
        justify="start",
        id="institution-option-" + row["code"],
        type="button",
    )


def _form() -> rx.Component:
    state = RegisterState
    return rx.vstack(
        rx.text("院校所在省份", size="2"),
        rx.select.root(
            rx.select.trigger(placeholder="选择省份", width="100%", id="province"),
            rx.select.content(
                rx.foreach(
                    state.provinces,
                    lambda row: rx.select.item(row["name"], value=row["code"]),
                )
            ),
            value=state.province_code,
            on_change=state.set_province,
        ),
        _error("province"),
        rx.text("院校名称或院校代码", size="2"),
        rx.input(
            value=state.institution_text,
            on_change=state.set_institution_text.debounce(300),
            placeholder="输入名称或代码搜索，须与教育部名单一致",
            disabled=state.province_code == "",
            id="institution-search",
            width="100%",
        ),
        rx.cond(
            state.institution_options.length() > 0,
            rx.card(
                rx.vstack(
                    rx.foreach(state.institution_options, _institution_option),
                    spacing="1",
                    max_height="14rem",
                    overflow_y="auto",
                ),
                width="100%",
            ),
        ),
        _error("institution"),
        rx.text("手机号码", size="2"),
        rx.hstack(
            rx.badge("+86", size="2"),
            rx.input(
                value=state.mobile,
                on_change=state.set_mobile,
                placeholder="11 位手机号码",
                max_length=20,
                id="mobile",
                width="100%",
            ),
            width="100%",
            align="center",
        ),
        _error("mobile"),
        rx.text("图形验证码", size="2"),
        rx.hstack(
            rx.input(
                value=state.captcha_answer,
                on_change=state.set_captcha_answer,
                placeholder="请输入图中字符",
                id="captcha",
                width="100%",
            ),
            # An empty src makes the browser fetch the page again, so wait for one.
            rx.cond(
                state.captcha_image != "",
                rx.image(
                    src=state.captcha_image,
                    alt="图形验证码，点击换一张",
                    on_click=state.refresh_captcha,
                    cursor="pointer",
                    height="40px",
                    id="captcha-image",
                ),
            ),
            rx.link(
                "换一张", on_click=state.refresh_captcha, size="1", white_space="nowrap"
            ),
            width="100%",
            align="center",
        ),
        _error("captcha"),
        rx.text("短信验证码", size="2"),
        rx.hstack(
            rx.input(
                value=state.sms_code,
                on_change=state.set_sms_code,
                placeholder="6 位数字",
                max_length=6,
                id="sms-code",
                width="100%",
            ),
            rx.button(
                rx.cond(state.code_sent, "重新获取", "获取验证码"),
                on_click=state.send_code,
                variant="soft",
                id="send-code",
                type="button",
            ),
            width="100%",
        ),
        _error("sms_code"),
        rx.button("立即注册", on_click=state.register, width="100%", id="register"),
        rx.hstack(
            rx.text("已有账号？", size="2"),
            rx.link("立即登录", href=routes.LOGIN, size="2"),
        ),
        rx.text(
            "院校名称均来自教育部官方数据。找不到本校或名称不正确时，"
            "请联系所在省级教育行政部门的 1+X 证书试点负责人。",
            size="1",
            color_scheme="gray",
        ),
        spacing="2",
        width="100%",
    )


def _done() -> rx.Component:
    state = RegisterState
    return rx.vstack(
        rx.callout(
            "注册成功。账号和初始密码已发送到注册手机，请妥善保存；"
            "离开本页后将不再显示。首次登录须修改密码。",
            icon="circle-check",
            color_scheme="green",
        ),
        rx.data_list.root(
            rx.data_list.item(
                rx.data_list.label("院校"),
                rx.data_list.value(state.institution_name),
            ),
            rx.data_list.item(
                rx.data_list.label("账号"),
                rx.data_list.value(rx.code(state.new_username, id="new-username")),
            ),
            rx.data_list.item(
                rx.data_list.label("初始密码"),
                rx.data_list.value(rx.code(state.new_password, id="new-password")),
            ),
        ),
        rx.link(
            rx.button("开始申报试点证书", width="100%"),
            href=routes.login_with_next(routes.SCHOOL_DECLARATIONS),
            id="start-declaring",
            width="100%",
        ),
        spacing="3",
        width="100%",
    )


@page(routes.REGISTER, "院校注册", public=True, on_load=RegisterState.load)
def register_page() -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.heading(APP_TITLE, size="7"),
            rx.text("试点院校申报系统 — 注册账号", color_scheme="gray"),
            rx.card(
                rx.cond(RegisterState.registered, _done(), _form()),
                width="100%",
            ),
            spacing="4",
            width=["92vw", "30rem"],
        ),
        min_height="100vh",
        padding_y="2rem",
    )
