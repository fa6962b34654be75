import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from tests.browser.conftest import screenshot
from tests.factories_todo import (
    approved_demo_site,
    give_photo,
    pending_issuance,
    register_demo_candidates,
    seat,
)
from xcert_app.models.accounts import Account
from xcert_app.models.candidates import Candidate, VerificationStatus
from xcert_app.models.catalogue import ExamPlan
from xcert_app.models.declarations import (
    Declaration,
    DeclarationPlan,
    DeclarationStatus,
)
from xcert_app.models.orgs import Organisation
from xcert_app.models.registrations import PaymentOrder
from xcert_app.models.sites import SiteStatus
from xcert_app.services import accounts

SOLID = re.compile(r"rt-variant-solid")


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
        expect(page.locator("#timeline")).to_contain_text("2026年度时间线")
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


def _actor(session, username):
    account = session.exec(select(Account).where(Account.username == username)).one()
    return accounts.actor_for_account(session, account)


def _follow(page: Page, app_url: str, key: str, path: str) -> None:
    """Open the home page, click the to-do item ``key`` and land on ``path``."""
    page.goto(f"{app_url}/")
    item = page.locator(f"#todo-{key}")
    expect(item).to_be_visible()
    assert item.get_attribute("href") == path
    item.click()
    expect(page).to_have_url(f"{app_url}{path}")
    expect(page.locator("#access-denied")).to_have_count(0)


def _rows(page: Page, table: str):
    return page.locator(f"#{table} tbody tr")


@pytest.fixture
def school_with_every_item(demo_db):
    """cnu_head's school with one to-do item of each kind, during registration."""
    head = _actor(demo_db, "cnu_head")
    plan = demo_db.exec(select(DeclarationPlan)).one()
    demo_db.add(
        Declaration(
            plan_id=plan.id,
            school_id=head.organisation_id,
            certificate_id=2,
            planned_count=30,
        )
    )
    candidates = demo_db.exec(
        select(Candidate)
        .where(Candidate.school_id == head.organisation_id)
        .order_by(Candidate.id)
    ).all()
    candidates[0].verification_status = VerificationStatus.NEEDS_CONFIRMATION
    demo_db.add(candidates[0])
    give_photo(demo_db, candidates[1])
    registrations = register_demo_candidates(demo_db, head)
    site, room = approved_demo_site(demo_db, head, seats=1)
    seat(demo_db, registrations[0], site, room)
    pending_issuance(demo_db, registrations[0], "1560003101561001200045")
    demo_db.commit()
    return {
        "plan": demo_db.get(ExamPlan, registrations[0].plan_id),
        "candidates": candidates,
        "room": room,
    }


