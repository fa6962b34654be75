from datetime import timedelta

import pytest
from sqlmodel import select

from tests.factories_todo import approved_demo_site, register_demo_candidates
from xcert_app.clock import beijing
from xcert_app.models.accounts import Account
from xcert_app.models.candidates import Candidate, VerificationStatus
from xcert_app.models.catalogue import ExamPlan
from xcert_app.models.declarations import (
    Declaration,
    DeclarationPlan,
    DeclarationStatus,
)
from xcert_app.models.orgs import Organisation
from xcert_app.services import accounts, demo, todo
from xcert_app.services.todo import describe_deadline


@pytest.fixture
def year(session):
    demo.load_demo(session)
    session.flush()
    return session


def actor(session, username):
    account = session.exec(select(Account).where(Account.username == username)).one()
    return accounts.actor_for_account(session, account)


def keys(items):
    return {item.key: item for item in items}


def test_base_info_item_until_completed(year, frozen_clock):
    school_actor = actor(year, "bpi_head")
    assert "base_info" in keys(todo.items_for(year, actor=school_actor))
    school = year.get(Organisation, school_actor.organisation_id)
    school.base_info_completed_at = frozen_clock.now()
    year.add(school)
    assert "base_info" not in keys(todo.items_for(year, actor=school_actor))


def test_draft_declaration_item_shows_window_deadline(year):
    school_actor = actor(year, "bpi_head")
    plan = year.exec(select(DeclarationPlan)).one()
    declaration = Declaration(
        plan_id=plan.id,
        school_id=school_actor.organisation_id,
        certificate_id=1,
        planned_count=10,
    )
    year.add(declaration)
    year.flush()
    item = keys(todo.items_for(year, actor=school_actor))["declaration_drafts"]
    assert item.count == 1
    assert item.link == "/school/declarations?status=draft"
    assert item.deadline == plan.closes_at
    declaration.status = DeclarationStatus.PENDING_CITY
    year.add(declaration)
    assert "declaration_drafts" not in keys(todo.items_for(year, actor=school_actor))


def test_candidate_confirmation_and_photo_items(year):
    school_actor = actor(year, "cnu_admin")
    items = keys(todo.items_for(year, actor=school_actor))
    assert items["photos_missing"].count == 4
    assert "candidates_confirm" not in items
    candidate = year.exec(select(Candidate)).first()
    candidate.verification_status = VerificationStatus.NEEDS_CONFIRMATION
    year.add(candidate)
    assert (
        keys(todo.items_for(year, actor=school_actor))["candidates_confirm"].count == 1
    )


def test_reviewer_sees_pending_declarations_at_their_level(year, frozen_clock):
    school = year.exec(
        select(Organisation).where(Organisation.institution_code == "4111010858")
    ).one()
    plan = year.exec(select(DeclarationPlan)).one()
    year.add(
        Declaration(
            plan_id=plan.id,
            school_id=school.id,
            certificate_id=1,
            planned_count=10,
            status=DeclarationStatus.PENDING_CITY,
            submitted_at=frozen_clock.now() - timedelta(days=2),
        )
    )
    year.flush()
    city_items = todo.items_for(year, actor=actor(year, "bj_city"))
    assert [item.count for item in city_items] == [1]
    assert "最早提交于" in city_items[0].title
    assert todo.items_for(year, actor=actor(year, "bj_province")) == []


def test_deadline_text_follows_clock_across_window_edge(frozen_clock):
    deadline = beijing(2026, 12, 14, 23, 59, 59)
    frozen_clock.set(beijing(2026, 12, 11, 9, 0))
    assert describe_deadline(deadline, frozen_clock.now()).startswith("截止还有 3 天")
    frozen_clock.set(beijing(2026, 12, 14, 21, 0))
    assert describe_deadline(deadline, frozen_clock.now()).startswith(
        "今天截止，还有 2 小时"
    )
    frozen_clock.set(beijing(2026, 12, 14, 23, 59, 59))
    assert describe_deadline(deadline, frozen_clock.now()).startswith("即将截止")
    frozen_clock.set(beijing(2026, 12, 15, 0, 0, 0))
    assert describe_deadline(deadline, frozen_clock.now()).startswith("已截止")


