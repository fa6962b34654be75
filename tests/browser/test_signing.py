"""Issuance day on a tablet: seal, signatures on both sides, a refusal, the certificate
PDF with seal and QR code, public verification, and the student's personal space."""

import dataclasses
import io
import re
import struct
import zlib
from datetime import timedelta

import pytest
from PIL import Image
from playwright.sync_api import Page, expect
from sqlmodel import select

from tests.browser.conftest import screenshot
from tests.factories_issuance import seal_png
from xcert_app.documents import certificate as certificate_document
from xcert_app.models.candidates import Candidate
from xcert_app.models.catalogue import CertificateLevel, ExamPlan, PlanLevel
from xcert_app.models.issuance import IssuanceRecord
from xcert_app.models.orgs import Organisation
from xcert_app.models.scores import CertificateResult
from xcert_app.models.sites import ExamSite
from xcert_app.models.system import SmsMessage
from xcert_app.services import verification_public

LANDSCAPE = {"width": 1024, "height": 768}
PORTRAIT = {"width": 768, "height": 1024}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def pending_records(demo_db, app_url, monkeypatch, frozen_clock):
    """Three passed candidates of 首都师范大学 with pending issuance records.

    The clock is set just after the demo plan's publication, when its scores are
    locked and certificates may be signed.
    """
    session = demo_db
    monkeypatch.setattr(
        certificate_document,
        "settings",
        dataclasses.replace(certificate_document.settings, public_base_url=app_url),
    )
    verification_public.limiter.reset()

    school = session.exec(
        select(Organisation).where(Organisation.name == "首都师范大学")
    ).one()
    org = session.exec(
        select(Organisation).where(Organisation.name == "北京中物联物流采购培训中心")
    ).one()
    plan = session.exec(select(ExamPlan)).one()
    frozen_clock.set(plan.publication_end + timedelta(minutes=1))
    plan_level = session.exec(
        select(PlanLevel)
        .join(CertificateLevel, CertificateLevel.id == PlanLevel.certificate_level_id)
        .where(CertificateLevel.level == "初级", PlanLevel.plan_id == plan.id)
    ).one()
    site = ExamSite(
        school_id=school.id,
        org_id=org.id,
        name="首都师大物流管理考核站点",
        address="北京市海淀区西三环北路105号",
        contact_name="张老师",
        contact_mobile="17600086571",
        contact_email="xcert-demo@cnu.example.cn",
        status="approved",
    )
    session.add(site)
    session.flush()

    candidates = session.exec(
        select(Candidate).where(Candidate.school_id == school.id).order_by(Candidate.id)
    ).all()[:3]
    records = []
    for index, candidate in enumerate(candidates):
        result = CertificateResult(
            plan_id=plan.id,
            plan_level_id=plan_level.id,
            candidate_id=candidate.id,
            school_id=school.id,
            composite_tenths=800 + index,
            passed=True,
        )
        session.add(result)
        session.flush()
        record = IssuanceRecord(
            result_id=result.id,
            certificate_number=f"15600031015610012000{43 + index}",
            candidate_id=candidate.id,
            school_id=school.id,
            org_id=org.id,
            plan_id=plan.id,
            certificate_level_id=plan_level.certificate_level_id,
            site_id=site.id,
        )
        session.add(record)
        session.flush()
        records.append((record.id, record.certificate_number, candidate))
    session.commit()
    return records


def _tablet(new_context_page, viewport) -> Page:
    return new_context_page(viewport=viewport, has_touch=True, is_mobile=False)


def _log_in(page: Page, app_url: str, username: str) -> None:
    page.goto(f"{app_url}/login")
    page.fill("#username", username)
    page.fill("#password", "Xcert2026")
    page.click("#login-submit")
    expect(page.locator("#home-greeting")).to_be_visible()


def _draw_signature(page: Page) -> None:
    canvas = page.locator("#signature-pad-canvas")
    expect(canvas).to_be_visible()
    box = canvas.bounding_box()
    x, y = box["x"], box["y"]
    page.mouse.move(x + 40, y + 150)
    page.mouse.down()
    for step in range(1, 30):
        page.mouse.move(x + 40 + step * 15, y + 150 - (step % 7) * 15, steps=2)
    page.mouse.up()


