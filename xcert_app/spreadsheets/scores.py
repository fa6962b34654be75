"""Score import files (read with calamine, row by row) and score/result exports.

An import sheet has a header row with 准考证号 or 证件号码, 科目编码 and 成绩
(a number, 缺考 or 违纪), and optionally 更正原因. Cells are read as Excel stored
them and never repaired: a subject code or ticket number kept as a number, a
formula without a cached result or an error value such as ``#N/A`` refuses that
row with the reason.
"""

import csv
import io
import logging
import unicodedata
from datetime import date, datetime, time

from openpyxl import Workbook
from python_calamine import CalamineError, CalamineWorkbook

from xcert_app.services.errors import ServiceError
from xcert_app.services.scores import ScoreRow
from xcert_app.spreadsheets.xlsx_cells import (
    UnreadableCell,
    mark_unreadable,
    unreadable_cells,
    unreadable_message,
)

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 10 * 1024 * 1024
HEADER_SEARCH_ROWS = 10
HEADERS = {
    "准考证号": "ticket_number",
    "证件号码": "id_number",
    "身份证号码": "id_number",
    "身份证号": "id_number",
    "科目编码": "subject_code",
    "科目代码": "subject_code",
    "成绩": "score",
    "更正原因": "reason",
}
TEMPLATE_HEADERS = ["准考证号", "证件号码", "科目编码", "成绩", "更正原因"]
_INVISIBLE = "\ufeff\u200b\u200c\u200d\u2060"
_XLSX_MAGIC = b"PK\x03\x04"
_XLS_MAGIC = b"\xd0\xcf\x11\xe0"


def clean_text(value: str) -> str:
    """NFKC-normalise and drop invisible characters and surrounding white space."""
    value = unicodedata.normalize("NFKC", value)
    return "".join(ch for ch in value if ch not in _INVISIBLE).strip()


def read_score_file(data: bytes, *, file_name: str = "") -> list[ScoreRow]:
    """Read an uploaded score file into rows; raise ``ServiceError`` for a bad file.

    Row numbers are the sheet's own. Blank rows are skipped.
    """
    if not data:
        raise ServiceError(f"文件 {file_name} 是空文件，请重新选择")
    if len(data) > MAX_FILE_BYTES:
        raise ServiceError(f"文件 {file_name} 超过 10 MB，请拆分后分批导入")
    if data.startswith((_XLSX_MAGIC, _XLS_MAGIC)):
        grid = _read_workbook(data, file_name)
    else:
        grid = _read_csv(data, file_name)
    return _rows_from_grid(grid, file_name)


def _read_workbook(data: bytes, file_name: str) -> list[list]:
    """Read the first sheet; in an .xlsx, formulas without a result are marked."""
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        grid = workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except (CalamineError, ValueError, OSError) as error:
        logger.warning("score file %s unreadable: %s", file_name, error)
        raise ServiceError(
            f"无法读取文件 {file_name}：它不是有效的 Excel 文件，请另存为 .xlsx 后重试"
        ) from None
    if data.startswith(_XLSX_MAGIC):
        found = unreadable_cells(data)
        mark_unreadable(grid, found.get(workbook.sheet_names[0], {}))
    return grid


def _read_csv(data: bytes, file_name: str) -> list[list]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return [list(row) for row in csv.reader(io.StringIO(text))]
    raise ServiceError(
        f"无法识别文件 {file_name} 的格式：请上传 Excel（.xlsx/.xls）或 CSV 文件"
    )


def _find_header(grid: list[list], file_name: str) -> tuple[int, dict[str, int]]:
    for row_index, row in enumerate(grid[:HEADER_SEARCH_ROWS]):
        columns = {}
        for column_index, cell in enumerate(row):
            key = HEADERS.get(clean_text(str(cell)))
            if key and key not in columns:
                columns[key] = column_index
        if "subject_code" in columns:
            missing = []
            if "ticket_number" not in columns and "id_number" not in columns:
                missing.append("准考证号或证件号码")
            if "score" not in columns:
                missing.append("成绩")
            if missing:
                raise ServiceError(
                    f"文件 {file_name} 第 {row_index + 1} 行表头缺少列："
                    f"{'、'.join(missing)}；请使用成绩导入模板"
                )
            return row_index, columns
    raise ServiceError(
        f"文件 {file_name} 的前 {HEADER_SEARCH_ROWS} 行中找不到表头"
        "（需要“科目编码”“成绩”以及“准考证号”或“证件号码”列）；请使用成绩导入模板"
    )


