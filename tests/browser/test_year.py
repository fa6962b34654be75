"""The whole pilot year through the browser, one user action after another.

A school from the official list registers and declares two certificates. One is
approved and one rejected. The school imports a generated cohort of 2,000
candidates with a few bad rows and their photos, declares a site and rooms,
registers and pays. The organisation schedules and the school prints tickets.
Scores are imported and published, both sides sign, and the certificate is
verified publicly.

Each step saves a 1366×768 screenshot under test-results/screenshots. With
``XCERT_TOUR_DIR`` set, the screenshots are also written there, compressed, as
the README's tour (``make tour``).
"""

import io
import os
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from PIL import Image
from playwright.sync_api import Page, expect
from pypdf import PdfReader
from sqlmodel import Session, select

from tests.browser.conftest import SCREENSHOTS
from tests.cohort import Cohort, make_cohort
from tests.factories_declarations import VALID_CREDIT_CODE
from tests.factories_issuance import seal_png
from tests.factories_registration import workbook
from xcert_app.clock import beijing
from xcert_app.models.system import SmsMessage
from xcert_app.services import registration, verification_public
from xcert_app.services.masking import mask_id_number

SCHOOL_CODE = "4111014279"
SCHOOL_NAME = "北京交通运输职业学院"
SCHOOL_MOBILE = "13701234567"
PASSWORD = "JiaoYun2026new"
CAPTCHA = "r4t8w"
COHORT_SIZE = 2000
LOGISTICS = "物流管理职业技能等级证书"
VEHICLES = "汽车运用与维修职业技能等级证书"
JUNIOR_CODES = ("098994", "794690", "609371")
VIEWPORT = {"width": 1366, "height": 768}
# Two days of sessions per subject; 1,060 seats per session and mode fit 2,000.
ROOMS = [
    ("1 号机房", "机考", "500"),
    ("2 号机房", "机考", "500"),
    ("3 号机房", "机考", "60"),
    ("物流实训中心 A", "实操", "500"),
    ("物流实训中心 B", "实操", "500"),
    ("物流实训中心 C", "实操", "60"),
]
# Demo plan windows, counted from the demo load day 2026-12-04 (Beijing).
IN_TICKET_PRINTING = beijing(2026, 12, 16, 9, 0)
IN_SCORE_ENTRY = beijing(2026, 12, 25, 10, 0)
IN_PUBLICATION = beijing(2027, 1, 5, 10, 0)
AFTER_PUBLICATION = beijing(2027, 1, 19, 10, 0)
SLOW = 180_000
TOUR_DIR = os.environ.get("XCERT_TOUR_DIR", "")
TOUR_MAX_BYTES = 250_000


@pytest.fixture
def known_captcha(monkeypatch):
    """Draw every captcha with known text, which works because the app runs in this process."""
    monkeypatch.setattr(registration, "_captcha_text", lambda: CAPTCHA)


@pytest.fixture(scope="module")
def cohort() -> Cohort:
    return make_cohort(COHORT_SIZE, seed=2026)


class Tour:
    """Numbered screenshots of the year, in the order the steps happen."""

    def __init__(self) -> None:
        self.number = 0

    def shot(self, page: Page, name: str) -> None:
        self.number += 1
        file_name = f"{self.number:02d}-{name}.png"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"year-{file_name}"
        page.screenshot(path=str(path))
        if TOUR_DIR:
            _compress(path, Path(TOUR_DIR) / file_name)


def _compress(source: Path, target: Path) -> None:
    """Write a palette PNG, which keeps the UI's flat colours at 128 colours or fewer."""
    target.parent.mkdir(parents=True, exist_ok=True)
    image = Image.open(source).convert("RGB")
    for colours in (128, 64, 32):
        image.quantize(colors=colours, method=Image.Quantize.MEDIANCUT).save(
            target, optimize=True
        )
        if target.stat().st_size <= TOUR_MAX_BYTES:
            return


def _open(new_context_page, **options) -> Page:
    return new_context_page(viewport=VIEWPORT, accept_downloads=True, **options)


def _log_in(page: Page, app_url: str, username: str, password: str = "Xcert2026"):
    page.goto(f"{app_url}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-submit")
    expect(page.locator("#home-greeting")).to_be_visible()


def _log_in_again(page: Page, app_url: str, username: str, password: str) -> None:
    """Log in after the business clock jumped days ahead and ended the session."""
    page.context.clear_cookies()
    _log_in(page, app_url, username, password)


