"""Views of a scheduled plan (by site, by room, room detail) and invigilation duties.

The organisation sees every arrangement of its plans. A school sees the rooms of its
own sites in full, because it runs the exam there, and elsewhere only the rooms and
rows of its own candidates (borrowed sites).
"""

import logging
from dataclasses import dataclass

from sqlalchemy import and_, delete, distinct, func, or_, select
from sqlmodel import Session

from xcert_app.clock import format_beijing
from xcert_app.models.accounts import Role, StaffMember
from xcert_app.models.candidates import Candidate
from xcert_app.models.catalogue import (
    Certificate,
    CertificateLevel,
    ExamPlan,
    PlanSession,
    PlanSubject,
    Subject,
)
from xcert_app.models.orgs import Organisation
from xcert_app.models.registrations import Registration
from xcert_app.models.scheduling import Arrangement, RoomDuty
from xcert_app.models.sites import ExamSite, Room
from xcert_app.services import audit
from xcert_app.services.actor import SCHOOL_ROLES, Actor, require_role
from xcert_app.services.errors import AccessDenied, NotFound, ValidationError
from xcert_app.services.masking import mask_id_number

logger = logging.getLogger(__name__)

INVIGILATOR = "invigilator"
ROVING = "roving"
DUTY_LABELS = {INVIGILATOR: "监考", ROVING: "巡考"}


def session_label(starts, ends) -> str:
    """Format a session as ``2026-12-22 08:30~10:00`` in Beijing time."""
    return f"{format_beijing(starts)}~{format_beijing(ends, '%H:%M')}"


def subject_label(code: str, name: str, mode: str) -> str:
    return f"{code} {name}（{mode}）"


def _viewer(actor: Actor | None) -> Actor:
    return require_role(actor, Role.ORG_ADMIN, *SCHOOL_ROLES)


def visible_plan(session: Session, *, actor: Actor, plan_id: int) -> ExamPlan:
    """Return the plan if the caller may see its arrangements."""
    actor = _viewer(actor)
    plan = session.get(ExamPlan, plan_id)
    if plan is None:
        raise NotFound(f"考试计划 {plan_id} 不存在")
    if actor.role == Role.ORG_ADMIN and plan.org_id != actor.organisation_id:
        raise AccessDenied("该考试计划不属于本组织")
    if actor.role != Role.ORG_ADMIN and not plan.is_published:
        raise NotFound(f"考试计划 {plan_id} 不存在")
    return plan


def _scope(actor: Actor):
    """SQL condition limiting arrangement rows to what the caller may see."""
    if actor.role == Role.ORG_ADMIN:
        return ExamPlan.org_id == actor.organisation_id
    return or_(
        ExamSite.school_id == actor.organisation_id,
        Registration.school_id == actor.organisation_id,
    )


def _base(actor: Actor, plan_id: int, *columns):
    return (
        select(*columns)
        .select_from(Arrangement)
        .join(Registration, Registration.id == Arrangement.registration_id)
        .join(ExamSite, ExamSite.id == Arrangement.site_id)
        .join(ExamPlan, ExamPlan.id == Arrangement.plan_id)
        .where(Arrangement.plan_id == plan_id, _scope(actor))
    )


def visible_plans(session: Session, *, actor: Actor) -> list[dict]:
    """Return the plans the caller takes part in, newest first.

    The organisation gets all its plans. A school gets the published plans it has
    registrations or rooms in, or whose arrangements it may see, so it can pick a
    plan before it has been scheduled.
    """
    actor = _viewer(actor)
    query = (
        select(ExamPlan.id, ExamPlan.code, ExamPlan.name)
        .order_by(ExamPlan.id.desc())
        .limit(50)
    )
    if actor.role == Role.ORG_ADMIN:
        query = query.where(ExamPlan.org_id == actor.organisation_id)
    else:
        school_id = actor.organisation_id
        arranged = (
            select(Arrangement.plan_id)
            .join(Registration, Registration.id == Arrangement.registration_id)
            .join(ExamSite, ExamSite.id == Arrangement.site_id)
            .where(_scope(actor))
        )
        registered = select(Registration.plan_id).where(
            Registration.school_id == school_id
        )
        with_rooms = (
            select(Room.plan_id)
            .join(ExamSite, ExamSite.id == Room.site_id)
            .where(ExamSite.school_id == school_id)
        )
        query = query.where(
            ExamPlan.is_published.is_(True),
            or_(
                ExamPlan.id.in_(arranged),
                ExamPlan.id.in_(registered),
                ExamPlan.id.in_(with_rooms),
            ),
        )
    return [
        {"id": plan_id, "code": code, "name": name}
        for plan_id, code, name in session.execute(query)
    ]


