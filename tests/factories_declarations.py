"""Builders for declaration tests: a province with its city bureau, a school, a plan."""

import io
import zipfile
from dataclasses import dataclass

from sqlmodel import Session

from tests.factories import make_actor, make_organisation
from xcert_app.clock import beijing
from xcert_app.models.accounts import Role
from xcert_app.models.catalogue import Certificate
from xcert_app.models.declarations import DeclarationPlan
from xcert_app.models.orgs import Organisation, OrgKind
from xcert_app.models.reference import Division, Major
from xcert_app.services import declarations
from xcert_app.services.actor import Actor

VALID_CREDIT_CODE = "91110000802100433B"
PLAN_OPENS = beijing(2026, 12, 1)
PLAN_CLOSES = beijing(2026, 12, 20, 23, 59, 59)


@dataclass
class Province:
    """A province department, a city bureau, a school and an actor for each."""

    department: Organisation
    school: Organisation
    province: Actor
    city: Actor
    school_head: Actor
    certificate: Certificate
    major: Major


def add_divisions(session: Session) -> None:
    if session.get(Division, "110000") is None:
        session.add(Division(code="110000", name="北京市", level=1))
        session.add(
            Division(code="110100", name="北京市", level=2, parent_code="110000")
        )
        session.add(
            Division(code="110108", name="海淀区", level=3, parent_code="110100")
        )
        session.flush()


def make_province(session: Session, *, base_info: bool = True) -> Province:
    add_divisions(session)
    department = make_organisation(
        session, kind=OrgKind.PROVINCE_DEPARTMENT, name="北京市教育委员会"
    )
    city = make_organisation(
        session, kind=OrgKind.CITY_BUREAU, name="市辖区教育局", city_code="110100"
    )
    school = make_organisation(session, registered_mobile="13800138000")
    issuer = make_organisation(session, kind=OrgKind.ASSESSMENT_ORG, name="评价组织")
    certificate = Certificate(
        org_id=issuer.id, code=f"C{school.id}", name="物流管理职业技能等级证书"
    )
    major = Major(code="530802", name="现代物流管理", programme_level="高职专科")
    session.add(certificate)
    session.add(major)
    session.flush()
    head = make_actor(session, role=Role.SCHOOL_HEAD, organisation=school)
    if base_info:
        declarations.save_base_info(session, actor=head, form=base_info_form())
    return Province(
        department=department,
        school=school,
        province=make_actor(
            session, role=Role.PROVINCE_REVIEWER, organisation=department
        ),
        city=make_actor(session, role=Role.CITY_REVIEWER, organisation=city),
        school_head=head,
        certificate=certificate,
        major=major,
    )


def base_info_form(**changes) -> declarations.BaseInfoForm:
    values = {
        "school_type": "高职院校",
        "credit_code": VALID_CREDIT_CODE,
        "website": "https://www.example.edu.cn",
        "city_code": "110100",
        "district_code": "110108",
        "address": "海淀区学院路 1 号",
        "contact_name": "张老师",
        "contact_mobile": "17600086571",
        "contact_email": "zhang@example.cn",
    }
    values.update(changes)
    return declarations.BaseInfoForm(**values)


def make_plan(
    session: Session,
    world: Province,
    *,
    opens=PLAN_OPENS,
    closes=PLAN_CLOSES,
    by_major: bool = False,
    needs_city_review: bool = True,
    year: int = 2026,
) -> DeclarationPlan:
    plan = DeclarationPlan(
        department_id=world.department.id,
        province_code="110000",
        year=year,
        batch_name=f"{year}年第{world.school.id}次",
        opens_at=opens,
        closes_at=closes,
        by_major=by_major,
        needs_city_review=needs_city_review,
    )
    session.add(plan)
    session.flush()
    return plan


def declaration_form(world: Province, **changes) -> declarations.DeclarationForm:
    values = {
        "certificate_id": world.certificate.id,
        "major_ids": [world.major.id],
        "planned_count": "100",
        "teacher_description": "专任教师 10 人",
        "venue_description": "实训室 2 间",
    }
    values.update(changes)
    return declarations.DeclarationForm(**values)


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()