def _choose(page: Page, trigger: str, option: str) -> None:
    page.click(trigger)
    page.get_by_role("option", name=option, exact=True).click()


def _option_value(page: Page, select_id: str, text: str) -> str:
    option = page.locator(f"#{select_id} option", has_text=text).first
    expect(option).to_have_count(1)
    return option.get_attribute("value")


def _download(page: Page, selector: str) -> bytes:
    with page.expect_download(timeout=SLOW) as info:
        page.click(selector)
    return Path(info.value.path()).read_bytes()


def _upload(page: Page, upload_id: str, path: Path) -> None:
    page.set_input_files(f"#{upload_id} input[type=file]", str(path))


def _latest_sms(engine, mobile: str, purpose: str) -> str:
    with Session(engine) as session:
        message = session.exec(
            select(SmsMessage)
            .where(SmsMessage.mobile == mobile, SmsMessage.purpose == purpose)
            .order_by(SmsMessage.id.desc())
        ).first()
        return message.body if message else ""


def _register(page: Page, app_url: str, engine, tour: Tour) -> str:
    """Register the school from the official list; return its first password."""
    page.goto(f"{app_url}/register")
    expect(page.locator("#captcha-image")).to_be_visible()
    _choose(page, "#province", "北京市")
    page.fill("#institution-search", "交通运输")
    page.click(f"#institution-option-{SCHOOL_CODE}")
    page.fill("#mobile", SCHOOL_MOBILE)
    page.fill("#captcha", CAPTCHA)
    page.click("#send-code")
    expect(page.locator("#send-code")).to_have_text("重新获取")
    # The SMS outbox table replaces the school's phone.
    code = re.search(r"\d{6}", _latest_sms(engine, SCHOOL_MOBILE, "register")).group()
    page.fill("#sms-code", code)
    tour.shot(page, "register")
    page.click("#register")
    expect(page.locator("#new-username")).to_have_text(SCHOOL_CODE)
    password = page.locator("#new-password").inner_text()
    assert password in _latest_sms(engine, SCHOOL_MOBILE, "account")
    return password


def _first_login(page: Page, app_url: str, password: str) -> None:
    page.goto(f"{app_url}/login")
    page.fill("#username", SCHOOL_CODE)
    page.fill("#password", password)
    page.click("#login-submit")
    expect(page.locator("#must-change")).to_be_visible()
    page.fill("#old_password", password)
    page.fill("#password", PASSWORD)
    page.fill("#repeat_password", PASSWORD)
    page.click("#save-password")
    expect(page.locator("#home-greeting")).to_be_visible()


def _fill_base_info(page: Page, app_url: str, tour: Tour) -> None:
    page.goto(f"{app_url}/school/base-info")
    expect(page.locator("#base-info-needed")).to_be_visible()
    _choose(page, "#school-type", "高职院校")
    page.fill("#credit-code", VALID_CREDIT_CODE)
    _choose(page, "#city-code", "北京市")
    _choose(page, "#district-code", "丰台区")
    page.fill("#address", "丰台区花乡樊家村 1 号")
    page.fill("#contact-name", "周老师")
    page.fill("#contact-mobile", SCHOOL_MOBILE)
    page.fill("#contact-email", "zhou@jtys.example.cn")
    tour.shot(page, "base-info")
    page.click("#save-base-info")
    expect(page).to_have_url(f"{app_url}/school/declarations")


def _declare(page: Page, certificate: str, major: str, count: str, venue: str) -> None:
    page.locator("[id^=new-declaration-]").first.click()
    page.fill("#certificate-search", certificate[:4])
    page.locator("[id^=certificate-option-]", has_text=certificate).click()
    page.fill("#major-search", major)
    page.locator("[id^=major-option-]", has_text=major).first.click()
    page.fill("#planned-count", count)
    page.fill("#teacher-description", "专业专任教师 15 人，其中双师型教师 9 人")
    page.fill("#venue-description", venue)
    page.set_input_files(
        "#evidence-upload input[type=file]",
        files=[
            {
                "name": "佐证材料.pdf",
                "mimeType": "application/pdf",
                "buffer": b"%PDF-1.4\n%evidence\n",
            }
        ],
    )
    expect(page.locator("#evidence-name")).to_have_text("佐证材料.pdf")
    page.click("#submit-form")
    page.click("#confirm-submit")