def sites_view(session: Session, *, actor: Actor, plan_id: int) -> list[dict]:
    """Return one row per site: host school, address, rooms used and candidates."""
    visible_plan(session, actor=actor, plan_id=plan_id)
    query = (
        _base(
            actor,
            plan_id,
            ExamSite.id,
            ExamSite.name,
            ExamSite.address,
            Organisation.name,
            func.count(distinct(Arrangement.room_id)),
            func.count(Arrangement.id),
        )
        .join(Organisation, Organisation.id == ExamSite.school_id)
        .group_by(ExamSite.id, ExamSite.name, ExamSite.address, Organisation.name)
        .order_by(ExamSite.id)
    )
    return [
        {
            "site_id": site_id,
            "site": name,
            "address": address,
            "school": school,
            "rooms": rooms,
            "candidates": candidates,
        }
        for site_id, name, address, school, rooms, candidates in session.execute(query)
    ]


def rooms_view(
    session: Session,
    *,
    actor: Actor,
    plan_id: int,
    site_id: int | None = None,
    without_invigilator: bool = False,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[dict], int]:
    """Return one page of (room, session) rows and the total row count.

    ``without_invigilator`` keeps the rows that still need an invigilator and that
    the caller can staff, which for a school means the rooms of its own sites.
    """
    visible_plan(session, actor=actor, plan_id=plan_id)
    grouped = _base(
        actor,
        plan_id,
        Arrangement.room_id,
        Arrangement.session_id,
        func.count(Arrangement.id).label("expected"),
    ).group_by(Arrangement.room_id, Arrangement.session_id)
    if site_id:
        grouped = grouped.where(Arrangement.site_id == site_id)
    if without_invigilator:
        grouped = grouped.where(~_has_invigilator())
        if actor.is_school:
            grouped = grouped.where(ExamSite.school_id == actor.organisation_id)
    grouped = grouped.subquery()
    total = session.execute(select(func.count()).select_from(grouped)).scalar_one()
    query = (
        select(
            grouped.c.room_id,
            grouped.c.session_id,
            grouped.c.expected,
            Room.name,
            Room.address,
            ExamSite.name,
            ExamSite.school_id,
            Subject.code,
            Subject.name,
            Subject.mode,
            PlanSession.starts_at,
            PlanSession.ends_at,
        )
        .join(Room, Room.id == grouped.c.room_id)
        .join(ExamSite, ExamSite.id == Room.site_id)
        .join(PlanSession, PlanSession.id == grouped.c.session_id)
        .join(PlanSubject, PlanSubject.id == PlanSession.plan_subject_id)
        .join(Subject, Subject.id == PlanSubject.subject_id)
        .order_by(PlanSession.starts_at, ExamSite.id, Room.name)
        .offset(offset)
        .limit(limit)
    )
    rows = session.execute(query).all()
    duties = _duty_names(session, [(row[0], row[1]) for row in rows])
    result = []
    for row in rows:
        (room_id, session_id, expected, room, address, site, host_id) = row[:7]
        code, name, mode, starts, ends = row[7:]
        names = duties.get((room_id, session_id), {})
        result.append(
            {
                "room_id": room_id,
                "session_id": session_id,
                "room": room,
                "address": address,
                "site": site,
                "subject": subject_label(code, name, mode),
                "session": session_label(starts, ends),
                "invigilators": "、".join(names.get(INVIGILATOR, [])),
                "roving": "、".join(names.get(ROVING, [])),
                "expected": expected,
                "can_assign": actor.is_school and host_id == actor.organisation_id,
            }
        )
    return result, total


