"""Builders for catalogue, site and room tests: an organisation with a certificate,
plans with rules, and a school that pilots the certificate this year."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, select

from tests.factories import make_actor, make_organisation
from xcert_app.clock import beijing, clock
from xcert_app.models.accounts import Role
from xcert_app.models.catalogue import CertificateLevel, PassRule, Subject
from xcert_app.models.declarations import (
    Declaration,
    DeclarationPlan,
    DeclarationStatus,
)
from xcert_app.models.orgs import Organisation, OrgKind
from xcert_app.models.reference import Division
from xcert_app.services import catalogue, sites
from xcert_app.services.actor import Actor


@dataclass
class Catalogue:
    """An organisation, its account and a certificate with one level of three subjects."""

    org: Organisation
    org_actor: Actor
    certificate_id: int
    level: CertificateLevel
    subjects: list[Subject]


def add_divisions(session: Session) -> None:
    """Add Beijing, its city and Haidian district, the only divisions the tests use."""
    for code, name, level, parent in (
        ("110000", "北京市", 1, None),
        ("110100", "市辖区", 2, "110000"),
        ("110108", "海淀区", 3, "110100"),
    ):
        if session.get(Division, code) is None:
            session.add(Division(code=code, name=name, level=level, parent_code=parent))
    session.flush()


def make_catalogue(
    session: Session, *, code_prefix: str = "10", certificate_code: str = "156000310"
) -> Catalogue:
    org = make_organisation(
        session, kind=OrgKind.ASSESSMENT_ORG, name=f"评价组织{code_prefix}"
    )
    actor = make_actor(session, role=Role.ORG_ADMIN, organisation=org)
    certificate = catalogue.create_certificate(
        session,
        actor=actor,
        code=certificate_code,
        name="物流管理职业技能等级证书",
        short_name="物流管理",
        levels=["初级"],
    )
    level = session.exec(
        select(CertificateLevel).where(
            CertificateLevel.certificate_id == certificate.id
        )
    ).one()
    subjects = [
        catalogue.create_subject(
            session,
            actor=actor,
            data=catalogue.SubjectInput(
                code=f"0{code_prefix}{index:03d}",
                name=name,
                mode=mode,
                certificate_level_id=level.id,
            ),
        )
        for index, (name, mode) in enumerate(
            (("基础考核", "机考"), ("综合应用考核", "机考"), ("实操考核", "实操"))
        )
    ]
    return Catalogue(org, actor, certificate.id, level, subjects)


def windows_from(start: datetime) -> dict[str, tuple[datetime, datetime]]:
    """Five windows in order, the first opening at ``start``; exam days are 18–19."""
    day = timedelta(days=1)
    second = timedelta(seconds=1)
    return {
        "registration": (start, start + 10 * day - second),
        "ticket": (start + 11 * day, start + 18 * day - second),
        "exam": (start + 18 * day, start + 20 * day - second),
        "score_entry": (start + 20 * day, start + 30 * day - second),
        "publication": (start + 31 * day, start + 45 * day - second),
    }


def plan_input(
    cat: Catalogue,
    *,
    start: datetime | None = None,
    weights: tuple[int, int, int] = (40, 30, 30),
    rule: str = PassRule.COMPOSITE,
    name: str = "物流管理2026年12月第1次考核",
) -> catalogue.PlanInput:
    start = start or beijing(2026, 12, 5)
    windows = windows_from(start)
    exam_day = windows["exam"][0]
    terms = []
    for index, (subject, weight) in enumerate(zip(cat.subjects, weights, strict=True)):
        begins = exam_day + timedelta(hours=8 + 2 * index)
        terms.append(
            catalogue.SubjectTerms(
                subject_id=subject.id,
                pass_mark=60,
                weight_percent=weight,
                duration_minutes=90,
                sessions=[(begins, begins + timedelta(minutes=90))],
            )
        )
    return catalogue.PlanInput(
        name=name,
        windows=windows,
        levels=[
            catalogue.LevelRule(
                certificate_level_id=cat.level.id,
                rule=rule,
                pass_mark=60,
                subjects=terms,
            )
        ],
    )


def make_plan(session: Session, cat: Catalogue, **options):
    return catalogue.create_plan(
        session, actor=cat.org_actor, data=plan_input(cat, **options)
    )


def make_pilot_school(
    session: Session, cat: Catalogue, *, year: int | None = None, approved=True
) -> tuple[Organisation, Actor]:
    """Add a school with a declaration of the certificate, approved unless ``approved`` is false."""
    school = make_organisation(session, name=f"测试职业学院{cat.org.id}")
    actor = make_actor(session, role=Role.SCHOOL_ADMIN, organisation=school)
    add_declaration(
        session,
        school,
        cat.certificate_id,
        year or clock.today().year,
        approved=approved,
    )
    return school, actor


def add_declaration(
    session: Session,
    school: Organisation,
    certificate_id: int,
    year: int,
    *,
    approved: bool = True,
) -> None:
    """Add a declaration of the certificate by the school in ``year``, approved unless ``approved`` is false."""
    department = make_organisation(
        session,
        kind=OrgKind.PROVINCE_DEPARTMENT,
        name=f"教委{school.id}-{certificate_id}-{year}",
    )
    plan = DeclarationPlan(
        department_id=department.id,
        province_code="110000",
        year=year,
        batch_name=f"{year}年第一次",
        opens_at=beijing(year, 1, 1),
        closes_at=beijing(year, 12, 31),
    )
    session.add(plan)
    session.flush()
    session.add(
        Declaration(
            plan_id=plan.id,
            school_id=school.id,
            certificate_id=certificate_id,
            planned_count=100,
            approved_count=80 if approved else None,
            status=DeclarationStatus.APPROVED if approved else DeclarationStatus.DRAFT,
        )
    )
    session.flush()


def site_input(cat: Catalogue, school: Organisation, **changes) -> sites.SiteInput:
    values = {
        "name": f"{school.name}物流管理考核站点",
        "province_code": "110000",
        "city_code": "110100",
        "district_code": "110108",
        "address": "北京市海淀区西三环北路105号",
        "org_id": cat.org.id,
        "certificate_level_ids": [cat.level.id],
        "introduction": "机房 3 间，实训室 1 间。",
        "contact_name": "张老师",
        "contact_mobile": "13800138000",
        "contact_email": "zhang@example.cn",
    }
    values.update(changes)
    return sites.SiteInput(**values)


def make_approved_site(session: Session, cat: Catalogue, school, school_actor):
    add_divisions(session)
    site = sites.declare_site(session, actor=school_actor, data=site_input(cat, school))
    return sites.approve_site(
        session, actor=cat.org_actor, site_id=site.id, version=site.version
    )


def room_input(plan, site, **changes) -> sites.RoomInput:
    values = {
        "plan_id": plan.id,
        "site_id": site.id,
        "name": "13 号机房",
        "mode": "机考",
        "seats": 60,
        "province_code": "110000",
        "city_code": "110100",
        "district_code": "110108",
        "address": "北京市海淀区西三环北路105号 教学楼 107 室",
        "certificate_level_ids": [],
    }
    values.update(changes)
    return sites.RoomInput(**values)
