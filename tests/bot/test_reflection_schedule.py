"""Schedules as people type them, and their next occurrence across time zones and DST."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.reflection_schedule import (
    Schedule,
    ScheduleError,
    from_rule,
    next_occurrence,
    parse_schedule,
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("every monday 09:00", Schedule(kind="weekly", hour=9, minute=0, weekday=0)),
        ("Every Monday at 9:00", Schedule(kind="weekly", hour=9, minute=0, weekday=0)),
        ("every mon 9am", Schedule(kind="weekly", hour=9, minute=0, weekday=0)),
        ("every fridays 3:30pm", Schedule(kind="weekly", hour=15, minute=30, weekday=4)),
        (
            "every 2 weeks friday 15:00",
            Schedule(kind="weekly", hour=15, minute=0, weekday=4, every_weeks=2),
        ),
        (
            "every other tuesday 12:00",
            Schedule(kind="weekly", hour=12, minute=0, weekday=1, every_weeks=2),
        ),
        ("every week sunday 00:00", Schedule(kind="weekly", hour=0, minute=0, weekday=6)),
        ("monthly 1 10:00", Schedule(kind="monthly", hour=10, minute=0, day=1)),
        ("monthly on the 15th at 08:45", Schedule(kind="monthly", hour=8, minute=45, day=15)),
        ("every month 31 23:59", Schedule(kind="monthly", hour=23, minute=59, day=31)),
    ],
)
def test_parses_schedules_and_round_trips_the_rule(text: str, expected: Schedule) -> None:
    schedule = parse_schedule(text)
    assert schedule == expected
    assert from_rule(schedule.rule) == schedule


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "empty"),
        ("sometimes", "starts with `every` or `monthly`"),
        ("every funday 09:00", "`funday` is not a weekday"),
        ("every monday", "weekday and a time"),
        ("every monday 25:00", "00:00 to 23:59"),
        ("every monday 9.30", "`9.30` is not a time"),
        ("every 13 weeks monday 09:00", "every 12 weeks"),
        ("monthly 0 10:00", "not a day of the month"),
        ("monthly 32 10:00", "not a day of the month"),
        ("monthly 10:00", "day of the month and a time"),
        ("every monday 13pm", "not a time of day"),
    ],
)
def test_bad_schedules_say_what_is_wrong(text: str, problem: str) -> None:
    with pytest.raises(ScheduleError, match=problem.replace("(", r"\(")):
        parse_schedule(text)


def test_describe() -> None:
    assert parse_schedule("every monday 09:00").describe() == "every Monday at 09:00"
    assert (
        parse_schedule("every 2 weeks friday 15:00").describe()
        == "every 2 weeks on Friday at 15:00"
    )
    assert parse_schedule("monthly 1 10:00").describe() == "monthly on the 1st at 10:00"
    assert parse_schedule("monthly 22 10:00").describe() == "monthly on the 22nd at 10:00"
    assert parse_schedule("monthly 11 10:00").describe() == "monthly on the 11th at 10:00"


def test_weekly_is_in_the_schedulers_time_zone() -> None:
    monday_9 = parse_schedule("every monday 09:00")
    # Sunday noon UTC -> Monday 09:00 in New York (EST, UTC-5) is 14:00 UTC.
    assert next_occurrence(monday_9, "America/New_York", after=utc(2026, 12, 6, 12)) == utc(
        2026, 12, 7, 14
    )
    # On Monday before 09:00 local: today; at or after: next week.
    assert next_occurrence(monday_9, "Europe/Berlin", after=utc(2026, 12, 7, 7, 59)) == utc(
        2026, 12, 7, 8
    )
    assert next_occurrence(monday_9, "Europe/Berlin", after=utc(2026, 12, 7, 8)) == utc(
        2026, 12, 14, 8
    )
    # An unknown zone falls back to UTC rather than failing.
    assert next_occurrence(monday_9, "Mars/Olympus", after=utc(2026, 12, 6, 12)) == utc(
        2026, 12, 7, 9
    )


def test_wall_clock_time_is_kept_across_daylight_saving() -> None:
    monday_9 = parse_schedule("every monday 09:00")
    # Europe moves to summer time on Sunday 2027-03-28.
    before = next_occurrence(monday_9, "Europe/Berlin", after=utc(2027, 3, 21, 12))
    after = next_occurrence(monday_9, "Europe/Berlin", after=before, previous=before)
    assert before == utc(2027, 3, 22, 8)  # 09:00 CET
    assert after == utc(2027, 3, 29, 7)  # 09:00 CEST
    # The US moves back on Sunday 2026-11-01.
    friday = parse_schedule("every friday 15:00")
    assert next_occurrence(friday, "America/New_York", after=utc(2026, 10, 29)) == utc(
        2026, 10, 30, 19
    )
    assert next_occurrence(friday, "America/New_York", after=utc(2026, 10, 31)) == utc(
        2026, 11, 6, 20
    )


def test_every_n_weeks_keeps_its_rhythm_even_after_missed_rounds() -> None:
    biweekly = parse_schedule("every 2 weeks friday 15:00")
    first = next_occurrence(biweekly, "UTC", after=utc(2026, 12, 1))
    assert first == utc(2026, 12, 4, 15)  # the first Friday, not two weeks out
    assert next_occurrence(biweekly, "UTC", after=first, previous=first) == utc(2026, 12, 18, 15)
    # The bot was down from Dec 4 until Jan 10: the next round stays on the same rhythm.
    assert next_occurrence(biweekly, "UTC", after=utc(2027, 1, 10), previous=first) == utc(
        2027, 1, 15, 15
    )


def test_monthly_uses_the_last_day_of_short_months() -> None:
    on_31st = parse_schedule("monthly 31 10:00")
    assert next_occurrence(on_31st, "UTC", after=utc(2027, 2, 1)) == utc(2027, 2, 28, 10)
    assert next_occurrence(on_31st, "UTC", after=utc(2027, 2, 28, 10)) == utc(2027, 3, 31, 10)
    first = parse_schedule("monthly 1 10:00")
    assert next_occurrence(first, "Asia/Tokyo", after=utc(2026, 12, 15)) == utc(2027, 1, 1, 1)
