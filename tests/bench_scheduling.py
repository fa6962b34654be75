"""Benchmarks for scheduling and admission tickets; each returns (baseline, ours) seconds.

``bench_schedule``: the baseline reads the plan's registrations and bulk-inserts the
same number of arrangement rows with no seating decisions (the I/O any scheduler
pays); ours is ``schedule_plan`` on the same data. Both run on a fresh SQLite file.

``bench_tickets``: the baseline is fpdf2 writing ``n`` pages that each hold one line
of Chinese and the candidate's photo; ours renders ``n`` complete admission tickets
with the same photos. ``last_ticket_sizes`` holds both files' sizes in bytes.
"""

import io
import math
import os
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageDraw
from sqlalchemy import insert, select
from sqlmodel import Session, SQLModel

import xcert_app.models  # noqa: F401
from xcert_app import db
from xcert_app.clock import beijing, clock

last_ticket_sizes: dict[str, int] = {}


def _fresh_engine():
    directory = Path(tempfile.mkdtemp(prefix="xcert-bench-"))
    engine = db.make_engine(f"sqlite:///{directory / 'bench.db'}")
    SQLModel.metadata.create_all(engine)
    db.set_engine(engine)
    return engine


def _build_plan(session: Session, n_registrations: int, n_rooms: int):
    from tests import factories_scheduling as build

    seats = 50
    sessions = math.ceil(n_registrations / (n_rooms * seats)) + 1
    setup = build.make_plan(
        session, subjects=(("基础考核", "机考", 9, 11),), sessions_per_subject=sessions
    )
    schools = max(1, n_rooms // 5)
    per_school = n_registrations // schools
    for index in range(schools):
        school = build.make_school(session)
        site = build.make_site(session, setup, school)
        for _ in range(n_rooms // schools):
            build.make_room(session, setup, site, seats=seats)
        count = (
            per_school if index < schools - 1 else n_registrations - index * per_school
        )
        candidates = build.make_candidates(session, school, count)
        build.register(session, setup, school, candidates, "基础考核")
    session.commit()
    return setup


def bench_schedule(n_registrations: int, n_rooms: int) -> tuple[float, float]:
    """Time the I/O floor and ``schedule_plan`` for a plan of the given size."""
    from xcert_app.models.registrations import Registration
    from xcert_app.models.scheduling import Arrangement
    from xcert_app.services import scheduling

    clock.set(beijing(2026, 12, 4, 10, 0))
    engine = _fresh_engine()
    with Session(engine) as session:
        setup = _build_plan(session, n_registrations, n_rooms)
        plan_id = setup.plan.id
        actor = setup.org_actor
        room_id = session.scalars(select(xcert_app.models.Room.id).limit(1)).first()
        session_id = setup.sessions["基础考核"][0].id

    with Session(engine) as session:
        started = time.perf_counter()
        ids = session.scalars(
            select(Registration.id).where(Registration.plan_id == plan_id)
        ).all()
        rows = [
            {
                "registration_id": registration_id,
                "plan_id": plan_id,
                "site_id": 1,
                "room_id": room_id,
                "session_id": session_id,
                "seat_number": index,
                "ticket_number": f"{index:020d}",
                "created_at": clock.now(),
            }
            for index, registration_id in enumerate(ids)
        ]
        for start in range(0, len(rows), 5000):
            session.execute(insert(Arrangement), rows[start : start + 5000])
        baseline = time.perf_counter() - started
        session.rollback()

    with Session(engine) as session:
        started = time.perf_counter()
        result = scheduling.schedule_plan(
            session, actor=actor, plan_id=plan_id, seed=2026
        )
        session.commit()
        ours = time.perf_counter() - started
    assert result.ok and result.placed_count == n_registrations, result.missing
    engine.dispose()
    clock.reset()
    return baseline, ours


def _photos(n: int) -> list[bytes]:
    """Make ``n`` distinct 295×413 JPEG photos on a red background."""
    photos = []
    for index in range(n):
        image = Image.new("RGB", (295, 413), (200, 30, 30))
        draw = ImageDraw.Draw(image)
        draw.ellipse((70, 60, 225, 230), fill=(230, 200, 170))
        draw.rectangle((40, 250, 255, 413), fill=(20 + index % 200, 40, 90))
        draw.text((10, 10), str(index), fill=(255, 255, 255))
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=80)
        photos.append(buffer.getvalue())
    return photos


def bench_tickets(n: int) -> tuple[float, float]:
    """Time fpdf2's one-line-and-photo pages against ``n`` full admission tickets."""
    from fpdf import FPDF

    from xcert_app.documents import fonts, tickets

    photos = _photos(n)

    started = time.perf_counter()
    pdf = FPDF(format="A4")
    pdf.add_font("NotoSansSC", fname=str(fonts.MAIN_FONT))
    pdf.set_font("NotoSansSC", size=14)
    for index in range(n):
        pdf.add_page()
        pdf.text(20, 30, f"准考证 考生{index:05d} 物流管理职业技能等级证书")
        pdf.image(io.BytesIO(photos[index]), x=20, y=40, w=25, h=35)
    baseline_bytes = bytes(pdf.output())
    baseline = time.perf_counter() - started

    items = [
        tickets.TicketItem(
            candidate_name=f"考生{index:05d}",
            masked_id="110101*****1234",
            ticket_number=f"2600001000001{index % 10_000:04d}{index % 1000:03d}",
            school_name="首都师范大学",
            subject_label="043194 基础考核（机考）",
            certificate_label="物流管理职业技能等级证书 中级",
            session_label="2026-12-22 08:30~10:00",
            site_name="首都师范大学物流管理考核站点",
            room_name="107 室",
            room_address="北京市海淀区西三环北路105号 实训楼1层",
            seat_number=index % 50 + 1,
            photo=photos[index],
        )
        for index in range(n)
    ]
    started = time.perf_counter()
    document = tickets.render_tickets(items, plan_name="物流管理2026年12月第2次考核")
    ours = time.perf_counter() - started
    last_ticket_sizes["baseline"] = len(baseline_bytes)
    last_ticket_sizes["ours"] = len(document.data)
    return baseline, ours


if __name__ == "__main__":
    size = int(os.environ.get("BENCH_TICKETS", "5000"))
    for registrations in (100_000, 200_000):
        base, ours = bench_schedule(registrations, 500)
        print(f"schedule {registrations}: baseline {base:.2f}s ours {ours:.2f}s")
    base, ours = bench_tickets(size)
    print(f"tickets {size}: baseline {base:.2f}s ours {ours:.2f}s {last_ticket_sizes}")
