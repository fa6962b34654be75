"""Each role's to-do list, computed from the data and the clock.

Each item links to the page that resolves it. The link carries the plan and the
filter, so the page opens showing only the rows to act on. Where a time window
governs an item, it carries the deadline of that window in Beijing time.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, func, select

from xcert_app import routes
from xcert_app.clock import clock, format_beijing, to_beijing
from xcert_app.models.accounts import Role
from xcert_app.models.candidates import Candidate, VerificationStatus
from xcert_app.models.catalogue import ExamMode, ExamPlan, Subject
from xcert_app.models.declarations import (
    Declaration,
    DeclarationPlan,
    DeclarationStatus,
)
from xcert_app.models.issuance import IssuanceRecord, IssuanceStatus
from xcert_app.models.orgs import Organisation
from xcert_app.models.registrations import (
    OrderStatus,
    PaymentOrder,
    Registration,
    RegistrationStatus,
)
from xcert_app.models.scheduling import Arrangement, RoomDuty
from xcert_app.models.scores import SubjectScore
from xcert_app.models.sites import ExamSite, Room, SiteStatus
from xcert_app.services import signing
from xcert_app.services.actor import Actor, require_role

# The page that resolves each kind of item, kept in one table. The items add
# the plan and filter to the address.
LINKS = {
    "base_info": "/school/base-info",
    "declarations": "/school/declarations",
    "candidates": "/candidates",
    "rooms": "/exam/rooms",
    "registrations": "/registrations",
    "invigilation": "/exam/schedule",
    "school_signing": "/issuance/signing",
    "review": "/review/declarations",
    "site_review": "/exam/site-review",
    "order_review": "/org/payments",
    "scheduling": "/exam/schedule",
    "scores": "/scores/entry",
    "org_signing": "/issuance/signing",
}


@dataclass(frozen=True)
class TodoItem:
    """One thing to do: what, how many, where to go, and by when."""

    key: str
    title: str
    count: int
    link: str
    deadline: datetime | None = None

    def deadline_text(self, now: datetime) -> str:
        """Return e.g. ``报名截止还有 3 天`` or an empty string."""
        if self.deadline is None:
            return ""
        return describe_deadline(self.deadline, now)


def describe_deadline(deadline: datetime, now: datetime) -> str:
    """Say how long is left until ``deadline`` in whole Beijing days, hours or minutes."""
    seconds = (deadline - now).total_seconds()
    if seconds < 0:
        return "已截止（" + format_beijing(deadline) + "）"
    days = (to_beijing(deadline).date() - to_beijing(now).date()).days
    if days >= 1:
        return f"截止还有 {days} 天（{format_beijing(deadline)}）"
    hours = int(seconds // 3600)
    if hours >= 1:
        return f"今天截止，还有 {hours} 小时（{format_beijing(deadline, '%H:%M')}）"
    return f"即将截止，还有 {max(1, int(seconds // 60))} 分钟"


def _count(session: Session, query) -> int:
    return session.exec(select(func.count()).select_from(query.subquery())).one()


def _open_plans(session: Session, start_field: str, end_field: str) -> list[ExamPlan]:
    now = clock.now()
    start = getattr(ExamPlan, start_field)
    end = getattr(ExamPlan, end_field)
    return list(
        session.exec(
            select(ExamPlan).where(start <= now, end >= now).order_by(end)
        ).all()
    )


def school_items(session: Session, *, actor: Actor) -> list[TodoItem]:
    """Return the school's to-do list."""
    require_role(actor, Role.SCHOOL_HEAD, Role.SCHOOL_ADMIN)
    school_id = actor.organisation_id
    now = clock.now()
    items: list[TodoItem] = []
    school = session.get(Organisation, school_id)

    if school is not None and school.base_info_completed_at is None:
        items.append(TodoItem("base_info", "完善院校基础信息", 1, LINKS["base_info"]))

    drafts = session.exec(
        select(Declaration, DeclarationPlan)
        .join(DeclarationPlan, DeclarationPlan.id == Declaration.plan_id)
        .where(
            Declaration.school_id == school_id,
            Declaration.status == DeclarationStatus.DRAFT,
        )
    ).all()
    if drafts:
        deadline = min(plan.closes_at for _declaration, plan in drafts)
        items.append(
            TodoItem(
                "declaration_drafts",
                "证书试点申报待提交",
                len(drafts),
                LINKS["declarations"] + "?status=draft",
                deadline,
            )
        )

    candidates = select(Candidate).where(Candidate.school_id == school_id)
    needs_confirmation = _count(
        session,
        candidates.where(
            Candidate.verification_status == VerificationStatus.NEEDS_CONFIRMATION
        ),
    )
    if needs_confirmation:
        items.append(
            TodoItem(
                "candidates_confirm",
                "考生待人工确认",
                needs_confirmation,
                LINKS["candidates"] + "?status=needs_confirmation",
            )
        )
    missing_photos = _count(
        session, candidates.where(Candidate.photo_file_id.is_(None))
    )
    if missing_photos:
        items.append(
            TodoItem(
                "photos_missing",
                "考生缺少照片",
                missing_photos,
                routes.with_query(LINKS["candidates"], missing="photo"),
            )
        )

    for plan in _open_plans(session, "registration_start", "registration_end"):
        short = _seat_shortage(session, school_id=school_id, plan_id=plan.id)
        if short:
            per_mode = "、".join(
                f"{mode}缺 {count} 座" for mode, count in short.items()
            )
            items.append(
                TodoItem(
                    f"rooms_short_{plan.id}",
                    f"{plan.name}：考场座位不足，{per_mode}",
                    sum(short.values()),
                    routes.with_query(LINKS["rooms"], plan=plan.code),
                    plan.registration_end,
                )
            )
        organisation = session.get(Organisation, plan.org_id)
        if organisation is not None and organisation.requires_payment:
            unpaid = _count(
                session,
                select(Registration).where(
                    Registration.school_id == school_id,
                    Registration.plan_id == plan.id,
                    Registration.status == RegistrationStatus.REGISTERED,
                ),
            )
            if unpaid:
                items.append(
                    TodoItem(
                        f"unpaid_{plan.id}",
                        f"{plan.name}：报考未缴费",
                        unpaid,
                        routes.with_query(
                            LINKS["registrations"],
                            plan=plan.code,
                            status=RegistrationStatus.REGISTERED.value,
                        ),
                        plan.registration_end,
                    )
                )

    for plan, unassigned in _rooms_without_invigilator(
        session, school_id=school_id, now=now
    ):
        items.append(
            TodoItem(
                f"invigilators_{plan.id}",
                f"{plan.name}：考场未安排监考",
                unassigned,
                routes.with_query(
                    LINKS["invigilation"], plan=plan.code, duty="missing"
                ),
                plan.exam_start,
            )
        )

    to_sign = _count(
        session,
        select(IssuanceRecord).where(
            IssuanceRecord.school_id == school_id,
            IssuanceRecord.status == IssuanceStatus.PENDING,
            IssuanceRecord.school_signed_at.is_(None),
            IssuanceRecord.plan_id.in_(signing.locked_plan_ids()),
        ),
    )
    if to_sign and actor.role == Role.SCHOOL_HEAD:
        items.append(
            TodoItem(
                "school_signing",
                "证书待本校签发",
                to_sign,
                routes.with_query(LINKS["school_signing"], status="to_sign"),
            )
        )
    return items


