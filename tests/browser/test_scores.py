"""Scores end to end: import, publication, correction, lock, results and issuance."""

import io

import pytest
from openpyxl import Workbook
from playwright.sync_api import Page, expect
from sqlmodel import select

from tests.browser.conftest import screenshot
from xcert_app.clock import beijing
from xcert_app.models.accounts import Account, Role
from xcert_app.models.candidates import Candidate
from xcert_app.models.catalogue import ExamPlan, PlanSession, PlanSubject, Subject
from xcert_app.models.issuance import IssuanceRecord
from xcert_app.models.orgs import Organisation
from xcert_app.models.registrations import Registration, RegistrationStatus
from xcert_app.models.scheduling import Arrangement
from xcert_app.models.scores import SubjectScore
from xcert_app.models.sites import ExamSite, Room
from xcert_app.services import accounts, scores

# Demo plan windows, counted from the demo load day 2026-12-04 (Beijing).
IN_SCORE_ENTRY = beijing(2026, 12, 25, 10, 0)
IN_PUBLICATION = beijing(2027, 1, 5, 10, 0)
AFTER_PUBLICATION = beijing(2027, 1, 19, 10, 0)
INTERMEDIATE_CODES = ("043194", "338994", "577975")


@pytest.fixture
def seated_candidates(demo_db):
    """Seat three demo candidates for the three 中级 subjects of the demo plan."""
    session = demo_db
    plan = session.exec(select(ExamPlan).where(ExamPlan.code == "K202005226994")).one()
    school = session.exec(
        select(Organisation).where(Organisation.name == "首都师范大学")
    ).one()
    site = ExamSite(
        school_id=school.id,
        org_id=plan.org_id,
        name="首都师范大学物流管理考核站点",
        address="北京市海淀区西三环北路105号",
        contact_name="张老师",
        contact_mobile="17600086571",
        contact_email="site@cnu.example.cn",
        status="approved",
    )
    session.add(site)
    session.flush()
    room = Room(
        plan_id=plan.id,
        site_id=site.id,
        name="物流机房一",
        mode="机考",
        seats=60,
        address="教学楼301",
    )
    session.add(room)
    session.flush()
    candidates = session.exec(
        select(Candidate).where(Candidate.school_id == school.id).order_by(Candidate.id)
    ).all()[:3]
    tickets: dict[tuple[int, str], str] = {}
    seat = 0
    for candidate in candidates:
        for code in INTERMEDIATE_CODES:
            subject = session.exec(select(Subject).where(Subject.code == code)).one()
            plan_subject = session.exec(
                select(PlanSubject).where(
                    PlanSubject.plan_id == plan.id, PlanSubject.subject_id == subject.id
                )
            ).one()
            registration = Registration(
                plan_id=plan.id,
                plan_subject_id=plan_subject.id,
                subject_id=subject.id,
                certificate_level_id=subject.certificate_level_id,
                candidate_id=candidate.id,
                school_id=school.id,
                status=RegistrationStatus.SCHEDULED,
            )
            session.add(registration)
            session.flush()
            plan_session = session.exec(
                select(PlanSession).where(
                    PlanSession.plan_subject_id == plan_subject.id
                )
            ).first()
            seat += 1
            ticket = f"206000022537004{seat:05d}"
            session.add(
                Arrangement(
                    registration_id=registration.id,
                    plan_id=plan.id,
                    site_id=site.id,
                    room_id=room.id,
                    session_id=plan_session.id,
                    seat_number=seat,
                    ticket_number=ticket,
                )
            )
            tickets[(candidate.id, code)] = ticket
    accounts.create_account(
        session,
        username="student_liu",
        password="Xcert2026",
        role=Role.CANDIDATE,
        organisation_id=None,
        candidate_id=candidates[0].id,
    )
    session.commit()
    return candidates, tickets


def _score_file(candidates, tickets) -> bytes:
    first, second, third = candidates
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["准考证号", "证件号码", "科目编码", "成绩"])
    for code, mark in zip(INTERMEDIATE_CODES, (70, 50, 60), strict=True):
        sheet.append([tickets[(first.id, code)], "", code, mark])
    for code, mark in zip(INTERMEDIATE_CODES, (70, 50, 50), strict=True):
        sheet.append(["", second.id_number, code, mark])
    for code, mark in zip(INTERMEDIATE_CODES, (90, "缺考", 90), strict=True):
        sheet.append([tickets[(third.id, code)], "", code, mark])
    sheet.append([tickets[(first.id, "043194")], "", 43194, 88])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _edit_row(page: Page, name: str, subject_code: str):
    row = page.locator("#score-table tr", has_text=name).filter(has_text=subject_code)
    row.get_by_role("button", name="修改").click()
    expect(page.locator("#edit-score")).to_be_visible()


