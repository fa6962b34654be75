import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot

NEW_PLAN_DATES = {
    "registration-start": "2026-12-10",
    "registration-end": "2026-12-15",
    "ticket-start": "2026-12-16",
    "ticket-end": "2026-12-20",
    "exam-start": "2026-12-21",
    "exam-end": "2026-12-22",
    "score-entry-start": "2026-12-23",
    "score-entry-end": "2026-12-31",
    "publication-start": "2027-01-01",
    "publication-end": "2027-01-15",
}
JUNIOR_TERMS = [
    ("098994", "40", "180", "2026-12-21 08:30~10:00\n2026-12-22 08:30~10:00"),
    ("794690", "30", "120", "2026-12-21 10:30~11:30\n2026-12-22 10:30~11:30"),
    ("609371", "30", "1190", "2026-12-21 14:00~23:55\n2026-12-22 14:00~23:55"),
]
ROOMS = [
    ("13 号机房", "机考", "60"),
    ("实训室 A", "实操", "30"),
    ("107 室", "笔试", "40"),
]


def _option_value(page: Page, select_id: str, text: str) -> str:
    option = page.locator(f"#{select_id} option", has_text=text).first
    expect(option).to_have_count(1)
    return option.get_attribute("value")


def _create_plan(page: Page, app_url: str) -> str:
    page.goto(f"{app_url}/exam/plans/form")
    expect(page.locator("#plan-name")).to_be_visible()
    page.click("#save-plan")
    expect(page.locator("#name-error")).to_have_text("请填写计划名称")
    expect(page.locator("#exam-error")).to_contain_text("请填写考试时间")
    expect(page.locator("#levels-error")).to_contain_text("请至少添加")
    page.fill("#plan-name", "物流管理2026年12月第3次考核")
    for key, value in NEW_PLAN_DATES.items():
        page.fill(f"#plan-{key}", value)
    page.get_by_role("checkbox", name="物流管理职业技能等级证书(初级)").click()
    for code, weight, duration, sessions in JUNIOR_TERMS:
        page.fill(f"#plan-weight-{code}", weight)
        page.fill(f"#plan-duration-{code}", duration)
        page.fill(f"#plan-sessions-{code}", sessions)
    screenshot(page, "catalogue-plan-form")
    page.click("#save-plan")
    expect(page).to_have_url(re.compile(r"/exam/plans$"))
    row = page.locator("#plan-table tr", has_text="物流管理2026年12月第3次考核")
    expect(row).to_contain_text("未开始")
    code = re.search(r"K\d{12}", row.inner_text()).group(0)
    row.get_by_role("button", name="查看").click()
    detail = page.locator("#plan-detail")
    expect(detail).to_contain_text("综合成绩合格分数: 60分")
    expect(detail).to_contain_text("2026-12-21 08:30~10:00")
    screenshot(page, "catalogue-plan-detail")
    return code


