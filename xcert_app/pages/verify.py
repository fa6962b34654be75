"""Public certificate verification (证书查验): no login, number plus the holder's ID number."""

import reflex as rx

from xcert_app import routes
from xcert_app.components.form_fields import field_error
from xcert_app.components.layout import APP_TITLE
from xcert_app.components.page import page
from xcert_app.db import session_scope
from xcert_app.services import verification_public
from xcert_app.services.errors import ServiceError
from xcert_app.services.verification_public import NUMBER_DIGITS

DETAIL_LABELS = [
    ("holder_name_masked", "姓名"),
    ("id_number_masked", "证件号码"),
    ("certificate_name", "证书名称"),
    ("level", "证书等级"),
    ("certificate_number", "证书编号"),
    ("organisation_name", "发证机构"),
    ("school_name", "考核站点"),
    ("issue_date", "发证日期"),
]


class VerifyState(rx.State):
    """The verification form and its result."""

    number: str = ""
    id_number: str = ""
    details: dict[str, str] = {}
    field_errors: dict[str, str] = {}
    message: str = ""

    @rx.event
    def set_number(self, value: str):
        self.number = value

    @rx.event
    def set_id_number(self, value: str):
        self.id_number = value

    @rx.event
    def prefill(self):
        """Fill the number from ``?number=``, as the certificate's QR code opens it."""
        self.number = self.router.url.query_parameters.get("number", "").strip()
        self.id_number = ""
        self.details = {}
        self.field_errors = {}
        self.message = ""

    @rx.event
    def submit(self):
        self.details = {}
        self.message = ""
        self.field_errors = verification_public.form_errors(self.number, self.id_number)
        if self.field_errors:
            return
        try:
            with session_scope() as session:
                found = verification_public.verify(
                    session,
                    number=self.number,
                    id_number=self.id_number,
                    client=self.router.session.client_ip,
                )
        except ServiceError as error:
            self.message = error.message
            return
        if found is None:
            self.message = verification_public.NOT_FOUND_MESSAGE
            return
        self.details = found.as_dict()


def _details() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.icon("badge-check", color=rx.color("green", 10)),
                rx.text("证书真实有效", weight="bold", color_scheme="green"),
                align="center",
            ),
            *[
                rx.hstack(
                    rx.text(label, color_scheme="gray", size="2", min_width="4.5rem"),
                    rx.text(VerifyState.details[key], size="2", id=f"verify-{key}"),
                    align="start",
                )
                for key, label in DETAIL_LABELS
            ],
            spacing="2",
        ),
        width="100%",
        id="verify-result",
    )


@page(routes.VERIFY, "证书查验", public=True, on_load=VerifyState.prefill)
def verify_page() -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.heading("职业技能等级证书查验", size="6"),
            rx.text(APP_TITLE, color_scheme="gray", size="2"),
            rx.card(
                rx.form(
                    rx.vstack(
                        rx.text("证书编号", size="2"),
                        rx.input(
                            value=VerifyState.number,
                            on_change=VerifyState.set_number,
                            placeholder=f"{NUMBER_DIGITS} 位数字",
                            input_mode="numeric",
                            max_length=NUMBER_DIGITS + 10,
                            size="3",
                            width="100%",
                            id="verify-number",
                        ),
                        field_error(VerifyState.field_errors, "number"),
                        rx.text(
                            f"证书编号为 {NUMBER_DIGITS} 位数字；"
                            "扫描证书上的二维码打开本页时会自动填入。",
                            size="1",
                            color_scheme="gray",
                            id="verify-number-help",
                        ),
                        rx.text("证件号码", size="2"),
                        rx.input(
                            value=VerifyState.id_number,
                            on_change=VerifyState.set_id_number,
                            placeholder="持证人身份证号码",
                            size="3",
                            width="100%",
                            id="verify-id",
                        ),
                        field_error(VerifyState.field_errors, "id_number"),
                        rx.button(
                            "查验",
                            type="submit",
                            size="3",
                            width="100%",
                            id="verify-submit",
                        ),
                        spacing="3",
                    ),
                    on_submit=VerifyState.submit,
                ),
                width="100%",
            ),
            rx.cond(
                VerifyState.message != "",
                rx.callout(
                    VerifyState.message,
                    icon="circle-alert",
                    color_scheme="red",
                    width="100%",
                    id="verify-message",
                ),
            ),
            rx.cond(VerifyState.details.length() > 0, _details()),
            rx.text(
                "姓名和证件号码已部分隐去。查验次数过多时请稍后再试。",
                size="1",
                color_scheme="gray",
            ),
            rx.hstack(
                rx.link("考生登录", href=routes.STUDENT_LOGIN, size="2"),
                rx.link("院校与机构登录", href=routes.LOGIN, size="2"),
                spacing="4",
            ),
            spacing="4",
            width=["92vw", "28rem"],
        ),
        min_height="100vh",
        padding_y="2rem",
    )
