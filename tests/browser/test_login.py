import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot

HOMES = [
    ("operator", "平台运营", ""),
    ("bj_province", "省级教育行政部门", "北京市教育委员会"),
    ("bj_city", "地市级教育局", "北京市市辖区教育局"),
    ("cnu_head", "院校负责人", "首都师范大学"),
    ("cnu_admin", "院校业务管理员", "首都师范大学"),
    ("wuliu_org", "培训评价组织", "北京中物联物流采购培训中心"),
]


@pytest.mark.parametrize(("username", "role_label", "organisation"), HOMES)
def test_each_role_logs_in_sees_home_and_logs_out(
    login, page: Page, app_url, username, role_label, organisation
):
    login(username)
    expect(page.locator("#home-role")).to_have_text(role_label)
    if organisation:
        expect(page.locator("#home-organisation")).to_have_text(organisation)
    screenshot(page, f"home-{username}")
    page.click("#user-menu")
    page.click("#logout")
    expect(page.locator("#login-submit")).to_be_visible()
    page.goto(f"{app_url}/")
    expect(page).to_have_url(f"{app_url}/login?next=/")


def test_school_account_is_refused_operator_page(login, page: Page, app_url):
    login("cnu_admin")
    page.goto(f"{app_url}/operator/accounts")
    expect(page.locator("#access-denied")).to_be_visible()
    expect(page.locator("#create-account")).to_have_count(0)


def test_student_space_sends_to_student_login(page: Page, app_url):
    page.goto(f"{app_url}/student")
    expect(page).to_have_url(f"{app_url}/student/login")
    page.goto(f"{app_url}/candidates")
    expect(page).to_have_url(f"{app_url}/login?next=/candidates")
    expect(page.locator("#login-submit")).to_be_visible()
    expect(page.locator("#login-expired")).to_have_count(0)


def test_expired_login_is_named_on_login_page(login, page: Page, app_url, demo_db):
    from sqlmodel import select

    from xcert_app.models.accounts import AuthSession

    def expire_every_login():
        for auth_session in demo_db.exec(select(AuthSession)).all():
            auth_session.expires_at = auth_session.created_at
            demo_db.add(auth_session)
        demo_db.commit()

    expired_url = f"{app_url}/login?next=/candidates%3Fmissing%3Dphoto&expired=1"
    login("cnu_admin")
    # The login ends while the page is open: the next click that reaches the
    # backend leads to the login page, as opening the page would.
    page.goto(f"{app_url}/candidates?missing=photo")
    expect(page.locator("#search-button")).to_be_visible()
    expire_every_login()
    page.click("#search-button")
    expect(page).to_have_url(expired_url)
    expect(page.locator("#login-expired")).to_have_text(
        "登录已过期或已失效，请重新登录"
    )
    page.fill("#username", "cnu_admin")
    page.fill("#password", "Xcert2026")
    page.click("#login-submit")
    expect(page).to_have_url(f"{app_url}/candidates?missing=photo")

    expire_every_login()
    page.goto(f"{app_url}/candidates?missing=photo")
    expect(page).to_have_url(expired_url)
    expect(page.locator("#login-expired")).to_have_text(
        "登录已过期或已失效，请重新登录"
    )
    screenshot(page, "login-expired")
    page.fill("#username", "cnu_admin")
    page.fill("#password", "Xcert2026")
    page.click("#login-submit")
    expect(page).to_have_url(f"{app_url}/candidates?missing=photo")
    page.context.clear_cookies()
    page.goto(f"{app_url}/")
    expect(page).to_have_url(f"{app_url}/login?next=/")
    expect(page.locator("#login-submit")).to_be_visible()
    expect(page.locator("#login-expired")).to_have_count(0)


def test_wrong_password_shows_message(page: Page, app_url):
    page.goto(f"{app_url}/login")
    page.fill("#username", "cnu_head")
    page.fill("#password", "wrong-password1")
    page.click("#login-submit")
    expect(page.locator("#login-error")).to_contain_text("账号或密码错误")


def test_operator_creates_account_that_must_change_password(
    login, page: Page, app_url, new_context_page
):
    login("operator")
    page.goto(f"{app_url}/operator/accounts")
    page.fill("#new-username", "cnu_admin2")
    page.fill("#new-name", "王老师")
    page.get_by_role("combobox").nth(1).click()
    page.get_by_role("option", name="首都师范大学").click()
    page.click("#create-account")
    message = page.locator("#created-message")
    expect(message).to_contain_text("初始密码")
    password = message.inner_text().split("初始密码 ")[1].split("（")[0]

    other = new_context_page()
    other.goto(f"{app_url}/login")
    other.fill("#username", "cnu_admin2")
    other.fill("#password", password)
    other.click("#login-submit")
    expect(other.locator("#must-change")).to_be_visible()
    other.fill("#old_password", password)
    other.fill("#password", "MyOwnPass2026")
    other.fill("#repeat_password", "MyOwnPass2026")
    other.click("#save-password")
    expect(other.locator("#home-greeting")).to_be_visible()

    # The audit log names roles and actions in Chinese and lists values as lines.
    page.goto(f"{app_url}/operator/audit")
    rows = page.locator("#audit-table tbody tr")
    changed = rows.filter(has_text="王老师")
    expect(changed).to_contain_text("院校业务管理员")
    expect(changed).to_contain_text("修改密码")
    expect(changed).to_contain_text("password.change")
    created = rows.filter(has_text="username: cnu_admin2")
    expect(created).to_contain_text("平台运营")
    expect(created).to_contain_text("创建账号")
    expect(created).to_contain_text("role: 院校业务管理员")
    expect(created).to_contain_text("账号 #")
    expect(created).not_to_contain_text("{")
    screenshot(page, "operator-audit")
