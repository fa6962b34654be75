from playwright.sync_api import Page, expect


def test_verify_names_number_length(page: Page, app_url):
    page.goto(f"{app_url}/verify")
    expect(page.locator("#verify-number-help")).to_contain_text("22 位数字")
    page.fill("#verify-number", "15600031012")
    page.fill("#verify-id", "110101199003071233")
    page.click("#verify-submit")
    expect(page.locator("#verify-message")).to_have_text(
        "证书编号应为 22 位数字，当前为 11 位，请核对"
    )
