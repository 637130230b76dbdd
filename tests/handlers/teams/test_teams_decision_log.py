"""`@Narrative decisions …` in Teams: the log, search, due, mine, one record, stats and
`decisions log`, answered privately with cards (in the sender's 1:1 chat), paged."""

from __future__ import annotations

from bot.decision_log import LIST_PAGE
from tests.handlers.teams.conftest import TeamsBotRunning
from tests.teams_double import CHANNEL, TeamsDouble, activity, mention_message

ANA = "29:ana"


def ask(bot: TeamsBotRunning, text: str, **kw: object) -> str:
    """Send `@Narrative <text>`; the text of the card Ana then gets in her 1:1 chat."""
    double = bot.double
    before = len(double.posts(double.chat_of(ANA)))
    status, _ = bot.send(mention_message(double, text, **kw))  # type: ignore[arg-type]
    assert status == 202
    return double.wait_for(lambda: double.posts(double.chat_of(ANA))[before:])[-1].card_text


def test_the_log_search_mine_due_a_record_and_stats(teams_bot: TeamsBotRunning) -> None:
    listed = ask(teams_bot, "decisions log We ship daily confidence:80%")
    assert "Logged **D-1**" in listed
    announced = teams_bot.double.posts(CHANNEL)[-1].card_text
    assert "logged **D-1**: We ship daily" in announced
    ask(teams_bot, "decisions log We hire two engineers review:3d")

    latest = ask(teams_bot, "decisions")
    assert "D-1" in latest and "D-2" in latest and "We ship daily" in latest
    found = ask(teams_bot, "decisions search ship")
    assert "We ship daily" in found and "We hire" not in found
    mine = ask(teams_bot, "decisions mine")
    assert "D-1" in mine and "D-2" in mine
    due = ask(teams_bot, "decisions due")
    assert "D-2" in due and "D-1" not in due
    record = ask(teams_bot, "/decisions D-1")
    assert "**D-1**" in record and "**Decision:** We ship daily" in record and "80%" in record
    stats = ask(teams_bot, "decisions stats")
    assert "Decision log — input metrics" in stats and "Decisions (last 30 days)" in stats
    assert "There is no decision D-99" in ask(teams_bot, "decisions D-99")
    assert "decisions search WORDS" in ask(teams_bot, "decisions what")


def test_a_long_log_is_paged_with_next_and_previous(teams_bot: TeamsBotRunning) -> None:
    for n in range(LIST_PAGE + 2):
        ask(teams_bot, f"decisions log Decision number {n}")
    double = teams_bot.double
    ask(teams_bot, "decisions")
    first = double.posts(double.chat_of(ANA))[-1]
    assert first.card is not None
    (button,) = first.card["actions"]
    assert button["title"] == "Next ▶"
    status, body = teams_bot.send(
        activity(
            double,
            "invoke",
            name="adaptiveCard/action",
            replyToId=first.answered_id,
            value={
                "action": {"type": "Action.Execute", "verb": button["verb"], "data": button["data"]}
            },
        )
    )
    assert status == 200 and body["type"] == "application/vnd.microsoft.card.adaptive"
    page_two = json_text(body["value"])
    assert f"{LIST_PAGE + 1}–{LIST_PAGE + 2}" in page_two
    assert [a["title"] for a in body["value"]["actions"]] == ["◀ Previous"]


def test_a_tampered_page_button_changes_nothing(teams_bot: TeamsBotRunning) -> None:
    double: TeamsDouble = teams_bot.double
    for data in (
        {"listing": "nope", "arg": "", "page": 1},
        {"listing": "channel", "arg": "", "page": -3},
        {"listing": "search", "arg": "x" * 10_000, "page": 0},
    ):
        status, body = teams_bot.send(
            activity(
                double,
                "invoke",
                name="adaptiveCard/action",
                value={"action": {"verb": "log_page", "data": {"verb": "log_page", **data}}},
            )
        )
        assert status == 200 and "not known" in body["value"]


def json_text(card: object) -> str:
    import json

    return json.dumps(card, ensure_ascii=False)
