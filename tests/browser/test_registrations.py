import re

from playwright.sync_api import Page, expect
from sqlmodel import select

from tests.browser.conftest import screenshot
from tests.factories_registration import workbook
from xcert_app.models.candidates import Candidate

LOGISTICS = "物流管理职业技能等级证书"
JUNIOR_CODES = ("098994", "794690", "609371")


def _upload(page: Page, upload_id: str, path) -> None:
    page.locator(f"#{upload_id} input[type=file]").set_input_files(str(path))


def _log_in(page: Page, app_url: str, username: str) -> None:
    page.goto(f"{app_url}/login")
    page.fill("#username", username)
    page.fill("#password", "Xcert2026")
    page.click("#login-submit")
    expect(page.locator("#home-greeting")).to_be_visible()


def test_register_delete_pay_and_confirm(
    login, page: Page, app_url, demo_db, tmp_path, new_context_page
):
    ids = sorted(demo_db.exec(select(Candidate.id_number)).all())
    register = tmp_path / "按证书报考.xlsx"
    register.write_bytes(
        workbook(
            ["证件号码", "证书名称", "证书等级"],
            [[id_number, LOGISTICS, "初级"] for id_number in ids],
        )
    )
    remove = tmp_path / "删除报考.xlsx"
    remove.write_bytes(
        workbook(["证件号码", "科目编码"], [[ids[0], "609371"], [ids[1], "609371"]])
    )
    pay_pairs = [
        [id_number, code]
        for id_number in ids
        for code in JUNIOR_CODES
        if not (id_number in ids[:2] and code == "609371")
    ]
    pay = tmp_path / "按科目缴费.xlsx"
    pay.write_bytes(workbook(["证件号码", "科目编码"], pay_pairs))

    login("cnu_admin")
    page.goto(f"{app_url}/registrations")
    expect(page.locator("#plan-select")).to_contain_text("K202005226994")
    _upload(page, "registration-upload", register)
    expect(page.locator("#import-summary")).to_contain_text("成功 4 行（12 条报考）")
    expect(page.locator("#registration-total")).to_contain_text("共 12 条")
    table = page.locator("#registration-table")
    for code in JUNIOR_CODES:
        expect(table.get_by_role("cell", name=code, exact=True)).to_have_count(4)
    screenshot(page, "registrations-after-import")

    page.click("#choice-delete")
    _upload(page, "registration-upload", remove)
    expect(page.locator("#import-summary")).to_contain_text("成功 2 行（2 条报考）")
    expect(page.locator("#registration-total")).to_contain_text("共 10 条")
    expect(table.get_by_role("cell", name="609371", exact=True)).to_have_count(2)

    page.goto(f"{app_url}/payments")
    expect(page.locator("#order-plan-select")).to_contain_text("K202005226994")
    _upload(page, "order-upload", pay)
    summary = page.locator("#import-summary")
    expect(summary).to_contain_text("已生成缴费申请单 JF")
    number = re.search(r"JF\d{14}", summary.inner_text()).group(0)
    orders = page.locator("#order-table")
    expect(orders).to_contain_text("1200.00")
    expect(page.locator(f"#order-status-{number}")).to_have_text("待确认")
    screenshot(page, "payments-school-order")

    org = new_context_page()
    _log_in(org, app_url, "wuliu_org")
    org.goto(f"{app_url}/org/payments")
    expect(org.locator(f"#order-status-{number}")).to_have_text("待确认")
    org.click(f"#confirm-{number}")
    org.click(f"#confirm-order-{number}")
    expect(org.locator(f"#order-status-{number}")).to_have_count(0)
    screenshot(org, "payments-org-confirmed")

    page.goto(f"{app_url}/registrations")
    expect(page.locator("#count-paid")).to_contain_text("已缴费 10")
    expect(page.locator("#registration-table")).to_contain_text("已缴费")
    expect(page.locator("#registration-table")).not_to_contain_text("已报考")
    expect(page.locator(f"#order-status-{number}")).to_have_count(0)
    page.goto(f"{app_url}/payments")
    expect(page.locator(f"#order-status-{number}")).to_have_text("已确认缴费")
    expect(page.locator(f"#delete-{number}")).to_have_count(0)
    screenshot(page, "registrations-paid")


