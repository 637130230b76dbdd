"""Block Kit for the decision log: renderers of its views (`bot.views.decision_log`) — lists
with pages, one full record, metrics, the Home tab, a logged decision's announcement."""

from __future__ import annotations

import json
from typing import Any

from bot.views.decision_log import (
    HOME_COUNT_CAP,
    HOME_STATUSES,
    EntryLine,
    HomeFilters,
    HomeUnavailable,
    HomeView,
    LoggedReceipt,
    LoggedView,
    LogListView,
    MetricsView,
    PageLines,
    RecordView,
    ReviewLine,
    SupersededView,
    calibration_text,
    event_words,
    percent,
)
from bot.vocabulary import DecisionStatus, Stance
from handlers.slack.platform import mrkdwn, renders
from handlers.slack.render import (
    VIEW_BLOCK_LIMIT,
    actions,
    button,
    context,
    divider,
    escape,
    mention,
    section,
    slack_date,
    split_text,
)

__all__ = ["HOME_COUNT_CAP", "HomeFilters"]

PREVIEW_CHARS = 280
CHOICE_NAMES = {
    Stance.AGREE: "Agree",
    Stance.DISAGREE_COMMIT: "Disagree, but commit",
    Stance.DISAGREE: "Disagree",
}
STATUS_NAMES = {
    DecisionStatus.VOTING: "voting",
    DecisionStatus.ACTIVE: "active",
    DecisionStatus.UNDER_REVIEW: "under review",
    DecisionStatus.HALTED: "halted",
    DecisionStatus.AMENDED: "amended",
    DecisionStatus.REVERSED: "reversed",
    DecisionStatus.SUPERSEDED: "superseded",
}


