"""The students' HTTP endpoints: their own scores and admission tickets, by login token."""

from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from tests.factories import make_account
from tests.factories_scores import PUBLICATION_START, add_candidate, make_world
from xcert_app.api import api
from xcert_app.clock import beijing
from xcert_app.models.accounts import Role
from xcert_app.models.scores import SubjectScore
from xcert_app.services import accounts


@pytest.fixture
def student(session):
    world = make_world(session)
    candidate, registrations = add_candidate(session, world, name="刘洪伟")
    for registration, tenths in zip(registrations, (700, 500, 600), strict=True):
        session.add(
            SubjectScore(
                registration_id=registration.id,
                plan_id=world.plan.id,
                candidate_id=candidate.id,
                subject_id=registration.subject_id,
                score_tenths=tenths,
            )
        )
    account = make_account(session, role=Role.CANDIDATE, candidate_id=candidate.id)
    token = accounts.open_session(session, account=account)
    session.commit()
    return world, token


def _fresh_token(session) -> str:
    from sqlmodel import select

    from xcert_app.models.accounts import Account

    account = session.exec(select(Account).where(Account.role == Role.CANDIDATE)).one()
    token = accounts.open_session(session, account=account)
    session.commit()
    return token


def test_scores_need_a_valid_token(student):
    client = TestClient(api)
    assert client.get("/api/student/scores").status_code == 403
    response = client.get(
        "/api/student/scores", headers={"Authorization": "Bearer nonsense"}
    )
    assert response.status_code == 403
    assert response.json()["message"] == "登录已过期或已失效，请重新登录"


def test_scores_appear_from_publication(session, student, frozen_clock):
    _world, token = student
    client = TestClient(api)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/student/scores", headers=headers).json()["scores"] == []
    frozen_clock.set(PUBLICATION_START + timedelta(hours=1))
    # A login lasts 12 hours, so the student signs in again a week later.
    assert client.get("/api/student/scores", headers=headers).status_code == 403
    fresh = _fresh_token(session)
    headers = {"Authorization": f"Bearer {fresh}"}
    scores = client.get("/api/student/scores", headers=headers).json()["scores"]
    assert [row["score"] for row in scores] == ["70.0", "50.0", "60.0"]


def test_ticket_only_inside_ticket_window(student, frozen_clock):
    world, token = student
    client = TestClient(api)
    client.cookies.set("xcert_token", token)
    outside = client.get(f"/api/student/tickets/{world.plan.id}")
    assert outside.status_code == 409
    assert "准考证打印时间" in outside.json()["message"]
    frozen_clock.set(beijing(2026, 11, 10, 9, 0))
    inside = client.get(f"/api/student/tickets/{world.plan.id}")
    assert inside.status_code == 200
    assert inside.headers["content-type"] == "application/pdf"
    assert inside.content.startswith(b"%PDF")


def test_ticket_path_needs_a_numeric_plan(student):
    _world, token = student
    client = TestClient(api)
    response = client.get(
        "/api/student/tickets/abc", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 400
