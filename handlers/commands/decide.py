"""`/decide`: disagree-and-commit polls."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import decisions
from bot.core import Core
from bot.decisions import DecisionError
from bot.proposals import ProposalError, parse_proposal
from handlers.blocks.decisions import build_propose_modal
from handlers.decision_messages import DecisionMessages
from handlers.reconcile import PostUnconfirmed
from handlers.render import ephemeral
from handlers.slack import could_not_post, team_id_of, user_timezone
from handlers.slack_text import to_plain
from handlers.work import defer

log = logging.getLogger(__name__)

# Slack did not answer the post and the poll is not in the channel yet.
CONFIRMING = (
    "Slack is slow to confirm your poll. I will check in a minute and post it if it is "
    "missing; there is no need to propose it again."
)

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
    messages = DecisionMessages.for_app(app, core)

    @app.command("/decide")
    def decide_command(
        ack: Ack, command: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        # Slack escapes & < > and (with should_escape) sends mentions as <@U…>; store plain text.
        text = to_plain(command.get("text") or "").strip()
        user_id = str(command["user_id"])
        channel_id = str(command["channel_id"])
        if text.lower() in ("help", "?", "-h", "--help"):
            ack(ephemeral(USAGE))
            return
        if not text:
            ack()
            client.views_open(
                trigger_id=command["trigger_id"],
                view=build_propose_modal(owner_id=user_id, channel_id=channel_id),
            )
            return
        # Checked before the acknowledgement; a review date is read in the person's time zone
        # after it (asking Slack for the zone may be slow).
        try:
            options = parse_proposal(text, author_id=user_id, now=core.clock.now())
        except ProposalError as exc:
            ack(ephemeral(f":warning: {exc}\n\n{USAGE}"))
            return
        ack()
        team_id = team_id_of(command)

        def post() -> None:
            nonlocal options
            if options.review_day is not None:
                tz = user_timezone(client, user_id)
                try:
                    options = parse_proposal(text, author_id=user_id, now=core.clock.now(), tz=tz)
                except ProposalError as exc:
                    respond(ephemeral(f":warning: {exc}"))
                    return
            try:
                snap = decisions.propose(
                    core,
                    team_id=team_id,
                    channel_id=channel_id,
                    proposed_by=user_id,
                    options=options,
                )
            except DecisionError as exc:
                respond(ephemeral(f":warning: {exc}"))
                return
            try:
                messages.post_poll(snap)
            except PostUnconfirmed:
                respond(ephemeral(CONFIRMING))
            except SlackApiError as exc:
                decisions.discard(core, team_id=team_id, decision_id=snap.id)
                log.warning("could not post poll in %s: %s", channel_id, exc.response.get("error"))
                respond(ephemeral(could_not_post(exc.response.get("error"), "the poll")))

        defer(core, command, client, post)