def test_scores_import_publication_correction_lock_and_results(
    login, page: Page, app_url, demo_db, seated_candidates, frozen_clock, tmp_path
):
    session = demo_db
    candidates, tickets = seated_candidates
    first, second, _third = candidates
    frozen_clock.set(IN_SCORE_ENTRY)

    login("wuliu_org")
    page.goto(f"{app_url}/scores/entry")
    expect(page.locator("#window-text")).to_contain_text("现在可以导入和修改成绩")
    path = tmp_path / "成绩.xlsx"
    path.write_bytes(_score_file(candidates, tickets))
    page.locator("#score-upload input[type=file]").set_input_files(str(path))
    expect(page.locator("#uploaded-name")).to_have_text("成绩.xlsx")
    page.click("#start-import")
    expect(page.locator("#import-counts")).to_contain_text("新录入 9")
    expect(page.locator("#import-counts")).to_contain_text("拒绝 1")
    expect(page.locator("#import-report")).to_contain_text("开头的 0 可能已丢失")
    expect(page.locator("#score-table")).to_contain_text("70.0")
    screenshot(page, "scores-imported")

    page.goto(f"{app_url}/scores/statistics")
    statistics = page.locator("#site-statistics")
    expect(statistics).to_contain_text("首都师范大学物流管理考核站点")
    expect(statistics).to_contain_text("66.3")
    expect(
        page.locator("#score-distribution .recharts-bar-rectangle").first
    ).to_be_visible()
    screenshot(page, "scores-statistics")

    frozen_clock.set(IN_PUBLICATION)
    session.rollback()
    student = session.exec(
        select(Account).where(Account.username == "student_liu")
    ).one()
    visible = scores.scores_for_candidate(
        session, actor=accounts.actor_for_account(session, student)
    )
    assert [row["score"] for row in visible] == ["70.0", "50.0", "60.0"]

    page.context.clear_cookies()
    login("cnu_admin")
    page.goto(f"{app_url}/scores")
    expect(page.locator("#score-counts")).to_contain_text("全部 9")
    expect(page.locator("#score-table")).to_contain_text(second.name)
    expect(page.locator("#score-table")).to_contain_text("缺考")
    screenshot(page, "scores-school-list")

    page.context.clear_cookies()
    login("wuliu_org")
    page.goto(f"{app_url}/scores/entry")
    expect(page.locator("#window-text")).to_contain_text("公示中")
    _edit_row(page, second.name, "577975")
    page.fill("#edit-score", "60")
    page.click("#save-score")
    expect(page.locator("#error-reason")).to_be_visible()
    page.fill("#edit-reason", "考生申请复核，实操第 2 项漏判")
    page.click("#save-score")
    expect(page.locator("#edit-score")).to_be_hidden()
    row = page.locator("#score-table tr", has_text=second.name).filter(
        has_text="577975"
    )
    expect(row).to_contain_text("60.0")

    frozen_clock.set(AFTER_PUBLICATION)
    page.context.clear_cookies()
    login("wuliu_org")
    page.goto(f"{app_url}/scores/entry")
    expect(page.locator("#window-text")).to_contain_text("永久锁定")
    _edit_row(page, first.name, "338994")
    page.fill("#edit-score", "99")
    page.fill("#edit-reason", "公示期后再改")
    page.click("#save-score")
    expect(page.get_by_text("成绩已永久锁定", exact=False).first).to_be_visible()
    session.rollback()
    locked = session.exec(
        select(SubjectScore)
        .join(Registration, Registration.id == SubjectScore.registration_id)
        .join(Subject, Subject.id == Registration.subject_id)
        .where(Registration.candidate_id == first.id, Subject.code == "338994")
    ).one()
    assert locked.score_tenths == 500

    page.goto(f"{app_url}/results")
    table = page.locator("#result-table")
    expect(table).to_contain_text(first.name)
    expect(table).to_contain_text("61.0")
    expect(table).to_contain_text("已锁定")
    expect(page.locator("#result-counts")).to_contain_text("通过 2")
    expect(page.locator("#pass-rates")).to_contain_text("66.7%")
    session.rollback()
    numbers = session.exec(select(IssuanceRecord.certificate_number)).all()
    assert len(numbers) == 2
    for number in numbers:
        assert len(number) == 22
        expect(table).to_contain_text(number)
    screenshot(page, "results-after-lock")