def test_org_sees_nothing_before_registrations(year):
    org_actor = actor(year, "wuliu_org")
    assert todo.items_for(year, actor=org_actor) == []
    plan = year.exec(select(ExamPlan)).one()
    assert plan.org_id == org_actor.organisation_id


def test_seat_shortage_names_each_exam_mode(year):
    school_actor = actor(year, "cnu_admin")
    registrations = register_demo_candidates(year, school_actor)
    register_demo_candidates(year, school_actor, subject_code="609371")
    approved_demo_site(year, school_actor, seats=1)
    plan = year.exec(select(ExamPlan)).one()

    item = keys(todo.items_for(year, actor=school_actor))[f"rooms_short_{plan.id}"]

    assert len(registrations) == 4
    assert item.title == f"{plan.name}：考场座位不足，机考缺 3 座、实操缺 4 座"
    assert item.count == 7


def test_seat_shortage_and_unpaid_items_follow_the_data(year):
    school_actor = actor(year, "cnu_admin")
    registrations = register_demo_candidates(year, school_actor)
    items = keys(todo.items_for(year, actor=school_actor))
    plan = year.exec(select(ExamPlan)).one()
    assert items[f"rooms_short_{plan.id}"].count == 4
    assert (
        items[f"rooms_short_{plan.id}"].title
        == f"{plan.name}：考场座位不足，机考缺 4 座"
    )
    assert items[f"unpaid_{plan.id}"].count == 4
    assert items[f"unpaid_{plan.id}"].deadline == plan.registration_end

    approved_demo_site(year, school_actor, seats=4)
    for registration in registrations:
        registration.status = "paid"
        year.add(registration)
    year.flush()
    items = keys(todo.items_for(year, actor=school_actor))
    assert f"rooms_short_{plan.id}" not in items
    assert f"unpaid_{plan.id}" not in items


def test_invigilator_item_until_a_duty_is_set(year):
    from xcert_app.models.accounts import StaffMember
    from xcert_app.models.catalogue import PlanSession
    from xcert_app.models.scheduling import Arrangement, RoomDuty

    school_actor = actor(year, "cnu_admin")
    [registration, *_] = register_demo_candidates(year, school_actor)
    site, room = approved_demo_site(year, school_actor, seats=4)
    sitting = year.exec(
        select(PlanSession).where(
            PlanSession.plan_subject_id == registration.plan_subject_id
        )
    ).first()
    year.add(
        Arrangement(
            registration_id=registration.id,
            plan_id=registration.plan_id,
            site_id=site.id,
            room_id=room.id,
            session_id=sitting.id,
            seat_number=1,
            ticket_number="26000010000010001001",
        )
    )
    year.flush()
    plan = year.exec(select(ExamPlan)).one()
    item = keys(todo.items_for(year, actor=school_actor))[f"invigilators_{plan.id}"]
    assert item.count == 1
    assert item.deadline == plan.exam_start

    staff = StaffMember(organisation_id=school_actor.organisation_id, name="赵监考")
    year.add(staff)
    year.flush()
    year.add(
        RoomDuty(
            room_id=room.id,
            session_id=sitting.id,
            staff_id=staff.id,
            duty="invigilator",
        )
    )
    year.flush()
    assert f"invigilators_{plan.id}" not in keys(
        todo.items_for(year, actor=school_actor)
    )


def test_org_items_for_sites_orders_scheduling_and_scores(year, frozen_clock):
    from xcert_app.models.registrations import PaymentOrder
    from xcert_app.models.sites import ExamSite, SiteStatus

    org_actor = actor(year, "wuliu_org")
    school_actor = actor(year, "cnu_admin")
    site, _room = approved_demo_site(year, school_actor, seats=4)
    site.status = SiteStatus.PENDING
    year.add(site)
    plan = year.exec(select(ExamPlan)).one()
    year.add(
        PaymentOrder(
            number="JF20261204000001",
            school_id=school_actor.organisation_id,
            org_id=org_actor.organisation_id,
            plan_id=plan.id,
            basis="subject",
        )
    )
    register_demo_candidates(year, school_actor)
    items = keys(todo.items_for(year, actor=org_actor))
    assert items["site_review"].count == 1
    assert items["order_review"].count == 1
    assert f"schedule_{plan.id}" not in items  # registration is still open

    frozen_clock.set(plan.registration_end + timedelta(seconds=1))
    items = keys(todo.items_for(year, actor=org_actor))
    assert items[f"schedule_{plan.id}"].count == 4
    assert items[f"schedule_{plan.id}"].deadline == plan.ticket_start

    year.get(ExamSite, site.id).status = SiteStatus.APPROVED
    year.flush()
    assert "site_review" not in keys(todo.items_for(year, actor=org_actor))