def _seat_shortage(session: Session, *, school_id: int, plan_id: int) -> dict[str, int]:
    """Return per exam mode how many registered candidates of the school lack a seat.

    Modes without a shortfall are left out; the others follow ``ExamMode`` order.
    """
    registered = session.exec(
        select(Subject.mode, func.count(func.distinct(Registration.candidate_id)))
        .join(Subject, Subject.id == Registration.subject_id)
        .where(Registration.school_id == school_id, Registration.plan_id == plan_id)
        .group_by(Subject.mode)
    ).all()
    seats = dict(
        session.exec(
            select(Room.mode, func.sum(Room.seats))
            .join(ExamSite, ExamSite.id == Room.site_id)
            .where(Room.plan_id == plan_id, ExamSite.school_id == school_id)
            .group_by(Room.mode)
        ).all()
    )
    missing = {mode: count - (seats.get(mode) or 0) for mode, count in registered}
    order = {mode.value: index for index, mode in enumerate(ExamMode)}
    return {
        mode: missing[mode]
        for mode in sorted(missing, key=lambda mode: order.get(mode, len(order)))
        if missing[mode] > 0
    }


def _rooms_without_invigilator(
    session: Session, *, school_id: int, now: datetime
) -> list[tuple[ExamPlan, int]]:
    """Count, per plan not yet examined, the school's (room, session) pairs in use
    without an invigilator. Plans where every pair has one are left out."""
    used = session.exec(
        select(Arrangement.plan_id, Arrangement.room_id, Arrangement.session_id)
        .join(ExamSite, ExamSite.id == Arrangement.site_id)
        .join(ExamPlan, ExamPlan.id == Arrangement.plan_id)
        .where(ExamSite.school_id == school_id, ExamPlan.exam_end >= now)
        .distinct()
    ).all()
    staffed = set(
        session.exec(
            select(RoomDuty.room_id, RoomDuty.session_id)
            .where(RoomDuty.duty == "invigilator")
            .distinct()
        ).all()
    )
    unstaffed: dict[int, int] = {}
    for plan_id, room_id, session_id in used:
        if (room_id, session_id) not in staffed:
            unstaffed[plan_id] = unstaffed.get(plan_id, 0) + 1
    plans = [session.get(ExamPlan, plan_id) for plan_id in sorted(unstaffed)]
    return [(plan, unstaffed[plan.id]) for plan in plans]


