"""Exam sites declared by schools, borrowed sites, and rooms per plan."""

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel, UniqueConstraint

from xcert_app.models.base import created_at_field, time_field


class SiteStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


SITE_STATUS_LABELS = {
    SiteStatus.PENDING: "待审核",
    SiteStatus.APPROVED: "审核通过",
    SiteStatus.REJECTED: "审核不通过",
}


class ExamSite(SQLModel, table=True):
    """A school's exam site, declared to one assessment organisation."""

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="organisation.id", index=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    name: str = Field(max_length=128)
    province_code: str = Field(default="", max_length=6)
    city_code: str = Field(default="", max_length=6)
    district_code: str = Field(default="", max_length=6)
    address: str = Field(max_length=256)
    introduction: str = ""
    evidence_file_id: int | None = Field(default=None, foreign_key="storedfile.id")
    contact_name: str = Field(max_length=64)
    contact_mobile: str = Field(max_length=11)
    contact_email: str = Field(max_length=128)
    status: str = Field(default=SiteStatus.PENDING, max_length=16, index=True)
    reject_reason: str = ""
    decided_at: datetime | None = time_field()
    created_at: datetime = created_at_field()
    version: int = 1


class ExamSiteCertificate(SQLModel, table=True):
    """A certificate level an exam site may examine."""

    site_id: int = Field(foreign_key="examsite.id", primary_key=True)
    certificate_level_id: int = Field(
        foreign_key="certificatelevel.id", primary_key=True
    )


class SiteLoan(SQLModel, table=True):
    """A school without a site examining at another school's site (借考)."""

    __table_args__ = (UniqueConstraint("school_id", "org_id"),)

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    school_id: int = Field(foreign_key="organisation.id", index=True)
    site_id: int = Field(foreign_key="examsite.id", index=True)
    created_at: datetime = created_at_field()


class Room(SQLModel, table=True):
    """A room of a site for one exam plan."""

    __table_args__ = (UniqueConstraint("plan_id", "site_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="examplan.id", index=True)
    site_id: int = Field(foreign_key="examsite.id", index=True)
    name: str = Field(max_length=64)
    mode: str = Field(max_length=8)
    seats: int
    province_code: str = Field(default="", max_length=6)
    city_code: str = Field(default="", max_length=6)
    district_code: str = Field(default="", max_length=6)
    address: str = Field(max_length=256)
    created_at: datetime = created_at_field()


class RoomCertificate(SQLModel, table=True):
    """A certificate level examined in a room."""

    room_id: int = Field(foreign_key="room.id", primary_key=True)
    certificate_level_id: int = Field(
        foreign_key="certificatelevel.id", primary_key=True
    )
