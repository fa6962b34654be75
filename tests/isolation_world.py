"""A small two-province world for isolation tests: every role twice, owners and outsiders."""

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from tests.factories import actor_of, make_account, make_actor, make_organisation
from tests.factories_candidates import photo as candidate_photo
from tests.factories_catalogue import add_divisions
from tests.factories_issuance import seal_png
from xcert_app.clock import beijing
from xcert_app.models.accounts import Role, StaffMember
from xcert_app.models.candidates import Candidate, CandidateKind, VerificationStatus
from xcert_app.models.catalogue import (
    Certificate,
    CertificateLevel,
    ExamPlan,
    PlanLevel,
    PlanSession,
    PlanSubject,
    Subject,
)
from xcert_app.models.declarations import (
    Declaration,
    DeclarationPlan,
    DeclarationStatus,
)
from xcert_app.models.issuance import IssuanceRecord, IssuanceStatus
from xcert_app.models.orgs import Organisation, OrgKind
from xcert_app.models.reference import Division
from xcert_app.models.registrations import (
    FeeRule,
    PaymentOrder,
    PaymentOrderLine,
    Registration,
    RegistrationStatus,
)
from xcert_app.models.scheduling import Arrangement, ScheduleRun
from xcert_app.models.scores import CertificateResult, SubjectScore
from xcert_app.models.sites import (
    ExamSite,
    ExamSiteCertificate,
    Room,
    RoomCertificate,
    SiteLoan,
    SiteStatus,
)
from xcert_app.services import photos, seals, storage
from xcert_app.services.actor import Actor
from xcert_app.services.identity import make_id_number
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
    own_candidate: Actor
    outsiders: dict[str, Actor]
    notification_id: int
    ids: dict[str, int]


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
    # Outsider schools have completed their base information, so a refusal comes
    # from the ownership check, not from a missing form.
    completed = beijing(2026, 11, 1)
    other_school = make_organisation(
        session, name="乙校", base_info_completed_at=completed
    )
    far_school = make_organisation(
        session,
        name="丙校",
        province_code="310000",
        city_code="310100",
        base_info_completed_at=completed,
    )
    org = make_organisation(
        session,
        kind=OrgKind.ASSESSMENT_ORG,
        name="甲评价组织",
        requires_payment=True,
        fee_basis="subject",
    )
    other_org = make_organisation(
        session, kind=OrgKind.ASSESSMENT_ORG, name="乙评价组织"
    )
    candidate = Candidate(
        school_id=school.id,
        name="张三",
        id_number="110101199003071233",
        mobile="13800138000",
        verification_status=VerificationStatus.NEEDS_CONFIRMATION,
        major="甲物流专业",
        programme_level="高职专科",
        enrolment_year=2023,
    )
    other_candidate = Candidate(
        school_id=other_school.id, name="李四", id_number="11010119900307125X"
    )
    session.add(candidate)
    session.add(other_candidate)
    session.flush()
    ids = _add_owned_workflow(session, school=school, org=org, province=province)
    notification = notify(session, organisation_id=school.id, title="甲校的通知")
    get_sender().send(
        session, mobile=school.registered_mobile, body="甲校的短信", purpose="test"
    )
    session.flush()
    staff = StaffMember(
        organisation_id=school.id, name="甲校监考员", mobile="13900139000"
    )
    session.add(staff)
    session.flush()
    ids["staff"] = staff.id
    school_head = make_actor(session, role=Role.SCHOOL_HEAD, organisation=school)
    school_admin = make_actor(session, role=Role.SCHOOL_ADMIN, organisation=school)
    own_candidate = _add_exam_year(
        session, ids, school=school, org=org, head=school_head, admin=school_admin
    )
    candidate_account = make_account(
        session, role=Role.CANDIDATE, candidate_id=other_candidate.id
    )
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
        school_head=school_head,
        school_admin=school_admin,
        org_admin=make_actor(session, role=Role.ORG_ADMIN, organisation=org),
        province_reviewer=make_actor(
            session, role=Role.PROVINCE_REVIEWER, organisation=province
        ),
        city_reviewer=make_actor(session, role=Role.CITY_REVIEWER, organisation=city),
        operator=make_actor(session, role=Role.PLATFORM_ADMIN),
        own_candidate=own_candidate,
        outsiders=outsiders,
        notification_id=notification.id,
        ids=ids,
    )


