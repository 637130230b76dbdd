"""Neutral views of reflection rounds: the round as posted, its forms, its digest, the
channel's status and the private notes of `/reflect`. Fields, not markup; people by id."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

# The limits every platform's forms keep (a question's field, an answer's field).
MAX_QUESTIONS = 25  # one form field each (Slack allows 100 blocks per modal)
MAX_QUESTION_CHARS = 500
# All of a channel's questions, one per line, must fit in the form that edits them.
MAX_QUESTIONS_TOTAL_CHARS = 3000
MAX_ANSWER_CHARS = 3000


def answer_field(index: int) -> str:
    """The name of question `index`'s field in the answers form (and of its errors)."""
    return f"q{index}"


QUESTIONS_FIELD = "questions"
RESET_FIELD = "reset"


# --- the round in its channel -----------------------------------------------------------------


@dataclass(frozen=True)
class RoundCard:
    """A round as posted: its questions, an Answer button (carrying `round_id`), the closing
    time; `scheduled_for` is said when the round is posted late."""

    round_id: int
    questions: tuple[str, ...]
    closes_at: datetime
    late: bool = False
    scheduled_for: datetime | None = None


@dataclass(frozen=True)
class ClosedRoundCard:
    """The round's message once it has closed: no Answer button; the digest is in its thread."""

    round_id: int
    questions: tuple[str, ...]
    closes_at: datetime
    answer_count: int


# --- forms ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerField:
    name: str  # `answer_field(index)`
    index: int
    question: str
    value: str = ""  # what the person answered before
    max_chars: int = MAX_ANSWER_CHARS


@dataclass(frozen=True)
class AnswersForm:
    """One optional field per question, prefilled; submitted with `round_id`."""

    round_id: int
    closes_at: datetime
    fields: tuple[AnswerField, ...]


@dataclass(frozen=True)
class QuestionsForm:
    """The channel's questions, one per line, to edit, reorder, add or reset to the standard."""

    place: str
    questions: tuple[str, ...]
    custom: bool
    max_questions: int = MAX_QUESTIONS
    max_question_chars: int = MAX_QUESTION_CHARS
    max_total_chars: int = MAX_QUESTIONS_TOTAL_CHARS


# --- the digest -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DigestAnswer:
    person: str
    question_index: int | None  # None: a thread reply that names no question
    text: str
    source: str
    decision_number: int | None = None
    decision_link: str | None = None


@dataclass(frozen=True)
class Participation:
    authors: int
    member_count: int | None = None  # None: the platform would not say
    answered_members: int | None = None


@dataclass(frozen=True)
class DigestSection:
    """A question (`number` from 1) with answers, or (`number` None) the free thread replies.
    `continued`: the section goes on from the previous part of the digest."""

    number: int | None
    question: str
    answers: tuple[DigestAnswer, ...]
    continued: bool = False


@dataclass(frozen=True)
class RoundDigest:
    """What a closed round's people answered, per question, with participation."""

    round_id: int
    place: str
    questions: tuple[tuple[str, tuple[DigestAnswer, ...]], ...]
    free_replies: tuple[DigestAnswer, ...]
    participation: Participation

    @property
    def answer_count(self) -> int:
        return sum(len(a) for _, a in self.questions) + len(self.free_replies)


@dataclass(frozen=True)
class DigestPage:
    """What one message of a digest shows: the first carries the heading; a question whose
    answers do not fit goes on in the next, marked as continued (nothing is cut)."""

    round_id: int
    first: bool
    sections: tuple[DigestSection, ...]
    answer_count: int
    participation: Participation


@dataclass(frozen=True)
class DigestPart:
    """Part `index` (from 1) of `count` of a digest, posted in the round's thread. How many
    messages a digest takes is the platform's to say (`ChatPlatform.parts`); its renderer
    shows page `index` of `digest_pages(digest, fits)`."""

    digest: RoundDigest
    index: int
    count: int


def digest_pages(digest: RoundDigest, fits: Callable[[DigestPage], bool]) -> list[DigestPage]:
    """The digest as pages that each `fits` a message of the platform, answer by answer and
    in order. An answer that fits no page alone still gets one (the renderer cuts it)."""
    sections = [
        DigestSection(number, question, answers)
        for number, (question, answers) in enumerate(digest.questions, start=1)
    ]
    if digest.free_replies:
        sections.append(DigestSection(None, "", digest.free_replies))
    pages: list[list[DigestSection]] = [[]]

    def page(shown: list[DigestSection]) -> DigestPage:
        return DigestPage(
            digest.round_id,
            len(pages) == 1,
            tuple(shown),
            digest.answer_count,
            digest.participation,
        )

    for section in sections:
        taken: tuple[DigestAnswer, ...] = ()
        continued = False
        for answer in section.answers or (None,):
            more = (*taken, answer) if answer is not None else taken
            trial = replace(section, answers=more, continued=continued)
            if (pages[-1] or taken) and not fits(page([*pages[-1], trial])):
                if taken:
                    pages[-1].append(replace(section, answers=taken, continued=continued))
                    continued = True
                pages.append([])
                more = (answer,) if answer is not None else ()
            taken = more
        pages[-1].append(replace(section, answers=taken, continued=continued))
    return [
        DigestPage(digest.round_id, i == 0, tuple(shown), digest.answer_count, digest.participation)
        for i, shown in enumerate(pages)
    ]


# --- what a person is told ----------------------------------------------------------------------


@dataclass(frozen=True)
class ReflectionStatus:
    """The channel's schedule, questions and last round (`/reflect status`)."""

    schedule: str | None  # e.g. "every Monday at 09:00"; None: no schedule
    tz: str | None
    next_at: datetime | None
    pick: int | None
    collect: timedelta
    question_count: int
    custom_questions: bool
    last_round_at: datetime | None
    last_round_answers: int
    last_round_people: int
    last_round_open: bool


@dataclass(frozen=True)
class ScheduleSet:
    schedule: str  # e.g. "every Monday at 09:00"
    tz: str
    next_at: datetime


@dataclass(frozen=True)
class ScheduleStopped:
    stopped: bool  # False: there was no schedule


@dataclass(frozen=True)
class PickSet:
    pick: int | None  # None: every question
    question_count: int


@dataclass(frozen=True)
class AnswersSaved:
    """Told in the round's channel (`place`) after the answers form was saved."""

    place: str
    answered: int
    question_count: int
    closes_at: datetime


@dataclass(frozen=True)
class QuestionsSaved:
    question_count: int | None  # None: back to the standard questions


@dataclass(frozen=True)
class RoundClosed:
    """The round no longer takes answers."""


@dataclass(frozen=True)
class RoundNotPosted:
    """The platform refused a round; `reason` is its word for why. `place` is named when the
    person is told elsewhere; `scheduled` rounds are tried again."""

    reason: str
    place: str | None = None
    scheduled: bool = False


@dataclass(frozen=True)
class RoundUnconfirmed:
    """The platform did not confirm the round: it is looked for in a minute and posted if it
    is missing."""


@dataclass(frozen=True)
class Refused:
    """The person may not change the channel's reflection settings; `reason` says why."""

    reason: str


@dataclass(frozen=True)
class Problem:
    """Something asked for cannot be done; `reason` says why (a warning)."""

    reason: str


@dataclass(frozen=True)
class Private:
    """A private note and where to give it: in `place`, or directly when it is None (the
    person cannot read that place)."""

    note: object
    place: str | None
