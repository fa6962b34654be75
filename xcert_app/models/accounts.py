"""Accounts, login sessions and the school's staff roster."""

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from xcert_app.models.base import created_at_field, time_field


class Role(StrEnum):
    SCHOOL_HEAD = "school_head"
    SCHOOL_ADMIN = "school_admin"
    CITY_REVIEWER = "city_reviewer"
    PROVINCE_REVIEWER = "province_reviewer"
    ORG_ADMIN = "org_admin"
    CANDIDATE = "candidate"
    PLATFORM_ADMIN = "platform_admin"


ROLE_LABELS = {
    Role.SCHOOL_HEAD: "院校负责人",
    Role.SCHOOL_ADMIN: "院校业务管理员",
    Role.CITY_REVIEWER: "地市级教育局",
    Role.PROVINCE_REVIEWER: "省级教育行政部门",
    Role.ORG_ADMIN: "培训评价组织",
    Role.CANDIDATE: "考生",
    Role.PLATFORM_ADMIN: "平台运营",
}


class Account(SQLModel, table=True):
    """A login. Every role but the operator and candidates belongs to an organisation."""

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True, index=True)
    display_name: str = Field(default="", max_length=64)
    role: str = Field(max_length=32, index=True)
    organisation_id: int | None = Field(
        default=None, foreign_key="organisation.id", index=True
    )
    candidate_id: int | None = Field(default=None, foreign_key="candidate.id")
    mobile: str = Field(default="", max_length=11)
    password_hash: str = Field(default="", max_length=256)
    must_change_password: bool = False
    is_active: bool = True
    failed_logins: int = 0
    locked_until: datetime | None = time_field()
    password_changed_at: datetime | None = time_field()
    last_login_at: datetime | None = time_field()
    created_at: datetime = created_at_field()
    version: int = 1


class AuthSession(SQLModel, table=True):
    """A browser login. The browser keeps the token and the table stores only its hash."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    created_at: datetime = created_at_field()
    expires_at: datetime = time_field(nullable=False)
    revoked_at: datetime | None = time_field()


class StaffMember(SQLModel, table=True):
    """A person on the school's roster, chosen as invigilator or roving inspector."""

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    name: str = Field(max_length=64)
    mobile: str = Field(default="", max_length=11)
    department: str = Field(default="", max_length=64)
    is_active: bool = True
    created_at: datetime = created_at_field()