def _add_owned_workflow(
    session: Session, *, school: Organisation, org: Organisation, province: Organisation
) -> dict[str, int]:
    """Give the owners work in progress that outsiders must never see."""
    ids: dict[str, int] = {}
    add_divisions(session)
    for code, name, level, parent in (
        ("310000", "上海市", 1, None),
        ("310100", "市辖区", 2, "310000"),
        ("310101", "黄浦区", 3, "310100"),
    ):
        session.add(Division(code=code, name=name, level=level, parent_code=parent))
    school.base_info_completed_at = beijing(2026, 11, 1)
    session.add(school)
    certificate = Certificate(org_id=org.id, code="990000001", name="甲证书")
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
    future_plan = DeclarationPlan(
        department_id=province.id,
        province_code=province.province_code,
        year=2027,
        batch_name="2027年第一次",
        opens_at=beijing(2027, 3, 1),
        closes_at=beijing(2027, 3, 31, 23, 59, 59),
    )
    session.add_all([plan, future_plan])
    session.flush()
    ids["declaration_plan"] = plan.id
    ids["future_declaration_plan"] = future_plan.id
    pending = Declaration(
        plan_id=plan.id,
        school_id=school.id,
        certificate_id=certificate.id,
        planned_count=10,
        status=DeclarationStatus.PENDING_PROVINCE,
        submitted_at=beijing(2026, 12, 2),
        evidence_file_id=_stored(session, school, "evidence", "佐证.pdf").id,
    )
    approved_certificate = Certificate(org_id=org.id, code="990000002", name="乙证书")
    draft_certificate = Certificate(org_id=org.id, code="990000003", name="丙证书")
    session.add_all([pending, approved_certificate, draft_certificate])
    session.flush()
    ids["pending_declaration"] = pending.id
    ids["draft_certificate"] = draft_certificate.id
    ids["certificate"] = approved_certificate.id
    approved = Declaration(
        plan_id=plan.id,
        school_id=school.id,
        certificate_id=approved_certificate.id,
        planned_count=20,
        approved_count=15,
        status=DeclarationStatus.APPROVED,
        submitted_at=beijing(2026, 12, 2),
    )
    draft = Declaration(
        plan_id=plan.id,
        school_id=school.id,
        certificate_id=draft_certificate.id,
        planned_count=5,
        status=DeclarationStatus.DRAFT,
    )
    exam_plan = _exam_plan(org)
    draft_plan = _exam_plan(org, code="K202612010002", name="甲未发布计划")
    draft_plan.is_published = False
    next_plan = _exam_plan(org, code="K202612010003", name="甲下次考试计划")
    session.add_all([approved, draft, exam_plan, draft_plan, next_plan])
    session.flush()
    ids["next_exam_plan"] = next_plan.id
    ids["draft_declaration"] = draft.id
    ids["exam_plan"] = exam_plan.id
    ids["draft_exam_plan"] = draft_plan.id
    for status in (SiteStatus.PENDING, SiteStatus.APPROVED):
        site = _site(school, org, status)
        site.evidence_file_id = _stored(session, school, "evidence", "场地.pdf").id
        session.add(site)
        session.flush()
        ids[f"{status}_site"] = site.id
    return ids


def _stored(session: Session, owner: Organisation, kind: str, name: str):
    return storage.save_bytes(
        session,
        data=b"%PDF-1.4 owners' file",
        kind=kind,
        content_type="application/pdf",
        organisation_id=owner.id,
        original_name=name,
    )


