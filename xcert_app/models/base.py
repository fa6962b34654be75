"""Column helpers shared by every table module."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field

from xcert_app.clock import clock
from xcert_app.db import UtcDateTime


def utc_now() -> datetime:
    """Return the business clock's current time (UTC, aware)."""
    return clock.now()


def created_at_field() -> Any:
    """Return a creation-timestamp field filled from the business clock."""
    return Field(default_factory=utc_now, sa_type=UtcDateTime, nullable=False)


def time_field(*, nullable: bool = True, index: bool = False) -> Any:
    """Return an aware UTC timestamp field."""
    return Field(default=None, sa_type=UtcDateTime, nullable=nullable, index=index)


def json_field(default_factory=dict) -> Any:
    """Return a JSON field (TEXT on SQLite, JSON on PostgreSQL)."""
    return Field(default_factory=default_factory, sa_type=JSON, nullable=False)
