"""Reading uploaded spreadsheets: format by content, header row by its names, clean values.

Schools send .xlsx, old .xls and CSV files in UTF-8 (with or without BOM) or
GB18030, often renamed, with title rows above the header and stray invisible
characters in cells. This module turns any of them into numbered rows of cleaned
values and rejects everything else with a message that names what the file is.
"""

import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import python_calamine

from xcert_app.services.errors import ServiceError
from xcert_app.spreadsheets.xlsx_cells import (
    UnreadableCell,
    mark_unreadable,
    unreadable_cells,
)

XLSX = "xlsx"
XLS = "xls"
CSV = "csv"

HEADER_SEARCH_ROWS = 30
# Zero-width characters, BOM, soft hyphen and bidi marks are removed, and so are
# C0/C1 control characters other than whitespace.
_INVISIBLE = re.compile(
    r"[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"\s+")
# Text made only of printable ASCII and common Han characters, with single inner
# spaces, is already clean. Most cells are, so they skip the full normalisation.
_NEEDS_CLEANING = re.compile(r"[^\u0020-\u007e\u4e00-\u9fff]|^ | $|  ")


@dataclass(slots=True)
class SheetRow:
    """One data row: its number as the spreadsheet program shows it, and its raw cells."""

    number: int
    raw: list


@dataclass
class Table:
    """The data found under the header row of one sheet."""

    file_format: str
    sheet_name: str
    header_row: int
    header: list[str]
    columns: dict[str, int]
    rows: list[SheetRow]
    blank_rows: int


def clean_text(value: str) -> str:
    """Normalise text typed or pasted by people: NFKC, no invisible characters, one space."""
    if not _NEEDS_CLEANING.search(value):
        return value
    value = unicodedata.normalize("NFKC", value)
    value = _INVISIBLE.sub("", value)
    value = _CONTROL.sub("", value)
    return _SPACES.sub(" ", value).strip()


def header_key(value: object) -> str:
    """Return a header cell reduced for matching: clean text without any spaces."""
    if value is None:
        return ""
    return clean_text(str(value)).replace(" ", "")


def detect_format(data: bytes) -> str:
    """Return ``xlsx``, ``xls`` or ``csv`` from the file's bytes, whatever its name.

    Raises ``ServiceError`` naming what the file really is when it is none of them.
    """
    if not data.strip():
        raise ServiceError("文件是空的，请选择填写好的考生信息表")
    if data.startswith(b"PK\x03\x04"):
        return XLSX
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return XLS
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<html", b"<!doctype", b"<table", b"<?xml")):
        raise ServiceError(
            "文件实际是网页或 XML 格式（常见于系统导出的“伪 Excel”），"
            "请用 Excel 打开后“另存为” .xlsx 再导入"
        )
    if data.startswith(b"%PDF"):
        raise ServiceError(
            "文件实际是 PDF，请上传 Excel（.xlsx）或 CSV 格式的考生信息表"
        )
    if b"\x00" in data[:4096]:
        raise ServiceError("无法识别文件格式，请上传 Excel（.xlsx、.xls）或 CSV 文件")
    return CSV


def decode_text(data: bytes) -> str:
    """Decode CSV bytes as UTF-8 (with or without BOM), otherwise as GB18030."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as error:
        raise ServiceError(
            "CSV 文件的文字编码无法识别，请用 Excel 打开后另存为 .xlsx，"
            "或另存为“CSV UTF-8（逗号分隔）”再导入"
        ) from error


def read_sheets(data: bytes) -> tuple[str, list[tuple[str, list[list]]]]:
    """Return the format and every sheet as ``(name, rows)``; row 0 is sheet row 1.

    In an .xlsx file, a formula without a cached result and an error value are
    returned as ``UnreadableCell`` where calamine gives an empty string.
    """
    file_format = detect_format(data)
    if file_format == CSV:
        text = decode_text(data)
        sample = text[:4096]
        delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
        rows = [list(row) for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
        return file_format, [("CSV", rows)]
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = [
            (
                name,
                workbook.get_sheet_by_name(name).to_python(skip_empty_area=False),
            )
            for name in workbook.sheet_names
        ]
    except Exception as error:  # calamine raises several unrelated types
        kind = (
            "Excel 2007 及以上（.xlsx）"
            if file_format == XLSX
            else "Excel 97-2003（.xls）"
        )
        raise ServiceError(
            f"文件看起来是 {kind} 格式，但内容已损坏或受密码保护，无法读取。"
            "请用 Excel 打开确认无误、取消密码后另存为 .xlsx 再导入"
        ) from error
    # NOTE: an .xls file stores a result in every formula record, and calamine
    # returns it. A script that stored a placeholder there instead of the real
    # result is not detected, and error values in .xls are not distinguished
    # from empty cells.
    if file_format == XLSX:
        found = unreadable_cells(data)
        for name, rows in sheets:
            mark_unreadable(rows, found.get(name, {}))
    return file_format, sheets


def find_header(
    rows: Sequence[Sequence], aliases: dict[str, str], required: Sequence[str]
) -> tuple[int, dict[str, int]] | None:
    """Find the header row among the first rows; return its index and field→column.

    ``aliases`` maps header keys (as ``header_key`` gives them) to field names. A
    row is the header when it names every field in ``required``.
    """
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        columns: dict[str, int] = {}
        for position, cell in enumerate(row):
            name = aliases.get(header_key(cell))
            if name and name not in columns:
                columns[name] = position
        if all(name in columns for name in required):
            return index, columns
    return None


def is_blank(row: Sequence) -> bool:
    """Tell whether a row has nothing but empty or whitespace cells."""
    for cell in row:
        if cell is None:
            continue
        if isinstance(cell, str) and not clean_text(cell):
            continue
        return False
    return True


def read_table(
    data: bytes, *, aliases: dict[str, str], required: Sequence[str]
) -> Table:
    """Read the first sheet that carries the header; blank rows are counted, not returned."""
    file_format, sheets = read_sheets(data)
    for sheet_name, rows in sheets:
        found = find_header(rows, aliases, required)
        if found is None:
            continue
        header_index, columns = found
        data_rows = []
        for index in range(header_index + 1, len(rows)):
            row = rows[index]
            if not isinstance(row, list):
                row = list(row)
            if not is_blank(row):
                data_rows.append(SheetRow(number=index + 1, raw=row))
        # Only blank rows between data rows count; formatted empty rows after the
        # data are not rows anybody typed.
        last_number = data_rows[-1].number if data_rows else header_index + 1
        blank_rows = last_number - (header_index + 1) - len(data_rows)
        return Table(
            file_format=file_format,
            sheet_name=sheet_name,
            header_row=header_index + 1,
            header=[
                "" if cell is None or isinstance(cell, UnreadableCell) else str(cell)
                for cell in rows[header_index]
            ],
            columns=columns,
            rows=data_rows,
            blank_rows=blank_rows,
        )
    # Name the columns as the template's headers do, not by their field names.
    labels = [
        next(
            (
                key
                for key, name in aliases.items()
                if name == field and not key.isascii()
            ),
            field,
        )
        for field in required
    ]
    names = "、".join(labels)
    raise ServiceError(
        f"在文件前 {HEADER_SEARCH_ROWS} 行中找不到表头（须包含 {names}），"
        "请使用下载的模板填写，不要改动表头文字"
    )


def text_value(value: object) -> str:
    """Return a cell as clean text; whole floats lose their ``.0``.

    An ``UnreadableCell`` gives "", as calamine reads it: callers that can name
    the cause check for it first.
    """
    if type(value) is str:
        return clean_text(value)
    if value is None or isinstance(value, UnreadableCell):
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return clean_text(repr(value))
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    return clean_text(str(value))


def cell(row: SheetRow, columns: dict[str, int], name: str) -> object:
    """Return the raw cell of field ``name`` in ``row``, or None if the column is absent."""
    position = columns.get(name)
    if position is None or position >= len(row.raw):
        return None
    return row.raw[position]
