"""`/narrative`: silent reading periods. Subcommands dispatch through `SUBCOMMANDS`; any other
text starts a reading period."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import meetings
from bot.core import Core
from bot.meetings import NarrativeInputError, NarrativeRequest
from handlers.slack.api import team_id_of
from handlers.slack.blocks.narratives import build_start_modal
from handlers.slack.narratives import deliver
from handlers.slack.platform import render
from handlers.slack.render import ephemeral
from handlers.slack.text import to_plain
from handlers.slack.work import defer

USAGE = (
    "*/narrative* runs a silent reading period on a written narrative.\n"
    "• `/narrative [DURATION] [@reader ...] TITLE and/or LINK` — start reading, e.g. "
    "`/narrative 20m @ana @ben Q3 pricing six-pager https://docs.example.com/q3` "
    "(DURATION like `20m`, `1h`, `1h30m`, `90s`; 1 minute to 4 hours; default 20m)\n"
    "• `/narrative` — open a form to paste the narrative, pick its kind and readers\n"
    "• `/narrative status` — open reading periods in this channel\n"
    "• `/narrative end` — end this channel's reading period now (owner or admin)\n"
    "• `/narrative help` — this message"
)

_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_ANGLE_LINK = re.compile(r"<(https?://[^|>\s]+)(?:\|[^>]*)?>")

Subcommand = Callable[[Core, Ack, dict[str, Any], WebClient], None]


def parse_narrative_text(text: str) -> NarrativeRequest:
    """Parse `[DURATION] [@reader ...] TITLE and/or LINK` as typed after `/narrative`.

    Readers are Slack user mentions (`<@U123>` or `<@U123|ana>`) anywhere in the text; a
    `<url|label>` link becomes its bare URL; the core reads the rest (`meetings.parse_request`,
    the grammar Teams shares).
    """
    readers = tuple(_MENTION.findall(text))
    rest = _MENTION.sub(" ", text)
    match = _ANGLE_LINK.search(rest)
    if match:
        rest = rest[: match.start()] + " " + match.group(1) + " " + rest[match.end() :]
    return meetings.parse_request(rest, readers=readers)


def _who(command: dict[str, Any]) -> tuple[str, str, str]:
    """(team, channel, user) of a command."""
    channel = str(command.get("channel_id") or "")
    return team_id_of(command), channel, str(command.get("user_id") or "")


def show_help(core: Core, ack: Ack, command: dict[str, Any], client: WebClient) -> None:
    ack(ephemeral(USAGE))


def open_start_form(core: Core, ack: Ack, command: dict[str, Any], client: WebClient) -> None:
    ack()
    form = meetings.start_form(_who(command)[1])
    client.views_open(trigger_id=command["trigger_id"], view=build_start_modal(form))


def show_status(core: Core, ack: Ack, command: dict[str, Any], client: WebClient) -> None:
    team_id, channel_id, _user_id = _who(command)
    status = meetings.status(core=core, team_id=team_id, place=channel_id)
    ack({"response_type": "ephemeral", **render(status)})


def end_reading(core: Core, ack: Ack, command: dict[str, Any], client: WebClient) -> None:
    ack()
    team_id, channel_id, user_id = _who(command)
    answer = meetings.end_in_place(core=core, team_id=team_id, place=channel_id, user_id=user_id)
    deliver(core, command, client, answer, team_id=team_id, user_id=user_id, place=channel_id)


def start_reading(core: Core, ack: Ack, command: dict[str, Any], client: WebClient) -> None:
    try:
        request = parse_narrative_text((command.get("text") or "").strip())
    except NarrativeInputError as exc:
        ack(ephemeral(f":warning: {exc}\n\n{USAGE}"))
        return
    ack()
    team_id, channel_id, user_id = _who(command)
    start = partial(
        meetings.start_and_post,
        core=core,
        team_id=team_id,
        channel_id=channel_id,
        owner_id=user_id,
        # Slack escapes & < > everywhere in the text, the link's query string too.
        request=_unescaped(request),
    )
    defer(core, command, client, start)


def _unescaped(request: NarrativeRequest) -> NarrativeRequest:
    link = to_plain(request.link) if request.link else None
    return NarrativeRequest(
        title=to_plain(request.title), link=link, readers=request.readers, reading=request.reading
    )


SUBCOMMANDS: dict[str, Subcommand] = {
    "help": show_help,
    "?": show_help,
    "": open_start_form,
    "status": show_status,
    "end": end_reading,
}


def narrative_command(ack: Ack, command: dict[str, Any], client: WebClient, *, core: Core) -> None:
    word = (command.get("text") or "").strip().lower()
    SUBCOMMANDS.get(word, start_reading)(core, ack, command, client)


def register(app: App, core: Core) -> None:
    app.command("/narrative")(partial(narrative_command, core=core))
