import pytest
from sqlmodel import select

from tests.factories import make_actor, make_organisation
from tests.factories_registration import (
    LEVEL_FEE_FEN,
    SUBJECT_FEE_FEN,
    add_candidates,
    by_certificate,
    by_subject,
    make_year,
)
from xcert_app.models.accounts import Role
from xcert_app.models.orgs import FeeBasis, OrgKind
from xcert_app.models.registrations import (
    FeeRule,
    OrderStatus,
    PaymentOrder,
    PaymentOrderLine,
    Registration,
    RegistrationStatus,
)
from xcert_app.models.system import AuditEntry
from xcert_app.services import notifications, payments, registrations
from xcert_app.services.errors import (
    AlreadyDone,
    Conflict,
    NotFound,
    ServiceError,
    ValidationError,
)
from xcert_app.services.registrations import Rule
from xcert_app.spreadsheets.registrations import ImportKind


def _registered_year(session, *, candidates=2, **options):
    year = make_year(session, **options)
    people = add_candidates(session, year, candidates)
    registrations.import_registrations(
        session,
        actor=year.school_actor,
        plan_id=year.plan.id,
        data=by_certificate(year, people),
        file_name="报考.xlsx",
        kind=ImportKind.CERTIFICATE,
    )
    return year


def _junior_codes(year):
    level_id = year.levels["初级"].id
    return sorted(
        code
        for code, subject in year.subjects.items()
        if subject.certificate_level_id == level_id
    )


def _order(session, year, data, kind=ImportKind.SUBJECT, **options):
    return payments.create_order(
        session,
        actor=year.school_actor,
        plan_id=year.plan.id,
        data=data,
        file_name="缴费.xlsx",
        kind=kind,
        **options,
    )


def _statuses(session, year):
    return [
        registration.status
        for registration in session.exec(
            select(Registration).where(Registration.plan_id == year.plan.id)
        ).all()
    ]


def test_order_by_subject_counts_lines_and_amount(session):
    year = _registered_year(session)
    pairs = [(c, code) for c in year.candidates for code in _junior_codes(year)[:2]]
    order, report = _order(session, year, by_subject(pairs))
    assert report.refused == []
    assert order.line_count == 4
    assert order.amount_fen == 4 * SUBJECT_FEE_FEN
    assert order.status == OrderStatus.PENDING
    assert order.number.startswith("JF20261204")
    assert len(order.number) == 16


def test_order_by_certificate_charges_level_fee_once(session):
    year = _registered_year(session, fee_basis=FeeBasis.CERTIFICATE)
    order, _report = _order(
        session, year, by_certificate(year, year.candidates), ImportKind.CERTIFICATE
    )
    lines = session.exec(
        select(PaymentOrderLine).where(PaymentOrderLine.order_id == order.id)
    ).all()
    assert order.line_count == 2
    assert order.amount_fen == 2 * LEVEL_FEE_FEN
    assert len(lines) == 6
    assert (
        sorted(line.amount_fen for line in lines) == [0, 0, 0, 0] + [LEVEL_FEE_FEN] * 2
    )


def test_order_numbers_are_distinct(session):
    year = _registered_year(session)
    codes = _junior_codes(year)
    first, _ = _order(session, year, by_subject([(year.candidates[0], codes[0])]))
    second, _ = _order(session, year, by_subject([(year.candidates[1], codes[0])]))
    assert first.number != second.number


def test_import_kind_must_match_fee_basis(session):
    year = _registered_year(session)
    with pytest.raises(ServiceError, match="按科目收费"):
        _order(
            session, year, by_certificate(year, year.candidates), ImportKind.CERTIFICATE
        )


def test_organisation_without_platform_payment_refuses_orders(session):
    year = _registered_year(session, requires_payment=False)
    with pytest.raises(ServiceError, match="没有要求在平台缴费"):
        _order(
            session, year, by_subject([(year.candidates[0], _junior_codes(year)[0])])
        )


