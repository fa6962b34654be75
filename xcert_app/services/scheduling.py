"""Scheduling (排考): seats every registration of a plan in a site, room, session and seat.

Hard rules: the room type equals the subject's mode; the room lists the registration's
certificate level; a seat takes one candidate per session and a room hosts one session
at a time; a candidate never sits two overlapping sessions; candidates sit at their
school's approved site or at the site lent to their school (借考). Soft rule: where a
room mixes schools, seats alternate between schools. The run is all or nothing, and
no run starts once the plan's first session has begun.

Ticket numbers have 20 digits, read left to right:

    YY     exam year (two digits, Beijing calendar, from the plan's exam start)
    PPPPP  plan id modulo 100000
    RRRRRR room id (rooms belong to one plan, so the room fixes the plan)
    SSSS   session id modulo 10000
    NNN    seat number

The room id is unique below 1,000,000 and a room never hosts two sessions whose ids
agree modulo 10000 (checked), so the number is unique. A candidate who keeps the same
room, session and seat keeps the stored number unchanged.
"""

import logging
import random
import secrets
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlmodel import Session

from xcert_app.clock import clock, format_beijing, to_beijing
from xcert_app.gc_pause import collector_paused
from xcert_app.models.candidates import Candidate
from xcert_app.models.catalogue import ExamPlan, PlanSession, PlanSubject, Subject
from xcert_app.models.orgs import Organisation
from xcert_app.models.registrations import Registration, RegistrationStatus
from xcert_app.models.scheduling import Arrangement, ScheduleRun
from xcert_app.models.sites import ExamSite, Room, RoomCertificate, SiteLoan, SiteStatus
from xcert_app.services import audit, catalogue
from xcert_app.services.actor import Actor, require_org, require_same_org
from xcert_app.services.errors import NotFound, ServiceError

logger = logging.getLogger(__name__)

MAX_ROOM_ID = 999_999
MAX_SEATS = 999
MOVED_LISTED = 200
_CHUNK = 5000


@dataclass
class _RoomSlot:
    """One room in one session while the run fills it."""

    room_id: int
    session_id: int
    free_seats: list[int]
    newcomers: list[int] = field(default_factory=list)
    newcomer_seats: list[int] = field(default_factory=list)


@dataclass
class ScheduleResult:
    """Outcome of a run: the stored run id, counts, moves and the missing-seats report."""

    run_id: int
    seed: int
    ok: bool
    placed_count: int
    kept_count: int
    moved_count: int
    new_count: int
    missing: list[dict]
    moved: list[dict]
    duration_seconds: float

    def as_dict(self) -> dict:
        return {
            "run_id": self.run_id,
            "seed": self.seed,
            "ok": self.ok,
            "placed_count": self.placed_count,
            "kept_count": self.kept_count,
            "moved_count": self.moved_count,
            "new_count": self.new_count,
            "missing": self.missing,
            "moved": self.moved,
            "duration_seconds": round(self.duration_seconds, 3),
        }


def ticket_number(
    *, exam_year: int, plan_id: int, room_id: int, session_id: int, seat: int
) -> str:
    """Build the 20-digit ticket number described in the module docstring."""
    return (
        f"{exam_year % 100:02d}{plan_id % 100_000:05d}{room_id:06d}"
        f"{session_id % 10_000:04d}{seat:03d}"
    )


def load_plan_for_org(session: Session, *, actor: Actor, plan_id: int) -> ExamPlan:
    """Return the plan if it belongs to the caller's assessment organisation."""
    require_org(actor)
    plan = session.get(ExamPlan, plan_id)
    if plan is None:
        raise NotFound(f"考试计划 {plan_id} 不存在")
    require_same_org(actor, plan.org_id)
    return plan


