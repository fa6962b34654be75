"""Candidate import: the real-world case files, checks, two steps, grid, confirmation."""

import io
import os
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from tests.factories_candidates import (
    HEADER,
    make_candidate,
    photo,
    row,
    school_admin,
    xlsx,
)
from xcert_app.models.candidates import Candidate, CandidateKind, VerificationStatus
from xcert_app.services import candidates, photos
from xcert_app.services.errors import (
    AccessDenied,
    AlreadyDone,
    Conflict,
    NotFound,
    ServiceError,
    ValidationError,
)
from xcert_app.spreadsheets.candidates import name_pinyin
from xcert_app.spreadsheets.reading import detect_format

CASES = Path(os.environ.get("XCERT_CASES_DIR", "/work/shared/cases")) / "candidates"


def case(name: str) -> bytes:
    return (CASES / name).read_bytes()


def stored(session, actor) -> dict[str, Candidate]:
    rows = session.exec(
        select(Candidate).where(Candidate.school_id == actor.organisation_id)
    ).all()
    return {candidate.id_number: candidate for candidate in rows}


def run(session, actor, data, kind="school"):
    return candidates.import_candidates(session, actor=actor, data=data, kind=kind)


def test_numeric_id_cell_refused_not_repaired(session):
    actor = school_admin(session)
    report = run(session, actor, case("c01-id-stored-as-number.xlsx"))
    assert report.new == 2
    assert report.errors == 1
    assert report.error_rows[0]["row"] == 3
    message = report.error_rows[0]["reasons"][0]
    assert "第 3 行「证件号码」" in message
    assert "数字格式" in message
    assert "丢失" in message
    assert "重新录入" in message
    assert set(stored(session, actor)) == {"110105200201010010", "320102200305060020"}


def test_id_variants_cleaned(session):
    actor = school_admin(session)
    report = run(session, actor, case("c02-id-variants.xlsx"))
    assert report.new == 4
    assert report.errors == 0
    people = stored(session, actor)
    assert set(people) == {
        "11010119900307125X",
        "110101199003071233",
        "110105200201010010",
        "320102200305060020",
    }
    assert people["110105200201010010"].name == "孙六"
    assert people["320102200305060020"].name == "周七"
    assert all(number.isascii() and len(number) == 18 for number in people)


def test_phone_and_year_floats_become_text(session):
    actor = school_admin(session)
    run(session, actor, case("c03-phone-and-year-as-floats.xlsx"))
    person = stored(session, actor)["110101199003071233"]
    assert person.mobile == "13800138000"
    assert person.enrolment_year == 2023


def test_title_row_above_header(session):
    actor = school_admin(session)
    report = run(session, actor, case("c04-title-row-merged.xlsx"))
    assert report.header_row == 2
    assert report.new == 2


def test_title_row_errors_cite_sheet_rows(session):
    actor = school_admin(session)
    data = xlsx([["2024级考生"] + [""] * 7, HEADER, row("甲乙", "110101199003071234")])
    data = _with_title(data)
    report = candidates.check_import(session, actor=actor, data=data, kind="school")
    assert report.error_rows[0]["row"] == 3


def _with_title(data: bytes) -> bytes:
    workbook = load_workbook(io.BytesIO(data))
    workbook.active.delete_rows(1)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def test_wrong_dimension_and_blank_rows(session):
    actor = school_admin(session)
    report = run(session, actor, case("c05-wrong-dimension-and-blank-rows.xlsx"))
    assert report.new == 5
    assert report.errors == 0
    assert report.error_rows == []


def test_old_excel_format_imported(session):
    actor = school_admin(session)
    report = run(session, actor, case("c06-old-excel-format.xls"))
    assert report.file_format == "xls"
    assert report.new == 2


def test_gbk_csv_with_xlsx_name_read_as_csv(session):
    actor = school_admin(session)
    report = run(session, actor, case("c07-gbk-csv-named-xlsx.xlsx"))
    assert report.file_format == "csv"
    assert report.new == 1
    assert stored(session, actor)["110101199003071233"].name == "杨三"


