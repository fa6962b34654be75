"""Small controls shared by the score and result pages: option selects, count badges,
a pager and a plain table."""

import reflex as rx

# Radix selects cannot hold an empty value, so "all" stands for "no filter".
ALL = "all"


def option_select(
    options, value, on_change, *, element_id: str, placeholder: str, with_all: bool
) -> rx.Component:
    """Build a select over ``[{"value", "label"}]`` options held in state."""
    items = [rx.select.item("全部", value=ALL)] if with_all else []
    return rx.select.root(
        rx.select.trigger(placeholder=placeholder, id=element_id, min_width="12rem"),
        rx.select.content(
            *items,
            rx.foreach(
                options,
                lambda option: rx.select.item(option["label"], value=option["value"]),
            ),
        ),
        value=value,
        on_change=on_change,
    )


def static_select(
    choices: list[tuple[str, str]], value, on_change, *, element_id: str
) -> rx.Component:
    """Build a select over fixed ``(value, label)`` choices."""
    return rx.select.root(
        rx.select.trigger(id=element_id, min_width="8rem"),
        rx.select.content(
            *[rx.select.item(label, value=choice) for choice, label in choices]
        ),
        value=value,
        on_change=on_change,
    )


def count_badges(items: list[tuple[str, object]], *, element_id: str) -> rx.Component:
    """Build a row of labelled counts, e.g. 全部 12 · 缺考 1."""
    return rx.hstack(
        *[
            rx.badge(label, " ", count, variant="soft", size="2")
            for label, count in items
        ],
        spacing="2",
        id=element_id,
    )


def pager(state, page_size: int) -> rx.Component:
    """Render previous and next buttons around the state's page text, each disabled at its end.

    ``state`` pages by ``offset`` over ``total`` rows, with the events
    ``previous_page`` and ``next_page``.
    """
    return rx.hstack(
        rx.button(
            "上一页",
            on_click=state.previous_page,
            variant="soft",
            size="1",
            disabled=state.offset <= 0,
        ),
        rx.text(state.page_text, size="2"),
        rx.button(
            "下一页",
            on_click=state.next_page,
            variant="soft",
            size="1",
            disabled=state.offset + page_size >= state.total,
        ),
        align="center",
    )


def data_table(
    columns: list[tuple[str, str]], rows, *, element_id: str, actions=None
) -> rx.Component:
    """Build a table of row dicts, where ``columns`` pairs each key with its header."""

    def row_view(row) -> rx.Component:
        cells = [rx.table.cell(row[key]) for key, _header in columns]
        if actions is not None:
            cells.append(rx.table.cell(actions(row)))
        return rx.table.row(*cells)

    headers = [header for _key, header in columns]
    if actions is not None:
        headers.append("操作")
    return rx.table.root(
        rx.table.header(
            rx.table.row(*[rx.table.column_header_cell(header) for header in headers])
        ),
        rx.table.body(rx.foreach(rows, row_view)),
        width="100%",
        size="1",
        id=element_id,
    )