def test_signing_items_for_school_head_and_org(year, frozen_clock):
    from xcert_app.models.catalogue import CertificateLevel
    from xcert_app.models.issuance import IssuanceRecord
    from xcert_app.models.scores import CertificateResult

    head = actor(year, "cnu_head")
    org_actor = actor(year, "wuliu_org")
    plan = year.exec(select(ExamPlan)).one()
    candidate = year.exec(select(Candidate)).first()
    level = year.exec(select(CertificateLevel)).first()
    from xcert_app.models.catalogue import PlanLevel

    plan_level = year.exec(
        select(PlanLevel).where(PlanLevel.certificate_level_id == level.id)
    ).one()
    result = CertificateResult(
        plan_id=plan.id,
        plan_level_id=plan_level.id,
        candidate_id=candidate.id,
        school_id=head.organisation_id,
        passed=True,
    )
    year.add(result)
    year.flush()
    record = IssuanceRecord(
        result_id=result.id,
        certificate_number="1560003101561001200045",
        candidate_id=candidate.id,
        school_id=head.organisation_id,
        org_id=org_actor.organisation_id,
        plan_id=plan.id,
        certificate_level_id=level.id,
    )
    year.add(record)
    year.flush()
    # Certificates wait for signatures only once publication has locked the scores.
    assert "school_signing" not in keys(todo.items_for(year, actor=head))
    frozen_clock.set(plan.publication_end + timedelta(minutes=1))
    assert keys(todo.items_for(year, actor=head))["school_signing"].count == 1
    assert keys(todo.items_for(year, actor=org_actor))["org_signing"].count == 1
    assert "school_signing" not in keys(
        todo.items_for(year, actor=actor(year, "cnu_admin"))
    )

    record.school_signed_at = record.created_at
    year.add(record)
    year.flush()
    assert "school_signing" not in keys(todo.items_for(year, actor=head))
    assert keys(todo.items_for(year, actor=org_actor))["org_signing"].count == 1


def test_score_entry_item_during_the_entry_window(year, frozen_clock):
    from xcert_app.models.catalogue import PlanSession
    from xcert_app.models.scheduling import Arrangement
    from xcert_app.models.scores import SubjectScore

    org_actor = actor(year, "wuliu_org")
    school_actor = actor(year, "cnu_admin")
    [registration, *_] = register_demo_candidates(year, school_actor)
    site, room = approved_demo_site(year, school_actor, seats=4)
    sitting = year.exec(
        select(PlanSession).where(
            PlanSession.plan_subject_id == registration.plan_subject_id
        )
    ).first()
    year.add(
        Arrangement(
            registration_id=registration.id,
            plan_id=registration.plan_id,
            site_id=site.id,
            room_id=room.id,
            session_id=sitting.id,
            seat_number=1,
            ticket_number="26000010000010001001",
        )
    )
    year.flush()
    plan = year.exec(select(ExamPlan)).one()
    assert f"scores_{plan.id}" not in keys(todo.items_for(year, actor=org_actor))

    frozen_clock.set(plan.score_entry_start + timedelta(hours=1))
    item = keys(todo.items_for(year, actor=org_actor))[f"scores_{plan.id}"]
    assert item.count == 1
    assert item.deadline == plan.score_entry_end

    year.add(
        SubjectScore(
            registration_id=registration.id,
            plan_id=plan.id,
            candidate_id=registration.candidate_id,
            subject_id=registration.subject_id,
            score_tenths=700,
        )
    )
    year.flush()
    assert f"scores_{plan.id}" not in keys(todo.items_for(year, actor=org_actor))