def test_invisible_header_characters(session):
    actor = school_admin(session)
    report = run(session, actor, case("c08-invisible-header-characters.xlsx"))
    assert report.new == 1
    assert report.errors == 0


def test_duplicate_rows_name_each_other(session):
    actor = school_admin(session)
    report = run(session, actor, case("c09-duplicate-within-file.xlsx"))
    assert report.new == 2
    assert report.errors == 1
    refused = report.error_rows[0]
    assert refused["row"] == 4
    assert "第 2 行" in refused["reasons"][0]
    assert any("第 4 行" in note for note in report.notes)
    assert list(stored(session, actor)).count("11010119900307125X") == 1


def test_conflicting_duplicates_both_refused(session):
    actor = school_admin(session)
    number = "110101199003071233"
    data = xlsx([row("甲乙", number), row("丙丁", number)])
    report = candidates.check_import(session, actor=actor, data=data, kind="school")
    assert report.errors == 2
    assert [item["row"] for item in report.error_rows] == [2, 3]
    first, second = (item["reasons"][0] for item in report.error_rows)
    assert first.startswith("第 2 行与第 3 行证件号码相同")
    assert second.startswith("第 3 行与第 2 行证件号码相同")


def test_utf8_bom_csv(session):
    actor = school_admin(session)
    text = ",".join(HEADER) + "\r\n" + ",".join(row("李四", "110101199003071233"))
    data = b"\xef\xbb\xbf" + text.encode("utf-8")
    assert detect_format(data) == "csv"
    assert run(session, actor, data).new == 1


@pytest.mark.parametrize("shown", ["1.10105E+17", "1.10101199003071E+17", "1E+17"])
def test_csv_id_in_scientific_notation_named(session, shown):
    actor = school_admin(session)
    text = ",".join(HEADER) + "\r\n" + ",".join(row("李四", shown))

    report = candidates.check_import(
        session, actor=actor, data=text.encode("utf-8"), kind="school"
    )

    (reason,) = report.error_rows[0]["reasons"]
    assert reason.startswith(f"第 2 行「证件号码」是科学计数法（{shown}）")
    assert "15 位" in reason


def test_html_disguised_excel_refused_clearly(session):
    actor = school_admin(session)
    with pytest.raises(ServiceError, match="另存为"):
        run(session, actor, b"<html><table><tr><td>1</td></tr></table></html>")


def test_corrupt_xlsx_refused_clearly(session):
    actor = school_admin(session)
    with pytest.raises(ServiceError, match="已损坏"):
        run(session, actor, b"PK\x03\x04" + b"\x00" * 100)


def test_missing_header_refused(session):
    actor = school_admin(session)
    with pytest.raises(ServiceError, match="找不到表头"):
        run(session, actor, xlsx([["a", "b"]], header=["甲", "乙"]))


@pytest.mark.parametrize(
    ("fields", "column"),
    [
        ({"mobile": "1380013800"}, "手机号码"),
        ({"enrolment_year": "23"}, "入学年份"),
        ({"programme_level": "博士"}, "专业层次"),
        ({"major": ""}, "就读专业"),
        ({"id_type": "军官证"}, "证件类型"),
    ],
)
def test_row_errors_name_row_and_column(session, fields, column):
    actor = school_admin(session)
    data = xlsx([row("王一", "110101199003071233", **fields)])
    report = candidates.check_import(session, actor=actor, data=data, kind="school")
    assert report.errors == 1
    assert f"第 2 行「{column}」" in report.error_rows[0]["reasons"][0]


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("110101199003071234", "校验位"),
        ("110101199002301231", "出生日期"),
        ("11010119900307123", "18 位"),
    ],
)
def test_bad_id_numbers_refused(session, number, reason):
    actor = school_admin(session)
    report = candidates.check_import(
        session, actor=actor, data=xlsx([row("王一", number)]), kind="school"
    )
    assert reason in report.error_rows[0]["reasons"][0]


def test_year_from_date_cell(session):
    from datetime import datetime

    actor = school_admin(session)
    data = xlsx(
        [row("王一", "110101199003071233", enrolment_year=datetime(2022, 9, 1))]
    )
    run(session, actor, data)
    assert stored(session, actor)["110101199003071233"].enrolment_year == 2022


