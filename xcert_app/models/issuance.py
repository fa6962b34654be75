"""Issuance: certificate records awaiting both signatures, signatures and school seals."""

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from xcert_app.models.base import created_at_field, time_field


class IssuanceStatus(StrEnum):
    PENDING = "pending"
    REFUSED = "refused"
    ISSUED = "issued"
    # The result stopped passing after a score correction; the number stays with the
    # record and comes back if the result passes again.
    WITHDRAWN = "withdrawn"


class SigningSide(StrEnum):
    SCHOOL = "school"
    ORG = "org"


class IssuanceRecord(SQLModel, table=True):
    """A passed certificate result awaiting the school's and the organisation's signature."""

    id: int | None = Field(default=None, primary_key=True)
    result_id: int = Field(foreign_key="certificateresult.id", unique=True)
    certificate_number: str = Field(max_length=22, unique=True, index=True)
    candidate_id: int = Field(foreign_key="candidate.id", index=True)
    school_id: int = Field(foreign_key="organisation.id", index=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    plan_id: int = Field(foreign_key="examplan.id", index=True)
    certificate_level_id: int = Field(foreign_key="certificatelevel.id")
    site_id: int | None = Field(default=None, foreign_key="examsite.id")
    status: str = Field(default=IssuanceStatus.PENDING, max_length=16, index=True)
    school_signed_at: datetime | None = time_field()
    org_signed_at: datetime | None = time_field()
    refused_reason: str = ""
    issued_at: datetime | None = time_field()
    created_at: datetime = created_at_field()
    version: int = 1


class Signature(SQLModel, table=True):
    """A handwritten signature or a refusal on an issuance record; never removed."""

    id: int | None = Field(default=None, primary_key=True)
    record_id: int = Field(foreign_key="issuancerecord.id", index=True)
    side: str = Field(max_length=8)
    account_id: int = Field(foreign_key="account.id")
    signed: bool
    reason: str = ""
    image_file_id: int | None = Field(default=None, foreign_key="storedfile.id")
    created_at: datetime = created_at_field()


class Seal(SQLModel, table=True):
    """A school's seal image; the newest current one is used, older ones are history."""

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="organisation.id", index=True)
    file_id: int = Field(foreign_key="storedfile.id")
    uploaded_by_id: int = Field(foreign_key="account.id")
    is_current: bool = True
    authorised: bool = True
    created_at: datetime = created_at_field()
