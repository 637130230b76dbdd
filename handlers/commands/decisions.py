"""`/decisions`: the decision log — browse, search, one record, record, metrics, export."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot import decision_log
from bot.core import Core
from bot.inputs import InputTooLong, parse_id
from bot.proposals import ProposalError, confidence_note, review_day_in
from handlers.blocks.decision_log import (
    build_log_list,
    build_record_blocks,
    build_stats_blocks,
    decision_text,
)
from handlers.commands.decide import owner_as_id
from handlers.directory import channel_info, hidden_channels, may_see, open_dm, viewer_of
from handlers.exports import ExportRequest, start_export
from handlers.render import chunk_blocks, ephemeral, escape, mention, slack_date
from handlers.slack import team_id_of, user_timezone
from handlers.slack_text import to_plain
from storage.decision_log import LOG_STATUSES, LogQuery
from storage.decisions import decision_label
from storage.models import Decision

log = logging.getLogger(__name__)

PER_PAGE = 10
USAGE = (
    "*/decisions* browses the decision log (answers are private to you).\n"
    "• `/decisions` — latest decisions in this channel\n"
    "• `/decisions search WORDS` — search decisions and dissent reasons\n"
    "• `/decisions due` — reviews due (this week) or overdue\n"
    "• `/decisions mine` — decisions you own\n"
    "• `/decisions D-42` — one full record\n"
    "• `/decisions log DECISION [confidence:NN%] [review:YYYY-MM-DD|NNd] [owner:@user] "
    "[door:one-way|two-way] [replaces:D-n]` — record a decision made elsewhere "
    "(`replaces:` marks D-n superseded)\n"
    "• `/decisions stats` — input metrics (last 30 days)\n"
    "• `/decisions export [all|#channel] [since:YYYY-MM-DD] [status:active,reversed,…]` — "
    "an Excel workbook, sent to you as a direct message\n"
    "• `/decisions help` — this message"
)
_CHANNEL = re.compile(r"^<#([A-Z0-9]+)(?:\|[^>]*)?>$")


def register(app: App, core: Core) -> None:
    @app.command("/decisions")
    def decisions_command(
        ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        text = (command.get("text") or "").strip()
        word, _, rest = text.partition(" ")
        word = word.lower()
        rest = rest.strip()
        if word in ("help", "?"):
            ack(ephemeral(USAGE))
        elif word == "log":
            # Slack escapes & < > and sends owner:@user as <@U…>: hand the core plain text.
            log_decision(ack, command, respond, client, core, owner_as_id(to_plain(rest)))
        elif word == "export":
            export(ack, command, client, core, rest)
        elif word == "stats":
            ack()
            metrics = decision_log.metrics(core, team_id=team_id_of(command))
            respond(text="Decision log metrics", blocks=build_stats_blocks(metrics))
        elif word == "search" and not rest:
            ack(ephemeral("Say what to search for, e.g. `/decisions search pricing`.\n\n" + USAGE))
        elif word in ("", "search", "due", "mine"):
            if word == "search":
                try:
                    decision_log.search_words(rest)
                except InputTooLong as exc:
                    ack(ephemeral(f":warning: {exc} Search for fewer words."))
                    return
            ack()
            arg = {"": command["channel_id"], "search": to_plain(rest)}.get(word, "")
            state = {"v": word or "channel", "a": arg}
            show_list(respond, client, core, command, state, page=0)
        elif decision_log.parse_label(text) is not None:
            ack()
            show_record(respond, client, core, command, decision_log.parse_label(text) or 0)
        else:
            ack(ephemeral(f"I don't know `{escape(text[:100])}`.\n\n" + USAGE))

    def page_action(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        ack()
        try:
            state = json.loads(body["actions"][0].get("value") or "{}")
            page = parse_id(state.pop("p", 0)) or 0
        except (ValueError, TypeError, AttributeError):
            return
        if not isinstance(state, dict):
            return
        try:
            decision_log.search_words(str(state.get("a") or ""))
        except InputTooLong:
            return  # a tampered button: no list has such a search
        show_list(respond, client, core, body, state, page=page, replace=True)

    app.action("log_page_next")(page_action)
    app.action("log_page_prev")(page_action)


def _user(body: dict[str, Any]) -> str:
    return str(body.get("user_id") or (body.get("user") or {}).get("id") or "")


def list_query(
    core: Core, state: dict[str, Any], user: str, hidden: frozenset[str]
) -> tuple[str, LogQuery]:
    """What a list shows, from its state (kept in the page buttons' values)."""
    kind, arg = str(state.get("v") or ""), str(state.get("a") or "")
    if kind == "search":
        words = decision_log.search_words(arg)
        return f"Decisions matching “{escape(arg)}”", LogQuery(words=words, hidden_channels=hidden)
    if kind == "due":
        return "Reviews due or overdue", decision_log.due_query(
            core, LogQuery(hidden_channels=hidden)
        )
    if kind == "mine":
        return "Decisions you own", LogQuery(owner_id=user, hidden_channels=hidden)
    return f"Latest decisions in <#{arg}>", LogQuery(channel_id=arg, hidden_channels=hidden)


def show_list(
    respond: Respond,
    client: WebClient,
    core: Core,
    body: dict[str, Any],
    state: dict[str, Any],
    *,
    page: int,
    replace: bool = False,
) -> None:
    team_id = team_id_of(body)
    user = _user(body)
    hidden = hidden_channels(client, user, decision_log.decision_channels(core, team_id=team_id))
    title, query = list_query(core, state, user, hidden)
    if query.channel_id and query.channel_id in hidden:
        query = LogQuery(channel_id="-", hidden_channels=hidden)
    result = decision_log.browse(core, team_id=team_id, query=query, page=page, per_page=PER_PAGE)
    blocks = build_log_list(title, result, state)
    respond(text=title, blocks=blocks, response_type="ephemeral", replace_original=replace)


def show_record(
    respond: Respond, client: WebClient, core: Core, body: dict[str, Any], number: int
) -> None:
    viewer = viewer_of(client, _user(body), core.admin_user_ids)
    record = decision_log.find_record(core, team_id=team_id_of(body), viewer=viewer, number=number)
    if record is None:
        respond(text=f"There is no decision {decision_label(number)} in this workspace.")
        return
    # A long record is sent as several messages rather than cut.
    for blocks in chunk_blocks(build_record_blocks(record)):
        respond(text=record.label, blocks=blocks, response_type="ephemeral")


def log_decision(
    ack: Ack,
    command: dict[str, Any],
    respond: Respond,
    client: WebClient,
    core: Core,
    text: str,
) -> None:
    if not text:
        ack(ephemeral("Write the decision after `/decisions log`.\n\n" + USAGE))
        return
    user = command["user_id"]
    # Superseding asks Slack who may see and act on the older decision (membership, admin
    # standing): then the request is acknowledged first and answered through response_url.
    answer: Callable[..., Any] = ack
    if "replaces:" in text.lower():
        ack()
        answer = respond
    try:
        # A review given as a day is read in the author's time zone after the acknowledgement
        # (asking Slack for it may be slow); the day is the same.
        logged = decision_log.log_decision(
            core,
            team_id=team_id_of(command),
            channel_id=command.get("channel_id"),
            author_id=user,
            text=text,
            viewer=viewer_of(client, user, core.admin_user_ids),
        )
    except ProposalError as exc:
        answer(ephemeral(f":warning: {exc}\n\n" + USAGE))
        return
    decision = logged.decision
    label = decision_label(decision.number)
    note = confidence_note(decision.confidence)
    answer(
        ephemeral(
            f"Logged *{label}*. Confidence {decision.confidence}%"
            + (f" ({note})" if note else "")
            + f"; review {slack_date(decision.review_on)}."
        )
    )
    day = review_day_in(text)
    if day is not None:
        decision = decision_log.review_in_zone(
            core,
            team_id=decision.team_id,
            decision_id=int(decision.id or 0),
            day=day,
            tz=user_timezone(client, user),
        )
    announcement = (
        f":ledger: {mention(user)} logged *{label}*: {escape(decision_text(decision))}\n"
        f"Owner {mention(decision.owner_id)} · {decision.confidence}% confidence"
        + (f" ({note})" if note else "")
        + f" · {decision.door} door · review {slack_date(decision.review_on, '{date_short}')}"
    )
    try:
        posted = client.chat_postMessage(channel=command["channel_id"], text=announcement)
        link = client.chat_getPermalink(channel=command["channel_id"], message_ts=posted["ts"])
        decision_log.set_record_message(
            core,
            team_id=decision.team_id,
            decision_id=int(decision.id or 0),
            ts=str(posted["ts"]),
            permalink=str(link.get("permalink") or "") or None,
        )
    except Exception:  # noqa: BLE001 - the decision is logged; the announcement is extra
        log.warning("could not announce %s in %s", label, command.get("channel_id"), exc_info=True)
        respond(text=f"{label} is in the log, but I could not post it in this channel.")
    if logged.superseded is not None and logged.superseded.owner_id != user:
        tell_superseded_owner(client, user, decision, logged.superseded)


def tell_superseded_owner(
    client: WebClient, author: str, decision: Decision, older: decision_log.Superseded
) -> None:
    """A direct message to the owner of a decision someone else (an admin) superseded. The new
    decision's words are left out if its channel is one the owner cannot see."""
    label = decision_label(decision.number)
    new = f"*{label}*"
    if decision.channel_id is None or may_see(client, older.owner_id, decision.channel_id):
        new += f": {escape(decision_text(decision))}"
    text = (
        f":information_source: {mention(author)} superseded your decision *{older.label}* "
        f"({escape(older.text[:300])}) with {new}"
    )
    try:
        client.chat_postMessage(channel=open_dm(client, older.owner_id), text=text)
    except Exception:  # noqa: BLE001 - the log has the change; the message is extra
        log.warning("could not tell the owner that %s was superseded", older.label, exc_info=True)


def parse_export_args(
    text: str, *, tz: str = "UTC"
) -> tuple[str | None, bool, datetime | None, tuple[str, ...]]:
    """`[all|#channel] [since:DATE] [status:a,b]` -> (channel, all, since, statuses)."""
    channel: str | None = None
    everything = False
    since: datetime | None = None
    statuses: tuple[str, ...] = ()
    for token in text.split():
        lower = token.lower()
        if lower == "all":
            everything = True
        elif match := _CHANNEL.match(token):
            channel = match.group(1)
        elif token.startswith("#") and len(token) > 1:
            channel = token  # a plain `#name`; resolved to an id by the caller
        elif lower.startswith("since:"):
            try:
                day = date.fromisoformat(token[6:])
            except ValueError:
                raise ValueError(
                    f"since must be a date like `2026-01-31`, not `{token[6:]}`."
                ) from None
            since = datetime.combine(day, time(0, 0), tzinfo=UTC)
        elif lower.startswith("status:"):
            wanted = tuple(
                s.strip().replace(" ", "_").replace("-", "_") for s in lower[7:].split(",")
            )
            unknown = [s for s in wanted if s not in LOG_STATUSES]
            if unknown or not wanted:
                raise ValueError(
                    f"status must be one or more of {', '.join(LOG_STATUSES)} (comma-separated)."
                )
            statuses = wanted
        else:
            raise ValueError(
                f"I don't understand `{escape(token[:100])}`; pick a channel from the list (`#name`), `all`, "
                "`since:DATE` or `status:...`."
            )
    return channel, everything, since, statuses


def export(ack: Ack, command: dict[str, Any], client: WebClient, core: Core, text: str) -> None:
    try:
        channel, _everything, since, statuses = parse_export_args(text)
    except ValueError as exc:
        ack(ephemeral(f":warning: {exc}\n\n" + USAGE))
        return
    viewer = viewer_of(client, command["user_id"], core.admin_user_ids)
    if channel and channel.startswith("#"):
        # Without escaping, Slack sends `#name`: look it up among the log's channels the
        # person may see (a private channel they are not in is answered like no channel).
        wanted = channel[1:].lower()
        found = [
            c
            for c in decision_log.decision_channels(core, team_id=team_id_of(command))
            if str(channel_info(client, c).get("name") or "").lower() == wanted and viewer.sees(c)
        ]
        if not found:
            ack(ephemeral(f"No decisions were made in `{escape(channel)}`."))
            return
        channel = found[0]
    elif channel and not viewer.sees(channel):
        ack(ephemeral("No decisions were made in that channel."))
        return
    ack(ephemeral("Preparing your export… it will arrive as a direct message."))
    start_export(
        client,
        core,
        ExportRequest(
            team_id=team_id_of(command),
            user_id=command["user_id"],
            query=LogQuery(channel_id=channel, since=since, statuses=statuses),
        ),
    )
