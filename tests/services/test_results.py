import json
from datetime import timedelta

import pytest
from sqlmodel import select

from tests.factories import make_actor
from tests.factories_scores import (
    PUBLICATION_END,
    PUBLICATION_START,
    add_candidate,
    add_registration,
    candidate_actor,
    make_world,
)
from xcert_app import cli
from xcert_app.models.accounts import Role
from xcert_app.models.catalogue import PassRule
from xcert_app.models.issuance import IssuanceRecord, IssuanceStatus
from xcert_app.models.scores import CertificateResult, ScoreStatus, SubjectScore
from xcert_app.services import results, scores
from xcert_app.services.errors import AccessDenied, ServiceError
from xcert_app.services.results import SubjectOutcome, evaluate


def _subjects(*marks, weights=(40, 30, 30), pass_marks=(60, 60, 60)):
    outcomes = []
    for index, mark in enumerate(marks):
        status = mark if isinstance(mark, ScoreStatus) else ScoreStatus.SCORED
        tenths = None if isinstance(mark, ScoreStatus) else round(mark * 10)
        outcomes.append(
            SubjectOutcome(
                name=f"科目{index + 1}",
                weight_percent=weights[index],
                pass_mark=pass_marks[index],
                status=status,
                tenths=tenths,
            )
        )
    return outcomes


def test_manual_plan_70_50_60_passes_with_61():
    outcome = evaluate(
        rule=PassRule.COMPOSITE, pass_mark=60, subjects=_subjects(70, 50, 60)
    )
    assert outcome.composite_tenths == 610
    assert outcome.passed is True


def test_manual_plan_70_50_50_fails_with_58():
    outcome = evaluate(
        rule=PassRule.COMPOSITE, pass_mark=60, subjects=_subjects(70, 50, 50)
    )
    assert outcome.composite_tenths == 580
    assert outcome.passed is False
    assert "综合成绩 58.0 低于合格线 60.0" in outcome.reasons


def test_absent_subject_fails_composite_rule():
    outcome = evaluate(
        rule=PassRule.COMPOSITE,
        pass_mark=60,
        subjects=_subjects(100, ScoreStatus.ABSENT, 100),
    )
    assert outcome.passed is False
    assert outcome.composite_tenths is None
    assert outcome.reasons == ["科目2缺考"]


def test_disqualified_subject_fails_every_subject_rule():
    outcome = evaluate(
        rule=PassRule.EVERY_SUBJECT,
        pass_mark=60,
        subjects=_subjects(90, 90, ScoreStatus.DISQUALIFIED),
    )
    assert outcome.passed is False
    assert outcome.reasons == ["科目3违纪"]


def test_every_subject_rule_needs_each_pass_mark():
    passing = evaluate(
        rule=PassRule.EVERY_SUBJECT,
        pass_mark=60,
        subjects=_subjects(60, 70, 80, pass_marks=(60, 70, 80)),
    )
    failing = evaluate(
        rule=PassRule.EVERY_SUBJECT,
        pass_mark=60,
        subjects=_subjects(100, 69.9, 100, pass_marks=(60, 70, 60)),
    )
    assert passing.passed is True
    assert failing.passed is False
    assert failing.reasons == ["科目2 69.9 低于合格线 70.0"]


def test_composite_rounds_half_up_to_one_decimal():
    outcome = evaluate(
        rule=PassRule.COMPOSITE,
        pass_mark=60.1,
        subjects=_subjects(60.1, 60.0, weights=(50, 50), pass_marks=(60, 60)),
    )
    # 60.1 × 50% + 60.0 × 50% = 60.05, rounded half up to 60.1.
    assert outcome.composite_tenths == 601
    assert outcome.passed is True


def test_round_half_up_and_mark_conversion():
    assert results.round_half_up(60049, 100) == 600
    assert results.round_half_up(60050, 100) == 601
    assert results.mark_to_tenths(59.95) == 600
    assert results.mark_to_tenths(60) == 600


def test_composite_weights_must_sum_to_100():
    with pytest.raises(ServiceError, match="权重之和为 90%"):
        evaluate(
            rule=PassRule.COMPOSITE,
            pass_mark=60,
            subjects=_subjects(70, 70, 70, weights=(40, 30, 20)),
        )


def _enter(session, world, registrations, marks):
    for registration, mark in zip(registrations, marks, strict=True):
        scores.save_score(
            session,
            actor=world.org_actor,
            registration_id=registration.id,
            score=str(mark),
        )


def _result(session, world, candidate):
    return session.exec(
        select(CertificateResult).where(
            CertificateResult.plan_level_id == world.plan_level.id,
            CertificateResult.candidate_id == candidate.id,
        )
    ).first()


def _record(session, result):
    return session.exec(
        select(IssuanceRecord).where(IssuanceRecord.result_id == result.id)
    ).first()