def schedule_plan(
    session: Session, *, actor: Actor, plan_id: int, seed: int | None = None
) -> ScheduleResult:
    """Seat every eligible registration of the plan, or change nothing.

    Registrations seated by an earlier run stay where they are while their seat is
    still valid. When seats run out, arrangements are left untouched and the result
    lists the missing seats per site, subject and session; the run is stored either
    way so its seed and report can be shown. A plan without eligible (paid, where the
    organisation charges) registrations raises ServiceError and stores no run.
    """
    plan = load_plan_for_org(session, actor=actor, plan_id=plan_id)
    problem = _exam_started_problem(session, plan)
    if problem:
        raise ServiceError(problem)
    problem = _nothing_to_schedule_problem(session, plan)
    if problem:
        raise ServiceError(problem)
    started = time.perf_counter()
    if seed is None:
        seed = secrets.randbelow(2**31)

    with collector_paused():
        inputs = _load_inputs(session, plan)
        planner = _Planner(plan, inputs, seed)
        planner.keep_valid_arrangements()
        planner.place_the_rest()
        ok = not planner.missing
        if ok:
            _write(session, plan, planner)
    duration = time.perf_counter() - started
    moved = planner.moved_report()[:MOVED_LISTED] if ok else []
    names = candidate_name_map(session, [row["candidate_id"] for row in moved])
    for row in moved:
        row["name"] = names.get(row["candidate_id"], "")

    result = ScheduleResult(
        run_id=0,
        seed=seed,
        ok=ok,
        placed_count=len(planner.placement) if ok else 0,
        kept_count=planner.kept_count,
        moved_count=len(planner.moved) if ok else 0,
        new_count=planner.new_count,
        missing=planner.missing_report(),
        moved=moved,
        duration_seconds=duration,
    )
    run = ScheduleRun(
        plan_id=plan.id,
        seed=seed,
        finished_at=clock.now(),
        placed_count=result.placed_count,
        moved_count=result.moved_count,
        report=result.as_dict(),
        created_by_id=actor.account_id,
    )
    session.add(run)
    if ok:
        plan.schedule_seed = seed
        session.add(plan)
    session.flush()
    result.run_id = run.id
    audit.record(
        session,
        actor=actor,
        action="schedule.run" if ok else "schedule.failed",
        entity="exam_plan",
        entity_id=plan.id,
        after={
            "seed": seed,
            "placed": result.placed_count,
            "moved": result.moved_count,
            "missing": sum(row["missing"] for row in result.missing),
        },
    )
    logger.info(
        "schedule plan %s seed %s: ok=%s placed=%s kept=%s moved=%s missing=%s in %.2fs",
        plan.id,
        seed,
        ok,
        result.placed_count,
        result.kept_count,
        result.moved_count,
        sum(row["missing"] for row in result.missing),
        duration,
    )
    return result


def scheduling_closed_reason(session: Session, *, actor: Actor, plan_id: int) -> str:
    """Return why the caller's plan cannot be scheduled now, or "" while it can.

    That is an exam that has begun, or a plan with nothing to schedule yet.
    """
    plan = load_plan_for_org(session, actor=actor, plan_id=plan_id)
    return _exam_started_problem(session, plan) or _nothing_to_schedule_problem(
        session, plan
    )


def _exam_started_problem(session: Session, plan: ExamPlan) -> str:
    # A run may move seated candidates and reissue their tickets, which must not
    # happen once candidates are sitting the exam.
    return catalogue.exam_started_problem(session, plan, "排考或调整座位")


def _nothing_to_schedule_problem(session: Session, plan: ExamPlan) -> str:
    # A run over no registrations would store a successful run that seats no candidate.
    eligible = session.scalar(
        select(func.count()).select_from(Registration).where(_eligible(session, plan))
    )
    if eligible:
        return ""
    org = session.get(Organisation, plan.org_id)
    if org is not None and org.requires_payment:
        return f"考试计划 {plan.code} 还没有已缴费的报名，无需排考"
    return f"考试计划 {plan.code} 还没有报名，无需排考"


def latest_run(session: Session, *, actor: Actor, plan_id: int) -> ScheduleRun | None:
    """Return the newest scheduling run of the caller's plan."""
    load_plan_for_org(session, actor=actor, plan_id=plan_id)
    return session.scalars(
        select(ScheduleRun)
        .where(ScheduleRun.plan_id == plan_id)
        .order_by(ScheduleRun.id.desc())
        .limit(1)
    ).first()


@dataclass
class _Inputs:
    registrations: list[tuple]
    subject_of: dict[int, tuple[int, str, str]]
    sessions_of: dict[int, list[tuple[int, datetime, datetime]]]
    session_times: dict[int, tuple[datetime, datetime]]
    rooms: dict[int, tuple[int, str, int, str]]
    room_levels: dict[int, set[int]]
    sites_of_school: dict[int, list[int]]
    site_names: dict[int, str]
    school_names: dict[int, str]
    existing: dict[int, tuple[int, int, int, int, str]]
    multi_candidates: bool