def test_school_links_name_plan_and_filter(year):
    school_actor = actor(year, "cnu_head")
    plan = year.exec(select(ExamPlan)).one()
    register_demo_candidates(year, school_actor)
    items = keys(todo.items_for(year, actor=school_actor))
    assert items["photos_missing"].link == "/candidates?missing=photo"
    assert items[f"rooms_short_{plan.id}"].link == f"/exam/rooms?plan={plan.code}"
    assert (
        items[f"unpaid_{plan.id}"].link
        == f"/registrations?plan={plan.code}&status=registered"
    )


def test_invigilator_link_names_plan(year):
    from xcert_app.models.catalogue import PlanSession
    from xcert_app.models.scheduling import Arrangement

    school_actor = actor(year, "cnu_admin")
    [registration, *_] = register_demo_candidates(year, school_actor)
    site, room = approved_demo_site(year, school_actor, seats=4)
    sitting = year.exec(
        select(PlanSession).where(
            PlanSession.plan_subject_id == registration.plan_subject_id
        )
    ).first()
    year.add(
        Arrangement(
            registration_id=registration.id,
            plan_id=registration.plan_id,
            site_id=site.id,
            room_id=room.id,
            session_id=sitting.id,
            seat_number=1,
            ticket_number="26000010000010001001",
        )
    )
    year.flush()
    plan = year.get(ExamPlan, registration.plan_id)
    item = keys(todo.items_for(year, actor=school_actor))[f"invigilators_{plan.id}"]
    assert item.link == f"/exam/schedule?plan={plan.code}&duty=missing"


def test_reviewer_link_opens_todo_group(year, frozen_clock):
    school = year.exec(
        select(Organisation).where(Organisation.institution_code == "4111010858")
    ).one()
    plan = year.exec(select(DeclarationPlan)).one()
    year.add(
        Declaration(
            plan_id=plan.id,
            school_id=school.id,
            certificate_id=1,
            planned_count=10,
            status=DeclarationStatus.PENDING_CITY,
            submitted_at=frozen_clock.now(),
        )
    )
    year.flush()
    [item] = todo.items_for(year, actor=actor(year, "bj_city"))
    assert item.link == "/review/declarations?group=todo"


def test_org_links_name_plan_and_filter(year, frozen_clock):
    from xcert_app.models.registrations import PaymentOrder
    from xcert_app.models.sites import SiteStatus

    org_actor = actor(year, "wuliu_org")
    school_actor = actor(year, "cnu_admin")
    site, _room = approved_demo_site(year, school_actor, seats=4)
    site.status = SiteStatus.PENDING
    year.add(site)
    plan = year.exec(select(ExamPlan)).one()
    year.add(
        PaymentOrder(
            number="JF20261204000001",
            school_id=school_actor.organisation_id,
            org_id=org_actor.organisation_id,
            plan_id=plan.id,
            basis="subject",
        )
    )
    register_demo_candidates(year, school_actor)
    frozen_clock.set(plan.registration_end + timedelta(seconds=1))
    items = keys(todo.items_for(year, actor=org_actor))
    assert items["site_review"].link == "/exam/site-review?status=pending"
    assert items["order_review"].link == "/org/payments?status=pending"
    assert items[f"schedule_{plan.id}"].link == f"/exam/schedule?plan={plan.code}"