def _add_exam_year(
    session: Session,
    ids: dict[str, int],
    *,
    school: Organisation,
    org: Organisation,
    head: Actor,
    admin: Actor,
) -> Actor:
    """Run the owners' exam year to the end: a level with one subject in the exam
    plan, a room, registrations, a seat, a score, results, certificate records in
    every state, a payment order, a loan and a seal. Return the seated candidate's
    login."""
    level = CertificateLevel(certificate_id=ids["certificate"], level="初级")
    session.add(level)
    session.flush()
    ids["level"] = level.id
    plan_level = PlanLevel(plan_id=ids["exam_plan"], certificate_level_id=level.id)
    subject = Subject(
        code="990101", name="甲科目", mode="机考", certificate_level_id=level.id
    )
    session.add_all([plan_level, subject])
    session.flush()
    ids["plan_level"] = plan_level.id
    ids["subject"] = subject.id
    plan_subject = PlanSubject(
        plan_id=ids["exam_plan"],
        plan_level_id=plan_level.id,
        subject_id=subject.id,
        pass_mark=60,
        weight_percent=100,
        duration_minutes=120,
    )
    session.add(plan_subject)
    session.add(FeeRule(org_id=org.id, subject_id=subject.id, amount_fen=12000))
    session.flush()
    sitting = PlanSession(
        plan_subject_id=plan_subject.id,
        starts_at=beijing(2026, 12, 12, 9),
        ends_at=beijing(2026, 12, 12, 11),
    )
    room = Room(
        plan_id=ids["exam_plan"],
        site_id=ids["approved_site"],
        name="甲101机房",
        mode="机考",
        seats=30,
        address="实训楼101",
    )
    empty_room = Room(
        plan_id=ids["exam_plan"],
        site_id=ids["approved_site"],
        name="甲空机房",
        mode="机考",
        seats=10,
        address="实训楼103",
    )
    session.add_all([sitting, room, empty_room])
    session.flush()
    ids["empty_room"] = empty_room.id
    session.add(RoomCertificate(room_id=room.id, certificate_level_id=level.id))
    for status in (SiteStatus.PENDING, SiteStatus.APPROVED):
        session.add(
            ExamSiteCertificate(
                site_id=ids[f"{status}_site"], certificate_level_id=level.id
            )
        )
    ids["session"] = sitting.id
    ids["room"] = room.id

    def candidate(name: str, sequence: int, **fields) -> Candidate:
        row = Candidate(
            school_id=school.id,
            name=name,
            id_number=make_id_number("110101", date(2004, 1, 1), sequence),
            verification_status=VerificationStatus.VERIFIED,
            **fields,
        )
        session.add(row)
        session.flush()
        ids[name] = row.id
        return row

    def registration(of: Candidate, status: str) -> Registration:
        row = Registration(
            plan_id=ids["exam_plan"],
            plan_subject_id=plan_subject.id,
            subject_id=subject.id,
            certificate_level_id=level.id,
            candidate_id=of.id,
            school_id=school.id,
            status=status,
        )
        session.add(row)
        session.flush()
        return row

    def record(of: Candidate, status: str, number: int, **fields) -> IssuanceRecord:
        result = CertificateResult(
            plan_id=ids["exam_plan"],
            plan_level_id=plan_level.id,
            candidate_id=of.id,
            school_id=school.id,
            composite_tenths=850,
            passed=True,
            computed_at=beijing(2026, 12, 17),
        )
        session.add(result)
        session.flush()
        row = IssuanceRecord(
            result_id=result.id,
            certificate_number=f"99010115610{number:011d}",
            candidate_id=of.id,
            school_id=school.id,
            org_id=org.id,
            plan_id=ids["exam_plan"],
            certificate_level_id=level.id,
            site_id=ids["approved_site"],
            status=status,
            **fields,
        )
        session.add(row)
        session.flush()
        return row

    seated = candidate("王五", 11, major="甲物流专业")
    seated_registration = registration(seated, RegistrationStatus.SCHEDULED)
    ids["registration"] = seated_registration.id
    session.add(
        Arrangement(
            registration_id=seated_registration.id,
            plan_id=ids["exam_plan"],
            site_id=ids["approved_site"],
            room_id=room.id,
            session_id=sitting.id,
            seat_number=1,
            ticket_number="99010100000000000001",
        )
    )
    score = SubjectScore(
        registration_id=seated_registration.id,
        plan_id=ids["exam_plan"],
        candidate_id=seated.id,
        subject_id=subject.id,
        score_tenths=850,
    )
    session.add(score)
    issued = record(
        seated,
        IssuanceStatus.ISSUED,
        1,
        school_signed_at=beijing(2026, 12, 3),
        org_signed_at=beijing(2026, 12, 3),
        issued_at=beijing(2026, 12, 3),
    )
    ids["issued_record"] = issued.id

    in_order = candidate("赵六", 12)
    order_registration = registration(in_order, RegistrationStatus.REGISTERED)
    ids["pending_record"] = record(in_order, IssuanceStatus.PENDING, 2).id
    order = PaymentOrder(
        number="JF99010100000001",
        school_id=school.id,
        org_id=org.id,
        plan_id=ids["exam_plan"],
        basis="subject",
        line_count=1,
        amount_fen=12000,
    )
    session.add(order)
    session.flush()
    session.add(
        PaymentOrderLine(
            order_id=order.id, registration_id=order_registration.id, amount_fen=12000
        )
    )
    ids["order"] = order.id

    unpaid = candidate("周九", 13)
    registration(unpaid, RegistrationStatus.REGISTERED)
    ids["refused_record"] = record(
        unpaid, IssuanceStatus.REFUSED, 3, refused_reason="姓名有误"
    ).id
    candidate("吴十", 14, kind=CandidateKind.SOCIAL)

    borrower = Organisation(
        kind=OrgKind.SCHOOL,
        name="丁校",
        province_code="110000",
        city_code="110100",
        institution_code="4111099999",
    )
    session.add(borrower)
    session.flush()
    loan = SiteLoan(org_id=org.id, school_id=borrower.id, site_id=ids["approved_site"])
    session.add(
        ScheduleRun(plan_id=ids["exam_plan"], seed=1, created_by_id=head.account_id)
    )
    session.add(loan)
    session.flush()
    ids["loan"] = loan.id
    session.add(
        Declaration(
            plan_id=ids["declaration_plan"],
            school_id=borrower.id,
            certificate_id=ids["certificate"],
            planned_count=10,
            approved_count=10,
            status=DeclarationStatus.APPROVED,
        )
    )
    ids["borrower"] = borrower.id
    seals.save_seal(
        session, actor=head, data=seal_png(), filename="seal.png", authorised=True
    )
    photos.upload_photo(
        session,
        actor=admin,
        candidate_id=seated.id,
        data=candidate_photo(),
        file_name="王五.jpg",
    )
    session.flush()
    return actor_of(
        session, make_account(session, role=Role.CANDIDATE, candidate_id=seated.id)
    )


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


def _exam_plan(
    org: Organisation, code: str = "K202612010001", name: str = "甲考试计划"
) -> ExamPlan:
    """Build a plan whose five windows follow each other from 12-01.

    Registration is open at the test clock (12-04 10:00). Tickets are 12-06..09,
    the exam 12-11..14, score entry 12-16..19 and publication 12-21..24.
    """
    windows = {}
    for index, window in enumerate(
        ("registration", "ticket", "exam", "score_entry", "publication")
    ):
        windows[f"{window}_start"] = beijing(2026, 12, 1 + index * 5)
        windows[f"{window}_end"] = beijing(2026, 12, 4 + index * 5, 23, 59, 59)
    return ExamPlan(code=code, org_id=org.id, name=name, **windows)
