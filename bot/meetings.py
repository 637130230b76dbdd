"""Narrative meetings: a silent reading period, who finished, the questions, and the digest.

The reading period ends when every expected reader is done, at the due time, or when the owner
(or an admin) ends it — whichever comes first, and only once: the state change is one
`UPDATE … WHERE state='reading'` (see `storage.meetings.end_reading`). The flows post through
the platform port (`bot.port`); what answers a click or a command is returned as a value.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlmodel import Session

from bot.durations import format_duration, looks_like_duration, parse_duration
from bot.inputs import TEXT_CHARS, TITLE_CHARS, bounded, is_slack_id, too_long
from bot.port import ChatPlatform, MessageRef, PostFailed, PostUnconfirmed, Unreachable
from bot.views import FormErrors, Reply
from bot.views.narratives import (
    ALREADY_DONE,
    ALREADY_OVER,
    DONE_AFTER_READING,
    NOTHING_IN_PROGRESS,
    ONLY_OWNER_ENDS,
    AskForm,
    BodyPart,
    Digest,
    DigestPart,
    DigestQuestion,
    NarrativeCard,
    NarrativeCheck,
    NarrativeNotPosted,
    NarrativeUnconfirmed,
    ReadingProgress,
    ReadingStatus,
    StartAnswers,
    StartForm,
    asked,
)
from bot.vocabulary import EndReason, NarrativeKind, ReadingState, TimerKind
from storage import meetings as rows
from storage.db import read_scope, session_scope
from storage.models import Narrative, Question, Timer

if TYPE_CHECKING:
    from bot.core import Core

log = logging.getLogger(__name__)

# Looks for a narrative whose post was never confirmed (the platform did not answer, or the
# bot died while posting) and posts it if it is missing; cancelled once the message is known.
CONFIRM_AFTER = timedelta(minutes=1)
# A claim on posting a digest older than this belongs to a process that died while posting.
DIGEST_LEASE = timedelta(minutes=2)
DEFAULT_READING = timedelta(minutes=20)
MIN_READING = timedelta(minutes=1)
MAX_READING = timedelta(hours=4)
# How long after starting a narrative its message may still be unposted (the platform slow).
POSTING_WINDOW = timedelta(minutes=1)
# How long a thread reply waits for a narrative whose message is still being posted.
POSTED_WAIT_SECONDS = 10.0
POSTED_POLL_SECONDS = 0.1

# Number-and-unit tokens (`20m`, `25min`, `1.5h`, `2d`): meant as a reading time, so one that
# is not a valid one is refused rather than read as a title word. `2FA` or `5G` stay titles.
_UNIT = r"(?:d|h|m|s|mins?|minutes?|hrs?|hours?|secs?|seconds?)"
DURATION_ATTEMPT = re.compile(rf"^(?:\d+(?:[.,]\d+)?{_UNIT})+$", re.IGNORECASE)
UNIT_WORD = re.compile(rf"^{_UNIT}$", re.IGNORECASE)
_UNIT_ALIASES = (
    (re.compile(r"(\d+)\s*(?:hours?|hrs?)", re.I), r"\1h"),
    (re.compile(r"(\d+)\s*(?:minutes?|mins?)", re.I), r"\1m"),
    (re.compile(r"(\d+)\s*(?:seconds?|secs?)", re.I), r"\1s"),
)


class NarrativeInputError(ValueError):
    """The text cannot start a reading period; the message says why, for the person."""


class NotAllowed(PermissionError):
    """The person may not do this (only the owner or an admin may end reading early)."""


# --- starting ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class NarrativeRequest:
    title: str
    link: str | None
    readers: tuple[str, ...]
    reading: timedelta
    body: str | None = None
    kind: NarrativeKind = NarrativeKind.OTHER


def parse_reading_time(token: str) -> timedelta:
    """`20m`, `1h30m`, `90s` (also `20 min`, `1 hour`), between 1 minute and 4 hours."""
    text = token.strip()
    for pattern, replacement in _UNIT_ALIASES:
        text = pattern.sub(replacement, text)
    if not looks_like_duration(text):
        raise NarrativeInputError(
            f"`{token.strip()}` is not a reading time. Use forms like `20m`, `1h`, `1h30m` or `90s`."
        )
    try:
        reading = parse_duration(text)
    except ValueError:
        raise NarrativeInputError(
            f"`{token.strip()}` is too long for a reading time; use 1 minute to 4 hours."
        ) from None
    if not MIN_READING <= reading <= MAX_READING:
        raise NarrativeInputError(
            f"A reading time of {format_duration(reading)} is outside 1 minute to 4 hours."
        )
    return reading


_BARE_LINK = re.compile(r"(?<!\S)(https?://[^\s<>|]+)")


def parse_request(text: str, *, readers: tuple[str, ...] = ()) -> NarrativeRequest:
    """Read `[DURATION] TITLE and/or LINK`, the text of a start command once its platform took
    out the mentioned readers (`readers`, as ids, in order) and turned its links into bare URLs.

    The link is the first `http(s)` URL; a leading reading time (`20m`, `20 min`) is read as
    one; the rest is the title. Raises NarrativeInputError saying what is wrong.
    """
    link: str | None = None
    rest = text
    match = _BARE_LINK.search(rest)
    if match:
        link = match.group(1)
        rest = rest[: match.start()] + " " + rest[match.end() :]
    words = rest.split()
    reading = DEFAULT_READING
    if words and DURATION_ATTEMPT.match(words[0]):
        reading = parse_reading_time(words.pop(0))
    elif len(words) >= 2 and words[0].isdigit() and UNIT_WORD.match(words[1]):
        # `20 min Title`: a number, then a unit word.
        reading = parse_reading_time(words[0] + words[1])
        words = words[2:]
    title = " ".join(words)
    if not title and not link:
        raise NarrativeInputError("Give the narrative a title or a link to read.")
    request = NarrativeRequest(
        title=title or link or "", link=link, readers=tuple(dict.fromkeys(readers)), reading=reading
    )
    check_request(request)
    return request


def check_request(request: NarrativeRequest) -> None:
    """Raise NarrativeInputError when the title or link is too long or a reader is not an id."""
    bounded(request.title, TITLE_CHARS, "title", NarrativeInputError)
    bounded(request.link or "", TITLE_CHARS, "link", NarrativeInputError)
    if not all(is_slack_id(user) for user in request.readers):
        raise NarrativeInputError("Pick the expected readers from the list of people.")


def start_reading(
    *, core: Core, team_id: str, channel_id: str, owner_id: str, request: NarrativeRequest
) -> Narrative:
    """Store the narrative, its expected readers and the durable timer that ends reading."""
    check_request(request)
    if not is_slack_id(channel_id):
        raise NarrativeInputError("Start the narrative again from its channel.")
    now = core.clock.now()
    narrative = Narrative(
        team_id=team_id,
        channel_id=channel_id,
        owner_id=owner_id,
        title=request.title,
        link=request.link,
        body=request.body,
        kind=NarrativeKind(request.kind).value,
        reading_seconds=int(request.reading.total_seconds()),
        started_at=now,
        ends_at=now + request.reading,
    )
    with session_scope(core.engine) as session:
        rows.insert_narrative(session=session, team_id=team_id, narrative=narrative)
        narrative_id = int(narrative.id or 0)
        rows.add_expected_readers(
            session=session, team_id=team_id, narrative_id=narrative_id, user_ids=request.readers
        )
        core.timers.add(
            session=session,
            team_id=team_id,
            kind=TimerKind.READING_END,
            ref_id=narrative_id,
            due_at=narrative.ends_at,
        )
        core.timers.add(
            session=session,
            team_id=team_id,
            kind=TimerKind.NARRATIVE_CONFIRM,
            ref_id=narrative_id,
            due_at=now + CONFIRM_AFTER,
        )
    return narrative


def attach_message(*, core: Core, team_id: str, narrative_id: int, message_ts: str) -> None:
    """Remember the posted message: its thread is where questions are asked."""
    with session_scope(core.engine) as session:
        rows.set_message_ts(
            session=session, team_id=team_id, narrative_id=narrative_id, message_ts=message_ts
        )
        core.timers.cancel(
            session=session, team_id=team_id, kind=TimerKind.NARRATIVE_CONFIRM, ref_id=narrative_id
        )


def narrative_to_confirm(*, core: Core, team_id: str, narrative_id: int) -> Narrative | None:
    """A narrative whose message may be missing in its channel (its ts never stored)."""
    with read_scope(core.engine) as session:
        narrative = rows.get_narrative(session=session, team_id=team_id, narrative_id=narrative_id)
    if narrative is None or narrative.message_ts or narrative.end_reason == EndReason.NOT_POSTED:
        return None
    return narrative


# --- reading progress -------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    """A narrative with who is expected to read it and who has finished."""

    narrative: Narrative
    expected: tuple[str, ...]
    done: tuple[str, ...]  # everyone who pressed "I'm done reading", in order

    @property
    def expected_done(self) -> tuple[str, ...]:
        return tuple(u for u in self.expected if u in self.done)

    @property
    def still_reading(self) -> tuple[str, ...]:
        return tuple(u for u in self.expected if u not in self.done)

    @property
    def everyone_done(self) -> bool:
        return bool(self.expected) and not self.still_reading

    @property
    def reading(self) -> bool:
        return self.narrative.state == ReadingState.READING

    @property
    def view(self) -> ReadingProgress:
        return ReadingProgress(expected=self.expected, done=self.done, reading=self.reading)

    @property
    def card(self) -> NarrativeCard:
        """The narrative as its message shows it now."""
        n = self.narrative
        return NarrativeCard(
            narrative_id=int(n.id or 0),
            title=n.title,
            link=n.link,
            kind=NarrativeKind(n.kind) if n.kind in set(NarrativeKind) else NarrativeKind.OTHER,
            owner=n.owner_id,
            reading_time=timedelta(seconds=n.reading_seconds),
            ends_at=n.ends_at,
            progress=self.view,
            body=n.body,
            ended_at=n.ended_at,
            end_reason=EndReason(n.end_reason) if n.end_reason else None,
        )


def get_progress(*, core: Core, team_id: str, narrative_id: int) -> Progress | None:
    with read_scope(core.engine) as session:
        narrative = rows.get_narrative(session=session, team_id=team_id, narrative_id=narrative_id)
        if narrative is None:
            return None
        return _progress(session, team_id, narrative)


def _progress(session: Session, team_id: str, narrative: Narrative) -> Progress:
    people = rows.readers(session=session, team_id=team_id, narrative_id=int(narrative.id or 0))
    done = sorted((r for r in people if r.done_at is not None), key=lambda r: (r.done_at, r.id))
    return Progress(
        narrative=narrative,
        expected=tuple(r.user_id for r in people if r.expected),
        done=tuple(r.user_id for r in done),
    )


@dataclass(frozen=True)
class DoneResult:
    progress: Progress
    counted: bool  # False for a second click, or a click after reading ended
    ended: bool  # this click was the last expected reader's, and ended reading


def mark_done(*, core: Core, team_id: str, narrative_id: int, user_id: str) -> DoneResult | None:
    """Record "I'm done reading" once per person; ends reading when every expected reader is."""
    now = core.clock.now()
    with session_scope(core.engine) as session:
        narrative = rows.get_narrative(session=session, team_id=team_id, narrative_id=narrative_id)
        if narrative is None:
            return None
        counted = narrative.state == ReadingState.READING and rows.mark_done(
            session=session, team_id=team_id, narrative_id=narrative_id, user_id=user_id, now=now
        )
    # Checked in a new transaction, after the click is committed: when the last two readers
    # click at once, each then sees the other's click, and the single UPDATE picks one to end.
    with session_scope(core.engine) as session:
        narrative = rows.get_narrative(session=session, team_id=team_id, narrative_id=narrative_id)
        assert narrative is not None
        progress = _progress(session, team_id, narrative)
        ended = False
        if counted and progress.everyone_done and progress.reading:
            ended = rows.end_reading(
                session=session,
                team_id=team_id,
                narrative_id=narrative_id,
                now=now,
                reason=EndReason.ALL_DONE,
            )
            if ended:
                _reschedule_end(core, session, narrative, now)
                narrative = rows.get_narrative(
                    session=session, team_id=team_id, narrative_id=narrative_id
                )
                assert narrative is not None
                progress = _progress(session, team_id, narrative)
    return DoneResult(progress=progress, counted=counted, ended=ended)


# --- ending -----------------------------------------------------------------------------------


def may_end(narrative: Narrative, user_id: str, *, is_admin: bool) -> bool:
    return user_id == narrative.owner_id or is_admin


def end_reading(
    *,
    core: Core,
    team_id: str,
    narrative_id: int,
    reason: str,
    user_id: str | None = None,
    is_admin: bool = False,
) -> bool:
    """End a reading period now. True when this call ended it; False when it had ended already.

    With `user_id` (an early end by a person) raises `NotAllowed` unless they are the owner or
    an admin. The timer is moved to now, so that if posting the digest fails here, the timer
    posts it on its next run.
    """
    now = core.clock.now()
    with session_scope(core.engine) as session:
        narrative = rows.get_narrative(session=session, team_id=team_id, narrative_id=narrative_id)
        if narrative is None:
            return False
        if user_id is not None and not may_end(narrative, user_id, is_admin=is_admin):
            raise NotAllowed("Only the narrative's owner or a workspace admin can end reading.")
        ended = rows.end_reading(
            session=session, team_id=team_id, narrative_id=narrative_id, now=now, reason=reason
        )
        if ended and reason != EndReason.TIME:
            _reschedule_end(core, session, narrative, now)
    return ended


def _reschedule_end(core: Core, session: Session, narrative: Narrative, now: datetime) -> None:
    narrative_id = int(narrative.id or 0)
    core.timers.cancel(
        session=session,
        team_id=narrative.team_id,
        kind=TimerKind.READING_END,
        ref_id=narrative_id,
    )
    core.timers.add(
        session=session,
        team_id=narrative.team_id,
        kind=TimerKind.READING_END,
        ref_id=narrative_id,
        due_at=now,
    )


def open_in_channel(*, core: Core, team_id: str, channel_id: str) -> list[Progress]:
    """The channel's reading periods in progress, newest first."""
    with session_scope(core.engine) as session:
        found = rows.open_narratives(session=session, team_id=team_id, channel_id=channel_id)
        return [_progress(session, team_id, n) for n in found]


