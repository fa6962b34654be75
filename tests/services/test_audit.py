import pytest

from tests.factories import make_actor, make_organisation
from xcert_app.models.accounts import Role
from xcert_app.services import accounts, audit
from xcert_app.services.errors import AccessDenied


def test_account_creation_is_audited_and_searchable(session):
    operator = make_actor(session, role=Role.PLATFORM_ADMIN)
    school = make_organisation(session)
    account, _password = accounts.operator_create_account(
        session,
        actor=operator,
        username="audited",
        role=Role.SCHOOL_ADMIN,
        organisation_id=school.id,
        display_name="甲",
    )
    entries, total = audit.search(session, actor=operator, action="account.")
    assert total == 1
    assert entries[0].entity_id == str(account.id)
    assert entries[0].after["username"] == "audited"
    assert entries[0].role == "platform_admin"


def test_audit_entries_cannot_be_edited_or_deleted(session):
    operator = make_actor(session, role=Role.PLATFORM_ADMIN)
    entry = audit.record(
        session, actor=operator, action="test.change", entity="thing", entity_id=1
    )
    session.flush()
    entry.action = "forged"
    with pytest.raises(PermissionError):
        session.flush()
    session.rollback()


def test_only_operator_reads_the_log(session):
    school_actor = make_actor(
        session, role=Role.SCHOOL_HEAD, organisation=make_organisation(session)
    )
    with pytest.raises(AccessDenied):
        audit.search(session, actor=school_actor)
