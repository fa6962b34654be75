"""Exam-day PDFs: admission tickets, door labels, desk labels and sign-in sheets.

All pages are A4 with black text and lines on white, so they print in black and
white, and candidate photos keep their own colours. Every text passes
``fonts.missing_characters`` first: a candidate whose texts contain a character no
shipped font can draw is left out of the document and named in
``Document.problems`` instead of printing an empty box.
"""

import io
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import segno
from fpdf import FPDF

from xcert_app.documents import fonts, jpeg, qr
from xcert_app.gc_pause import collector_paused

logger = logging.getLogger(__name__)

PAGE_WIDTH = 210
PAGE_HEIGHT = 297
MARGIN = 15
RULES = (
    "1. 考生凭本准考证和有效身份证件，于考试开始前 30 分钟到达考场，对号入座。",
    "2. 考试开始 15 分钟后不得入场；考试开始 30 分钟内不得交卷离场。",
    "3. 除规定的文具外，手机等电子设备须关机并交监考老师统一保管。",
    "4. 考生须独立作答，不得交头接耳、抄袭或协助他人作弊。",
    "5. 机考考生不得擅自关机、重启或更改计算机设置，遇故障请举手示意。",
    "6. 考试结束时立即停止作答，待监考老师允许后方可离场。",
    "7. 违反考场规则者，按有关规定处理，取消当次考试成绩。",
)


@dataclass
class TicketItem:
    """One candidate in one room and session, as every document of that room shows it."""

    candidate_name: str
    masked_id: str
    ticket_number: str
    school_name: str
    subject_label: str
    certificate_label: str
    session_label: str
    site_name: str
    room_name: str
    room_address: str
    seat_number: int
    photo: bytes | None = None
    id_number: str = ""

    def texts(self) -> list[tuple[str, str]]:
        """Return (field label, text) pairs that a document may print."""
        return [
            ("姓名", self.candidate_name),
            ("所属院校", self.school_name),
            ("考试科目", self.subject_label),
            ("考试证书", self.certificate_label),
            ("考核站点", self.site_name),
            ("考场", self.room_name),
            ("考场地址", self.room_address),
        ]


@dataclass
class RoomSheet:
    """A room in one session: what the door label and the sign-in sheet head show."""

    plan_name: str
    site_name: str
    room_name: str
    room_address: str
    subject_label: str
    certificate_label: str
    session_label: str
    school_names: str
    invigilators: str = ""
    roving: str = ""
    items: list[TicketItem] = field(default_factory=list)


@dataclass
class Document:
    """A finished PDF with its page count and the candidates left out, with why."""

    data: bytes
    pages: int
    problems: list[str]


def unprintable_problem(item: TicketItem) -> str | None:
    """Return why a candidate's documents cannot be printed, or None."""
    for label, text in item.texts():
        missing = fonts.missing_characters(text)
        if missing:
            return (
                f"考生 {item.candidate_name}（准考证号 {item.ticket_number}）的"
                f"{label}含有字体无法显示的字符 {fonts.describe(missing)}，"
                "未生成该考生的文档；请核对该字段，或联系平台运营补充字体"
            )
    return None


class _Builder:
    """One PDF under construction, shared by every kind of page."""

    def __init__(self) -> None:
        self.pdf: FPDF = fonts.new_pdf()
        self.problems: list[str] = []
        self._reported: set[str] = set()
        self.static_layers: dict[str, bytes] = {}

    def printable(self, items: list[TicketItem]) -> list[TicketItem]:
        kept = []
        for item in items:
            problem = unprintable_problem(item)
            if problem is None:
                kept.append(item)
            elif item.ticket_number not in self._reported:
                self._reported.add(item.ticket_number)
                self.problems.append(problem)
        return kept

    def finish(self) -> Document:
        pages = self.pdf.page
        return Document(bytes(self.pdf.output()), pages, self.problems)


def _qr_rows(text: str) -> list[bytearray]:
    """Return the QR modules of ``text`` (1 = dark) with a 2-module quiet zone."""
    rows = segno.make(text, error="m", micro=False, boost_error=False).matrix
    side = len(rows) + 4
    blank = bytearray(side)
    return (
        [blank, blank]
        + [bytearray(2) + row + bytearray(2) for row in rows]
        + [
            blank,
            blank,
        ]
    )


_MODULE_BITS = bytes.maketrans(b"\x00\x01", b"10")


