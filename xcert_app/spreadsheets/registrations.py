"""Registration spreadsheets: the three import templates, reading an import, the export.

An import lists either certificate levels (证件号码 + 证书名称 + 证书等级) or subjects
(证件号码 + 科目编码). Cells are normalised here (full-width digits, stray spaces,
lower-case X), and a formula without a cached result or an error value refuses its
row. The rules about candidates and quotas live in the service.
"""

import io
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from python_calamine import CalamineError, CalamineWorkbook

from xcert_app.spreadsheets.xlsx_cells import (
    UnreadableCell,
    mark_unreadable,
    unreadable_cells,
    unreadable_message,
)

MAX_IMPORT_BYTES = 5 * 1024 * 1024
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

ID_HEADER = "证件号码"
CERTIFICATE_HEADER = "证书名称"
LEVEL_HEADER = "证书等级"
SUBJECT_HEADER = "科目编码"

# Header rows are looked for in the first rows only, below any merged title rows.
_HEADER_SEARCH_ROWS = 10
_INVISIBLE = re.compile(r"[\u200b-\u200d\u2060\ufeff]")


class ImportKind(StrEnum):
    """Kind of item each row of an import names: a certificate level or a subject."""

    CERTIFICATE = "certificate"
    SUBJECT = "subject"


COLUMNS = {
    ImportKind.CERTIFICATE: (ID_HEADER, CERTIFICATE_HEADER, LEVEL_HEADER),
    ImportKind.SUBJECT: (ID_HEADER, SUBJECT_HEADER),
}


class SpreadsheetError(Exception):
    """Error for a file that cannot be read as an import; ``message`` is in Chinese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ImportRow:
    """One non-blank data row; ``problem`` is set when a cell is unusable as written."""

    row_number: int
    id_number: str = ""
    certificate_name: str = ""
    level: str = ""
    subject_code: str = ""
    problem: str = ""


@dataclass(frozen=True)
class ParsedImport:
    """The rows of an import file and what kind of rows they are."""

    kind: ImportKind
    rows: list[ImportRow]
    blank_rows: int


def clean_text(value: object) -> str:
    """Return a cell as text without invisible characters and outer spaces."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFKC", str(value))
    text = _INVISIBLE.sub("", text)
    return text.replace("\u00a0", " ").replace("\u3000", " ").strip()


def _clean_header(value: object) -> str:
    return clean_text(value).replace(" ", "").lstrip("*").rstrip("*:：")


def _id_number(value: object) -> tuple[str, str]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (
            "",
            "证件号码被存成了数字，Excel 只保留 15 位有效数字，后几位已丢失；"
            "请把该列设为文本格式后重新输入完整号码",
        )
    return clean_text(value).replace(" ", "").upper(), ""


def _subject_code(value: object) -> tuple[str, str]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        # A numeric cell only loses the leading zeros of a six-digit code, so
        # padding restores it exactly; anything else is reported.
        if float(value).is_integer() and 0 <= value < 1_000_000:
            return f"{int(value):06d}", ""
        return "", f"科目编码 {value} 不是 6 位数字，请按模板以文本填写"
    code = clean_text(value).replace(" ", "")
    if code and not re.fullmatch(r"\d{6}", code):
        return code, f"科目编码 {code} 不是 6 位数字（如 043194），请核对"
    return code, ""


def _read_rows(data: bytes, file_name: str) -> list[tuple[int, list]]:
    if len(data) > MAX_IMPORT_BYTES:
        raise SpreadsheetError(
            f"文件 {file_name} 超过 5 MB，请删除多余的工作表或空行后重新上传"
        )
    is_xlsx = data.startswith(b"PK\x03\x04")
    if not (is_xlsx or data.startswith(b"\xd0\xcf\x11\xe0")):
        raise SpreadsheetError(
            f"文件 {file_name} 不是 Excel 工作簿；请下载模板填写后另存为 .xlsx 再上传"
        )
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = workbook.get_sheet_by_index(0)
        values = sheet.to_python(skip_empty_area=False)
    except (CalamineError, ValueError, OSError) as error:
        raise SpreadsheetError(
            f"无法读取文件 {file_name}（{type(error).__name__}）；"
            "请用 Excel 打开后另存为 .xlsx 再上传"
        ) from error
    if is_xlsx:
        found = unreadable_cells(data)
        mark_unreadable(values, found.get(workbook.sheet_names[0], {}))
    return [(index + 1, row) for index, row in enumerate(values)]


def _find_header(rows: list[tuple[int, list]], file_name: str) -> tuple[int, dict]:
    for position, (_number, cells) in enumerate(rows[:_HEADER_SEARCH_ROWS]):
        headers = {_clean_header(cell): column for column, cell in enumerate(cells)}
        if ID_HEADER in headers and (
            SUBJECT_HEADER in headers
            or (CERTIFICATE_HEADER in headers and LEVEL_HEADER in headers)
        ):
            return position, headers
    raise SpreadsheetError(
        f"文件 {file_name} 的前 {_HEADER_SEARCH_ROWS} 行中没有找到表头："
        f"需要「{ID_HEADER}」以及「{SUBJECT_HEADER}」或「{CERTIFICATE_HEADER}」"
        f"和「{LEVEL_HEADER}」两列；请使用模板"
    )


