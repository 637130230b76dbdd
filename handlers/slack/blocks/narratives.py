"""Block Kit for narrative meetings: the narrative message, its progress, the digest, the modals.

Renderers of the core's views (`bot.views.narratives`), registered with `renders`: pure
functions; every piece of user text goes through `user_text` (escaped, so it can never become
`<!channel>`).
"""

from __future__ import annotations

import json
import re
from typing import Any

from bot.durations import format_duration
from bot.views.narratives import (
    AskForm,
    BodyPart,
    Digest,
    DigestPart,
    NarrativeCard,
    NarrativeCheck,
    NarrativeNotPosted,
    NarrativeUnconfirmed,
    ReadingProgress,
    ReadingStatus,
    StartForm,
)
from bot.vocabulary import EndReason, NarrativeKind
from handlers.slack.api import could_not_post
from handlers.slack.platform import counts_parts, renders
from handlers.slack.render import (
    MESSAGE_BLOCK_LIMIT,
    SECTION_TEXT_LIMIT,
    actions,
    button,
    chunk_blocks,
    context,
    escape,
    fit,
    mention,
    section,
    slack_date,
)

DONE = "narrative_done"
ASK = "narrative_ask"
END = "narrative_end"
PROPOSE_DECISION = "propose_decision"  # handled by the decisions feature
START_VIEW = "narrative_start"
ASK_VIEW = "narrative_ask_submit"

# A title is shown whole up to this many characters (escaped), then cut with "…".
TITLE_CHARS = 2000
# In lists (status), titles are shorter still.
LISTED_TITLE_CHARS = 200
# The first body sections ride in the narrative message; the rest follow in its thread.
MAIN_BODY_SECTIONS = 10
MAX_LISTED = 150
QUESTIONS_HINT = (
    ":speech_balloon: Reply in this thread with your questions while you read: every reply is "
    "collected for the digest posted when reading ends. *Ask privately* leaves your name out."
)
END_REASONS = {
    EndReason.TIME: "time is up",
    EndReason.ALL_DONE: "every expected reader is done",
    EndReason.OWNER: "ended early",
}
KIND_LABELS = {
    NarrativeKind.SIX_PAGER: "Six-pager",
    NarrativeKind.PRFAQ: "PR/FAQ",
    NarrativeKind.OTHER: "Other",
}
UNCONFIRMED = (
    "Slack is slow to confirm your narrative. I will check in a minute and post it if it is "
    "missing; there is no need to start it again."
)

_ESCAPED_USER = re.compile(r"&lt;@([UW][A-Z0-9]+)&gt;")

Message = dict[str, Any]


def user_text(text: str) -> str:
    """Escape user text for mrkdwn, keeping user mentions (`<@U…>`) as mentions."""
    return _ESCAPED_USER.sub(r"<@\1>", escape(text))


def text_blocks(text: str, limit: int = SECTION_TEXT_LIMIT) -> list[dict[str, Any]]:
    """User text as sections of at most `limit` characters after escaping; nothing is cut.

    Pieces end at a line break or a space when one is in the second half of the piece.
    """
    blocks: list[dict[str, Any]] = []
    rest = text
    while rest:
        fits = _raw_chars_fitting(rest, limit)
        if fits >= len(rest):
            cut = len(rest)
        else:
            cut = rest.rfind("\n", 0, fits)
            if cut <= fits // 2:
                cut = rest.rfind(" ", 0, fits)
            if cut <= fits // 2:
                cut = fits
        piece, rest = rest[:cut], rest[cut:]
        if piece.strip():
            blocks.append(section(user_text(piece)))
    return blocks


_WIDTH = {"&": 5, "<": 4, ">": 4}  # what escaping turns each into


def _raw_chars_fitting(text: str, limit: int) -> int:
    """How many leading characters of `text` fit in `limit` characters once escaped."""
    size = 0
    for index, char in enumerate(text):
        size += _WIDTH.get(char, 1)
        if size > limit:
            return max(index, 1)
    return len(text)


def _people(user_ids: tuple[str, ...]) -> str:
    shown = ", ".join(mention(u) for u in user_ids[:MAX_LISTED])
    if len(user_ids) > MAX_LISTED:
        shown += f" and {len(user_ids) - MAX_LISTED} more"
    return shown


def progress_text(progress: ReadingProgress) -> str:
    """ "7 of 9 expected readers done" and who is still reading, or "7 done" without a list."""
    if progress.expected:
        lines = [
            f"*{len(progress.expected_done)} of {len(progress.expected)} expected readers done*"
        ]
        if progress.others_done:
            lines[0] += f" (and {progress.others_done} more)"
        if progress.still_reading and progress.reading:
            lines.append("Still reading: " + _people(progress.still_reading))
        return "\n".join(lines)
    line = f"*{len(progress.done)} done*"
    if progress.done:
        line += ": " + _people(progress.done)
    return line


def _title_line(narrative: NarrativeCard) -> str:
    if narrative.titled_by_link:
        return ":book: *Narrative*"
    return f":book: *{_title(narrative.title)}*"


