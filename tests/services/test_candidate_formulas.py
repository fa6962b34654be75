"""Candidate import of cells that hold formulas, with and without a cached result."""

import io

import pytest
from openpyxl import Workbook, load_workbook
from sqlmodel import select

from tests.factories_candidates import row, school_admin, xlsx
from tests.factories_xlsx import with_cells
from xcert_app.models.candidates import Candidate
from xcert_app.services import candidates

NUMBER = "110101199003071233"
OTHER = "110101200401020015"


def check(session, actor, data: bytes, kind: str = "school"):
    return candidates.check_import(session, actor=actor, data=data, kind=kind)


def reasons(report) -> list[str]:
    return [reason for item in report.error_rows for reason in item["reasons"]]


def test_formula_without_result_named(session):
    actor = school_admin(session)
    data = xlsx([row("=I2", NUMBER), row("王二", OTHER)])
    report = check(session, actor, data)
    assert report.errors == 1
    assert report.new == 1
    assert report.error_rows[0]["row"] == 2
    assert report.error_rows[0]["reasons"] == [
        "第 2 行「姓名」是公式（=I2），文件中没有它的计算结果。"
        "请在 Excel 中打开并保存，或把该列复制后“选择性粘贴-数值”再导入"
    ]


@pytest.mark.parametrize(
    ("fields", "column"),
    [
        ({"name_pinyin": "=UPPER(A2)"}, "姓名拼音"),
        ({"id_type": '=IF(1,"居民身份证")'}, "证件类型"),
        ({"mobile": "=TEXT(13800138000,0)"}, "手机号码"),
        ({"major": "=I2"}, "就读专业"),
        ({"programme_level": "=I2"}, "专业层次"),
        ({"enrolment_year": "=YEAR(TODAY())"}, "入学年份"),
    ],
)
def test_formula_in_any_column_named(session, fields, column):
    actor = school_admin(session)
    report = check(session, actor, xlsx([row("王一", NUMBER, **fields)]))
    assert report.errors == 1
    assert len(report.error_rows[0]["reasons"]) == 1
    message = report.error_rows[0]["reasons"][0]
    assert message.startswith(f"第 2 行「{column}」是公式（=")
    assert "没有它的计算结果" in message


def test_id_formula_without_result_not_called_empty(session):
    actor = school_admin(session)
    report = check(session, actor, xlsx([row("王一", '=TEXT(I2,"0")')]))
    assert reasons(report) == [
        '第 2 行「证件号码」是公式（=TEXT(I2,"0")），文件中没有它的计算结果。'
        "请在 Excel 中打开并保存，或把该列复制后“选择性粘贴-数值”再导入"
    ]


def test_cached_formula_results_imported(session):
    actor = school_admin(session)
    data = xlsx([row("=I2", '=TEXT(J2,"0")', mobile="=K2")])
    data = with_cells(
        data,
        {
            "A2": '<c r="A2" t="str"><f>I2</f><v>张三</v></c>',
            "D2": f'<c r="D2" t="str"><f>TEXT(J2,"0")</f><v>{NUMBER}</v></c>',
            "E2": '<c r="E2"><f>K2</f><v>13800138000</v></c>',
        },
    )
    report = candidates.import_candidates(
        session, actor=actor, data=data, kind="school"
    )
    assert report.errors == 0
    assert report.new == 1
    stored = session.exec(
        select(Candidate).where(Candidate.school_id == actor.organisation_id)
    ).one()
    assert stored.name == "张三"
    assert stored.id_number == NUMBER
    assert stored.mobile == "13800138000"


def test_formula_with_empty_text_result_is_empty(session):
    actor = school_admin(session)
    data = with_cells(
        xlsx([row("=I2", NUMBER)]),
        {"A2": '<c r="A2" t="str"><f>I2</f><v></v></c>'},
    )
    assert reasons(check(session, actor, data)) == [
        "第 2 行「姓名」为空，请填写考生姓名"
    ]


def test_formula_error_value_named(session):
    actor = school_admin(session)
    data = with_cells(
        xlsx([row("王一", "=VLOOKUP(A2,I:J,2,0)")]),
        {"D2": '<c r="D2" t="e"><f>VLOOKUP(A2,I:J,2,0)</f><v>#N/A</v></c>'},
    )
    assert reasons(check(session, actor, data)) == [
        "第 2 行「证件号码」是公式（=VLOOKUP(A2,I:J,2,0)），计算结果是错误值 #N/A。"
        "请在 Excel 中改正公式，或直接填写正确的内容后再导入"
    ]