def _eligible(session: Session, plan: ExamPlan):
    """Return the SQL condition for registrations the run must seat."""
    org = session.get(Organisation, plan.org_id)
    condition = Registration.plan_id == plan.id
    if org is not None and org.requires_payment:
        paid = [RegistrationStatus.PAID, RegistrationStatus.SCHEDULED]
        condition = condition & (
            Registration.status.in_(paid) | Registration.paid_at.is_not(None)
        )
    return condition


def _load_inputs(session: Session, plan: ExamPlan) -> _Inputs:
    # Core statements on the session's connection skip the ORM's row processing,
    # which costs more than the query itself for 100,000 registrations. They do
    # not autoflush, so pending changes are flushed first.
    session.flush()
    connection = session.connection()
    query = select(
        Registration.id,
        Registration.candidate_id,
        Registration.school_id,
        Registration.plan_subject_id,
        Registration.certificate_level_id,
    ).where(_eligible(session, plan))
    registrations = [tuple(row) for row in connection.execute(query).all()]

    subject_of = {
        plan_subject_id: (subject_id, mode, f"{code} {name}")
        for plan_subject_id, subject_id, mode, code, name in connection.execute(
            select(PlanSubject.id, Subject.id, Subject.mode, Subject.code, Subject.name)
            .join(Subject, Subject.id == PlanSubject.subject_id)
            .where(PlanSubject.plan_id == plan.id)
        )
    }
    sessions_of: dict[int, list] = defaultdict(list)
    session_times = {}
    for session_id, plan_subject_id, starts, ends in connection.execute(
        select(
            PlanSession.id,
            PlanSession.plan_subject_id,
            PlanSession.starts_at,
            PlanSession.ends_at,
        )
        .join(PlanSubject, PlanSubject.id == PlanSession.plan_subject_id)
        .where(PlanSubject.plan_id == plan.id)
        .order_by(PlanSession.starts_at, PlanSession.id)
    ):
        sessions_of[plan_subject_id].append((session_id, starts, ends))
        session_times[session_id] = (starts, ends)

    sites = {
        site_id: (school_id, name)
        for site_id, school_id, name in connection.execute(
            select(ExamSite.id, ExamSite.school_id, ExamSite.name).where(
                ExamSite.org_id == plan.org_id,
                ExamSite.status == SiteStatus.APPROVED,
            )
        )
    }
    sites_of_school: dict[int, list[int]] = defaultdict(list)
    for site_id, (school_id, _name) in sorted(sites.items()):
        sites_of_school[school_id].append(site_id)
    for school_id, site_id in connection.execute(
        select(SiteLoan.school_id, SiteLoan.site_id).where(
            SiteLoan.org_id == plan.org_id
        )
    ):
        if site_id in sites and site_id not in sites_of_school[school_id]:
            sites_of_school[school_id].append(site_id)

    rooms = {
        room_id: (site_id, mode, seats, name)
        for room_id, site_id, mode, seats, name in connection.execute(
            select(Room.id, Room.site_id, Room.mode, Room.seats, Room.name)
            .where(Room.plan_id == plan.id)
            .order_by(Room.id)
        )
        if site_id in sites
    }
    room_levels: dict[int, set[int]] = defaultdict(set)
    for room_id, level_id in connection.execute(
        select(RoomCertificate.room_id, RoomCertificate.certificate_level_id)
        .join(Room, Room.id == RoomCertificate.room_id)
        .where(Room.plan_id == plan.id)
    ):
        room_levels[room_id].add(level_id)

    school_ids = {row[2] for row in registrations} | {s for s, _ in sites.values()}
    school_names = dict(
        connection.execute(
            select(Organisation.id, Organisation.name).where(
                Organisation.id.in_(school_ids or {0})
            )
        ).all()
    )
    existing = {
        registration_id: (arrangement_id, room_id, session_id, seat, ticket)
        for arrangement_id, registration_id, room_id, session_id, seat, ticket in (
            connection.execute(
                select(
                    Arrangement.id,
                    Arrangement.registration_id,
                    Arrangement.room_id,
                    Arrangement.session_id,
                    Arrangement.seat_number,
                    Arrangement.ticket_number,
                ).where(Arrangement.plan_id == plan.id)
            ).all()
        )
    }
    return _Inputs(
        registrations=registrations,
        subject_of=subject_of,
        sessions_of=dict(sessions_of),
        session_times=session_times,
        rooms=rooms,
        room_levels=dict(room_levels),
        sites_of_school=dict(sites_of_school),
        site_names={site_id: name for site_id, (_s, name) in sites.items()},
        school_names=school_names,
        existing=existing,
        multi_candidates=len({row[1] for row in registrations}) < len(registrations),
    )


