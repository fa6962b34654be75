"""Scheduling: runs, seat arrangements with ticket numbers, invigilation duties."""

from datetime import datetime

from sqlmodel import Field, SQLModel, UniqueConstraint

from xcert_app.models.base import created_at_field, json_field, time_field


class ScheduleRun(SQLModel, table=True):
    """One scheduling run of a plan, with the seed that makes it reproducible."""

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="examplan.id", index=True)
    seed: int
    started_at: datetime = created_at_field()
    finished_at: datetime | None = time_field()
    placed_count: int = 0
    moved_count: int = 0
    report: dict = json_field(dict)
    created_by_id: int | None = Field(default=None, foreign_key="account.id")


class Arrangement(SQLModel, table=True):
    """The seat of a registration: site, room, session, seat and ticket number."""

    __table_args__ = (UniqueConstraint("room_id", "session_id", "seat_number"),)

    id: int | None = Field(default=None, primary_key=True)
    registration_id: int = Field(foreign_key="registration.id", unique=True)
    plan_id: int = Field(foreign_key="examplan.id", index=True)
    site_id: int = Field(foreign_key="examsite.id", index=True)
    room_id: int = Field(foreign_key="room.id", index=True)
    session_id: int = Field(foreign_key="plansession.id", index=True)
    seat_number: int
    ticket_number: str = Field(max_length=20, unique=True, index=True)
    created_at: datetime = created_at_field()


class RoomDuty(SQLModel, table=True):
    """An invigilator or roving inspector for a room and session."""

    id: int | None = Field(default=None, primary_key=True)
    room_id: int = Field(foreign_key="room.id", index=True)
    session_id: int = Field(foreign_key="plansession.id", index=True)
    staff_id: int = Field(foreign_key="staffmember.id", index=True)
    duty: str = Field(max_length=16, description="invigilator / roving")