def parse_import(
    data: bytes, *, file_name: str, expected: ImportKind | None = None
) -> ParsedImport:
    """Read an import file; ``expected`` rejects a file with the other template's columns.

    A file with a 科目编码 column is read by subject even when it also has the
    certificate columns. Raises ``SpreadsheetError`` for a file that is not a
    readable workbook or has no header.
    """
    rows = _read_rows(data, file_name)
    header_position, headers = _find_header(rows, file_name)
    kind = ImportKind.SUBJECT if SUBJECT_HEADER in headers else ImportKind.CERTIFICATE
    if expected is not None and kind != expected:
        expected_columns = "、".join(COLUMNS[expected])
        raise SpreadsheetError(
            f"文件 {file_name} 的列与所选导入方式不符：应包含 {expected_columns} 列；"
            "请下载对应模板"
        )

    parsed: list[ImportRow] = []
    blank_rows = 0
    read_columns = {headers[header] for header in COLUMNS[kind]}
    for row_number, cells in rows[header_position + 1 :]:

        def cell(header: str, cells=cells):
            column = headers.get(header)
            return cells[column] if column is not None and column < len(cells) else None

        if _is_blank(cells, read_columns):
            blank_rows += 1
            continue
        parsed.append(_parse_row(kind, row_number, cell))
    return ParsedImport(kind=kind, rows=parsed, blank_rows=blank_rows)


def _is_blank(cells: list, read_columns: set[int]) -> bool:
    """Tell whether a row is empty as calamine reads it.

    An unreadable cell counts only in a column the import reads, so an error value
    in a column of notes does not turn an empty row into a refused one.
    """
    for column, value in enumerate(cells):
        if isinstance(value, UnreadableCell):
            if column in read_columns:
                return False
        elif clean_text(value):
            return False
    return True


def _parse_row(kind: ImportKind, row_number: int, cell) -> ImportRow:
    unreadable = [
        unreadable_message(f"第 {row_number} 行「{header}」", cell(header))
        for header in COLUMNS[kind]
        if isinstance(cell(header), UnreadableCell)
    ]

    def readable(header: str) -> object:
        value = cell(header)
        return None if isinstance(value, UnreadableCell) else value

    id_number, id_problem = _id_number(readable(ID_HEADER))
    if kind == ImportKind.SUBJECT:
        code, code_problem = _subject_code(readable(SUBJECT_HEADER))
        return ImportRow(
            row_number=row_number,
            id_number=id_number,
            subject_code=code,
            problem="；".join(unreadable) or id_problem or code_problem,
        )
    return ImportRow(
        row_number=row_number,
        id_number=id_number,
        certificate_name=clean_text(readable(CERTIFICATE_HEADER)),
        level=clean_text(readable(LEVEL_HEADER)).replace(" ", ""),
        problem="；".join(unreadable) or id_problem,
    )


_TEMPLATE_NOTES = {
    ImportKind.CERTIFICATE: [
        "按证书报考：每行一个考生、一个证书等级，系统为其报考该等级在考试计划中的全部科目。",
        "证件号码、证书名称、证书等级三列必填；证书等级填 初级、中级 或 高级。",
        "若证书的科目因专业方向或考生类型不同而不同，请改用按科目报考模板。",
    ],
    ImportKind.SUBJECT: [
        "按科目报考：每行一个考生、一个科目。",
        "科目编码为 6 位数字（如 043194），请保持文本格式，不要删去开头的 0。",
    ],
}
_DELETE_NOTES = [
    "删除报考：每行一个考生、一个科目，删除该考生在所选考试计划中这一科目的报考。",
    "也可上传按证书模板填写的文件，删除该证书等级下的全部科目。",
    "已缴费、已排考或在待确认缴费申请单中的报考不能删除。",
]


def template(kind: ImportKind, *, for_delete: bool = False) -> bytes:
    """Build an empty import template whose ID and code columns are formatted as text."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "删除报考" if for_delete else "报考"
    headers = COLUMNS[kind]
    fill = PatternFill("solid", fgColor="DDEBF7")
    for column, header in enumerate(headers, start=1):
        cell = sheet.cell(row=1, column=column, value=header)
        cell.font = Font(bold=True)
        cell.fill = fill
        letter = get_column_letter(column)
        sheet.column_dimensions[letter].width = 24 if header == ID_HEADER else 32
        if header in (ID_HEADER, SUBJECT_HEADER):
            for row in range(2, 1002):
                sheet.cell(row=row, column=column).number_format = "@"
    notes = workbook.create_sheet("填写说明")
    for row, line in enumerate(_DELETE_NOTES if for_delete else _TEMPLATE_NOTES[kind]):
        notes.cell(row=row + 1, column=1, value=line)
    notes.column_dimensions["A"].width = 100
    return _to_bytes(workbook)


def export_rows(headers: list[str], rows: list[list[object]], *, title: str) -> bytes:
    """Write one sheet with a bold header row; every cell is written as text or number."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    for column in range(1, len(headers) + 1):
        sheet.column_dimensions[get_column_letter(column)].width = 20
    return _to_bytes(workbook)


def _to_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
