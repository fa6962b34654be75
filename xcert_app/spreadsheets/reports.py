"""Plain tabular exports to .xlsx, safe to open in any spreadsheet program."""

from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Return ``value`` so that a spreadsheet never evaluates it as a formula.

    Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
    leading apostrophe-like quote prefix, the usual defence against CSV/formula injection.
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def table_to_xlsx(title: str, headers: list[str], rows: list[list]) -> bytes:
    """Write one sheet with a bold, frozen header row and sensible column widths."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for row in rows:
        sheet.append([safe_cell(value) for value in row])
    sheet.freeze_panes = "A2"
    for index, header in enumerate(headers, start=1):
        widest = max(
            [len(str(header))]
            + [len(str(row[index - 1])) for row in rows[:200] if index - 1 < len(row)]
        )
        sheet.column_dimensions[get_column_letter(index)].width = min(
            max(10, widest * 2 + 2), 60
        )
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
