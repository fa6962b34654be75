"""The staff roster file: template and reading (姓名, 手机号码, 部门)."""

from xcert_app.spreadsheets.reading import cell, header_key, read_table, text_value
from xcert_app.spreadsheets.reports import table_to_xlsx

HEADERS = ["姓名", "手机号码", "部门"]
ALIASES = {header_key(name): name for name in HEADERS} | {
    header_key("手机"): "手机号码"
}
MAX_BYTES = 2 * 1024 * 1024


def template() -> bytes:
    """Return an empty roster template with the three columns."""
    return table_to_xlsx("人员名册", HEADERS, [])


def read_roster(data: bytes) -> list[dict[str, str]]:
    """Return one dict per filled row, with ``_row`` holding its sheet row number."""
    table = read_table(data, aliases=ALIASES, required=["姓名"])
    return [
        {"_row": str(row.number)}
        | {name: text_value(cell(row, table.columns, name)) for name in HEADERS}
        for row in table.rows
    ]
