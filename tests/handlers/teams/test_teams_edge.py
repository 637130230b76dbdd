"""The Teams endpoint: what each activity is answered with, and what it changes."""

from __future__ import annotations

from tests.handlers.teams.conftest import TeamsBotRunning
from tests.teams_double import CHANNEL, mention_message


def test_a_typed_decide_posts_a_poll_and_answers_202(teams_bot: TeamsBotRunning) -> None:
    status, body = teams_bot.send(mention_message(teams_bot.double, "decide We launch in March"))
    assert (status, body) == (202, None)
    posts = teams_bot.double.posts(CHANNEL)
    assert len(posts) == 1
    assert "D-1 — proposal" in posts[0].card_text
    assert "We launch in March" in posts[0].card_text
