from io import BytesIO

from openpyxl import load_workbook

from xcert_app.spreadsheets.reports import safe_cell, table_to_xlsx


def test_formula_like_text_is_not_evaluated():
    assert safe_cell("=SUM(A1:A2)") == "'=SUM(A1:A2)"
    assert safe_cell("-1+1") == "'-1+1"
    assert safe_cell("@cmd") == "'@cmd"
    assert safe_cell("张三") == "张三"
    assert safe_cell(-5) == -5


def test_table_has_frozen_header_and_rows():
    data = table_to_xlsx(
        "统计", ["学校", "人数"], [["首都师范大学", 3], ["=HYPERLINK()", 1]]
    )
    sheet = load_workbook(BytesIO(data)).active
    assert sheet.title == "统计"
    assert sheet.freeze_panes == "A2"
    assert [cell.value for cell in sheet[2]] == ["首都师范大学", 3]
    assert sheet["A3"].value == "'=HYPERLINK()"