def _title(title: str, limit: int = TITLE_CHARS) -> str:
    return fit(user_text(title), limit)


def _link_line(narrative: NarrativeCard) -> str | None:
    if not narrative.link:
        return None
    return escape(narrative.link)  # a bare URL: Slack links it, nothing can be injected


def _meta_line(narrative: NarrativeCard) -> str:
    reading = format_duration(narrative.reading_time)
    return (
        f"Owner {mention(narrative.owner)} · {KIND_LABELS[narrative.kind]} · Reading time {reading}"
    )


def _body_blocks(narrative: NarrativeCard) -> list[dict[str, Any]]:
    return text_blocks(narrative.body) if narrative.body else []


@renders(NarrativeCard)
def build_narrative_message(narrative: NarrativeCard) -> Message:
    """The narrative as posted in the channel: reading, or (after it ends) reading is over."""
    progress = narrative.progress
    blocks: list[dict[str, Any]] = [section(_title_line(narrative)), context(_meta_line(narrative))]
    link = _link_line(narrative)
    if link:
        blocks.append(section(link))
    body = _body_blocks(narrative)
    blocks.extend(body[:MAIN_BODY_SECTIONS])
    if len(body) > MAIN_BODY_SECTIONS:
        blocks.append(context("_The narrative continues in the thread._"))
    nid = str(narrative.narrative_id)
    if progress.reading:
        blocks.append(
            section(f":hourglass_flowing_sand: Reading ends {slack_date(narrative.ends_at)}")
        )
        blocks.append(section(progress_text(progress)))
        blocks.append(context(QUESTIONS_HINT))
        blocks.append(
            actions(
                button("I'm done reading", DONE, nid, style="primary"),
                button("Ask privately", ASK, nid),
                button("End reading now", END, nid, style="danger"),
                block_id=f"narrative-{nid}",
            )
        )
    else:
        ended_at = narrative.ended_at or narrative.ends_at
        why = END_REASONS.get(narrative.end_reason, "ended") if narrative.end_reason else "ended"
        blocks.append(
            section(f":checkered_flag: *Reading is over* ({why}, {slack_date(ended_at)}).")
        )
        blocks.append(section(progress_text(progress)))
        blocks.append(context("The questions are in the digest in this thread."))
    state = "Reading" if progress.reading else "Reading is over"
    return {"text": f"{state}: {escape(narrative.title)}", "blocks": blocks}


def build_body_continuations(narrative: NarrativeCard) -> list[Message]:
    """The rest of a long pasted narrative, as thread messages, so that nothing is cut."""
    rest = _body_blocks(narrative)[MAIN_BODY_SECTIONS:]
    chunks = chunk_blocks(rest, MESSAGE_BLOCK_LIMIT - 5)
    return [
        {
            "text": f"{escape(narrative.title)} (continued, {i} of {len(chunks)})",
            "blocks": [context(f"_Continued, {i} of {len(chunks)}_"), *chunk],
        }
        for i, chunk in enumerate(chunks, start=1)
    ]


@counts_parts(NarrativeCard)
def narrative_parts(narrative: NarrativeCard) -> int:
    """The narrative message and the messages its pasted text continues in."""
    return 1 + len(build_body_continuations(narrative))


@renders(BodyPart)
def render_body_part(part: BodyPart) -> Message:
    return build_body_continuations(part.card)[part.index - 1]


def build_digest_messages(digest: Digest) -> list[Message]:
    """The question digest, ranked by 👍 then time, split over messages so nothing is cut.

    The last message carries the "Propose a decision" button (`propose_decision`, the
    narrative id as value).
    """
    progress = digest.progress
    count = len(digest.questions)
    heading = (
        f":mag: *Questions from the reading of {_title(digest.title)}* — "
        f"{count} question{'s' if count != 1 else ''}, most 👍 first."
    )
    if progress.expected:
        finished = (
            f"{len(progress.expected_done)} of {len(progress.expected)} expected readers finished"
        )
        if progress.others_done:
            finished += f", and {progress.others_done} more"
    else:
        finished = f"{len(progress.done)} reader{'s' if len(progress.done) != 1 else ''} finished"
    blocks: list[dict[str, Any]] = [section(heading), context(finished + ".")]
    if not digest.questions:
        blocks.append(section("_No questions were asked._"))
    for number, question in enumerate(digest.questions, start=1):
        pieces = text_blocks(question.text, SECTION_TEXT_LIMIT - 10)
        if pieces:
            first = pieces[0]["text"]["text"]
            pieces[0] = section(f"*{number}.* {first}")
        else:
            pieces = [section(f"*{number}.*")]
        blocks.extend(pieces)
        who = mention(question.author) if question.author else "_asked privately_"
        blocks.append(context(f"{who} · 👍 {question.upvotes}"))
    blocks.append(
        actions(
            button(
                "Propose a decision", PROPOSE_DECISION, str(digest.narrative_id), style="primary"
            ),
            block_id=f"digest-{digest.narrative_id}",
        )
    )
    chunks = chunk_blocks(blocks)
    title = escape(digest.title)
    return [
        {
            "text": f"Question digest: {title}"
            + (f" ({i} of {len(chunks)})" if len(chunks) > 1 else ""),
            "blocks": chunk,
        }
        for i, chunk in enumerate(chunks, start=1)
    ]


