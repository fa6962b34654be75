from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot


def test_principal_creates_then_disables_business_admin(
    login, page: Page, app_url, new_context_page
):
    login("cnu_head")
    page.goto(f"{app_url}/org/people")
    page.fill("#member-username", "cnu_teacher")
    page.fill("#member-name", "王老师")
    page.fill("#member-mobile", "13800138010")
    page.click("#create-member")
    notice = page.locator("#password-notice")
    expect(notice).to_contain_text("初始密码")
    password = notice.inner_text().split("初始密码 ")[1].split("（")[0]
    screenshot(page, "people-principal")

    admin = new_context_page()
    admin.goto(f"{app_url}/login")
    admin.fill("#username", "cnu_teacher")
    admin.fill("#password", password)
    admin.click("#login-submit")
    admin.fill("#old_password", password)
    admin.fill("#password", "Teacher2026x")
    admin.fill("#repeat_password", "Teacher2026x")
    admin.click("#save-password")
    expect(admin.locator("#home-greeting")).to_contain_text("王老师")

    page.click("#disable-cnu_teacher")
    page.click("#confirm-disable")
    expect(page.locator("#member-table")).to_contain_text("已停用")

    admin.goto(f"{app_url}/")
    expect(admin).to_have_url(f"{app_url}/login?next=/&expired=1")
    admin.fill("#username", "cnu_teacher")
    admin.fill("#password", "Teacher2026x")
    admin.click("#login-submit")
    expect(admin.locator("#login-error")).to_contain_text("停用")


def test_roster_rejects_bad_mobile_next_to_field(login, page: Page, app_url):
    login("cnu_head")
    page.goto(f"{app_url}/org/people")
    page.fill("#staff-name", "张监考")
    page.fill("#staff-mobile", "12345")
    page.click("#add-staff")
    expect(page.locator("#staff_mobile-error")).to_contain_text("手机号码 12345 无效")
    page.fill("#staff-mobile", "13900139000")
    page.click("#add-staff")
    expect(page.locator("#staff-table")).to_contain_text("张监考")


def test_roster_imports_from_excel(login, page: Page, app_url, tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(["姓名", "手机号码", "部门"])
    workbook.active.append(["王监考", "13900139011", "教务处"])
    workbook.active.append(["赵巡考", "13900139012", "学生处"])
    path = tmp_path / "人员名册.xlsx"
    workbook.save(path)

    login("cnu_head")
    page.goto(f"{app_url}/org/people")
    page.locator("#roster-upload input[type=file]").set_input_files(str(path))
    expect(page.locator("#staff-table")).to_contain_text("王监考")
    expect(page.locator("#staff-table")).to_contain_text("赵巡考")


def test_wrong_file_type_is_refused_in_chinese(login, page: Page, app_url, tmp_path):
    path = tmp_path / "setup.exe"
    path.write_bytes(b"MZ" + b"\0" * 64)
    login("cnu_head")
    page.goto(f"{app_url}/org/people")
    # The page has loaded its state once the roster shows.
    expect(page.locator("#staff-table")).to_be_visible()
    page.locator("#roster-upload input[type=file]").set_input_files(str(path))
    expect(page.get_by_text("文件未被接受")).to_be_visible()
    expect(page.get_by_text("setup.exe：文件类型或大小不符合要求")).to_be_visible()