def _has_invigilator():
    return (
        select(RoomDuty.id)
        .where(
            RoomDuty.room_id == Arrangement.room_id,
            RoomDuty.session_id == Arrangement.session_id,
            RoomDuty.duty == INVIGILATOR,
        )
        .exists()
    )


def _duty_names(
    session: Session, keys: list[tuple[int, int]]
) -> dict[tuple[int, int], dict[str, list[str]]]:
    if not keys:
        return {}
    rooms = {room_id for room_id, _ in keys}
    found: dict[tuple[int, int], dict[str, list[str]]] = {}
    for room_id, session_id, duty, name in session.execute(
        select(RoomDuty.room_id, RoomDuty.session_id, RoomDuty.duty, StaffMember.name)
        .join(StaffMember, StaffMember.id == RoomDuty.staff_id)
        .where(RoomDuty.room_id.in_(rooms))
        .order_by(RoomDuty.id)
    ):
        found.setdefault((room_id, session_id), {}).setdefault(duty, []).append(name)
    return found


@dataclass
class RoomDetail:
    """The head of a room's detail page and its candidates in seat order."""

    header: dict
    rows: list[dict]


def room_detail(
    session: Session, *, actor: Actor, plan_id: int, room_id: int, session_id: int
) -> RoomDetail:
    """Return a room in one session as the manual's 查询考场编排 shows it."""
    visible_plan(session, actor=actor, plan_id=plan_id)
    room = session.get(Room, room_id)
    if room is None or room.plan_id != plan_id:
        raise NotFound(f"考场 {room_id} 不在该考试计划中")
    site = session.get(ExamSite, room.site_id)
    host_view = actor.role == Role.ORG_ADMIN or site.school_id == actor.organisation_id
    query = (
        _base(
            actor,
            plan_id,
            Arrangement.seat_number,
            Arrangement.ticket_number,
            Candidate.name,
            Candidate.id_number,
            Organisation.name,
        )
        .join(Candidate, Candidate.id == Registration.candidate_id)
        .join(Organisation, Organisation.id == Registration.school_id)
        .where(Arrangement.room_id == room_id, Arrangement.session_id == session_id)
        .order_by(Arrangement.seat_number)
    )
    if not host_view:
        query = query.where(Registration.school_id == actor.organisation_id)
    rows = [
        {
            "index": index,
            "name": name,
            "masked_id": mask_id_number(id_number),
            "ticket_number": ticket,
            "school": school,
            "seat": seat,
        }
        for index, (seat, ticket, name, id_number, school) in enumerate(
            session.execute(query), start=1
        )
    ]
    if not rows and not host_view:
        raise NotFound("该考场中没有本校考生")
    header = room_header(session, room=room, site=site, session_id=session_id)
    header["expected"] = len(rows)
    header["can_assign"] = actor.is_school and site.school_id == actor.organisation_id
    return RoomDetail(header=header, rows=rows)


def room_header(
    session: Session, *, room: Room, site: ExamSite, session_id: int
) -> dict:
    """Return the room, site, subject, certificate, session and duty names."""
    sitting = session.get(PlanSession, session_id)
    if sitting is None:
        raise NotFound(f"场次 {session_id} 不存在")
    subject_row = session.execute(
        select(
            Subject.code,
            Subject.name,
            Subject.mode,
            Certificate.name,
            CertificateLevel.level,
        )
        .join(PlanSubject, PlanSubject.subject_id == Subject.id)
        .join(CertificateLevel, CertificateLevel.id == Subject.certificate_level_id)
        .join(Certificate, Certificate.id == CertificateLevel.certificate_id)
        .where(PlanSubject.id == sitting.plan_subject_id)
    ).one()
    code, name, mode, certificate, level = subject_row
    school = session.get(Organisation, site.school_id)
    names = _duty_names(session, [(room.id, session_id)]).get((room.id, session_id), {})
    return {
        "room_id": room.id,
        "session_id": session_id,
        "room": room.name,
        "address": room.address,
        "site": site.name,
        "host_school": school.name if school else "",
        "subject": subject_label(code, name, mode),
        "certificate": f"{certificate} {level}",
        "level": level,
        "session": session_label(sitting.starts_at, sitting.ends_at),
        "invigilators": "、".join(names.get(INVIGILATOR, [])),
        "roving": "、".join(names.get(ROVING, [])),
    }


