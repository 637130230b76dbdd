"""`/decisions`: the decision log — browse, search, one record, record, metrics, export.

One listener parses the subcommand and dispatches through `SUBCOMMANDS` (a new subcommand is
one function and one line there); the core answers with views that are rendered here."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot import decision_log, log_export
from bot.access import Viewer
from bot.core import Core
from bot.inputs import InputTooLong, parse_id
from bot.views import Notice
from bot.views.decision_log import Listing, RecordView
from handlers.slack.api import team_id_of
from handlers.slack.blocks.decision_log import build_record_blocks, render_logged_receipt
from handlers.slack.commands.decide import owner_as_id
from handlers.slack.directory import channel_info, viewer_of
from handlers.slack.exports import start_export
from handlers.slack.platform import render
from handlers.slack.render import chunk_blocks, ephemeral, escape
from handlers.slack.text import to_plain

log = logging.getLogger(__name__)

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


@dataclass(frozen=True)
class Asked:
    """One `/decisions` request: how to answer it and who asked, where."""

    ack: Ack
    respond: Respond
    client: WebClient
    core: Core
    command: dict[str, Any]

    @property
    def team_id(self) -> str:
        return team_id_of(self.command)

    @property
    def user(self) -> str:
        return str(self.command["user_id"])

    def viewer(self) -> Viewer:
        return viewer_of(self.client, self.user, self.core.admin_user_ids)


def register(app: App, core: Core) -> None:
    app.command("/decisions")(partial(decisions_command, core=core))
    app.action("log_page_next")(partial(page_action, core=core))
    app.action("log_page_prev")(partial(page_action, core=core))


def decisions_command(
    ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient, *, core: Core
) -> None:
    text = (command.get("text") or "").strip()
    word, _, rest = text.partition(" ")
    asked = Asked(ack, respond, client, core, command)
    subcommand = SUBCOMMANDS.get(word.lower())
    number = decision_log.parse_label(text)
    if subcommand is not None:
        subcommand(asked, rest.strip())
    elif number is not None:
        ack()
        show_record(asked, number)
    else:
        ack(ephemeral(f"I don't know `{escape(text[:100])}`.\n\n" + USAGE))


def show_help(asked: Asked, _rest: str) -> None:
    asked.ack(ephemeral(USAGE))


def show_latest(asked: Asked, _rest: str) -> None:
    asked.ack()
    show_list(asked, Listing.CHANNEL, asked.command["channel_id"])


def show_due(asked: Asked, _rest: str) -> None:
    asked.ack()
    show_list(asked, Listing.DUE, "")


def show_mine(asked: Asked, _rest: str) -> None:
    asked.ack()
    show_list(asked, Listing.MINE, "")


def search(asked: Asked, rest: str) -> None:
    if not rest:
        asked.ack(
            ephemeral("Say what to search for, e.g. `/decisions search pricing`.\n\n" + USAGE)
        )
        return
    try:
        decision_log.search_words(rest)
    except InputTooLong as exc:
        asked.ack(ephemeral(f":warning: {exc} Search for fewer words."))
        return
    asked.ack()
    show_list(asked, Listing.SEARCH, to_plain(rest))


def show_stats(asked: Asked, _rest: str) -> None:
    asked.ack()
    asked.respond(**render(decision_log.stats(asked.core, team_id=asked.team_id)))


def show_list(asked: Asked, listing: str, arg: str, *, page: int = 0, again: bool = False) -> None:
    view = decision_log.list_page(
        asked.core,
        team_id=asked.team_id,
        viewer=asked.viewer(),
        listing=listing,
        arg=arg,
        page=page,
    )
    asked.respond(**render(view), response_type="ephemeral", replace_original=again)


def show_record(asked: Asked, number: int) -> None:
    found = decision_log.record_page(
        asked.core, team_id=asked.team_id, viewer=asked.viewer(), number=number
    )
    if isinstance(found, RecordView):
        # A long record is sent as several messages rather than cut.
        for blocks in chunk_blocks(build_record_blocks(found)):
            asked.respond(text=found.label, blocks=blocks, response_type="ephemeral")
    else:
        asked.respond(text=render(found)["text"])


def page_action(
    ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient, *, core: Core
) -> None:
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
    asked = Asked(ack, respond, client, core, {**body, "user_id": body["user"]["id"]})
    listing, arg = str(state.get("v") or ""), str(state.get("a") or "")
    show_list(asked, listing, arg, page=page, again=True)


def log_decision(asked: Asked, rest: str) -> None:
    # Slack escapes & < > and sends owner:@user as <@U…>: hand the core plain text.
    text = owner_as_id(to_plain(rest))
    if not text:
        asked.ack(ephemeral("Write the decision after `/decisions log`.\n\n" + USAGE))
        return
    # Superseding asks Slack who may see and act on the older decision (membership, admin
    # standing): then the request is acknowledged first and answered through response_url.
    answer: Callable[..., Any] = asked.ack
    if "replaces:" in text.lower():
        asked.ack()
        answer = asked.respond
    core, channel = asked.core, asked.command.get("channel_id")
    logged = decision_log.log_from_command(
        core, team_id=asked.team_id, channel_id=channel, author=asked.viewer(), text=text
    )
    if isinstance(logged, Notice):
        answer(ephemeral(render(logged)["text"] + "\n\n" + USAGE))
        return
    answer(ephemeral(render_logged_receipt(decision_log.logged_receipt(logged))["text"]))
    failed = decision_log.announce_logged(
        core,
        core.platform_for(asked.team_id),
        logged,
        text=text,
        viewer_of=partial(viewer_of, asked.client, admin_user_ids=core.admin_user_ids),
    )
    if failed is not None:
        asked.respond(text=render(failed)["text"])


def parse_export_args(text: str) -> tuple[str | None, bool, datetime | None, tuple[str, ...]]:
    """The core's export words, with Slack's `<#C123|name>` channel mentions; errors quote the
    person's words escaped for Slack."""
    try:
        return log_export.parse_export_args(text, channel_of=_channel_id)
    except ValueError as exc:
        raise ValueError(escape(str(exc))) from None


