"""Decision forms submitted: proposing, a dissent's reason, finalizing, the Andon cord, amending.

Each listener reads the form, calls one core function before acknowledging (what must be
stored, or the form's errors), then queues what is left in the channel's lane.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import decisions
from bot.core import Core
from bot.decisions import Afterwards, DecisionError, FormError, ProposalValues
from handlers.slack.api import team_id_of
from handlers.slack.blocks.decisions import (
    AMEND_VIEW,
    ANDON_VIEW,
    FINALIZE_VIEW,
    PROPOSE_VIEW,
    REASON_VIEW,
)
from handlers.slack.decision_messages import (
    defer_afterwards,
    form_decision_id,
    form_errors,
    form_value,
    metadata_of,
    user_of,
    with_core,
)

Body = dict[str, Any]

# Forms of one text field: (view, core function, field, the function's argument for it).
TEXT_FORMS = (
    (FINALIZE_VIEW, decisions.submit_finalize, "final_text", "final_text"),
    (ANDON_VIEW, decisions.submit_andon, "reason", "reason"),
    (AMEND_VIEW, decisions.submit_amend, "final_text", "new_text"),
)


def register(app: App, core: Core) -> None:
    app.view(PROPOSE_VIEW)(with_core(propose_submitted, core))
    app.view(REASON_VIEW)(with_core(reason_submitted, core))
    for view_id, submit, field, argument in TEXT_FORMS:
        app.view(view_id)(
            partial(
                decision_form_submitted, core=core, submit=submit, field=field, argument=argument
            )
        )


def proposal_values(view: dict[str, Any]) -> ProposalValues:
    metadata = metadata_of(view)
    channel_id, narrative_id = metadata.get("channel_id"), metadata.get("narrative_id")
    return ProposalValues(
        text=form_value(view, "proposal") or "",
        confidence=form_value(view, "confidence"),
        review_date=form_value(view, "review"),
        owner_id=form_value(view, "owner"),
        door=form_value(view, "door"),
        closes=form_value(view, "closes"),
        anonymous="anonymous" in (form_value(view, "anonymous") or []),
        channel_id=str(channel_id) if channel_id else None,
        narrative_id=narrative_id if isinstance(narrative_id, int) else None,
    )


def propose_submitted(
    ack: Ack, body: Body, view: dict[str, Any], client: WebClient, core: Core
) -> None:
    try:
        later = decisions.submit_proposal(
            core, team_id=team_id_of(body), user_id=user_of(body), values=proposal_values(view)
        )
    except FormError as exc:
        form_errors(ack, exc.field, str(exc))
        return
    except DecisionError as exc:
        form_errors(ack, "proposal", exc)
        return
    ack()
    # Posting waits on Slack: in the channel's lane, not on a listener thread.
    defer_afterwards(core, body, client, later)


def reason_submitted(ack: Ack, body: Body, view: dict[str, Any], core: Core) -> None:
    try:
        decisions.vote_with_reason(
            core,
            team_id=team_id_of(body),
            decision_id=form_decision_id(view),
            user_id=user_of(body),
            choice=str(metadata_of(view).get("choice")),
            reason=form_value(view, "reason"),
        )
    except DecisionError as exc:
        form_errors(ack, "reason", exc)
        return
    ack()


def decision_form_submitted(
    ack: Ack,
    body: Body,
    view: dict[str, Any],
    client: WebClient,
    core: Core,
    *,
    submit: Callable[..., Afterwards | None],
    field: str,
    argument: str,
) -> None:
    """Finalize, Andon and amend forms: one text field handed to one core function; its errors
    keep the form open, what follows goes to the channel's lane."""
    try:
        later = submit(
            core,
            team_id=team_id_of(body),
            decision_id=form_decision_id(view),
            user_id=user_of(body),
            **{argument: form_value(view, field)},
        )
    except DecisionError as exc:
        form_errors(ack, field, exc)
        return
    ack()
    defer_afterwards(core, body, client, later)