def claim_digest(*, core: Core, team_id: str, narrative_id: int) -> bool:
    """True for one caller at a time once reading is over and the digest is not all posted:
    that caller posts the parts still missing."""
    with session_scope(core.engine) as session:
        return rows.claim_digest(
            session=session,
            team_id=team_id,
            narrative_id=narrative_id,
            now=core.clock.now(),
            lease=DIGEST_LEASE,
        )


def release_digest(*, core: Core, team_id: str, narrative_id: int) -> None:
    with session_scope(core.engine) as session:
        rows.release_digest(session=session, team_id=team_id, narrative_id=narrative_id)


def digest_part_posted(*, core: Core, team_id: str, narrative_id: int, part: int) -> bool:
    """Count one part of the digest (from 0) as posted; False when it already was."""
    with session_scope(core.engine) as session:
        return rows.digest_part_posted(
            session=session, team_id=team_id, narrative_id=narrative_id, part=part
        )


def digest_done(*, core: Core, team_id: str, narrative_id: int) -> None:
    """Every part of the digest is posted."""
    with session_scope(core.engine) as session:
        rows.digest_done(
            session=session, team_id=team_id, narrative_id=narrative_id, now=core.clock.now()
        )


def digest_missing(*, core: Core, team_id: str, narrative_id: int) -> bool:
    """Reading is over, the narrative is in its channel, and its digest is not all posted."""
    progress = get_progress(core=core, team_id=team_id, narrative_id=narrative_id)
    if progress is None or progress.reading or not progress.narrative.message_ts:
        return False
    return progress.narrative.digest_done_at is None