def _overlaps(a: tuple[datetime, datetime], b: tuple[datetime, datetime]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


class _Planner:
    """Decides every seat in memory; nothing touches the database here."""

    def __init__(self, plan: ExamPlan, inputs: _Inputs, seed: int) -> None:
        self.plan = plan
        self.inputs = inputs
        self.seed = seed
        # registration id -> (room id, session id, seat or 0 until seats are dealt)
        self.placement: dict[int, list[int]] = {}
        self.kept_tickets: dict[int, str] = {}
        self.kept_count = 0
        self.new_count = 0
        self.moved: list[int] = []
        self.missing: dict[tuple, int] = defaultdict(int)
        # Filled only when some candidate has several registrations, because
        # otherwise no candidate can sit two sessions at once.
        self.candidate_times: dict[int, list[tuple]] = defaultdict(list)
        # room id -> list of (starts, ends, session id) the room is booked for
        self.room_bookings: dict[int, list[tuple]] = defaultdict(list)
        self.slots: dict[tuple[int, int], _RoomSlot] = {}
        self.open_slot: dict[tuple[int, int, int], _RoomSlot] = {}
        self.exhausted: set[tuple[int, int, int]] = set()
        self.registration_candidate: dict[int, int] = {}
        self.registration_school: dict[int, int] = {}
        self.rooms_for: dict[tuple[int, str, int], list[int]] = defaultdict(list)
        for room_id, (site_id, mode, _seats, _name) in inputs.rooms.items():
            for level_id in inputs.room_levels.get(room_id, ()):
                self.rooms_for[(site_id, mode, level_id)].append(room_id)

    def _slot(self, room_id: int, session_id: int) -> _RoomSlot:
        key = (room_id, session_id)
        slot = self.slots.get(key)
        if slot is None:
            seats = self.inputs.rooms[room_id][2]
            slot = _RoomSlot(room_id, session_id, list(range(seats, 0, -1)))
            self.slots[key] = slot
            starts, ends = self.inputs.session_times[session_id]
            self.room_bookings[room_id].append((starts, ends, session_id))
        return slot

    def _room_free_for(self, room_id: int, session_id: int) -> bool:
        times = self.inputs.session_times[session_id]
        return all(
            booked == session_id or not _overlaps(times, (starts, ends))
            for starts, ends, booked in self.room_bookings.get(room_id, ())
        )

    def _candidate_free(self, candidate_id: int, session_id: int) -> bool:
        times = self.inputs.session_times[session_id]
        return not any(
            _overlaps(times, other)
            for other in self.candidate_times.get(candidate_id, ())
        )

    def keep_valid_arrangements(self) -> None:
        """Keep each earlier seat that still obeys every rule."""
        inputs = self.inputs
        taken: set[tuple[int, int, int]] = set()
        session_ids_of = {
            plan_subject_id: {session_id for session_id, _a, _b in sessions}
            for plan_subject_id, sessions in inputs.sessions_of.items()
        }
        for (
            registration_id,
            candidate_id,
            school_id,
            plan_subject_id,
            level_id,
        ) in inputs.registrations:
            self.registration_school[registration_id] = school_id
            self.registration_candidate[registration_id] = candidate_id
            previous = inputs.existing.get(registration_id)
            if previous is None:
                continue
            _arrangement_id, room_id, session_id, seat, ticket = previous
            room = inputs.rooms.get(room_id)
            subject = inputs.subject_of.get(plan_subject_id)
            valid = (
                room is not None
                and subject is not None
                and session_id in session_ids_of.get(plan_subject_id, ())
                and room[1] == subject[1]
                and level_id in inputs.room_levels.get(room_id, ())
                and room[0] in inputs.sites_of_school.get(school_id, ())
                and 1 <= seat <= room[2]
                and (room_id, session_id, seat) not in taken
                and self._candidate_free(candidate_id, session_id)
                # A room and session that already have a slot passed this check
                # when the slot was made.
                and (
                    (room_id, session_id) in self.slots
                    or self._room_free_for(room_id, session_id)
                )
            )
            if not valid:
                self.moved.append(registration_id)
                continue
            slot = self._slot(room_id, session_id)
            slot.free_seats.remove(seat)
            taken.add((room_id, session_id, seat))
            if inputs.multi_candidates:
                self.candidate_times[candidate_id].append(
                    inputs.session_times[session_id]
                )
            self.placement[registration_id] = [room_id, session_id, seat]
            self.kept_tickets[registration_id] = ticket
            self.kept_count += 1

    def place_the_rest(self) -> None:
        """Seat every registration not kept, first fit by site and then session.

        Registrations are taken per subject and school in a seeded random order of
        candidates, so who lands in which room is reproducible from the seed.
        """
        # NOTE: first fit is greedy. With rooms shared by overlapping subjects it can
        # report missing seats where a cleverer packing of sessions would still fit.
        inputs = self.inputs
        rng = random.Random(self.seed)
        candidate_ids = sorted({row[1] for row in inputs.registrations})
        rng.shuffle(candidate_ids)
        rank = {candidate_id: index for index, candidate_id in enumerate(candidate_ids)}
        pending = sorted(
            (row for row in inputs.registrations if row[0] not in self.placement),
            key=lambda row: (row[3], row[2], rank[row[1]]),
        )
        groups: dict[tuple[int, int, int], list[tuple[int, int]]] = defaultdict(list)
        for (
            registration_id,
            candidate_id,
            school_id,
            plan_subject_id,
            level_id,
        ) in pending:
            groups[(plan_subject_id, school_id, level_id)].append(
                (registration_id, candidate_id)
            )
        for (plan_subject_id, school_id, level_id), members in groups.items():
            unplaced = self._place_group(plan_subject_id, school_id, level_id, members)
            for _registration_id, candidate_id in unplaced:
                self._count_missing(candidate_id, school_id, plan_subject_id)
        if not self.missing:
            self._deal_seats()

    def _place_group(
        self,
        plan_subject_id: int,
        school_id: int,
        level_id: int,
        members: list[tuple[int, int]],
    ) -> list[tuple[int, int]]:
        """Seat one school's registrations for one subject; return those left over."""
        inputs = self.inputs
        subject = inputs.subject_of.get(plan_subject_id)
        if subject is None:
            return members
        mode = subject[1]
        remaining = members
        for site_id in inputs.sites_of_school.get(school_id, ()):
            rooms = self.rooms_for.get((site_id, mode, level_id))
            if not rooms:
                continue
            for session_id, starts, ends in inputs.sessions_of.get(plan_subject_id, ()):
                if not remaining:
                    return remaining
                remaining = self._fill_session(
                    site_id,
                    mode,
                    level_id,
                    session_id,
                    (starts, ends),
                    rooms,
                    remaining,
                )
        return remaining

    def _fill_session(
        self,
        site_id: int,
        mode: str,
        level_id: int,
        session_id: int,
        times: tuple[datetime, datetime],
        rooms: list[int],
        members: list[tuple[int, int]],
    ) -> list[tuple[int, int]]:
        candidate_times = self.candidate_times
        multi_candidates = self.inputs.multi_candidates
        free, busy = [], []
        if not multi_candidates:
            # Nobody has a second registration, so nobody can be busy elsewhere.
            free = members
        else:
            for member in members:
                others = candidate_times.get(member[1])
                if others and any(_overlaps(times, other) for other in others):
                    busy.append(member)
                else:
                    free.append(member)
        while free:
            slot = self._find_slot(site_id, mode, level_id, session_id, rooms)
            if slot is None:
                break
            take = min(len(slot.free_seats), len(free))
            chunk, free = free[:take], free[take:]
            slot.newcomer_seats.extend(slot.free_seats[-take:])
            del slot.free_seats[-take:]
            for registration_id, candidate_id in chunk:
                slot.newcomers.append(registration_id)
                if multi_candidates:
                    candidate_times[candidate_id].append(times)
                self.placement[registration_id] = [slot.room_id, session_id, 0]
            self.new_count += take
        return busy + free

    def _find_slot(
        self, site_id: int, mode: str, level_id: int, session_id: int, rooms: list[int]
    ) -> _RoomSlot | None:
        key = (site_id, level_id, session_id)
        if key in self.exhausted:
            return None
        slot = self.open_slot.get(key)
        if slot is not None and slot.free_seats:
            return slot
        for room_id in rooms:
            existing = self.slots.get((room_id, session_id))
            if existing is not None:
                if existing.free_seats:
                    self.open_slot[key] = existing
                    return existing
                continue
            if self._room_free_for(room_id, session_id):
                slot = self._slot(room_id, session_id)
                if slot.free_seats:
                    self.open_slot[key] = slot
                    return slot
        # Bookings only grow during a run, so a key found full stays full.
        self.exhausted.add(key)
        return None

    def _count_missing(
        self, candidate_id: int, school_id: int, plan_subject_id: int
    ) -> None:
        inputs = self.inputs
        sites = inputs.sites_of_school.get(school_id) or [None]
        sessions = inputs.sessions_of.get(plan_subject_id) or [(None, None, None)]
        session_id = next(
            (
                s
                for s, _a, _b in sessions
                if s is not None and self._candidate_free(candidate_id, s)
            ),
            sessions[0][0],
        )
        self.missing[(sites[0], school_id, plan_subject_id, session_id)] += 1

    def _deal_seats(self) -> None:
        """Give newcomers their seats: seeded order, alternating schools per room."""
        for slot in self.slots.values():
            if not slot.newcomers:
                continue
            rng = random.Random(f"{self.seed}:{slot.room_id}:{slot.session_id}")
            by_school: dict[int, list[int]] = defaultdict(list)
            for registration_id in slot.newcomers:
                by_school[self.registration_school[registration_id]].append(
                    registration_id
                )
            groups = sorted(by_school.values(), key=lambda ids: (-len(ids), ids[0]))
            for ids in groups:
                rng.shuffle(ids)
            seats = sorted(slot.newcomer_seats)
            order = _interleave(groups)
            for registration_id, seat in zip(order, seats, strict=True):
                self.placement[registration_id][2] = seat

    def missing_report(self) -> list[dict]:
        inputs = self.inputs
        rows = []
        for (site_id, school_id, plan_subject_id, session_id), count in sorted(
            self.missing.items(), key=lambda item: [str(part) for part in item[0]]
        ):
            subject = inputs.subject_of.get(plan_subject_id)
            times = inputs.session_times.get(session_id)
            rows.append(
                {
                    "site": inputs.site_names.get(site_id)
                    or f"（{inputs.school_names.get(school_id, '')}无可用考核站点）",
                    "subject": subject[2] if subject else str(plan_subject_id),
                    "session": _session_label(times) if times else "（未设置场次）",
                    "missing": count,
                }
            )
        return rows

    def moved_report(self) -> list[dict]:
        rooms = self.inputs.rooms
        rows = []
        for registration_id in self.moved:
            before = self.inputs.existing[registration_id]
            after = self.placement.get(registration_id)
            rows.append(
                {
                    "registration_id": registration_id,
                    "candidate_id": self.registration_candidate[registration_id],
                    "from": _seat_label(rooms, before[1], before[3]),
                    "to": _seat_label(rooms, after[0], after[2]) if after else "",
                }
            )
        return rows


def _interleave(groups: list[list[int]]) -> list[int]:
    """Take one from each school in turn, so classmates do not sit side by side."""
    order: list[int] = []
    longest = max((len(ids) for ids in groups), default=0)
    for index in range(longest):
        for ids in groups:
            if index < len(ids):
                order.append(ids[index])
    return order


def _session_label(times: tuple[datetime, datetime]) -> str:
    starts, ends = times
    return f"{format_beijing(starts)}~{format_beijing(ends, '%H:%M')}"


def _seat_label(rooms: dict, room_id: int, seat: int) -> str:
    room = rooms.get(room_id)
    return f"{room[3]} {seat}号" if room else f"考场{room_id}（已删除） {seat}号"


def _write(session: Session, plan: ExamPlan, planner: _Planner) -> None:
    """Replace the plan's arrangements that changed, with bulk statements."""
    inputs = planner.inputs
    stale = [
        values[0]
        for registration_id, values in inputs.existing.items()
        if registration_id not in planner.kept_tickets
    ]
    for start in range(0, len(stale), _CHUNK):
        session.connection().execute(
            delete(Arrangement).where(Arrangement.id.in_(stale[start : start + _CHUNK]))
        )

    now = clock.now()
    prefixes = _ticket_prefixes(plan, planner)
    plan_id = plan.id
    rooms = inputs.rooms
    rows = [
        (
            registration_id,
            plan_id,
            rooms[room_id][0],
            room_id,
            session_id,
            seat,
            f"{prefixes[(room_id, session_id)]}{seat:03d}",
        )
        for registration_id, (room_id, session_id, seat) in planner.placement.items()
        if registration_id not in planner.kept_tickets
    ]
    _insert_arrangements(session, rows, now)

    # A run writes only when it seated every eligible registration, so they all
    # become scheduled without looking them up in the arrangements.
    connection = session.connection()
    connection.execute(
        update(Registration)
        .where(
            _eligible(session, plan),
            Registration.status != RegistrationStatus.SCHEDULED,
        )
        .values(status=RegistrationStatus.SCHEDULED)
    )
    unseated = [
        registration_id
        for registration_id in inputs.existing
        if registration_id not in planner.placement
    ]
    for start in range(0, len(unseated), _CHUNK):
        chunk = unseated[start : start + _CHUNK]
        for paid, status in (
            (True, RegistrationStatus.PAID),
            (False, RegistrationStatus.REGISTERED),
        ):
            connection.execute(
                update(Registration)
                .where(
                    Registration.id.in_(chunk),
                    Registration.paid_at.is_not(None)
                    if paid
                    else Registration.paid_at.is_(None),
                )
                .values(status=status)
            )
    session.expire_all()


def _ticket_prefixes(plan: ExamPlan, planner: _Planner) -> dict[tuple[int, int], str]:
    """Return the first 17 ticket digits per room and session, checking uniqueness."""
    exam_year = to_beijing(plan.exam_start).year
    rooms = planner.inputs.rooms
    prefixes = {}
    short_ids: dict[int, dict[int, int]] = defaultdict(dict)
    for room_id, session_id in planner.slots:
        seen = short_ids[room_id].setdefault(session_id % 10_000, session_id)
        if seen != session_id or room_id > MAX_ROOM_ID or rooms[room_id][2] > MAX_SEATS:
            raise ServiceError(
                f"考场 {rooms[room_id][3]}（编号 {room_id}）无法生成唯一的准考证号："
                "考场编号超过 6 位、座位数超过 999 或两个场次编号冲突，请联系平台运营"
            )
        prefixes[(room_id, session_id)] = ticket_number(
            exam_year=exam_year,
            plan_id=plan.id,
            room_id=room_id,
            session_id=session_id,
            seat=0,
        )[:17]
    return prefixes


def _insert_arrangements(session: Session, rows: list[tuple], now: datetime) -> None:
    """Insert arrangement rows through the driver's executemany.

    The ORM's bulk path converts every row through its column types, which costs
    more than the insert itself at 100,000 rows; the timestamp is bound once here.
    """
    connection = session.connection()
    # Convert the one timestamp through the column type and the dialect's own
    # processor once, so the driver does not format a datetime for every row.
    column_type = Arrangement.__table__.c.created_at.type.dialect_impl(
        connection.dialect
    )
    to_driver = column_type.bind_processor(connection.dialect)
    stamp = to_driver(now) if to_driver is not None else now
    table = Arrangement.__tablename__
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    statement = (
        f"INSERT INTO {table} (registration_id, plan_id, site_id, room_id, session_id,"
        f" seat_number, ticket_number, created_at) VALUES ({', '.join([marker] * 8)})"
    )
    for start in range(0, len(rows), _CHUNK):
        chunk = [row + (stamp,) for row in rows[start : start + _CHUNK]]
        connection.exec_driver_sql(statement, chunk)


def candidate_name_map(session: Session, candidate_ids: list[int]) -> dict[int, str]:
    """Return candidate names by id, for reports."""
    if not candidate_ids:
        return {}
    return dict(
        session.execute(
            select(Candidate.id, Candidate.name).where(Candidate.id.in_(candidate_ids))
        ).all()
    )
