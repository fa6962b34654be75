"""The pilot declaration year in the browser: registration to quota, and rejection."""

import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from tests.browser.conftest import screenshot
from tests.factories_declarations import VALID_CREDIT_CODE, base_info_form
from xcert_app.models.accounts import Account
from xcert_app.models.catalogue import Certificate
from xcert_app.models.declarations import Declaration, DeclarationPlan
from xcert_app.models.reference import Major
from xcert_app.models.system import SmsMessage
from xcert_app.services import accounts, declarations, registration

NEW_SCHOOL_CODE = "4111012561"
NEW_SCHOOL_MOBILE = "13911112222"
CAPTCHA = "k7m2p"


@pytest.fixture
def known_captcha(monkeypatch):
    """Draw every captcha with a known answer; the app runs in this process."""
    monkeypatch.setattr(registration, "_captcha_text", lambda: CAPTCHA)


def _sign_in(page: Page, app_url: str, username: str, password: str = "Xcert2026"):
    page.goto(f"{app_url}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-submit")


def _latest_sms(engine, mobile: str, purpose: str) -> str:
    with Session(engine) as session:
        message = session.exec(
            select(SmsMessage)
            .where(SmsMessage.mobile == mobile, SmsMessage.purpose == purpose)
            .order_by(SmsMessage.id.desc())
        ).first()
        return message.body if message else ""


def _choose(page: Page, trigger: str, option: str) -> None:
    page.click(trigger)
    page.get_by_role("option", name=option, exact=True).click()


def _register(page: Page, app_url: str, engine) -> tuple[str, str]:
    page.goto(f"{app_url}/register")
    expect(page.locator("#captcha-image")).to_be_visible()
    page.click("#register")
    expect(page.locator("#captcha-error")).to_have_text(
        "请输入图形验证码，再点击“获取验证码”接收短信验证码"
    )
    expect(page.locator("#province-error")).to_contain_text("请先选择")
    expect(page.locator("#sms_code-error")).to_contain_text("6 位数字")
    screenshot(page, "declarations-register-empty")
    page.click("#send-code")
    expect(page.locator("#province-error")).to_contain_text("请先选择")
    expect(page.locator("#mobile-error")).to_contain_text("11 位")
    expect(page.locator("#captcha-error")).to_contain_text("请输入")
    _choose(page, "#province", "北京市")
    page.fill("#institution-search", "财贸")
    page.click(f"#institution-option-{NEW_SCHOOL_CODE}")
    page.fill("#mobile", "1391111")
    page.fill("#captcha", CAPTCHA)
    page.click("#send-code")
    expect(page.locator("#mobile-error")).to_contain_text("11 位")

    page.fill("#mobile", NEW_SCHOOL_MOBILE)
    page.fill("#captcha", CAPTCHA)
    page.click("#send-code")
    expect(page.locator("#send-code")).to_have_text("重新获取")
    body = _latest_sms(engine, NEW_SCHOOL_MOBILE, "register")
    code = re.search(r"\d{6}", body).group()
    page.fill("#sms-code", code)
    screenshot(page, "declarations-register-form")
    page.click("#register")
    expect(page.locator("#new-username")).to_have_text(NEW_SCHOOL_CODE)
    password = page.locator("#new-password").inner_text()
    assert password in _latest_sms(engine, NEW_SCHOOL_MOBILE, "account")
    screenshot(page, "declarations-register-done")
    return NEW_SCHOOL_CODE, password


def _fill_base_info(page: Page) -> None:
    expect(page.locator("#base-info-needed")).to_be_visible()
    _choose(page, "#school-type", "高职院校")
    page.fill("#credit-code", "91110000802100433A")
    _choose(page, "#city-code", "北京市")
    _choose(page, "#district-code", "朝阳区")
    page.fill("#address", "朝阳区红军营南路 15 号")
    page.fill("#contact-name", "李老师")
    page.fill("#contact-mobile", "13911112222")
    page.fill("#contact-email", "li@example.cn")
    page.click("#save-base-info")
    expect(page.locator("#credit_code-error")).to_contain_text("校验位")
    screenshot(page, "declarations-base-info-error")
    page.fill("#credit-code", VALID_CREDIT_CODE)
    page.click("#save-base-info")


def _decide(page: Page, app_url: str, declaration_id: int, count: str | None = None):
    page.goto(f"{app_url}/review/declarations")
    page.click(f"#approve-{declaration_id}")
    if count is not None:
        page.fill("#approved-count", "5000")
        page.click("#confirm-decision")
        expect(page.locator("#approved_count-error")).to_contain_text("1 到")
        page.fill("#approved-count", count)
    page.click("#confirm-decision")
    expect(page.locator(f"#review-row-{declaration_id}")).to_have_count(0)


