"""Candidate spreadsheets: the import templates, the per-row checks, error reports, export."""

import datetime as dt
import functools
import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from pypinyin.contrib.tone_convert import to_normal
from pypinyin.pinyin_dict import pinyin_dict

from xcert_app.clock import clock, to_beijing
from xcert_app.models.candidates import CandidateKind
from xcert_app.services.identity import (
    id_check_character,
    id_number_problem,
    is_valid_mobile,
)
from xcert_app.spreadsheets.reading import (
    SheetRow,
    Table,
    cell,
    clean_text,
    read_table,
    text_value,
)
from xcert_app.spreadsheets.xlsx_cells import UnreadableCell, unreadable_message

ID_CARD = "居民身份证"
RESIDENCE_PERMIT = "港澳台居民居住证"
ID_TYPES = [
    ID_CARD,
    RESIDENCE_PERMIT,
    "港澳居民来往内地通行证",
    "台湾居民来往大陆通行证",
    "护照",
]
# Both documents carry a GB 11643 number with a check character.
GB11643_TYPES = {ID_CARD, RESIDENCE_PERMIT}
ID_TYPE_ALIASES = {"身份证": ID_CARD, "二代身份证": ID_CARD, "居住证": RESIDENCE_PERMIT}

PROGRAMME_LEVELS = ["中职", "高职专科", "高职本科", "本科"]
LEVEL_ALIASES = {
    "中专": "中职",
    "职高": "中职",
    "专科": "高职专科",
    "大专": "高职专科",
    "高职": "高职专科",
    "职业本科": "高职本科",
}

# (field, header) in template order; the school template uses all of them.
COLUMNS = [
    ("name", "姓名"),
    ("name_pinyin", "姓名拼音"),
    ("id_type", "证件类型"),
    ("id_number", "证件号码"),
    ("mobile", "手机号码"),
    ("major", "就读专业"),
    ("programme_level", "专业层次"),
    ("enrolment_year", "入学年份"),
]
HEADERS = dict(COLUMNS)
SOCIAL_FIELDS = ["name", "name_pinyin", "id_type", "id_number", "mobile", "major"]
SOCIAL_HEADERS = {**HEADERS, "major": "所学专业"}
REQUIRED = {
    CandidateKind.SCHOOL: [
        "name",
        "id_number",
        "mobile",
        "major",
        "programme_level",
        "enrolment_year",
    ],
    CandidateKind.SOCIAL: ["name", "id_number", "mobile"],
}
HEADER_ALIASES = {
    "姓名": "name",
    "考生姓名": "name",
    "学生姓名": "name",
    "姓名拼音": "name_pinyin",
    "拼音": "name_pinyin",
    "证件类型": "id_type",
    "证件号码": "id_number",
    "证件号": "id_number",
    "身份证号": "id_number",
    "身份证号码": "id_number",
    "手机号码": "mobile",
    "手机号": "mobile",
    "手机": "mobile",
    "联系电话": "mobile",
    "就读专业": "major",
    "所学专业": "major",
    "专业": "major",
    "专业层次": "programme_level",
    "层次": "programme_level",
    "学历层次": "programme_level",
    "入学年份": "enrolment_year",
    "入学年级": "enrolment_year",
    "年级": "enrolment_year",
}
ERROR_COLUMN = "错误原因"
STATUS_COLUMNS = ["认证状态", "认证说明"]

# Surnames whose reading differs from the character's most common reading.
SURNAME_READINGS = {
    "万俟": "moqi",
    "尉迟": "yuchi",
    "长孙": "zhangsun",
    "澹台": "tantai",
    "单于": "chanyu",
    "曾": "zeng",
    "单": "shan",
    "解": "xie",
    "查": "zha",
    "仇": "qiu",
    "区": "ou",
    "朴": "piao",
    "盖": "ge",
    "乐": "yue",
    "缪": "miao",
    "覃": "qin",
    "翟": "zhai",
    "尉": "yu",
    "秘": "bi",
    "员": "yun",
    "种": "chong",
    "过": "guo",
    "繁": "po",
    "黑": "he",
    "能": "nai",
    "召": "shao",
    "句": "gou",
    "折": "she",
    "任": "ren",
    "宁": "ning",
    "华": "hua",
    "柏": "bai",
    "薄": "bo",
    "牟": "mou",
    "冼": "xian",
    "洗": "xian",
    "隗": "wei",
    "贲": "ben",
    "重": "chong",
    "应": "ying",
    "沈": "shen",
    "石": "shi",
    "郇": "huan",
    "蕃": "pi",
}