def check_digest_later(*, core: Core, team_id: str, narrative_id: int) -> None:
    """Another run holds the claim on posting the digest: look again once that claim would
    have expired (it finishes the digest by then, or it died and this takes over)."""
    now = core.clock.now()
    with session_scope(core.engine) as session:
        narrative = rows.get_narrative(session=session, team_id=team_id, narrative_id=narrative_id)
        if narrative is None:
            return
        claimed = narrative.digest_posted_at or now
        core.timers.add(
            session=session,
            team_id=team_id,
            kind=TimerKind.READING_END,
            ref_id=narrative_id,
            due_at=max(claimed + DIGEST_LEASE, now) + timedelta(seconds=1),
        )


# --- questions --------------------------------------------------------------------------------


def record_thread_question(
    *,
    core: Core,
    team_id: str,
    channel_id: str,
    thread_ts: str,
    message_ts: str,
    author_id: str,
    text: str,
    asked_at: datetime | None = None,
) -> Question | None:
    """Store a reply in a narrative's thread as a question.

    None when the thread is not a narrative's, or the reply was stored already (the platform sent it again).
    Replies after reading ended are stored with `after_reading=True`.
    """
    with session_scope(core.engine) as session:
        narrative = rows.get_narrative_by_message(
            session=session, team_id=team_id, channel_id=channel_id, message_ts=thread_ts
        )
        if narrative is None:
            return None
        question = Question(
            team_id=team_id,
            narrative_id=int(narrative.id or 0),
            author_id=author_id,
            text=text,
            message_ts=message_ts,
            asked_at=asked_at or core.clock.now(),
            after_reading=narrative.state != ReadingState.READING,
        )
        return rows.add_question(session=session, team_id=team_id, question=question)