def _qr_image(text: str) -> tuple[int, bytes]:
    """Return the side and the 1-bit DeviceGray rows of the QR code of ``text``."""
    if text.isascii() and text.isdigit() and len(text) <= qr.MAX_DIGITS:
        return qr.IMAGE_SIDE, qr.packed_image(text)
    rows = _qr_rows(text)
    side = len(rows)
    row_bytes = -(-side // 8)
    padding = row_bytes * 8 - side
    # In a DeviceGray 1-bit image a set bit is white, so dark modules become "0".
    packed = b"".join(
        (
            (int(row.translate(_MODULE_BITS), 2) << padding) | ((1 << padding) - 1)
        ).to_bytes(row_bytes, "big")
        for row in rows
    )
    return side, packed


def _draw_qr(pdf: FPDF, text: str, x: float, y: float, size: float) -> None:
    """Draw the QR code of ``text`` as an inline 1-bit image, ``size`` mm square.

    An inline image lives in the page's content stream, so it costs neither an
    image object nor fpdf2's image pipeline. ``/Interpolate false`` asks viewers
    not to smooth the modules when scaling, and ASCIIHex keeps the data free of
    bytes that could end the image early.
    """
    side, packed = _qr_image(text)
    k = pdf.k
    pdf._out(
        f"q {size * k:.2f} 0 0 {size * k:.2f} {x * k:.2f} {(pdf.h - y - size) * k:.2f} cm "
        f"BI /W {side} /H {side} /BPC 1 /CS /G /I false /F /AHx ID "
        f"{packed.hex()}> EI Q"
    )


def _photo(pdf: FPDF, photo: bytes | None, x: float, y: float, w: float, h: float):
    if photo:
        jpeg.register(pdf, photo)
        pdf.image(io.BytesIO(photo), x=x, y=y, w=w, h=h)
        return
    pdf.rect(x, y, w, h)
    fonts.draw_text(pdf, x + w / 2 - 4, y + h / 2 + 1.5, "照片", 10)


_TOP = 32
_LABEL_WIDTH = 26
_VALUE_WIDTH = 100
_ROW_HEIGHT = 10
_TICKET_LABELS = (
    "姓名",
    "证件号码",
    "准考证号",
    "所属院校",
    "考试证书",
    "考试科目",
    "考试时间",
    "考核站点",
    "考场",
    "考场地址",
)
_PHOTO_X = MARGIN + _LABEL_WIDTH + _VALUE_WIDTH + 8


def _ticket_static(pdf: FPDF, plan_name: str) -> None:
    """Draw what every ticket of the plan shares: title, grid, labels and rules."""
    pdf.set_line_width(0.3)
    fonts.draw_fitted(
        pdf, MARGIN, 24, f"{plan_name} 准考证", width=PAGE_WIDTH - 2 * MARGIN, size=16
    )
    # One frame, one line per row and one column rule draw the same grid as a
    # rectangle per cell with fewer operators on every page.
    grid_height = len(_TICKET_LABELS) * _ROW_HEIGHT
    right = MARGIN + _LABEL_WIDTH + _VALUE_WIDTH
    pdf.rect(MARGIN, _TOP, _LABEL_WIDTH + _VALUE_WIDTH, grid_height)
    pdf.line(MARGIN + _LABEL_WIDTH, _TOP, MARGIN + _LABEL_WIDTH, _TOP + grid_height)
    for index, label in enumerate(_TICKET_LABELS):
        y = _TOP + index * _ROW_HEIGHT
        if index:
            pdf.line(MARGIN, y, right, y)
        fonts.draw_text(pdf, MARGIN + 2, y + 6.5, label, 10)
    fonts.draw_text(pdf, _PHOTO_X, _TOP + 80, "扫码核验准考证号", 8)
    rules_top = _TOP + len(_TICKET_LABELS) * _ROW_HEIGHT + 12
    fonts.draw_text(pdf, MARGIN, rules_top, "考生须知", 12)
    for index, rule in enumerate(RULES):
        fonts.draw_text(pdf, MARGIN, rules_top + 8 + index * 7, rule, 10)
    cut = rules_top + 8 + len(RULES) * 7 + 4
    pdf.dashed_line(MARGIN, cut, PAGE_WIDTH - MARGIN, cut, 2, 2)


def _ticket_page(builder: "_Builder", item: TicketItem, plan_name: str) -> None:
    pdf = builder.pdf
    pdf.add_page()
    # The shared part is drawn once per document and its content-stream operators
    # are copied onto later pages; a plan name needing the rare-character font is
    # drawn every time, because the copy would not register that font on the page.
    layer = builder.static_layers.get(plan_name)
    if layer is not None:
        pdf._out(layer)
    else:
        contents = pdf.pages[pdf.page].contents
        before = len(contents)
        _ticket_static(pdf, plan_name)
        if not fonts.needs_fallback(plan_name):
            builder.static_layers[plan_name] = bytes(contents[before:])
    values = (
        item.candidate_name,
        item.masked_id,
        item.ticket_number,
        item.school_name,
        item.certificate_label,
        item.subject_label,
        item.session_label,
        item.site_name,
        f"{item.room_name}    座位号 {item.seat_number}",
        item.room_address,
    )
    fonts.draw_fitted_many(
        pdf,
        [
            (
                MARGIN + _LABEL_WIDTH + 2,
                _TOP + index * _ROW_HEIGHT + 6.5,
                value,
                _VALUE_WIDTH - 4,
                11,
                6,
            )
            for index, value in enumerate(values)
        ],
    )
    _photo(pdf, item.photo, _PHOTO_X, _TOP, 30, 40)
    _draw_qr(pdf, item.ticket_number, _PHOTO_X, _TOP + 46, 30)


def _door_label_page(pdf: FPDF, room: RoomSheet) -> None:
    pdf.add_page()
    width = PAGE_WIDTH - 2 * MARGIN
    pdf.set_line_width(1)
    pdf.rect(MARGIN, MARGIN, width, PAGE_HEIGHT - 2 * MARGIN)
    fonts.draw_fitted(pdf, MARGIN + 8, 45, room.plan_name, width=width - 16, size=20)
    fonts.draw_fitted(pdf, MARGIN + 8, 90, room.room_name, width=width - 16, size=60)
    numbers = sorted(item.ticket_number for item in room.items)
    lines = [
        ("考核站点", room.site_name),
        ("考场地址", room.room_address),
        ("考试证书", room.certificate_label),
        ("考试科目", room.subject_label),
        ("考试时间", room.session_label),
        ("准考证号", f"{numbers[0]} 至 {numbers[-1]}" if numbers else "（无考生）"),
        ("应考人数", f"{len(room.items)} 人"),
    ]
    for index, (label, value) in enumerate(lines):
        y = 125 + index * 18
        fonts.draw_text(pdf, MARGIN + 8, y, f"{label}：", 16)
        fonts.draw_fitted(pdf, MARGIN + 45, y, value, width=width - 53, size=16)


def _desk_label_pages(pdf: FPDF, items: list[TicketItem]) -> None:
    """Eight labels per page (2 × 4), each 90 × 65 mm, in seat order."""
    width, height = 90, 65
    for index, item in enumerate(sorted(items, key=lambda item: item.seat_number)):
        if index % 8 == 0:
            pdf.add_page()
            pdf.set_line_width(0.3)
        column, row = index % 2, (index % 8) // 2
        x = MARGIN + column * (width + 0)
        y = MARGIN + row * (height + 2)
        pdf.rect(x, y, width, height)
        fonts.draw_text(pdf, x + 4, y + 14, f"{item.seat_number}", 28)
        fonts.draw_text(pdf, x + 4, y + 20, "座位号", 8)
        _photo(pdf, item.photo, x + width - 27, y + 4, 23, 31)
        fonts.draw_fitted(
            pdf, x + 4, y + 44, item.candidate_name, width=width - 8, size=16
        )
        fonts.draw_text(pdf, x + 4, y + 53, f"准考证号 {item.ticket_number}", 10)
        fonts.draw_fitted(
            pdf, x + 4, y + 60, item.subject_label, width=width - 8, size=9
        )


def _sign_in_pages(pdf: FPDF, room: RoomSheet, items: list[TicketItem]) -> None:
    """A table of 10 candidates per page with photo, name, ID, ticket and signature."""
    per_page = 10
    columns = [
        ("座位", 12),
        ("照片", 20),
        ("姓名", 30),
        ("证件号码", 40),
        ("准考证号", 45),
        ("签名", 33),
    ]
    row_height = 22
    ordered = sorted(items, key=lambda item: item.seat_number)
    total_pages = max(1, -(-len(ordered) // per_page))
    for page in range(total_pages):
        pdf.add_page()
        pdf.set_line_width(0.3)
        fonts.draw_fitted(
            pdf,
            MARGIN,
            22,
            f"{room.plan_name} 考场签到表",
            width=PAGE_WIDTH - 2 * MARGIN,
            size=14,
        )
        head = (
            f"{room.site_name}  {room.room_name}  {room.subject_label}  "
            f"{room.session_label}  监考：{room.invigilators or '＿＿＿＿'}"
        )
        fonts.draw_fitted(pdf, MARGIN, 30, head, width=PAGE_WIDTH - 2 * MARGIN, size=9)
        y = 34
        x = MARGIN
        for title, width in columns:
            pdf.rect(x, y, width, 8)
            fonts.draw_text(pdf, x + 2, y + 5.5, title, 9)
            x += width
        y += 8
        for item in ordered[page * per_page : (page + 1) * per_page]:
            x = MARGIN
            for _title, width in columns:
                pdf.rect(x, y, width, row_height)
                x += width
            fonts.draw_text(pdf, MARGIN + 3, y + 13, str(item.seat_number), 10)
            _photo(pdf, item.photo, MARGIN + 12 + 2.5, y + 1.5, 15, 19)
            fonts.draw_fitted(
                pdf, MARGIN + 32 + 1.5, y + 13, item.candidate_name, width=27, size=11
            )
            fonts.draw_text(
                pdf, MARGIN + 62 + 1.5, y + 13, item.id_number or item.masked_id, 8.5
            )
            fonts.draw_text(pdf, MARGIN + 102 + 1.5, y + 13, item.ticket_number, 9)
            y += row_height
        fonts.draw_text(
            pdf,
            MARGIN,
            PAGE_HEIGHT - 12,
            f"应考 {len(ordered)} 人    实考＿＿人    缺考＿＿人    "
            f"第 {page + 1}/{total_pages} 页",
            9,
        )


def render_tickets(
    items: list[TicketItem],
    *,
    plan_name: str,
    progress: Callable[[int, int], None] | None = None,
) -> Document:
    """Render one admission ticket page per printable candidate.

    ``progress(done, total)`` is called every 100 pages and at the end.
    """
    started = time.perf_counter()
    with collector_paused():
        builder = _Builder()
        printable = builder.printable(items)
        for index, item in enumerate(printable, start=1):
            _ticket_page(builder, item, plan_name)
            if progress and (index % 100 == 0 or index == len(printable)):
                progress(index, len(printable))
        document = builder.finish()
    logger.info(
        "admission tickets: %s pages, %s left out, %.2fs",
        document.pages,
        len(document.problems),
        time.perf_counter() - started,
    )
    return document


def render_room(room: RoomSheet, kinds: tuple[str, ...]) -> Document:
    """Render the chosen kinds (door, desk, sign_in, tickets) for one room."""
    return render_rooms([room], kinds)


def render_rooms(
    rooms: list[RoomSheet],
    kinds: tuple[str, ...],
    *,
    progress: Callable[[int, int], None] | None = None,
) -> Document:
    """Render the chosen kinds for several rooms into one PDF, room after room.

    ``progress(done, total)`` is called after each room.
    """
    started = time.perf_counter()
    with collector_paused():
        document = _render_rooms(rooms, kinds, progress)
    logger.info(
        "room documents %s for %s rooms: %s pages, %s left out, %.2fs",
        ",".join(kinds),
        len(rooms),
        document.pages,
        len(document.problems),
        time.perf_counter() - started,
    )
    return document


def _render_rooms(
    rooms: list[RoomSheet],
    kinds: tuple[str, ...],
    progress: Callable[[int, int], None] | None,
) -> Document:
    builder = _Builder()
    for index, room in enumerate(rooms, start=1):
        if progress:
            progress(index - 1, len(rooms))
        items = builder.printable(room.items)
        if "door" in kinds:
            _door_label_page(builder.pdf, room)
        if "sign_in" in kinds:
            _sign_in_pages(builder.pdf, room, items)
        if "desk" in kinds and items:
            _desk_label_pages(builder.pdf, items)
        if "tickets" in kinds:
            for item in items:
                _ticket_page(builder, item, room.plan_name)
    if builder.pdf.page == 0:
        builder.pdf.add_page()
        fonts.draw_text(builder.pdf, MARGIN, 30, "没有可打印的考生", 14)
    return builder.finish()