def _registered_demo_order(session) -> str:
    """Register the demo candidates for the junior level and order every subject."""
    from xcert_app.models.accounts import Account
    from xcert_app.models.catalogue import ExamPlan
    from xcert_app.services import accounts, payments, registrations
    from xcert_app.spreadsheets.registrations import ImportKind

    account = session.exec(select(Account).where(Account.username == "cnu_admin")).one()
    actor = accounts.actor_for_account(session, account)
    plan = session.exec(select(ExamPlan).where(ExamPlan.code == "K202005226994")).one()
    ids = sorted(session.exec(select(Candidate.id_number)).all())
    registrations.import_registrations(
        session,
        actor=actor,
        plan_id=plan.id,
        data=workbook(
            ["证件号码", "证书名称", "证书等级"],
            [[id_number, LOGISTICS, "初级"] for id_number in ids],
        ),
        file_name="报考.xlsx",
        kind=ImportKind.CERTIFICATE,
    )
    order, _report = payments.create_order(
        session,
        actor=actor,
        plan_id=plan.id,
        data=workbook(
            ["证件号码", "科目编码"],
            [[id_number, code] for id_number in ids for code in JUNIOR_CODES],
        ),
        file_name="缴费.xlsx",
        kind=ImportKind.SUBJECT,
    )
    session.commit()
    return order.number


def test_organisation_rejects_order_and_edits_fee(login, page: Page, app_url, demo_db):
    number = _registered_demo_order(demo_db)

    login("wuliu_org")
    page.goto(f"{app_url}/org/registrations")
    summary = page.locator("#summary-table")
    expect(summary).to_contain_text("首都师范大学")
    expect(summary.get_by_role("cell", name="098994 基础考核")).to_have_count(1)
    screenshot(page, "org-registrations-summary")

    page.goto(f"{app_url}/org/payments")
    expect(page.locator(f"#order-status-{number}")).to_have_text("待确认")
    page.click(f"#reject-{number}")
    page.click("#reject-submit")
    expect(page.get_by_text("请填写退回原因")).to_be_visible()
    page.fill("#reject-reason", "金额与到账不符，请核对后重新提交")
    page.click("#reject-submit")
    expect(page.locator(f"#order-status-{number}")).to_have_count(0)
    page.click("#order-status-filter")
    page.get_by_role("option", name="已退回").click()
    expect(page.locator(f"#order-status-{number}")).to_have_text("已退回")
    expect(page.locator("#order-table")).to_contain_text("金额与到账不符")

    page.goto(f"{app_url}/org/fees")
    fee_input = page.locator("#fee-table input").nth(1)
    expect(fee_input).to_have_value("120.00")
    fee_input.fill("150.5")
    page.locator("#fee-table button").nth(1).click()
    expect(page.get_by_text("收费标准已保存")).to_be_visible()
    page.reload()
    expect(page.locator("#fee-table input").nth(1)).to_have_value("150.50")
    screenshot(page, "org-fee-table")


def test_templates_download_from_menu(login, page: Page, app_url, demo_db, tmp_path):
    import io

    from openpyxl import load_workbook

    login("cnu_admin")
    page.goto(f"{app_url}/registrations")
    expect(page.locator("#plan-select")).to_contain_text("K202005226994")
    expected = {
        "certificate": ("按证书报考模板.xlsx", "证书名称"),
        "subject": ("按科目报考模板.xlsx", "科目编码"),
        "delete": ("删除报考模板.xlsx", "科目编码"),
    }
    for value, (filename, column) in expected.items():
        page.click(f"#choice-{value}")
        expect(page.locator(f"#choice-{value}")).to_have_attribute(
            "aria-checked", "true"
        )
        with page.expect_download() as info:
            page.click("#template-download")
        assert info.value.suggested_filename == filename
        sheet = load_workbook(io.BytesIO(open(info.value.path(), "rb").read())).active
        header = [cell.value for cell in next(sheet.iter_rows(max_row=1))]
        assert "证件号码" in header, value
        assert column in header, value
