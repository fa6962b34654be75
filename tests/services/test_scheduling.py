from collections import Counter

import pytest
from sqlalchemy import delete, select

from tests.factories import make_actor
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
from xcert_app.models.accounts import Role
from xcert_app.models.catalogue import CertificateLevel, ExamPlan
from xcert_app.models.registrations import Registration, RegistrationStatus
from xcert_app.models.scheduling import Arrangement, ScheduleRun
from xcert_app.models.sites import Room, RoomCertificate, SiteStatus
from xcert_app.services import scheduling
from xcert_app.services.errors import AccessDenied, ServiceError


def _arrangements(session, plan_id):
    return session.execute(
        select(
            Arrangement.registration_id,
            Arrangement.room_id,
            Arrangement.session_id,
            Arrangement.seat_number,
            Arrangement.ticket_number,
            Registration.candidate_id,
            Registration.school_id,
            Registration.plan_subject_id,
        )
        .join(Registration, Registration.id == Arrangement.registration_id)
        .where(Arrangement.plan_id == plan_id)
    ).all()


def test_every_paid_registration_gets_a_seat_and_ticket(session):
    setup = make_plan(session)
    school = make_school(session)
    site = make_site(session, setup, school)
    room = make_room(session, setup, site, seats=30)
    register(session, setup, school, make_candidates(session, school, 25), "基础考核")

    result = scheduling.schedule_plan(
        session, actor=setup.org_actor, plan_id=setup.plan.id, seed=7
    )

    assert result.ok
    assert result.placed_count == 25
    rows = _arrangements(session, setup.plan.id)
    assert len(rows) == 25
    assert {row.room_id for row in rows} == {room.id}
    assert sorted(row.seat_number for row in rows) == list(range(1, 26))
    assert all(len(row.ticket_number) == 20 for row in rows)
    assert all(row.ticket_number.isdigit() for row in rows)
    assert len({row.ticket_number for row in rows}) == 25
    statuses = session.scalars(
        select(Registration.status).where(Registration.plan_id == setup.plan.id)
    ).all()
    assert set(statuses) == {RegistrationStatus.SCHEDULED}


def test_ticket_number_structure():
    number = scheduling.ticket_number(
        exam_year=2026, plan_id=12, room_id=345, session_id=6789, seat=57
    )
    assert number == "26000120003456789057"


def test_seed_is_stored_and_reproduces_seats(session):
    setup = make_plan(session)
    school = make_school(session)
    site = make_site(session, setup, school)
    make_room(session, setup, site, seats=40)
    register(session, setup, school, make_candidates(session, school, 30), "基础考核")

    first = scheduling.schedule_plan(
        session, actor=setup.org_actor, plan_id=setup.plan.id, seed=424242
    )
    seats_first = {
        row.registration_id: row.seat_number
        for row in _arrangements(session, setup.plan.id)
    }
    session.execute(delete(Arrangement))
    scheduling.schedule_plan(
        session, actor=setup.org_actor, plan_id=setup.plan.id, seed=424242
    )
    seats_again = {
        row.registration_id: row.seat_number
        for row in _arrangements(session, setup.plan.id)
    }

    assert seats_first == seats_again
    assert session.get(ScheduleRun, first.run_id).seed == 424242
    assert session.get(ExamPlan, setup.plan.id).schedule_seed == 424242
    assert seats_first != dict(zip(sorted(seats_first), range(1, 31), strict=True))


def test_unpaid_registration_is_not_seated_when_payment_required(session):
    setup = make_plan(session, requires_payment=True)
    school = make_school(session)
    site = make_site(session, setup, school)
    make_room(session, setup, site, seats=10)
    register(session, setup, school, make_candidates(session, school, 3), "基础考核")
    register(
        session,
        setup,
        school,
        make_candidates(session, school, 2),
        "基础考核",
        paid=False,
    )

    result = scheduling.schedule_plan(
        session, actor=setup.org_actor, plan_id=setup.plan.id, seed=1
    )

    assert result.placed_count == 3