def _channel_id(token: str) -> str | None:
    match = _CHANNEL.match(token)
    return match.group(1) if match else None


def export(asked: Asked, rest: str) -> None:
    try:
        channel, _everything, since, statuses = parse_export_args(rest)
    except ValueError as exc:
        asked.ack(ephemeral(f":warning: {exc}\n\n" + USAGE))
        return
    viewer = asked.viewer()
    if channel and channel.startswith("#"):
        channel = named_channel(asked, channel, viewer)
        if channel is None:
            return
    elif channel and not viewer.sees(channel):
        asked.ack(ephemeral("No decisions were made in that channel."))
        return
    asked.ack(ephemeral("Preparing your export… it will arrive as a direct message."))
    request = log_export.export_request(
        team_id=asked.team_id,
        user_id=asked.user,
        channel_id=channel,
        since=since,
        statuses=statuses,
    )
    start_export(asked.client, asked.core, request)


def named_channel(asked: Asked, name: str, viewer: Viewer) -> str | None:
    """Without escaping, Slack sends `#name`: look it up among the log's channels the person
    may see (a private channel they are not in is answered like no channel)."""
    wanted = name[1:].lower()
    found = [
        c
        for c in decision_log.decision_channels(asked.core, team_id=asked.team_id)
        if str(channel_info(asked.client, c).get("name") or "").lower() == wanted and viewer.sees(c)
    ]
    if not found:
        asked.ack(ephemeral(f"No decisions were made in `{escape(name)}`."))
        return None
    return found[0]


# The subcommands of `/decisions`, by their first word (a `D-42` shows that record).
SUBCOMMANDS: dict[str, Callable[[Asked, str], None]] = {
    "": show_latest,
    "help": show_help,
    "?": show_help,
    "search": search,
    "due": show_due,
    "mine": show_mine,
    "log": log_decision,
    "stats": show_stats,
    "export": export,
}
