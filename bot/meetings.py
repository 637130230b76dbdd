"""Narrative meetings: a silent reading period, who finished, the questions, and the digest.

The reading period ends when every expected reader is done, at the due time, or when the owner
(or an admin) ends it — whichever comes first, and only once: the state change is one
`UPDATE … WHERE state='reading'` (see `storage.meetings.end_reading`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.core import Core
from bot.durations import format_duration, looks_like_duration, parse_duration
from bot.inputs import TITLE_CHARS, bounded, is_slack_id
from storage import meetings as rows
from storage.db import read_scope, session_scope
from storage.models import Narrative, Question

READING_END = "reading_end"  # the timer kind
# Looks for a narrative whose post was never confirmed (Slack did not answer, or the bot died
# while posting) and posts it if it is missing; cancelled once the message's ts is known.
NARRATIVE_CONFIRM = "narrative_confirm"
CONFIRM_AFTER = timedelta(minutes=1)
# A claim on posting a digest older than this belongs to a process that died while posting.
DIGEST_LEASE = timedelta(minutes=2)
DEFAULT_READING = timedelta(minutes=20)
MIN_READING = timedelta(minutes=1)
MAX_READING = timedelta(hours=4)
# How long after starting a narrative its message may still be unposted (Slack being slow).
POSTING_WINDOW = timedelta(minutes=1)
KINDS = {"six-pager": "Six-pager", "prfaq": "PR/FAQ", "other": "Other"}

_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_ANGLE_LINK = re.compile(r"<(https?://[^|>\s]+)(?:\|[^>]*)?>")
_BARE_LINK = re.compile(r"(?<!\S)(https?://[^\s<>|]+)")
# Number-and-unit tokens (`20m`, `25min`, `1.5h`, `2d`): meant as a reading time, so one that
# is not a valid one is refused rather than read as a title word. `2FA` or `5G` stay titles.
_UNIT = r"(?:d|h|m|s|mins?|minutes?|hrs?|hours?|secs?|seconds?)"
_DURATION_ATTEMPT = re.compile(rf"^(?:\d+(?:[.,]\d+)?{_UNIT})+$", re.IGNORECASE)
_UNIT_WORD = re.compile(rf"^{_UNIT}$", re.IGNORECASE)
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
    kind: str = "other"


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


def parse_narrative_text(text: str) -> NarrativeRequest:
    """Parse `[DURATION] [@reader ...] TITLE and/or LINK` as typed after `/narrative`.

    Readers are Slack user mentions (`<@U123>` or `<@U123|ana>`) anywhere in the text; the link
    is the first `http(s)` URL (bare or `<url|label>`); the rest is the title.
    """
    readers = tuple(dict.fromkeys(_MENTION.findall(text)))
    rest = _MENTION.sub(" ", text)
    link: str | None = None
    match = _ANGLE_LINK.search(rest) or _BARE_LINK.search(rest)
    if match:
        link = match.group(1)
        rest = rest[: match.start()] + " " + rest[match.end() :]
    words = rest.split()
    reading = DEFAULT_READING
    if words and _DURATION_ATTEMPT.match(words[0]):
        reading = parse_reading_time(words.pop(0))
    elif len(words) >= 2 and words[0].isdigit() and _UNIT_WORD.match(words[1]):
        # `20 min Title`: a number, then a unit word.
        reading = parse_reading_time(words[0] + words[1])
        words = words[2:]
    title = " ".join(words)
    if not title and not link:
        raise NarrativeInputError("Give the narrative a title or a link to read.")
    request = NarrativeRequest(
        title=title or link or "", link=link, readers=readers, reading=reading
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
        kind=request.kind if request.kind in KINDS else "other",
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
            kind=READING_END,
            ref_id=narrative_id,
            due_at=narrative.ends_at,
        )
        core.timers.add(
            session=session,
            team_id=team_id,
            kind=NARRATIVE_CONFIRM,
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
            session=session, team_id=team_id, kind=NARRATIVE_CONFIRM, ref_id=narrative_id
        )


def narrative_to_confirm(*, core: Core, team_id: str, narrative_id: int) -> Narrative | None:
    """A narrative whose message may be missing in its channel (its ts never stored)."""
    with read_scope(core.engine) as session:
        narrative = rows.get_narrative(session=session, team_id=team_id, narrative_id=narrative_id)
    if narrative is None or narrative.message_ts or narrative.end_reason == "not_posted":
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
        return self.narrative.state == "reading"


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
        counted = narrative.state == "reading" and rows.mark_done(
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
                reason="all_done",
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
        if ended and reason != "time":
            _reschedule_end(core, session, narrative, now)
    return ended


def _reschedule_end(core: Core, session: Session, narrative: Narrative, now: datetime) -> None:
    narrative_id = int(narrative.id or 0)
    core.timers.cancel(
        session=session,
        team_id=narrative.team_id,
        kind=READING_END,
        ref_id=narrative_id,
    )
    core.timers.add(
        session=session,
        team_id=narrative.team_id,
        kind=READING_END,
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
            kind=READING_END,
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

    None when the thread is not a narrative's, or the reply was stored already (Slack retried).
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
            after_reading=narrative.state != "reading",
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
            after_reading=narrative.state != "reading",
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


@dataclass(frozen=True)
class DigestQuestion:
    text: str
    author_id: str | None  # None: asked privately
    upvotes: int
    asked_at: datetime


@dataclass(frozen=True)
class Digest:
    progress: Progress
    questions: tuple[DigestQuestion, ...]

    @property
    def narrative(self) -> Narrative:
        return self.progress.narrative


def rank_questions(items: Iterable[tuple[Question, int]]) -> list[DigestQuestion]:
    """Most 👍 first; equal counts in the order they were asked."""
    ordered = sorted(items, key=lambda qn: (-qn[1], qn[0].asked_at, qn[0].id or 0))
    return [
        DigestQuestion(
            text=q.text,
            author_id=None if q.private else q.author_id,
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
            progress=_progress(session, team_id, narrative), questions=tuple(rank_questions(found))
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


@dataclass(frozen=True)
class LintReport:
    words: int
    minutes: int  # estimated reading time at WORDS_PER_MINUTE
    reading_minutes: int  # the reading time chosen
    notes: tuple[str, ...]


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


def lint_narrative(text: str, *, kind: str, reading: timedelta) -> LintReport:
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
    return LintReport(words=words, minutes=minutes, reading_minutes=chosen, notes=tuple(notes))


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