def test_room_type_must_match_subject_mode(session):
    setup = make_plan(session, subjects=(("实操考核", "实操", 14, 17),))
    school = make_school(session)
    site = make_site(session, setup, school)
    make_room(session, setup, site, seats=50, mode="机考")
    practical = make_room(session, setup, site, seats=5, mode="实操")
    register(session, setup, school, make_candidates(session, school, 5), "实操考核")

    result = scheduling.schedule_plan(
        session, actor=setup.org_actor, plan_id=setup.plan.id, seed=1
    )

    assert result.ok
    assert {row.room_id for row in _arrangements(session, setup.plan.id)} == {
        practical.id
    }


def test_room_is_used_only_for_listed_certificates(session):
    setup = make_plan(session)
    other_level = CertificateLevel(
        certificate_id=session.get(CertificateLevel, setup.level.id).certificate_id,
        level="中级",
    )
    session.add(other_level)
    session.flush()
    school = make_school(session)
    site = make_site(session, setup, school)
    make_room(session, setup, site, seats=50, levels=[other_level])
    listed = make_room(session, setup, site, seats=4)
    register(session, setup, school, make_candidates(session, school, 4), "基础考核")

    scheduling.schedule_plan(session, actor=setup.org_actor, plan_id=setup.plan.id)

    assert {row.room_id for row in _arrangements(session, setup.plan.id)} == {listed.id}


def test_seat_holds_one_candidate_per_session(session):
    setup = make_plan(session, sessions_per_subject=2)
    school = make_school(session)
    site = make_site(session, setup, school)
    make_room(session, setup, site, seats=10)
    register(session, setup, school, make_candidates(session, school, 20), "基础考核")

    result = scheduling.schedule_plan(
        session, actor=setup.org_actor, plan_id=setup.plan.id, seed=3
    )

    assert result.ok
    rows = _arrangements(session, setup.plan.id)
    seats = Counter((row.room_id, row.session_id, row.seat_number) for row in rows)
    assert max(seats.values()) == 1
    assert Counter(row.session_id for row in rows) == {
        setup.sessions["基础考核"][0].id: 10,
        setup.sessions["基础考核"][1].id: 10,
    }


def test_candidate_never_sits_overlapping_sessions(session):
    setup = make_plan(
        session,
        subjects=(("基础考核", "机考", 9, 11), ("综合应用考核", "机考", 10, 12)),
        sessions_per_subject=2,
    )
    school = make_school(session)
    site = make_site(session, setup, school)
    make_room(session, setup, site, seats=10)
    make_room(session, setup, site, seats=10)
    candidates = make_candidates(session, school, 8)
    register(session, setup, school, candidates, "基础考核")
    register(session, setup, school, candidates, "综合应用考核")

    result = scheduling.schedule_plan(
        session, actor=setup.org_actor, plan_id=setup.plan.id, seed=5
    )

    assert result.ok
    starts = {
        sitting.id: (sitting.starts_at, sitting.ends_at)
        for sittings in setup.sessions.values()
        for sitting in sittings
    }
    by_candidate = {}
    for row in _arrangements(session, setup.plan.id):
        by_candidate.setdefault(row.candidate_id, []).append(starts[row.session_id])
    for times in by_candidate.values():
        (a_start, a_end), (b_start, b_end) = times
        assert a_end <= b_start or b_end <= a_start


def test_room_never_hosts_two_overlapping_sessions(session):
    setup = make_plan(
        session,
        subjects=(("基础考核", "机考", 9, 11), ("综合应用考核", "机考", 9, 11)),
    )
    school = make_school(session)
    site = make_site(session, setup, school)
    first = make_room(session, setup, site, seats=10)
    second = make_room(session, setup, site, seats=10)
    register(session, setup, school, make_candidates(session, school, 3), "基础考核")
    register(
        session, setup, school, make_candidates(session, school, 3), "综合应用考核"
    )

    scheduling.schedule_plan(session, actor=setup.org_actor, plan_id=setup.plan.id)

    rooms = {
        row.plan_subject_id: row.room_id
        for row in _arrangements(session, setup.plan.id)
    }
    assert set(rooms.values()) == {first.id, second.id}