def test_pinyin_uses_surname_reading():
    assert name_pinyin("曾小明") == "ZENG XIAOMING"
    assert name_pinyin("单田芳") == "SHAN TIANFANG"
    assert name_pinyin("欧阳娜娜") == "OU YANGNANA"
    assert name_pinyin("尉迟恭") == "YUCHI GONG"


def test_blank_pinyin_generated_on_import(session):
    actor = school_admin(session)
    run(session, actor, xlsx([row("曾小明", "110101199003071233")]))
    assert stored(session, actor)["110101199003071233"].name_pinyin == "ZENG XIAOMING"


def test_check_writes_nothing(session):
    actor = school_admin(session)
    report = candidates.check_import(
        session, actor=actor, data=case("c02-id-variants.xlsx"), kind="school"
    )
    assert report.new == 4
    assert report.written is False
    assert stored(session, actor) == {}


def test_reimport_same_file_changes_nothing(session):
    actor = school_admin(session)
    data = case("c05-wrong-dimension-and-blank-rows.xlsx")
    run(session, actor, data)
    session.commit()
    report = run(session, actor, data)
    assert report.new == 0
    assert report.updated == 0
    assert report.unchanged == 5


def test_changed_row_updates_not_duplicates(session):
    actor = school_admin(session)
    run(session, actor, xlsx([row("王一", "110101199003071233")]))
    report = run(
        session, actor, xlsx([row("王一", "110101199003071233", mobile="13900139000")])
    )
    assert report.updated == 1
    assert report.new == 0
    people = stored(session, actor)
    assert len(people) == 1
    assert people["110101199003071233"].mobile == "13900139000"


def test_import_sets_pending_without_photo(session):
    actor = school_admin(session)
    run(session, actor, xlsx([row("王一", "110101199003071233")]))
    person = stored(session, actor)["110101199003071233"]
    assert person.verification_status == VerificationStatus.PENDING
    assert person.verification_reasons == ["缺少照片，上传照片后自动重新认证"]


def test_school_import_rejects_social_trainee(session):
    actor = school_admin(session)
    make_candidate(session, actor, number="110101199003071233", kind="social")
    report = candidates.check_import(
        session,
        actor=actor,
        data=xlsx([row("王一", "110101199003071233")]),
        kind="school",
    )
    assert report.errors == 1
    assert "社会考生" in report.error_rows[0]["reasons"][0]


def test_social_template_needs_fewer_columns(session):
    actor = school_admin(session)
    data = xlsx(
        [["王一", "", "居民身份证", "110101199003071233", "13800138000", ""]],
        header=["姓名", "姓名拼音", "证件类型", "证件号码", "手机号码", "所学专业"],
    )
    report = run(session, actor, data, kind="social")
    assert report.new == 1
    assert stored(session, actor)["110101199003071233"].kind == CandidateKind.SOCIAL


def test_error_report_keeps_rows_and_adds_reason(session):
    actor = school_admin(session)
    data = case("c01-id-stored-as-number.xlsx")
    report = candidates.error_report(session, actor=actor, data=data, kind="school")
    sheet = load_workbook(io.BytesIO(report)).active
    rows = list(sheet.values)
    assert rows[0][-1] == "错误原因"
    assert rows[0][:8] == tuple(HEADER)
    assert len(rows) == 2
    assert rows[1][0] == "李二"
    assert "数字格式" in rows[1][-1]


def test_error_report_writes_numbers_as_text(session):
    actor = school_admin(session)
    numeric = row("王一", 110101199003071233, mobile=13800138000, enrolment_year=2023)
    typed = row("@张三", "110101199003071234")
    data = xlsx(
        [[*numeric, 202312345678901], [*typed, "0012345678901"]],
        header=[*HEADER, "学号"],
    )

    report = candidates.error_report(session, actor=actor, data=data, kind="school")

    sheet = load_workbook(io.BytesIO(report)).active
    expected = {
        # Excel keeps 15 significant digits of a number; the report shows them.
        "D2": "110101199003071000",
        "E2": "13800138000",
        "I2": "202312345678901",
        "D3": "110101199003071234",
        "E3": "13800138000",
        "I3": "0012345678901",
    }
    assert_text_digits(sheet, expected)

    assert sheet["A3"].value == "@张三"
    assert sheet["A3"].quotePrefix
    assert sheet["J1"].value == "错误原因"


