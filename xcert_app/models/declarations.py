"""Declaration plans published by a province and the schools' pilot declarations."""

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel, UniqueConstraint

from xcert_app.models.base import created_at_field, time_field


class PlanStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CLOSED = "closed"


class DeclarationStatus(StrEnum):
    DRAFT = "draft"
    PENDING_CITY = "pending_city"
    PENDING_PROVINCE = "pending_province"
    APPROVED = "approved"
    REJECTED = "rejected"


DECLARATION_STATUS_LABELS = {
    DeclarationStatus.DRAFT: "待提交",
    DeclarationStatus.PENDING_CITY: "待审核（地市）",
    DeclarationStatus.PENDING_PROVINCE: "待审核（省级）",
    DeclarationStatus.APPROVED: "审核通过",
    DeclarationStatus.REJECTED: "审核不通过",
}


class DeclarationPlan(SQLModel, table=True):
    """A province's declaration batch with its window (manual 1.1.3 step 2)."""

    id: int | None = Field(default=None, primary_key=True)
    department_id: int = Field(foreign_key="organisation.id", index=True)
    province_code: str = Field(max_length=6, index=True)
    year: int = Field(index=True)
    batch_name: str = Field(max_length=64)
    opens_at: datetime = time_field(nullable=False)
    closes_at: datetime = time_field(nullable=False)
    by_major: bool = False
    needs_city_review: bool = False
    status: str = Field(default=PlanStatus.PUBLISHED, max_length=16)
    created_at: datetime = created_at_field()


class Declaration(SQLModel, table=True):
    """A school's request to pilot one certificate under one plan."""

    __table_args__ = (UniqueConstraint("plan_id", "school_id", "certificate_id"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="declarationplan.id", index=True)
    school_id: int = Field(foreign_key="organisation.id", index=True)
    certificate_id: int = Field(foreign_key="certificate.id", index=True)
    planned_count: int
    approved_count: int | None = None
    teacher_description: str = ""
    venue_description: str = ""
    evidence_file_id: int | None = Field(default=None, foreign_key="storedfile.id")
    status: str = Field(default=DeclarationStatus.DRAFT, max_length=24, index=True)
    reject_reason: str = ""
    submitted_at: datetime | None = time_field()
    decided_at: datetime | None = time_field()
    created_at: datetime = created_at_field()
    version: int = 1


class DeclarationMajor(SQLModel, table=True):
    """A major a declaration covers."""

    declaration_id: int = Field(foreign_key="declaration.id", primary_key=True)
    major_id: int = Field(foreign_key="major.id", primary_key=True)


class DeclarationReview(SQLModel, table=True):
    """One reviewer decision on a declaration, city or province level."""

    id: int | None = Field(default=None, primary_key=True)
    declaration_id: int = Field(foreign_key="declaration.id", index=True)
    level: str = Field(max_length=16, description="city / province")
    reviewer_id: int = Field(foreign_key="account.id")
    approved: bool
    approved_count: int | None = None
    reason: str = ""
    decided_at: datetime = created_at_field()
