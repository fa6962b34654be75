import io
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
import segno
from pypdf import PdfReader
from sqlalchemy import select

from tests.factories import actor_of, make_account, make_actor
from tests.factories_scheduling import (
    lend_site,
    make_candidates,
    make_plan,
    make_room,
    make_school,
    make_site,
    register,
)
from xcert_app.clock import beijing
from xcert_app.documents import fonts, qr, tickets
from xcert_app.models.accounts import Role, StaffMember
from xcert_app.models.scheduling import Arrangement
from xcert_app.services import exam_documents, exam_views, scheduling
from xcert_app.services.errors import AccessDenied, NotFound, ServiceError

CASES = Path(__file__).resolve().parents[3] / "shared" / "cases" / "documents"
RARE_NAMES_FILE = Path("/work/shared/cases/documents/n01-rare-character-name.xlsx")


def _text(data: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(data))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def _rare_names() -> list[str]:
    path = CASES / RARE_NAMES_FILE.name
    if not path.exists():
        path = RARE_NAMES_FILE
    sheet = openpyxl.load_workbook(path).active
    return [row[0] for row in sheet.iter_rows(min_row=2, values_only=True) if row[0]]


@pytest.fixture
def scheduled(session):
    setup = make_plan(session)
    school = make_school(session, "首都师范大学")
    site = make_site(session, setup, school)
    room = make_room(session, setup, site, seats=30, name="107 室")
    names = ["张三", "李四", "王五", "欧阳娜娜娜娜娜娜娜娜娜娜娜娜娜娜"]
    register(
        session,
        setup,
        school,
        make_candidates(session, school, 4, names=names),
        "基础考核",
    )
    scheduling.schedule_plan(
        session, actor=setup.org_actor, plan_id=setup.plan.id, seed=11
    )
    admin = make_actor(session, role=Role.SCHOOL_ADMIN, organisation=school)
    sitting = setup.sessions["基础考核"][0]
    return setup, school, site, room, sitting, admin


def test_room_tickets_have_one_page_per_candidate(session, scheduled):
    setup, _school, _site, room, sitting, admin = scheduled

    name, document = exam_documents.room_documents(
        session,
        actor=admin,
        plan_id=setup.plan.id,
        room_id=room.id,
        session_id=sitting.id,
        kind="tickets",
    )

    pages, text = _text(document.data)
    assert pages == 4
    assert name.endswith("准考证.pdf")
    for person in ("张三", "李四", "王五"):
        assert person in text
    tickets_numbers = session.scalars(select(Arrangement.ticket_number)).all()
    for number in tickets_numbers:
        assert number in text
    assert "考生须知" in text
    assert "110101*****" in text
    assert "107 室" in text


def test_door_label_shows_room_and_ticket_range(session, scheduled):
    setup, _school, _site, room, sitting, admin = scheduled

    _name, document = exam_documents.room_documents(
        session,
        actor=admin,
        plan_id=setup.plan.id,
        room_id=room.id,
        session_id=sitting.id,
        kind="door",
    )

    pages, text = _text(document.data)
    numbers = sorted(session.scalars(select(Arrangement.ticket_number)).all())
    assert pages == 1
    assert "107 室" in text
    assert numbers[0] in text
    assert numbers[-1] in text
    assert "4 人" in text


def test_desk_labels_and_sign_in_sheet(session, scheduled):
    setup, _school, _site, room, sitting, admin = scheduled

    _n, desk = exam_documents.room_documents(
        session,
        actor=admin,
        plan_id=setup.plan.id,
        room_id=room.id,
        session_id=sitting.id,
        kind="desk",
    )
    _n, sign_in = exam_documents.room_documents(
        session,
        actor=admin,
        plan_id=setup.plan.id,
        room_id=room.id,
        session_id=sitting.id,
        kind="sign_in",
    )

    desk_pages, desk_text = _text(desk.data)
    sign_pages, sign_text = _text(sign_in.data)
    assert desk_pages == 1
    assert "座位号" in desk_text
    assert "张三" in desk_text
    assert sign_pages == 1
    assert "签名" in sign_text
    assert "考场签到表" in sign_text
    assert "应考 4 人" in sign_text


