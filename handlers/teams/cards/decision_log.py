"""Adaptive Cards of the decision log (`@Narrative decisions …`): a page of decisions with
previous/next, one full record, the input metrics. The words are Slack's."""

from __future__ import annotations

from typing import Any

from bot.views.decision_log import (
    EntryLine,
    LoggedReceipt,
    LoggedView,
    LogListView,
    MetricsView,
    RecordView,
    ReviewLine,
    SupersededView,
    calibration_text,
    event_words,
    percent,
)
from bot.vocabulary import DecisionStatus
from handlers.teams.cards import (
    MESSAGE_BYTES,
    Card,
    block,
    card,
    continues,
    counts_parts,
    day,
    markdown,
    mention,
    packed,
    renders,
    user,
    when,
)

STATUS_NAMES = {
    DecisionStatus.VOTING: "voting",
    DecisionStatus.ACTIVE: "active",
    DecisionStatus.UNDER_REVIEW: "under review",
    DecisionStatus.HALTED: "halted",
    DecisionStatus.AMENDED: "amended",
    DecisionStatus.REVERSED: "reversed",
    DecisionStatus.SUPERSEDED: "superseded",
}
STANCE_NAMES = {
    "agree": "Agree",
    "disagree_commit": "Disagree, but commit",
    "disagree": "Disagree",
}
PREVIEW_CHARS = 200
PAGE = "log_page"  # the Action.Execute verb of previous/next


