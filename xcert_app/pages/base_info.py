"""The school's base information form (step 1 before declaring)."""

import reflex as rx

from xcert_app import routes
from xcert_app.components.page import page
from xcert_app.db import session_scope
from xcert_app.models.accounts import Role
from xcert_app.services import declarations, reference
from xcert_app.services.errors import ValidationError
from xcert_app.state import SessionState, shows_service_errors

FORM_FIELDS = (
    "school_type",
    "credit_code",
    "website",
    "city_code",
    "district_code",
    "address",
    "contact_name",
    "contact_mobile",
    "contact_email",
)


class BaseInfoState(SessionState):
    """The base information form of the caller's school."""

    values: dict[str, str] = {name: "" for name in FORM_FIELDS}
    school_name: str = ""
    institution_code: str = ""
    department_name: str = ""
    province_name: str = ""
    cities: list[dict[str, str]] = []
    districts: list[dict[str, str]] = []
    field_errors: dict[str, str] = {}
    completed: bool = False

    def _divisions(self, session, parent_code: str) -> list[dict[str, str]]:
        if not parent_code:
            return []
        return [
            {"code": division.code, "name": division.name}
            for division in reference.children(session, parent_code)
        ]

    @rx.event
    @shows_service_errors
    def load(self):
        with session_scope() as session:
            actor = self.current_actor(session)
            if actor is None or not actor.is_school:
                return
            school = declarations.get_school(session, actor=actor)
            self.school_name = school.name
            self.institution_code = school.institution_code or ""
            self.province_name = reference.division_name(session, school.province_code)
            self.department_name = declarations.province_department_name(
                session, school.province_code
            )
            self.values = {name: getattr(school, name) or "" for name in FORM_FIELDS}
            self.cities = self._divisions(session, school.province_code)
            self.districts = self._divisions(session, school.city_code)
            self.completed = declarations.has_base_info(school)
        self.field_errors = {}

    @rx.event
    def set_value(self, name: str, value: str):
        self.values[name] = value

    @rx.event
    def set_city(self, value: str):
        self.values["city_code"] = value
        self.values["district_code"] = ""
        with session_scope() as session:
            self.districts = self._divisions(session, value)

    @rx.event
    @shows_service_errors
    def save(self):
        """Check and store the form, then go on to the declarations."""
        self.field_errors = {}
        try:
            with session_scope() as session:
                actor = self.require_actor(session)
                declarations.save_base_info(
                    session,
                    actor=actor,
                    form=declarations.BaseInfoForm(**self.values),
                )
        except ValidationError as error:
            self.field_errors = error.errors
            return rx.toast.error("有字段未填写正确，请按红字提示修改")
        self.completed = True
        return [
            rx.toast.success("基础信息已保存"),
            rx.redirect(routes.SCHOOL_DECLARATIONS),
        ]


def _error(name: str) -> rx.Component:
    return rx.cond(
        BaseInfoState.field_errors.contains(name),
        rx.text(
            BaseInfoState.field_errors[name],
            color_scheme="red",
            size="1",
            id=f"{name}-error",
        ),
    )


def _row(label: str, control: rx.Component, name: str = "", required=True):
    return rx.vstack(
        rx.text(
            rx.cond(required, rx.text.span("* ", color_scheme="red"), ""),
            label,
            size="2",
        ),
        control,
        _error(name) if name else rx.fragment(),
        spacing="1",
        width="100%",
    )


def _fixed(value) -> rx.Component:
    """A read-only value that follows from the official list or the province."""
    return rx.input(value=value, disabled=True, width="100%")


def _input(name: str, placeholder: str = "") -> rx.Component:
    return rx.input(
        value=BaseInfoState.values[name],
        on_change=lambda value: BaseInfoState.set_value(name, value),
        placeholder=placeholder,
        id=name.replace("_", "-"),
        width="100%",
    )


def _division_select(name: str, options, on_change, placeholder: str):
    return rx.select.root(
        rx.select.trigger(
            placeholder=placeholder, width="100%", id=name.replace("_", "-")
        ),
        rx.select.content(
            rx.foreach(
                options, lambda row: rx.select.item(row["name"], value=row["code"])
            )
        ),
        value=BaseInfoState.values[name],
        on_change=on_change,
    )


@page(
    routes.SCHOOL_BASE_INFO,
    "院校基础信息",
    roles=[Role.SCHOOL_HEAD, Role.SCHOOL_ADMIN],
    on_load=BaseInfoState.load,
    nav_label="院校基础信息",
    nav_group="机构管理",
    order=105,
)
def base_info_page() -> rx.Component:
    state = BaseInfoState
    return rx.card(
        rx.vstack(
            rx.cond(
                ~state.completed,
                rx.callout(
                    "申报证书试点前，请先完善并保存本校基础信息。",
                    icon="info",
                    id="base-info-needed",
                ),
            ),
            rx.heading("院校基础信息", size="4"),
            rx.grid(
                _row(
                    "院校类型",
                    rx.select.root(
                        rx.select.trigger(
                            placeholder="选择院校类型", width="100%", id="school-type"
                        ),
                        rx.select.content(
                            *[
                                rx.select.item(label, value=label)
                                for label in declarations.SCHOOL_TYPES
                            ]
                        ),
                        value=state.values["school_type"],
                        on_change=lambda value: state.set_value("school_type", value),
                    ),
                    "school_type",
                ),
                _row("院校名称", _fixed(state.school_name), required=False),
                _row(
                    "统一社会信用代码",
                    _input("credit_code", "18 位，例如 91110000802100433B"),
                    "credit_code",
                ),
                _row("院校代码", _fixed(state.institution_code), required=False),
                _row(
                    "院校网址",
                    _input("website", "https://"),
                    "website",
                    required=False,
                ),
                _row("省教育行政部门", _fixed(state.department_name), required=False),
                rx.vstack(
                    _row(
                        "单位所在地",
                        rx.grid(
                            _fixed(state.province_name),
                            _division_select(
                                "city_code", state.cities, state.set_city, "选择市"
                            ),
                            _division_select(
                                "district_code",
                                state.districts,
                                lambda value: state.set_value("district_code", value),
                                "选择区县",
                            ),
                            columns="3",
                            spacing="2",
                            width="100%",
                        ),
                    ),
                    _error("city_code"),
                    _error("district_code"),
                    spacing="1",
                    width="100%",
                    grid_column="1 / -1",
                ),
                _row(
                    "详细地址",
                    _input("address", "如道路、门牌号、小区、楼栋号、单元号等"),
                    "address",
                ),
                columns=rx.breakpoints(initial="1", md="2"),
                spacing="4",
                width="100%",
            ),
            rx.heading("联系人信息", size="4"),
            rx.grid(
                _row("联系人姓名", _input("contact_name"), "contact_name"),
                _row(
                    "联系人手机号",
                    _input("contact_mobile", "11 位手机号码"),
                    "contact_mobile",
                ),
                _row(
                    "联系人邮箱",
                    _input("contact_email", "name@example.cn"),
                    "contact_email",
                ),
                columns=rx.breakpoints(initial="1", md="3"),
                spacing="4",
                width="100%",
            ),
            rx.button("保存，进入下一步", on_click=state.save, id="save-base-info"),
            spacing="4",
            width="100%",
        ),
        width="100%",
    )