_YEAR = re.compile(r"^(\d{4})(?:\.0+|年|级|届|[-/.]\d{1,2}(?:[-/.]\d{1,2})?)?$")
_CHECK_LAST = set("0123456789X")
_OTHER_DOCUMENT = re.compile(r"^[A-Z0-9]{5,20}$")
# A long number as Excel writes it into a .csv file: 1.10105E+17.
_SCIENTIFIC = re.compile(r"^\d(\.\d+)?E\+?\d+$")
# Fields written as text cells in the text format "@" in error reports and exports.
TEXT_FIELDS = ("id_number", "mobile")
# Excel's General format shows at most 11 digits; longer numbers in any other
# column of an error report are written as text too.
LONG_DIGITS = 12
LONG_NUMBER = 10 ** (LONG_DIGITS - 1)


@dataclass(slots=True)
class CheckedRow:
    """One data row after the checks: clean values or the reasons it was rejected."""

    number: int
    raw: list
    values: dict[str, object] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    field_errors: dict[str, str] = field(default_factory=dict)
    pinyin_given: bool = True
    unreadable: dict[str, UnreadableCell] = field(default_factory=dict)

    def reject(self, field_name: str, message: str) -> None:
        # An unreadable cell already has its message; the checks of its value
        # would only add a misleading "empty" to it.
        if field_name in self.unreadable:
            return
        self.errors.append(message)
        self.field_errors.setdefault(field_name, message)


@functools.lru_cache(maxsize=8192)
def _character_pinyin(character: str) -> str:
    readings = pinyin_dict.get(ord(character))
    if not readings:
        return character if character.isascii() else ""
    return to_normal(readings.split(",")[0]).replace("ü", "v")


def name_pinyin(name: str) -> str:
    """Return the pinyin of a Chinese name, surname first: ``曾小明`` → ``ZENG XIAOMING``.

    Surnames use their surname reading; a name without Chinese characters is kept.
    """
    name = name.replace(" ", "")
    if not name or not any("\u3400" <= ch for ch in name):
        return name.upper()
    for length in (2, 1):
        surname = name[:length]
        if surname in SURNAME_READINGS:
            family = SURNAME_READINGS[surname]
            break
    else:
        surname = name[:1]
        family = _character_pinyin(surname)
    given = "".join(_character_pinyin(ch) for ch in name[len(surname) :] if ch != "·")
    return f"{family} {given}".strip().upper()


def _where(row: int, column: str) -> str:
    """Name the cell in a message; row 0 means a form, where only the field is named."""
    if row <= 0:
        return f"「{column}」"
    return f"第 {row} 行「{column}」"


def _id_number(value: object, row: int, id_type: str) -> tuple[str, str | None]:
    where = _where(row, "证件号码")
    if value is None or (isinstance(value, str) and not clean_text(value)):
        return "", f"{where}为空，请填写考生的证件号码"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return "", (
            f"{where}以数字格式保存，Excel 只保留 15 位，后几位已丢失。"
            "请把该列设为文本格式，按证件原样重新录入完整号码"
        )
    number = clean_text(str(value)).replace(" ", "").replace("-", "").upper()
    if _SCIENTIFIC.match(number):
        return number, (
            f"{where}是科学计数法（{number}），文件曾在 Excel 中以数字格式保存，"
            "只保留了 15 位，后几位已丢失。请把该列设为文本格式，按证件原样重新录入完整号码"
        )
    if id_type in GB11643_TYPES:
        problem = None if _valid_gb11643(number) else id_number_problem(number)
        if problem:
            return number, f"{where}：{problem}（{number}），请按证件核对后改正"
    elif not _OTHER_DOCUMENT.match(number):
        return number, f"{where}：{id_type}号码只能由 5 到 20 位字母和数字组成，请核对"
    return number, None