def test_new_school_registers_declares_and_gets_quota(
    page: Page, app_url, engine, known_captcha, new_context_page
):
    username, password = _register(page, app_url, engine)

    _sign_in(page, app_url, username, password)
    expect(page.locator("#must-change")).to_be_visible()
    page.fill("#old_password", password)
    page.fill("#password", "CaiMao2026new")
    page.fill("#repeat_password", "CaiMao2026new")
    page.click("#save-password")
    expect(page.locator("#home-greeting")).to_be_visible()

    page.goto(f"{app_url}/school/base-info")
    _fill_base_info(page)
    expect(page).to_have_url(f"{app_url}/school/declarations")

    new_button = page.locator("[id^=new-declaration-]").first
    new_button.click()
    page.fill("#planned-count", "abc")
    page.click("#save-draft")
    expect(page.locator("#planned_count-error")).to_contain_text("1 到 100000 的整数")
    expect(page.locator("#certificate_id-error")).to_be_visible()
    expect(page.locator("#majors-error")).to_contain_text("按专业填报")
    screenshot(page, "declarations-form-errors")

    page.fill("#certificate-search", "物流")
    page.click("[id^=certificate-option-]")
    page.fill("#major-search", "物流")
    page.locator("[id^=major-option-]").first.click()
    page.fill("#planned-count", "120")
    page.fill("#teacher-description", "物流专业专任教师 9 人")
    page.fill("#venue-description", "物流实训室 1 间，机房 60 机位")
    page.set_input_files(
        "#evidence-upload input[type=file]",
        files=[
            {
                "name": "佐证材料.pdf",
                "mimeType": "application/pdf",
                "buffer": b"%PDF-1.4\n%test\n",
            }
        ],
    )
    expect(page.locator("#evidence-name")).to_have_text("佐证材料.pdf")
    page.click("#save-draft")
    expect(page.locator("#count-draft")).to_contain_text("1")

    with Session(engine) as session:
        declaration = session.exec(
            select(Declaration).order_by(Declaration.id.desc())
        ).first()
        declaration_id = declaration.id
        assert declaration.evidence_file_id is not None
    expect(page.locator(f"#status-{declaration_id}")).to_have_text("待提交")

    page.click(f"#edit-{declaration_id}")
    expect(page.locator("#planned-count")).to_have_value("120")
    page.fill("#planned-count", "100")
    page.click("#submit-form")
    page.click("#confirm-submit")
    expect(page.locator(f"#status-{declaration_id}")).to_have_text("待审核（地市）")
    expect(page.locator(f"#edit-{declaration_id}")).to_have_count(0)

    city = new_context_page()
    _sign_in(city, app_url, "bj_city")
    expect(city.locator("#home-greeting")).to_be_visible()
    _decide(city, app_url, declaration_id)

    province = new_context_page()
    _sign_in(province, app_url, "bj_province")
    expect(province.locator("#home-greeting")).to_be_visible()
    _decide(province, app_url, declaration_id, count="80")

    page.reload()
    expect(page.locator(f"#status-{declaration_id}")).to_have_text("审核通过")
    expect(page.locator(f"#approved-{declaration_id}")).to_have_text("80")
    expect(page.locator("#pilot-status")).to_have_text("本年度试点院校")
    expect(page.locator("#quota-card")).to_contain_text("物流管理职业技能等级证书")
    expect(page.locator("#quota-card")).to_contain_text("80")
    screenshot(page, "declarations-approved")
    messages = _latest_sms(engine, NEW_SCHOOL_MOBILE, "declaration")
    assert "批准培训人数 80 人" in messages


@pytest.fixture
def bpi_pending(demo_db) -> int:
    """北京电子科技职业学院 with base info and one declaration waiting for the city."""
    session = demo_db
    head = session.exec(select(Account).where(Account.username == "bpi_head")).one()
    actor = accounts.actor_for_account(session, head)
    declarations.save_base_info(session, actor=actor, form=base_info_form())
    plan = session.exec(select(DeclarationPlan)).first()
    certificate = session.exec(
        select(Certificate).where(Certificate.code == "156000420")
    ).one()
    major_id = session.exec(select(Major.id)).first()
    draft = declarations.save_draft(
        session,
        actor=actor,
        plan_id=plan.id,
        form=declarations.DeclarationForm(
            certificate_id=certificate.id,
            major_ids=[major_id],
            planned_count="60",
            teacher_description="汽车专业教师 6 人",
            venue_description="汽修实训车间 1 个",
        ),
    )
    declarations.submit_declaration(
        session, actor=actor, declaration_id=draft.id, version=draft.version
    )
    session.commit()
    return draft.id


