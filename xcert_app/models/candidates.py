"""Candidates: a school's students and the social trainees it enrols."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index
from sqlmodel import Field, SQLModel, UniqueConstraint

from xcert_app.models.base import created_at_field, json_field, time_field


class CandidateKind(StrEnum):
    SCHOOL = "school"
    SOCIAL = "social"


class VerificationStatus(StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    NEEDS_CONFIRMATION = "needs_confirmation"
    CONFIRMED = "confirmed"


VERIFICATION_LABELS = {
    VerificationStatus.PENDING: "未认证",
    VerificationStatus.VERIFIED: "认证通过",
    VerificationStatus.NEEDS_CONFIRMATION: "待人工确认",
    VerificationStatus.CONFIRMED: "人工确认通过",
}


class Candidate(SQLModel, table=True):
    """One person per school, whatever the number of exams they sit."""

    __table_args__ = (
        UniqueConstraint("school_id", "id_number"),
        # The candidate grid filters by school and kind, then sorts or counts; these
        # keep a page of 200,000 candidates from scanning the table.
        Index("ix_candidate_grid_id_number", "school_id", "kind", "id_number"),
        Index("ix_candidate_grid_name", "school_id", "kind", "name"),
        Index("ix_candidate_grid_status", "school_id", "kind", "verification_status"),
        Index("ix_candidate_grid_major", "school_id", "kind", "major"),
        Index("ix_candidate_grid_level", "school_id", "kind", "programme_level"),
        Index("ix_candidate_grid_year", "school_id", "kind", "enrolment_year"),
    )

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="organisation.id", index=True)
    kind: str = Field(default=CandidateKind.SCHOOL, max_length=16, index=True)
    name: str = Field(max_length=64, index=True)
    name_pinyin: str = Field(default="", max_length=128)
    id_type: str = Field(default="居民身份证", max_length=32)
    id_number: str = Field(max_length=32, index=True)
    mobile: str = Field(default="", max_length=11)
    major: str = Field(default="", max_length=64, index=True)
    programme_level: str = Field(default="", max_length=16, index=True)
    enrolment_year: int | None = Field(default=None, index=True)
    photo_file_id: int | None = Field(default=None, foreign_key="storedfile.id")
    # A small JPEG of the photo for the candidate grid.
    photo_thumbnail_file_id: int | None = Field(
        default=None, foreign_key="storedfile.id"
    )
    # What the photo check found (e.g. background not red); verification reads it.
    photo_problems: list = json_field(list)
    verification_status: str = Field(
        default=VerificationStatus.PENDING, max_length=24, index=True
    )
    verification_reasons: list = json_field(list)
    verified_at: datetime | None = time_field()
    confirmed_by_id: int | None = None
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()
