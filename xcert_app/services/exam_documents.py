"""Exam-day documents for a room, a site or a plan, and a candidate's own ticket.

Scoping follows ``exam_views``: the organisation prints everything of its plans, a
school prints the rooms of its own sites in full and, at borrowed sites, only its
own candidates.
"""

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from xcert_app.clock import clock, format_beijing
from xcert_app.documents import tickets
from xcert_app.models.accounts import Role
from xcert_app.models.candidates import Candidate
from xcert_app.models.catalogue import ExamPlan
from xcert_app.models.files import StoredFile
from xcert_app.models.orgs import Organisation
from xcert_app.models.registrations import Registration
from xcert_app.models.scheduling import Arrangement
from xcert_app.models.sites import ExamSite, Room
from xcert_app.services import exam_views, storage
from xcert_app.services.actor import Actor, require_role
from xcert_app.services.errors import AccessDenied, NotFound, ServiceError
from xcert_app.services.masking import mask_id_number

logger = logging.getLogger(__name__)

ALL_KINDS = ("door", "sign_in", "desk", "tickets")
KIND_LABELS = {
    "tickets": "准考证",
    "door": "门贴",
    "desk": "桌贴",
    "sign_in": "签到表",
    "all": "考场资料",
}

Progress = Callable[[int, int], None]


def _photo_bytes(session: Session, file_id: int | None) -> bytes | None:
    if file_id is None:
        return None
    stored = session.get(StoredFile, file_id)
    if stored is None:
        return None
    try:
        return storage.read_bytes(stored)
    except OSError:
        logger.warning("photo file %s missing from storage", file_id)
        return None


def _room_sheet(
    session: Session,
    *,
    plan: ExamPlan,
    room: Room,
    session_id: int,
    only_school_id: int | None,
    only_ticket: str | None = None,
) -> tickets.RoomSheet:
    """Load one room in one session with its candidates, photos included.

    ``only_ticket`` loads just that candidate, so a single ticket does not read
    the photos of the whole room.
    """
    site = session.get(ExamSite, room.site_id)
    header = exam_views.room_header(
        session, room=room, site=site, session_id=session_id
    )
    query = (
        select(
            Arrangement.seat_number,
            Arrangement.ticket_number,
            Candidate.name,
            Candidate.id_number,
            Candidate.photo_file_id,
            Organisation.name,
        )
        .join(Registration, Registration.id == Arrangement.registration_id)
        .join(Candidate, Candidate.id == Registration.candidate_id)
        .join(Organisation, Organisation.id == Registration.school_id)
        .where(Arrangement.room_id == room.id, Arrangement.session_id == session_id)
        .order_by(Arrangement.seat_number)
    )
    if only_school_id is not None:
        query = query.where(Registration.school_id == only_school_id)
    if only_ticket is not None:
        query = query.where(Arrangement.ticket_number == only_ticket)
    items = [
        tickets.TicketItem(
            candidate_name=name,
            masked_id=mask_id_number(id_number),
            id_number=id_number,
            ticket_number=ticket,
            school_name=school,
            subject_label=header["subject"],
            certificate_label=header["certificate"],
            session_label=header["session"],
            site_name=site.name,
            room_name=room.name,
            room_address=room.address or site.address,
            seat_number=seat,
            photo=_photo_bytes(session, photo_id),
        )
        for seat, ticket, name, id_number, photo_id, school in session.execute(query)
    ]
    return tickets.RoomSheet(
        plan_name=plan.name,
        site_name=site.name,
        room_name=room.name,
        room_address=room.address or site.address,
        subject_label=header["subject"],
        certificate_label=header["certificate"],
        session_label=header["session"],
        school_names="、".join(sorted({item.school_name for item in items})),
        invigilators=header["invigilators"],
        roving=header["roving"],
        items=items,
    )


def _school_filter(session: Session, actor: Actor, room: Room) -> int | None:
    """Return the school to restrict rows to, or None when the caller sees all."""
    if actor.role == Role.ORG_ADMIN:
        return None
    site = session.get(ExamSite, room.site_id)
    return None if site.school_id == actor.organisation_id else actor.organisation_id


def _room_keys(
    session: Session, *, actor: Actor, plan_id: int, site_id: int | None
) -> list[tuple[int, int]]:
    query = (
        exam_views._base(actor, plan_id, Arrangement.room_id, Arrangement.session_id)
        .distinct()
        .order_by(Arrangement.session_id, Arrangement.room_id)
    )
    if site_id:
        query = query.where(Arrangement.site_id == site_id)
    return [tuple(row) for row in session.execute(query)]