def test_site_bundle_holds_every_kind(session, scheduled):
    setup, _school, site, _room, _sitting, admin = scheduled

    _name, document = exam_documents.batch_documents(
        session, actor=admin, plan_id=setup.plan.id, site_id=site.id
    )

    pages, text = _text(document.data)
    assert pages == 1 + 1 + 1 + 4
    assert "考场签到表" in text
    assert "考生须知" in text


def test_long_name_shrinks_and_stays_whole(session, scheduled):
    setup, _school, _site, room, sitting, admin = scheduled

    _name, document = exam_documents.room_documents(
        session,
        actor=admin,
        plan_id=setup.plan.id,
        room_id=room.id,
        session_id=sitting.id,
        kind="desk",
    )

    _pages, text = _text(document.data)
    assert "欧阳娜娜娜娜娜娜娜娜娜娜娜娜娜娜" in text.replace("\n", "")


def test_fit_size_shrinks_long_text():
    pdf = fonts.new_pdf()
    short = fonts.fit_size(pdf, "张三", 40, 16, 6)
    long = fonts.fit_size(pdf, "欧阳娜娜娜娜娜娜娜娜娜娜", 40, 16, 6)
    assert short == 16
    assert long < 16
    assert fonts.text_width(pdf, "欧阳娜娜娜娜娜娜娜娜娜娜", long) <= 40


