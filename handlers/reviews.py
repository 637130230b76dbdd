"""Reviews on Slack: the listeners of the owner's answers, registered in one place. The flows
(timers, answers, the announcement) are `bot.reviews`; this module parses and delivers."""

from __future__ import annotations

from functools import partial

from slack_bolt import App

from bot import decisions
from bot.core import Core
from bot.reviews import Refresh
from bot.vocabulary import ReviewAnswer
from handlers.actions import reviews as actions
from handlers.blocks import reviews as renderers
from handlers.decision_messages import DecisionMessages
from handlers.views import reviews as forms

# The review views' Block Kit renderers register themselves when imported.
RENDERERS = renderers


def register(app: App, core: Core) -> None:
    """Every review listener, one line each; `core` (and the poll refresher) bound here."""
    refresh = refresher(app, core)
    app.action("review_keep")(partial(actions.keep, core=core))
    app.action("review_amend")(partial(actions.change, core=core, outcome=ReviewAnswer.AMEND))
    app.action("review_reverse")(partial(actions.change, core=core, outcome=ReviewAnswer.REVERSE))
    app.action("review_snooze_week")(
        partial(actions.snooze, core=core, period="week", refresh=refresh)
    )
    app.action("review_snooze_month")(
        partial(actions.snooze, core=core, period="month", refresh=refresh)
    )
    app.view("review_keep")(
        partial(forms.submitted, core=core, refresh=refresh, outcome=ReviewAnswer.KEEP)
    )
    app.view("review_change")(partial(forms.submitted, core=core, refresh=refresh, outcome=None))


def refresher(app: App, core: Core) -> Refresh:
    """Brings a poll's messages up to date after its decision was reviewed."""
    messages = DecisionMessages.for_app(app, core)

    def refresh(team_id: str, decision_id: int) -> None:
        messages.refresh(decisions.load(core, team_id=team_id, decision_id=decision_id))

    return refresh
