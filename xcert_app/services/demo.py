"""The demo year: Beijing's departments, two schools, two assessment organisations,
the manual's logistics certificate with its subjects and exam plan, and an account per role.

Windows are placed around today (Beijing time) so every step of the year can be tried.
"""

import logging
from datetime import date, datetime, time, timedelta

from sqlmodel import Session, func, select

from xcert_app.clock import BEIJING, clock
from xcert_app.models.accounts import Account, Role
from xcert_app.models.candidates import Candidate, CandidateKind, VerificationStatus
from xcert_app.models.catalogue import (
    Certificate,
    CertificateLevel,
    ExamPlan,
    PassRule,
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
from xcert_app.models.orgs import FeeBasis, Organisation, OrgKind
from xcert_app.models.registrations import FeeRule
from xcert_app.services import accounts, reference
from xcert_app.services.errors import ServiceError
from xcert_app.services.identity import make_id_number

logger = logging.getLogger(__name__)

DEMO_PASSWORD = "Xcert2026"

# (username, role, organisation key, display name); the password of all is DEMO_PASSWORD.
DEMO_ACCOUNTS = [
    ("operator", Role.PLATFORM_ADMIN, None, "平台运营"),
    ("bj_province", Role.PROVINCE_REVIEWER, "province", "北京市教委审核员"),
    ("bj_city", Role.CITY_REVIEWER, "city", "市级教育局审核员"),
    ("cnu_head", Role.SCHOOL_HEAD, "school", "首都师范大学负责人"),
    ("cnu_admin", Role.SCHOOL_ADMIN, "school", "首都师范大学业务管理员"),
    ("bpi_head", Role.SCHOOL_HEAD, "vocational", "北京电子科技职业学院负责人"),
    ("wuliu_org", Role.ORG_ADMIN, "org", "北京中物联物流采购培训中心"),
    ("qiche_org", Role.ORG_ADMIN, "org2", "北京中行高新技术有限公司"),
]

# The logistics subjects of the manual's subject list: (code, name, mode, level).
LOGISTICS_SUBJECTS = [
    ("098994", "基础考核", "机考", "初级"),
    ("794690", "综合应用考核", "机考", "初级"),
    ("609371", "实操考核", "实操", "初级"),
    ("043194", "基础考核", "机考", "中级"),
    ("338994", "综合应用考核", "机考", "中级"),
    ("577975", "实操考核", "实操", "中级"),
    ("780059", "基础考核", "机考", "高级"),
    ("697409", "综合应用考核", "机考", "高级"),
    # The manual lists two senior subjects; this third one completes 40/30/30 for 高级.
    ("577976", "实操考核", "实操", "高级"),
]
# Weight, duration in minutes and daily session times per subject name. Scheduling
# seats a candidate in one of the two daily sessions, so the duration is one session.
SUBJECT_TERMS = {
    "基础考核": (40, 90, time(9, 0), time(10, 30)),
    "综合应用考核": (30, 60, time(11, 0), time(12, 0)),
    "实操考核": (30, 120, time(14, 0), time(16, 0)),
}
DEMO_CANDIDATES = [
    ("刘洪伟", "LIU HONGWEI", "110102", date(2003, 5, 12), "13810234567"),
    ("董家杰", "DONG JIAJIE", "110102", date(2003, 8, 3), "13810234568"),
    ("王浩然", "WANG HAORAN", "110102", date(2004, 1, 20), "13810234569"),
    ("李明月", "LI MINGYUE", "110102", date(2003, 11, 30), "13810234570"),
]


def is_empty(session: Session) -> bool:
    """Tell whether the database has no organisations and no accounts yet."""
    organisations = session.exec(select(func.count()).select_from(Organisation)).one()
    account_count = session.exec(select(func.count()).select_from(Account)).one()
    return organisations == 0 and account_count == 0


def _day(offset: int, at: time = time(0, 0)) -> datetime:
    return datetime.combine(clock.today() + timedelta(days=offset), at, tzinfo=BEIJING)


def _end_of_day(offset: int) -> datetime:
    return datetime.combine(
        clock.today() + timedelta(days=offset), time(23, 59, 59), tzinfo=BEIJING
    )


def load_demo(session: Session) -> dict[str, int]:
    """Load reference data and the demo year into an empty database; refuse otherwise."""
    if not is_empty(session):
        raise ServiceError(
            "数据库中已有机构或账号，演示数据只能装入空数据库；未做任何修改"
        )
    counts = reference.load_reference_data(session)
    organisations = _add_organisations(session)
    _add_accounts(session, organisations)
    certificate_levels = _add_catalogue(session, organisations)
    _add_exam_plan(session, organisations["org"], certificate_levels)
    _add_declarations(session, organisations, certificate_levels)
    _add_candidates(session, organisations["school"])
    session.flush()
    counts["organisations"] = len(organisations)
    counts["accounts"] = len(DEMO_ACCOUNTS)
    logger.info("demo year loaded: %s", counts)
    return counts


def _add_organisations(session: Session) -> dict[str, Organisation]:
    province = Organisation(
        kind=OrgKind.PROVINCE_DEPARTMENT,
        name="北京市教育委员会",
        province_code="110000",
    )
    session.add(province)
    session.flush()
    organisations = {
        "province": province,
        "city": Organisation(
            kind=OrgKind.CITY_BUREAU,
            name="北京市市辖区教育局",
            parent_id=province.id,
            province_code="110000",
            city_code="110100",
        ),
        "school": Organisation(
            kind=OrgKind.SCHOOL,
            name="首都师范大学",
            short_name="首都师大",
            institution_code="4111010028",
            province_code="110000",
            city_code="110100",
            district_code="110108",
            address="北京市海淀区西三环北路105号",
            school_type="本科院校",
            credit_code="121100004000000001",
            website="https://www.cnu.edu.cn",
            base_info_completed_at=clock.now(),
            registered_mobile="17600086571",
            contact_name="张老师",
            contact_mobile="17600086571",
            contact_email="xcert-demo@cnu.example.cn",
        ),
        "vocational": Organisation(
            kind=OrgKind.SCHOOL,
            name="北京电子科技职业学院",
            institution_code="4111010858",
            province_code="110000",
            city_code="110100",
            school_type="高职院校",
            registered_mobile="17600086572",
        ),
        "org": Organisation(
            kind=OrgKind.ASSESSMENT_ORG,
            name="北京中物联物流采购培训中心",
            short_name="中物联",
            province_code="110000",
            requires_payment=True,
            fee_basis=FeeBasis.SUBJECT,
        ),
        "org2": Organisation(
            kind=OrgKind.ASSESSMENT_ORG,
            name="北京中行高新技术有限公司",
            province_code="110000",
        ),
    }
    for organisation in organisations.values():
        session.add(organisation)
    session.flush()
    return organisations


def _add_accounts(session: Session, organisations: dict[str, Organisation]) -> None:
    shared_hash = accounts.hash_password(DEMO_PASSWORD)
    for username, role, key, display_name in DEMO_ACCOUNTS:
        accounts.create_account(
            session,
            username=username,
            password=DEMO_PASSWORD,
            role=role,
            organisation_id=organisations[key].id if key else None,
            display_name=display_name,
            mobile=organisations[key].registered_mobile if key else "",
            password_hash=shared_hash,
        )


def _add_catalogue(
    session: Session, organisations: dict[str, Organisation]
) -> dict[str, CertificateLevel]:
    logistics = Certificate(
        org_id=organisations["org"].id,
        code="156000310",
        name="物流管理职业技能等级证书",
        short_name="物流管理",
    )
    vehicles = Certificate(
        org_id=organisations["org2"].id,
        code="156000420",
        name="汽车运用与维修职业技能等级证书",
        short_name="汽车运用与维修",
    )
    session.add(logistics)
    session.add(vehicles)
    session.flush()
    levels: dict[str, CertificateLevel] = {}
    for certificate, key in ((logistics, ""), (vehicles, "汽车")):
        for level_name in ("初级", "中级", "高级"):
            level = CertificateLevel(certificate_id=certificate.id, level=level_name)
            session.add(level)
            session.flush()
            levels[key + level_name] = level
    for code, name, mode, level_name in LOGISTICS_SUBJECTS:
        session.add(
            Subject(
                code=code,
                name=name,
                mode=mode,
                certificate_level_id=levels[level_name].id,
            )
        )
    session.add(
        Subject(
            code="703908",
            name="摩托车检查保养检测维修技术-初级",
            mode="实操",
            certificate_level_id=levels["汽车初级"].id,
        )
    )
    session.add(
        Subject(
            code="663473",
            name="摩托车检查保养检测维修技术-中级",
            mode="实操",
            certificate_level_id=levels["汽车中级"].id,
        )
    )
    session.flush()
    for level_name in ("初级", "中级", "高级"):
        session.add(
            FeeRule(
                org_id=organisations["org"].id,
                certificate_level_id=levels[level_name].id,
                amount_fen=36000,
            )
        )
    for code, _name, _mode, _level in LOGISTICS_SUBJECTS:
        subject = session.exec(select(Subject).where(Subject.code == code)).one()
        session.add(
            FeeRule(
                org_id=organisations["org"].id, subject_id=subject.id, amount_fen=12000
            )
        )
    return levels


def _add_exam_plan(
    session: Session, org: Organisation, levels: dict[str, CertificateLevel]
) -> ExamPlan:
    plan = ExamPlan(
        code="K202005226994",
        org_id=org.id,
        name="物流管理2026年12月第2次考核",
        registration_start=_day(-3),
        registration_end=_end_of_day(10),
        ticket_start=_day(11),
        ticket_end=_end_of_day(17),
        exam_start=_day(18),
        exam_end=_end_of_day(19),
        score_entry_start=_day(20),
        score_entry_end=_end_of_day(30),
        publication_start=_day(31),
        publication_end=_end_of_day(45),
    )
    session.add(plan)
    session.flush()
    for level_name in ("初级", "中级", "高级"):
        plan_level = PlanLevel(
            plan_id=plan.id,
            certificate_level_id=levels[level_name].id,
            rule=PassRule.COMPOSITE,
            pass_mark=60,
        )
        session.add(plan_level)
        session.flush()
        subjects = session.exec(
            select(Subject).where(Subject.certificate_level_id == levels[level_name].id)
        ).all()
        for subject in subjects:
            weight, duration, start, end = SUBJECT_TERMS[subject.name]
            plan_subject = PlanSubject(
                plan_id=plan.id,
                plan_level_id=plan_level.id,
                subject_id=subject.id,
                pass_mark=60,
                weight_percent=weight,
                duration_minutes=duration,
            )
            session.add(plan_subject)
            session.flush()
            for day in (18, 19):
                exam_day = clock.today() + timedelta(days=day)
                session.add(
                    PlanSession(
                        plan_subject_id=plan_subject.id,
                        starts_at=datetime.combine(exam_day, start, tzinfo=BEIJING),
                        ends_at=datetime.combine(exam_day, end, tzinfo=BEIJING),
                    )
                )
    return plan


def _add_declarations(
    session: Session,
    organisations: dict[str, Organisation],
    levels: dict[str, CertificateLevel],
) -> None:
    plan = DeclarationPlan(
        department_id=organisations["province"].id,
        province_code="110000",
        year=clock.today().year,
        batch_name=f"{clock.today().year}年第一次",
        opens_at=_day(-5),
        closes_at=_end_of_day(20),
        by_major=True,
        needs_city_review=True,
    )
    session.add(plan)
    session.flush()
    logistics_id = session.get(CertificateLevel, levels["初级"].id).certificate_id
    session.add(
        Declaration(
            plan_id=plan.id,
            school_id=organisations["school"].id,
            certificate_id=logistics_id,
            planned_count=200,
            approved_count=150,
            teacher_description="物流管理专业专任教师 12 人，其中双师型教师 8 人。",
            venue_description="物流实训中心 2 个，机房 3 间共 180 个机位。",
            status=DeclarationStatus.APPROVED,
            submitted_at=_day(-4),
            decided_at=_day(-2),
        )
    )


def _add_candidates(session: Session, school: Organisation) -> None:
    for index, (name, pinyin, region, birth, mobile) in enumerate(
        DEMO_CANDIDATES, start=1
    ):
        session.add(
            Candidate(
                school_id=school.id,
                kind=CandidateKind.SCHOOL,
                name=name,
                name_pinyin=pinyin,
                id_number=make_id_number(region, birth, 100 + index * 2),
                mobile=mobile,
                major="物流管理",
                programme_level="本科",
                enrolment_year=2023,
                verification_status=VerificationStatus.VERIFIED,
            )
        )
