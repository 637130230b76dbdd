"""What narrative meetings show: the narrative card and its reading progress, the question
digest, the forms to start a narrative and to ask privately, and the private notes.

Fields, not markup: people are platform ids, user text is as the person wrote it, and each
platform's renderer decides how it looks (and how many messages a long one takes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.views import Notice, Strong, notice
from bot.vocabulary import EndReason, NarrativeKind

# The start form's fields, by name (what a platform sends back when the form is submitted).
START_FIELDS = ("title", "link", "body", "kind", "reading", "readers")
DEFAULT_READING_TEXT = "20m"


@dataclass(frozen=True)
class ReadingProgress:
    """Who is expected to read, who pressed "I'm done reading" (in order), and whether the
    reading period is still on."""

    expected: tuple[str, ...]
    done: tuple[str, ...]
    reading: bool

    @property
    def expected_done(self) -> tuple[str, ...]:
        return tuple(u for u in self.expected if u in self.done)

    @property
    def still_reading(self) -> tuple[str, ...]:
        return tuple(u for u in self.expected if u not in self.done)

    @property
    def others_done(self) -> int:
        """Readers done who were not expected."""
        return len(self.done) - len(self.expected_done)

    @property
    def everyone_done(self) -> bool:
        return bool(self.expected) and not self.still_reading


@dataclass(frozen=True)
class NarrativeCard:
    """The narrative as posted in its place: reading (with its buttons: I'm done reading, Ask
    privately, End reading now) or, once reading is over, why and when it ended."""

    narrative_id: int
    title: str
    link: str | None
    kind: NarrativeKind
    owner: str
    reading_time: timedelta
    ends_at: datetime
    progress: ReadingProgress
    body: str | None = None  # pasted text; a long one continues in the thread (`BodyPart`)
    ended_at: datetime | None = None
    end_reason: EndReason | None = None

    @property
    def reading(self) -> bool:
        return self.progress.reading

    @property
    def titled_by_link(self) -> bool:
        """Started with a link alone: the link is its title."""
        return bool(self.link) and self.title == self.link


@dataclass(frozen=True)
class BodyPart:
    """Part `index` (from 1) of `count` of a long pasted narrative's continuation, posted in
    its thread (`ChatPlatform.parts(card)` is 1 + `count`)."""

    card: NarrativeCard
    index: int
    count: int


@dataclass(frozen=True)
class DigestQuestion:
    text: str
    author: str | None  # None: asked privately, shown without a name
    upvotes: int
    asked_at: datetime


@dataclass(frozen=True)
class Digest:
    """The questions of a reading, most 👍 first, then in the order they were asked; it ends
    with a way to propose a decision about the narrative."""

    narrative_id: int
    title: str
    progress: ReadingProgress
    questions: tuple[DigestQuestion, ...]


@dataclass(frozen=True)
class DigestPart:
    """Part `index` (from 1) of `count` of a digest too long for one message."""

    digest: Digest
    index: int
    count: int


@dataclass(frozen=True)
class ReadingStatus:
    """The reading periods in progress in a place, newest first."""

    periods: tuple[NarrativeCard, ...]


@dataclass(frozen=True)
class NarrativeCheck:
    """The private check of a pasted narrative, for its owner."""

    words: int
    minutes: int  # estimated reading time
    reading_minutes: int  # the reading time chosen
    notes: tuple[str, ...]


@dataclass(frozen=True)
class StartForm:
    """The form to start a narrative in `place`: title, link, pasted text, kind, reading time
    and expected readers (see `START_FIELDS`)."""

    place: str
    kinds: tuple[NarrativeKind, ...]
    default_kind: NarrativeKind
    default_reading: str
    title_chars: int
    body_hint_chars: int  # what one text field takes; longer narratives are linked


@dataclass(frozen=True)
class StartAnswers:
    """What the start form was submitted with (strings as typed, readers as ids)."""

    title: str = ""
    link: str = ""
    body: str = ""
    kind: str = NarrativeKind.OTHER.value
    reading: str = DEFAULT_READING_TEXT
    readers: tuple[str, ...] = ()


@dataclass(frozen=True)
class AskForm:
    """The form to ask about a narrative privately; the digest shows no name."""

    narrative_id: int
    title: str
    question_chars: int


@dataclass(frozen=True)
class NarrativeNotPosted:
    """The narrative could not be posted in `place`; `reason` is the platform's word for why
    (its renderer says what to do about it)."""

    place: str
    reason: str


@dataclass(frozen=True)
class NarrativeUnconfirmed:
    """The platform did not confirm the narrative's post; the bot checks again and posts it if
    it is missing."""


NOTHING_IN_PROGRESS = notice("No reading period is in progress in this channel.")
ALREADY_DONE = notice("You are already counted as done. Thank you!")
DONE_AFTER_READING = notice(
    "Reading is already over; the questions are in the digest in the thread."
)
ONLY_OWNER_ENDS = notice(
    "Only the narrative's owner or a workspace admin can end reading early. Press ",
    Strong("I'm done reading"),
    " when you have finished.",
)
ALREADY_OVER = notice("Reading is already over.")
ASKED = notice("Your question is recorded; the digest shows it without your name.")
ASKED_AFTER_READING = notice(
    "Reading is over, so your question is recorded but the digest is already posted."
)


def asked(after_reading: bool) -> Notice:
    return ASKED_AFTER_READING if after_reading else ASKED