def _rows_from_grid(grid: list[list], file_name: str) -> list[ScoreRow]:
    header_index, columns = _find_header(grid, file_name)
    rows = []
    for row_index in range(header_index + 1, len(grid)):
        cells = grid[row_index]
        values = {
            key: cells[column] if column < len(cells) else ""
            for key, column in columns.items()
        }
        if all(_is_blank(value) for value in values.values()):
            continue
        rows.append(_row(row_index + 1, values))
    return rows


def _is_blank(value: object) -> bool:
    if isinstance(value, UnreadableCell):
        return False
    return clean_text(str(value)) == ""


_LABELS = {
    "ticket_number": "准考证号",
    "id_number": "证件号码",
    "subject_code": "科目编码",
    "score": "成绩",
    "reason": "更正原因",
}


def _row(row_number: int, values: dict) -> ScoreRow:
    """Build one import row from its cells, with every problem found in them."""
    row = ScoreRow(row_number=row_number)
    problems = []
    for key, value in values.items():
        if isinstance(value, UnreadableCell):
            where = f"第 {row_number} 行「{_LABELS[key]}」"
            problems.append(unreadable_message(where, value))
            # The message above names the cause, so the checks below see it empty.
            values[key] = ""

    code = values.get("subject_code", "")
    if isinstance(code, (int, float)) and not isinstance(code, bool):
        text = _integer_text(code)
        if text is None or len(text) != 6:
            problems.append(
                f"科目编码 {text or code} 被存成了数字，开头的 0 可能已丢失"
                "（科目编码为 6 位，如 043194）；请把该列设为文本后重新填写"
            )
        row.subject_code = text or ""
    else:
        row.subject_code = clean_text(str(code))

    for key in ("ticket_number", "id_number"):
        value = values.get(key, "")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            problems.append(
                f"{_LABELS[key]}被存成了数字，后几位可能已丢失；"
                "请把该列设为文本后重新填写"
            )
        elif isinstance(value, (date, datetime, time)):
            problems.append(f"{_LABELS[key]}被存成了日期，请设为文本后重新填写")
        else:
            setattr(row, key, clean_text(str(value)).upper())
    if not row.ticket_number and not row.id_number and not problems:
        problems.append("准考证号和证件号码都为空，请至少填写一项")
    if not row.subject_code and not problems:
        problems.append("科目编码为空")

    score = values.get("score", "")
    row.score = clean_text(score) if isinstance(score, str) else score
    if isinstance(score, (date, datetime, time)):
        problems.append("成绩被存成了日期，请改为数字")
    row.reason = clean_text(str(values.get("reason", "")))
    row.problem = "；".join(problems)
    return row


def _integer_text(value: int | float) -> str | None:
    if isinstance(value, float):
        if not value.is_integer():
            return None
        value = int(value)
    return str(value)


def template_xlsx() -> bytes:
    """Return the score import template with one example row."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "成绩导入"
    sheet.append(TEMPLATE_HEADERS)
    sheet.append(["20600002253700400057", "", "043194", "86.5", ""])
    for column in "ABCDE":
        sheet.column_dimensions[column].width = 24
        for cell in sheet[column]:
            cell.number_format = "@"
    return _to_bytes(workbook)


def rows_xlsx(title: str, columns: list[tuple[str, str]], rows: list[dict]) -> bytes:
    """Write rows to a one-sheet workbook; ``columns`` pairs a key with its header."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    sheet.append([header for _key, header in columns])
    for row in rows:
        sheet.append([str(row.get(key, "")) for key, _header in columns])
    return _to_bytes(workbook)


def _to_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
