"""A small two-province world for isolation tests: every role twice, owners and outsiders."""

from dataclasses import dataclass

from sqlmodel import Session

from tests.factories import make_account, make_actor, make_organisation
from xcert_app.clock import beijing
from xcert_app.models.accounts import Role, StaffMember
from xcert_app.models.candidates import Candidate, VerificationStatus
from xcert_app.models.catalogue import Certificate, ExamPlan
from xcert_app.models.declarations import (
    Declaration,
    DeclarationPlan,
    DeclarationStatus,
)
from xcert_app.models.orgs import Organisation, OrgKind
from xcert_app.models.sites import ExamSite, SiteStatus
from xcert_app.services.actor import Actor
from xcert_app.services.notifications import notify
from xcert_app.services.sms import get_sender


@dataclass
class World:
    """Owners of the data under test (``school``, ``org``, ``province``) and outsiders."""

    school: Organisation
    other_school: Organisation
    org: Organisation
    other_org: Organisation
    province: Organisation
    other_province: Organisation
    candidate: Candidate
    school_head: Actor
    school_admin: Actor
    org_admin: Actor
    province_reviewer: Actor
    city_reviewer: Actor
    operator: Actor
    outsiders: dict[str, Actor]
    notification_id: int


def build_world(session: Session) -> World:
    province = make_organisation(
        session, kind=OrgKind.PROVINCE_DEPARTMENT, name="北京市教育委员会"
    )
    other_province = make_organisation(
        session,
        kind=OrgKind.PROVINCE_DEPARTMENT,
        name="上海市教育委员会",
        province_code="310000",
    )
    city = make_organisation(
        session, kind=OrgKind.CITY_BUREAU, name="北京市市辖区教育局", city_code="110100"
    )
    school = make_organisation(session, name="甲校", registered_mobile="13700137000")
    other_school = make_organisation(session, name="乙校")
    far_school = make_organisation(
        session, name="丙校", province_code="310000", city_code="310100"
    )
    org = make_organisation(session, kind=OrgKind.ASSESSMENT_ORG, name="甲评价组织")
    other_org = make_organisation(
        session, kind=OrgKind.ASSESSMENT_ORG, name="乙评价组织"
    )
    candidate = Candidate(
        school_id=school.id,
        name="张三",
        id_number="110101199003071233",
        mobile="13800138000",
        verification_status=VerificationStatus.NEEDS_CONFIRMATION,
    )
    other_candidate = Candidate(
        school_id=other_school.id, name="李四", id_number="11010119900307125X"
    )
    session.add(candidate)
    session.add(other_candidate)
    session.flush()
    _add_owned_workflow(session, school=school, org=org, province=province)
    notification = notify(session, organisation_id=school.id, title="甲校的通知")
    get_sender().send(
        session, mobile=school.registered_mobile, body="甲校的短信", purpose="test"
    )
    session.flush()
    session.add(
        StaffMember(organisation_id=school.id, name="甲校监考员", mobile="13900139000")
    )
    candidate_account = make_account(
        session, role=Role.CANDIDATE, candidate_id=other_candidate.id
    )
    from tests.factories import actor_of

    outsiders = {
        "other_school_head": make_actor(
            session, role=Role.SCHOOL_HEAD, organisation=other_school
        ),
        "other_school_admin": make_actor(
            session, role=Role.SCHOOL_ADMIN, organisation=other_school
        ),
        "far_school_head": make_actor(
            session, role=Role.SCHOOL_HEAD, organisation=far_school
        ),
        "other_org": make_actor(session, role=Role.ORG_ADMIN, organisation=other_org),
        "other_province": make_actor(
            session, role=Role.PROVINCE_REVIEWER, organisation=other_province
        ),
        "candidate": actor_of(session, candidate_account),
    }
    return World(
        school=school,
        other_school=other_school,
        org=org,
        other_org=other_org,
        province=province,
        other_province=other_province,
        candidate=candidate,
        school_head=make_actor(session, role=Role.SCHOOL_HEAD, organisation=school),
        school_admin=make_actor(session, role=Role.SCHOOL_ADMIN, organisation=school),
        org_admin=make_actor(session, role=Role.ORG_ADMIN, organisation=org),
        province_reviewer=make_actor(
            session, role=Role.PROVINCE_REVIEWER, organisation=province
        ),
        city_reviewer=make_actor(session, role=Role.CITY_REVIEWER, organisation=city),
        operator=make_actor(session, role=Role.PLATFORM_ADMIN),
        outsiders=outsiders,
        notification_id=notification.id,
    )


def _add_owned_workflow(
    session: Session, *, school: Organisation, org: Organisation, province: Organisation
) -> None:
    """Give the owners work in progress that outsiders must never see."""
    certificate = Certificate(org_id=org.id, code="ISO000001", name="甲证书")
    session.add(certificate)
    session.flush()
    plan = DeclarationPlan(
        department_id=province.id,
        province_code=province.province_code,
        year=2026,
        batch_name="2026年第一次",
        opens_at=beijing(2026, 12, 1),
        closes_at=beijing(2026, 12, 31, 23, 59, 59),
    )
    session.add(plan)
    session.flush()
    session.add(
        Declaration(
            plan_id=plan.id,
            school_id=school.id,
            certificate_id=certificate.id,
            planned_count=10,
            status=DeclarationStatus.PENDING_PROVINCE,
            submitted_at=beijing(2026, 12, 2),
        )
    )
    approved_certificate = Certificate(org_id=org.id, code="ISO000002", name="乙证书")
    session.add(approved_certificate)
    session.flush()
    session.add(
        Declaration(
            plan_id=plan.id,
            school_id=school.id,
            certificate_id=approved_certificate.id,
            planned_count=20,
            approved_count=15,
            status=DeclarationStatus.APPROVED,
            submitted_at=beijing(2026, 12, 2),
        )
    )
    session.add(_exam_plan(org))
    for status in (SiteStatus.PENDING, SiteStatus.APPROVED):
        session.add(_site(school, org, status))
    session.flush()


def _site(school: Organisation, org: Organisation, status: str) -> ExamSite:
    return ExamSite(
        school_id=school.id,
        org_id=org.id,
        status=status,
        name=f"甲校考核站点{status}",
        address="北京市海淀区",
        contact_name="王",
        contact_mobile="13800138000",
        contact_email="a@b.cn",
    )


def _exam_plan(org: Organisation) -> ExamPlan:
    windows = {}
    for index, name in enumerate(
        ("registration", "ticket", "exam", "score_entry", "publication")
    ):
        windows[f"{name}_start"] = beijing(2026, 12, 1 + index * 5)
        windows[f"{name}_end"] = beijing(2026, 12, 4 + index * 5, 23, 59, 59)
    return ExamPlan(code="K202612010001", org_id=org.id, name="甲考试计划", **windows)