def is_being_posted(*, core: Core, team_id: str, channel_id: str) -> bool:
    """Whether a narrative in this channel has just started and its message is not stored yet:
    a reply in its thread can arrive before the bot knows the thread's ts."""
    with read_scope(core.engine) as session:
        return rows.has_unposted_narrative(
            session=session,
            team_id=team_id,
            channel_id=channel_id,
            since=core.clock.now() - POSTING_WINDOW,
        )


def edit_thread_question(
    *, core: Core, team_id: str, channel_id: str, message_ts: str, text: str
) -> Question | None:
    """Update a question whose message was edited; None when that message is no question."""
    with session_scope(core.engine) as session:
        question = rows.find_thread_question(
            session=session, team_id=team_id, channel_id=channel_id, message_ts=message_ts
        )
        if question is None or question.deleted_at is not None:
            return None
        question.text = text
        question.edited_at = core.clock.now()
        session.add(question)
        return question


def delete_thread_question(*, core: Core, team_id: str, channel_id: str, message_ts: str) -> bool:
    """Remove a question whose message was deleted (kept as a row, marked deleted)."""
    with session_scope(core.engine) as session:
        question = rows.find_thread_question(
            session=session, team_id=team_id, channel_id=channel_id, message_ts=message_ts
        )
        if question is None or question.deleted_at is not None:
            return False
        question.deleted_at = core.clock.now()
        session.add(question)
        return True


def ask_privately(
    *, core: Core, team_id: str, narrative_id: int, author_id: str, text: str
) -> Question | None:
    """Store a question asked with the "Ask privately" button; the digest shows no name."""
    with session_scope(core.engine) as session:
        narrative = rows.get_narrative(session=session, team_id=team_id, narrative_id=narrative_id)
        if narrative is None:
            return None
        question = Question(
            team_id=team_id,
            narrative_id=narrative_id,
            author_id=author_id,
            text=text,
            private=True,
            asked_at=core.clock.now(),
            after_reading=narrative.state != ReadingState.READING,
        )
        return rows.add_question(session=session, team_id=team_id, question=question)


def set_upvote(
    *, core: Core, team_id: str, channel_id: str, message_ts: str, user_id: str, added: bool
) -> bool:
    """Count (or uncount) one person's 👍 on a question. False when the message is no question."""
    with session_scope(core.engine) as session:
        question = rows.find_thread_question(
            session=session, team_id=team_id, channel_id=channel_id, message_ts=message_ts
        )
        if question is None:
            return False
        change = rows.add_upvote if added else rows.remove_upvote
        change(session=session, team_id=team_id, question_id=int(question.id or 0), user_id=user_id)
        return True


# --- the digest -------------------------------------------------------------------------------


def rank_questions(items: Iterable[tuple[Question, int]]) -> list[DigestQuestion]:
    """Most 👍 first; equal counts in the order they were asked."""
    ordered = sorted(items, key=lambda qn: (-qn[1], qn[0].asked_at, qn[0].id or 0))
    return [
        DigestQuestion(
            text=q.text,
            author=None if q.private else q.author_id,
            upvotes=n,
            asked_at=q.asked_at,
        )
        for q, n in ordered
    ]


