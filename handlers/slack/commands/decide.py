"""`/decide`: disagree-and-commit polls."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot import decisions
from bot.core import Core
from bot.proposals import ProposalError
from handlers.slack.api import team_id_of
from handlers.slack.decision_messages import answer, private_reply, with_core
from handlers.slack.render import ephemeral
from handlers.slack.text import to_plain
from handlers.slack.work import defer

HELP = ("help", "?", "-h", "--help")
# `owner:<@U123>` (or `<@U123|ana>`): the core takes the owner as an id.
_OWNER_MENTION = re.compile(r"(?<!\S)(owner:)<@([A-Za-z0-9]+)(?:\|[^>\s]*)?>", re.IGNORECASE)

USAGE = (
    "*/decide* runs a disagree-and-commit poll.\n"
    "• `/decide PROPOSAL [confidence:NN%] [review:YYYY-MM-DD|NNd] [owner:@user] "
    "[door:one-way|two-way] [closes:DURATION]` — post the poll now, e.g. "
    "`/decide We launch the new pricing in March confidence:60% closes:2d`\n"
    "  · `confidence:` how much of the information you wish you had you have (1–100%, "
    "default 70%)\n"
    "  · `review:` when to look at the decision again (default 30, 90 or 180 days by "
    "confidence)\n"
    "  · `owner:` who finalizes (default: you) · `door:` one-way (hard to reverse) or two-way "
    "(default)\n"
    "  · `closes:` voting time; the owner is then reminded to finalize\n"
    "• `/decide` — open a form (also: anonymous until the owner finalizes)\n"
    "• `/decide help` — this message"
)


def register(app: App, core: Core) -> None:
    app.command("/decide")(with_core(decide_command, core))


def owner_as_id(text: str) -> str:
    """The `owner:` option's mention as the person's id; the proposal keeps its mentions."""
    return _OWNER_MENTION.sub(lambda m: m.group(1) + m.group(2), text)


def decide_command(
    ack: Ack, command: dict[str, Any], client: WebClient, respond: Respond, core: Core
) -> None:
    # Slack escapes & < > and (with should_escape) sends mentions as <@U…>; store plain text.
    text = owner_as_id(to_plain(command.get("text") or "").strip())
    user_id, channel_id = str(command["user_id"]), str(command["channel_id"])
    if text.lower() in HELP:
        ack(ephemeral(USAGE))
        return
    if not text:
        ack()
        answer(core, client, command, decisions.propose_form(user_id=user_id, place=channel_id))
        return
    # Checked before the acknowledgement; a review date is read in the person's time zone
    # after it (asking Slack for the zone may be slow).
    try:
        decisions.check_proposal(core, text=text, user_id=user_id)
    except ProposalError as exc:
        ack(ephemeral(f":warning: {exc}\n\n{USAGE}"))
        return
    ack()
    post = partial(
        decisions.decide,
        core,
        team_id=team_id_of(command),
        channel_id=channel_id,
        user_id=user_id,
        text=text,
    )
    defer(core, command, client, partial(_respond_with, respond, post))


def _respond_with(respond: Respond, work: Callable[[], object | None]) -> None:
    said = work()
    if said is not None:
        respond(private_reply(said))
