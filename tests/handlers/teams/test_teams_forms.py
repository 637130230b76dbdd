"""Teams forms and fallbacks: `decide` alone opens the proposal dialog through a card button;
an `Action.Submit` fallback click (a message with `value`) votes; Amend opens its dialog."""

from __future__ import annotations

from bot import decisions
from bot.vocabulary import DecisionStatus, Stance
from tests.handlers.teams.conftest import TeamsBotRunning
from tests.teams_double import CHANNEL, TENANT, activity, execute, mention_message, task


def test_decide_alone_offers_the_proposal_dialog(teams_bot: TeamsBotRunning) -> None:
    double, send = teams_bot.double, teams_bot.send
    assert send(mention_message(double, "decide"))[0] == 202
    offer = double.posts(CHANNEL)[0]
    assert offer.card is not None
    (button,) = offer.card["actions"]
    assert button["title"] == "Propose a decision"
    assert button["data"]["msteams"] == {"type": "task/fetch"}
    status, body = send(task(double, "task/fetch", button["data"]))
    assert status == 200 and body["task"]["value"]["title"] == "Propose a decision"
    fields = {
        item["id"] for item in body["task"]["value"]["card"]["content"]["body"] if "id" in item
    }
    assert {"proposal", "confidence", "door", "review", "closes", "anonymous"} <= fields
    # A confidence out of range keeps the dialog open, saying what to fix.
    submitted = {**button["data"], "proposal": "We launch in March", "confidence": "150"}
    status, body = send(task(double, "task/submit", submitted))
    assert body["task"]["type"] == "continue"
    assert "confidence_error" in str(body["task"]["value"]["card"])
    status, body = send(task(double, "task/submit", {**submitted, "confidence": "60"}))
    assert (status, body) == (200, None)
    teams_bot.wait_idle()
    poll = double.posts(CHANNEL)[-1]
    assert "D-1 — proposal" in poll.card_text and "60%" in poll.card_text


def test_an_action_submit_fallback_click_votes(teams_bot: TeamsBotRunning) -> None:
    double, send = teams_bot.double, teams_bot.send
    send(mention_message(double, "decide We launch in March"))
    poll_id = double.posts(CHANNEL)[0].answered_id
    click = activity(
        double,
        "message",
        user="29:ben",
        user_name="Ben",
        replyToId=poll_id,
        value={"verb": "agree", "decision": 1},
    )
    assert send(click) == (202, None)
    snap = decisions.load(teams_bot.core, team_id=TENANT, decision_id=1)
    assert snap.voters(Stance.AGREE) == ("29:ben",)


def test_the_owner_amends_a_halted_decision_in_a_dialog(teams_bot: TeamsBotRunning) -> None:
    double, send = teams_bot.double, teams_bot.send
    send(mention_message(double, "decide We launch in March"))
    send(task(double, "task/submit", {"verb": "finalize", "decision": 1, "final_text": "Go"}))
    teams_bot.wait_idle()
    send(
        task(
            double,
            "task/submit",
            {"verb": "andon", "decision": 1, "reason": "Legal"},
            user="29:ben",
            user_name="Ben",
        )
    )
    teams_bot.wait_idle()
    # Ben may not resolve it; Ana, the owner, amends it.
    status, body = send(execute(double, "resume", 1, reply_to="x", user="29:ben", user_name="Ben"))
    assert "owner" in body["value"]
    status, body = send(task(double, "task/fetch", {"verb": "amend", "decision": 1}))
    assert body["task"]["value"]["title"] == "Amend"
    status, body = send(
        task(
            double,
            "task/submit",
            {"verb": "amend", "decision": 1, "final_text": "We launch in May"},
        )
    )
    assert (status, body) == (200, None)
    teams_bot.wait_idle()
    snap = decisions.load(teams_bot.core, team_id=TENANT, decision_id=1)
    # Amending an Andon pull rewords the decision in force.
    assert snap.decision.status == DecisionStatus.ACTIVE
    assert snap.decision.final_text == "We launch in May"
    assert any("amended" in c.card_text for c in double.posts(CHANNEL))
