"""What the decision log shows: a page of decisions (a `/decisions` list or the Home tab), one
decision's full record, the metrics, a logged decision's announcement and the notes after it.

Statuses, stances and outcomes are the vocabulary's values (renderers put them in words);
people and places are ids; times are UTC datetimes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.inputs import parse_id
from bot.views import Text
from bot.vocabulary import DecisionStatus

# Past this many matches the Home tab says "1,000+" (counting stops there).
HOME_COUNT_CAP = 1000
HOME_STATUSES = (
    DecisionStatus.ACTIVE,
    DecisionStatus.UNDER_REVIEW,
    DecisionStatus.HALTED,
    DecisionStatus.AMENDED,
    DecisionStatus.REVERSED,
    DecisionStatus.SUPERSEDED,
)


class Listing(StrEnum):
    """What a `/decisions` list shows (its argument: a place, or the search words)."""

    CHANNEL = "channel"
    SEARCH = "search"
    DUE = "due"
    MINE = "mine"


@dataclass(frozen=True)
class EntryLine:
    """One decision in a list."""

    decision_id: int
    label: str
    status: str
    confidence: int
    dissent_count: int
    review_on: datetime
    overdue: bool
    permalink: str | None
    text: str
    owner: str
    place: str | None


@dataclass(frozen=True)
class PageLines:
    entries: tuple[EntryLine, ...]
    page: int
    per_page: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.page > 0


@dataclass(frozen=True)
class LogListView:
    """A private answer to `/decisions …`: one page, with previous/next carrying what the list
    shows (`listing`, `arg`) and the page."""

    title: Text
    lines: PageLines
    listing: str
    arg: str


@dataclass(frozen=True)
class BandLine:
    """Reviewed decisions of one confidence band, by outcome."""

    label: str
    kept: int
    amended: int
    reversed: int

    @property
    def reviewed(self) -> int:
        return self.kept + self.amended + self.reversed


@dataclass(frozen=True)
class OwnerCalibrationLine:
    owner: str
    reviews: int
    recorded_confidence: float
    actual_confidence: float


@dataclass(frozen=True)
class MetricsView:
    """Input metrics of the last 30 days and the calibration from reviews."""

    decisions: int
    reviews_due: int
    reviews_on_time: int
    median_confidence: float | None
    with_dissent: int
    reversed_or_amended: int
    readers_expected: int
    readers_done: int
    narratives: int
    questions: int
    calibration: tuple[OwnerCalibrationLine, ...] = ()
    bands: tuple[BandLine, ...] = ()


@dataclass(frozen=True)
class VoteLine:
    person: str
    stance: str
    reason: str | None
    committed: bool
    cast_at: datetime


@dataclass(frozen=True)
class AndonLine:
    person: str
    pulled_at: datetime
    reason: str
    resolution: str | None  # None while open


@dataclass(frozen=True)
class ReviewLine:
    due_at: datetime
    outcome: str | None  # a ReviewAnswer once answered
    answered_by: str | None
    actual_confidence: int | None
    learned: str | None
    reminded: bool


@dataclass(frozen=True)
class HistoryLine:
    at: datetime
    person: str | None
    kind: str
    detail: str | None  # what the log stored with it (JSON)


def event_words(kind: str, detail: str | None) -> str:
    """A history entry in plain words; unknown kinds show their name and details as stored."""
    try:
        data = json.loads(detail) if detail else {}
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    if kind == "reflection_answer":
        question = data.get("question")
        return "named in a reflection answer" + (f" to “{question}”" if question else "")
    words = kind.replace("_", " ")
    # Internal row ids mean nothing to a reader.
    shown = {k: v for k, v in data.items() if v not in (None, "") and not k.endswith("_id")}
    if shown:
        words += " (" + ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in shown.items()) + ")"
    return words


@dataclass(frozen=True)
class RecordView:
    """Every field of one decision, as one person may see it. While an anonymous poll is open
    (`voters_hidden`) there are no votes, only the tally."""

    label: str
    text: str
    proposal: str | None  # when the final wording differs from what was proposed
    status: str
    owner: str
    confidence: int
    confidence_note: str | None
    door: str
    review_on: datetime
    created_at: datetime
    decided_at: datetime | None
    place: str | None
    permalink: str | None
    replaces: str | None
    replaced_by: str | None
    narrative_title: str | None
    narrative_questions: int
    tally: tuple[tuple[str, int], ...]
    show_tally: bool
    voters_hidden: bool
    dissent: tuple[VoteLine, ...]
    changed_votes: tuple[VoteLine, ...]
    andon: tuple[AndonLine, ...]
    reviews: tuple[ReviewLine, ...]
    history: tuple[HistoryLine, ...]


@dataclass(frozen=True)
class HomeFilters:
    """What the Home tab's log shows; carried in the published view as JSON."""

    channel_id: str | None = None
    owner_id: str | None = None
    status: str | None = None
    due: bool = False
    page: int = 0

    def to_metadata(self) -> str:
        return json.dumps(
            {
                "c": self.channel_id,
                "o": self.owner_id,
                "s": self.status,
                "d": self.due,
                "p": self.page,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_metadata(cls, raw: str | None) -> HomeFilters:
        """Anything unreadable (a tampered or older view) means no filter."""
        try:
            data = json.loads(raw or "{}")
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        status = data.get("s")
        return cls(
            channel_id=_str(data.get("c")),
            owner_id=_str(data.get("o")),
            status=status if status in HOME_STATUSES else None,
            due=bool(data.get("d")),
            page=parse_id(data.get("p")) or 0,
        )

    def with_(self, **changes: Any) -> HomeFilters:
        return replace(self, **changes)


def _str(value: Any) -> str | None:
    return str(value) if isinstance(value, str) and value else None


@dataclass(frozen=True)
class HomeView:
    """The leaders' decision log browser: metrics, filters, one page of decisions. `total`
    counts at most `HOME_COUNT_CAP` + 1."""

    filters: HomeFilters
    lines: PageLines
    metrics: MetricsView
    total: int


@dataclass(frozen=True)
class HomeUnavailable:
    """The Home tab when the platform did not say which workspace it is in."""


@dataclass(frozen=True)
class LoggedView:
    """The announcement of a decision recorded with `/decisions log`."""

    author: str
    label: str
    text: str
    owner: str
    confidence: int
    confidence_note: str | None
    door: str
    review_on: datetime


@dataclass(frozen=True)
class SupersededView:
    """A note to the owner of a decision someone else superseded. `new_text` is None when the
    new decision's place is one the owner cannot see."""

    author: str
    older_label: str
    older_text: str
    new_label: str
    new_text: str | None


@dataclass(frozen=True)
class LoggedReceipt:
    """The private answer to `/decisions log`: what was recorded."""

    label: str
    confidence: int
    confidence_note: str | None
    review_on: datetime


def calibration_text(bands: tuple[BandLine, ...]) -> str:
    """Calibration in words: per confidence band, how many reviewed decisions were kept,
    amended and reversed ("—" where none was reviewed)."""
    parts = []
    for band in bands:
        n = band.reviewed
        if not n:
            parts.append(f"{band.label}: —")
            continue
        shares = ", ".join(
            f"{round(100 * count / n)}% {word}"
            for count, word in (
                (band.kept, "kept"),
                (band.amended, "amended"),
                (band.reversed, "reversed"),
            )
        )
        parts.append(f"{band.label}: {n} reviewed ({shares})")
    return "; ".join(parts)


def percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else "—"