def _preview(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= PREVIEW_CHARS else flat[: PREVIEW_CHARS - 1] + "…"


def entry_text(line: EntryLine) -> str:
    """One line of facts and a preview of the decision, for lists."""
    facts = [
        f"*{line.label}*",
        STATUS_NAMES.get(line.status, line.status),
        f"{line.confidence}% confidence",
        f"{line.dissent_count} dissent",
        f"review {slack_date(line.review_on, '{date_short}')}",
    ]
    if line.overdue:
        facts.append(":warning: review overdue")
    if line.permalink:
        facts.append(f"<{line.permalink}|thread>")
    owner = f"owner {mention(line.owner)}"
    if line.place:
        owner += f" in <#{line.place}>"
    return " · ".join(facts) + f"\n{escape(_preview(line.text))}\n_{owner}_"


def page_navigation(page: PageLines, action_prefix: str, state: dict[str, Any]) -> list[dict]:
    """Previous/next buttons carrying the list's state (what it shows and which page)."""
    buttons = []
    if page.has_previous:
        buttons.append(
            button(
                "◀ Previous",
                f"{action_prefix}_prev",
                json.dumps({**state, "p": page.page - 1}, separators=(",", ":")),
            )
        )
    if page.has_next:
        buttons.append(
            button(
                "Next ▶",
                f"{action_prefix}_next",
                json.dumps({**state, "p": page.page + 1}, separators=(",", ":")),
            )
        )
    return [actions(*buttons)] if buttons else []


def build_log_list(title: str, page: PageLines, state: dict[str, Any]) -> list[dict[str, Any]]:
    """A private answer to `/decisions …`: one page of entries with previous/next.

    `title` is mrkdwn (it may hold a channel link); user text in it must be escaped already."""
    if not page.entries:
        empty = "No decisions on this page." if page.page else "No decisions found."
        return [section(f"*{title}*\n{empty}")]
    first = page.page * page.per_page + 1
    last = first + len(page.entries) - 1
    blocks: list[dict[str, Any]] = [section(f"*{title}* — {first}–{last}")]
    for entry in page.entries:
        blocks.append(section(entry_text(entry)))
    blocks.extend(page_navigation(page, "log_page", state))
    return blocks


@renders(LogListView)
def render_log_list(view: LogListView) -> dict[str, Any]:
    title = mrkdwn(view.title)
    state = {"v": view.listing, "a": view.arg}
    return {"text": title, "blocks": build_log_list(title, view.lines, state)}


def build_record_blocks(record: RecordView) -> list[dict[str, Any]]:
    """Every field of one decision; long texts are split over several sections, never cut."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"{record.label}"}}
    ]
    blocks += _long(f"*Decision:* {escape(record.text)}")
    if record.proposal is not None:
        blocks += _long(f"*Proposed as:* {escape(record.proposal)}")
    note = record.confidence_note
    facts = [
        f"*Status:* {STATUS_NAMES.get(record.status, record.status)}",
        f"*Owner:* {mention(record.owner)}",
        f"*Confidence:* {record.confidence}%" + (f" ({note})" if note else ""),
        f"*Door:* {record.door}",
        f"*Review:* {slack_date(record.review_on)}",
        f"*Created:* {slack_date(record.created_at)}",
    ]
    if record.decided_at:
        facts.append(f"*Decided:* {slack_date(record.decided_at)}")
    if record.place:
        facts.append(f"*Channel:* <#{record.place}>")
    if record.permalink:
        facts.append(f"*Thread:* <{record.permalink}|open>")
    if record.replaces:
        facts.append(f"*Replaces:* {record.replaces}")
    if record.replaced_by:
        facts.append(f"*Replaced by:* {record.replaced_by}")
    if record.narrative_title:
        facts.append(
            f"*Narrative:* {escape(record.narrative_title)} "
            f"({record.narrative_questions} questions)"
        )
    blocks.append(section("\n".join(facts)))
    if record.show_tally:
        blocks.append(
            section(
                "*Tally:* "
                + " · ".join(f"{CHOICE_NAMES[c]} {n}" for c, n in record.tally if c in CHOICE_NAMES)
            )
        )
    if record.voters_hidden:
        blocks.append(
            context("Anonymous until the owner finalizes: who voted what, and why, is shown then.")
        )
    if record.dissent:
        lines = ["*Dissent*"]
        for vote in record.dissent:
            status = "committed" if vote.committed else "has not committed"
            lines.append(f"• {mention(vote.person)} ({status}): {escape(vote.reason or '')}")
        blocks += _long("\n".join(lines))
    if record.changed_votes:
        lines = ["*Changed votes*"] + [
            f"• {mention(v.person)} first voted {CHOICE_NAMES.get(v.stance, v.stance)} "
            f"({slack_date(v.cast_at)})"
            for v in record.changed_votes
        ]
        blocks += _long("\n".join(lines))
    if record.andon:
        lines = ["*Andon cord*"]
        for pull in record.andon:
            state = f"resolved ({pull.resolution})" if pull.resolution is not None else "open"
            lines.append(
                f"• {mention(pull.person)} {slack_date(pull.pulled_at)} — {state}: "
                f"{escape(pull.reason)}"
            )
        blocks += _long("\n".join(lines))
    if record.reviews:
        lines = ["*Reviews*"]
        for review in record.reviews:
            lines.append("• " + review_line(review))
        blocks += _long("\n".join(lines))
    if record.history:
        lines = ["*History*"]
        for event in record.history:
            who = f" {mention(event.person)}" if event.person else ""
            lines.append(f"• {slack_date(event.at)}{who}: {event_text(event.kind, event.detail)}")
        blocks += _long("\n".join(lines))
    return blocks


def review_line(review: ReviewLine) -> str:
    due = slack_date(review.due_at, "{date_short}")
    if review.outcome is None:
        state = "overdue" if review.reminded else "waiting for the owner"
        return f"due {due}: {state}"
    text = f"due {due}: *{review.outcome}* by {mention(review.answered_by or '')}"
    if review.actual_confidence is not None:
        text += f", information actually {review.actual_confidence}%"
    if review.learned:
        text += f" — learned: {escape(review.learned)}"
    return text


def event_text(kind: str, detail: str | None) -> str:
    """A history entry in words (`event_words`), escaped for Slack."""
    return escape(event_words(kind, detail))


def _long(text: str) -> list[dict[str, Any]]:
    return [section(piece) for piece in split_text(text) if piece.strip()]


def metrics_lines(metrics: MetricsView) -> list[str]:
    median = f"{metrics.median_confidence:g}%" if metrics.median_confidence is not None else "—"
    per_narrative = f"{metrics.questions / metrics.narratives:.1f}" if metrics.narratives else "—"
    return [
        f"*Decisions (last 30 days):* {metrics.decisions}",
        f"*Reviewed on time:* {percent(metrics.reviews_on_time, metrics.reviews_due)}"
        f" of {metrics.reviews_due}",
        f"*Median confidence:* {median}",
        f"*With recorded dissent:* {percent(metrics.with_dissent, metrics.decisions)}",
        f"*Reversed or amended:* {percent(metrics.reversed_or_amended, metrics.decisions)}",
        f"*Reading completion:* {percent(metrics.readers_done, metrics.readers_expected)}",
        f"*Questions per narrative:* {per_narrative}",
        f"*Calibration (reviews due in the last 30 days, by confidence):* "
        f"{escape(calibration_text(metrics.bands))}",
    ]


def build_stats_blocks(metrics: MetricsView) -> list[dict[str, Any]]:
    blocks = [section("*Decision log — input metrics*\n" + "\n".join(metrics_lines(metrics)))]
    if metrics.calibration:
        lines = [
            "*Confidence recorded vs. information actually had (reviews due in the last 30 days)*"
        ]
        for row in metrics.calibration:
            lines.append(
                f"• {mention(row.owner)}: recorded {row.recorded_confidence:.0f}%, "
                f"actually {row.actual_confidence:.0f}% ({row.reviews} reviews)"
            )
        blocks += _long("\n".join(lines))
    return blocks


# --- the Home tab ---------------------------------------------------------------------------------


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text}, "value": value}


def home_filter_block(filters: HomeFilters) -> dict[str, Any]:
    channel: dict[str, Any] = {
        "type": "channels_select",
        "action_id": "home_filter_channel",
        "placeholder": {"type": "plain_text", "text": "Any channel"},
    }
    if filters.channel_id:
        channel["initial_channel"] = filters.channel_id
    owner: dict[str, Any] = {
        "type": "users_select",
        "action_id": "home_filter_owner",
        "placeholder": {"type": "plain_text", "text": "Any owner"},
    }
    if filters.owner_id:
        owner["initial_user"] = filters.owner_id
    status_options = [_option("Any status", "any")] + [
        _option(STATUS_NAMES[s].capitalize(), s) for s in HOME_STATUSES
    ]
    status: dict[str, Any] = {
        "type": "static_select",
        "action_id": "home_filter_status",
        "placeholder": {"type": "plain_text", "text": "Any status"},
        "options": status_options,
    }
    if filters.status:
        status["initial_option"] = next(o for o in status_options if o["value"] == filters.status)
    due_options = [_option("All decisions", "all"), _option("Due for review", "due")]
    due: dict[str, Any] = {
        "type": "static_select",
        "action_id": "home_filter_due",
        "options": due_options,
        "initial_option": due_options[1] if filters.due else due_options[0],
    }
    return actions(channel, owner, status, due, block_id="home_filters")


@renders(HomeView)
def render_home(view: HomeView) -> dict[str, Any]:
    """`views.publish` arguments of the Home tab."""
    return {
        "view": build_home_view(
            filters=view.filters, page=view.lines, metrics=view.metrics, total=view.total
        )
    }


def build_home_view(
    *, filters: HomeFilters, page: PageLines, metrics: MetricsView, total: int
) -> dict[str, Any]:
    """The leaders' decision log browser: metrics, filters, one page of entries (≤100 blocks)."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Decision log"}},
        section("\n".join(metrics_lines(metrics))),
        divider(),
        home_filter_block(filters),
        actions(
            button("Export to Excel", "home_export", "export"),
            button("Clear filters", "home_clear", "clear"),
            block_id="home_tools",
        ),
    ]
    if not page.entries:
        blocks.append(
            section("No decisions match these filters." if total == 0 else "No more decisions.")
        )
    else:
        first = page.page * page.per_page + 1
        of = f"{total - 1:,}+" if total > HOME_COUNT_CAP else f"{total:,}"
        blocks.append(context(f"{first}–{first + len(page.entries) - 1} of {of}, newest first"))
        for entry in page.entries:
            blocks.append(
                section(
                    entry_text(entry),
                    accessory=button("Open record", "home_open_record", str(entry.decision_id)),
                )
            )
    blocks.extend(page_navigation(page, "home_page", {}))
    assert len(blocks) <= VIEW_BLOCK_LIMIT
    return {"type": "home", "private_metadata": filters.to_metadata(), "blocks": blocks}


