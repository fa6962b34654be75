"""Builders for issuance tests: a passed candidate with its issuance record, seals, images."""

import io
from datetime import date
from itertools import count

from PIL import Image, ImageDraw
from sqlmodel import Session

from tests.factories import make_account, make_organisation
from xcert_app.clock import beijing
from xcert_app.models.accounts import Account, Role
from xcert_app.models.candidates import Candidate, VerificationStatus
from xcert_app.models.catalogue import (
    Certificate,
    CertificateLevel,
    ExamPlan,
    PlanLevel,
)
from xcert_app.models.issuance import IssuanceRecord
from xcert_app.models.orgs import Organisation, OrgKind
from xcert_app.models.scores import CertificateResult
from xcert_app.models.sites import ExamSite
from xcert_app.services.identity import make_id_number

_sequence = count(1)


def seal_png(
    *,
    size: tuple[int, int] = (95, 95),
    background: tuple[int, int, int, int] = (0, 0, 0, 0),
    mode: str = "RGBA",
) -> bytes:
    """Return a red ring seal drawn on ``background``."""
    image = Image.new("RGBA", size, background)
    draw = ImageDraw.Draw(image)
    draw.ellipse((4, 4, size[0] - 5, size[1] - 5), outline=(200, 20, 20, 255), width=5)
    draw.text((size[0] // 3, size[1] // 3), "SEAL", fill=(200, 20, 20, 255))
    buffer = io.BytesIO()
    image.convert(mode).save(buffer, format="PNG")
    return buffer.getvalue()


def signature_data_url() -> str:
    """Return a drawn signature as the PNG data URL a signature pad produces."""
    import base64

    image = Image.new("RGBA", (300, 120), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(10, 100), (80, 20), (150, 90), (280, 30)], width=4)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def make_plan(session: Session, *, org: Organisation) -> ExamPlan:
    number = next(_sequence)
    moment = beijing(2026, 11, 1)
    plan = ExamPlan(
        code=f"K2026{number:08d}",
        org_id=org.id,
        name=f"测试考试计划{number}",
        registration_start=moment,
        registration_end=moment,
        ticket_start=moment,
        ticket_end=moment,
        exam_start=moment,
        exam_end=moment,
        score_entry_start=moment,
        score_entry_end=moment,
        publication_start=moment,
        publication_end=moment,
    )
    session.add(plan)
    session.flush()
    return plan


class IssuanceWorld:
    """A school with its head, an organisation with its admin, a level and a plan."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.school = make_organisation(session, name="测试职业学院")
        self.org = make_organisation(
            session, kind=OrgKind.ASSESSMENT_ORG, name="测试评价组织"
        )
        self.head = make_account(
            session, role=Role.SCHOOL_HEAD, organisation=self.school
        )
        self.admin = make_account(
            session, role=Role.SCHOOL_ADMIN, organisation=self.school
        )
        self.org_admin = make_account(
            session, role=Role.ORG_ADMIN, organisation=self.org
        )
        number = next(_sequence)
        self.certificate = Certificate(
            org_id=self.org.id, code=f"9{number:08d}", name="物流管理职业技能等级证书"
        )
        session.add(self.certificate)
        session.flush()
        self.level = CertificateLevel(certificate_id=self.certificate.id, level="初级")
        session.add(self.level)
        session.flush()
        self.plan = make_plan(session, org=self.org)
        self.plan_level = PlanLevel(
            plan_id=self.plan.id, certificate_level_id=self.level.id
        )
        session.add(self.plan_level)
        self.site = ExamSite(
            school_id=self.school.id,
            org_id=self.org.id,
            name="测试职业学院物流管理考核站点",
            address="北京市海淀区",
            contact_name="张老师",
            contact_mobile="13800138000",
            contact_email="site@example.cn",
            status="approved",
        )
        session.add(self.site)
        session.flush()

    def candidate(
        self, *, name: str = "刘洪伟", mobile: str = "13810234567"
    ) -> Candidate:
        number = next(_sequence)
        candidate = Candidate(
            school_id=self.school.id,
            name=name,
            id_number=make_id_number("110102", date(2003, 5, 12), number % 1000),
            mobile=mobile,
            verification_status=VerificationStatus.VERIFIED,
        )
        self.session.add(candidate)
        self.session.flush()
        return candidate

    def add_level(self, name: str = "中级") -> PlanLevel:
        """Add another level of the certificate to the plan."""
        level = CertificateLevel(certificate_id=self.certificate.id, level=name)
        self.session.add(level)
        self.session.flush()
        plan_level = PlanLevel(plan_id=self.plan.id, certificate_level_id=level.id)
        self.session.add(plan_level)
        self.session.flush()
        return plan_level

    def record(
        self,
        candidate: Candidate | None = None,
        *,
        plan_level: PlanLevel | None = None,
        **fields,
    ) -> IssuanceRecord:
        """Add a passed result and its pending issuance record."""
        candidate = candidate or self.candidate()
        plan_level = plan_level or self.plan_level
        result = CertificateResult(
            plan_id=self.plan.id,
            plan_level_id=plan_level.id,
            candidate_id=candidate.id,
            school_id=self.school.id,
            composite_tenths=855,
            passed=True,
        )
        self.session.add(result)
        self.session.flush()
        record = IssuanceRecord(
            result_id=result.id,
            certificate_number=f"15600031015610{next(_sequence):08d}",
            candidate_id=candidate.id,
            school_id=self.school.id,
            org_id=self.org.id,
            plan_id=self.plan.id,
            certificate_level_id=plan_level.certificate_level_id,
            site_id=self.site.id,
            **fields,
        )
        self.session.add(record)
        self.session.flush()
        return record

    def candidate_account(self, candidate: Candidate) -> Account:
        return make_account(
            self.session,
            role=Role.CANDIDATE,
            username=candidate.id_number,
            candidate_id=candidate.id,
        )
