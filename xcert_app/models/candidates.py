"""Candidates: a school's students and the social trainees it enrols."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, event
from sqlalchemy.engine.default import DefaultExecutionContext
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


def _reversed_id_number(context: DefaultExecutionContext) -> str:
    return context.get_current_parameters()["id_number"][::-1]


# A filter index orders by its column, then by id as the grid sorts, and then also
# carries the other filter columns, so a count under any mix of filters reads one
# index and never the table rows.
_FILTER_COLUMNS = ("verification_status", "programme_level", "major", "enrolment_year")


def _filter_index(name: str, first: str) -> Index:
    rest = [column for column in _FILTER_COLUMNS if column != first]
    return Index(name, "school_id", "kind", first, "id", *rest)


class Candidate(SQLModel, table=True):
    """One person per school, whatever the number of exams they sit."""

    __table_args__ = (
        UniqueConstraint("school_id", "id_number"),
        # The candidate grid filters by school and kind, then sorts or counts; these
        # keep a page of 200,000 candidates from scanning the table.
        Index("ix_candidate_grid_id_number", "school_id", "kind", "id_number"),
        # A search by the last digits of an ID number is a prefix search here.
        Index(
            "ix_candidate_grid_id_suffix",
            "school_id",
            "kind",
            "id_number_reversed",
            postgresql_ops={"id_number_reversed": "varchar_pattern_ops"},
        ),
        Index("ix_candidate_grid_name", "school_id", "kind", "name"),
        _filter_index("ix_candidate_grid_status", "verification_status"),
        _filter_index("ix_candidate_grid_major", "major"),
        _filter_index("ix_candidate_grid_level", "programme_level"),
        _filter_index("ix_candidate_grid_year", "enrolment_year"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # school_id, kind and the filter columns have no single-column indexes,
    # because the grid indexes above start with them and each index slows imports.
    school_id: int = Field(foreign_key="organisation.id")
    kind: str = Field(default=CandidateKind.SCHOOL, max_length=16)
    name: str = Field(max_length=64)
    name_pinyin: str = Field(default="", max_length=128)
    id_type: str = Field(default="居民身份证", max_length=32)
    id_number: str = Field(max_length=32, index=True)
    # The ID number backwards, so a search by its last digits is a prefix search.
    # The column default fills it in every INSERT that leaves it out, and the mapper
    # events below set it whenever a Candidate object is flushed. It is None only
    # on an object not yet flushed.
    # NOTE: a Core UPDATE that changes id_number must set this column as well.
    id_number_reversed: str | None = Field(
        default=None,
        max_length=32,
        nullable=False,
        sa_column_kwargs={"default": _reversed_id_number},
    )
    mobile: str = Field(default="", max_length=11)
    major: str = Field(default="", max_length=64)
    programme_level: str = Field(default="", max_length=16)
    enrolment_year: int | None = Field(default=None)
    photo_file_id: int | None = Field(default=None, foreign_key="storedfile.id")
    # What the photo check found (e.g. background not red); verification reads it.
    photo_problems: list = json_field(list)
    verification_status: str = Field(default=VerificationStatus.PENDING, max_length=24)
    verification_reasons: list = json_field(list)
    verified_at: datetime | None = time_field()
    confirmed_by_id: int | None = None
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


@event.listens_for(Candidate, "before_insert")
@event.listens_for(Candidate, "before_update")
def _store_reversed_id_number(_mapper, _connection, candidate: Candidate) -> None:
    candidate.id_number_reversed = candidate.id_number[::-1]