def test_candidates_sit_at_own_site_or_lent_site(session):
    setup = make_plan(session)
    host = make_school(session, "主办学院")
    guest = make_school(session, "借考学院")
    stranger = make_school(session, "其他学院")
    host_site = make_site(session, setup, host)
    stranger_site = make_site(session, setup, stranger)
    make_room(session, setup, stranger_site, seats=100)
    host_room = make_room(session, setup, host_site, seats=20)
    lend_site(session, setup, guest, host_site)
    register(session, setup, host, make_candidates(session, host, 5), "基础考核")
    register(session, setup, guest, make_candidates(session, guest, 5), "基础考核")

    result = scheduling.schedule_plan(
        session, actor=setup.org_actor, plan_id=setup.plan.id, seed=9
    )

    assert result.ok
    assert {row.room_id for row in _arrangements(session, setup.plan.id)} == {
        host_room.id
    }


def test_unapproved_site_is_not_used(session):
    setup = make_plan(session)
    school = make_school(session)
    site = make_site(session, setup, school, status=SiteStatus.PENDING)
    make_room(session, setup, site, seats=10)
    register(session, setup, school, make_candidates(session, school, 2), "基础考核")

    result = scheduling.schedule_plan(
        session, actor=setup.org_actor, plan_id=setup.plan.id
    )

    assert not result.ok
    assert result.missing[0]["missing"] == 2
    assert "无可用考核站点" in result.missing[0]["site"]


def test_mixed_room_alternates_schools(session):
    setup = make_plan(session)
    host = make_school(session, "主办学院")
    guest = make_school(session, "借考学院")
    site = make_site(session, setup, host)
    make_room(session, setup, site, seats=20)
    lend_site(session, setup, guest, site)
    register(session, setup, host, make_candidates(session, host, 10), "基础考核")
    register(session, setup, guest, make_candidates(session, guest, 10), "基础考核")

    scheduling.schedule_plan(session, actor=setup.org_actor, plan_id=setup.plan.id)

    by_seat = sorted(
        (row.seat_number, row.school_id)
        for row in _arrangements(session, setup.plan.id)
    )
    neighbours_same_school = sum(
        1 for (_a, x), (_b, y) in zip(by_seat, by_seat[1:], strict=False) if x == y
    )
    assert neighbours_same_school == 0


def test_too_few_seats_changes_nothing_and_reports(session):
    setup = make_plan(session)
    school = make_school(session)
    site = make_site(session, setup, school)
    make_room(session, setup, site, seats=10)
    register(session, setup, school, make_candidates(session, school, 13), "基础考核")

    result = scheduling.schedule_plan(
        session, actor=setup.org_actor, plan_id=setup.plan.id, seed=2
    )

    assert not result.ok
    assert result.placed_count == 0
    assert _arrangements(session, setup.plan.id) == []
    assert len(result.missing) == 1
    assert result.missing[0]["missing"] == 3
    assert result.missing[0]["site"] == site.name
    assert "基础考核" in result.missing[0]["subject"]
    assert result.missing[0]["session"].startswith("2026-12-22 09:00")
    run = session.get(ScheduleRun, result.run_id)
    assert run.report["ok"] is False