def current_duties(
    session: Session, *, room_id: int, session_id: int
) -> dict[str, list[int]]:
    """Return the staff ids on duty in a room and session, by duty."""
    found: dict[str, list[int]] = {INVIGILATOR: [], ROVING: []}
    for duty, staff_id in session.execute(
        select(RoomDuty.duty, RoomDuty.staff_id)
        .where(RoomDuty.room_id == room_id, RoomDuty.session_id == session_id)
        .order_by(RoomDuty.id)
    ):
        found.setdefault(duty, []).append(staff_id)
    return found


def staff_roster(session: Session, *, actor: Actor) -> list[dict]:
    """Return the active staff of the caller's school, by name."""
    actor = require_role(actor, *SCHOOL_ROLES)
    return [
        {"id": staff_id, "name": name, "department": department}
        for staff_id, name, department in session.execute(
            select(StaffMember.id, StaffMember.name, StaffMember.department)
            .where(
                StaffMember.organisation_id == actor.organisation_id,
                StaffMember.is_active.is_(True),
            )
            .order_by(StaffMember.name)
        )
    ]


def assign_duties(
    session: Session,
    *,
    actor: Actor,
    room_id: int,
    session_id: int,
    invigilator_ids: list[int],
    roving_ids: list[int],
) -> None:
    """Replace the invigilators and roving inspectors of a room in one session.

    Only the school that hosts the room's site assigns them, from its own roster.
    """
    actor = require_role(actor, *SCHOOL_ROLES)
    room = session.get(Room, room_id)
    if room is None:
        raise NotFound(f"考场 {room_id} 不存在")
    site = session.get(ExamSite, room.site_id)
    if site.school_id != actor.organisation_id:
        raise AccessDenied(f"考场 {room.name} 属于其他院校的考核站点，由该院校安排监考")
    used = session.execute(
        select(func.count(Arrangement.id)).where(
            Arrangement.room_id == room_id, Arrangement.session_id == session_id
        )
    ).scalar_one()
    if not used:
        raise NotFound(f"考场 {room.name} 在该场次没有排考，无需安排监考")
    if not invigilator_ids:
        raise ValidationError({"invigilators": "请至少选择一名监考老师"})
    if set(invigilator_ids) & set(roving_ids):
        raise ValidationError({"roving": "同一人不能在同一场次既监考又巡考"})
    wanted = set(invigilator_ids) | set(roving_ids)
    roster = set(
        session.scalars(
            select(StaffMember.id).where(
                StaffMember.id.in_(wanted),
                StaffMember.organisation_id == actor.organisation_id,
                StaffMember.is_active.is_(True),
            )
        )
    )
    if roster != wanted:
        raise ValidationError(
            {"invigilators": "所选人员不在本校在职人员名单中，请刷新后重选"}
        )

    before = _duty_names(session, [(room_id, session_id)]).get(
        (room_id, session_id), {}
    )
    session.execute(
        delete(RoomDuty).where(
            and_(RoomDuty.room_id == room_id, RoomDuty.session_id == session_id)
        )
    )
    for duty, ids in ((INVIGILATOR, invigilator_ids), (ROVING, roving_ids)):
        for staff_id in ids:
            session.add(
                RoomDuty(
                    room_id=room_id, session_id=session_id, staff_id=staff_id, duty=duty
                )
            )
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="room.duties",
        entity="room",
        entity_id=f"{room_id}/{session_id}",
        before={key: "、".join(names) for key, names in before.items()},
        after={"invigilators": len(invigilator_ids), "roving": len(roving_ids)},
    )
    logger.info(
        "duties for room %s session %s: %s invigilators, %s roving",
        room_id,
        session_id,
        len(invigilator_ids),
        len(roving_ids),
    )