def test_rare_character_names_print_with_fallback_font(session):
    names = _rare_names()
    assert [hex(ord(name[-1])) for name in names] == ["0x21243", "0x20bb7"]
    setup = make_plan(session)
    school = make_school(session)
    site = make_site(session, setup, school)
    room = make_room(session, setup, site, seats=5)
    register(
        session,
        setup,
        school,
        make_candidates(session, school, 2, names=names),
        "基础考核",
    )
    scheduling.schedule_plan(session, actor=setup.org_actor, plan_id=setup.plan.id)

    for kind in ("tickets", "desk", "sign_in"):
        _n, document = exam_documents.room_documents(
            session,
            actor=setup.org_actor,
            plan_id=setup.plan.id,
            room_id=room.id,
            session_id=setup.sessions["基础考核"][0].id,
            kind=kind,
        )
        _pages, text = _text(document.data)
        assert document.problems == []
        assert "\U00021243" in text
        assert "\U00020bb7" in text
    fonts_used = {
        font["/BaseFont"]
        for page in PdfReader(io.BytesIO(document.data)).pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert any("BabelStone" in str(name) for name in fonts_used)


def test_character_no_font_has_stops_that_candidate_only():
    unknown = "\U0002ebf0"  # CJK Extension I (Unicode 15.1), absent from both fonts
    assert fonts.missing_characters(f"王{unknown}") == [unknown]
    items = [
        tickets.TicketItem(
            candidate_name=name,
            masked_id="110101*****1233",
            ticket_number=number,
            school_name="测试学院",
            subject_label="000001 基础考核（机考）",
            certificate_label="物流管理 初级",
            session_label="2026-12-22 09:00~11:00",
            site_name="测试站点",
            room_name="1号机房",
            room_address="测试路1号",
            seat_number=seat,
        )
        for seat, (name, number) in enumerate(
            [
                ("张三", "26000010000010001001"),
                (f"王{unknown}", "26000010000010001002"),
            ],
            start=1,
        )
    ]

    document = tickets.render_tickets(items, plan_name="测试计划")

    pages, text = _text(document.data)
    assert pages == 1
    assert "张三" in text
    assert len(document.problems) == 1
    assert "U+2EBF0" in document.problems[0]
    assert "26000010000010001002" in document.problems[0]


def test_borrowing_school_sees_only_own_candidates(session):
    setup = make_plan(session)
    host = make_school(session, "主办学院")
    guest = make_school(session, "借考学院")
    site = make_site(session, setup, host)
    room = make_room(session, setup, site, seats=10)
    lend_site(session, setup, guest, site)
    register(session, setup, host, make_candidates(session, host, 3), "基础考核")
    register(session, setup, guest, make_candidates(session, guest, 2), "基础考核")
    scheduling.schedule_plan(session, actor=setup.org_actor, plan_id=setup.plan.id)
    guest_admin = make_actor(session, role=Role.SCHOOL_ADMIN, organisation=guest)
    host_admin = make_actor(session, role=Role.SCHOOL_ADMIN, organisation=host)
    sitting = setup.sessions["基础考核"][0]

    guest_view = exam_views.room_detail(
        session,
        actor=guest_admin,
        plan_id=setup.plan.id,
        room_id=room.id,
        session_id=sitting.id,
    )
    host_view = exam_views.room_detail(
        session,
        actor=host_admin,
        plan_id=setup.plan.id,
        room_id=room.id,
        session_id=sitting.id,
    )
    _n, guest_pdf = exam_documents.room_documents(
        session,
        actor=guest_admin,
        plan_id=setup.plan.id,
        room_id=room.id,
        session_id=sitting.id,
        kind="tickets",
    )

    assert {row["school"] for row in guest_view.rows} == {"借考学院"}
    assert len(host_view.rows) == 5
    assert all("*****" in row["masked_id"] for row in host_view.rows)
    assert _text(guest_pdf.data)[0] == 2
    assert guest_view.header["can_assign"] is False
    assert host_view.header["can_assign"] is True


def test_views_by_site_and_room(session, scheduled):
    setup, _school, site, room, sitting, admin = scheduled

    sites = exam_views.sites_view(session, actor=setup.org_actor, plan_id=setup.plan.id)
    rooms, total = exam_views.rooms_view(session, actor=admin, plan_id=setup.plan.id)

    assert sites == [
        {
            "site_id": site.id,
            "site": site.name,
            "address": site.address,
            "school": "首都师范大学",
            "rooms": 1,
            "candidates": 4,
        }
    ]
    assert total == 1
    assert rooms[0]["room"] == "107 室"
    assert rooms[0]["expected"] == 4
    assert rooms[0]["session"] == "2026-12-22 09:00~11:00"
    assert rooms[0]["can_assign"] is True


def test_host_school_assigns_invigilators_from_roster(session, scheduled):
    setup, school, _site, room, sitting, admin = scheduled
    staff = [
        StaffMember(organisation_id=school.id, name=n) for n in ("赵老师", "钱老师")
    ]
    session.add_all(staff)
    session.flush()

    exam_views.assign_duties(
        session,
        actor=admin,
        room_id=room.id,
        session_id=sitting.id,
        invigilator_ids=[staff[0].id],
        roving_ids=[staff[1].id],
    )

    rooms, _total = exam_views.rooms_view(session, actor=admin, plan_id=setup.plan.id)
    assert rooms[0]["invigilators"] == "赵老师"
    assert rooms[0]["roving"] == "钱老师"


def test_other_school_staff_cannot_be_assigned(session, scheduled):
    _setup, _school, _site, room, sitting, admin = scheduled
    other = make_school(session)
    stranger = StaffMember(organisation_id=other.id, name="孙老师")
    session.add(stranger)
    session.flush()

    with pytest.raises(ServiceError):
        exam_views.assign_duties(
            session,
            actor=admin,
            room_id=room.id,
            session_id=sitting.id,
            invigilator_ids=[stranger.id],
            roving_ids=[],
        )


def test_candidate_downloads_own_ticket_inside_window(session, scheduled, frozen_clock):
    setup, school, _site, _room, _sitting, _admin = scheduled
    arrangement = session.scalars(select(Arrangement).order_by(Arrangement.id)).first()
    from xcert_app.models.registrations import Registration

    candidate_id = session.get(Registration, arrangement.registration_id).candidate_id
    account = make_account(session, role=Role.CANDIDATE, candidate_id=candidate_id)
    actor = actor_of(session, account)

    frozen_clock.set(beijing(2026, 12, 16, 9, 0))
    data = exam_documents.ticket_pdf_for_candidate(
        session, actor=actor, plan_id=setup.plan.id
    )

    pages, text = _text(data)
    assert pages == 1
    assert arrangement.ticket_number in text


def test_candidate_ticket_refused_outside_window(session, scheduled):
    setup, _school, _site, _room, _sitting, _admin = scheduled
    arrangement = session.scalars(select(Arrangement)).first()
    from xcert_app.models.registrations import Registration

    candidate_id = session.get(Registration, arrangement.registration_id).candidate_id
    account = make_account(session, role=Role.CANDIDATE, candidate_id=candidate_id)

    with pytest.raises(ServiceError, match="准考证打印时间"):
        exam_documents.ticket_pdf_for_candidate(
            session, actor=actor_of(session, account), plan_id=setup.plan.id
        )


def test_school_admin_cannot_use_candidate_download(session, scheduled):
    setup, _school, _site, _room, _sitting, admin = scheduled

    with pytest.raises(AccessDenied):
        exam_documents.ticket_pdf_for_candidate(
            session, actor=admin, plan_id=setup.plan.id
        )


def test_school_lists_plans_before_scheduling(session):
    setup = make_plan(session)
    other = make_plan(session)
    registering = make_school(session, "报名学院")
    hosting = make_school(session, "考点学院")
    outsider = make_school(session, "无关学院")
    make_room(session, setup, make_site(session, setup, hosting), seats=10)
    register(
        session,
        setup,
        registering,
        make_candidates(session, registering, 2),
        "基础考核",
        paid=False,
    )
    plan_ids = {setup.plan.id, other.plan.id}

    def listed(school):
        actor = make_actor(session, role=Role.SCHOOL_ADMIN, organisation=school)
        plans = exam_views.visible_plans(session, actor=actor)
        return [plan["id"] for plan in plans if plan["id"] in plan_ids]

    assert listed(registering) == [setup.plan.id]
    assert listed(hosting) == [setup.plan.id]
    assert listed(outsider) == []
    setup.plan.is_published = False
    session.add(setup.plan)
    session.flush()
    assert listed(registering) == []


def test_school_cannot_open_an_unpublished_plan(session, scheduled):
    setup, _school, _site, _room, _sitting, admin = scheduled
    setup.plan.is_published = False
    session.add(setup.plan)
    session.flush()

    with pytest.raises(NotFound):
        exam_views.visible_plan(session, actor=admin, plan_id=setup.plan.id)
    assert (
        exam_views.visible_plan(session, actor=setup.org_actor, plan_id=setup.plan.id)
        is setup.plan
    )


@pytest.mark.skipif(
    not (shutil.which("zbarimg") and shutil.which("pdftoppm")),
    reason="needs zbarimg (zbar-tools) and pdftoppm (poppler-utils)",
)
def test_ticket_qr_code_decodes_to_ticket_number(tmp_path):
    item = tickets.TicketItem(
        candidate_name="张三",
        masked_id="110101*****1233",
        ticket_number="26000010000010001004",
        school_name="测试学院",
        subject_label="000001 基础考核（机考）",
        certificate_label="物流管理 初级",
        session_label="2026-12-22 09:00~11:00",
        site_name="测试站点",
        room_name="1号机房",
        room_address="测试路1号",
        seat_number=4,
    )
    pdf_path = tmp_path / "ticket.pdf"
    pdf_path.write_bytes(tickets.render_tickets([item], plan_name="测试计划").data)

    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", str(pdf_path), str(tmp_path / "page")],
        check=True,
    )
    image = next(tmp_path.glob("page*.png"))
    decoded = subprocess.run(
        ["zbarimg", "-q", "--raw", str(image)], capture_output=True, text=True
    )

    assert decoded.stdout.strip() == "26000010000010001004"


