"""Platform records: audit log, SMS outbox and codes, captchas, notifications, counters."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from xcert_app.models.base import created_at_field, json_field, time_field


class AuditEntry(SQLModel, table=True):
    """One change of state: who, role, when, what, before and after. Append-only."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = created_at_field()
    account_id: int | None = Field(default=None, foreign_key="account.id", index=True)
    account_name: str = Field(default="", max_length=64)
    role: str = Field(default="", max_length=32)
    organisation_id: int | None = Field(default=None, index=True)
    action: str = Field(max_length=64, index=True)
    entity: str = Field(max_length=64, index=True)
    entity_id: str = Field(default="", max_length=64, index=True)
    before: dict = json_field(dict)
    after: dict = json_field(dict)


class SmsMessage(SQLModel, table=True):
    """An SMS as sent through the configured sender; the default sender only records it."""

    id: int | None = Field(default=None, primary_key=True)
    mobile: str = Field(max_length=11, index=True)
    purpose: str = Field(max_length=32)
    body: str
    status: str = Field(default="recorded", max_length=16)
    created_at: datetime = created_at_field()


class SmsCode(SQLModel, table=True):
    """A one-time SMS code for registration or a candidate's first login."""

    id: int | None = Field(default=None, primary_key=True)
    mobile: str = Field(max_length=11, index=True)
    purpose: str = Field(max_length=32)
    code_hash: str = Field(max_length=128)
    attempts: int = 0
    created_at: datetime = created_at_field()
    expires_at: datetime = time_field(nullable=False)
    used_at: datetime | None = time_field()


class Captcha(SQLModel, table=True):
    """An image captcha challenge; single use, short-lived."""

    id: int | None = Field(default=None, primary_key=True)
    token: str = Field(max_length=64, unique=True, index=True)
    answer_hash: str = Field(max_length=64)
    expires_at: datetime = time_field(nullable=False)
    used_at: datetime | None = time_field()


class Notification(SQLModel, table=True):
    """Something that happened to an organisation, shown in its notification list."""

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int | None = Field(
        default=None, foreign_key="organisation.id", index=True
    )
    account_id: int | None = Field(default=None, foreign_key="account.id", index=True)
    title: str = Field(max_length=128)
    body: str = ""
    link: str = Field(default="", max_length=256)
    # Set on notifications derived from the clock, such as the start of score
    # publication. Its uniqueness lets several workers create each one only once.
    event_key: str | None = Field(default=None, max_length=96, unique=True)
    created_at: datetime = created_at_field()


class NotificationRead(SQLModel, table=True):
    """Marks a notification read by one account."""

    notification_id: int = Field(foreign_key="notification.id", primary_key=True)
    account_id: int = Field(foreign_key="account.id", primary_key=True)
    read_at: datetime = created_at_field()


class NumberSequence(SQLModel, table=True):
    """A named counter for order, ticket and certificate numbers; values are never reused."""

    name: str = Field(primary_key=True, max_length=64)
    value: int = 0