def _sign_all_listed(page: Page, count: int) -> None:
    page.click("#select-all")
    expect(page.locator("#sign-selected")).to_contain_text(f"（{count}）")
    page.click("#sign-selected")
    page.click("#signature-next")
    expect(page.locator("#signature-error")).to_contain_text("请先在签名板上手写签名")
    _draw_signature(page)
    page.click("#signature-next")
    expect(page.locator("#irreversible-warning")).to_contain_text("不可撤回")
    expect(page.locator("#signature-preview")).to_be_visible()
    page.click("#confirm-sign")
    expect(page.locator("#no-records")).to_be_visible()


def _qr_url_in(pdf: bytes) -> str:
    return re.search(rb"/URI \((http[^)]+)\)", pdf).group(1).decode()


def test_issuance_day_on_tablet(pending_records, app_url, new_context_page, demo_db):
    (first_id, first_number, first), (second_id, _, _), (third_id, third_number, _) = (
        pending_records
    )

    head = _tablet(new_context_page, LANDSCAPE)
    _log_in(head, app_url, "cnu_head")
    head.goto(f"{app_url}/school/seal")
    expect(head.locator("#no-seal")).to_be_visible()
    head.set_input_files(
        "#seal input[type=file]",
        files=[{"name": "seal.png", "mimeType": "image/png", "buffer": seal_png()}],
    )
    expect(head.locator("#seal-preview")).to_be_visible()
    expect(head.locator("#seal-on-sample")).to_be_visible()
    head.click("#save-seal")
    expect(head.locator("#seal-authorised-error")).to_be_visible()
    head.click("#seal-authorised")
    head.click("#save-seal")
    expect(head.locator("#current-seal")).to_be_visible()
    expect(head.locator("#seal-history")).to_contain_text("当前使用")
    screenshot(head, "seal-tablet")

    head.goto(f"{app_url}/issuance/signing")
    expect(head.locator(f"#record-{third_id}")).to_contain_text(third_number)
    head.click(f"#refuse-{third_id}")
    head.click("#confirm-refuse")
    expect(head.locator("#refuse-error")).to_contain_text("理由")
    head.fill("#refuse-reason", "考生姓名与身份证不一致，请核对")
    head.click("#confirm-refuse")
    expect(head.locator(f"#record-{third_id}")).to_have_count(0)
    expect(head.locator(f"#record-{first_id}")).to_be_visible()
    screenshot(head, "signing-head-landscape")
    _sign_all_listed(head, 2)

    org = _tablet(new_context_page, PORTRAIT)
    _log_in(org, app_url, "wuliu_org")
    org.goto(f"{app_url}/issuance/signing")
    expect(org.locator(f"#record-{second_id}")).to_be_visible()
    expect(org.locator(f"#record-{third_id}")).to_have_count(0)
    org.click("#select-all")
    org.click("#sign-selected")
    _draw_signature(org)
    org.click("#signature-next")
    screenshot(org, "signing-org-portrait-confirm")
    org.click("#confirm-sign")
    expect(org.locator("#no-records")).to_be_visible()

    org.click("#status-filter")
    org.get_by_role("option", name="已签发").click()
    expect(org.locator(f"#record-{first_id}")).to_contain_text("已签发")
    with org.expect_download() as download_info:
        org.click(f"#download-{first_id}")
    pdf = open(download_info.value.path(), "rb").read()
    assert pdf.startswith(b"%PDF")
    assert b"/SMask" in pdf
    url = _qr_url_in(pdf)
    assert url == f"{app_url}/verify?number={first_number}"
    assert _decoded_qr(pdf) == url
    with org.expect_download() as batch_info:
        org.click("#download-batch")
    assert batch_info.value.suggested_filename == "电子证书_2份.pdf"
    batch = open(batch_info.value.path(), "rb").read()
    assert batch.count(b"/verify?number=") == 2

    org.click("#status-filter")
    org.get_by_role("option", name="拒绝签发").click()
    expect(org.locator(f"#record-{third_id}")).to_contain_text("考生姓名与身份证不一致")

    phone = new_context_page(viewport=PHONE, has_touch=True, is_mobile=True)
    phone.goto(url)
    expect(phone.locator("#verify-number")).to_have_value(first_number)
    phone.fill("#verify-id", "110101199003071233")
    phone.click("#verify-submit")
    expect(phone.locator("#verify-message")).to_contain_text("查无此证书")
    phone.fill("#verify-id", first.id_number)
    phone.click("#verify-submit")
    expect(phone.locator("#verify-result")).to_contain_text("证书真实有效")
    expect(phone.locator("#verify-holder_name_masked")).to_have_text(
        first.name[0] + "*" * (len(first.name) - 1)
    )
    screenshot(phone, "verify-phone")

    phone.goto(f"{app_url}/student/login")
    phone.click("#first-login-link")
    phone.fill("#first-id", first.id_number)
    phone.click("#send-code")
    expect(phone.locator("#code-sent")).to_contain_text("138****4567")
    demo_db.expire_all()
    body = demo_db.exec(select(SmsMessage.body).order_by(SmsMessage.id.desc())).first()
    phone.fill("#first-code", re.search(r"\d{6}", body).group())
    phone.fill("#first-password", "Student2026")
    phone.fill("#first-repeat", "Student2026")
    phone.click("#first-submit")
    expect(phone.locator("#student-name")).to_have_text(first.name)
    card = phone.locator(f"#student-certificate-{first_id}")
    expect(card).to_contain_text(first_number)
    with phone.expect_download() as student_download:
        phone.click(f"#student-download-{first_id}")
    assert open(student_download.value.path(), "rb").read().startswith(b"%PDF")
    screenshot(phone, "student-space-phone")


