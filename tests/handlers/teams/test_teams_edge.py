"""The Teams endpoint: what each activity is answered with, and what it changes."""

from __future__ import annotations

import json
import urllib.request

import pytest

from bot import decisions
from bot.core import Core
from bot.vocabulary import PlatformName
from tests.handlers.teams.conftest import TeamsBotRunning
from tests.teams_double import CHANNEL, TENANT, activity, execute, mention_message


def _raw(url: str, body: bytes) -> int:
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_a_typed_decide_posts_a_poll_and_answers_202(teams_bot: TeamsBotRunning) -> None:
    status, body = teams_bot.send(mention_message(teams_bot.double, "decide We launch in March"))
    assert (status, body) == (202, None)
    posts = teams_bot.double.posts(CHANNEL)
    assert len(posts) == 1
    assert "D-1 — proposal" in posts[0].card_text
    assert "We launch in March" in posts[0].card_text


def test_the_tenant_is_a_workspace_of_its_own(teams_bot: TeamsBotRunning) -> None:
    teams_bot.send(mention_message(teams_bot.double, "decide A"))
    teams_bot.send(mention_message(teams_bot.double, "decide B", tenant="tenant-2"))
    # Decision numbers count per workspace: both tenants have their D-1.
    assert decisions.load(teams_bot.core, team_id=TENANT, decision_id=1).label == "D-1"
    assert decisions.load(teams_bot.core, team_id="tenant-2", decision_id=2).label == "D-1"
    fresh = Core(
        engine=teams_bot.core.engine, clock=teams_bot.core.clock, timers=teams_bot.core.timers
    )
    fresh.platforms = {"msteams": object(), "slack": object()}  # type: ignore[dict-item]
    assert fresh.platform_for(TENANT) is fresh.platforms[PlatformName.MSTEAMS]


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"[1, 2]",
        b'{"type": 5}',
        b'{"type": "message"}',
        json.dumps(
            {
                "type": "message",
                "serviceUrl": "http://127.0.0.1:1/",
                "from": {"id": "x"},
                "recipient": {"id": "b"},
                "conversation": {"id": "c"},
            }
        ).encode(),
        "\udcff".encode("utf-8", "surrogatepass"),
    ],
)
def test_a_malformed_activity_gets_400_and_changes_nothing(
    teams_bot: TeamsBotRunning, body: bytes
) -> None:
    assert _raw(teams_bot.url, body) == 400
    assert teams_bot.double.calls == []


@pytest.mark.parametrize(
    "value",
    [
        {"action": "agree"},
        {"action": {"verb": 7, "data": []}},
        {"action": {"verb": "agree", "data": {"decision": "1; drop"}}},
        {"action": {"verb": "agree", "data": {"decision": 10**30}}},
        {"data": {"verb": "finalize", "decision": True}},
    ],
)
def test_garbage_invokes_never_500(teams_bot: TeamsBotRunning, value: object) -> None:
    for name in ("adaptiveCard/action", "task/fetch", "task/submit", "nonsense"):
        status, body = teams_bot.send(activity(teams_bot.double, "invoke", name=name, value=value))
        assert status == 200, (name, body)
    # An invoke whose name is not a string is not an activity.
    status, _ = teams_bot.send(activity(teams_bot.double, "invoke", name=None, value=value))
    assert status == 400
    status, _ = teams_bot.send(activity(teams_bot.double, "message", value=value))
    assert status == 202


def test_a_redelivered_activity_is_handled_once(teams_bot: TeamsBotRunning) -> None:
    double = teams_bot.double
    message = mention_message(double, "decide We launch in March")
    assert teams_bot.send(message)[0] == 202
    assert teams_bot.send(message)[0] == 202
    assert len(double.posts(CHANNEL)) == 1
    poll_id = double.posts(CHANNEL)[0].answered_id
    assert poll_id is not None
    click = execute(double, "agree", 1, reply_to=poll_id, user="29:ben", user_name="Ben")
    teams_bot.send(click)
    teams_bot.send(click)
    teams_bot.wait_idle()
    snap = decisions.load(teams_bot.core, team_id=TENANT, decision_id=1)
    assert len(snap.ballots) == 1
    # Teams reuses a message's id for its edit: not a duplicate (and not a new command).
    edit = dict(message, type="messageUpdate")
    assert teams_bot.send(edit)[0] == 202


def test_edits_reuse_the_message_id_and_are_not_dropped_as_duplicates(
    teams_bot: TeamsBotRunning,
) -> None:
    double = teams_bot.double
    first = mention_message(double, "decide Alpha")
    teams_bot.send(first)
    # A message with the same id but another type is a different delivery.
    again = dict(first, type="message", id=first["id"] + "-other")
    teams_bot.send(again)
    assert len(double.posts(CHANNEL)) == 2


def test_channel_messages_without_a_mention_are_not_commands(teams_bot: TeamsBotRunning) -> None:
    double = teams_bot.double
    # A thread reply the bot hears through resource-specific consent: not a command.
    reply = activity(
        double,
        "message",
        text="decide We launch in March",
        conversation=f"{CHANNEL};messageid=1000",
    )
    assert teams_bot.send(reply)[0] == 202
    assert double.calls == []
    # In the personal chat no mention is needed.
    personal = activity(
        double,
        "message",
        text="decide We launch in March",
        conversation="a:chat-29:ana",
        conversation_type="personal",
    )
    assert teams_bot.send(personal)[0] == 202
    assert "D-1 — proposal" in double.posts("a:chat-29:ana")[0].card_text


def test_owner_mentions_become_ids(teams_bot: TeamsBotRunning) -> None:
    double = teams_bot.double
    message = mention_message(double, "decide We launch owner:<at>Ben</at>")
    message["entities"].append(
        {"type": "mention", "text": "<at>Ben</at>", "mentioned": {"id": "29:ben", "name": "Ben"}}
    )
    assert teams_bot.send(message)[0] == 202
    assert decisions.load(teams_bot.core, team_id=TENANT, decision_id=1).decision.owner_id == (
        "29:ben"
    )