def build_digest(*, core: Core, team_id: str, narrative_id: int) -> Digest | None:
    with read_scope(core.engine) as session:
        narrative = rows.get_narrative(session=session, team_id=team_id, narrative_id=narrative_id)
        if narrative is None:
            return None
        found = rows.digest_questions(session=session, team_id=team_id, narrative_id=narrative_id)
        return Digest(
            narrative_id=narrative_id,
            title=narrative.title,
            progress=_progress(session, team_id, narrative).view,
            questions=tuple(rank_questions(found)),
        )


# --- narrative lint ---------------------------------------------------------------------------

WORDS_PER_MINUTE = 230
SIX_PAGER_WORDS = 3500  # about six pages
PAGE_WORDS = 600  # about one page
PRFAQ_PARTS = (
    "heading",
    "subheading",
    "summary",
    "problem",
    "solution",
    "quotes",
    "getting started",
)
_WORD = re.compile(r"[^\W_][\w'’-]*")
_BULLET = re.compile(r"^\s*(?:[-*•‣◦–]|\d+[.)])\s+")
_FAQ = re.compile(r"\b(?:FAQs?|frequently asked questions)\b", re.IGNORECASE)
_QUOTE = re.compile(r"[\"“”«»]|\b(?:said|says)\b", re.IGNORECASE)
_PART_WORDS = {
    "summary": re.compile(r"\bsummary\b", re.IGNORECASE),
    "problem": re.compile(r"\bproblems?\b", re.IGNORECASE),
    "solution": re.compile(r"\bsolutions?\b", re.IGNORECASE),
    "getting started": re.compile(r"\bget(?:ting)?\s+started\b", re.IGNORECASE),
}


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


def lint_narrative(text: str, *, kind: str, reading: timedelta) -> NarrativeCheck:
    """Plain findings for the owner: length against the reading time and the kind, bullets,
    and the parts of a PR/FAQ that seem missing."""
    words = word_count(text)
    minutes = max(1, math.ceil(words / WORDS_PER_MINUTE)) if words else 0
    chosen = max(1, math.ceil(reading.total_seconds() / 60))
    notes: list[str] = []
    if minutes > chosen:
        notes.append(
            f"It takes about {minutes} min to read at {WORDS_PER_MINUTE} words a minute, "
            f"longer than the {chosen} min reading time."
        )
    if kind == "six-pager" and words > SIX_PAGER_WORDS:
        notes.append(
            f"A six-pager of {words:,} words is over six pages (about {SIX_PAGER_WORDS:,} words)."
        )
    if _mostly_bullets(text):
        notes.append(
            "Most lines are bullet points; a narrative says it in full sentences and paragraphs."
        )
    if kind == "prfaq":
        notes.extend(_prfaq_notes(text))
    return NarrativeCheck(words=words, minutes=minutes, reading_minutes=chosen, notes=tuple(notes))


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def _mostly_bullets(text: str) -> bool:
    lines = _lines(text)
    bullets = sum(1 for line in lines if _BULLET.match(line))
    return len(lines) >= 4 and bullets * 2 > len(lines)


def _prfaq_notes(text: str) -> list[str]:
    faq = _FAQ.search(text)
    press_release = text[: faq.start()] if faq else text
    notes: list[str] = []
    pr_words = word_count(press_release)
    if pr_words > PAGE_WORDS:
        notes.append(
            f"The press release is {pr_words:,} words, over one page (about {PAGE_WORDS} words)."
        )
    missing = [part for part in PRFAQ_PARTS if not _has_part(press_release, part)]
    if missing:
        notes.append("The press release seems to miss: " + ", ".join(missing) + ".")
    if faq is None:
        notes.append("There is no FAQ (a section headed “FAQ” or “Frequently asked questions”).")
    return notes


def _has_part(press_release: str, part: str) -> bool:
    lines = _lines(press_release)
    if part == "heading":
        return bool(lines) and word_count(lines[0]) <= 20
    if part == "subheading":
        return len(lines) >= 2 and word_count(lines[1]) <= 50 and not _BULLET.match(lines[1])
    if part == "quotes":
        return bool(_QUOTE.search(press_release))
    return bool(_PART_WORDS[part].search(press_release))


# --- flows: what the platforms call -----------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """What a click, a form or a command is answered with: `reply` for the person (told in
    `place` when given), and `finish`, a narrative whose reading just ended: its digest is
    posted after the acknowledgement (`finish_reading_now`)."""

    reply: Reply = None
    finish: int | None = None
    place: str | None = None


def start_form(place: str) -> StartForm:
    return StartForm(
        place=place,
        kinds=tuple(NarrativeKind),
        default_kind=NarrativeKind.OTHER,
        default_reading=format_duration(DEFAULT_READING),
        title_chars=TITLE_CHARS,
        body_hint_chars=TEXT_CHARS,
    )


def read_start_form(answers: StartAnswers) -> NarrativeRequest | FormErrors:
    """The start form's answers as a request, or what to fix, by field."""
    errors: dict[str, str] = {}
    title, link, body = answers.title.strip(), answers.link.strip(), answers.body.strip()
    reading = DEFAULT_READING
    try:
        reading = parse_reading_time(answers.reading or format_duration(DEFAULT_READING))
    except NarrativeInputError as exc:
        errors["reading"] = str(exc)
    if link and (not link.startswith(("http://", "https://")) or any(c in link for c in " <>|")):
        errors["link"] = "A link starts with https:// (or http://) and has no spaces."
    if not (title or link or body):
        errors["title"] = "Give a title, a link or the narrative's text."
    if errors:
        return FormErrors(tuple(errors.items()))
    if not title:
        title = link or " ".join(body.split()[:8]) + "…"
    kind = answers.kind if answers.kind in set(NarrativeKind) else NarrativeKind.OTHER
    request = NarrativeRequest(
        title=title,
        link=link or None,
        readers=tuple(answers.readers),
        reading=reading,
        body=body or None,
        kind=NarrativeKind(kind),
    )
    try:
        check_request(request)
    except NarrativeInputError as exc:
        return FormErrors((("title", str(exc)),))
    return request