NO_WORKSPACE_HOME = (
    "Slack did not say which workspace this Home tab is in, and each workspace keeps its own "
    "decision log. Open it again from a workspace, or type `/decisions` in one of its channels."
)


@renders(HomeUnavailable)
def render_home_unavailable(_view: HomeUnavailable) -> dict[str, Any]:
    return {"view": build_no_workspace_home()}


def build_no_workspace_home() -> dict[str, Any]:
    """The Home tab of an org-wide install when the event names no workspace."""
    return {
        "type": "home",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "Decision log"}},
            section(NO_WORKSPACE_HOME),
        ],
    }


def build_record_modal(record: RecordView) -> dict[str, Any]:
    blocks = build_record_blocks(record)
    if len(blocks) > VIEW_BLOCK_LIMIT:
        blocks = blocks[: VIEW_BLOCK_LIMIT - 1] + [
            context(f"The record continues: type `/decisions {record.label}` to see all of it.")
        ]
    return {
        "type": "modal",
        "callback_id": "decision_record",
        "title": {"type": "plain_text", "text": record.label[:24]},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": blocks,
    }


@renders(MetricsView)
def render_stats(view: MetricsView) -> dict[str, Any]:
    return {"text": "Decision log metrics", "blocks": build_stats_blocks(view)}


@renders(LoggedView)
def render_logged(view: LoggedView) -> dict[str, Any]:
    """The announcement of a decision recorded with `/decisions log`."""
    note = view.confidence_note
    return {
        "text": (
            f":ledger: {mention(view.author)} logged *{view.label}*: {escape(view.text)}\n"
            f"Owner {mention(view.owner)} · {view.confidence}% confidence"
            + (f" ({note})" if note else "")
            + f" · {view.door} door · review {slack_date(view.review_on, '{date_short}')}"
        )
    }


@renders(SupersededView)
def render_superseded(view: SupersededView) -> dict[str, Any]:
    new = f"*{view.new_label}*"
    if view.new_text is not None:
        new += f": {escape(view.new_text)}"
    return {
        "text": (
            f":information_source: {mention(view.author)} superseded your decision "
            f"*{view.older_label}* ({escape(view.older_text[:300])}) with {new}"
        )
    }


@renders(LoggedReceipt)
def render_logged_receipt(view: LoggedReceipt) -> dict[str, Any]:
    note = view.confidence_note
    return {
        "text": f"Logged *{view.label}*. Confidence {view.confidence}%"
        + (f" ({note})" if note else "")
        + f"; review {slack_date(view.review_on)}."
    }