def _preview(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= PREVIEW_CHARS else flat[: PREVIEW_CHARS - 1] + "…"


def _entry(line: EntryLine) -> dict[str, Any]:
    facts = [
        f"**{line.label}**",
        STATUS_NAMES.get(line.status, line.status),  # type: ignore[call-overload]
        f"{line.confidence}% confidence",
        f"{line.dissent_count} dissent",
        f"review {day(line.review_on)}",
    ]
    if line.overdue:
        facts.append("review overdue")
    if line.permalink:
        facts.append(f"[thread]({line.permalink})")
    return block(
        " · ".join(facts) + f"\n\n{user(_preview(line.text))}\n\nowner {mention(line.owner)}",
        separator=True,
    )


def _page_button(title: str, view: LogListView, page: int) -> dict[str, Any]:
    data = {"verb": PAGE, "listing": view.listing, "arg": view.arg, "page": page}
    return {
        "type": "Action.Execute",
        "title": title,
        "verb": PAGE,
        "data": data,
        "fallback": {"type": "Action.Submit", "title": title, "data": data},
    }


@renders(LogListView)
def log_list_card(view: LogListView) -> Card:
    page = view.lines
    title = markdown(view.title)
    if not page.entries:
        empty = "No decisions on this page." if page.page else "No decisions found."
        return card([block(f"**{title}**"), block(empty)])
    first = page.page * page.per_page + 1
    body = [block(f"**{title}** — {first}–{first + len(page.entries) - 1}", size="medium")]
    body += [_entry(e) for e in page.entries]
    actions = []
    if page.has_previous:
        actions.append(_page_button("◀ Previous", view, page.page - 1))
    if page.has_next:
        actions.append(_page_button("Next ▶", view, page.page + 1))
    return card(body, actions)


def _record_groups(r: RecordView) -> list[list[dict[str, Any]]]:
    """The record in groups of elements never split across messages: the head, then each
    line of dissent, Andon pulls and reviews on its own (a section's title with its first)."""
    body: list[dict[str, Any]] = [
        block(f"**{r.label}**", size="large"),
        block(f"**Decision:** {user(r.text)}"),
    ]
    if r.proposal is not None:
        body.append(block(f"**Proposed as:** {user(r.proposal)}"))
    facts = [
        ("Status", STATUS_NAMES.get(r.status, r.status)),  # type: ignore[call-overload]
        ("Owner", mention(r.owner)),
        (
            "Confidence",
            f"{r.confidence}%" + (f" ({r.confidence_note})" if r.confidence_note else ""),
        ),
        ("Door", r.door),
        ("Review", when(r.review_on)),
        ("Created", when(r.created_at)),
    ]
    if r.decided_at:
        facts.append(("Decided", when(r.decided_at)))
    if r.replaces:
        facts.append(("Replaces", r.replaces))
    if r.replaced_by:
        facts.append(("Replaced by", r.replaced_by))
    if r.narrative_title:
        facts.append(
            ("Narrative", f"{user(r.narrative_title)} ({r.narrative_questions} questions)")
        )
    body.append({"type": "FactSet", "facts": [{"title": t, "value": v} for t, v in facts]})
    if r.show_tally:
        tally = " · ".join(f"{STANCE_NAMES[c]} {n}" for c, n in r.tally if c in STANCE_NAMES)
        body.append(block("**Tally:** " + tally))
    if r.voters_hidden:
        body.append(
            block("Anonymous until the owner finalizes: who voted what, and why, is shown then.")
        )
    groups = [body]
    if r.dissent:
        lines = [
            f"- {mention(v.person)} ({'committed' if v.committed else 'has not committed'}): "
            f"{user(v.reason or '')}"
            for v in r.dissent
        ]
        groups += _section("**Dissent**", lines)
    if r.changed_votes:
        lines = [
            f"- {mention(v.person)} first voted {STANCE_NAMES.get(v.stance, v.stance)} "
            f"({day(v.cast_at)})"
            for v in r.changed_votes
        ]
        groups += _section("**Changed votes**", lines)
    if r.andon:
        lines = [
            f"- {mention(p.person)} {when(p.pulled_at)} — "
            f"{f'resolved ({p.resolution})' if p.resolution is not None else 'open'}: "
            f"{user(p.reason)}"
            for p in r.andon
        ]
        groups += _section("**Andon cord**", lines)
    if r.reviews:
        groups += _section("**Reviews**", [f"- {_review(v)}" for v in r.reviews])
    if r.history:
        lines = [
            f"- {when(h.at)}{f' {mention(h.person)}' if h.person else ''}: "
            f"{user(event_words(h.kind, h.detail))}"
            for h in r.history
        ]
        groups += _section("**History**", lines)
    return groups


def _review(v: ReviewLine) -> str:
    if v.outcome is None:
        return f"due {day(v.due_at)}: {'overdue' if v.reminded else 'waiting for the owner'}"
    text = f"due {day(v.due_at)}: **{v.outcome}** by {mention(v.answered_by or '')}"
    if v.actual_confidence is not None:
        text += f", information actually {v.actual_confidence}%"
    if v.learned:
        text += f" — learned: {user(v.learned)}"
    return text


def _section(title: str, lines: list[str]) -> list[list[dict[str, Any]]]:
    groups = [[block(line, spacing="none")] for line in lines]
    groups[0].insert(0, block(title))
    return groups


def _record_messages(r: RecordView) -> list[list[dict[str, Any]]]:
    return packed(_record_groups(r), MESSAGE_BYTES)


@renders(RecordView)
def record_view_card(r: RecordView) -> Card:
    messages = _record_messages(r)
    body = list(messages[0])
    if len(messages) > 1:
        body.append(
            block(
                f"_Continued in {len(messages) - 1} more message"
                f"{'s' if len(messages) > 2 else ''}._",
                isSubtle=True,
                size="small",
            )
        )
    return card(body)


@counts_parts(RecordView)
def record_view_parts(r: RecordView) -> int:
    return len(_record_messages(r))


@continues(RecordView)
def record_view_part_card(r: RecordView, index: int, count: int) -> Card:
    note = block(f"**{r.label}**, continued ({index} of {count})", isSubtle=True, size="small")
    return card([note, *_record_messages(r)[index - 1]])


@renders(MetricsView)
def metrics_card(m: MetricsView) -> Card:
    median = f"{m.median_confidence:g}%" if m.median_confidence is not None else "—"
    per_narrative = f"{m.questions / m.narratives:.1f}" if m.narratives else "—"
    facts = [
        ("Decisions (last 30 days)", str(m.decisions)),
        ("Reviewed on time", f"{percent(m.reviews_on_time, m.reviews_due)} of {m.reviews_due}"),
        ("Median confidence", median),
        ("With recorded dissent", percent(m.with_dissent, m.decisions)),
        ("Reversed or amended", percent(m.reversed_or_amended, m.decisions)),
        ("Reading completion", percent(m.readers_done, m.readers_expected)),
        ("Questions per narrative", per_narrative),
    ]
    body: list[dict[str, Any]] = [
        block("**Decision log — input metrics**", size="medium"),
        {"type": "FactSet", "facts": [{"title": t, "value": v} for t, v in facts]},
        block(
            "**Calibration (reviews due in the last 30 days, by confidence):** "
            + user(calibration_text(m.bands))
        ),
    ]
    if m.calibration:
        lines = [
            f"- {mention(row.owner)}: recorded {row.recorded_confidence:.0f}%, actually "
            f"{row.actual_confidence:.0f}% ({row.reviews} reviews)"
            for row in m.calibration
        ]
        body.append(
            block(
                "**Confidence recorded vs. information actually had (reviews due in the last 30 days)**\n\n"
                + "\n".join(lines)
            )
        )
    return card(body)


@renders(LoggedView)
def logged_card(v: LoggedView) -> Card:
    note = f" ({v.confidence_note})" if v.confidence_note else ""
    return card(
        [
            block(f"{mention(v.author)} logged **{v.label}**: {user(v.text)}"),
            block(
                f"Owner {mention(v.owner)} · {v.confidence}% confidence{note} · {v.door} door · "
                f"review {day(v.review_on)}",
                isSubtle=True,
                size="small",
            ),
        ]
    )


@renders(SupersededView)
def superseded_card(v: SupersededView) -> Card:
    new = f"**{v.new_label}**" + (f": {user(v.new_text)}" if v.new_text is not None else "")
    return card(
        [
            block(
                f"{mention(v.author)} superseded your decision **{v.older_label}** "
                f"({user(v.older_text[:300])}) with {new}"
            )
        ]
    )


@renders(LoggedReceipt)
def logged_receipt_card(v: LoggedReceipt) -> Card:
    note = f" ({v.confidence_note})" if v.confidence_note else ""
    return card(
        [
            block(
                f"Logged **{v.label}**. Confidence {v.confidence}%{note}; review {when(v.review_on)}."
            )
        ]
    )
