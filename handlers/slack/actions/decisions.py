"""Buttons on polls, decision records and decision direct messages."""

from __future__ import annotations

import re
from functools import partial
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import decisions
from bot.core import Core
from bot.vocabulary import Stance
from handlers.slack.api import team_id_of
from handlers.slack.blocks.decisions import (
    COMMIT,
    FINALIZE,
    PROPOSE_FROM_NARRATIVE,
    PULL_ANDON,
    RESOLVE_ACTIONS,
    VOTE_ACTIONS,
)
from handlers.slack.decision_messages import answer, clicked_id, user_of, with_core
from handlers.slack.work import defer

Body = dict[str, Any]
_CHOICE_BY_ACTION = {action_id: choice for choice, action_id in VOTE_ACTIONS.items()}
_RESOLUTION_BY_ACTION = {action_id: res for res, action_id in RESOLVE_ACTIONS.items()}
VOTE = re.compile(r"^decision_vote_(agree|disagree_commit|disagree)$")
RESOLVE = re.compile(r"^decision_andon_(resume|amend|reverse)$")


def register(app: App, core: Core) -> None:
    app.action(VOTE)(with_core(vote_clicked, core))
    app.action(FINALIZE)(with_core(finalize_clicked, core))
    app.action(COMMIT)(with_core(commit_clicked, core))
    app.action(PULL_ANDON)(with_core(andon_clicked, core))
    app.action(RESOLVE)(with_core(resolve_clicked, core))
    app.action(PROPOSE_FROM_NARRATIVE)(with_core(propose_clicked, core))


def vote_clicked(ack: Ack, body: Body, client: WebClient, core: Core) -> None:
    choice = _CHOICE_BY_ACTION[body["actions"][0]["action_id"]]
    team_id, decision_id = team_id_of(body), clicked_id(body)
    if choice == Stance.AGREE:
        # Stored before the acknowledgement: a click answered 200 is a vote on disk, even if
        # the process dies the next moment. Only the Slack part waits for later.
        said = decisions.vote(
            core, team_id=team_id, decision_id=decision_id, user_id=user_of(body), choice=choice
        )
        ack()
        if said is not None:
            defer(core, body, client, partial(answer, core, client, body, said))
        return
    ack()
    # The reason form must open while Slack's trigger is fresh (3 seconds): no queueing.
    form = decisions.ask_reason(core, team_id=team_id, decision_id=decision_id, choice=choice)
    answer(core, client, body, form)


def finalize_clicked(ack: Ack, body: Body, client: WebClient, core: Core) -> None:
    ack()
    reply = decisions.open_finalize(
        core, team_id=team_id_of(body), decision_id=clicked_id(body), user_id=user_of(body)
    )
    answer(core, client, body, reply)


def commit_clicked(ack: Ack, body: Body, client: WebClient, core: Core) -> None:
    # Stored before the acknowledgement, as votes are; Slack hears of it afterwards.
    reply = decisions.commit_to(
        core, team_id=team_id_of(body), decision_id=clicked_id(body), user_id=user_of(body)
    )
    ack()
    answer(core, client, body, reply)


def andon_clicked(ack: Ack, body: Body, client: WebClient, core: Core) -> None:
    ack()
    reply = decisions.open_andon(core, team_id=team_id_of(body), decision_id=clicked_id(body))
    answer(core, client, body, reply)


def resolve_clicked(ack: Ack, body: Body, client: WebClient, core: Core) -> None:
    ack()
    reply = decisions.resolve(
        core,
        team_id=team_id_of(body),
        decision_id=clicked_id(body),
        user_id=user_of(body),
        resolution=_RESOLUTION_BY_ACTION[body["actions"][0]["action_id"]],
    )
    answer(core, client, body, reply)


def propose_clicked(ack: Ack, body: Body, client: WebClient, core: Core) -> None:
    ack()
    reply = decisions.propose_about(
        core, team_id=team_id_of(body), user_id=user_of(body), narrative_id=clicked_id(body)
    )
    answer(core, client, body, reply)
