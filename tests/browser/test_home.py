import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot


@pytest.mark.parametrize(
    "username", ["cnu_admin", "bj_province", "wuliu_org", "bpi_head"]
)
def test_home_shows_todo_timeline_and_numbers(login, page: Page, username):
    page.set_viewport_size({"width": 1366, "height": 768})
    login(username)
    expect(page.locator("#todo-list, #todo-empty").first).to_be_visible()
    if username in ("cnu_admin", "wuliu_org"):
        expect(page.locator("#timeline")).to_contain_text("K202005226994")
        expect(page.locator("#timeline")).to_contain_text("当前：报名")
    if username in ("cnu_admin", "bj_province"):
        expect(page.locator("#numbers-table")).to_contain_text(
            "物流管理职业技能等级证书"
        )
    screenshot(page, f"home-dashboard-{username}")


def test_school_todo_links_to_the_page_that_resolves_it(login, page: Page, app_url):
    login("bpi_head")
    item = page.locator("#todo-base_info")
    expect(item).to_contain_text("完善院校基础信息")
    assert item.get_attribute("href").endswith("/school/base-info")


def test_numbers_export_downloads_xlsx(login, page: Page):
    login("cnu_admin")
    with page.expect_download() as download_info:
        page.click("#export-numbers")
    download = download_info.value
    assert download.suggested_filename.startswith("统计_首都师范大学_")
    assert download.suggested_filename.endswith(".xlsx")


def test_confirmation_todo_opens_filtered_candidate_grid(
    demo_db, login, page: Page, app_url
):
    from sqlmodel import select

    from xcert_app.models.candidates import Candidate, VerificationStatus

    waiting = demo_db.exec(select(Candidate).order_by(Candidate.id)).first()
    waiting.verification_status = VerificationStatus.NEEDS_CONFIRMATION
    demo_db.add(waiting)
    demo_db.commit()

    login("cnu_admin")
    page.click("#todo-candidates_confirm")
    expect(page).to_have_url(f"{app_url}/candidates?status=needs_confirmation")
    expect(page.locator("#grid-total")).to_have_text("共 1 人")
    expect(page.locator("#candidate-grid")).to_contain_text(waiting.name)


def test_each_school_todo_link_opens_its_page(demo_db, login, page: Page, app_url):
    from sqlmodel import select

    from tests.factories_todo import register_demo_candidates
    from xcert_app.models.accounts import Account
    from xcert_app.models.candidates import Candidate, VerificationStatus
    from xcert_app.models.declarations import Declaration, DeclarationPlan
    from xcert_app.models.orgs import Organisation
    from xcert_app.services import accounts

    school = demo_db.exec(
        select(Organisation).where(Organisation.institution_code == "4111010028")
    ).one()
    admin = demo_db.exec(select(Account).where(Account.username == "cnu_admin")).one()
    plan = demo_db.exec(select(DeclarationPlan)).one()
    demo_db.add(
        Declaration(
            plan_id=plan.id, school_id=school.id, certificate_id=2, planned_count=30
        )
    )
    waiting = demo_db.exec(select(Candidate).order_by(Candidate.id)).first()
    waiting.verification_status = VerificationStatus.NEEDS_CONFIRMATION
    demo_db.add(waiting)
    register_demo_candidates(demo_db, accounts.actor_for_account(demo_db, admin))
    demo_db.commit()

    expected = {
        "declaration_drafts": "/school/declarations?status=draft",
        "candidates_confirm": "/candidates?status=needs_confirmation",
        "photos_missing": "/candidates",
        "rooms_short_1": "/exam/rooms",
        "unpaid_1": "/payments",
    }
    login("cnu_admin")
    screenshot(page, "home-todo-every-kind")
    for key, path in expected.items():
        page.goto(f"{app_url}/")
        item = page.locator(f"#todo-{key}")
        expect(item).to_be_visible()
        item.click()
        expect(page).to_have_url(f"{app_url}{path}")
        expect(page.locator("#access-denied")).to_have_count(0)
    page.goto(f"{app_url}/school/declarations?status=draft")
    table = page.locator("#declarations-table")
    expect(table).to_contain_text("汽车运用与维修职业技能等级证书")
    expect(table).not_to_contain_text("物流管理职业技能等级证书")
