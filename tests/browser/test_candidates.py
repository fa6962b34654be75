"""Candidate management in the browser: template, two-step import, photos, confirm, export."""

import io
import zipfile
from datetime import date

from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot
from tests.factories_candidates import photo
from xcert_app.services.identity import make_id_number

GOOD = [
    ("林一", make_id_number("320102", date(2005, 3, 1), 11)),
    ("林二", make_id_number("320102", date(2005, 3, 2), 12)),
]
FIXED = ("林三", make_id_number("320102", date(2005, 3, 3), 13))
BROKEN_ID = FIXED[1][:17] + ("0" if FIXED[1][17] != "0" else "1")


def _candidate_row(name: str, number: str) -> list:
    return [
        name,
        "",
        "居民身份证",
        number,
        "13800138000",
        "物流管理",
        "高职专科",
        "2024",
    ]


def _download(page: Page, selector: str, path) -> bytes:
    with page.expect_download() as download:
        page.click(selector)
    target = path / download.value.suggested_filename
    download.value.save_as(target)
    return target.read_bytes()


def _upload(page: Page, upload_id: str, path) -> None:
    page.set_input_files(f"#{upload_id} input[type=file]", str(path))


def test_import_fix_photos_confirm_export(
    login, page: Page, app_url, demo_db, tmp_path
):
    from sqlmodel import func, select

    from xcert_app.models.candidates import Candidate

    before = demo_db.exec(select(func.count()).select_from(Candidate)).one()
    login("cnu_admin")
    page.goto(f"{app_url}/candidates")
    expect(page.locator("#grid-total")).to_contain_text(f"共 {before} 人")

    template = load_workbook(
        io.BytesIO(_download(page, "#download-template", tmp_path))
    )
    sheet = template["考生信息"]
    for name, number in GOOD:
        sheet.append(_candidate_row(name, number))
    sheet.append(_candidate_row(FIXED[0], BROKEN_ID))
    filled = tmp_path / "filled.xlsx"
    template.save(filled)

    _upload(page, "candidate-upload", filled)
    expect(page.locator("#count-new")).to_have_text("2")
    expect(page.locator("#count-errors")).to_have_text("1")
    expect(page.locator("#check-report")).to_contain_text("第 4 行「证件号码」")
    screenshot(page, "candidates-checked")
    page.click("#run-import")
    expect(page.locator("#import-message")).to_contain_text("新增 2 人")
    expect(page.locator("#grid-total")).to_contain_text(f"共 {before + 2} 人")

    report = load_workbook(io.BytesIO(_download(page, "#download-errors", tmp_path)))
    errors = report.active
    assert errors.cell(row=1, column=9).value == "错误原因"
    assert errors.cell(row=2, column=4).value == BROKEN_ID
    errors.cell(row=2, column=4).value = FIXED[1]
    fixed = tmp_path / "fixed.xlsx"
    report.save(fixed)
    _upload(page, "candidate-upload", fixed)
    expect(page.locator("#count-new")).to_have_text("1")
    expect(page.locator("#count-errors")).to_have_text("0")
    page.click("#run-import")
    expect(page.locator("#import-message")).to_contain_text("新增 1 人")
    expect(page.locator("#grid-total")).to_contain_text(f"共 {before + 3} 人")

    archive = tmp_path / "photos.zip"
    with zipfile.ZipFile(archive, "w") as output:
        output.writestr(f"照片/{GOOD[0][1]}.jpg", photo())
        output.writestr(f"照片/{GOOD[1][1]}.JPG", photo())
        output.writestr(f"{FIXED[1]}.jpg", photo(background=(240, 240, 240)))
        output.writestr("__MACOSX/._x.jpg", b"junk")
    _upload(page, "photo-upload", archive)
    expect(page.locator("#photo-summary")).to_contain_text("匹配 3 张")
    expect(page.locator("#photo-summary")).to_contain_text("待人工确认 1 人")

    page.fill("#search", FIXED[0])
    page.click("#search-button")
    expect(page.locator("#grid-total")).to_contain_text("共 1 人")
    row = page.locator("#candidate-grid tbody tr").first
    expect(row).to_contain_text("待人工确认")
    expect(row).to_contain_text("底色")
    expect(row).to_contain_text(FIXED[1][:6] + "*****" + FIXED[1][-4:])
    expect(row.locator("img")).to_be_visible()
    assert row.locator("img").evaluate("image => image.naturalWidth") == 59
    screenshot(page, "candidates-waiting")
    row.locator("img").click()
    full = page.locator("#photo-full")
    expect(full).to_be_visible()
    assert full.evaluate("image => image.naturalWidth") == 295
    assert full.evaluate("image => image.naturalHeight") == 413
    screenshot(page, "candidates-photo-full")
    page.get_by_role("button", name="关闭").click()
    expect(full).to_be_hidden()
    row.get_by_role("button", name="确认无误").click()
    expect(row).to_contain_text("人工确认通过")
    screenshot(page, "candidates-confirmed")

    page.fill("#search", "")
    page.click("#search-button")
    expect(page.locator("#grid-total")).to_contain_text(f"共 {before + 3} 人")
    exported = load_workbook(io.BytesIO(_download(page, "#export", tmp_path))).active
    names = [values[0] for values in exported.iter_rows(min_row=2, values_only=True)]
    assert len(names) == before + 3
    assert {GOOD[0][0], GOOD[1][0], FIXED[0]} <= set(names)
    numbers = [values[3] for values in exported.iter_rows(min_row=2, values_only=True)]
    assert FIXED[1] in numbers


def test_correct_inline_then_confirmed(login, page: Page, app_url, demo_db, tmp_path):
    from sqlmodel import select

    from xcert_app.models.candidates import Candidate

    person = demo_db.exec(select(Candidate)).first()
    person.verification_status = "needs_confirmation"
    person.verification_reasons = ["照片底色不是红色，请核对是否为红底小一寸照片"]
    demo_db.add(person)
    demo_db.commit()

    login("cnu_admin")
    page.goto(f"{app_url}/candidates")
    row = page.locator(f"#candidate-{person.id}")
    expect(row).to_contain_text("待人工确认")
    row.get_by_role("button", name="修改").click()
    note = tmp_path / "note.txt"
    note.write_text("不是照片")
    _upload(page, "single-photo-upload", note)
    toast = page.locator("[data-sonner-toast]")
    expect(toast.first).to_contain_text("note.txt：文件类型或大小不符合要求")
    # A second toast would follow within the round trip of the upload event.
    page.wait_for_timeout(1500)
    expect(toast).to_have_count(1)
    expect(toast).not_to_contain_text("./")
    expect(toast).to_contain_text("HEIC 等格式请先转换为 jpg")
    screenshot(page, "candidates-photo-wrong-file")
    page.fill("#edit-mobile", "123")
    page.click("#save-edit")
    expect(page.locator("#edit-mobile-error")).to_contain_text("手机号码")
    page.fill("#edit-mobile", "13900139000")
    page.click("#save-edit")
    expect(row).to_contain_text("人工确认通过")
    expect(row).to_contain_text("139****9000")