def _valid_gb11643(number: str) -> bool:
    """Tell quickly whether a number passes GB 11643; failures get the full message."""
    if len(number) != 18 or not number[:17].isdigit() or number[17] not in _CHECK_LAST:
        return False
    try:
        dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    return id_check_character(number[:17]) == number[17]


def _year(value: object, row: int) -> tuple[int | None, str | None]:
    where = _where(row, "入学年份")
    if isinstance(value, (dt.date, dt.datetime)):
        year = value.year
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        year = int(value) if float(value).is_integer() else None
    else:
        match = _YEAR.match(text_value(value).replace(" ", ""))
        year = int(match.group(1)) if match else None
    this_year = to_beijing(clock.now()).year
    if year is None or not 1990 <= year <= this_year + 1:
        shown = text_value(value)
        return None, f"{where}应为 4 位年份（如 2024），当前为“{shown}”"
    return year, None


def _choice(value: str, options: Sequence[str], aliases: dict[str, str]) -> str | None:
    value = value.replace(" ", "")
    if value in options:
        return value
    return aliases.get(value)


def check_row(row: SheetRow, columns: dict[str, int], kind: str) -> CheckedRow:
    """Check and clean one row; every error names the row, the column and what to do."""
    checked = CheckedRow(number=row.number, raw=row.raw)
    values = checked.values
    required = REQUIRED[CandidateKind(kind)]
    headers = HEADERS if kind == CandidateKind.SCHOOL else SOCIAL_HEADERS
    for name in columns:
        value = cell(row, columns, name)
        if isinstance(value, UnreadableCell):
            checked.reject(
                name, unreadable_message(_where(row.number, headers[name]), value)
            )
            checked.unreadable[name] = value

    def text(name: str) -> str:
        return text_value(cell(row, columns, name))

    values["name"] = text("name")
    if not values["name"]:
        checked.reject("name", f"{_where(row.number, '姓名')}为空，请填写考生姓名")
    elif len(values["name"]) > 30:
        checked.reject("name", f"{_where(row.number, '姓名')}超过 30 个字，请核对")

    id_type_text = text("id_type")
    id_type = (
        _choice(id_type_text, ID_TYPES, ID_TYPE_ALIASES) if id_type_text else ID_CARD
    )
    if id_type is None:
        checked.reject(
            "id_type",
            f"{_where(row.number, '证件类型')}“{id_type_text}”不在可选范围内，"
            f"请从下拉列表中选择：{'、'.join(ID_TYPES)}",
        )
        id_type = ID_CARD
    values["id_type"] = id_type
    values["id_number"], problem = _id_number(
        cell(row, columns, "id_number"), row.number, id_type
    )
    if problem:
        checked.reject("id_number", problem)

    mobile = text("mobile").replace(" ", "").replace("-", "")
    mobile = mobile.removeprefix("+86").removeprefix("0086")
    values["mobile"] = mobile
    if not mobile:
        if "mobile" in required:
            checked.reject(
                "mobile", f"{_where(row.number, '手机号码')}为空，请填写考生本人手机号"
            )
    elif not is_valid_mobile(mobile):
        checked.reject(
            "mobile",
            f"{_where(row.number, '手机号码')}“{mobile}”不是 11 位手机号，请核对",
        )

    values["major"] = text("major")
    if not values["major"] and "major" in required:
        checked.reject(
            "major", f"{_where(row.number, headers['major'])}为空，请填写专业名称"
        )

    level_text = text("programme_level")
    values["programme_level"] = ""
    if level_text:
        level = _choice(level_text, PROGRAMME_LEVELS, LEVEL_ALIASES)
        if level is None:
            checked.reject(
                "programme_level",
                f"{_where(row.number, '专业层次')}“{level_text}”不在可选范围内，"
                f"请从下拉列表中选择：{'、'.join(PROGRAMME_LEVELS)}",
            )
        else:
            values["programme_level"] = level
    elif "programme_level" in required:
        checked.reject(
            "programme_level",
            f"{_where(row.number, '专业层次')}为空，请从下拉列表中选择",
        )

    year_cell = cell(row, columns, "enrolment_year")
    values["enrolment_year"] = None
    if text_value(year_cell):
        values["enrolment_year"], problem = _year(year_cell, row.number)
        if problem:
            checked.reject("enrolment_year", problem)
    elif "enrolment_year" in required:
        checked.reject(
            "enrolment_year", f"{_where(row.number, '入学年份')}为空，请填写 4 位年份"
        )

    pinyin = text("name_pinyin").upper()
    checked.pinyin_given = bool(pinyin)
    values["name_pinyin"] = pinyin or name_pinyin(values["name"])
    return checked


