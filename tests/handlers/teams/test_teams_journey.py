"""The whole decision journey in Teams, through the Teams double, on SQLite and PostgreSQL:
propose, three stances with reasons, finalize with new wording, the commit request and the
commitment, the Andon cord pulled and resolved. The same story as the Slack one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot import decisions
from bot.vocabulary import DecisionStatus, Stance
from tests.handlers.teams.conftest import TeamsBotRunning
from tests.teams_double import CHANNEL, TeamsDouble, execute, mention_message, task

ANA, BEN, CY, DAN = "29:ana", "29:ben", "29:cy", "29:dan"
NAMES = {ANA: "Ana", BEN: "Ben", CY: "Cy", DAN: "Dan"}


@pytest.fixture
def running(teams: TeamsDouble, any_db_url: str) -> Iterator[TeamsBotRunning]:
    bot = TeamsBotRunning(teams, any_db_url)
    yield bot
    bot.stop()


def who(person: str) -> dict[str, str]:
    return {"user": person, "user_name": NAMES[person]}


def test_the_decision_journey_in_teams(running: TeamsBotRunning) -> None:
    double, send = running.double, running.send
    # Ana proposes by mentioning the bot; the poll card appears in the channel.
    status, _ = send(
        mention_message(double, "decide We launch in March confidence:60%", **who(ANA))
    )
    assert status == 202
    poll = double.posts(CHANNEL)[0]
    assert "D-1 — proposal" in poll.card_text and "We launch in March" in poll.card_text
    titles = [a["title"] for a in poll.card["actions"]]
    assert titles == ["Agree", "Disagree, but commit", "Disagree", "Finalize"]
    poll_id = poll.answered_id
    assert poll_id is not None

    # Ben agrees (Action.Execute): answered in the invoke, the vote on disk, the card updated.
    status, body = send(execute(double, "agree", 1, reply_to=poll_id, **who(BEN)))
    assert status == 200 and body["statusCode"] == 200
    double.wait_for(lambda: any("**Agree:** 1" in c.card_text for c in double.updates(poll_id)))

    # Cy disagrees but commits: the button opens the reason dialog; an empty reason is refused
    # with a card saying what to fix, then the reason is recorded.
    status, body = send(
        task(double, "task/fetch", {"verb": "disagree_commit", "decision": 1}, **who(CY))
    )
    assert status == 200 and body["task"]["type"] == "continue"
    assert body["task"]["value"]["title"] == "Why do you disagree?"
    status, body = send(
        task(
            double,
            "task/submit",
            {"verb": "disagree_commit", "decision": 1, "reason": " "},
            **who(CY),
        )
    )
    assert status == 200 and body["task"]["type"] == "continue"
    assert "reason" in str(body["task"]["value"]["card"]).lower()
    status, body = send(
        task(
            double,
            "task/submit",
            {"verb": "disagree_commit", "decision": 1, "reason": "Too early for EMEA"},
            **who(CY),
        )
    )
    assert (status, body) == (200, None)
    # Dan disagrees plainly.
    status, body = send(
        task(
            double,
            "task/submit",
            {"verb": "disagree", "decision": 1, "reason": "Support is not staffed"},
            **who(DAN),
        )
    )
    assert (status, body) == (200, None)
    snap = decisions.load(running.core, team_id="tenant-1", decision_id=1)
    assert snap.voters(Stance.AGREE) == (BEN,)
    assert {b.user_id: b.reason for b in snap.dissents} == {
        CY: "Too early for EMEA",
        DAN: "Support is not staffed",
    }
    double.wait_for(
        lambda: any(
            "**Disagree:** 1" in c.card_text and "**Disagree, but commit:** 1" in c.card_text
            for c in double.updates(poll_id)
        )
    )

    # Someone else cannot finalize; Ana, the owner, finalizes in new words.
    status, body = send(task(double, "task/fetch", {"verb": "finalize", "decision": 1}, **who(BEN)))
    assert body["task"]["type"] == "message" and "owner" in body["task"]["value"]
    status, body = send(task(double, "task/fetch", {"verb": "finalize", "decision": 1}, **who(ANA)))
    assert body["task"]["value"]["title"] == "Finalize"
    status, body = send(
        task(
            double,
            "task/submit",
            {"verb": "finalize", "decision": 1, "final_text": "We launch on 1 April"},
            **who(ANA),
        )
    )
    assert (status, body) == (200, None)
    running.wait_idle()
    record = [c for c in double.posts(CHANNEL) if c.activity_id == poll_id]
    assert len(record) == 1 and "We launch on 1 April" in record[0].card_text
    assert "Support is not staffed" in record[0].card_text
    assert "Pull the Andon cord" in [a["title"] for a in record[0].card["actions"]]
    assert "Decision D-1" in double.updates(poll_id)[-1].card_text

    # Dan, the plain dissenter, gets the commit request in a new 1:1 chat, and commits.
    request = double.wait_for(lambda: double.posts(double.chat_of(DAN)))[0]
    assert [a["title"] for a in request.card["actions"]] == ["I disagree and commit"]
    assert not double.posts(double.chat_of(CY))  # Cy committed when voting
    status, body = send(
        execute(
            double,
            "commit",
            1,
            reply_to=request.answered_id,
            **who(DAN),
            conversation=double.chat_of(DAN),
            conversation_type="personal",
        )
    )
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    assert "You disagreed and committed" in str(body["value"])
    snap = decisions.load(running.core, team_id="tenant-1", decision_id=1)
    assert snap.uncommitted_dissenters == ()

    # Ben pulls the Andon cord; Ana hears of it directly and resumes the decision.
    status, body = send(task(double, "task/fetch", {"verb": "andon", "decision": 1}, **who(BEN)))
    assert body["task"]["value"]["title"] == "Pull the Andon cord"
    status, body = send(
        task(
            double,
            "task/submit",
            {"verb": "andon", "decision": 1, "reason": "Legal has not signed off"},
            **who(BEN),
        )
    )
    assert (status, body) == (200, None)
    running.wait_idle()
    assert decisions.load(running.core, team_id="tenant-1", decision_id=1).decision.status == (
        DecisionStatus.HALTED
    )
    alert = double.wait_for(lambda: double.posts(double.chat_of(ANA)))[-1]
    assert "Legal has not signed off" in alert.card_text
    assert [a["title"] for a in alert.card["actions"]] == ["Resume", "Amend", "Reverse"]
    status, body = send(
        execute(
            double,
            "resume",
            1,
            reply_to=alert.answered_id,
            **who(ANA),
            conversation=double.chat_of(ANA),
            conversation_type="personal",
        )
    )
    assert status == 200
    running.wait_idle()
    assert decisions.load(running.core, team_id="tenant-1", decision_id=1).decision.status == (
        DecisionStatus.ACTIVE
    )
    resolved = [c for c in double.posts(CHANNEL) if c.activity_id == poll_id]
    assert "resumed" in resolved[-1].card_text


def test_a_click_from_another_tenant_changes_nothing(running: TeamsBotRunning) -> None:
    double, send = running.double, running.send
    send(mention_message(double, "decide We launch in March", **who(ANA)))
    poll_id = double.posts(CHANNEL)[0].answered_id
    assert poll_id is not None
    status, body = send(
        execute(double, "agree", 1, reply_to=poll_id, tenant="tenant-2", **who(BEN))
    )
    assert status == 200 and "not found" in body["value"]
    status, body = send(
        task(
            double,
            "task/submit",
            {"verb": "disagree", "decision": 1, "reason": "no"},
            tenant="tenant-2",
            **who(BEN),
        )
    )
    assert body["task"] == {
        "type": "message",
        "value": "That decision was not found in this workspace.",
    }
    running.wait_idle()
    snap = decisions.load(running.core, team_id="tenant-1", decision_id=1)
    assert snap.ballots == ()
    assert double.updates(poll_id) == []
