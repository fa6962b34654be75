from datetime import UTC, datetime, timedelta

from xcert_app.clock import BEIJING, Clock, beijing, format_beijing


def test_naive_time_is_read_as_beijing():
    clock = Clock()
    clock.set(datetime(2026, 12, 31, 23, 59, 59))
    assert clock.now() == datetime(2026, 12, 31, 15, 59, 59, tzinfo=UTC)
    assert clock.today().isoformat() == "2026-12-31"


def test_beijing_date_changes_at_sixteen_utc():
    clock = Clock()
    clock.set(datetime(2026, 12, 31, 16, 0, 0, tzinfo=UTC))
    assert clock.today().isoformat() == "2027-01-01"


def test_shift_moves_frozen_clock():
    clock = Clock()
    clock.set(beijing(2026, 1, 1))
    clock.shift(timedelta(days=2))
    assert clock.beijing_now() == datetime(2026, 1, 3, tzinfo=BEIJING)


def test_format_beijing_of_naive_utc_value():
    assert format_beijing(datetime(2026, 1, 1, 16, 0)) == "2026-01-02 00:00"
