"""Decision forms submitted: proposing, a dissent's reason, finalizing, the Andon cord, amending.

Each listener reads the form, calls one core function before acknowledging (what must be
stored, or the form's errors), then queues what is left in the channel's lane.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import decisions
from bot.core import Core
from bot.decisions import DecisionError, FormError, ProposalValues
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


def register(app: App, core: Core) -> None:
    app.view(PROPOSE_VIEW)(with_core(propose_submitted, core))
    app.view(REASON_VIEW)(with_core(reason_submitted, core))
    app.view(FINALIZE_VIEW)(with_core(finalize_submitted, core))
    app.view(ANDON_VIEW)(with_core(andon_submitted, core))
    app.view(AMEND_VIEW)(with_core(amend_submitted, core))


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


def finalize_submitted(
    ack: Ack, body: Body, view: dict[str, Any], client: WebClient, core: Core
) -> None:
    try:
        later = decisions.submit_finalize(
            core,
            team_id=team_id_of(body),
            decision_id=form_decision_id(view),
            user_id=user_of(body),
            final_text=form_value(view, "final_text") or "",
        )
    except DecisionError as exc:
        form_errors(ack, "final_text", exc)
        return
    ack()
    defer_afterwards(core, body, client, later)


def andon_submitted(
    ack: Ack, body: Body, view: dict[str, Any], client: WebClient, core: Core
) -> None:
    try:
        later = decisions.submit_andon(
            core,
            team_id=team_id_of(body),
            decision_id=form_decision_id(view),
            user_id=user_of(body),
            reason=form_value(view, "reason") or "",
        )
    except DecisionError as exc:
        form_errors(ack, "reason", exc)
        return
    ack()
    defer_afterwards(core, body, client, later)


def amend_submitted(
    ack: Ack, body: Body, view: dict[str, Any], client: WebClient, core: Core
) -> None:
    try:
        later = decisions.submit_amend(
            core,
            team_id=team_id_of(body),
            decision_id=form_decision_id(view),
            user_id=user_of(body),
            new_text=form_value(view, "final_text"),
        )
    except DecisionError as exc:
        form_errors(ack, "final_text", exc)
        return
    ack()
    defer_afterwards(core, body, client, later)