def test_rejected_declaration_is_edited_and_resubmitted(
    page: Page, app_url, bpi_pending, new_context_page
):
    declaration_id = bpi_pending
    city = new_context_page()
    _sign_in(city, app_url, "bj_city")
    expect(city.locator("#home-greeting")).to_be_visible()
    city.goto(f"{app_url}/review/declarations")
    city.click(f"#detail-{declaration_id}")
    expect(city.locator("#declaration-detail")).to_contain_text("场地情况")
    screenshot(city, "review-declaration-detail")
    city.keyboard.press("Escape")
    city.click(f"#reject-{declaration_id}")
    city.click("#confirm-decision")
    expect(city.locator("#reason-error")).to_contain_text("原因")
    city.fill("#reject-reason", "场地描述缺少设备数量")
    city.click("#confirm-decision")
    expect(city.locator(f"#review-row-{declaration_id}")).to_have_count(0)

    _sign_in(page, app_url, "bpi_head")
    expect(page.locator("#home-greeting")).to_be_visible()
    page.goto(f"{app_url}/school/declarations")
    expect(page.locator(f"#status-{declaration_id}")).to_have_text("审核不通过")
    expect(page.locator(f"#declaration-{declaration_id}")).to_contain_text(
        "场地描述缺少设备数量"
    )
    page.click(f"#edit-{declaration_id}")
    page.fill("#venue-description", "汽修实训车间 1 个，举升机 8 台")
    page.click("#save-draft")
    expect(page.locator(f"#status-{declaration_id}")).to_have_text("待提交")
    page.click(f"#submit-{declaration_id}")
    page.click("#confirm-submit")
    expect(page.locator(f"#status-{declaration_id}")).to_have_text("待审核（地市）")
    screenshot(page, "declarations-resubmitted")


@pytest.fixture
def bpi_pending_province(demo_db) -> int:
    """A plan without city review and one bpi declaration waiting for the province."""
    session = demo_db
    province = session.exec(
        select(Account).where(Account.username == "bj_province")
    ).one()
    plan = declarations.create_plan(
        session,
        actor=accounts.actor_for_account(session, province),
        form=declarations.PlanForm(
            batch_name="补报批次",
            year="2026",
            opens_on="2026-12-01",
            closes_on="2026-12-31",
        ),
    )
    head = session.exec(select(Account).where(Account.username == "bpi_head")).one()
    actor = accounts.actor_for_account(session, head)
    declarations.save_base_info(session, actor=actor, form=base_info_form())
    certificate = session.exec(
        select(Certificate).where(Certificate.code == "156000310")
    ).one()
    draft = declarations.save_draft(
        session,
        actor=actor,
        plan_id=plan.id,
        form=declarations.DeclarationForm(
            certificate_id=certificate.id,
            planned_count="45",
            teacher_description="物流教师 4 人",
            venue_description="实训室 1 间",
        ),
    )
    declarations.submit_declaration(
        session, actor=actor, declaration_id=draft.id, version=draft.version
    )
    session.commit()
    return draft.id


def test_province_publishes_plan_and_bulk_approves(
    page: Page, app_url, bpi_pending_province, engine
):
    declaration_id = bpi_pending_province
    _sign_in(page, app_url, "bj_province")
    expect(page.locator("#home-greeting")).to_be_visible()

    page.goto(f"{app_url}/review/plans")
    page.fill("#plan-batch", "")
    page.click("#save-plan")
    expect(page.locator("#batch_name-error")).to_contain_text("请填写申报批次")
    expect(page.locator("#opens_on-error")).to_be_visible()
    page.fill("#plan-batch", "2027年第一次")
    page.fill("#plan-year", "2027")
    page.fill("#plan-opens", "2027-04-01")
    page.fill("#plan-closes", "2027-04-04")
    page.click("#plan-by-major")
    page.click("#save-plan")
    expect(page.locator("#plan-list")).to_contain_text(
        "2027-04-01 00:00 ~ 2027-04-04 23:59"
    )
    screenshot(page, "declarations-plans")
    new_plan = page.locator("#plan-list tr", has_text="2027年第一次")
    new_plan.locator("[id^=close-plan-]").click()
    page.click("#confirm-close-plan")
    expect(new_plan).to_contain_text("已结束")

    page.goto(f"{app_url}/review/declarations")
    page.click(f"#select-{declaration_id}")
    page.click("#bulk-approve")
    expect(page.locator(f"#review-row-{declaration_id}")).to_have_count(0)
    with Session(engine) as session:
        stored = session.get(Declaration, declaration_id)
        assert stored.status == "approved"
        assert stored.approved_count == 45