def room_documents(
    session: Session,
    *,
    actor: Actor,
    plan_id: int,
    room_id: int,
    session_id: int,
    kind: str,
) -> tuple[str, tickets.Document]:
    """Render one kind (or ``all``) for a room in one session; return name and PDF."""
    plan = exam_views.visible_plan(session, actor=actor, plan_id=plan_id)
    room = session.get(Room, room_id)
    if room is None or room.plan_id != plan_id:
        raise NotFound(f"考场 {room_id} 不在该考试计划中")
    kinds = ALL_KINDS if kind == "all" else (kind,)
    if not set(kinds) <= set(ALL_KINDS):
        raise ServiceError(f"不支持的文档类型 {kind}")
    sheet = _room_sheet(
        session,
        plan=plan,
        room=room,
        session_id=session_id,
        only_school_id=_school_filter(session, actor, room),
    )
    if not sheet.items:
        raise NotFound(f"考场 {room.name} 在该场次没有可见的考生")
    document = tickets.render_room(sheet, kinds)
    filename = f"{plan.code}-{room.name}-{KIND_LABELS[kind]}.pdf"
    return filename, document


def batch_documents(
    session: Session,
    *,
    actor: Actor,
    plan_id: int,
    site_id: int | None = None,
    progress: Progress | None = None,
) -> tuple[str, tickets.Document]:
    """Render every kind for all visible rooms of a site, or of the whole plan."""
    plan = exam_views.visible_plan(session, actor=actor, plan_id=plan_id)
    keys = _room_keys(session, actor=actor, plan_id=plan_id, site_id=site_id)
    if not keys:
        raise NotFound("没有可打印的考场，请先排考")
    sheets = []
    for index, (room_id, session_id) in enumerate(keys, start=1):
        room = session.get(Room, room_id)
        sheets.append(
            _room_sheet(
                session,
                plan=plan,
                room=room,
                session_id=session_id,
                only_school_id=_school_filter(session, actor, room),
            )
        )
        if progress:
            progress(index, len(keys) * 2)
    document = tickets.render_rooms(
        sheets,
        ALL_KINDS,
        progress=(lambda done, total: progress(len(keys) + done, len(keys) + total))
        if progress
        else None,
    )
    scope = session.get(ExamSite, site_id).name if site_id else "全部考场"
    return f"{plan.code}-{scope}-考场资料.pdf", document


def plan_tickets(
    session: Session, *, plan_id: int, progress: Progress | None = None
) -> tickets.Document:
    """Render every admission ticket of a plan (operator command; no caller scope)."""
    plan = session.get(ExamPlan, plan_id)
    if plan is None:
        raise NotFound(f"考试计划 {plan_id} 不存在")
    keys = session.execute(
        select(Arrangement.room_id, Arrangement.session_id)
        .where(Arrangement.plan_id == plan_id)
        .distinct()
        .order_by(Arrangement.session_id, Arrangement.room_id)
    ).all()
    items = []
    for room_id, session_id in keys:
        sheet = _room_sheet(
            session,
            plan=plan,
            room=session.get(Room, room_id),
            session_id=session_id,
            only_school_id=None,
        )
        items.extend(sheet.items)
    return tickets.render_tickets(items, plan_name=plan.name, progress=progress)


def ticket_window_open(plan: ExamPlan, now: datetime | None = None) -> bool:
    """Tell whether ``now`` lies inside the plan's ticket-printing window."""
    now = now or clock.now()
    return plan.ticket_start <= now <= plan.ticket_end


def ticket_pdf_for_candidate(session: Session, *, actor: Actor, plan_id: int) -> bytes:
    """Return the caller's own admission tickets for the plan, one page per subject.

    Only a candidate account, only for itself, and only inside the ticket window
    (``ExamPlan.ticket_start``..``ticket_end``, shown in Beijing time).
    """
    actor = require_role(actor, Role.CANDIDATE)
    if actor.candidate_id is None:
        raise AccessDenied("该考生账号未关联考生信息，请联系所在院校")
    plan = session.get(ExamPlan, plan_id)
    if plan is None:
        raise NotFound(f"考试计划 {plan_id} 不存在")
    if not ticket_window_open(plan):
        raise ServiceError(
            f"准考证打印时间为 {format_beijing(plan.ticket_start)} 至 "
            f"{format_beijing(plan.ticket_end)}（北京时间），当前不在打印时间内"
        )
    keys = session.execute(
        select(Arrangement.room_id, Arrangement.session_id, Arrangement.ticket_number)
        .join(Registration, Registration.id == Arrangement.registration_id)
        .where(
            Arrangement.plan_id == plan_id,
            Registration.candidate_id == actor.candidate_id,
        )
        .order_by(Arrangement.session_id)
    ).all()
    if not keys:
        raise NotFound("您在该考试计划中还没有排考信息，请等待培训评价组织排考")
    school_id = session.get(Candidate, actor.candidate_id).school_id
    items = []
    for room_id, session_id, ticket in keys:
        sheet = _room_sheet(
            session,
            plan=plan,
            room=session.get(Room, room_id),
            session_id=session_id,
            only_school_id=school_id,
            only_ticket=ticket,
        )
        items.extend(sheet.items)
    document = tickets.render_tickets(items, plan_name=plan.name)
    if document.problems:
        raise ServiceError(document.problems[0])
    logger.info("candidate %s printed %s tickets", actor.candidate_id, len(items))
    return document.data
