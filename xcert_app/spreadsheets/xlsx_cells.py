"""Cells of an .xlsx file that calamine reads as empty although they are not.

python-calamine 0.9.1 returns a formula's cached result and nothing about the
formula itself. Files written by openpyxl and other scripts carry formulas
without a cached result. Such a formula and an error value such as ``#N/A`` both
come back as an empty string, so a reader would report the cell as empty. This
module finds those cells in the sheet XML, puts them into the rows calamine
read, and words the message that names the real cause and the fix.
"""

import logging
import posixpath
import re
import zipfile
from dataclasses import dataclass
from io import BytesIO
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring, iterparse

logger = logging.getLogger(__name__)

_RELATIONSHIP_ID = (
    "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
)
_STRICT_RELATIONSHIP_ID = "{http://purl.oclc.org/ooxml/officeDocument/relationships}id"
# The end of a formula element (``</f>``, ``</x:f>``) or an error-typed cell.
# Only the cells sharing the formula of a range have no ``</f>``, and that
# range's first cell has one. On a 10,000-row sheet of 4.9 MB these byte
# searches took 9 ms, where a regex for the elements took 70 ms.
_UNREADABLE_MARKS = (b"f>", b't="e"', b"t='e'")
_CELL_REFERENCE = re.compile(r"([A-Z]+)(\d+)")
_SCAN_CHUNK_BYTES = 1 << 20
# Longer formulas are cut in messages, which must stay readable in a list.
FORMULA_SHOWN = 40


@dataclass(frozen=True, slots=True)
class UnreadableCell:
    """A cell whose value calamine cannot return: a formula without result or an error."""

    formula: str | None
    """The formula without its leading ``=``, or None when the cell has no formula.

    It is "" in the cells that share the formula of the first cell of a range.
    """
    error: str
    """The error value such as ``#N/A``, or "" when the formula has no cached result."""


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Return the XML part of every worksheet, by sheet name."""
    names = set(archive.namelist())
    if "xl/workbook.xml" not in names or "xl/_rels/workbook.xml.rels" not in names:
        return {}
    targets = {}
    for relationship in fromstring(archive.read("xl/_rels/workbook.xml.rels")):
        target = relationship.get("Target", "")
        if target.startswith("/"):
            target = target.lstrip("/")
        else:
            target = posixpath.normpath(posixpath.join("xl", target))
        targets[relationship.get("Id")] = target
    parts = {}
    for element in fromstring(archive.read("xl/workbook.xml")).iter():
        if _local(element.tag) != "sheet":
            continue
        key = element.get(_RELATIONSHIP_ID) or element.get(_STRICT_RELATIONSHIP_ID)
        target = targets.get(key)
        if target in names:
            parts[element.get("name", "")] = target
    return parts


def _may_have_unreadable(archive: zipfile.ZipFile, part: str) -> bool:
    """Scan the raw XML for formulas or error cells before parsing it element by element."""
    tail = b""
    with archive.open(part) as stream:
        while chunk := stream.read(_SCAN_CHUNK_BYTES):
            text = tail + chunk
            if any(mark in text for mark in _UNREADABLE_MARKS):
                return True
            tail = chunk[-8:]
    return False


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1


def _unreadable_in_part(
    archive: zipfile.ZipFile, part: str
) -> dict[tuple[int, int], UnreadableCell]:
    found = {}
    row_index = -1
    column_index = -1
    with archive.open(part) as stream:
        for event, element in iterparse(stream, events=("start", "end")):
            name = _local(element.tag)
            if event == "start":
                if name == "row":
                    number = element.get("r")
                    row_index = int(number) - 1 if number else row_index + 1
                    column_index = -1
                elif name == "c":
                    match = _CELL_REFERENCE.fullmatch(element.get("r") or "")
                    column_index = (
                        _column_index(match.group(1)) if match else column_index + 1
                    )
                continue
            if name == "c":
                cell = _unreadable(element)
                if cell is not None:
                    found[(row_index, column_index)] = cell
                element.clear()
            elif name == "row":
                element.clear()
    return found


def _unreadable(element) -> UnreadableCell | None:
    """Return what calamine would miss in one ``<c>`` element, or None."""
    formula = None
    value = None
    for child in element:
        child_name = _local(child.tag)
        if child_name == "f":
            formula = child.text or ""
        elif child_name == "v":
            value = child.text or ""
    cell_type = element.get("t", "n")
    if cell_type == "e" and value:
        return UnreadableCell(formula=formula, error=value)
    # A text result (t="str") may be the empty string, so an empty <v> there is
    # a cached result.
    if formula is not None and not value and cell_type != "str":
        return UnreadableCell(formula=formula, error="")
    return None


def unreadable_cells(data: bytes) -> dict[str, dict[tuple[int, int], UnreadableCell]]:
    """Find formulas without a cached result and error values in every sheet.

    Returns, by sheet name, the cells found keyed by 0-based (row, column). A file
    that is not an .xlsx package (an .ods, for instance) gives an empty result.
    """
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            result = {}
            for sheet_name, part in _sheet_parts(archive).items():
                if _may_have_unreadable(archive, part):
                    cells = _unreadable_in_part(archive, part)
                    if cells:
                        result[sheet_name] = cells
            return result
    except (zipfile.BadZipFile, ParseError, DefusedXmlException, ValueError) as error:
        # calamine has read the file already, so only the clearer messages are lost.
        logger.warning("formula scan of an .xlsx upload failed: %r", error)
        return {}


def mark_unreadable(
    rows: list[list], cells: dict[tuple[int, int], UnreadableCell]
) -> None:
    """Put each unreadable cell into ``rows`` (0-based, as calamine reads a sheet)."""
    for (row_index, column_index), unreadable in cells.items():
        while len(rows) <= row_index:
            rows.append([])
        row = rows[row_index]
        if len(row) <= column_index:
            row.extend([""] * (column_index + 1 - len(row)))
        row[column_index] = unreadable


def unreadable_message(where: str, unreadable: UnreadableCell) -> str:
    """Explain a formula without a cached result or an error value, and the fix."""
    formula = unreadable.formula or ""
    if len(formula) > FORMULA_SHOWN:
        formula = formula[:FORMULA_SHOWN] + "…"
    # Cells that share a formula with the first cell of a range hold no text.
    formula_text = f"（={formula}）" if formula else ""
    if unreadable.error and unreadable.formula is not None:
        return (
            f"{where}是公式{formula_text}，计算结果是错误值 {unreadable.error}。"
            "请在 Excel 中改正公式，或直接填写正确的内容后再导入"
        )
    if unreadable.error:
        return f"{where}是错误值 {unreadable.error}，请填写正确的内容后再导入"
    return (
        f"{where}是公式{formula_text}，文件中没有它的计算结果。"
        "请在 Excel 中打开并保存，或把该列复制后“选择性粘贴-数值”再导入"
    )