def read_candidates(data: bytes, kind: str) -> tuple[Table, list[CheckedRow]]:
    """Read a candidate file and check every row, including duplicates inside the file."""
    table = read_table(data, aliases=HEADER_ALIASES, required=["name", "id_number"])
    checked = [check_row(row, table.columns, kind) for row in table.rows]
    _mark_duplicates(checked)
    return table, checked


def unreadable_notes(rows: Iterable[CheckedRow], kind: str) -> list[str]:
    """Sum up, per column, the rows whose cell is a formula without result or an error.

    A column that is a formula in every row gives one message per row, so the
    summary states the cause once for a file of thousands of such rows.
    """
    headers = HEADERS if kind == CandidateKind.SCHOOL else SOCIAL_HEADERS
    found: dict[tuple[str, bool], list[int]] = {}
    for row in rows:
        for name, unreadable in row.unreadable.items():
            found.setdefault((name, bool(unreadable.error)), []).append(row.number)
    notes = []
    for (name, is_error), numbers in found.items():
        if len(numbers) < 2:
            continue
        if is_error:
            notes.append(
                f"「{headers[name]}」列有 {len(numbers)} 行是错误值（第一处在第 "
                f"{numbers[0]} 行），请改正公式或填写正确的内容后再导入"
            )
        else:
            notes.append(
                f"「{headers[name]}」列有 {len(numbers)} 行是公式，文件中没有计算结果"
                f"（第一处在第 {numbers[0]} 行），常见于由程序生成的文件。"
                "请在 Excel 中打开并保存，或把该列复制后“选择性粘贴-数值”再导入"
            )
    return notes


def _mark_duplicates(rows: list[CheckedRow]) -> None:
    first_by_number: dict[str, CheckedRow] = {}
    for row in rows:
        number = row.values.get("id_number")
        if not number:
            continue
        first = first_by_number.setdefault(number, row)
        if first is row:
            continue
        same = first.values == row.values and not first.errors
        if same:
            row.reject(
                "id_number",
                f"第 {row.number} 行与第 {first.number} 行是同一人（证件号码 {number}），"
                f"已按第 {first.number} 行导入，请删除本行",
            )
            first.notes.append(f"第 {row.number} 行与本行重复，只导入本行")
        else:
            # Each row names itself first, so the two lines of the report differ.
            for this, other in ((row, first), (first, row)):
                this.reject(
                    "id_number",
                    f"第 {this.number} 行与第 {other.number} 行证件号码相同（{number}）"
                    "但其他信息不同，请核对后只保留正确的一行",
                )


def _text_cell(
    worksheet, row: int, column: int, value: object, *, as_text: bool = False
) -> None:
    """Write a value so spreadsheet programs never evaluate it as a formula.

    ``as_text`` writes the value as a text cell in the text number format
    ``@``, so digits stay digits, also after someone edits the cell.
    """
    target = worksheet.cell(row=row, column=column)
    if as_text and value is not None:
        value = _as_text(value)
        target.number_format = "@"
    if isinstance(value, str):
        target.value = value
        target.data_type = "s"
        if value[:1] in ("=", "+", "-", "@", "\t", "\r"):
            target.quotePrefix = True
    else:
        target.value = value


