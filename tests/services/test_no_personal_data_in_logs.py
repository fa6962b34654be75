"""Logs never carry full ID numbers, mobiles or passwords."""

import logging

import pytest

from tests.bench_candidates import _person, make_sheet
from tests.factories import PASSWORD, make_account, make_actor, make_organisation
from xcert_app.models.accounts import Role
from xcert_app.services import accounts, candidates
from xcert_app.services.errors import ServiceError
from xcert_app.services.sms import get_sender


def test_import_login_and_sms_log_no_personal_data(session, caplog):
    caplog.set_level(logging.DEBUG)
    head = make_actor(
        session, role=Role.SCHOOL_HEAD, organisation=make_organisation(session)
    )
    people = [_person(index) for index in range(20)]

    candidates.import_candidates(
        session, actor=head, data=make_sheet(20), kind="school"
    )
    get_sender().send(
        session, mobile=people[0]["mobile"], body="验证码 123456", purpose="test"
    )
    account = make_account(
        session, role=Role.SCHOOL_ADMIN, organisation=make_organisation(session)
    )
    with pytest.raises(ServiceError):
        accounts.authenticate(
            session, username=account.username, password="Wrong-secret-9"
        )
    accounts.authenticate(session, username=account.username, password=PASSWORD)

    logged = caplog.text
    assert "Wrong-secret-9" not in logged
    assert PASSWORD not in logged
    for person in people:
        assert person["id_number"] not in logged
        assert person["mobile"] not in logged