def test_registration_is_in_at_most_one_live_order(session):
    year = _registered_year(session)
    data = by_subject([(year.candidates[0], _junior_codes(year)[0])])
    first, _ = _order(session, year, data)
    second, report = _order(session, year, data)
    assert second is None
    [refusal] = report.refused
    assert refusal.rule == Rule.ORDER
    assert first.number in refusal.message


def test_rejected_order_frees_its_registrations(session):
    year = _registered_year(session)
    data = by_subject([(year.candidates[0], _junior_codes(year)[0])])
    first, _ = _order(session, year, data)
    payments.reject_order(
        session,
        actor=year.org_actor,
        order_id=first.id,
        version=first.version,
        reason="金额不符",
    )
    second, report = _order(session, year, data)
    assert report.refused == []
    assert second is not None


def test_unregistered_subject_cannot_be_ordered(session):
    year = _registered_year(session)
    level_id = year.levels["中级"].id
    code = next(
        c for c, s in year.subjects.items() if s.certificate_level_id == level_id
    )
    order, report = _order(session, year, by_subject([(year.candidates[0], code)]))
    assert order is None
    [refusal] = report.refused
    assert refusal.rule == Rule.STATUS


def test_missing_fee_refuses_row(session):
    year = _registered_year(session)
    code = _junior_codes(year)[0]
    rule = session.exec(
        select(FeeRule).where(FeeRule.subject_id == year.subjects[code].id)
    ).one()
    session.delete(rule)
    session.flush()
    order, report = _order(session, year, by_subject([(year.candidates[0], code)]))
    assert order is None
    [refusal] = report.refused
    assert refusal.rule == Rule.FEE


def test_all_or_nothing_creates_no_order(session):
    year = _registered_year(session)
    codes = _junior_codes(year)
    stranger = add_candidates(session, year, 1)[0]
    data = by_subject([(year.candidates[0], codes[0]), (stranger, codes[0])])
    order, report = _order(session, year, data)
    assert order is None
    assert not report.applied
    partial, partial_report = _order(session, year, data, all_or_nothing=False)
    assert partial.line_count == 1
    assert len(partial_report.refused) == 1


def test_duplicate_rows_in_order_file_are_refused(session):
    year = _registered_year(session)
    code = _junior_codes(year)[0]
    data = by_subject([(year.candidates[0], code), (year.candidates[0], code)])
    order, report = _order(session, year, data, all_or_nothing=False)
    assert order.line_count == 1
    [refusal] = report.refused
    assert refusal.rule == Rule.DUPLICATE


def test_confirm_marks_registrations_paid(session):
    year = _registered_year(session)
    codes = _junior_codes(year)
    order, _ = _order(session, year, by_subject([(year.candidates[0], codes[0])]))
    payments.confirm_order(
        session, actor=year.org_actor, order_id=order.id, version=order.version
    )
    assert order.status == OrderStatus.CONFIRMED
    assert order.version == 2
    assert sorted(_statuses(session, year)) == ["paid"] + ["registered"] * 5
    paid = session.exec(
        select(Registration).where(Registration.status == RegistrationStatus.PAID)
    ).one()
    assert paid.paid_at is not None


def test_confirm_with_stale_version_is_conflict(session):
    year = _registered_year(session)
    order, _ = _order(
        session, year, by_subject([(year.candidates[0], _junior_codes(year)[0])])
    )
    stale = order.version
    payments.confirm_order(
        session, actor=year.org_actor, order_id=order.id, version=stale
    )
    with pytest.raises(ServiceError, match="不能再处理"):
        payments.reject_order(
            session, actor=year.org_actor, order_id=order.id, version=stale, reason="x"
        )


def test_second_confirm_changes_nothing(session):
    year = _registered_year(session)
    order, _ = _order(
        session, year, by_subject([(year.candidates[0], _junior_codes(year)[0])])
    )
    clicked = order.version
    payments.confirm_order(
        session, actor=year.org_actor, order_id=order.id, version=clicked
    )
    with pytest.raises(AlreadyDone) as caught:
        payments.confirm_order(
            session, actor=year.org_actor, order_id=order.id, version=clicked
        )
    assert caught.value.message == f"缴费申请单 {order.number} 已确认缴费，无需重复操作"
    assert session.get(PaymentOrder, order.id).version == clicked + 1
    confirmations = session.exec(
        select(AuditEntry).where(AuditEntry.action == "payment_order.confirm")
    ).all()
    assert len(confirmations) == 1