def _as_text(value: object) -> str:
    """Return a cell's text; a whole float shows the 15 digits Excel keeps, no more.

    ``str(int(1.10101199003077e17))`` would show binary rounding noise
    (``...076992``) where Excel shows ``...077000``.
    """
    if isinstance(value, float) and value.is_integer():
        return str(int(Decimal(format(value, ".15g"))))
    return text_value(value)


def _is_long_number(value: object) -> bool:
    """Tell whether Excel would show a value in scientific notation or round it.

    The General format shows at most 11 digits, and a number keeps only 15.
    """
    if isinstance(value, bool):
        return False
    if isinstance(value, float):
        return value.is_integer() and abs(value) >= LONG_NUMBER
    if isinstance(value, int):
        return abs(value) >= LONG_NUMBER
    if isinstance(value, str):
        return len(value) >= LONG_DIGITS and value.isdigit()
    return False


def _text_columns(table: Table) -> set[int]:
    """Return the 0-based columns of the ID and mobile numbers in an uploaded file."""
    return {table.columns[name] for name in TEXT_FIELDS if name in table.columns}


def _style_header(worksheet, width: int) -> None:
    fill = PatternFill("solid", fgColor="DDEBF7")
    for column in range(1, width + 1):
        header = worksheet.cell(row=1, column=column)
        header.font = Font(bold=True)
        header.fill = fill
        header.alignment = Alignment(horizontal="center")
    worksheet.freeze_panes = "A2"


def template_fields(kind: str) -> list[str]:
    """Return the template's fields for school candidates or social trainees."""
    if kind == CandidateKind.SOCIAL:
        return SOCIAL_FIELDS
    return [name for name, _ in COLUMNS]


def build_template(kind: str) -> bytes:
    """Build the import template: text-formatted ID and phone, drop-downs, instructions."""
    fields = template_fields(kind)
    headers = SOCIAL_HEADERS if kind == CandidateKind.SOCIAL else HEADERS
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "考生信息"
    sheet.append([headers[name] for name in fields])
    _style_header(sheet, len(fields))
    last_row = 5001
    for position, name in enumerate(fields, start=1):
        letter = sheet.cell(row=1, column=position).column_letter
        sheet.column_dimensions[letter].width = 22 if name == "id_number" else 14
        if name in ("id_number", "mobile", "name_pinyin"):
            # A column style makes Excel format every cell typed in the column as
            # text, while the sheet's used range stays at the header row.
            sheet.column_dimensions[letter].number_format = "@"
        options = {"id_type": ID_TYPES, "programme_level": PROGRAMME_LEVELS}.get(name)
        if options:
            validation = DataValidation(
                type="list",
                formula1='"' + ",".join(options) + '"',
                allow_blank=True,
                showErrorMessage=True,
                errorTitle="请从列表中选择",
                error="请从下拉列表中选择一项",
            )
            validation.add(f"{letter}2:{letter}{last_row}")
            sheet.add_data_validation(validation)
    _add_instructions(workbook, kind, fields, headers)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def _add_instructions(workbook, kind: str, fields: list[str], headers: dict) -> None:
    sheet = workbook.create_sheet("填写说明")
    required = REQUIRED[CandidateKind(kind)]
    lines = [
        ("填写说明", ""),
        ("", "请在“考生信息”表中从第 2 行开始填写，每人一行，不要改动表头。"),
        ("", "证件号码和手机号码列已设为文本格式，请直接输入或“选择性粘贴为数值”，"),
        ("", "不要粘贴成数字：Excel 只保留 15 位数字，身份证号后几位会丢失。"),
        (
            "",
            "同一考生只需导入一次；再次导入同一证件号码会更新该考生的信息（批量修改）。",
        ),
        ("", "照片请另行按“身份证号.jpg”命名、打包为 .zip 后在“导入照片”中上传。"),
        ("", ""),
        ("列", "要求"),
    ]
    rules = {
        "name": "考生姓名，与证件一致",
        "name_pinyin": "可不填，系统按姓氏读音自动生成（如 曾小明 → ZENG XIAOMING）",
        "id_type": "从下拉列表选择；不填视为居民身份证",
        "id_number": "18 位居民身份证号，末位 X 大小写均可",
        "mobile": "考生本人 11 位手机号",
        "major": "专业全称",
        "programme_level": f"从下拉列表选择：{'、'.join(PROGRAMME_LEVELS)}",
        "enrolment_year": "4 位年份，如 2024",
    }
    for name in fields:
        mark = "（必填）" if name in required else "（选填）"
        lines.append((headers[name], rules[name] + mark))
    for line in lines:
        sheet.append(list(line))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.column_dimensions["A"].width = 14
    sheet.column_dimensions["B"].width = 90