def test_pass_creates_issuance_record_with_22_digit_number(session):
    world = make_world(session)
    candidate, registrations = add_candidate(session, world)

    _enter(session, world, registrations, (70, 50, 60))

    result = _result(session, world, candidate)
    record = _record(session, result)
    assert result.passed is True
    assert result.composite_tenths == 610
    assert record.status == IssuanceStatus.PENDING
    assert len(record.certificate_number) == 22
    assert record.certificate_number == "1560003102261100000001"
    assert record.site_id == world.site.id
    assert record.org_id == world.org.id


def test_fail_creates_no_issuance_record(session):
    world = make_world(session)
    candidate, registrations = add_candidate(session, world)

    _enter(session, world, registrations, (70, 50, 50))

    result = _result(session, world, candidate)
    assert result.passed is False
    assert result.composite_tenths == 580
    assert _record(session, result) is None


def test_absent_subject_result_fails(session):
    world = make_world(session)
    candidate, registrations = add_candidate(session, world)

    _enter(session, world, registrations, (100, "缺考", 100))

    result = _result(session, world, candidate)
    assert result.passed is False
    assert result.failure_reason == "综合应用考核缺考"


def test_result_waits_for_every_registered_subject(session):
    world = make_world(session)
    candidate, registrations = add_candidate(session, world)

    _enter(session, world, registrations[:2], (90, 90))

    assert _result(session, world, candidate) is None


def test_unscheduled_subject_fails_the_level(session):
    world = make_world(session)
    candidate, registrations = add_candidate(
        session, world, subjects=world.subjects[:2]
    )
    add_registration(session, world, candidate, world.subjects[2], seat=False)

    _enter(session, world, registrations, (90, 90))

    result = _result(session, world, candidate)
    assert result.passed is False
    assert result.composite_tenths is None
    assert result.failure_reason == "实操考核无成绩"


def test_results_leave_out_candidate_without_seat(session, frozen_clock):
    world = make_world(session)
    seated, seated_registrations = add_candidate(session, world)
    unseated, unseated_registrations = add_candidate(session, world, seat=False)
    _enter(session, world, seated_registrations, (70, 50, 60))
    # A score stored before unseated registrations were refused must not count.
    for registration in unseated_registrations:
        session.add(
            SubjectScore(
                registration_id=registration.id,
                plan_id=world.plan.id,
                candidate_id=unseated.id,
                subject_id=registration.subject_id,
                score_tenths=700,
            )
        )
    session.flush()

    results.recompute(
        session,
        actor=world.org_actor,
        plan=world.plan,
        candidate_ids={seated.id, unseated.id},
    )
    frozen_clock.set(PUBLICATION_START)
    page = results.list_results(
        session, actor=world.org_actor, filters=results.ResultFilter()
    )

    assert _result(session, world, unseated) is None
    assert _result(session, world, seated).passed is True
    assert page.counts == {"all": 1, "passed": 1, "failed": 0}
    assert [row["candidate_name"] for row in page.rows] == [seated.name]


def test_certificate_numbers_are_unique_and_sequential(session):
    world = make_world(session)
    numbers = []
    for _ in range(3):
        candidate, registrations = add_candidate(session, world)
        _enter(session, world, registrations, (80, 80, 80))
        numbers.append(_record(session, _result(session, world, candidate)))
    serials = [record.certificate_number[-8:] for record in numbers]
    assert serials == ["00000001", "00000002", "00000003"]
    assert len({record.certificate_number for record in numbers}) == 3


def test_correction_to_fail_withdraws_and_repass_restores_number(session, frozen_clock):
    world = make_world(session)
    candidate, registrations = add_candidate(session, world)
    _enter(session, world, registrations, (70, 50, 60))
    number = _record(session, _result(session, world, candidate)).certificate_number
    frozen_clock.set(PUBLICATION_START + timedelta(days=1))

    scores.save_score(
        session,
        actor=world.org_actor,
        registration_id=registrations[2].id,
        score="50",
        reason="复核后实操扣分",
    )
    withdrawn_status = _record(session, _result(session, world, candidate)).status
    scores.save_score(
        session,
        actor=world.org_actor,
        registration_id=registrations[2].id,
        score="60",
        reason="再次复核",
    )
    restored = _record(session, _result(session, world, candidate))

    assert withdrawn_status == IssuanceStatus.WITHDRAWN
    assert restored.status == IssuanceStatus.PENDING
    assert restored.certificate_number == number


def test_correction_cannot_fail_a_signed_certificate(session, frozen_clock):
    world = make_world(session)
    candidate, registrations = add_candidate(session, world)
    _enter(session, world, registrations, (70, 50, 60))
    record = _record(session, _result(session, world, candidate))
    record.school_signed_at = frozen_clock.now()
    session.add(record)
    frozen_clock.set(PUBLICATION_START + timedelta(days=1))

    with pytest.raises(ServiceError, match="已有签发签名"):
        scores.save_score(
            session,
            actor=world.org_actor,
            registration_id=registrations[2].id,
            score="40",
            reason="复核",
        )