def test_second_reject_changes_nothing(session):
    year = _registered_year(session)
    order, _ = _order(
        session, year, by_subject([(year.candidates[0], _junior_codes(year)[0])])
    )
    clicked = order.version
    reject = dict(
        actor=year.org_actor, order_id=order.id, version=clicked, reason="金额不符"
    )
    payments.reject_order(session, **reject)
    with pytest.raises(AlreadyDone) as caught:
        payments.reject_order(session, **reject)
    assert caught.value.message == f"缴费申请单 {order.number} 已退回，无需重复操作"
    assert session.get(PaymentOrder, order.id).version == clicked + 1


def test_stale_version_on_pending_order_is_conflict(session):
    year = _registered_year(session)
    order, _ = _order(
        session, year, by_subject([(year.candidates[0], _junior_codes(year)[0])])
    )
    with pytest.raises(Conflict):
        payments.confirm_order(
            session, actor=year.org_actor, order_id=order.id, version=order.version + 5
        )
    assert session.get(PaymentOrder, order.id).status == OrderStatus.PENDING


def test_reject_needs_reason(session):
    year = _registered_year(session)
    order, _ = _order(
        session, year, by_subject([(year.candidates[0], _junior_codes(year)[0])])
    )
    with pytest.raises(ValidationError):
        payments.reject_order(
            session,
            actor=year.org_actor,
            order_id=order.id,
            version=order.version,
            reason=" ",
        )


def test_rejection_keeps_reason_and_registrations_unpaid(session):
    year = _registered_year(session)
    order, _ = _order(
        session, year, by_subject([(year.candidates[0], _junior_codes(year)[0])])
    )
    payments.reject_order(
        session,
        actor=year.org_actor,
        order_id=order.id,
        version=order.version,
        reason="未到账",
    )
    assert order.status == OrderStatus.REJECTED
    assert order.reject_reason == "未到账"
    assert set(_statuses(session, year)) == {"registered"}


def test_pending_order_can_be_deleted(session):
    year = _registered_year(session)
    order, _ = _order(
        session, year, by_subject([(year.candidates[0], _junior_codes(year)[0])])
    )
    payments.delete_order(
        session, actor=year.school_actor, order_id=order.id, version=order.version
    )
    assert session.exec(select(PaymentOrder)).all() == []
    assert session.exec(select(PaymentOrderLine)).all() == []


def test_confirmed_order_cannot_be_deleted(session):
    year = _registered_year(session)
    order, _ = _order(
        session, year, by_subject([(year.candidates[0], _junior_codes(year)[0])])
    )
    payments.confirm_order(
        session, actor=year.org_actor, order_id=order.id, version=order.version
    )
    with pytest.raises(ServiceError, match="已确认缴费，不能删除"):
        payments.delete_order(
            session, actor=year.school_actor, order_id=order.id, version=order.version
        )


def test_registration_in_pending_order_cannot_be_deleted(session):
    year = _registered_year(session)
    code = _junior_codes(year)[0]
    data = by_subject([(year.candidates[0], code)])
    order, _ = _order(session, year, data)
    report = registrations.delete_registrations(
        session,
        actor=year.school_actor,
        plan_id=year.plan.id,
        data=data,
        file_name="删除.xlsx",
    )
    [refusal] = report.refused
    assert refusal.rule == Rule.ORDER
    assert order.number in refusal.message


def test_other_school_and_org_cannot_touch_order(session):
    year = _registered_year(session)
    order, _ = _order(
        session, year, by_subject([(year.candidates[0], _junior_codes(year)[0])])
    )
    other_school = make_actor(
        session, role=Role.SCHOOL_ADMIN, organisation=make_organisation(session)
    )
    other_org = make_actor(
        session,
        role=Role.ORG_ADMIN,
        organisation=make_organisation(session, kind=OrgKind.ASSESSMENT_ORG),
    )
    with pytest.raises(NotFound):
        payments.delete_order(session, actor=other_school, order_id=order.id, version=1)
    with pytest.raises(NotFound):
        payments.confirm_order(session, actor=other_org, order_id=order.id, version=1)
    assert payments.list_orders(session, actor=other_school)[1] == 0
    assert payments.list_orders(session, actor=other_org)[1] == 0
    assert payments.list_orders(session, actor=year.org_actor)[1] == 1


