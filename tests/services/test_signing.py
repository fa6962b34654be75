from datetime import timedelta

import pytest
from sqlmodel import select

from tests.factories import actor_of, make_account, make_organisation
from tests.factories_issuance import IssuanceWorld, signature_data_url
from xcert_app.models.accounts import Role
from xcert_app.models.issuance import IssuanceStatus, Signature
from xcert_app.models.orgs import OrgKind
from xcert_app.models.system import AuditEntry, Notification
from xcert_app.services import notifications, signing
from xcert_app.services.errors import (
    AccessDenied,
    AlreadyDone,
    Conflict,
    NotFound,
    ServiceError,
    ValidationError,
)


@pytest.fixture
def world(session):
    return IssuanceWorld(session)


def _sign(session, account, *records):
    return signing.sign(
        session,
        actor=actor_of(session, account),
        versions={record.id: record.version for record in records},
        signature_data_url=signature_data_url(),
    )


def test_head_lists_records_to_sign(session, world):
    record = world.record()
    rows, total = signing.list_records(session, actor=actor_of(session, world.head))
    assert total == 1
    assert rows[0].certificate_number == record.certificate_number
    assert rows[0].level == "初级"
    assert rows[0].site_name == "测试职业学院物流管理考核站点"
    assert rows[0].result == "已通过（85.5 分）"


def test_other_school_sees_nothing(session, world):
    world.record()
    other = make_organisation(session)
    head = make_account(session, role=Role.SCHOOL_HEAD, organisation=other)
    rows, total = signing.list_records(session, actor=actor_of(session, head))
    assert (rows, total) == ([], 0)


def test_both_signatures_issue_the_batch(session, world):
    records = [world.record(), world.record()]
    _sign(session, world.head, *records)
    assert {record.status for record in records} == {IssuanceStatus.PENDING}
    _sign(session, world.org_admin, *records)
    assert {record.status for record in records} == {IssuanceStatus.ISSUED}
    rows, _ = signing.list_records(
        session, actor=actor_of(session, world.head), status=IssuanceStatus.ISSUED
    )
    assert rows[0].school_signer == f"{world.head.display_name} 2026-12-04 10:00"
    assert rows[0].org_signer == f"{world.org_admin.display_name} 2026-12-04 10:00"
    assert all(record.issued_at is not None for record in records)
    signatures = session.exec(select(Signature)).all()
    assert len(signatures) == 4
    assert all(signature.image_file_id for signature in signatures)
    actions = session.exec(select(AuditEntry.action)).all()
    assert actions.count("issuance.sign") == 4


def test_no_signing_before_publication_ends(session, world, frozen_clock):
    record = world.record()
    world.plan.publication_end = frozen_clock.now() + timedelta(days=1)
    session.add(world.plan)
    session.flush()

    rows, total = signing.list_records(session, actor=actor_of(session, world.head))
    with pytest.raises(ServiceError, match="成绩锁定后才能签发"):
        _sign(session, world.head, record)

    assert total == 0
    assert record.school_signed_at is None


def test_signing_notices_reach_school_head_only(session, world):
    record = world.record()
    _sign(session, world.org_admin, record)
    _sign(session, world.head, record)

    def titles(account):
        rows = notifications.list_for(session, actor=actor_of(session, account))
        return sorted(notice.title for notice, _read in rows)

    assert titles(world.head) == [
        "1 份电子证书已完成双方签发",
        "培训评价组织已签发 1 份证书，等待贵方签发",
    ]
    assert titles(world.admin) == []
    assert titles(world.org_admin) == ["1 份电子证书已完成双方签发"]


def test_signed_record_leaves_list_of_that_side(session, world):
    record = world.record()
    _sign(session, world.org_admin, record)
    head_rows, _ = signing.list_records(session, actor=actor_of(session, world.head))
    org_rows, _ = signing.list_records(
        session, actor=actor_of(session, world.org_admin)
    )
    assert [row.id for row in head_rows] == [record.id]
    assert org_rows == []


