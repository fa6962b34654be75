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


@pytest.fixture
def published_year(session):
    from sqlmodel import select

    from tests.factories_todo import register_demo_candidates
    from xcert_app.models.catalogue import ExamPlan
    from xcert_app.services import demo

    demo.load_demo(session)
    session.flush()
    head = _demo_actor(session, "cnu_head")
    register_demo_candidates(session, head)
    plan = session.exec(select(ExamPlan)).one()
    return plan, head


def _demo_actor(session, username):
    from sqlmodel import select

    from xcert_app.models.accounts import Account
    from xcert_app.services import accounts

    account = session.exec(select(Account).where(Account.username == username)).one()
    return accounts.actor_for_account(session, account)


def _titles(session, actor):
    return [item.title for item, _read in notifications.list_for(session, actor=actor)]


def test_publication_notice_once_per_organisation(
    session, published_year, frozen_clock
):
    from datetime import timedelta

    plan, head = published_year
    org = _demo_actor(session, "wuliu_org")
    other_school = _demo_actor(session, "bpi_head")
    title = f"成绩已发布：{plan.name}（{plan.code}）"

    frozen_clock.set(plan.publication_start - timedelta(seconds=1))
    assert notifications.announce_publications(session) == 0
    assert title not in _titles(session, head)

    frozen_clock.set(plan.publication_start)
    assert notifications.announce_publications(session) == 2
    session.flush()
    assert _titles(session, head).count(title) == 1
    assert _titles(session, org).count(title) == 1
    assert title not in _titles(session, other_school)
    [(school_notice, _read)] = notifications.list_for(session, actor=head)
    assert school_notice.link == f"/scores?plan={plan.code}"
    [(org_notice, _read)] = notifications.list_for(session, actor=org)
    assert org_notice.link == f"/scores/entry?plan={plan.code}"

    assert notifications.announce_publications(session) == 0
    assert _titles(session, head).count(title) == 1


def test_publication_notice_lost_race_adds_nothing(
    session, published_year, frozen_clock
):
    plan, head = published_year
    frozen_clock.set(plan.publication_start)
    notifications.announce_publications(session)
    session.flush()
    key = f"publication:{plan.id}:{head.organisation_id}"

    # A worker that read the keys before this one wrote them reaches the insert.
    assert not notifications._add_once(session, plan, head.organisation_id, "/", key)
    session.flush()
    assert len(notifications.list_for(session, actor=head)) == 1


def test_publication_notice_from_several_workers(session, published_year, frozen_clock):
    import threading

    from sqlmodel import func, select

    from xcert_app.db import session_scope
    from xcert_app.models.system import Notification

    plan, _head = published_year
    session.commit()
    frozen_clock.set(plan.publication_start)
    created: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with session_scope() as worker_session:
                created.append(notifications.announce_publications(worker_session))
        except BaseException as error:  # noqa: BLE001 - the test reports any failure
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    assert sum(created) == 2
    count = session.exec(
        select(func.count())
        .select_from(Notification)
        .where(Notification.event_key.is_not(None))
    ).one()
    assert count == 2


def test_announce_command_counts_new_notices(
    session, published_year, frozen_clock, capsys
):
    import json

    from xcert_app import cli

    plan, _head = published_year
    session.commit()
    frozen_clock.set(plan.publication_start)

    assert cli.main(["scores", "announce", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"ok": True, "notifications": 2}
    assert cli.main(["scores", "announce", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"ok": True, "notifications": 0}


def test_publication_notice_not_after_window(session, published_year, frozen_clock):
    from datetime import timedelta

    plan, head = published_year
    frozen_clock.set(plan.publication_end + timedelta(seconds=1))
    assert notifications.announce_publications(session) == 0
    assert notifications.list_for(session, actor=head) == []


def test_publication_notice_needs_registrations(session, frozen_clock):
    from sqlmodel import select

    from xcert_app.models.catalogue import ExamPlan
    from xcert_app.services import demo

    demo.load_demo(session)
    session.flush()
    plan = session.exec(select(ExamPlan)).one()
    frozen_clock.set(plan.publication_start)
    assert notifications.announce_publications(session) == 0
    org = _demo_actor(session, "wuliu_org")
    assert notifications.list_for(session, actor=org) == []