def test_template_has_text_columns_and_dropdowns(session):
    data = candidates.template("school")
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook["考生信息"]
    assert [cell.value for cell in sheet[1]] == HEADER
    assert sheet.column_dimensions["D"].number_format == "@"
    assert sheet.column_dimensions["E"].number_format == "@"
    assert sheet.max_row == 1
    assert sheet.freeze_panes == "A2"
    formulas = [v.formula1 for v in sheet.data_validations.dataValidation]
    assert any("居民身份证" in formula for formula in formulas)
    assert any("高职专科" in formula for formula in formulas)
    assert "填写说明" in workbook.sheetnames


def test_filled_template_imports(session):
    actor = school_admin(session)
    workbook = load_workbook(io.BytesIO(candidates.template("school")))
    workbook["考生信息"].append(row("王一", "110101199003071233"))
    output = io.BytesIO()
    workbook.save(output)
    assert run(session, actor, output.getvalue()).new == 1


def test_export_guards_formulas_and_reimports(session):
    actor = school_admin(session)
    make_candidate(
        session,
        actor,
        name="=HYPERLINK(1)",
        number="110101199003071233",
        name_pinyin="HYPERLINK",
    )
    data = candidates.export_candidates(
        session, actor=actor, query=candidates.GridQuery()
    )
    sheet = load_workbook(io.BytesIO(data)).active
    cell = sheet["A2"]
    assert cell.value == "=HYPERLINK(1)"
    assert cell.data_type == "s"
    assert cell.quotePrefix
    report = candidates.check_import(session, actor=actor, data=data, kind="school")
    assert report.unchanged == 1


def test_export_writes_id_and_mobile_as_text(session):
    actor = school_admin(session)
    make_candidate(session, actor, number="110101199003071233", mobile="13800138000")
    data = candidates.export_candidates(
        session, actor=actor, query=candidates.GridQuery()
    )
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet["D1"].value == "证件号码"
    assert sheet["E1"].value == "手机号码"
    assert_text_digits(sheet, {"D2": "110101199003071233", "E2": "13800138000"})


def assert_text_digits(sheet, expected: dict[str, str]) -> None:
    """Check that each cell contains its digits as text and that the year stays a number."""
    for reference, digits in expected.items():
        cell = sheet[reference]
        assert cell.value == digits, reference
        assert cell.data_type == "s", reference
        assert cell.number_format == "@", reference
    assert sheet.column_dimensions["D"].number_format == "@"
    assert sheet.column_dimensions["E"].number_format == "@"
    assert sheet["H2"].value == 2023
    assert sheet["H2"].data_type == "n"


def test_grid_pages_masks_and_filters(session):
    actor = school_admin(session)
    for index in range(25):
        make_candidate(session, actor, name=f"考生{index:02d}", major="物流管理")
    make_candidate(
        session, actor, name="王五", number="110101199003071233", major="汽车"
    )
    rows, total = candidates.list_candidates(
        session, actor=actor, query=candidates.GridQuery(page=2, sort="name")
    )
    assert total == 26
    assert len(rows) == 6
    rows, total = candidates.list_candidates(
        session, actor=actor, query=candidates.GridQuery(major="汽车")
    )
    assert total == 1
    assert rows[0]["id_number"] == "110101*****1233"
    rows, total = candidates.list_candidates(
        session, actor=actor, query=candidates.GridQuery(search="1233")
    )
    assert total == 1


def test_grid_shows_only_own_school(session):
    actor = school_admin(session)
    other = school_admin(session)
    make_candidate(session, other)
    rows, total = candidates.list_candidates(
        session, actor=actor, query=candidates.GridQuery()
    )
    assert total == 0


def search_names(session, actor, text: str) -> set[str]:
    rows, total = candidates.list_candidates(
        session, actor=actor, query=candidates.GridQuery(search=text)
    )
    assert total == len(rows)
    return {row["name"] for row in rows}


