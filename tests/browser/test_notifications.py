from playwright.sync_api import Page, expect
from sqlmodel import select

from tests.browser.conftest import screenshot
from xcert_app.models.orgs import Organisation
from xcert_app.services.notifications import notify


def test_unread_notification_shows_on_bell_and_clears(
    demo_db, login, page: Page, app_url
):
    school = demo_db.exec(
        select(Organisation).where(Organisation.institution_code == "4111010028")
    ).one()
    notify(
        demo_db,
        organisation_id=school.id,
        title="证书试点申报审核通过",
        body="物流管理职业技能等级证书 批准 150 人",
        link="/",
    )
    demo_db.commit()

    login("cnu_admin")
    expect(page.locator("#unread-count")).to_have_text("1")
    page.click("#notifications-link")
    expect(page.locator("#notification-list")).to_contain_text("证书试点申报审核通过")
    screenshot(page, "notifications")
    page.click("#mark-all-read")
    expect(page.locator("#notification-list")).to_contain_text("已读")
    expect(page.locator("#unread-count")).to_have_count(0)