def test_school_follows_each_todo_link(
    school_with_every_item, login, page: Page, app_url
):
    plan = school_with_every_item["plan"]
    candidates = school_with_every_item["candidates"]
    login("cnu_head")
    expect(page.locator("#todo-list a")).to_have_count(7)
    expect(page.locator(f"#todo-rooms_short_{plan.id}")).to_contain_text("机考缺")
    screenshot(page, "home-todo-school-every-kind")

    _follow(page, app_url, "declaration_drafts", "/school/declarations?status=draft")
    expect(page.locator("#count-draft")).to_have_class(SOLID)
    table = page.locator("#declarations-table")
    expect(table).to_contain_text("汽车运用与维修职业技能等级证书")
    expect(table).not_to_contain_text("物流管理职业技能等级证书")

    _follow(
        page, app_url, "candidates_confirm", "/candidates?status=needs_confirmation"
    )
    expect(page.locator("#filter-status")).to_have_text("待人工确认")
    expect(page.locator("#filter-photo")).to_have_text("全部照片")
    expect(page.locator("#grid-total")).to_have_text("共 1 人")
    expect(page.locator("#candidate-grid")).to_contain_text(candidates[0].name)

    _follow(page, app_url, "photos_missing", "/candidates?missing=photo")
    expect(page.locator("#filter-photo")).to_have_text("缺少照片")
    expect(page.locator("#filter-status")).to_have_text("全部认证状态")
    expect(page.locator("#grid-total")).to_have_text("共 3 人")
    grid = page.locator("#candidate-grid")
    expect(grid).to_contain_text(candidates[0].name)
    expect(grid).not_to_contain_text(candidates[1].name)

    _follow(page, app_url, f"rooms_short_{plan.id}", f"/exam/rooms?plan={plan.code}")
    expect(page.locator("#room-plan")).to_have_value(str(plan.id))
    expect(page.locator("body")).to_contain_text("107 室")
    screenshot(page, "rooms-from-todo")

    _follow(
        page,
        app_url,
        f"unpaid_{plan.id}",
        f"/registrations?plan={plan.code}&status=registered",
    )
    expect(page.locator("#plan-select")).to_contain_text(plan.code)
    expect(page.locator("#status-select")).to_have_text("已报考")
    expect(page.locator("#registration-total")).to_have_text("共 4 条")

    _follow(
        page,
        app_url,
        f"invigilators_{plan.id}",
        f"/exam/schedule?plan={plan.code}&duty=missing",
    )
    expect(page.locator("#plan-select")).to_contain_text(plan.code)
    expect(page.locator("#filter-without-invigilator")).to_have_attribute(
        "data-state", "checked"
    )
    expect(_rows(page, "rooms-table")).to_have_count(1)
    expect(_rows(page, "rooms-table")).to_contain_text("107 室")

    _follow(page, app_url, "school_signing", "/issuance/signing?status=to_sign")
    expect(page.locator("#status-filter")).to_have_text("待我签发")
    expect(page.locator("body")).to_contain_text("1560003101561001200045")


def test_org_follows_each_todo_link(
    demo_db, login, page: Page, app_url, frozen_clock, new_context_page
):
    org = _actor(demo_db, "wuliu_org")
    head = _actor(demo_db, "cnu_head")
    site, room = approved_demo_site(demo_db, head, seats=4)
    site.status = SiteStatus.PENDING
    demo_db.add(site)
    plan = demo_db.exec(select(ExamPlan)).one()
    demo_db.add(
        PaymentOrder(
            number="JF20261204000001",
            school_id=head.organisation_id,
            org_id=org.organisation_id,
            plan_id=plan.id,
            basis="subject",
        )
    )
    registrations = register_demo_candidates(demo_db, head)
    pending_issuance(demo_db, registrations[0], "1560003101561001200045")
    demo_db.commit()

    frozen_clock.set(plan.registration_end + timedelta(seconds=1))
    login("wuliu_org")
    expect(page.locator("#todo-list a")).to_have_count(4)
    screenshot(page, "home-todo-org-after-registration")

    _follow(page, app_url, "site_review", "/exam/site-review?status=pending")
    expect(page.locator("#site-status-filter")).to_have_value("pending")
    expect(_rows(page, "review-table")).to_have_count(1)
    expect(_rows(page, "review-table")).to_contain_text(site.name)

    _follow(page, app_url, "order_review", "/org/payments?status=pending")
    expect(page.locator("#order-status-filter")).to_have_text("待确认")
    expect(_rows(page, "order-table")).to_have_count(1)
    expect(_rows(page, "order-table")).to_contain_text("JF20261204000001")

    _follow(page, app_url, f"schedule_{plan.id}", f"/exam/schedule?plan={plan.code}")
    expect(page.locator("#plan-select")).to_contain_text(plan.code)
    expect(page.locator("#filter-without-invigilator")).to_have_attribute(
        "data-state", "unchecked"
    )

    _follow(page, app_url, "org_signing", "/issuance/signing?status=to_sign")
    expect(page.locator("#status-filter")).to_have_text("待我签发")
    expect(page.locator("body")).to_contain_text("1560003101561001200045")

    for number, registration in enumerate(registrations, start=1):
        seat(demo_db, registration, site, room, seat_number=number)
    demo_db.commit()
    frozen_clock.set(plan.score_entry_start + timedelta(hours=1))
    login("wuliu_org")  # the 12-hour login expired when the clock jumped
    _follow(
        page,
        app_url,
        f"scores_{plan.id}",
        f"/scores/entry?plan={plan.code}&status=missing",
    )
    expect(page.locator("#plan-select")).to_contain_text(plan.code)
    expect(page.locator("#window-text")).to_contain_text("现在可以导入和修改成绩")
    expect(page.locator("#status-select")).to_have_text("未录入")
    expect(_rows(page, "score-table")).to_have_count(4)
    expect(page.locator("#score-table")).to_contain_text("未录入")
    expect(page.locator("#score-table")).not_to_contain_text("已录入")

    frozen_clock.set(plan.publication_start + timedelta(minutes=1))
    login("wuliu_org")
    page.goto(f"{app_url}/notifications")
    notices = page.locator("#notification-list")
    title = f"成绩已发布：{plan.name}（{plan.code}）"
    expect(notices).to_contain_text(title)
    screenshot(page, "notifications-publication-org")
    notices.get_by_text(title).click()
    expect(page).to_have_url(f"{app_url}/scores/entry?plan={plan.code}")
    expect(page.locator("#plan-select")).to_contain_text(plan.code)

    school = new_context_page()
    school.goto(f"{app_url}/login")
    school.fill("#username", "cnu_head")
    school.fill("#password", "Xcert2026")
    school.click("#login-submit")
    expect(school.locator("#home-greeting")).to_be_visible()
    school.goto(f"{app_url}/notifications")
    school.locator("#notification-list").get_by_text(title).click()
    expect(school).to_have_url(f"{app_url}/scores?plan={plan.code}")
    expect(school.locator("#plan-select")).to_contain_text(plan.code)
    expect(_rows(school, "score-table")).to_have_count(4)