def submit_start(
    *, core: Core, team_id: str, place: str, owner_id: str, answers: StartAnswers
) -> int | FormErrors:
    """Store the narrative of a submitted start form (before the form closes: what closed is
    on disk); its id, to post it after the acknowledgement (`post_narrative`)."""
    request = read_start_form(answers)
    if isinstance(request, FormErrors):
        return request
    if not is_slack_id(place):
        return FormErrors((("title", "Run /narrative again in the channel."),))
    narrative = start_reading(
        core=core, team_id=team_id, channel_id=place, owner_id=owner_id, request=request
    )
    return int(narrative.id or 0)


def start_and_post(
    *, core: Core, team_id: str, channel_id: str, owner_id: str, request: NarrativeRequest
) -> bool:
    """`/narrative TITLE`: store the reading period and post the narrative."""
    narrative = start_reading(
        core=core, team_id=team_id, channel_id=channel_id, owner_id=owner_id, request=request
    )
    return post_narrative(core=core, team_id=team_id, narrative_id=int(narrative.id or 0))


def post_narrative(*, core: Core, team_id: str, narrative_id: int) -> bool:
    """Post a just-started narrative in its place; False (reading cancelled, the owner told
    why) when the platform refuses."""
    platform = core.platform_for(team_id)
    progress = get_progress(core=core, team_id=team_id, narrative_id=narrative_id)
    if progress is None:
        return False
    narrative = progress.narrative
    place, owner = narrative.channel_id, narrative.owner_id
    try:
        # Questions come as thread replies: the bot must hear them where it posts.
        platform.listen(team_id, place)
        ref = _post_card(core, platform, progress)
    except PostUnconfirmed:
        # Probably posted but unconfirmed: the narrative_confirm timer looks again later.
        platform.tell(team_id, owner, NarrativeUnconfirmed(), place=place)
        return True
    except PostFailed as exc:
        log.warning("could not post narrative %s: %s", narrative_id, exc.reason)
        # Nothing was posted, so there is no thread for questions nor for a digest.
        end_reading(
            core=core, team_id=team_id, narrative_id=narrative_id, reason=EndReason.NOT_POSTED
        )
        platform.tell(team_id, owner, NarrativeNotPosted(place, exc.reason), place=place)
        return False
    _post_body_rest(platform, team_id, progress.card, ref)
    if narrative.body:
        check = lint_narrative(
            narrative.body, kind=narrative.kind, reading=narrative.ends_at - narrative.started_at
        )
        platform.tell(team_id, owner, check, place=place)
    return True


def _post_card(
    core: Core, platform: ChatPlatform, progress: Progress, *, retry: bool = False
) -> MessageRef:
    """Post the narrative card (found instead when an unanswered try posted it) and store where
    it is. Raises `PostFailed`, `PostUnconfirmed`."""
    narrative = progress.narrative
    ref = platform.post(
        narrative.team_id,
        narrative.channel_id,
        progress.card,
        key=f"narrative:{narrative.id}",
        look_first=retry,
    )
    attach_message(
        core=core, team_id=narrative.team_id, narrative_id=int(narrative.id or 0), message_ts=ref.id
    )
    return ref


def _post_body_rest(
    platform: ChatPlatform, team_id: str, card: NarrativeCard, ref: MessageRef
) -> None:
    """The rest of a long pasted narrative, in its thread, so that nothing is cut."""
    count = platform.parts(card) - 1
    for index in range(1, count + 1):
        platform.post(team_id, ref.place, BodyPart(card, index, count), thread=ref.id)


def confirm_narrative(*, core: Core, team_id: str, narrative_id: int) -> None:
    """The narrative_confirm timer: find the unconfirmed narrative in its place or post it,
    then bring the card up to date (readers may have finished meanwhile)."""
    if narrative_to_confirm(core=core, team_id=team_id, narrative_id=narrative_id) is None:
        return
    progress = get_progress(core=core, team_id=team_id, narrative_id=narrative_id)
    assert progress is not None
    platform = core.platform_for(team_id)
    ref = _post_card(core, platform, progress, retry=True)
    _post_body_rest(platform, team_id, progress.card, ref)
    _show_progress(core, platform, team_id, narrative_id)


def card_of(*, core: Core, team_id: str, narrative_id: int) -> NarrativeCard | None:
    progress = get_progress(core=core, team_id=team_id, narrative_id=narrative_id)
    return progress.card if progress else None


