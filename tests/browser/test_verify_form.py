from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot


def test_verify_names_every_bad_field(page: Page, app_url):
    page.goto(f"{app_url}/verify")
    expect(page.locator("#verify-number-help")).to_contain_text("22 位数字")
    page.fill("#verify-number", "15600031012")
    page.fill("#verify-id", "110101199003071234")
    page.click("#verify-submit")
    expect(page.locator("#number-error")).to_have_text(
        "证书编号应为 22 位数字，当前为 11 位，请核对"
    )
    expect(page.locator("#id_number-error")).to_have_text(
        "证件号码校验位（末位）与前 17 位不符"
    )
    expect(page.locator("#verify-message")).to_have_count(0)
    screenshot(page, "verify-every-bad-field")