def test_results_freeze_after_publication(session, frozen_clock):
    world = make_world(session)
    candidate, registrations = add_candidate(session, world)
    _enter(session, world, registrations, (70, 50, 60))
    frozen_clock.set(PUBLICATION_END)
    assert results.freeze_if_due(session, plan=world.plan) == 0

    frozen_clock.set(PUBLICATION_END + timedelta(seconds=1))
    frozen = results.freeze_if_due(session, plan=world.plan)

    assert frozen == 1
    assert _result(session, world, candidate).is_frozen is True
    with pytest.raises(ServiceError, match="永久锁定"):
        results.recompute(
            session, actor=None, plan=world.plan, candidate_ids={candidate.id}
        )


def test_every_subject_plan_through_scores(session):
    world = make_world(
        session,
        rule=PassRule.EVERY_SUBJECT,
        weights=(50, 50),
        subject_pass_marks=(60, 70),
    )
    passing, passing_registrations = add_candidate(session, world)
    failing, failing_registrations = add_candidate(session, world)

    _enter(session, world, passing_registrations, (60, 70))
    _enter(session, world, failing_registrations, (95, 69.9))

    assert _result(session, world, passing).passed is True
    assert _result(session, world, passing).composite_tenths == 650
    assert _result(session, world, failing).passed is False


def test_school_result_list_counts_and_pass_rate(session, frozen_clock):
    world = make_world(session)
    for marks in ((70, 50, 60), (70, 50, 50), (90, 90, 90)):
        _candidate, registrations = add_candidate(session, world)
        _enter(session, world, registrations, marks)
    hidden = results.list_results(
        session, actor=world.school_actor, filters=results.ResultFilter()
    )
    frozen_clock.set(PUBLICATION_START)

    page = results.list_results(
        session,
        actor=world.school_actor,
        filters=results.ResultFilter(outcome="passed"),
    )

    assert hidden.total == 0
    assert page.total == 2
    assert page.counts == {"all": 3, "passed": 2, "failed": 1}
    assert page.pass_rates == [
        {
            "certificate": f"{world.certificate.name}（中级）",
            "total": "3",
            "passed": "2",
            "rate": "66.7%",
        }
    ]
    assert {row["certificate_number"][:10] for row in page.rows} == {"1560003102"}
    assert {row["state"] for row in page.rows} == {"公示中"}


def test_result_list_freezes_locked_plan(session, frozen_clock):
    world = make_world(session)
    candidate, registrations = add_candidate(session, world)
    _enter(session, world, registrations, (70, 50, 60))
    frozen_clock.set(PUBLICATION_END + timedelta(days=1))

    page = results.list_results(
        session, actor=world.org_actor, filters=results.ResultFilter()
    )

    assert page.rows[0]["state"] == "已锁定"
    assert _result(session, world, candidate).is_frozen is True


def test_candidate_sees_own_published_result(session, frozen_clock):
    world = make_world(session)
    candidate, registrations = add_candidate(session, world)
    _enter(session, world, registrations, (70, 50, 60))
    actor = candidate_actor(session, candidate)

    assert results.results_for_candidate(session, actor=actor) == []
    frozen_clock.set(PUBLICATION_START)
    visible = results.results_for_candidate(session, actor=actor)

    assert [row["outcome"] for row in visible] == ["通过"]
    assert visible[0]["composite"] == "61.0"


def test_freeze_command_freezes_every_locked_plan(session, frozen_clock, capsys):
    world = make_world(session)
    candidate, registrations = add_candidate(session, world)
    _enter(session, world, registrations, (70, 50, 60))
    session.commit()
    frozen_clock.set(PUBLICATION_END + timedelta(seconds=1))

    exit_code = cli.main(["scores", "freeze", "--json"])

    assert exit_code == 0
    assert json.loads(capsys.readouterr().out) == {"ok": True, "frozen": 1}
    session.expire_all()
    assert _result(session, world, candidate).is_frozen is True


def test_recompute_rejects_another_organisation(session):
    world = make_world(session)
    other = make_world(session, certificate_code="156000311", code_prefix="05")
    candidate, _registrations = add_candidate(session, world)

    with pytest.raises(AccessDenied):
        results.recompute(
            session,
            actor=other.org_actor,
            plan=world.plan,
            candidate_ids={candidate.id},
        )


def test_freeze_due_plans_rejects_a_reviewer(session, frozen_clock):
    world = make_world(session)
    _candidate, registrations = add_candidate(session, world)
    _enter(session, world, registrations, (70, 50, 60))
    frozen_clock.set(PUBLICATION_END + timedelta(days=1))
    reviewer = make_actor(session, role=Role.PROVINCE_REVIEWER)

    with pytest.raises(AccessDenied):
        results.freeze_due_plans(session, actor=reviewer)
    assert results.freeze_due_plans(session, actor=world.org_actor) == 1
