"""Small form pieces: a labelled field with its error, a native select, a region picker."""

import reflex as rx

from xcert_app.db import session_scope
from xcert_app.services import reference

SELECT_STYLE = {
    "height": "2rem",
    "padding": "0 0.5rem",
    "border_radius": "6px",
    "border": f"1px solid {rx.color('gray', 7)}",
    "background": rx.color("gray", 1),
    "min_width": "9rem",
    "max_width": "100%",
}


def field_error(errors, name: str) -> rx.Component:
    """Show the message of ``errors[name]`` in red when there is one."""
    return rx.cond(
        errors.contains(name),
        rx.text(errors[name], color_scheme="red", size="1", id=f"{name}-error"),
    )


def labelled(
    label: str, control: rx.Component, errors=None, name: str = "", required=False
) -> rx.Component:
    """Place a label above ``control`` and the field's error below it when ``errors`` is given."""
    parts = [
        rx.text(("* " if required else "") + label, size="2", weight="medium"),
        control,
    ]
    if errors is not None and name:
        parts.append(field_error(errors, name))
    return rx.vstack(*parts, spacing="1", align="start")


def native_select(
    options,
    *,
    value,
    on_change,
    placeholder: str,
    id: str,
    width: str = "auto",
) -> rx.Component:
    """Render a native ``<select>`` over ``options``, dicts with ``value`` and ``label``."""
    return rx.el.select(
        rx.el.option(placeholder, value=""),
        rx.foreach(
            options,
            lambda option: rx.el.option(option["label"], value=option["value"]),
        ),
        value=value,
        on_change=on_change,
        id=id,
        style={**SELECT_STYLE, "width": width},
    )


def region_picker(
    state,
    *,
    id_prefix: str,
) -> rx.Component:
    """Province, city and district selects bound to a state with the region fields.

    The state provides ``provinces``, ``cities``, ``districts`` (option lists),
    ``province_code``, ``city_code``, ``district_code`` and the events
    ``pick_province``, ``pick_city`` and ``pick_district``.
    """
    return rx.hstack(
        native_select(
            state.provinces,
            value=state.province_code,
            on_change=state.pick_province,
            placeholder="选择省",
            id=f"{id_prefix}-province",
        ),
        native_select(
            state.cities,
            value=state.city_code,
            on_change=state.pick_city,
            placeholder="选择市",
            id=f"{id_prefix}-city",
        ),
        native_select(
            state.districts,
            value=state.district_code,
            on_change=state.pick_district,
            placeholder="选择区县",
            id=f"{id_prefix}-district",
        ),
        spacing="2",
    )


def data_table(headers: list[str], body, *, id: str) -> rx.Component:
    """Render a table with a header row and ``body`` rows."""
    return rx.table.root(
        rx.table.header(
            rx.table.row(*[rx.table.column_header_cell(label) for label in headers])
        ),
        rx.table.body(body),
        width="100%",
        id=id,
        variant="surface",
    )


def pager(*, page_number, total, page_size: int, go_to_page) -> rx.Component:
    """Render previous and next buttons around "第 N 页，共 M 条".

    ``go_to_page`` is the state's event that takes the page number to show.
    """
    return rx.hstack(
        rx.button(
            "上一页",
            size="1",
            variant="soft",
            disabled=page_number <= 1,
            on_click=go_to_page(page_number - 1),
        ),
        rx.text(
            "第 ",
            page_number.to_string(),
            " 页，共 ",
            total.to_string(),
            " 条",
            size="2",
        ),
        rx.button(
            "下一页",
            size="1",
            variant="soft",
            disabled=page_number * page_size >= total,
            on_click=go_to_page(page_number + 1),
        ),
        align="center",
    )


class RegionMixin(rx.State, mixin=True):
    """Province, city and district choices from the division table, for a form."""

    provinces: list[dict[str, str]] = []
    cities: list[dict[str, str]] = []
    districts: list[dict[str, str]] = []
    province_code: str = ""
    city_code: str = ""
    district_code: str = ""

    def load_provinces(self, session) -> None:
        """Fill the province options; call from the page's load handler."""
        self.provinces = _options(reference.provinces(session))

    def set_region(self, session, province: str, city: str, district: str) -> None:
        """Select a stored region and fill the city and district options for it."""
        self.province_code, self.city_code, self.district_code = (
            province,
            city,
            district,
        )
        self.cities = (
            _options(reference.children(session, province)) if province else []
        )
        self.districts = _options(reference.children(session, city)) if city else []

    @rx.event
    def pick_province(self, code: str):
        with session_scope() as session:
            self.set_region(session, code, "", "")

    @rx.event
    def pick_city(self, code: str):
        with session_scope() as session:
            self.set_region(session, self.province_code, code, "")

    @rx.event
    def pick_district(self, code: str):
        self.district_code = code


def _options(divisions) -> list[dict[str, str]]:
    return [{"value": division.code, "label": division.name} for division in divisions]