def reviewer_items(session: Session, *, actor: Actor) -> list[TodoItem]:
    """Return the declarations waiting for this reviewer, the oldest submission first."""
    require_role(actor, Role.CITY_REVIEWER, Role.PROVINCE_REVIEWER)
    status = (
        DeclarationStatus.PENDING_CITY
        if actor.role == Role.CITY_REVIEWER
        else DeclarationStatus.PENDING_PROVINCE
    )
    query = (
        select(Declaration, DeclarationPlan)
        .join(DeclarationPlan, DeclarationPlan.id == Declaration.plan_id)
        .join(Organisation, Organisation.id == Declaration.school_id)
        .where(
            Declaration.status == status,
            DeclarationPlan.province_code == actor.province_code,
        )
    )
    if actor.role == Role.CITY_REVIEWER:
        query = query.where(Organisation.city_code == actor.city_code)
    waiting = session.exec(query.order_by(Declaration.submitted_at)).all()
    if not waiting:
        return []
    oldest = waiting[0][0].submitted_at
    title = "证书试点申报待审核" + (
        f"（最早提交于 {format_beijing(oldest)}）" if oldest else ""
    )
    link = routes.with_query(LINKS["review"], group="todo")
    return [TodoItem("review", title, len(waiting), link)]


def org_items(session: Session, *, actor: Actor) -> list[TodoItem]:
    """Return the assessment organisation's to-do list."""
    require_role(actor, Role.ORG_ADMIN)
    org_id = actor.organisation_id
    now = clock.now()
    items: list[TodoItem] = []

    sites = _count(
        session,
        select(ExamSite).where(
            ExamSite.org_id == org_id, ExamSite.status == SiteStatus.PENDING
        ),
    )
    if sites:
        items.append(
            TodoItem(
                "site_review",
                "考核站点待审核",
                sites,
                routes.with_query(
                    LINKS["site_review"], status=SiteStatus.PENDING.value
                ),
            )
        )
    orders = _count(
        session,
        select(PaymentOrder).where(
            PaymentOrder.org_id == org_id, PaymentOrder.status == OrderStatus.PENDING
        ),
    )
    if orders:
        items.append(
            TodoItem(
                "order_review",
                "缴费申请单待确认",
                orders,
                routes.with_query(
                    LINKS["order_review"], status=OrderStatus.PENDING.value
                ),
            )
        )

    plans = session.exec(
        select(ExamPlan).where(ExamPlan.org_id == org_id, ExamPlan.exam_end >= now)
    ).all()
    for plan in plans:
        unscheduled = _count(
            session,
            select(Registration)
            .outerjoin(Arrangement, Arrangement.registration_id == Registration.id)
            .where(Registration.plan_id == plan.id, Arrangement.id.is_(None)),
        )
        if unscheduled and plan.registration_end <= now:
            items.append(
                TodoItem(
                    f"schedule_{plan.id}",
                    f"{plan.name}：待排考",
                    unscheduled,
                    routes.with_query(LINKS["scheduling"], plan=plan.code),
                    plan.ticket_start,
                )
            )

    for plan in _open_plans(session, "score_entry_start", "score_entry_end"):
        if plan.org_id != org_id:
            continue
        missing = _count(
            session,
            select(Registration)
            .join(Arrangement, Arrangement.registration_id == Registration.id)
            .outerjoin(SubjectScore, SubjectScore.registration_id == Registration.id)
            .where(Registration.plan_id == plan.id, SubjectScore.id.is_(None)),
        )
        if missing:
            items.append(
                TodoItem(
                    f"scores_{plan.id}",
                    f"{plan.name}：成绩待登记",
                    missing,
                    routes.with_query(
                        LINKS["scores"], plan=plan.code, status="missing"
                    ),
                    plan.score_entry_end,
                )
            )

    to_sign = _count(
        session,
        select(IssuanceRecord).where(
            IssuanceRecord.org_id == org_id,
            IssuanceRecord.status == IssuanceStatus.PENDING,
            IssuanceRecord.org_signed_at.is_(None),
            IssuanceRecord.plan_id.in_(signing.locked_plan_ids()),
        ),
    )
    if to_sign:
        items.append(
            TodoItem(
                "org_signing",
                "证书待签发",
                to_sign,
                routes.with_query(LINKS["org_signing"], status="to_sign"),
            )
        )
    return items


def items_for(session: Session, *, actor: Actor) -> list[TodoItem]:
    """Return the caller's to-do list, whatever the role."""
    if actor.role in (Role.SCHOOL_HEAD, Role.SCHOOL_ADMIN):
        return school_items(session, actor=actor)
    if actor.role in (Role.CITY_REVIEWER, Role.PROVINCE_REVIEWER):
        return reviewer_items(session, actor=actor)
    if actor.role == Role.ORG_ADMIN:
        return org_items(session, actor=actor)
    return []
