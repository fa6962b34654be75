"""The one business clock: every time window reads it, and tests can set it.

Times are stored and compared in UTC; Beijing time (Asia/Shanghai) is the
business calendar for windows, dates on documents and the school year.
"""

import os
import threading
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")


class Clock:
    """Wall clock that can be frozen or shifted for tests and demos."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fixed: datetime | None = None
        self._offset = timedelta(0)
        fixed = os.environ.get("XCERT_NOW")
        if fixed:
            self.set(datetime.fromisoformat(fixed))

    def now(self) -> datetime:
        """Return the current time as an aware UTC datetime."""
        with self._lock:
            if self._fixed is not None:
                return self._fixed
            return datetime.now(UTC) + self._offset

    def set(self, moment: datetime) -> None:
        """Freeze the clock at ``moment``; a naive value is read as Beijing time."""
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=BEIJING)
        with self._lock:
            self._fixed = moment.astimezone(UTC)

    def shift(self, delta: timedelta) -> None:
        """Move the clock by ``delta``, frozen or not."""
        with self._lock:
            if self._fixed is not None:
                self._fixed += delta
            else:
                self._offset += delta

    def reset(self) -> None:
        """Return to the real wall clock."""
        with self._lock:
            self._fixed = None
            self._offset = timedelta(0)

    def beijing_now(self) -> datetime:
        """Return the current time in Beijing."""
        return self.now().astimezone(BEIJING)

    def today(self) -> date:
        """Return today's date in Beijing."""
        return self.beijing_now().date()


clock = Clock()


def to_beijing(moment: datetime) -> datetime:
    """Convert an aware datetime (or a naive UTC one from the database) to Beijing."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(BEIJING)


def beijing(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    """Build an aware datetime from Beijing wall-clock values."""
    return datetime(year, month, day, hour, minute, second, tzinfo=BEIJING)


def format_beijing(moment: datetime | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
    """Format a stored time in Beijing time, or an empty string."""
    if moment is None:
        return ""
    return to_beijing(moment).strftime(pattern)