def test_rerun_after_new_registration_moves_nobody(session):
    setup = make_plan(session)
    school = make_school(session)
    site = make_site(session, setup, school)
    make_room(session, setup, site, seats=30)
    register(session, setup, school, make_candidates(session, school, 20), "基础考核")
    scheduling.schedule_plan(session, actor=setup.org_actor, plan_id=setup.plan.id)
    before = {row.registration_id: row for row in _arrangements(session, setup.plan.id)}

    register(session, setup, school, make_candidates(session, school, 1), "基础考核")
    result = scheduling.schedule_plan(
        session, actor=setup.org_actor, plan_id=setup.plan.id
    )

    after = {row.registration_id: row for row in _arrangements(session, setup.plan.id)}
    assert result.moved_count == 0
    assert result.kept_count == 20
    assert result.new_count == 1
    assert len(after) == 21
    for registration_id, row in before.items():
        assert after[registration_id].seat_number == row.seat_number
        assert after[registration_id].ticket_number == row.ticket_number


def test_rerun_after_room_removed_moves_only_its_candidates(session):
    setup = make_plan(session)
    school = make_school(session)
    site = make_site(session, setup, school)
    kept_room = make_room(session, setup, site, seats=10)
    removed_room = make_room(session, setup, site, seats=10)
    spare_room = make_room(session, setup, site, seats=10)
    register(session, setup, school, make_candidates(session, school, 15), "基础考核")
    scheduling.schedule_plan(session, actor=setup.org_actor, plan_id=setup.plan.id)
    before = {row.registration_id: row for row in _arrangements(session, setup.plan.id)}
    in_removed = {r for r, row in before.items() if row.room_id == removed_room.id}
    assert len(in_removed) == 5

    session.execute(delete(Arrangement).where(Arrangement.room_id == removed_room.id))
    session.execute(
        delete(RoomCertificate).where(RoomCertificate.room_id == removed_room.id)
    )
    session.execute(delete(Room).where(Room.id == removed_room.id))
    result = scheduling.schedule_plan(
        session, actor=setup.org_actor, plan_id=setup.plan.id
    )

    after = {row.registration_id: row for row in _arrangements(session, setup.plan.id)}
    assert result.ok
    assert result.kept_count == 10
    assert len(after) == 15
    for registration_id, row in before.items():
        if registration_id in in_removed:
            assert after[registration_id].room_id == spare_room.id
        else:
            assert after[registration_id].room_id == kept_room.id
            assert after[registration_id].ticket_number == row.ticket_number


def test_rerun_reports_moved_candidates_when_room_shrinks(session):
    setup = make_plan(session)
    school = make_school(session)
    site = make_site(session, setup, school)
    room = make_room(session, setup, site, seats=10)
    make_room(session, setup, site, seats=10)
    register(
        session,
        setup,
        school,
        make_candidates(session, school, 10, names=[f"学生{i}" for i in range(10)]),
        "基础考核",
    )
    scheduling.schedule_plan(session, actor=setup.org_actor, plan_id=setup.plan.id)

    room.seats = 8
    session.add(room)
    session.flush()
    result = scheduling.schedule_plan(
        session, actor=setup.org_actor, plan_id=setup.plan.id
    )

    assert result.moved_count == 2
    assert result.kept_count == 8
    assert {row["name"] for row in result.moved} <= {f"学生{i}" for i in range(10)}
    assert all(row["to"] for row in result.moved)


def test_other_organisation_cannot_schedule_plan(session):
    setup = make_plan(session)
    other = make_plan(session)

    with pytest.raises(AccessDenied):
        scheduling.schedule_plan(session, actor=other.org_actor, plan_id=setup.plan.id)


def test_school_cannot_schedule(session):
    setup = make_plan(session)
    school = make_school(session)
    actor = make_actor(session, role=Role.SCHOOL_ADMIN, organisation=school)

    with pytest.raises(AccessDenied):
        scheduling.schedule_plan(session, actor=actor, plan_id=setup.plan.id)


def five_registered(session):
    """Return a plan with one 30-seat room and five paid registrations of one school."""
    setup = make_plan(session)
    school = make_school(session)
    site = make_site(session, setup, school)
    make_room(session, setup, site, seats=30)
    register(session, setup, school, make_candidates(session, school, 5), "基础考核")
    return setup


