"""Timer kinds and the functions (with their Slack rendering) that run when they come due.

Each feature registers its kinds here with `core.timers.register(kind, handler)`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_bolt import App
from slack_sdk.errors import SlackApiError

from bot import decisions, meetings
from bot.core import Core
from handlers import reflections
from handlers.blocks.decisions import build_deadline_dm
from handlers.decision_messages import DecisionMessages
from handlers.narratives import confirm_narrative, finish_reading
from storage.models import Timer

log = logging.getLogger(__name__)


def register(app: App, core: Core) -> None:
    """Features add their timer kinds here."""
    reflections.register_timers(app, core)

    def reading_end(timer: Timer) -> None:
        # Ends reading unless something else ended it first; the digest is posted once either way.
        meetings.end_reading(
            core=core, team_id=timer.team_id, narrative_id=timer.ref_id, reason="time"
        )
        finish_reading(core, app.client, team_id=timer.team_id, narrative_id=timer.ref_id)
        if meetings.digest_missing(core=core, team_id=timer.team_id, narrative_id=timer.ref_id):
            # Another run is posting it (a failure of this one's would have raised).
            meetings.check_digest_later(core=core, team_id=timer.team_id, narrative_id=timer.ref_id)

    core.timers.register(meetings.READING_END, reading_end)
    core.timers.register(
        meetings.NARRATIVE_CONFIRM,
        lambda timer: confirm_narrative(
            core, app.client, team_id=timer.team_id, narrative_id=timer.ref_id
        ),
    )
    core.timers.register(decisions.POLL_CLOSE, _poll_close(app, core))
    core.timers.register(decisions.SHOW_VOTES, _show_votes(app, core))
    core.timers.register(decisions.POLL_CONFIRM, _poll_confirm(app, core))


def _poll_close(app: App, core: Core) -> Callable[[Timer], None]:
    """The voting time is over: remind the owner to finalize (the bot never decides)."""
    messages = DecisionMessages.for_app(app, core)

    def run(timer: Timer) -> None:
        snap = decisions.poll_deadline(core, team_id=timer.team_id, decision_id=timer.ref_id)
        if snap is not None:
            messages.dm(snap.decision.owner_id, build_deadline_dm(snap))

    return run


def _show_votes(app: App, core: Core) -> Callable[[Timer], None]:
    """Show the stored votes on the poll again, in turn with the other updates of it; a Slack
    error fails the timer, which retries it later."""
    messages = DecisionMessages.for_app(app, core)

    def run(timer: Timer) -> None:
        messages.refresh_in_turn(team_id=timer.team_id, decision_id=timer.ref_id)

    return run


def _poll_confirm(app: App, core: Core) -> Callable[[Timer], None]:
    """A poll whose post was never confirmed: find it in the channel, or post it. Slack not
    answering fails the timer, which looks again later; Slack refusing discards the decision
    and tells whoever proposed it."""
    messages = DecisionMessages.for_app(app, core)

    def run(timer: Timer) -> None:
        snap = decisions.poll_to_confirm(core, team_id=timer.team_id, decision_id=timer.ref_id)
        if snap is None:
            return
        try:
            messages.post_poll(snap, retry=True)
        except SlackApiError as exc:
            decisions.discard(core, team_id=timer.team_id, decision_id=snap.id)
            log.warning(
                "could not post poll of decision %s: %s", snap.id, exc.response.get("error")
            )
            messages.tell(
                snap.decision.proposed_by,
                f":warning: I could not post your poll in <#{snap.decision.channel_id}> "
                f"(`{exc.response.get('error')}`). Invite me with `/invite @Narrative` and "
                "try again.",
            )

    return run