def _decoded_qr(pdf: bytes) -> str:
    """Decode the QR code images of a certificate PDF with OpenCV."""
    cv2 = pytest.importorskip("cv2")
    import numpy
    from PIL import Image

    for match in re.finditer(rb"obj\n<<\n(.*?)\n>>\nstream\n", pdf, re.S):
        header = match.group(1)
        if b"/DeviceGray" not in header or b"/Predictor 15" not in header:
            continue
        width = int(re.search(rb"/Width (\d+)", header).group(1))
        height = int(re.search(rb"/Height (\d+)", header).group(1))
        length = int(re.search(rb"/Length (\d+)", header).group(1))
        # A Flate stream with PNG predictors is a PNG's IDAT data.
        idat = pdf[match.end() : match.end() + length]
        png = _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        png = b"\x89PNG\r\n\x1a\n" + png + _png_chunk(b"IDAT", idat)
        image = Image.open(io.BytesIO(png + _png_chunk(b"IEND", b""))).convert("L")
        # OpenCV 5.1's two detectors each miss some valid codes, so try both.
        for detector in (cv2.QRCodeDetector(), cv2.QRCodeDetectorAruco()):
            text, _points, _ = detector.detectAndDecode(numpy.array(image))
            if text:
                return text
    return ""


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data)
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def test_seal_upload_checks_content_and_white_background(
    app_url, new_context_page, demo_db
):
    head = _tablet(new_context_page, LANDSCAPE)
    _log_in(head, app_url, "cnu_head")
    head.goto(f"{app_url}/school/seal")
    expect(head.locator("#no-seal")).to_be_visible()
    jpeg = io.BytesIO()
    Image.new("RGB", (95, 95), "red").save(jpeg, format="JPEG")
    head.set_input_files(
        "#seal input[type=file]",
        files=[
            {"name": "fake.png", "mimeType": "image/png", "buffer": jpeg.getvalue()}
        ],
    )
    expect(head.locator("#seal-file-error")).to_contain_text("不是 PNG")

    white = seal_png(background=(255, 255, 255, 255), mode="RGB")
    head.set_input_files(
        "#seal input[type=file]",
        files=[{"name": "white.png", "mimeType": "image/png", "buffer": white}],
    )
    expect(head.locator("#white-background")).to_be_visible()
    expect(head.locator("#seal-preview")).to_be_visible()
    head.click("#seal-authorised")
    head.click("#save-seal")
    expect(head.locator("#seal-file-error")).to_contain_text("去除白色底色")
    head.click("#remove-white")
    head.click("#save-seal")
    expect(head.locator("#current-seal")).to_be_visible()
    screenshot(head, "seal-white-background-removed")
