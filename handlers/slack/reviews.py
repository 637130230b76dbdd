"""Reviews on Slack: the listeners of the owner's answers, registered in one place. The flows
(timers, answers, the announcement) are `bot.reviews`; this module parses and delivers."""

from __future__ import annotations

from functools import partial

from slack_bolt import App

from bot.core import Core
from bot.vocabulary import ReviewAnswer
from handlers.slack.actions import reviews as actions
from handlers.slack.blocks import reviews as renderers
from handlers.slack.views import reviews as forms

# The review views' Block Kit renderers register themselves when imported.
RENDERERS = renderers


def register(app: App, core: Core) -> None:
    """Every review listener, one line each, `core` bound here."""
    app.action("review_keep")(partial(actions.keep, core=core))
    app.action("review_amend")(partial(actions.change, core=core, outcome=ReviewAnswer.AMEND))
    app.action("review_reverse")(partial(actions.change, core=core, outcome=ReviewAnswer.REVERSE))
    app.action("review_snooze_week")(partial(actions.snooze, core=core, period="week"))
    app.action("review_snooze_month")(partial(actions.snooze, core=core, period="month"))
    app.view("review_keep")(partial(forms.submitted, core=core, outcome=ReviewAnswer.KEEP))
    app.view("review_change")(partial(forms.submitted, core=core, outcome=None))