def test_typed_error_value_named(session):
    actor = school_admin(session)
    data = with_cells(
        xlsx([row("王一", NUMBER)]),
        {"A2": '<c r="A2" t="e"><v>#REF!</v></c>'},
    )
    assert reasons(check(session, actor, data)) == [
        "第 2 行「姓名」是错误值 #REF!，请填写正确的内容后再导入"
    ]


def test_shared_formula_without_result_named(session):
    actor = school_admin(session)
    data = xlsx([row("=I2", NUMBER), row("=I3", OTHER)])
    data = with_cells(
        data,
        {
            "A2": '<c r="A2"><f t="shared" ref="A2:A3" si="0">I2</f></c>',
            "A3": '<c r="A3"><f t="shared" si="0"/></c>',
        },
    )
    assert reasons(check(session, actor, data)) == [
        "第 2 行「姓名」是公式（=I2），文件中没有它的计算结果。"
        "请在 Excel 中打开并保存，或把该列复制后“选择性粘贴-数值”再导入",
        "第 3 行「姓名」是公式，文件中没有它的计算结果。"
        "请在 Excel 中打开并保存，或把该列复制后“选择性粘贴-数值”再导入",
    ]


def test_long_formula_shortened_in_message(session):
    actor = school_admin(session)
    formula = "=CONCATENATE(" + ",".join(['"甲"'] * 20) + ")"
    message = reasons(check(session, actor, xlsx([row(formula, NUMBER)])))[0]
    assert f"（{formula[:41]}…）" in message


def test_formula_below_title_names_sheet_row(session):
    actor = school_admin(session)
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["2024级考生"])
    sheet.append([])
    sheet.append(
        ["", "姓名", "证件号码", "手机号码", "就读专业", "专业层次", "入学年份"]
    )
    sheet.append(["", "王一", NUMBER, "13800138000", "物流管理", "高职专科", 2023])
    sheet.append(["", "王二", OTHER, "=Z5", "物流管理", "高职专科", 2023])
    output = io.BytesIO()
    workbook.save(output)
    report = check(session, actor, output.getvalue())
    assert report.new == 1
    assert report.error_rows[0]["row"] == 5
    assert report.error_rows[0]["reasons"][0].startswith(
        "第 5 行「手机号码」是公式（=Z5）"
    )


def test_whole_formula_column_summarised(session):
    actor = school_admin(session)
    rows = [row(f"=I{line}", f"=J{line}") for line in range(2, 302)]
    report = check(session, actor, xlsx(rows))
    assert report.errors == 300
    assert report.new == 0
    assert report.notes[:2] == [
        "「姓名」列有 300 行是公式，文件中没有计算结果（第一处在第 2 行），"
        "常见于由程序生成的文件。"
        "请在 Excel 中打开并保存，或把该列复制后“选择性粘贴-数值”再导入",
        "「证件号码」列有 300 行是公式，文件中没有计算结果（第一处在第 2 行），"
        "常见于由程序生成的文件。"
        "请在 Excel 中打开并保存，或把该列复制后“选择性粘贴-数值”再导入",
    ]
    first = report.error_rows[0]["reasons"]
    assert first[0].startswith("第 2 行「姓名」是公式（=I2）")
    assert first[1].startswith("第 2 行「证件号码」是公式（=J2）")
    last = report.error_rows[-1]
    assert last["reasons"][0].startswith(f"第 {last['row']} 行「姓名」是公式")


def test_single_formula_row_not_summarised(session):
    actor = school_admin(session)
    report = check(session, actor, xlsx([row("=I2", NUMBER)]))
    assert report.notes == []


def test_social_formula_names_social_header(session):
    actor = school_admin(session)
    data = xlsx(
        [["王一", "", "居民身份证", NUMBER, "13800138000", "=I2"]],
        header=["姓名", "姓名拼音", "证件类型", "证件号码", "手机号码", "所学专业"],
    )
    report = check(session, actor, data, kind="social")
    assert reasons(report)[0].startswith("第 2 行「所学专业」是公式（=I2）")


def test_error_report_leaves_formula_cell_empty(session):
    actor = school_admin(session)
    data = xlsx([row("=I2", NUMBER)])
    report = candidates.error_report(session, actor=actor, data=data, kind="school")
    sheet = load_workbook(io.BytesIO(report)).active
    assert sheet["A2"].value is None
    assert sheet["D2"].value == NUMBER
    assert sheet["I2"].value.startswith("第 2 行「姓名」是公式（=I2）")
