from datetime import timedelta

import pytest
from sqlmodel import select

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
    assert item.link == "/school/declarations"
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