def test_grid_search_by_pinyin_any_case_and_spacing(session):
    actor = school_admin(session)
    make_candidate(session, actor, name="李四", name_pinyin="LI SI")
    make_candidate(session, actor, name="李明月", name_pinyin="LI MINGYUE")
    make_candidate(session, actor, name="王五", name_pinyin="WANG WU")
    assert search_names(session, actor, "lisi") == {"李四"}
    assert search_names(session, actor, "li si") == {"李四"}
    assert search_names(session, actor, "LI") == {"李四", "李明月"}
    assert search_names(session, actor, "limingyue") == {"李明月"}
    assert search_names(session, actor, "wu") == set()


def test_grid_search_by_id_start_or_end(session):
    actor = school_admin(session)
    make_candidate(session, actor, name="甲", number="110101199003071233")
    make_candidate(session, actor, name="乙", number="11010119900307125X")
    make_candidate(session, actor, name="丙", number="320102200305061233")
    assert search_names(session, actor, "1233") == {"甲", "丙"}
    assert search_names(session, actor, "125x") == {"乙"}
    assert search_names(session, actor, "07125X") == {"乙"}
    assert search_names(session, actor, "1101") == {"甲", "乙"}
    assert search_names(session, actor, "3201") == {"丙"}
    assert search_names(session, actor, "1101011990") == {"甲", "乙"}
    assert search_names(session, actor, "%3") == set()


def reversed_numbers(session, actor) -> dict[str, str]:
    session.flush()
    session.expire_all()
    rows = session.exec(
        select(Candidate.id_number, Candidate.id_number_reversed).where(
            Candidate.school_id == actor.organisation_id
        )
    ).all()
    return dict(rows)


def test_reversed_id_number_follows_every_write(session):
    actor = school_admin(session)
    run(session, actor, xlsx([row("王一", "110101199003071233")]))
    values = dict(
        zip(candidates.DATA_FIELDS, row("王二", "11010119900307125X"), strict=True)
    )
    added = candidates.save_candidate(
        session, actor=actor, kind="school", values=values
    )
    assert reversed_numbers(session, actor) == {
        "110101199003071233": "332170300991101011",
        "11010119900307125X": "X52170300991101011",
    }
    values["id_number"] = "320102200305060020"
    candidates.save_candidate(
        session, actor=actor, kind="school", values=values, candidate_id=added.id
    )
    person = make_candidate(
        session, actor, number="110105200201010010", status="needs_confirmation"
    )
    candidates.correct_candidate(
        session,
        actor=actor,
        candidate_id=person.id,
        values={"id_number": "110105200201010029"},
    )
    assert reversed_numbers(session, actor) == {
        "110101199003071233": "332170300991101011",
        "320102200305060020": "020060503002201023",
        "110105200201010029": "920010102002501011",
    }


def test_other_school_cannot_confirm(session):
    actor = school_admin(session)
    other = school_admin(session)
    person = make_candidate(session, other, status="needs_confirmation")
    with pytest.raises(NotFound):
        candidates.confirm_candidate(session, actor=actor, candidate_id=person.id)


def test_non_school_role_refused(session):
    from tests.factories import make_actor
    from xcert_app.models.accounts import Role

    actor = make_actor(session, role=Role.ORG_ADMIN)
    with pytest.raises(AccessDenied):
        candidates.check_import(
            session, actor=actor, data=case("c02-id-variants.xlsx"), kind="school"
        )


def test_confirm_inline(session):
    actor = school_admin(session)
    person = make_candidate(session, actor, status="needs_confirmation")
    candidates.confirm_candidate(session, actor=actor, candidate_id=person.id)
    session.refresh(person)
    assert person.verification_status == VerificationStatus.CONFIRMED
    assert person.confirmed_by_id == actor.account_id
    with pytest.raises(AlreadyDone) as caught:
        candidates.confirm_candidate(session, actor=actor, candidate_id=person.id)
    assert caught.value.message == f"考生 {person.name} 已人工确认通过，无需重复确认"