def test_reviewer_follows_todo_link_oldest_first(
    demo_db, login, page: Page, app_url, frozen_clock
):
    plan = demo_db.exec(select(DeclarationPlan)).one()
    schools = demo_db.exec(
        select(Organisation).where(
            Organisation.institution_code.in_(["4111010028", "4111010858"])
        )
    ).all()
    by_code = {school.institution_code: school for school in schools}
    newer = Declaration(
        plan_id=plan.id,
        school_id=by_code["4111010028"].id,
        certificate_id=2,
        planned_count=10,
        status=DeclarationStatus.PENDING_CITY,
        submitted_at=frozen_clock.now() - timedelta(days=1),
    )
    older = Declaration(
        plan_id=plan.id,
        school_id=by_code["4111010858"].id,
        certificate_id=2,
        planned_count=10,
        status=DeclarationStatus.PENDING_CITY,
        submitted_at=frozen_clock.now() - timedelta(days=3),
    )
    demo_db.add_all([newer, older])
    demo_db.commit()

    login("bj_city")
    screenshot(page, "home-todo-reviewer")
    page.goto(f"{app_url}/review/declarations")
    page.click("#review-filter-all")
    expect(page.locator("#review-filter-all")).to_have_class(SOLID)
    _follow(page, app_url, "review", "/review/declarations?group=todo")
    expect(page.locator("#review-filter-todo")).to_have_class(SOLID)
    rows = page.locator("[id^=review-row-]")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text(by_code["4111010858"].name)
    expect(rows.nth(1)).to_contain_text(by_code["4111010028"].name)


def test_unknown_link_values_open_default_view(demo_db, login, page: Page, app_url):
    approved_demo_site(demo_db, _actor(demo_db, "cnu_admin"), seats=4)
    plan = demo_db.exec(select(ExamPlan)).one()
    demo_db.commit()
    login("cnu_admin")
    page.goto(f"{app_url}/candidates?status=bogus&missing=everything")
    expect(page.locator("#filter-status")).to_have_text("全部认证状态")
    expect(page.locator("#filter-photo")).to_have_text("全部照片")
    expect(page.locator("#grid-total")).to_have_text("共 4 人")
    page.goto(f"{app_url}/exam/rooms?plan=K000000000000")
    expect(page.locator("#room-plan")).to_have_value(str(plan.id))
    expect(page.locator("#access-denied")).to_have_count(0)
    page.goto(f"{app_url}/registrations?plan=K000000000000&status=lost")
    expect(page.locator("#plan-select")).to_contain_text(plan.code)
    expect(page.locator("#status-select")).to_have_text("全部状态")
