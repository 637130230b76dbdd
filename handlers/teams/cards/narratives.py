"""Adaptive Cards of reading periods: the narrative card and its progress, the question digest,
the start and ask dialogs, and the private notes. The same words and button titles as on
Slack; a message that would pass Teams' ~28 KB limit is split into parts (`counts_parts`)."""

from __future__ import annotations

from dataclasses import dataclass, field
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
from handlers.teams.cards import (
    Card,
    block,
    card,
    counts_parts,
    dialog,
    execute,
    fit,
    mention,
    packed,
    renders,
    size,
    user,
    when,
)
from handlers.teams.cards.decisions import PROPOSE

# Verbs of the buttons (Action.Execute verbs, or `verb` in a dialog button's data).
DONE, ASK, END, START = "narrative_done", "narrative_ask", "narrative_end", "narrative_start"
# What one message may weigh (JSON, UTF-8), well inside Teams' ~28 KB with mentions added.
PART_BYTES = 20_000
# Pasted text is shown in pieces of this many characters (a TextBlock is cut at 3000).
PIECE_CHARS = 2000
TITLE_CHARS = 2000
LISTED_TITLE_CHARS = 200
# People listed by name on a card (each a mention); more are counted.
MAX_LISTED = 40
# Room kept in the narrative card for its end: the progress with its mentions, the buttons.
TAIL_BYTES = 12_000
QUESTIONS_HINT = (
    "💬 Reply in this thread with your questions while you read (in a group chat, reply to "
    "this card): every reply is collected for the digest posted when reading ends. "
    "**Ask privately** leaves your name out."
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


@dataclass(frozen=True)
class StartDialog:
    """Teams only: the start form with the place's people to pick readers from (Teams' own
    people picker answers with directory ids the bot never sees in activities), and what a
    submitted form held, shown again beside its errors."""

    form: StartForm
    people: tuple[tuple[str, str], ...]  # (id, name)
    values: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StartButton:
    """Teams only: a card whose button opens the start dialog (a typed command cannot open a
    dialog by itself; only a click can)."""

    place: str


def pieces(text: str, limit: int = PIECE_CHARS) -> list[str]:
    """`text` in pieces of at most `limit` characters, cut at a line break or a space when one
    is in the second half of the piece; nothing is dropped."""
    out: list[str] = []
    rest = text
    while rest:
        cut = len(rest)
        if cut > limit:
            cut = rest.rfind("\n", 0, limit)
            if cut <= limit // 2:
                cut = rest.rfind(" ", 0, limit)
            if cut <= limit // 2:
                cut = limit
        piece, rest = rest[:cut], rest[cut:]
        if piece.strip():
            out.append(piece)
    return out


def _people(ids: tuple[str, ...]) -> str:
    shown = ", ".join(mention(u) for u in ids[:MAX_LISTED])
    if len(ids) > MAX_LISTED:
        shown += f" and {len(ids) - MAX_LISTED} more"
    return shown


def progress_text(progress: ReadingProgress) -> str:
    """ "2 of 3 expected readers done" and who is still reading, or "2 done" without a list."""
    if progress.expected:
        first = (
            f"**{len(progress.expected_done)} of {len(progress.expected)} expected readers done**"
        )
        if progress.others_done:
            first += f" (and {progress.others_done} more)"
        lines = [first]
        if progress.still_reading and progress.reading:
            lines.append("Still reading: " + _people(progress.still_reading))
        return "\n\n".join(lines)
    line = f"**{len(progress.done)} done**"
    if progress.done:
        line += ": " + _people(progress.done)
    return line


def _title(title: str, limit: int = TITLE_CHARS) -> str:
    return fit(user(title), limit)


def _head(c: NarrativeCard) -> list[dict[str, Any]]:
    title = "📖 **Narrative**" if c.titled_by_link else f"📖 **{_title(c.title)}**"
    meta = (
        f"Owner {mention(c.owner)} · {KIND_LABELS[c.kind]} · "
        f"Reading time {format_duration(c.reading_time)}"
    )
    made = [block(title, size="medium"), block(meta, isSubtle=True, size="small")]
    if c.link:
        made.append(block(f"[{user(fit(c.link, 500))}]({c.link})"))
    return made


def _tail(c: NarrativeCard) -> list[dict[str, Any]]:
    if c.reading:
        return [
            block(f"⏳ Reading ends {when(c.ends_at)}"),
            block(progress_text(c.progress)),
            block(QUESTIONS_HINT, isSubtle=True, size="small"),
        ]
    why = END_REASONS.get(c.end_reason, "ended") if c.end_reason else "ended"
    return [
        block(f"🏁 **Reading is over** ({why}, {when(c.ended_at or c.ends_at)})."),
        block(progress_text(c.progress)),
        block("The questions are in the digest in this thread.", isSubtle=True, size="small"),
    ]


def _buttons(c: NarrativeCard) -> list[dict[str, Any]]:
    if not c.reading:
        return []
    return [
        execute("I'm done reading", DONE, c.narrative_id, style="positive", key="narrative"),
        dialog("Ask privately", ASK, c.narrative_id, key="narrative"),
        execute("End reading now", END, c.narrative_id, style="destructive", key="narrative"),
    ]


def _body_parts(c: NarrativeCard) -> list[list[dict[str, Any]]]:
    """The pasted text: what rides in the card, then the messages it continues in. Room is
    kept for the longest end of the card, so the split is the same while reading and after."""
    body = [[block(user(piece))] for piece in pieces(c.body or "")]
    first = max(PART_BYTES - size(_head(c)) - TAIL_BYTES, 2000)
    return packed(body, PART_BYTES, first=first)


@renders(NarrativeCard)
def narrative_card(c: NarrativeCard) -> Card:
    """The narrative in its channel: reading (with its buttons), or why and when it ended."""
    parts = _body_parts(c)
    body = _head(c) + parts[0]
    if len(parts) > 1:
        body.append(block("_The narrative continues in the thread._", isSubtle=True))
    return card(body + _tail(c), _buttons(c))


@counts_parts(NarrativeCard)
def narrative_parts(c: NarrativeCard) -> int:
    return len(_body_parts(c))


@renders(BodyPart)
def body_part_card(part: BodyPart) -> Card:
    elements = _body_parts(part.card)[part.index]
    note = block(f"_Continued, {part.index} of {part.count}_", isSubtle=True, size="small")
    return card([note, *elements])


def _digest_groups(d: Digest) -> list[list[dict[str, Any]]]:
    progress, count = d.progress, len(d.questions)
    heading = (
        f"🔍 **Questions from the reading of {_title(d.title)}** — "
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
    groups = [[block(heading), block(finished + ".", isSubtle=True, size="small")]]
    if not d.questions:
        groups.append([block("_No questions were asked._")])
    for number, q in enumerate(d.questions, start=1):
        texts = pieces(q.text) or [""]
        group = [block(f"**{number}.** {user(texts[0])}")]
        group += [block(user(t)) for t in texts[1:]]
        who = mention(q.author) if q.author else "_asked privately_"
        group.append(block(f"{who} · 👍 {q.upvotes}", isSubtle=True, size="small"))
        groups.append(group)
    return groups


def _digest_messages(d: Digest) -> list[list[dict[str, Any]]]:
    return packed(_digest_groups(d), PART_BYTES)


@counts_parts(Digest)
def digest_parts(d: Digest) -> int:
    return len(_digest_messages(d))


@renders(DigestPart)
def digest_part_card(part: DigestPart) -> Card:
    d = part.digest
    elements = list(_digest_messages(d)[part.index - 1])
    if part.count > 1:
        elements.insert(
            0, block(f"Question digest ({part.index} of {part.count})", isSubtle=True, size="small")
        )
    actions = []
    if part.index == part.count:
        # The decisions feature answers it (its data carries `decision`, here none).
        actions = [dialog("Propose a decision", PROPOSE, None, narrative=d.narrative_id)]
    return card(elements, actions)


@renders(ReadingStatus)
def status_card(status: ReadingStatus) -> Card:
    if not status.periods:
        return card([block("No reading period is in progress in this channel.")])
    lines = ["**Reading periods in progress here:**"]
    for c in status.periods:
        first = progress_text(c.progress).split("\n\n", 1)[0].replace("**", "")
        lines.append(
            f"- **{_title(c.title, LISTED_TITLE_CHARS)}** by {mention(c.owner)}, "
            f"ends {when(c.ends_at)} — {first}"
        )
    return card([block("\n".join(lines))])


@renders(NarrativeNotPosted)
def not_posted_card(view: NarrativeNotPosted) -> Card:
    return card(
        [
            block(
                f"I could not post the narrative in that conversation ({view.reason}). Make "
                "sure Narrative is added to the team or chat, and try again.",
                color="warning",
            )
        ]
    )


@renders(NarrativeUnconfirmed)
def unconfirmed_card(_: NarrativeUnconfirmed) -> Card:
    return card(
        [
            block(
                "Teams is slow to confirm your narrative. I will check in a minute and post it "
                "if it is missing; there is no need to start it again."
            )
        ]
    )


@renders(NarrativeCheck)
def check_card(report: NarrativeCheck) -> Card:
    lines = [
        f"📝 **Narrative check** (only you see this): {report.words:,} words, about "
        f"{report.minutes} min to read; reading time {report.reading_minutes} min."
    ]
    lines += [f"- {user(note)}" for note in report.notes] or ["Nothing to flag."]
    return card([block("\n".join(lines))])


@renders(StartButton)
def start_button_card(view: StartButton) -> Card:
    return card(
        [block("Start a narrative: paste it or link it, pick its kind and readers.")],
        [dialog("Start a narrative", START, None, key="narrative", place=view.place)],
    )


# --- dialogs -----------------------------------------------------------------------------------


def _text(
    name: str,
    label: str,
    values: dict[str, str],
    errors: dict[str, str],
    *,
    limit: int,
    multiline: bool = False,
    required: bool = False,
    placeholder: str = "",
) -> list[dict[str, Any]]:
    made: list[dict[str, Any]] = [
        {
            "type": "Input.Text",
            "id": name,
            "label": label,
            "value": values.get(name, ""),
            "maxLength": limit,
            "isMultiline": multiline,
            "isRequired": required,
            "placeholder": placeholder,
        }
    ]
    if errors.get(name):
        made.append(block(user(errors[name]), color="attention", id=f"{name}_error"))
    return made


def start_dialog(view: StartDialog, errors: dict[str, str] | None = None) -> Card:
    """The form behind a bare `narrative`: the same fields as Slack's modal."""
    form, errors = view.form, errors or {}
    values = {"reading": form.default_reading, "kind": form.default_kind.value, **view.values}
    body = _text("title", "Title", values, errors, limit=form.title_chars)
    body += _text("link", "Link to the narrative", values, errors, limit=form.title_chars)
    body += _text(
        "body",
        "Or paste the narrative",
        values,
        errors,
        limit=form.body_hint_chars,
        multiline=True,
        placeholder=f"Up to {form.body_hint_chars:,} characters; link to longer narratives.",
    )
    body.append(
        block(
            "Pasted text gets a private check: length, bullets, PR/FAQ parts.",
            isSubtle=True,
            size="small",
        )
    )
    body.append(
        {
            "type": "Input.ChoiceSet",
            "id": "kind",
            "label": "Kind",
            "value": values["kind"],
            "choices": [{"title": KIND_LABELS[k], "value": k.value} for k in form.kinds],
        }
    )
    body += _text(
        "reading", "Reading time (e.g. 20m, 1h30m)", values, errors, limit=20, required=True
    )
    body.append(
        {
            "type": "Input.ChoiceSet",
            "id": "readers",
            "label": "Expected readers",
            "isMultiSelect": True,
            "style": "filtered",
            "value": values.get("readers", ""),
            "choices": [{"title": name, "value": pid} for pid, name in view.people],
        }
    )
    submit = {
        "type": "Action.Submit",
        "title": "Start reading",
        "data": {"verb": START, "place": form.place},
    }
    return card(body, [submit])


def ask_dialog(form: AskForm, errors: dict[str, str] | None = None) -> Card:
    body = [
        block(
            f"About **{_title(form.title, 150)}**. The digest shows your question without "
            "your name."
        ),
        *_text(
            "question",
            "Your question",
            {},
            errors or {},
            limit=form.question_chars,
            multiline=True,
            required=True,
        ),
    ]
    submit = {
        "type": "Action.Submit",
        "title": "Ask",
        "data": {"verb": ASK, "narrative": form.narrative_id},
    }
    return card(body, [submit])


DIALOG_TITLES = {StartDialog: "Start a narrative", AskForm: "Ask privately"}
RENDERERS_WITH_ERRORS = {StartDialog: start_dialog, AskForm: ask_dialog}