def test_verified_candidate_needs_no_confirmation(session):
    actor = school_admin(session)
    person = make_candidate(session, actor, status="verified")
    with pytest.raises(Conflict, match="认证通过"):
        candidates.confirm_candidate(session, actor=actor, candidate_id=person.id)


def test_correct_then_confirmed(session):
    actor = school_admin(session)
    person = make_candidate(session, actor, status="needs_confirmation")
    candidates.correct_candidate(
        session, actor=actor, candidate_id=person.id, values={"mobile": "13900139000"}
    )
    session.refresh(person)
    assert person.mobile == "13900139000"
    assert person.verification_status == VerificationStatus.CONFIRMED


def test_correct_with_bad_mobile_names_field(session):
    actor = school_admin(session)
    person = make_candidate(session, actor, status="needs_confirmation")
    with pytest.raises(ValidationError) as raised:
        candidates.correct_candidate(
            session, actor=actor, candidate_id=person.id, values={"mobile": "123"}
        )
    assert "mobile" in raised.value.errors


def test_single_add_duplicate_id_refused(session):
    actor = school_admin(session)
    values = dict(
        zip(candidates.DATA_FIELDS, row("王一", "110101199003071233"), strict=True)
    )
    candidates.save_candidate(session, actor=actor, kind="school", values=values)
    with pytest.raises(ValidationError) as raised:
        candidates.save_candidate(session, actor=actor, kind="school", values=values)
    assert "id_number" in raised.value.errors


def test_photo_then_verified(session):
    actor = school_admin(session)
    run(session, actor, xlsx([row("王一", "110101199003071233")]))
    person = stored(session, actor)["110101199003071233"]
    photos.upload_photo(
        session, actor=actor, candidate_id=person.id, data=photo(), file_name="a.jpg"
    )
    session.refresh(person)
    assert person.verification_status == VerificationStatus.VERIFIED


def test_blue_background_needs_confirmation(session):
    actor = school_admin(session)
    person = make_candidate(session, actor, number="110101199003071233")
    photos.upload_photo(
        session,
        actor=actor,
        candidate_id=person.id,
        data=photo(background=(40, 90, 200)),
        file_name="a.jpg",
    )
    session.refresh(person)
    assert person.verification_status == VerificationStatus.NEEDS_CONFIRMATION
    assert person.verification_reasons == [photos.NOT_RED]


def test_command_prints_json_report(session, capsys):
    import json

    from xcert_app.cli import main
    from xcert_app.models.orgs import Organisation

    actor = school_admin(session)
    session.commit()
    code = session.get(Organisation, actor.organisation_id).institution_code
    path = str(CASES / "c01-id-stored-as-number.xlsx")
    exit_code = main(["candidates", "import", path, "--school", code, "--json"])
    assert exit_code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["new"] == 2
    assert report["errors"] == 1
    assert report["error_rows"][0]["row"] == 3

    photos_path = str(CASES.parent / "photos" / "p02-macos-and-windows-junk.zip")
    exit_code = main(["photos", "import", photos_path, "--school", code, "--json"])
    assert exit_code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["unmatched"] == ["110101199003071233.jpg"]
    assert report["skipped"] == 3


def test_database_errors_in_report_not_cached(session):
    actor = school_admin(session)
    other = make_candidate(session, actor, number="110101199003071233", kind="social")
    data = xlsx([row("王一", "110101199003071233")])
    report = candidates.error_report(session, actor=actor, data=data, kind="school")
    rows = list(load_workbook(io.BytesIO(report)).active.values)
    assert "社会考生" in rows[1][-1]
    session.delete(other)
    session.flush()
    again = candidates.check_import(session, actor=actor, data=data, kind="school")
    assert again.errors == 0
    assert again.new == 1


def test_check_digit_reason_reads_once(session):
    actor = school_admin(session)
    report = candidates.check_import(
        session,
        actor=actor,
        data=xlsx([row("王一", "110101199003071234")]),
        kind="school",
    )
    assert report.error_rows[0]["reasons"][0] == (
        "第 2 行「证件号码」：证件号码校验位（末位）与前 17 位不符"
        "（110101199003071234），请按证件核对后改正"
    )
