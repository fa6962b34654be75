import io

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader
from sqlalchemy import select

from tests.browser.conftest import screenshot
from tests.factories_scheduling import add_demo_exam_rows
from xcert_app.clock import beijing
from xcert_app.models.scheduling import Arrangement
from xcert_app.services import accounts, catalogue, exam_documents


@pytest.fixture
def exam_rows(demo_db):
    rows = add_demo_exam_rows(demo_db)
    demo_db.commit()
    return rows


def _pdf(download) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(open(download.path(), "rb").read()))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def test_org_schedules_and_school_prints_room_documents(
    login, page: Page, app_url, exam_rows, new_context_page, demo_db, frozen_clock
):
    login("wuliu_org")
    page.goto(f"{app_url}/exam/schedule")
    expect(page.locator("#run-summary")).to_contain_text("尚未排考")
    expect(page.locator("#rooms-empty")).to_contain_text("尚未排考")
    expect(page.get_by_role("button", name="上一页")).to_be_disabled()
    expect(page.get_by_role("button", name="下一页")).to_be_disabled()
    screenshot(page, "scheduling-org-before-run")
    page.fill("#schedule-seed", "2026")
    page.click("#run-schedule")
    expect(page.locator("#run-summary")).to_contain_text("排考完成")
    expect(page.locator("#run-summary")).to_contain_text("随机种子 2026")
    expect(page.locator("#rooms-table")).to_contain_text("107 室")
    screenshot(page, "scheduling-org-run")

    school = new_context_page(accept_downloads=True)
    school.goto(f"{app_url}/login")
    school.fill("#username", "cnu_admin")
    school.fill("#password", "Xcert2026")
    school.click("#login-submit")
    expect(school.locator("#home-greeting")).to_be_visible()
    school.goto(f"{app_url}/exam/schedule")
    expect(school.locator("#rooms-table")).to_contain_text("物流实训室")
    school.locator(".open-room").first.click()
    detail = school.locator("#room-detail")
    expect(detail).to_contain_text("刘洪伟")
    expect(detail).to_contain_text("*****")
    ticket = demo_db.scalars(select(Arrangement.ticket_number)).first()
    assert ticket is not None

    detail.locator("label:has-text('监考')").first.click()
    detail.locator("label:has-text('巡考')").nth(1).click()
    school.click("#save-duties")
    expect(school.locator("#detail-invigilators")).to_contain_text("赵监考")
    screenshot(school, "scheduling-school-room")

    expected_pages = {"tickets": 4, "door": 1, "desk": 1, "sign_in": 1}
    expected_text = {
        "tickets": "考生须知",
        "door": "应考人数",
        "desk": "座位号",
        "sign_in": "考场签到表",
    }
    for kind, pages in expected_pages.items():
        with school.expect_download() as info:
            school.click(f"#download-{kind}")
        count, text = _pdf(info.value)
        assert count == pages, kind
        assert expected_text[kind] in text, kind
        if kind != "door":
            assert "刘洪伟" in text, kind

    from xcert_app.models.candidates import Candidate
    from xcert_app.models.registrations import Registration

    seated = len(demo_db.scalars(select(Arrangement.id)).all())
    undrawable = demo_db.scalars(
        select(Candidate)
        .join(Registration, Registration.candidate_id == Candidate.id)
        .join(Arrangement, Arrangement.registration_id == Registration.id)
        .where(Candidate.name != "刘洪伟")
    ).first()
    undrawable.name = "😀" + undrawable.name
    demo_db.add(undrawable)
    demo_db.commit()
    with page.expect_download() as info:
        page.click("#download-plan")
    assert info.value.suggested_filename.endswith(".pdf")
    count, text = _pdf(info.value)
    tickets = len(
        demo_db.scalars(
            select(Arrangement.id)
            .join(Registration, Registration.id == Arrangement.registration_id)
            .where(Registration.candidate_id != undrawable.id)
        ).all()
    )
    missing = seated - tickets
    expect(page.locator("#job-label")).to_contain_text(f"{missing} 份考生资料未生成")
    expect(page.locator(".batch-problem")).to_have_count(missing)
    expect(page.locator(".batch-problem").first).to_contain_text("😀")
    assert text.count("考生须知") == tickets
    assert tickets < seated
    assert count > tickets
    assert "考场签到表" in text
    assert "刘洪伟" in text

    frozen_clock.set(catalogue.exam_begins_at(demo_db, exam_rows["plan"]))
    login("wuliu_org")  # the 12-hour login expired when the clock jumped
    page.goto(f"{app_url}/exam/schedule")
    expect(page.locator("#schedule-closed")).to_contain_text("已开考")
    expect(page.locator("#run-schedule")).to_be_disabled()


def test_student_downloads_own_ticket_in_window(exam_rows, demo_db, frozen_clock):
    from xcert_app.models.accounts import Account
    from xcert_app.services import scheduling

    org = demo_db.scalars(select(Account).where(Account.username == "wuliu_org")).one()
    scheduling.schedule_plan(
        demo_db,
        actor=accounts.actor_for_account(demo_db, org),
        plan_id=exam_rows["plan"].id,
        seed=1,
    )
    demo_db.commit()
    student = accounts.actor_for_account(demo_db, exam_rows["student"])
    frozen_clock.set(exam_rows["plan"].ticket_start)

    data = exam_documents.ticket_pdf_for_candidate(
        demo_db, actor=student, plan_id=exam_rows["plan"].id
    )

    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 3
    assert "刘洪伟" in reader.pages[0].extract_text()
    assert beijing(2026, 1, 1) < exam_rows["plan"].ticket_start