def _review_row_id(page: Page, certificate: str) -> int:
    row = page.locator("[id^=review-row-]", has_text=certificate)
    expect(row).to_have_count(1)
    return int(row.get_attribute("id").removeprefix("review-row-"))


def _approve(page: Page, declaration_id: int, count: str | None = None) -> None:
    page.click(f"#approve-{declaration_id}")
    if count is not None:
        page.fill("#approved-count", count)
    page.click("#confirm-decision")
    expect(page.locator(f"#review-row-{declaration_id}")).to_have_count(0)


def _score_file(cohort: Cohort) -> tuple[bytes, int]:
    """Every tenth candidate fails all three subjects; return the file and passes."""
    rows = []
    passed = 0
    for index, person in enumerate(cohort.people):
        fails = index % 10 == 9
        marks = (40, 45, 50) if fails else (72 + index % 20, 65, 80)
        passed += not fails
        for code, mark in zip(JUNIOR_CODES, marks, strict=True):
            rows.append(["", person.id_number, code, mark])
    return workbook(["准考证号", "证件号码", "科目编码", "成绩"], rows), passed


def _draw_signature(page: Page) -> None:
    canvas = page.locator("#signature-pad-canvas")
    expect(canvas).to_be_visible()
    box = canvas.bounding_box()
    x, y = box["x"], box["y"]
    page.mouse.move(x + 40, y + 150)
    page.mouse.down()
    for step in range(1, 30):
        page.mouse.move(x + 40 + step * 15, y + 150 - (step % 7) * 15, steps=2)
    page.mouse.up()


def _sign_page(page: Page, tour: Tour | None = None) -> None:
    """Sign the listed page of records (20) with a hand-drawn signature."""
    page.click("#select-all")
    expect(page.locator("#sign-selected")).to_contain_text("（20）")
    page.click("#sign-selected")
    _draw_signature(page)
    page.click("#signature-next")
    expect(page.locator("#irreversible-warning")).to_contain_text("不可撤回")
    if tour:
        tour.shot(page, "signing")
    page.click("#confirm-sign")
    expect(page.locator("#sign-dialog")).to_be_hidden()