def test_score_and_signing_links(year, frozen_clock):
    from xcert_app.models.catalogue import CertificateLevel, PlanLevel, PlanSession
    from xcert_app.models.issuance import IssuanceRecord
    from xcert_app.models.scheduling import Arrangement
    from xcert_app.models.scores import CertificateResult

    head = actor(year, "cnu_head")
    org_actor = actor(year, "wuliu_org")
    plan = year.exec(select(ExamPlan)).one()
    [registration, *_] = register_demo_candidates(year, head)
    site, room = approved_demo_site(year, head, seats=4)
    sitting = year.exec(
        select(PlanSession).where(
            PlanSession.plan_subject_id == registration.plan_subject_id
        )
    ).first()
    year.add(
        Arrangement(
            registration_id=registration.id,
            plan_id=plan.id,
            site_id=site.id,
            room_id=room.id,
            session_id=sitting.id,
            seat_number=1,
            ticket_number="26000010000010001001",
        )
    )
    level = year.exec(select(CertificateLevel)).first()
    plan_level = year.exec(
        select(PlanLevel).where(PlanLevel.certificate_level_id == level.id)
    ).one()
    result = CertificateResult(
        plan_id=plan.id,
        plan_level_id=plan_level.id,
        candidate_id=registration.candidate_id,
        school_id=head.organisation_id,
        passed=True,
    )
    year.add(result)
    year.flush()
    year.add(
        IssuanceRecord(
            result_id=result.id,
            certificate_number="1560003101561001200045",
            candidate_id=registration.candidate_id,
            school_id=head.organisation_id,
            org_id=org_actor.organisation_id,
            plan_id=plan.id,
            certificate_level_id=level.id,
        )
    )
    year.flush()
    frozen_clock.set(plan.score_entry_start + timedelta(hours=1))
    org = keys(todo.items_for(year, actor=org_actor))
    assert org[f"scores_{plan.id}"].link == (
        f"/scores/entry?plan={plan.code}&status=missing"
    )
    assert "org_signing" not in org
    frozen_clock.set(plan.publication_end + timedelta(minutes=1))
    org = keys(todo.items_for(year, actor=org_actor))
    assert org["org_signing"].link == "/issuance/signing?status=to_sign"
    school = keys(todo.items_for(year, actor=head))
    assert school["school_signing"].link == "/issuance/signing?status=to_sign"


def test_missing_photo_filter_lists_only_those(year):
    from xcert_app.services import candidates, storage

    school_actor = actor(year, "cnu_admin")
    first = year.exec(
        select(Candidate)
        .where(Candidate.school_id == school_actor.organisation_id)
        .order_by(Candidate.id)
    ).first()
    photo = storage.save_bytes(
        year,
        data=b"photo",
        kind="photo",
        content_type="image/jpeg",
        organisation_id=school_actor.organisation_id,
        original_name="a.jpg",
    )
    first.photo_file_id = photo.id
    year.add(first)
    year.flush()
    query = candidates.GridQuery(missing_photo=True)
    rows, total = candidates.list_candidates(year, actor=school_actor, query=query)
    assert total == 3
    assert first.id not in {row["id"] for row in rows}


def test_rooms_without_invigilator_filter(year):
    from xcert_app.models.accounts import StaffMember
    from xcert_app.models.catalogue import PlanSession
    from xcert_app.models.scheduling import Arrangement, RoomDuty
    from xcert_app.services import exam_views

    school_actor = actor(year, "cnu_admin")
    [registration, *_] = register_demo_candidates(year, school_actor)
    site, room = approved_demo_site(year, school_actor, seats=4)
    sitting = year.exec(
        select(PlanSession).where(
            PlanSession.plan_subject_id == registration.plan_subject_id
        )
    ).first()
    year.add(
        Arrangement(
            registration_id=registration.id,
            plan_id=registration.plan_id,
            site_id=site.id,
            room_id=room.id,
            session_id=sitting.id,
            seat_number=1,
            ticket_number="26000010000010001001",
        )
    )
    year.flush()

    def unstaffed():
        return exam_views.rooms_view(
            year,
            actor=school_actor,
            plan_id=registration.plan_id,
            without_invigilator=True,
        )

    rows, total = unstaffed()
    assert total == 1
    assert rows[0]["room_id"] == room.id
    staff = StaffMember(organisation_id=school_actor.organisation_id, name="赵监考")
    year.add(staff)
    year.flush()
    year.add(
        RoomDuty(
            room_id=room.id, session_id=sitting.id, staff_id=staff.id, duty="roving"
        )
    )
    year.flush()
    assert unstaffed()[1] == 1
    year.add(
        RoomDuty(
            room_id=room.id,
            session_id=sitting.id,
            staff_id=staff.id,
            duty="invigilator",
        )
    )
    year.flush()
    assert unstaffed() == ([], 0)
