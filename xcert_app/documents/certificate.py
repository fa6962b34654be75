"""The electronic certificate: an A4 PDF with the holder's details, the school's seal and a
QR code that opens the public verification page for its number."""

import io
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

import segno
from fpdf import FPDF
from PIL import Image

from xcert_app.documents import fonts
from xcert_app.settings import settings

FONT_FAMILY = fonts.MAIN


class MissingGlyph(ValueError):
    """A character of the certificate text is not in the CJK font."""


@dataclass(frozen=True)
class CertificateContent:
    """Everything printed on one certificate."""

    holder_name: str
    id_number_masked: str
    certificate_name: str
    level: str
    certificate_number: str
    organisation_name: str
    school_name: str
    issue_date: str
    photo: bytes | None = None
    seal: bytes | None = None


def check_glyphs(text: str) -> None:
    """Raise ``MissingGlyph`` naming the first character no shipped font can draw."""
    missing = fonts.missing_characters(text)
    if missing:
        raise MissingGlyph(missing[0])


def verification_url(certificate_number: str) -> str:
    """Return the public verification address with the number filled in."""
    base = settings.public_base_url.rstrip("/")
    return f"{base}/verify?{urlencode({'number': certificate_number})}"


def _qr_image(url: str) -> Image.Image:
    """Return the QR code as an 8-bit grey image (kept lossless and easy to read back)."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=8, border=4)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("L")


def _new_document(contents: list["CertificateContent"]) -> FPDF:
    """Start a PDF with Noto Sans SC, and the rare-character font when a text needs it."""
    pdf = FPDF(format="A4", unit="mm")
    fonts.add_font(pdf, fonts.MAIN, fonts.MAIN_FONT)
    if any(fonts.needs_fallback(_printed_text(content)) for content in contents):
        fonts.ensure_fallback(pdf)
        pdf.set_fallback_fonts([fonts.FALLBACK])
    pdf.set_auto_page_break(False)
    pdf.set_creator("xcert")
    return pdf


def _field(pdf: FPDF, label: str, value: str, y: float) -> None:
    pdf.set_xy(30, y)
    pdf.set_font(FONT_FAMILY, size=12)
    pdf.set_text_color(90, 90, 90)
    pdf.cell(32, 9, label)
    pdf.set_text_color(20, 20, 20)
    pdf.set_font(FONT_FAMILY, size=14)
    pdf.cell(120, 9, value)


def _draw_page(pdf: FPDF, content: CertificateContent) -> None:
    pdf.add_page()
    pdf.set_draw_color(176, 141, 60)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, 190, 277)
    pdf.set_line_width(0.3)
    pdf.rect(14, 14, 182, 269)

    pdf.set_text_color(140, 20, 20)
    pdf.set_font(FONT_FAMILY, size=28)
    pdf.set_xy(10, 34)
    pdf.cell(190, 14, "职业技能等级证书", align="C")
    pdf.set_font(FONT_FAMILY, size=11)
    pdf.set_text_color(120, 120, 120)
    pdf.set_xy(10, 50)
    pdf.cell(190, 8, "Vocational Skill Level Certificate", align="C")

    pdf.set_draw_color(160, 160, 160)
    pdf.rect(145, 70, 30, 42)
    if content.photo:
        pdf.image(io.BytesIO(content.photo), x=145, y=70, w=30, h=42)
    else:
        pdf.set_xy(145, 87)
        pdf.set_font(FONT_FAMILY, size=10)
        pdf.cell(30, 8, "照片", align="C")

    rows = [
        ("姓　　名", content.holder_name),
        ("证件号码", content.id_number_masked),
        ("证书名称", content.certificate_name),
        ("证书等级", content.level),
        ("证书编号", content.certificate_number),
        ("发证机构", content.organisation_name),
        ("考核站点", content.school_name),
        ("发证日期", content.issue_date),
    ]
    for index, (label, value) in enumerate(rows):
        _field(pdf, label, value, 122 + index * 12)

    if content.seal:
        pdf.image(io.BytesIO(content.seal), x=120, y=222, w=34, h=34)
    pdf.set_xy(100, 258)
    pdf.set_font(FONT_FAMILY, size=11)
    pdf.set_text_color(20, 20, 20)
    pdf.cell(75, 7, content.school_name, align="C")

    url = verification_url(content.certificate_number)
    pdf.image(_qr_image(url), x=30, y=222, w=34, h=34, link=url)
    pdf.set_xy(22, 257)
    pdf.set_font(FONT_FAMILY, size=9)
    pdf.set_text_color(90, 90, 90)
    pdf.cell(50, 6, "扫码查验证书真伪", align="C")


def _printed_text(content: CertificateContent) -> str:
    return (
        content.holder_name
        + content.certificate_name
        + content.organisation_name
        + content.school_name
    )


def check_content(content: CertificateContent) -> None:
    """Raise ``MissingGlyph`` if any printed text has a character no font draws."""
    check_glyphs(_printed_text(content))


def render_certificate(content: CertificateContent) -> bytes:
    """Return one certificate as PDF bytes; raise ``MissingGlyph`` for undrawable text."""
    check_content(content)
    pdf = _new_document([content])
    _draw_page(pdf, content)
    return bytes(pdf.output())


def render_certificates(
    contents: list[CertificateContent],
    on_page: Callable[[int], None] | None = None,
) -> bytes:
    """Return several certificates as one PDF, a page each.

    ``on_page`` receives the count of pages drawn so far, for a progress bar.
    """
    for content in contents:
        check_content(content)
    pdf = _new_document(contents)
    for index, content in enumerate(contents, start=1):
        _draw_page(pdf, content)
        if on_page:
            on_page(index)
    return bytes(pdf.output())
