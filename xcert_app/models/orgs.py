"""Organisations: schools, assessment organisations, education departments, the operator."""

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from xcert_app.models.base import created_at_field, time_field


class OrgKind(StrEnum):
    SCHOOL = "school"
    ASSESSMENT_ORG = "assessment_org"
    PROVINCE_DEPARTMENT = "province_department"
    CITY_BUREAU = "city_bureau"
    PLATFORM = "platform"


class FeeBasis(StrEnum):
    CERTIFICATE = "certificate"
    SUBJECT = "subject"


class Organisation(SQLModel, table=True):
    """Any body that owns accounts; a school also carries its base information."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32, index=True)
    name: str = Field(max_length=128, index=True)
    short_name: str = Field(default="", max_length=32)
    institution_code: str | None = Field(default=None, max_length=10, unique=True)
    parent_id: int | None = Field(default=None, foreign_key="organisation.id")
    province_code: str = Field(default="", max_length=6, index=True)
    city_code: str = Field(default="", max_length=6)
    district_code: str = Field(default="", max_length=6)
    address: str = Field(default="", max_length=256)
    # School base information (manual 1.1.3 step 1).
    school_type: str = Field(default="", max_length=32)
    credit_code: str = Field(default="", max_length=18)
    website: str = Field(default="", max_length=256)
    contact_name: str = Field(default="", max_length=64)
    contact_mobile: str = Field(default="", max_length=11)
    contact_email: str = Field(default="", max_length=128)
    registered_mobile: str = Field(default="", max_length=11)
    base_info_completed_at: datetime | None = time_field()
    # Assessment organisation settings.
    requires_payment: bool = False
    fee_basis: str = Field(default=FeeBasis.CERTIFICATE, max_length=16)
    is_active: bool = True
    created_at: datetime = created_at_field()
