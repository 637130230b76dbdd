"""Parsing a decision as typed after `/decide` or `/decisions log`, with its options.

We launch the new pricing in March confidence:60% review:30d owner:U123 door:one-way closes:2h

The owner is a person's id: each platform turns its own mention into one before parsing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.durations import looks_like_duration, parse_duration
from bot.inputs import TEXT_CHARS, bounded, is_slack_id

# The whole text typed after `/decide` (the proposal and its options).
PROPOSAL_CHARS = TEXT_CHARS + 500

DEFAULT_CONFIDENCE = 70
MAX_REVIEW_YEARS = 10
OPTION_NAMES = ("confidence", "review", "owner", "door", "closes")
# An option starts the text or follows a space.
_OPTION = re.compile(r"(?:^|(?<=\s))([A-Za-z]+):(\S+)")


class ProposalError(ValueError):
    """The text cannot be a decision; the message says what is wrong, for the person."""


@dataclass(frozen=True)
class ProposalOptions:
    text: str
    confidence: int
    review_on: datetime
    owner_id: str
    door: str
    closes_at: datetime | None
    review_given: bool
    # Given as a day (`review:2027-03-01`): 09:00 in the author's time zone, which the caller
    # may learn later (see `at_nine`); None for a delay such as `30d` or the default.
    review_day: date | None = None


def default_review_days(confidence: int) -> int:
    """The less information a decision was made with, the sooner it is reviewed."""
    if confidence < 50:
        return 30
    if confidence <= 80:
        return 90
    return 180


def default_review_on(confidence: int, now: datetime) -> datetime:
    return now + timedelta(days=default_review_days(confidence))


def confidence_note(confidence: int) -> str | None:
    """The short note shown beside confidence outside the 50–90% band (Bezos' ~70% rule)."""
    if confidence < 50:
        return "little information — review early"
    if confidence > 90:
        return "you may be deciding slowly"
    return None


def parse_confidence(raw: str) -> int:
    value = raw.strip().rstrip("%").strip()
    try:
        number = int(value)
    except ValueError:
        raise ProposalError(
            f"confidence must be a whole percentage such as `70%`, not `{raw}`."
        ) from None
    if not 1 <= number <= 100:
        raise ProposalError(f"confidence must be between 1% and 100%, not {number}%.")
    return number


def parse_review(raw: str, *, now: datetime, tz: str = "UTC") -> datetime:
    """`30d`-style offsets or a date `YYYY-MM-DD` (09:00 in `tz`); never in the past."""
    value = raw.strip()
    if looks_like_duration(value):
        try:
            when = now + parse_duration(value)
        except ValueError:
            raise ProposalError(
                f"review `{raw}` is too far away; pick a date within {MAX_REVIEW_YEARS} years."
            ) from None
    else:
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise ProposalError(
                f"review must be a date like `2027-03-01` or a delay like `30d`, not `{raw}`."
            ) from None
        when = datetime.combine(day, time(9, 0), tzinfo=_zone(tz))
    if when <= now:
        raise ProposalError(f"the review date `{raw}` is in the past; pick a later one.")
    if when > now + timedelta(days=365 * MAX_REVIEW_YEARS):
        raise ProposalError(
            f"review `{raw}` is too far away; pick a date within {MAX_REVIEW_YEARS} years."
        )
    return when


def parse_door(raw: str) -> str:
    value = raw.strip().lower().replace("_", "-")
    if value in ("one-way", "oneway", "one"):
        return "one-way"
    if value in ("two-way", "twoway", "two"):
        return "two-way"
    raise ProposalError(f"door must be `one-way` or `two-way`, not `{raw}`.")


def parse_user(raw: str) -> str:
    """The owner option: a person's id (the platform wrote the mention as one)."""
    value = raw.strip()
    if not is_slack_id(value):
        raise ProposalError(f"owner must be a mention such as `@ana`, not `{raw}`.")
    return value


def parse_proposal(text: str, *, author_id: str, now: datetime, tz: str = "UTC") -> ProposalOptions:
    """Split `text` into the proposal and its options, applying defaults; raise ProposalError."""
    bounded(text, PROPOSAL_CHARS, "decision text", ProposalError)
    options: dict[str, str] = {}

    def take(match: re.Match[str]) -> str:
        name = match.group(1).lower()
        if name not in OPTION_NAMES:
            # Not one of ours (a URL's scheme, "note:" in prose): keep it in the text.
            if name in ("http", "https", "mailto"):
                return match.group(0)
            raise ProposalError(
                f"unknown option `{match.group(1)}:`; the options are "
                + ", ".join(f"`{n}:`" for n in OPTION_NAMES)
                + "."
            )
        if name in options:
            raise ProposalError(f"`{name}:` is given twice.")
        options[name] = match.group(2)
        return ""

    remaining = _OPTION.sub(take, text)
    proposal = " ".join(remaining.split())
    if not proposal:
        raise ProposalError("the proposal is empty; write what you propose to decide.")
    confidence = (
        parse_confidence(options["confidence"]) if "confidence" in options else DEFAULT_CONFIDENCE
    )
    review_given = "review" in options
    review_on = (
        parse_review(options["review"], now=now, tz=tz)
        if review_given
        else default_review_on(confidence, now)
    )
    owner_id = parse_user(options["owner"]) if "owner" in options else author_id
    door = parse_door(options["door"]) if "door" in options else "two-way"
    closes_at = None
    if "closes" in options:
        try:
            closes_in = parse_duration(options["closes"])
        except ValueError:
            raise ProposalError(
                f"closes must be a duration such as `2h` or `3d`, not `{options['closes']}`."
            ) from None
        if closes_in <= timedelta(0):
            raise ProposalError("closes must be a positive duration.")
        closes_at = now + closes_in
    return ProposalOptions(
        text=proposal,
        confidence=confidence,
        review_on=review_on,
        owner_id=owner_id,
        door=door,
        closes_at=closes_at,
        review_given=review_given,
        review_day=_day_of(options["review"]) if review_given else None,
    )


def _day_of(raw: str) -> date | None:
    value = raw.strip()
    if looks_like_duration(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def review_day_in(text: str) -> date | None:
    """The day of a `review:YYYY-MM-DD` option in `text`, if it has one."""
    for match in _OPTION.finditer(text):
        if match.group(1).lower() == "review":
            return _day_of(match.group(2))
    return None


def at_nine(day: date, tz: str) -> datetime:
    """A review date given as a day: 09:00 there in `tz`."""
    return datetime.combine(day, time(9, 0), tzinfo=_zone(tz))


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except Exception:  # noqa: BLE001 - an unknown zone name falls back to UTC
        return ZoneInfo("UTC")
