"""Reflection schedules as people type them, and their next occurrence in a time zone.

    every monday 09:00            every 2 weeks friday 15:00         monthly 1 10:00

Times are wall-clock times in the scheduler's time zone: a Monday 09:00 round stays at 09:00
across daylight saving changes (zoneinfo does the arithmetic).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.inputs import parse_id

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

_TIME_24 = re.compile(r"^(\d{1,2}):(\d{2})$")
_TIME_12 = re.compile(r"^(\d{1,2})(?::(\d{2}))?(am|pm)$")
_DAY = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?$")


class ScheduleError(ValueError):
    """The text is not a schedule; the message says what is wrong, for the person who typed it."""


@dataclass(frozen=True)
class Schedule:
    kind: Literal["weekly", "monthly"]
    hour: int
    minute: int
    weekday: int = 0  # 0 = Monday
    every_weeks: int = 1
    day: int = 1  # day of the month; months that are shorter use their last day

    @property
    def rule(self) -> str:
        """The compact form kept in the database (`ReflectionSchedule.rule`)."""
        at = f"{self.hour:02d}:{self.minute:02d}"
        if self.kind == "monthly":
            return f"monthly {self.day} {at}"
        return f"weekly {self.every_weeks} {WEEKDAYS[self.weekday]} {at}"

    def describe(self) -> str:
        at = f"{self.hour:02d}:{self.minute:02d}"
        if self.kind == "monthly":
            return f"monthly on the {_ordinal(self.day)} at {at}"
        day = WEEKDAYS[self.weekday].capitalize()
        if self.every_weeks == 1:
            return f"every {day} at {at}"
        return f"every {self.every_weeks} weeks on {day} at {at}"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def from_rule(rule: str) -> Schedule:
    """Read back what `Schedule.rule` wrote."""
    parts = rule.split()
    hour, minute = (int(x) for x in parts[-1].split(":"))
    if parts[0] == "monthly":
        return Schedule(kind="monthly", hour=hour, minute=minute, day=int(parts[1]))
    return Schedule(
        kind="weekly",
        hour=hour,
        minute=minute,
        every_weeks=int(parts[1]),
        weekday=WEEKDAYS.index(parts[2]),
    )


def _weekday(word: str) -> int | None:
    word = word.rstrip("s") if word.endswith("days") else word
    for i, name in enumerate(WEEKDAYS):
        if word == name or (len(word) >= 3 and name.startswith(word)):
            return i
    return None


def _time(word: str) -> tuple[int, int]:
    if m := _TIME_24.match(word):
        hour, minute = int(m.group(1)), int(m.group(2))
    elif m := _TIME_12.match(word):
        hour, minute = int(m.group(1)), int(m.group(2) or 0)
        if not 1 <= hour <= 12:
            raise ScheduleError(f"`{word}` is not a time of day.")
        hour = hour % 12 + (12 if m.group(3) == "pm" else 0)
    else:
        raise ScheduleError(f"`{word}` is not a time of day; write it as `HH:MM`, e.g. `09:00`.")
    if hour > 23 or minute > 59:
        raise ScheduleError(f"`{word}` is not a time of day; use 00:00 to 23:59.")
    return hour, minute


def parse_schedule(text: str) -> Schedule:
    """Parse `every [N weeks|other] WEEKDAY HH:MM` or `monthly DAY HH:MM`."""
    words = [w for w in text.lower().replace(",", " ").split() if w not in ("at", "on", "the")]
    if not words:
        raise ScheduleError("The schedule is empty.")
    if words[0] == "monthly" or words[:2] == ["every", "month"]:
        rest = words[1:] if words[0] == "monthly" else words[2:]
        if len(rest) != 2:
            raise ScheduleError("A monthly schedule names a day of the month and a time.")
        m = _DAY.match(rest[0])
        if not m or not 1 <= int(m.group(1)) <= 31:
            raise ScheduleError(f"`{rest[0]}` is not a day of the month (1 to 31).")
        hour, minute = _time(rest[1])
        return Schedule(kind="monthly", hour=hour, minute=minute, day=int(m.group(1)))
    if words[0] != "every":
        raise ScheduleError("A schedule starts with `every` or `monthly`.")
    rest = words[1:]
    every_weeks = 1
    if rest[:1] == ["other"]:
        every_weeks, rest = 2, rest[1:]
    elif rest[:1] == ["week"]:
        rest = rest[1:]
    elif len(rest) >= 2 and rest[0].isdigit() and rest[1] in ("week", "weeks"):
        every_weeks, rest = parse_id(rest[0]) or 0, rest[2:]
        if not 1 <= every_weeks <= 12:
            raise ScheduleError("Rounds can be from every week to every 12 weeks.")
    if len(rest) != 2:
        raise ScheduleError("A weekly schedule names a weekday and a time.")
    weekday = _weekday(rest[0])
    if weekday is None:
        raise ScheduleError(f"`{rest[0]}` is not a weekday (monday to sunday).")
    hour, minute = _time(rest[1])
    return Schedule(
        kind="weekly", hour=hour, minute=minute, weekday=weekday, every_weeks=every_weeks
    )


def zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _at(day: date, schedule: Schedule, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(schedule.hour, schedule.minute), tzinfo=tz).astimezone(UTC)


def next_occurrence(
    schedule: Schedule, tz: str, *, after: datetime, previous: datetime | None = None
) -> datetime:
    """The first time strictly after `after` (aware UTC) when a round is due.

    `previous` is the last due time; rounds every N weeks keep its rhythm (weeks are counted from
    it, even when several were missed), so a late start never shifts the week.
    """
    local_tz = zone(tz)
    local = after.astimezone(local_tz)
    if schedule.kind == "monthly":
        year, month = local.year, local.month
        while True:
            last = calendar.monthrange(year, month)[1]
            candidate = _at(date(year, month, min(schedule.day, last)), schedule, local_tz)
            if candidate > after:
                return candidate
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    if previous is not None:
        day = previous.astimezone(local_tz).date()
        step = timedelta(weeks=schedule.every_weeks)
        day += step
        if _at(day, schedule, local_tz) <= after:
            # Skip whole periods at once, then step: a long outage costs no loop.
            periods = (local.date() - day).days // step.days
            day += step * max(periods, 0)
    else:
        day = local.date() + timedelta(days=(schedule.weekday - local.weekday()) % 7)
        step = timedelta(weeks=1)
    while _at(day, schedule, local_tz) <= after:
        day += step
    return _at(day, schedule, local_tz)
