"""Subject scores, their audited changes, and certificate results."""

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel, UniqueConstraint

from xcert_app.models.base import created_at_field, time_field


class ScoreStatus(StrEnum):
    SCORED = "scored"
    ABSENT = "absent"
    DISQUALIFIED = "disqualified"


class SubjectScore(SQLModel, table=True):
    """A registration's score, kept in tenths of a point so sums are exact."""

    id: int | None = Field(default=None, primary_key=True)
    registration_id: int = Field(foreign_key="registration.id", unique=True)
    plan_id: int = Field(foreign_key="examplan.id", index=True)
    candidate_id: int = Field(foreign_key="candidate.id", index=True)
    subject_id: int = Field(foreign_key="subject.id", index=True)
    score_tenths: int | None = None
    status: str = Field(default=ScoreStatus.SCORED, max_length=16)
    entered_by_id: int | None = Field(default=None, foreign_key="account.id")
    entered_at: datetime = created_at_field()
    version: int = 1


class ScoreChange(SQLModel, table=True):
    """An audited change of a score after its first entry."""

    id: int | None = Field(default=None, primary_key=True)
    score_id: int = Field(foreign_key="subjectscore.id", index=True)
    before_tenths: int | None = None
    before_status: str = Field(default="", max_length=16)
    after_tenths: int | None = None
    after_status: str = Field(default="", max_length=16)
    reason: str
    changed_by_id: int = Field(foreign_key="account.id")
    changed_at: datetime = created_at_field()


class CertificateResult(SQLModel, table=True):
    """The outcome of one candidate for one certificate level of a plan."""

    __table_args__ = (UniqueConstraint("plan_level_id", "candidate_id"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="examplan.id", index=True)
    plan_level_id: int = Field(foreign_key="planlevel.id", index=True)
    candidate_id: int = Field(foreign_key="candidate.id", index=True)
    school_id: int = Field(foreign_key="organisation.id", index=True)
    composite_tenths: int | None = None
    passed: bool = False
    failure_reason: str = Field(default="", max_length=256)
    is_frozen: bool = False
    computed_at: datetime | None = time_field()
