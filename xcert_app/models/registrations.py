"""Registrations for subjects of a plan, fee tables and payment orders."""

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel, UniqueConstraint

from xcert_app.models.base import created_at_field, time_field


class RegistrationStatus(StrEnum):
    REGISTERED = "registered"
    PAID = "paid"
    SCHEDULED = "scheduled"


REGISTRATION_STATUS_LABELS = {
    RegistrationStatus.REGISTERED: "已报考",
    RegistrationStatus.PAID: "已缴费",
    RegistrationStatus.SCHEDULED: "已排考",
}


class OrderStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


class Registration(SQLModel, table=True):
    """A candidate registered for one subject of one plan."""

    __table_args__ = (UniqueConstraint("plan_id", "candidate_id", "subject_id"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="examplan.id", index=True)
    plan_subject_id: int = Field(foreign_key="plansubject.id", index=True)
    subject_id: int = Field(foreign_key="subject.id", index=True)
    certificate_level_id: int = Field(foreign_key="certificatelevel.id", index=True)
    candidate_id: int = Field(foreign_key="candidate.id", index=True)
    school_id: int = Field(foreign_key="organisation.id", index=True)
    status: str = Field(
        default=RegistrationStatus.REGISTERED, max_length=16, index=True
    )
    paid_at: datetime | None = time_field()
    created_at: datetime = created_at_field()


class FeeRule(SQLModel, table=True):
    """The organisation's fee for one certificate level or one subject, in fen."""

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    certificate_level_id: int | None = Field(
        default=None, foreign_key="certificatelevel.id"
    )
    subject_id: int | None = Field(default=None, foreign_key="subject.id")
    amount_fen: int


class PaymentOrder(SQLModel, table=True):
    """A school's payment order (缴费申请单) built from an import."""

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=32, unique=True, index=True)
    school_id: int = Field(foreign_key="organisation.id", index=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    plan_id: int = Field(foreign_key="examplan.id", index=True)
    basis: str = Field(max_length=16, description="certificate / subject")
    line_count: int = 0
    amount_fen: int = 0
    status: str = Field(default=OrderStatus.PENDING, max_length=16, index=True)
    reject_reason: str = ""
    decided_at: datetime | None = time_field()
    created_at: datetime = created_at_field()
    version: int = 1


class PaymentOrderLine(SQLModel, table=True):
    """A registration covered by a payment order."""

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="paymentorder.id", index=True)
    registration_id: int = Field(foreign_key="registration.id", index=True)
    amount_fen: int = 0