def _show_progress(
    core: Core, platform: ChatPlatform, team_id: str, narrative_id: int, *, wait: bool = False
) -> None:
    """Show the card's latest state. Updates are coalesced by the platform, each reading the
    state when it is sent, so a burst of clicks ends showing the last one."""
    progress = get_progress(core=core, team_id=team_id, narrative_id=narrative_id)
    if progress is None or not progress.narrative.message_ts:
        return
    ref = MessageRef(progress.narrative.channel_id, progress.narrative.message_ts)
    platform.update(
        team_id,
        ref,
        lambda: card_of(core=core, team_id=team_id, narrative_id=narrative_id),
        wait=wait,
    )


def done_reading(*, core: Core, team_id: str, narrative_id: int, user_id: str) -> Answer:
    """Someone pressed "I'm done reading": counted once per person (stored before the click is acknowledged);
    the last expected reader's click ends reading."""
    result = mark_done(core=core, team_id=team_id, narrative_id=narrative_id, user_id=user_id)
    if result is None:
        return Answer()
    if result.ended:
        return Answer(finish=narrative_id)
    if result.counted:
        _show_progress(core, core.platform_for(team_id), team_id, narrative_id)
        return Answer()
    return Answer(ALREADY_DONE if result.progress.reading else DONE_AFTER_READING)


def end_now(*, core: Core, team_id: str, narrative_id: int, user_id: str) -> Answer:
    """The "End reading now" button: the owner or an admin ends it; the digest follows."""
    progress = get_progress(core=core, team_id=team_id, narrative_id=narrative_id)
    if progress is None:
        return Answer()
    owner = progress.narrative.owner_id == user_id
    admin = not owner and core.platform_for(team_id).is_admin(team_id, user_id)
    try:
        ended = end_reading(
            core=core,
            team_id=team_id,
            narrative_id=narrative_id,
            reason=EndReason.OWNER,
            user_id=user_id,
            is_admin=admin,
        )
    except NotAllowed:
        return Answer(ONLY_OWNER_ENDS)
    # Also when it had ended: a digest a failed run left unfinished is finished now.
    return Answer(None if ended else ALREADY_OVER, finish=narrative_id)


def end_in_place(*, core: Core, team_id: str, place: str, user_id: str) -> Answer:
    """`/narrative end`: the newest reading period in `place` that this person may end."""
    periods = open_in_channel(core=core, team_id=team_id, channel_id=place)
    if not periods:
        return Answer(NOTHING_IN_PROGRESS)
    own = [p for p in periods if p.narrative.owner_id == user_id]
    admin = not own and core.platform_for(team_id).is_admin(team_id, user_id)
    if not own and not admin:
        return Answer(ONLY_OWNER_ENDS)
    narrative_id = int((own or periods)[0].narrative.id or 0)
    end_reading(
        core=core,
        team_id=team_id,
        narrative_id=narrative_id,
        reason=EndReason.OWNER,
        user_id=user_id,
        is_admin=admin,
    )
    return Answer(finish=narrative_id)


def status(*, core: Core, team_id: str, place: str) -> ReadingStatus:
    periods = open_in_channel(core=core, team_id=team_id, channel_id=place)
    return ReadingStatus(tuple(p.card for p in periods))


def ask_form(*, core: Core, team_id: str, narrative_id: int) -> AskForm | None:
    """The "Ask privately" button: the form for the question."""
    progress = get_progress(core=core, team_id=team_id, narrative_id=narrative_id)
    if progress is None:
        return None
    return AskForm(narrative_id, progress.narrative.title, TEXT_CHARS)


def submit_question(
    *, core: Core, team_id: str, narrative_id: int | None, author_id: str, text: str
) -> Answer:
    """The "Ask privately" form: stored before the form closes; the note for the person says
    how the digest shows it, told in the narrative's place."""
    text = text.strip()
    if not text:
        return Answer(FormErrors((("question", "Write your question."),)))
    if (message := too_long(text, TEXT_CHARS, "question")) is not None:
        return Answer(FormErrors((("question", message),)))
    if narrative_id is None:
        return Answer()
    question = ask_privately(
        core=core, team_id=team_id, narrative_id=narrative_id, author_id=author_id, text=text
    )
    if question is None:
        return Answer()
    place = place_of(core=core, team_id=team_id, narrative_id=narrative_id)
    return Answer(asked(question.after_reading), place=place)


def place_of(*, core: Core, team_id: str, narrative_id: int) -> str | None:
    progress = get_progress(core=core, team_id=team_id, narrative_id=narrative_id)
    return progress.narrative.channel_id if progress else None


def question_from_thread(
    *,
    core: Core,
    team_id: str,
    place: str,
    thread: str,
    message_id: str,
    author_id: str,
    text: str,
    asked_at: datetime | None = None,
) -> Question | None:
    """A reply in a narrative's thread becomes a question (None: not a narrative's thread, or
    stored already). A reply can arrive before the narrative's own message id is stored (people
    are quick, the platform answered slowly): while one is being posted here, look again."""

    def record() -> Question | None:
        return record_thread_question(
            core=core,
            team_id=team_id,
            channel_id=place,
            thread_ts=thread,
            message_ts=message_id,
            author_id=author_id,
            text=text,
            asked_at=asked_at,
        )

    question = record()
    waited = 0.0
    while question is None and waited < POSTED_WAIT_SECONDS:
        posting = is_being_posted(core=core, team_id=team_id, channel_id=place)
        # Once more after each look: the message id may have been stored since the first try.
        question = record()
        if question is not None or not posting:
            break
        time.sleep(POSTED_POLL_SECONDS)
        waited += POSTED_POLL_SECONDS
    return question


