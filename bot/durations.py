"""Durations as people type them: `20m`, `1h`, `1h30m`, `90s`, `2d`."""

from __future__ import annotations

import re
from datetime import timedelta

_PART = re.compile(r"(\d+)\s*(d|h|m|s)", re.IGNORECASE)
_WHOLE = re.compile(r"^(?:\d+\s*[dhms]\s*)+$", re.IGNORECASE)
_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
# Longer than anything the bot schedules; beyond it dates stop being representable.
MAX_DURATION = timedelta(days=3650)


def looks_like_duration(token: str) -> bool:
    return bool(_WHOLE.match(token.strip()))


def parse_duration(token: str) -> timedelta:
    """Parse `1h30m`-style text; raises ValueError for anything else, and for more than
    `MAX_DURATION` (about ten years)."""
    text = token.strip()
    if not looks_like_duration(text):
        raise ValueError(f"not a duration: {token!r}")
    seconds = sum(int(n) * _UNITS[u.lower()] for n, u in _PART.findall(text))
    if seconds > MAX_DURATION.total_seconds():
        raise ValueError(f"longer than {MAX_DURATION.days} days: {token!r}")
    return timedelta(seconds=seconds)


def format_duration(delta: timedelta) -> str:
    """`1h 30m`-style text for people."""
    seconds = int(delta.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return " ".join(parts) or "0s"