def test_signing_twice_changes_nothing(session, world):
    record = world.record()
    _sign(session, world.head, record)
    with pytest.raises(AlreadyDone, match="无需重复签字"):
        _sign(session, world.head, record)
    assert len(session.exec(select(Signature)).all()) == 1


def test_refusing_after_signing_is_refused(session, world):
    record = world.record()
    _sign(session, world.head, record)
    with pytest.raises(ServiceError, match="不可撤回") as caught:
        signing.refuse(
            session,
            actor=actor_of(session, world.head),
            record_id=record.id,
            version=record.version,
            reason="签错了",
        )
    assert not isinstance(caught.value, AlreadyDone)


def test_issued_record_cannot_be_refused(session, world):
    record = world.record()
    _sign(session, world.head, record)
    _sign(session, world.org_admin, record)
    with pytest.raises(ServiceError, match="不可撤回"):
        signing.refuse(
            session,
            actor=actor_of(session, world.org_admin),
            record_id=record.id,
            version=record.version,
            reason="撤回",
        )


def test_school_admin_cannot_sign(session, world):
    record = world.record()
    with pytest.raises(AccessDenied):
        _sign(session, world.admin, record)


def test_head_of_other_school_cannot_sign(session, world):
    record = world.record()
    head = make_account(
        session, role=Role.SCHOOL_HEAD, organisation=make_organisation(session)
    )
    with pytest.raises(NotFound):
        _sign(session, head, record)
    assert record.school_signed_at is None


def test_other_organisation_cannot_sign(session, world):
    record = world.record()
    org = make_organisation(session, kind=OrgKind.ASSESSMENT_ORG)
    admin = make_account(session, role=Role.ORG_ADMIN, organisation=org)
    with pytest.raises(NotFound):
        _sign(session, admin, record)


def test_stale_version_is_a_conflict(session, world):
    record = world.record()
    stale = record.version
    _sign(session, world.org_admin, record)
    with pytest.raises(Conflict):
        signing.sign(
            session,
            actor=actor_of(session, world.head),
            versions={record.id: stale},
            signature_data_url=signature_data_url(),
        )


def test_signing_without_drawing_is_invalid(session, world):
    record = world.record()
    with pytest.raises(ValidationError, match="手写签名"):
        signing.sign(
            session,
            actor=actor_of(session, world.head),
            versions={record.id: record.version},
            signature_data_url="",
        )


def test_refusal_needs_reason_and_returns_to_org(session, world):
    record = world.record()
    head = actor_of(session, world.head)
    with pytest.raises(ValidationError):
        signing.refuse(
            session, actor=head, record_id=record.id, version=record.version, reason=" "
        )
    signing.refuse(
        session,
        actor=head,
        record_id=record.id,
        version=record.version,
        reason="姓名有误，请核对",
    )
    assert record.status == IssuanceStatus.REFUSED
    assert record.refused_reason == "姓名有误，请核对"
    refusal = session.exec(select(Signature)).one()
    assert (refusal.signed, refusal.reason) == (False, "姓名有误，请核对")
    notice = session.exec(select(Notification)).one()
    assert notice.organisation_id == world.org.id
    assert notice.body == "拒绝理由：姓名有误，请核对"
    with pytest.raises(ServiceError, match="拒绝签发"):
        _sign(session, world.org_admin, record)


def test_org_resubmits_refused_record(session, world):
    record = world.record()
    signing.refuse(
        session,
        actor=actor_of(session, world.head),
        record_id=record.id,
        version=record.version,
        reason="成绩有误",
    )
    signing.resubmit(
        session,
        actor=actor_of(session, world.org_admin),
        record_id=record.id,
        version=record.version,
    )
    assert record.status == IssuanceStatus.PENDING
    assert record.refused_reason == ""
    _sign(session, world.head, record)
    _sign(session, world.org_admin, record)
    assert record.status == IssuanceStatus.ISSUED
