import re
from datetime import timedelta

import pytest
from sqlmodel import select

from tests.factories import actor_of
from tests.factories_issuance import IssuanceWorld
from xcert_app.clock import beijing
from xcert_app.models.catalogue import PlanSubject, Subject
from xcert_app.models.issuance import IssuanceStatus
from xcert_app.models.registrations import Registration
from xcert_app.models.scores import SubjectScore
from xcert_app.models.system import SmsMessage
from xcert_app.services import accounts, candidate_space
from xcert_app.services.errors import AccessDenied, ServiceError, ValidationError


@pytest.fixture
def world(session):
    return IssuanceWorld(session)


def _sent_code(session) -> str:
    body = session.exec(select(SmsMessage.body).order_by(SmsMessage.id.desc())).first()
    return re.search(r"\d{6}", body).group()


def test_first_login_sets_password_with_sms_code(session, world):
    candidate = world.candidate(mobile="13912345678")
    masked = candidate_space.request_first_login_code(
        session, id_number=candidate.id_number.lower()
    )
    assert masked == "139****5678"
    account = candidate_space.set_first_password(
        session,
        id_number=candidate.id_number,
        code=_sent_code(session),
        password="MyPass2026",
    )
    assert account.candidate_id == candidate.id
    found = accounts.authenticate(
        session, username=candidate.id_number, password="MyPass2026"
    )
    assert found.id == account.id


def test_wrong_code_is_counted_then_blocked(session, world):
    candidate = world.candidate()
    candidate_space.request_first_login_code(session, id_number=candidate.id_number)
    for _ in range(5):
        with pytest.raises(ValidationError, match="不正确"):
            candidate_space.set_first_password(
                session,
                id_number=candidate.id_number,
                code="000000",
                password="a1b2c3d4e",
            )
    with pytest.raises(ValidationError, match="次数过多"):
        candidate_space.set_first_password(
            session,
            id_number=candidate.id_number,
            code=_sent_code(session),
            password="a1b2c3d4e",
        )


def test_expired_code_is_refused(session, world, frozen_clock):
    candidate = world.candidate()
    candidate_space.request_first_login_code(session, id_number=candidate.id_number)
    frozen_clock.shift(timedelta(minutes=11))
    with pytest.raises(ValidationError, match="过期"):
        candidate_space.set_first_password(
            session,
            id_number=candidate.id_number,
            code=_sent_code(session),
            password="a1b2c3d4e",
        )


def test_second_first_login_is_refused(session, world):
    candidate = world.candidate()
    world.candidate_account(candidate)
    with pytest.raises(ServiceError, match="直接登录"):
        candidate_space.request_first_login_code(session, id_number=candidate.id_number)


def test_unknown_id_number_gets_school_hint(session, world):
    with pytest.raises(ServiceError, match="联系所在院校"):
        candidate_space.request_first_login_code(
            session, id_number="110101199003071233"
        )


def test_candidate_sees_only_own_certificates(session, world, frozen_clock):
    mine, other = world.candidate(), world.candidate(name="董家杰")
    now = frozen_clock.now()
    issued = {"status": IssuanceStatus.ISSUED, "issued_at": now}
    record = world.record(mine, **issued)
    world.record(other, **issued)
    world.record(mine, plan_level=world.add_level())
    actor = actor_of(session, world.candidate_account(mine))
    rows = candidate_space.certificates(session, actor=actor)
    assert [row["number"] for row in rows] == [record.certificate_number]


def test_scores_appear_from_publication(session, world, frozen_clock):
    candidate = world.candidate()
    subject = Subject(
        code="098994", name="基础考核", mode="机考", certificate_level_id=world.level.id
    )
    session.add(subject)
    session.flush()
    plan_subject = PlanSubject(
        plan_id=world.plan.id,
        plan_level_id=world.plan_level.id,
        subject_id=subject.id,
    )
    session.add(plan_subject)
    session.flush()
    registration = Registration(
        plan_id=world.plan.id,
        plan_subject_id=plan_subject.id,
        subject_id=subject.id,
        certificate_level_id=world.level.id,
        candidate_id=candidate.id,
        school_id=world.school.id,
    )
    session.add(registration)
    session.flush()
    session.add(
        SubjectScore(
            registration_id=registration.id,
            plan_id=world.plan.id,
            candidate_id=candidate.id,
            subject_id=subject.id,
            score_tenths=785,
        )
    )

    world.plan.publication_start = beijing(2026, 12, 10)
    session.add(world.plan)
    session.flush()
    actor = actor_of(session, world.candidate_account(candidate))
    assert candidate_space.scores(session, actor=actor) == []
    frozen_clock.set(beijing(2026, 12, 10, 9))
    assert candidate_space.scores(session, actor=actor) == [
        {"plan": world.plan.name, "subject": "098994 基础考核", "score": "78.5"}
    ]


def test_school_account_cannot_open_personal_space(session, world):
    with pytest.raises(AccessDenied):
        candidate_space.certificates(session, actor=actor_of(session, world.head))