def build_error_report(
    table: Table,
    rows: Iterable[CheckedRow],
    errors_of: Callable[[CheckedRow], list[str]] = lambda row: row.errors,
) -> bytes:
    """Return the rejected rows as they were sent, with a 错误原因 column at the end."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "错误行"
    header = [*table.header, ERROR_COLUMN]
    for position, value in enumerate(header, start=1):
        _text_cell(sheet, 1, position, value)
    _style_header(sheet, len(header))
    reason_column = len(header)
    text_columns = _text_columns(table)
    for position in text_columns:
        letter = sheet.cell(row=1, column=position + 1).column_letter
        sheet.column_dimensions[letter].number_format = "@"
        sheet.column_dimensions[letter].width = 22
    line = 2
    for row in rows:
        errors = errors_of(row)
        if not errors:
            continue
        for position, value in enumerate(row.raw[: len(table.header)], start=1):
            value = _plain(value)
            as_text = position - 1 in text_columns or _is_long_number(value)
            _text_cell(sheet, line, position, value, as_text=as_text)
        _text_cell(sheet, line, reason_column, "；".join(errors))
        line += 1
    sheet.column_dimensions[
        sheet.cell(row=1, column=reason_column).column_letter
    ].width = 80
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def _plain(value: object) -> object:
    if isinstance(value, (dt.datetime, dt.date, dt.time, dt.timedelta)):
        return str(value)
    if isinstance(value, UnreadableCell):
        # The 错误原因 column names the formula; the cell is left empty so that
        # a re-import of the report reads nothing in its place.
        return None
    return value


def build_export(kind: str, rows: Iterable[dict]) -> bytes:
    """Write candidates in the template's columns (plus status), ready to re-import."""
    fields = template_fields(kind)
    headers = SOCIAL_HEADERS if kind == CandidateKind.SOCIAL else HEADERS
    workbook = Workbook(write_only=False)
    sheet = workbook.active
    sheet.title = "考生信息"
    header = [headers[name] for name in fields] + STATUS_COLUMNS
    for position, value in enumerate(header, start=1):
        _text_cell(sheet, 1, position, value)
    _style_header(sheet, len(header))
    text_positions = {
        position for position, name in enumerate(fields, start=1) if name in TEXT_FIELDS
    }
    line = 2
    for values in rows:
        cells = [values.get(name) for name in fields]
        cells += [values.get("status_label", ""), values.get("reasons", "")]
        for position, value in enumerate(cells, start=1):
            if value is None:
                continue
            _text_cell(
                sheet,
                line,
                position,
                value if isinstance(value, int) else str(value),
                as_text=position in text_positions,
            )
        line += 1
    for position, name in enumerate(fields, start=1):
        letter = sheet.cell(row=1, column=position).column_letter
        sheet.column_dimensions[letter].width = 22 if name == "id_number" else 14
        if position in text_positions:
            sheet.column_dimensions[letter].number_format = "@"
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()