def test_order_lines_show_masked_candidates(session):
    year = _registered_year(session)
    order, _ = _order(
        session, year, by_subject([(year.candidates[0], _junior_codes(year)[0])])
    )
    [line] = payments.order_lines(session, actor=year.org_actor, order_id=order.id)
    assert line.candidate_name == year.candidates[0].name
    assert "*****" in line.id_number
    assert line.amount == "120.00"


def test_fee_table_lists_levels_and_subjects(session):
    year = make_year(session)
    rows = payments.fee_table(session, actor=year.org_actor)
    assert len(rows) == 2 + 5
    assert rows[0].amount == "360.00"


def test_set_fee_updates_and_removes(session):
    year = make_year(session)
    subject = next(iter(year.subjects.values()))
    key = f"subject:{subject.id}"
    payments.set_fee(session, actor=year.org_actor, key=key, amount="150.5")
    rule = session.exec(select(FeeRule).where(FeeRule.subject_id == subject.id)).one()
    assert rule.amount_fen == 15050
    payments.set_fee(session, actor=year.org_actor, key=key, amount="")
    assert (
        session.exec(select(FeeRule).where(FeeRule.subject_id == subject.id)).all()
        == []
    )


@pytest.mark.parametrize("amount", ["abc", "-1", "1.005", "200000"])
def test_invalid_fee_amount_is_refused(session, amount):
    year = make_year(session)
    subject = next(iter(year.subjects.values()))
    with pytest.raises(ValidationError):
        payments.set_fee(
            session, actor=year.org_actor, key=f"subject:{subject.id}", amount=amount
        )


def test_fee_of_other_organisation_cannot_be_set(session):
    year = make_year(session)
    other = make_year(session)
    subject = next(iter(other.subjects.values()))
    with pytest.raises(NotFound):
        payments.set_fee(
            session, actor=year.org_actor, key=f"subject:{subject.id}", amount="1"
        )


def test_payment_settings_change_basis(session):
    year = make_year(session)
    payments.set_payment_settings(
        session, actor=year.org_actor, requires_payment=True, fee_basis="certificate"
    )
    assert payments.payment_settings(session, actor=year.org_actor) == {
        "requires_payment": True,
        "fee_basis": "certificate",
    }
    with pytest.raises(ValidationError):
        payments.set_payment_settings(
            session, actor=year.org_actor, requires_payment=True, fee_basis="head"
        )


def test_confirm_and_reject_notify_the_school(session):
    year = _registered_year(session)
    codes = _junior_codes(year)
    first, _ = _order(session, year, by_subject([(year.candidates[0], codes[0])]))
    second, _ = _order(session, year, by_subject([(year.candidates[1], codes[0])]))
    payments.confirm_order(
        session, actor=year.org_actor, order_id=first.id, version=first.version
    )
    payments.reject_order(
        session,
        actor=year.org_actor,
        order_id=second.id,
        version=second.version,
        reason="金额不符",
    )
    titles = [
        item.title
        for item, _read in notifications.list_for(session, actor=year.school_actor)
    ]
    assert titles == [
        f"缴费申请单 {second.number} 被退回",
        f"缴费申请单 {first.number} 已确认缴费",
    ]


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        (" ", "请填写金额（元），如 120 或 120.50"),
        ("abc", "金额“abc”无效：请填写不小于 0 的数，如 120 或 120.50"),
        ("1.234", "金额“1.234”最多两位小数（精确到分）"),
    ],
)
def test_amount_messages(typed, message):
    with pytest.raises(ValidationError) as caught:
        payments.parse_yuan(typed)
    assert caught.value.errors["amount"] == message