def test_scheduling_closes_at_first_session(session, frozen_clock):
    setup = five_registered(session)
    frozen_clock.set(beijing(2026, 12, 22, 9, 0))

    with pytest.raises(ServiceError) as caught:
        scheduling.schedule_plan(session, actor=setup.org_actor, plan_id=setup.plan.id)

    assert setup.plan.code in caught.value.message
    assert "2026-12-22 09:00" in caught.value.message
    assert "不能再排考" in caught.value.message
    assert _arrangements(session, setup.plan.id) == []
    runs = session.scalars(
        select(ScheduleRun).where(ScheduleRun.plan_id == setup.plan.id)
    ).all()
    assert runs == []


def test_scheduling_open_before_first_session(session, frozen_clock):
    setup = five_registered(session)
    frozen_clock.set(beijing(2026, 12, 22, 8, 59))

    reason = scheduling.scheduling_closed_reason(
        session, actor=setup.org_actor, plan_id=setup.plan.id
    )
    result = scheduling.schedule_plan(
        session, actor=setup.org_actor, plan_id=setup.plan.id
    )

    assert reason == ""
    assert result.ok
    assert result.placed_count == 5


def test_rerun_after_exam_start_rejected(session, frozen_clock):
    setup = five_registered(session)
    scheduling.schedule_plan(session, actor=setup.org_actor, plan_id=setup.plan.id)
    before = sorted(_arrangements(session, setup.plan.id))
    frozen_clock.set(beijing(2026, 12, 23, 14, 0))

    reason = scheduling.scheduling_closed_reason(
        session, actor=setup.org_actor, plan_id=setup.plan.id
    )
    with pytest.raises(ServiceError, match="已开考"):
        scheduling.schedule_plan(session, actor=setup.org_actor, plan_id=setup.plan.id)

    assert setup.plan.code in reason
    assert "2026-12-22 09:00" in reason
    assert sorted(_arrangements(session, setup.plan.id)) == before


def test_closed_reason_hidden_from_other_org(session, frozen_clock):
    setup = make_plan(session)
    other = make_plan(session)

    with pytest.raises(AccessDenied):
        scheduling.scheduling_closed_reason(
            session, actor=other.org_actor, plan_id=setup.plan.id
        )


def test_plan_without_paid_registrations_is_rejected(session):
    setup = make_plan(session, requires_payment=True)
    school = make_school(session)
    site = make_site(session, setup, school)
    make_room(session, setup, site, seats=10)
    register(
        session,
        setup,
        school,
        make_candidates(session, school, 2),
        "基础考核",
        paid=False,
    )

    with pytest.raises(ServiceError) as caught:
        scheduling.schedule_plan(session, actor=setup.org_actor, plan_id=setup.plan.id)

    message = caught.value.message
    assert message == f"考试计划 {setup.plan.code} 还没有已缴费的报名，无需排考"
    reason = scheduling.scheduling_closed_reason(
        session, actor=setup.org_actor, plan_id=setup.plan.id
    )
    assert reason == message
    assert _arrangements(session, setup.plan.id) == []
    runs = session.scalars(
        select(ScheduleRun).where(ScheduleRun.plan_id == setup.plan.id)
    ).all()
    assert runs == []
    assert session.get(ExamPlan, setup.plan.id).schedule_seed is None


def test_free_plan_without_registrations_rejected(session):
    setup = make_plan(session, requires_payment=False)
    school = make_school(session)
    site = make_site(session, setup, school)
    make_room(session, setup, site, seats=10)

    with pytest.raises(ServiceError) as caught:
        scheduling.schedule_plan(session, actor=setup.org_actor, plan_id=setup.plan.id)

    assert caught.value.message == f"考试计划 {setup.plan.code} 还没有报名，无需排考"
    runs = session.scalars(
        select(ScheduleRun).where(ScheduleRun.plan_id == setup.plan.id)
    ).all()
    assert runs == []