def test_plan_site_review_rooms_and_copy(login, page: Page, app_url, new_context_page):
    login("wuliu_org")
    code = _create_plan(page, app_url)

    school = new_context_page()
    school.goto(f"{app_url}/login")
    school.fill("#username", "cnu_admin")
    school.fill("#password", "Xcert2026")
    school.click("#login-submit")
    expect(school.locator("#home-greeting")).to_be_visible()
    school.goto(f"{app_url}/exam/sites")
    school.click("#new-site")
    school.click("#save-site")
    expect(school.locator("#org_id-error")).to_have_text(
        "请选择申报对象（培训评价组织）"
    )
    expect(school.locator("#certificates-error")).to_have_text(
        "请至少添加一个申请考试的证书"
    )
    screenshot(school, "catalogue-site-form-empty")
    school.select_option(
        "#site-org", _option_value(school, "site-org", "北京中物联物流采购培训中心")
    )
    expect(school.locator("#site-certificate-pick option")).to_have_count(4)
    school.select_option(
        "#site-certificate-pick",
        _option_value(school, "site-certificate-pick", "(初级)"),
    )
    school.click("#site-certificate-add")
    expect(school.locator("#site-certificates")).to_contain_text("156000310")
    expect(school.locator("#site-name")).to_have_value("首都师范大学物流管理考核站点")
    school.fill("#site-introduction", "机房 3 间共 180 个机位，物流实训中心 2 个。")
    screenshot(school, "catalogue-site-form")
    school.click("#save-site")
    site_row = school.locator("#site-table tr", has_text="首都师范大学物流管理考核站点")
    expect(site_row).to_contain_text("待审核")
    # The address already names the region, so the region is not put in front.
    expect(site_row).to_contain_text("北京市海淀区西三环北路105号")
    expect(site_row).not_to_contain_text("海淀区 北京市")
    screenshot(school, "catalogue-site-declared")

    page.goto(f"{app_url}/exam/site-review")
    review_row = page.locator(
        "#review-table tr", has_text="首都师范大学物流管理考核站点"
    )
    expect(review_row).to_contain_text("物流管理职业技能等级证书(初级)")
    review_row.get_by_role("button", name="通过", exact=True).dblclick()
    expect(page.locator("#review-table")).not_to_contain_text(
        "首都师范大学物流管理考核站点"
    )
    # The second click of the double click gets information, not an error.
    expect(page.locator("[data-sonner-toast][data-type=info]")).to_contain_text(
        "已审核通过，无需重复操作"
    )
    expect(page.locator("[data-sonner-toast][data-type=error]")).to_have_count(0)
    screenshot(page, "catalogue-site-approved-twice")

    school.goto(f"{app_url}/exam/rooms")
    school.select_option("#room-plan", _option_value(school, "room-plan", code))
    for name, mode, seats in ROOMS:
        school.click("#new-room")
        school.fill("#room-name", name)
        school.select_option("#room-mode", mode)
        school.fill("#room-seats", seats)
        school.click("#save-room")
        expect(school.locator("#room-table")).to_contain_text(name)
    written = school.locator("#room-table tr", has_text="107 室")
    expect(written).to_contain_text("没有笔试科目")
    expect(school.locator("#capacity-机考")).to_contain_text("60")
    screenshot(school, "catalogue-rooms")

    school.select_option(
        "#room-plan", _option_value(school, "room-plan", "K202005226994")
    )
    expect(school.locator("#room-table tbody tr")).to_have_count(0)
    copy_sources = school.locator("#copy-source option", has_text="K202005226994")
    expect(copy_sources).to_have_count(0)
    school.select_option("#copy-source", _option_value(school, "copy-source", code))
    school.click("#preview-copy")
    expect(school.locator("#copy-preview tbody tr")).to_have_count(3)
    school.click("#confirm-copy")
    expect(school.locator("#room-table tbody tr")).to_have_count(3)
    for name, _mode, _seats in ROOMS:
        expect(school.locator("#room-table")).to_contain_text(name)
    screenshot(school, "catalogue-rooms-copied")


def test_school_reads_demo_subjects_and_plan(login, page: Page, app_url):
    login("cnu_admin")
    page.goto(f"{app_url}/exam/subjects")
    row = page.locator("#subject-table tr", has_text="043194")
    expect(row).to_contain_text("基础考核")
    expect(row).to_contain_text("机考")
    expect(row).to_contain_text("物流管理职业技能等级证书(中级)")
    expect(row).to_contain_text("北京中物联物流采购培训中心")
    expect(row).to_contain_text("已启用")
    expect(page.locator("#new-subject")).to_have_count(0)

    page.goto(f"{app_url}/exam/plans")
    plan_row = page.locator("#plan-table tr", has_text="K202005226994")
    expect(plan_row).to_contain_text("报名中")
    expect(page.locator("#new-plan")).to_have_count(0)
    plan_row.get_by_role("button", name="查看").click()
    detail = page.locator("#plan-detail")
    expect(detail).to_contain_text("物流管理职业技能等级证书(中级)")
    expect(detail.locator("tr", has_text="043194")).to_contain_text("40%")
    expect(detail.locator("tr", has_text="577975")).to_contain_text("120分钟")
    screenshot(page, "catalogue-school-plan-detail")


def test_org_adds_subject_and_edits_plans(login, page: Page, app_url):
    login("wuliu_org")
    page.goto(f"{app_url}/exam/subjects")
    page.click("#new-subject")
    page.fill("#subject-code", "012345")
    page.fill("#subject-name", "理论考核")
    page.select_option("#subject-mode", "笔试")
    page.select_option("#subject-level", _option_value(page, "subject-level", "(初级)"))
    page.click("#save-subject")
    expect(page.locator("#subject-table tr", has_text="012345")).to_contain_text("笔试")

    page.goto(f"{app_url}/exam/plans")
    page.click("#edit-plan-K202005226994")
    expect(page.locator("#plan-code")).to_contain_text("K202005226994")
    expect(page.locator("#plan-weight-043194")).to_have_value("40")
    expect(page.locator("#plan-correction-reason")).to_be_visible()
    page.click("#save-plan")
    expect(page.get_by_text("考核规则已锁定").first).to_be_visible()
    page.fill("#plan-correction-reason", "更正计划名称")
    page.fill("#plan-name", "物流管理2026年12月第2次考核（更正）")
    page.click("#save-plan")
    expect(page).to_have_url(re.compile(r"/exam/plans$"))
    expect(page.locator("#plan-table")).to_contain_text("第2次考核（更正）")
