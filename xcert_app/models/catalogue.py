"""The assessment organisation's catalogue: certificates, subjects, exam plans and rules."""

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel, UniqueConstraint

from xcert_app.models.base import created_at_field, time_field


class Level(StrEnum):
    JUNIOR = "初级"
    INTERMEDIATE = "中级"
    SENIOR = "高级"


class ExamMode(StrEnum):
    COMPUTER = "机考"
    PRACTICAL = "实操"
    WRITTEN = "笔试"


class Audience(StrEnum):
    ALL = "所有考生"
    SCHOOL = "院校学生"
    SOCIAL = "社会学员"


class PassRule(StrEnum):
    COMPOSITE = "composite"
    EVERY_SUBJECT = "every_subject"


class Certificate(SQLModel, table=True):
    """A vocational skill-level certificate issued by one assessment organisation."""

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    code: str = Field(max_length=16, unique=True)
    name: str = Field(max_length=128, index=True)
    short_name: str = Field(default="", max_length=32)
    is_active: bool = True
    created_at: datetime = created_at_field()


class CertificateLevel(SQLModel, table=True):
    """One level (初级/中级/高级) of a certificate."""

    __table_args__ = (UniqueConstraint("certificate_id", "level"),)

    id: int | None = Field(default=None, primary_key=True)
    certificate_id: int = Field(foreign_key="certificate.id", index=True)
    level: str = Field(max_length=8)


class Subject(SQLModel, table=True):
    """An exam subject of a certificate level; the code is six digits kept as text."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=6, unique=True, index=True)
    name: str = Field(max_length=64)
    mode: str = Field(max_length=8)
    certificate_level_id: int = Field(foreign_key="certificatelevel.id", index=True)
    audience: str = Field(default=Audience.ALL, max_length=16)
    is_active: bool = True


class ExamPlan(SQLModel, table=True):
    """An exam plan (K + 12 digits) with its five windows."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=13, unique=True, index=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    name: str = Field(max_length=128)
    registration_start: datetime = time_field(nullable=False)
    registration_end: datetime = time_field(nullable=False)
    ticket_start: datetime = time_field(nullable=False)
    ticket_end: datetime = time_field(nullable=False)
    exam_start: datetime = time_field(nullable=False)
    exam_end: datetime = time_field(nullable=False)
    score_entry_start: datetime = time_field(nullable=False)
    score_entry_end: datetime = time_field(nullable=False)
    publication_start: datetime = time_field(nullable=False)
    publication_end: datetime = time_field(nullable=False)
    is_published: bool = True
    score_max: int = 100
    score_decimals: int = 1
    schedule_seed: int | None = None
    created_at: datetime = created_at_field()
    version: int = 1


class PlanLevel(SQLModel, table=True):
    """A certificate level examined in a plan, with its pass rule."""

    __table_args__ = (UniqueConstraint("plan_id", "certificate_level_id"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="examplan.id", index=True)
    certificate_level_id: int = Field(foreign_key="certificatelevel.id", index=True)
    rule: str = Field(default=PassRule.COMPOSITE, max_length=16)
    pass_mark: float = 60


class PlanSubject(SQLModel, table=True):
    """A subject examined under a plan level: pass mark, weight and duration."""

    __table_args__ = (UniqueConstraint("plan_id", "subject_id"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="examplan.id", index=True)
    plan_level_id: int = Field(foreign_key="planlevel.id", index=True)
    subject_id: int = Field(foreign_key="subject.id", index=True)
    pass_mark: float = 60
    weight_percent: int = 0
    duration_minutes: int = 0


class PlanSession(SQLModel, table=True):
    """A sitting (场次) of a plan subject."""

    id: int | None = Field(default=None, primary_key=True)
    plan_subject_id: int = Field(foreign_key="plansubject.id", index=True)
    starts_at: datetime = time_field(nullable=False)
    ends_at: datetime = time_field(nullable=False)