def question_from_reply(
    *,
    core: Core,
    team_id: str,
    place: str,
    thread: str | None,
    threaded: bool,
    message_id: str,
    author_id: str,
    text: str,
) -> Question | None:
    """A message that may be a question. In a place with threads (`threaded`), a reply in a
    narrative's thread is one. A place without threads (a group chat) has no thread to reply
    in: a message that quotes a narrative (`thread`, the quoted message) is that narrative's
    question; any other message sent while a reading period is in progress there is a
    question for the newest one."""
    if threaded:
        if not thread:
            return None
        return question_from_thread(
            core=core,
            team_id=team_id,
            place=place,
            thread=thread,
            message_id=message_id,
            author_id=author_id,
            text=text,
        )
    found = [thread] if thread else []
    found += [
        p.narrative.message_ts
        for p in open_in_channel(core=core, team_id=team_id, channel_id=place)
        if p.narrative.message_ts
    ][:1]
    with read_scope(core.engine) as session:
        known = rows.find_thread_question(
            session=session, team_id=team_id, channel_id=place, message_ts=message_id
        )
    if known is not None:
        return None  # the platform sent it again
    for narrative_message in found:
        question = record_thread_question(
            core=core,
            team_id=team_id,
            channel_id=place,
            thread_ts=narrative_message,
            message_ts=message_id,
            author_id=author_id,
            text=text,
        )
        if question is not None:
            return question
    return None


# --- the end of reading and the digest --------------------------------------------------------


def finish_reading(*, core: Core, team_id: str, narrative_id: int) -> None:
    """After reading ended: show "reading is over" and post the digest's missing parts.

    Safe to call from every path that may end reading (timer, button, command, last reader):
    one claim in the database decides who posts, and each part is counted once posted, so a
    failed or interrupted run is finished by the reading_end timer's retries, each part
    exactly once.
    """
    progress = get_progress(core=core, team_id=team_id, narrative_id=narrative_id)
    if progress is None or progress.reading or not progress.narrative.message_ts:
        return  # unknown, still reading, or never posted (no thread to post the digest in)
    platform = core.platform_for(team_id)
    try:
        _show_progress(core, platform, team_id, narrative_id, wait=True)
    except (PostFailed, PostUnconfirmed, Unreachable) as exc:
        # The digest matters more than the card: the card is brought up to date next time.
        log.warning("could not show the end of narrative %s: %s", narrative_id, exc)
    if not claim_digest(core=core, team_id=team_id, narrative_id=narrative_id):
        return
    try:
        _post_digest(core, platform, team_id, narrative_id)
    except Exception:
        # Give the claim back so that the reading_end timer's retry posts the rest.
        release_digest(core=core, team_id=team_id, narrative_id=narrative_id)
        raise


def finish_reading_now(*, core: Core, team_id: str, narrative_id: int) -> None:
    """`finish_reading` after a click or a command ended reading. A failure is logged, not
    shown to the person: ending reading moved the reading_end timer to now, and its retries
    post what is missing."""
    try:
        finish_reading(core=core, team_id=team_id, narrative_id=narrative_id)
    except Exception:  # noqa: BLE001 - the timer finishes it
        log.warning(
            "digest of narrative %s not finished; the reading_end timer retries it",
            narrative_id,
            exc_info=True,
        )


def _post_digest(core: Core, platform: ChatPlatform, team_id: str, narrative_id: int) -> None:
    with read_scope(core.engine) as session:
        narrative = rows.get_narrative(session=session, team_id=team_id, narrative_id=narrative_id)
    digest = build_digest(core=core, team_id=team_id, narrative_id=narrative_id)
    if narrative is None or digest is None or not narrative.message_ts:
        return
    count = platform.parts(digest)
    first = narrative.digest_parts_posted
    for part in range(first, count):
        platform.post(
            team_id,
            narrative.channel_id,
            DigestPart(digest, part + 1, count),
            thread=narrative.message_ts,
            key=f"digest:{narrative_id}:{part}",
            # An earlier run may have posted this part without counting it (no answer, or the
            # process died in between): look in the thread before posting.
            look_first=part == first,
        )
        if not digest_part_posted(core=core, team_id=team_id, narrative_id=narrative_id, part=part):
            return  # another run took over (this one outlived its claim): it posts the rest
    digest_done(core=core, team_id=team_id, narrative_id=narrative_id)


def reading_end(core: Core, timer: Timer) -> None:
    """The reading_end timer: ends reading unless something else ended it first; the digest
    is posted once either way."""
    team_id, narrative_id = timer.team_id, timer.ref_id
    end_reading(core=core, team_id=team_id, narrative_id=narrative_id, reason=EndReason.TIME)
    finish_reading(core=core, team_id=team_id, narrative_id=narrative_id)
    if digest_missing(core=core, team_id=team_id, narrative_id=narrative_id):
        # Another run is posting it (a failure of this one's would have raised).
        check_digest_later(core=core, team_id=team_id, narrative_id=narrative_id)


def register_timers(core: Core) -> None:
    core.timers.register(TimerKind.READING_END, lambda timer: reading_end(core, timer))
    core.timers.register(
        TimerKind.NARRATIVE_CONFIRM,
        lambda timer: confirm_narrative(
            core=core, team_id=timer.team_id, narrative_id=timer.ref_id
        ),
    )