@counts_parts(Digest)
def digest_parts(digest: Digest) -> int:
    return len(build_digest_messages(digest))


@renders(DigestPart)
def render_digest_part(part: DigestPart) -> Message:
    return build_digest_messages(part.digest)[part.index - 1]


def build_status_text(status: ReadingStatus) -> str:
    if not status.periods:
        return "No reading period is in progress in this channel."
    lines = ["*Reading periods in progress here:*"]
    for narrative in status.periods:
        lines.append(
            f"• *{_title(narrative.title, LISTED_TITLE_CHARS)}* by {mention(narrative.owner)}, "
            f"ends {slack_date(narrative.ends_at)} — "
            + progress_text(narrative.progress).split("\n", 1)[0].replace("*", "")
        )
    return "\n".join(lines)


@renders(ReadingStatus)
def render_status(status: ReadingStatus) -> Message:
    return {"text": build_status_text(status)}


@renders(NarrativeNotPosted)
def render_not_posted(notice: NarrativeNotPosted) -> Message:
    return {"text": could_not_post(notice.reason, "the narrative")}


@renders(NarrativeUnconfirmed)
def render_unconfirmed(_notice: NarrativeUnconfirmed) -> Message:
    return {"text": UNCONFIRMED}


@renders(NarrativeCheck)
def render_check(report: NarrativeCheck) -> Message:
    return {"text": build_lint_text(report)}


def build_lint_text(report: NarrativeCheck) -> str:
    lines = [
        f":memo: *Narrative check* (only you see this): {report.words:,} words, about "
        f"{report.minutes} min to read; reading time {report.reading_minutes} min."
    ]
    if report.notes:
        lines.extend(f"• {note}" for note in report.notes)
    else:
        lines.append("Nothing to flag.")
    return "\n".join(lines)


def build_start_modal(form: StartForm) -> dict[str, Any]:
    """The form behind a bare `/narrative`."""

    def text_input(
        block_id: str,
        label: str,
        *,
        optional: bool,
        multiline: bool = False,
        initial: str = "",
        hint: str = "",
    ) -> dict[str, Any]:
        element: dict[str, Any] = {
            "type": "plain_text_input",
            "action_id": "value",
            "multiline": multiline,
        }
        if initial:
            element["initial_value"] = initial
        block: dict[str, Any] = {
            "type": "input",
            "block_id": block_id,
            "optional": optional,
            "label": {"type": "plain_text", "text": label},
            "element": element,
        }
        if hint:
            block["hint"] = {"type": "plain_text", "text": hint}
        return block

    kinds = [
        {"text": {"type": "plain_text", "text": KIND_LABELS[kind]}, "value": kind.value}
        for kind in form.kinds
    ]
    initial_kind = kinds[form.kinds.index(form.default_kind)]
    return {
        "type": "modal",
        "callback_id": START_VIEW,
        "private_metadata": json.dumps({"channel_id": form.place}),
        "title": {"type": "plain_text", "text": "Start a narrative"},
        "submit": {"type": "plain_text", "text": "Start reading"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            text_input("title", "Title", optional=True),
            text_input("link", "Link to the narrative", optional=True),
            text_input(
                "body",
                "Or paste the narrative",
                optional=True,
                multiline=True,
                hint=f"Slack takes up to {form.body_hint_chars:,} characters here; link to "
                "longer narratives. Pasted text gets a private check: length, bullets, PR/FAQ "
                "parts.",
            ),
            {
                "type": "input",
                "block_id": "kind",
                "label": {"type": "plain_text", "text": "Kind"},
                "element": {
                    "type": "static_select",
                    "action_id": "value",
                    "options": kinds,
                    "initial_option": initial_kind,
                },
            },
            text_input(
                "reading",
                "Reading time (e.g. 20m, 1h30m)",
                optional=False,
                initial=form.default_reading,
            ),
            {
                "type": "input",
                "block_id": "readers",
                "optional": True,
                "label": {"type": "plain_text", "text": "Expected readers"},
                "element": {"type": "multi_users_select", "action_id": "value"},
            },
        ],
    }


def build_ask_modal(form: AskForm) -> dict[str, Any]:
    title = fit(form.title, 150)
    return {
        "type": "modal",
        "callback_id": ASK_VIEW,
        "private_metadata": str(form.narrative_id),
        "title": {"type": "plain_text", "text": "Ask privately"},
        "submit": {"type": "plain_text", "text": "Ask"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            context(
                f"About *{user_text(title)}*. The digest shows your question without your name."
            ),
            {
                "type": "input",
                "block_id": "question",
                "label": {"type": "plain_text", "text": "Your question"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": "value",
                    "multiline": True,
                },
            },
        ],
    }
