import pytest

from tests.factories import make_actor, make_organisation
from xcert_app.models.accounts import Role
from xcert_app.services import notifications
from xcert_app.services.errors import NotFound
from xcert_app.services.sms import get_sender


@pytest.fixture
def school(session):
    return make_organisation(session, registered_mobile="13700137000")


def test_organisation_notification_reaches_each_account_with_own_unread_mark(
    session, school
):
    head = make_actor(session, role=Role.SCHOOL_HEAD, organisation=school)
    admin = make_actor(session, role=Role.SCHOOL_ADMIN, organisation=school)
    notifications.notify(
        session,
        organisation_id=school.id,
        title="申报已通过",
        link="/school/declarations",
    )
    session.flush()
    assert notifications.unread_count(session, actor=head) == 1
    assert notifications.unread_count(session, actor=admin) == 1
    assert notifications.mark_read(session, actor=head) == 1
    assert notifications.unread_count(session, actor=head) == 0
    assert notifications.unread_count(session, actor=admin) == 1
    [(item, read)] = notifications.list_for(session, actor=head)
    assert item.title == "申报已通过"
    assert read


def test_other_organisation_sees_nothing(session, school):
    notifications.notify(session, organisation_id=school.id, title="站点已审核")
    session.flush()
    outsider = make_actor(
        session, role=Role.SCHOOL_HEAD, organisation=make_organisation(session)
    )
    assert notifications.list_for(session, actor=outsider) == []
    assert notifications.unread_count(session, actor=outsider) == 0
    own = notifications.list_for(
        session, actor=make_actor(session, role=Role.SCHOOL_ADMIN, organisation=school)
    )
    with pytest.raises(NotFound):
        notifications.mark_read(session, actor=outsider, notification_id=own[0][0].id)


def test_sms_list_shows_messages_to_the_organisations_mobiles(session, school):
    get_sender().send(
        session, mobile="13700137000", body="您的申报已通过", purpose="review"
    )
    get_sender().send(
        session, mobile="13900000000", body="别人的短信", purpose="review"
    )
    session.flush()
    head = make_actor(session, role=Role.SCHOOL_HEAD, organisation=school)
    assert [message.body for message in notifications.sms_for(session, actor=head)] == [
        "您的申报已通过"
    ]