def test_digit_qr_encoder_matches_segno():
    numbers = [f"{value:020d}" for value in range(0, 10**20, 10**20 // 97)]
    numbers += ["26000120003456789057", "0", "12345", "9" * 34]

    for number in numbers:
        reference = segno.make(
            number, error="m", micro=False, mask=0, boost_error=False
        )
        assert [bytes(row) for row in qr.matrix(number)] == [
            bytes(row) for row in reference.matrix
        ], number


def test_digit_qr_encoder_rejects_other_text():
    with pytest.raises(ValueError):
        qr.matrix("K202005226994")


def test_packed_qr_image_matches_matrix():
    numbers = [f"{value:020d}" for value in range(0, 10**20, 10**20 // 97)]
    numbers += ["26000120003456789057", "0", "12345", "9" * 34]
    row_bytes = -(-qr.IMAGE_SIDE // 8)
    padding = row_bytes * 8 - qr.IMAGE_SIDE

    for number in numbers:
        image = qr.packed_image(number)
        rows = [
            image[start : start + row_bytes]
            for start in range(0, len(image), row_bytes)
        ]
        bits = [
            format(int.from_bytes(row, "big"), f"0{row_bytes * 8}b") for row in rows
        ]
        # A set bit is white, so a dark module reads "0". Padding bits are white.
        modules = [
            [1 - int(bit) for bit in row_bits[: qr.IMAGE_SIDE]] for row_bits in bits
        ]
        expected = [[0] * qr.IMAGE_SIDE] * 2
        expected += [[0, 0, *row, 0, 0] for row in qr.matrix(number)]
        expected += [[0] * qr.IMAGE_SIDE] * 2
        assert len(rows) == qr.IMAGE_SIDE, number
        assert modules == expected, number
        assert all(row_bits.endswith("1" * padding) for row_bits in bits), number


def test_packed_qr_image_rejects_other_text():
    with pytest.raises(ValueError):
        qr.packed_image("K202005226994")


def _jpeg_variants() -> dict[str, bytes]:
    from PIL import Image, ImageCms, ImageDraw

    image = Image.new("RGB", (295, 413), (200, 30, 30))
    ImageDraw.Draw(image).ellipse((70, 60, 225, 230), fill=(230, 200, 170))
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()

    def encode(picture, **options) -> bytes:
        buffer = io.BytesIO()
        picture.save(buffer, **options)
        return buffer.getvalue()

    return {
        "colour": encode(image, format="JPEG", quality=80),
        "grey": encode(image.convert("L"), format="JPEG", quality=80),
        "progressive": encode(image, format="JPEG", quality=80, progressive=True),
        "icc profile": encode(image, format="JPEG", quality=80, icc_profile=profile),
        "cmyk": encode(image.convert("CMYK"), format="JPEG"),
        "png": encode(image, format="PNG"),
    }


def _placed_image_cache(data: bytes, *, fast: bool) -> dict:
    from fpdf import FPDF

    from xcert_app.documents import jpeg

    pdf = FPDF()
    pdf.add_page()
    if fast:
        jpeg.register(pdf, data)
    pdf.image(io.BytesIO(data), x=10, y=10, w=30, h=40)
    pdf.image(io.BytesIO(data), x=50, y=10, w=30, h=40)
    return pdf.image_cache.images


@pytest.mark.parametrize("variant", list(_jpeg_variants()))
def test_jpeg_register_matches_fpdf2(variant):
    data = _jpeg_variants()[variant]

    fast = _placed_image_cache(data, fast=True)
    slow = _placed_image_cache(data, fast=False)

    assert fast == slow


def test_jpeg_frame_info_reads_plain_jpegs_only():
    from xcert_app.documents import jpeg

    variants = _jpeg_variants()

    assert jpeg.frame_info(variants["colour"]) == (295, 413, 3)
    assert jpeg.frame_info(variants["grey"]) == (295, 413, 1)
    assert jpeg.frame_info(variants["progressive"]) == (295, 413, 3)
    assert jpeg.frame_info(variants["icc profile"]) is None
    assert jpeg.frame_info(variants["cmyk"]) is None
    assert jpeg.frame_info(variants["png"]) is None
    assert jpeg.frame_info(variants["colour"][:100]) is None


def test_registered_jpeg_skips_pillow(monkeypatch):
    from fpdf import image_parsing

    def refuse(*_args, **_kwargs):
        raise AssertionError("Pillow was asked to read a plain JPEG")

    monkeypatch.setattr(image_parsing, "get_img_info", refuse)

    cache = _placed_image_cache(_jpeg_variants()["colour"], fast=True)

    assert [info["usages"] for info in cache.values()] == [2]