def test_pilot_year_through_the_browser(
    app_url,
    engine,
    demo_db,
    known_captcha,
    new_context_page,
    frozen_clock,
    cohort,
    tmp_path,
):
    tour = Tour()
    verification_public.limiter.reset()
    files = {
        "cohort": tmp_path / "考生信息.xlsx",
        "corrected": tmp_path / "考生信息-改正.xlsx",
        "photos": tmp_path / "照片.zip",
        "register": tmp_path / "按证书报考.xlsx",
        "pay": tmp_path / "按科目缴费.xlsx",
        "scores": tmp_path / "成绩.xlsx",
    }
    files["cohort"].write_bytes(cohort.import_file)
    files["corrected"].write_bytes(cohort.corrected_file)
    files["photos"].write_bytes(cohort.photo_archive)
    files["register"].write_bytes(
        workbook(
            ["证件号码", "证书名称", "证书等级"],
            [[person.id_number, LOGISTICS, "初级"] for person in cohort.people],
        )
    )
    files["pay"].write_bytes(
        workbook(
            ["证件号码", "科目编码"],
            [
                [person.id_number, code]
                for person in cohort.people
                for code in JUNIOR_CODES
            ],
        )
    )
    score_file, passed = _score_file(cohort)
    files["scores"].write_bytes(score_file)

    # The school registers, completes its base information and declares.
    school = _open(new_context_page)
    first_password = _register(school, app_url, engine, tour)
    _first_login(school, app_url, first_password)
    _fill_base_info(school, app_url, tour)
    _declare(
        school,
        LOGISTICS,
        "现代物流管理",
        "2100",
        "物流实训中心 3 个，机房 3 间共 1060 个机位",
    )
    _declare(school, VEHICLES, "工业互联网技术", "60", "汽修实训车间 1 个")
    expect(school.locator("[id^=status-]", has_text="待审核（地市）")).to_have_count(2)
    tour.shot(school, "declarations")

    # The city passes both; the province approves logistics and rejects vehicles.
    city = _open(new_context_page)
    _log_in(city, app_url, "bj_city")
    city.goto(f"{app_url}/review/declarations")
    logistics_id = _review_row_id(city, LOGISTICS)
    vehicles_id = _review_row_id(city, VEHICLES)
    tour.shot(city, "city-review")
    _approve(city, logistics_id)
    _approve(city, vehicles_id)

    province = _open(new_context_page)
    _log_in(province, app_url, "bj_province")
    province.goto(f"{app_url}/review/declarations")
    province.click(f"#approve-{logistics_id}")
    province.fill("#approved-count", "2000")
    tour.shot(province, "province-approve")
    province.click("#confirm-decision")
    expect(province.locator(f"#review-row-{logistics_id}")).to_have_count(0)
    province.click(f"#reject-{vehicles_id}")
    province.fill(
        "#reject-reason", "申报专业与汽车运用与维修证书不对口，请补充汽车类专业"
    )
    province.click("#confirm-decision")
    expect(province.locator(f"#review-row-{vehicles_id}")).to_have_count(0)

    school.reload()
    expect(school.locator(f"#status-{logistics_id}")).to_have_text("审核通过")
    expect(school.locator(f"#approved-{logistics_id}")).to_have_text("2000")
    expect(school.locator(f"#status-{vehicles_id}")).to_have_text("审核不通过")
    expect(school.locator(f"#declaration-{vehicles_id}")).to_contain_text("不对口")
    expect(school.locator("#pilot-status")).to_have_text("本年度试点院校")
    expect(school.locator("#quota-card")).to_contain_text(LOGISTICS)
    expect(school.locator("#quota-card")).to_contain_text("2000")
    tour.shot(school, "quota")

    # Candidates: check the file, import the good rows, fix the bad ones.
    school.goto(f"{app_url}/candidates")
    expect(school.locator("#grid-total")).to_contain_text("共 0 人")
    _upload(school, "candidate-upload", files["cohort"])
    expect(school.locator("#count-rows")).to_have_text(str(COHORT_SIZE), timeout=SLOW)
    expect(school.locator("#count-new")).to_have_text(str(COHORT_SIZE - 6))
    expect(school.locator("#count-errors")).to_have_text("6")
    report = school.locator("#check-report")
    for row_number, phrase in cohort.bad_rows.items():
        expect(report).to_contain_text(f"第 {row_number} 行")
        expect(report).to_contain_text(phrase)
    tour.shot(school, "candidates-check")
    school.click("#run-import")
    expect(school.locator("#import-message")).to_contain_text(
        f"新增 {COHORT_SIZE - 6} 人", timeout=SLOW
    )
    expect(school.locator("#grid-total")).to_contain_text(f"共 {COHORT_SIZE - 6} 人")

    errors = load_workbook(io.BytesIO(_download(school, "#download-errors"))).active
    assert errors.cell(row=1, column=9).value == "错误原因"
    assert errors.max_row == 7
    reasons = [errors.cell(row=line, column=9).value for line in range(2, 8)]
    for phrase in set(cohort.bad_rows.values()):
        assert any(phrase in reason for reason in reasons), phrase

    _upload(school, "candidate-upload", files["corrected"])
    expect(school.locator("#count-new")).to_have_text("6", timeout=SLOW)
    expect(school.locator("#count-errors")).to_have_text("0")
    school.click("#run-import")
    expect(school.locator("#import-message")).to_contain_text("新增 6 人", timeout=SLOW)
    expect(school.locator("#grid-total")).to_contain_text(f"共 {COHORT_SIZE} 人")

    # Photos: 2,000 matched, three with a white background wait for a person.
    _upload(school, "photo-upload", files["photos"])
    summary = school.locator("#photo-summary")
    expect(summary).to_contain_text(f"匹配 {COHORT_SIZE} 张", timeout=SLOW)
    expect(summary).to_contain_text("待人工确认 3 人")
    tour.shot(school, "photos")

    school.goto(f"{app_url}/candidates?status=needs_confirmation")
    expect(school.locator("#grid-total")).to_contain_text("共 3 人")
    expect(school.locator("#candidate-grid")).to_contain_text("底色")
    tour.shot(school, "confirm")
    for remaining in (2, 1, 0):
        button = school.locator("#candidate-grid [id^=confirm-]").first
        # Scroll the row up, as a person would, so the last toast does not cover it.
        button.evaluate("element => element.scrollIntoView({block: 'center'})")
        button.click()
        expect(school.locator("#grid-total")).to_contain_text(f"共 {remaining} 人")

    # An exam site, approved by the organisation, and its rooms for the plan.
    school.goto(f"{app_url}/exam/sites")
    school.click("#new-site")
    school.select_option(
        "#site-org", _option_value(school, "site-org", "北京中物联物流采购培训中心")
    )
    school.select_option(
        "#site-certificate-pick",
        _option_value(school, "site-certificate-pick", "(初级)"),
    )
    school.click("#site-certificate-add")
    expect(school.locator("#site-certificates")).to_contain_text("156000310")
    site_name = f"{SCHOOL_NAME}物流管理考核站点"
    expect(school.locator("#site-name")).to_have_value(site_name)
    school.fill("#site-introduction", "机房 3 间共 1060 个机位，物流实训中心 3 个。")
    tour.shot(school, "site")
    school.click("#save-site")
    expect(school.locator("#site-table tr", has_text=site_name)).to_contain_text(
        "待审核"
    )

    org = _open(new_context_page)
    _log_in(org, app_url, "wuliu_org")
    org.goto(f"{app_url}/exam/site-review")
    review_row = org.locator("#review-table tr", has_text=site_name)
    expect(review_row).to_contain_text("物流管理职业技能等级证书(初级)")
    tour.shot(org, "site-review")
    review_row.get_by_role("button", name="通过", exact=True).click()
    expect(org.locator("#review-table")).not_to_contain_text(site_name)

    school.goto(f"{app_url}/exam/rooms")
    school.select_option(
        "#room-plan", _option_value(school, "room-plan", "K202005226994")
    )
    for name, mode, seats in ROOMS:
        school.click("#new-room")
        school.fill("#room-name", name)
        school.select_option("#room-mode", mode)
        school.fill("#room-seats", seats)
        school.click("#save-room")
        expect(school.locator("#room-table")).to_contain_text(name)
    expect(school.locator("#capacity-机考")).to_contain_text("1060")
    expect(school.locator("#capacity-实操")).to_contain_text("1060")
    tour.shot(school, "rooms")

    # Registration by certificate, one payment order per subject, confirmed by the organisation.
    school.goto(f"{app_url}/registrations")
    expect(school.locator("#plan-select")).to_contain_text("K202005226994")
    _upload(school, "registration-upload", files["register"])
    expect(school.locator("#import-summary")).to_contain_text(
        f"成功 {COHORT_SIZE} 行（{3 * COHORT_SIZE} 条报考）", timeout=SLOW
    )
    expect(school.locator("#registration-total")).to_contain_text(
        f"共 {3 * COHORT_SIZE} 条"
    )
    tour.shot(school, "registrations")

    school.goto(f"{app_url}/payments")
    expect(school.locator("#order-plan-select")).to_contain_text("K202005226994")
    # The organisation charges per subject, so the order lists every subject.
    expect(school.locator("#order-kind-subject")).to_be_checked()
    _upload(school, "order-upload", files["pay"])
    summary = school.locator("#import-summary")
    expect(summary).to_contain_text("已生成缴费申请单 JF", timeout=SLOW)
    order = re.search(r"JF\d{14}", summary.inner_text()).group(0)
    expect(school.locator("#order-table")).to_contain_text("720000.00")
    expect(school.locator(f"#order-status-{order}")).to_have_text("待确认")
    tour.shot(school, "payment")

    org.goto(f"{app_url}/org/payments")
    expect(org.locator(f"#order-status-{order}")).to_have_text("待确认")
    org.click(f"#confirm-{order}")
    org.click(f"#confirm-order-{order}")
    expect(org.locator(f"#order-status-{order}")).to_have_count(0)
    school.goto(f"{app_url}/registrations")
    expect(school.locator("#count-paid")).to_contain_text(f"已缴费 {3 * COHORT_SIZE}")

    # The organisation schedules every paid registration.
    org.goto(f"{app_url}/exam/schedule")
    expect(org.locator("#run-summary")).to_contain_text("尚未排考")
    org.fill("#schedule-seed", "2026")
    org.click("#run-schedule")
    expect(org.locator("#run-summary")).to_contain_text("排考完成", timeout=SLOW)
    expect(org.locator("#run-summary")).to_contain_text(f"安排 {3 * COHORT_SIZE} 人次")
    org.click("#tab-sites")
    expect(org.locator("#sites-table tr", has_text=site_name)).to_contain_text(
        str(3 * COHORT_SIZE)
    )
    tour.shot(org, "schedule")

    # In the ticket window the school prints the tickets of its smallest room.
    frozen_clock.set(IN_TICKET_PRINTING)
    _log_in_again(school, app_url, SCHOOL_CODE, PASSWORD)
    school.goto(f"{app_url}/exam/schedule")
    small_room = school.locator("#rooms-table tbody tr", has_text="3 号机房").first
    expect(small_room).to_be_visible()
    expected = int(small_room.locator("td").nth(6).inner_text())
    assert 0 < expected <= 60
    small_room.locator(".open-room").click()
    detail = school.locator("#room-detail")
    expect(detail).to_contain_text("3 号机房")
    # The detail sits under the room list; show its top with the download buttons.
    detail.evaluate("element => element.scrollIntoView({block: 'start'})")
    tour.shot(school, "tickets")
    reader = PdfReader(io.BytesIO(_download(school, "#download-tickets")))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert len(reader.pages) == expected
    assert "考生须知" in text
    assert "3 号机房" in text

    # Scores are imported in the entry window and read by the school when published.
    frozen_clock.set(IN_SCORE_ENTRY)
    _log_in_again(org, app_url, "wuliu_org", "Xcert2026")
    org.goto(f"{app_url}/scores/entry")
    expect(org.locator("#window-text")).to_contain_text("现在可以导入和修改成绩")
    org.locator("#score-upload input[type=file]").set_input_files(str(files["scores"]))
    expect(org.locator("#uploaded-name")).to_have_text("成绩.xlsx")
    org.click("#start-import")
    counts = org.locator("#import-counts")
    expect(counts).to_contain_text(f"新录入 {3 * COHORT_SIZE}", timeout=SLOW)
    expect(counts).to_contain_text("拒绝 0")
    tour.shot(org, "scores")

    frozen_clock.set(IN_PUBLICATION)
    _log_in_again(school, app_url, SCHOOL_CODE, PASSWORD)
    school.goto(f"{app_url}/scores")
    expect(school.locator("#score-counts")).to_contain_text(f"全部 {3 * COHORT_SIZE}")
    tour.shot(school, "scores-published")

    # After publication the results are locked and certificates wait for signatures.
    frozen_clock.set(AFTER_PUBLICATION)
    _log_in_again(org, app_url, "wuliu_org", "Xcert2026")
    _log_in_again(school, app_url, SCHOOL_CODE, PASSWORD)
    org.goto(f"{app_url}/results")
    expect(org.locator("#result-counts")).to_contain_text(
        f"通过 {passed}", timeout=SLOW
    )
    expect(org.locator("#pass-rates")).to_contain_text("90.0%")
    tour.shot(org, "results")

    school.goto(f"{app_url}/school/seal")
    expect(school.locator("#no-seal")).to_be_visible()
    school.set_input_files(
        "#seal input[type=file]",
        files=[{"name": "seal.png", "mimeType": "image/png", "buffer": seal_png()}],
    )
    expect(school.locator("#seal-preview")).to_be_visible()
    school.click("#seal-authorised")
    school.click("#save-seal")
    expect(school.locator("#current-seal")).to_be_visible()
    tour.shot(school, "seal")

    school.goto(f"{app_url}/issuance/signing")
    _sign_page(school, tour)
    org.goto(f"{app_url}/issuance/signing")
    _sign_page(org)
    org.click("#status-filter")
    org.get_by_role("option", name="已签发").click()
    issued = org.locator("[id^=record-]", has_text="已签发")
    expect(issued).to_have_count(20)
    card = issued.first.inner_text()
    number = re.search(r"\d{22}", card).group(0)
    # A holder would show the certificate. Here the name and masked ID number on
    # the card find the holder in the cohort.
    holders = [
        person
        for person in cohort.people
        if person.name in card and mask_id_number(person.id_number) in card
    ]
    assert len(holders) == 1, card

    # Anyone checks the certificate with its number and the holder's ID number.
    visitor = _open(new_context_page)
    visitor.goto(f"{app_url}/verify?number={number}")
    expect(visitor.locator("#verify-number")).to_have_value(number)
    visitor.fill("#verify-id", holders[0].id_number)
    visitor.click("#verify-submit")
    expect(visitor.locator("#verify-result")).to_contain_text("证书真实有效")
    holder = holders[0].name
    expect(visitor.locator("#verify-holder_name_masked")).to_have_text(
        holder[0] + "*" * (len(holder) - 1)
    )
    expect(visitor.locator("#verify-result")).to_contain_text(number)
    tour.shot(visitor, "verify")
