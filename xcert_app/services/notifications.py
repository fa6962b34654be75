"""In-app notifications: what happened to an organisation, with unread marks per account."""

import logging

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, and_, func, or_, select

from xcert_app import routes
from xcert_app.clock import clock, format_beijing
from xcert_app.models.accounts import Account
from xcert_app.models.catalogue import ExamPlan
from xcert_app.models.orgs import Organisation
from xcert_app.models.registrations import Registration
from xcert_app.models.system import Notification, NotificationRead, SmsMessage
from xcert_app.services import audit
from xcert_app.services.actor import Actor
from xcert_app.services.errors import AccessDenied, NotFound

logger = logging.getLogger(__name__)

PUBLICATION_KEY_PREFIX = "publication:"


def notify(
    session: Session,
    *,
    organisation_id: int | None = None,
    account_id: int | None = None,
    title: str,
    body: str = "",
    link: str = "",
) -> Notification:
    """Record a notification for every account of an organisation, or for one account."""
    if organisation_id is None and account_id is None:
        raise ValueError("a notification needs an organisation or an account")
    notification = Notification(
        organisation_id=organisation_id,
        account_id=account_id,
        title=title[:128],
        body=body,
        link=link,
    )
    session.add(notification)
    return notification


def announce_publications(session: Session) -> int:
    """Notify each plan's organisation and registered schools once its publication starts.

    The start of a window is a moment, not an event, so the first read of the
    notifications or the home page after it creates them. Each notification carries
    a unique ``event_key`` per plan and organisation, so a second call, or another
    worker racing this one, adds nothing. Returns how many notifications were created.
    Only plans still in their publication window are considered, which keeps the
    work per call small. A plan whose whole window passes unread is never announced.
    """
    now = clock.now()
    plans = session.exec(
        select(ExamPlan).where(
            ExamPlan.is_published,
            ExamPlan.publication_start <= now,
            ExamPlan.publication_end >= now,
        )
    ).all()
    created = 0
    for plan in plans:
        plan_prefix = f"{PUBLICATION_KEY_PREFIX}{plan.id}:"
        sent = set(
            session.exec(
                select(Notification.event_key).where(
                    Notification.event_key.startswith(plan_prefix)
                )
            ).all()
        )
        schools = session.exec(
            select(Registration.school_id)
            .where(Registration.plan_id == plan.id)
            .distinct()
        ).all()
        if not schools:
            # A plan without registrations has no scores to announce.
            continue
        recipients = {plan.org_id: routes.SCORE_ENTRY}
        recipients.update({school_id: routes.SCORES for school_id in schools})
        announced = 0
        for organisation_id, page in sorted(recipients.items()):
            key = f"{plan_prefix}{organisation_id}"
            if key in sent:
                continue
            if _add_once(session, plan, organisation_id, page, key):
                announced += 1
        if announced:
            audit.record(
                session,
                actor=None,
                action="announce_publication",
                entity="exam_plan",
                entity_id=plan.id,
                after={"notifications": announced},
            )
            logger.info(
                "announced the publication of plan %s to %d organisations",
                plan.code,
                announced,
            )
        created += announced
    return created


def _add_once(
    session: Session, plan: ExamPlan, organisation_id: int, page: str, key: str
) -> bool:
    """Add one publication notice in a savepoint. Return False if another worker did."""
    try:
        with session.begin_nested():
            session.add(
                Notification(
                    organisation_id=organisation_id,
                    title=f"成绩已发布：{plan.name}（{plan.code}）",
                    body=(
                        f"{plan.name}的成绩自 {format_beijing(plan.publication_start)}"
                        f" 起公示，公示期至 {format_beijing(plan.publication_end)}。"
                    ),
                    link=routes.with_query(page, plan=plan.code),
                    event_key=key,
                )
            )
    except IntegrityError:
        logger.info("publication notice %s was created by another worker", key)
        return False
    return True


def _visible(actor: Actor):
    mine = Notification.account_id == actor.account_id
    if actor.organisation_id is None:
        return mine
    return or_(
        mine,
        and_(
            Notification.account_id.is_(None),
            Notification.organisation_id == actor.organisation_id,
        ),
    )


def list_for(
    session: Session, *, actor: Actor, limit: int = 50, offset: int = 0
) -> list[tuple[Notification, bool]]:
    """Return the caller's notifications, newest first, each with whether it was read."""
    if actor is None:
        raise AccessDenied("请先登录")
    rows = session.exec(
        select(Notification, NotificationRead.read_at)
        .outerjoin(
            NotificationRead,
            and_(
                NotificationRead.notification_id == Notification.id,
                NotificationRead.account_id == actor.account_id,
            ),
        )
        .where(_visible(actor))
        .order_by(Notification.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return [(notification, read_at is not None) for notification, read_at in rows]


def unread_count(session: Session, *, actor: Actor) -> int:
    """Count the caller's unread notifications."""
    read = select(NotificationRead.notification_id).where(
        NotificationRead.account_id == actor.account_id
    )
    return session.exec(
        select(func.count())
        .select_from(Notification)
        .where(_visible(actor), Notification.id.not_in(read))
    ).one()


def mark_read(
    session: Session, *, actor: Actor, notification_id: int | None = None
) -> int:
    """Mark one notification, or all of the caller's, as read; return how many were marked."""
    query = select(Notification.id).where(_visible(actor))
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    ids = set(session.exec(query).all())
    if notification_id is not None and not ids:
        raise NotFound("通知不存在")
    already = set(
        session.exec(
            select(NotificationRead.notification_id).where(
                NotificationRead.account_id == actor.account_id,
                NotificationRead.notification_id.in_(ids),
            )
        ).all()
    )
    for unread_id in ids - already:
        session.add(
            NotificationRead(notification_id=unread_id, account_id=actor.account_id)
        )
    return len(ids - already)


def sms_for(session: Session, *, actor: Actor, limit: int = 50) -> list[SmsMessage]:
    """Return the SMS sent to the mobiles of the caller's organisation and its accounts."""
    if actor is None:
        raise AccessDenied("请先登录")
    mobiles = set()
    if actor.organisation_id is not None:
        organisation = session.get(Organisation, actor.organisation_id)
        if organisation is not None:
            mobiles.update(
                {organisation.registered_mobile, organisation.contact_mobile}
            )
        mobiles.update(
            session.exec(
                select(Account.mobile).where(
                    Account.organisation_id == actor.organisation_id
                )
            ).all()
        )
    else:
        account = session.get(Account, actor.account_id)
        if account is not None:
            mobiles.add(account.mobile)
    mobiles.discard("")
    if not mobiles:
        return []
    return list(
        session.exec(
            select(SmsMessage)
            .where(SmsMessage.mobile.in_(mobiles))
            .order_by(SmsMessage.id.desc())
            .limit(limit)
        ).all()
    )
