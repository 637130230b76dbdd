"""Commands as Slack sends them with `should_escape: true` (manifest.yml): mentions arrive as
`<@U…|name>`, channels as `<#C…|name>`, links as `<url|label>` and `& < >` as `&amp; &lt; &gt;`.
Every command stores what the person typed, not Slack's escaping."""

from __future__ import annotations

import json

from freezegun import freeze_time

from tests.conftest import RunningBot
from tests.handlers.slack.decision_helpers import (
    decision_row,
    message_text,
    propose,
    wait_shown,
    wait_until,
)
from tests.handlers.slack.test_narratives_e2e import (
    ANA,
    BEN,
    CHANNEL,
    OWNER,
    all_text,
    message_ts,
    narrative_row,
    start,
)
from tests.handlers.slack.test_reflections import _answers, _rounds


def test_narrative_link_with_an_escaped_ampersand_is_stored_and_shown_as_typed(
    bot: RunningBot,
) -> None:
    posted = start(
        bot,
        f"15m <@{ANA}|ana> <@{BEN}|ben> R&amp;D plan <https://docs.example.com/doc?id=7&amp;tab=2>",
    )
    row = narrative_row(bot)
    assert row.title == "R&D plan"
    assert row.link == "https://docs.example.com/doc?id=7&tab=2"
    assert row.reading_seconds == 15 * 60
    shown = all_text(bot.slack.messages[(CHANNEL, message_ts(bot, posted))]["blocks"])
    assert "R&amp;D plan" in shown
    assert "https://docs.example.com/doc?id=7&amp;tab=2" in shown
    assert "&amp;amp;" not in shown
    assert row.owner_id == OWNER


def test_reflection_thread_reply_is_stored_as_typed_and_its_mentions_stay_mentions(
    bot: RunningBot,
) -> None:
    bot.slack.channel_members[CHANNEL] = [OWNER, ANA, BEN]
    with freeze_time("2026-12-01 09:00:00", tick=True) as clock:
        reply = bot.client.command("/reflect", "now", user_id=OWNER, channel_id=CHANNEL)
        assert reply.status == 200
        wait_until(lambda: bool(_rounds(bot)) and bool(_rounds(bot)[0].message_ts))
        round_ts = str(_rounds(bot)[0].message_ts)
        bot.client.message(
            CHANNEL,
            "2. Pricing &amp; churn &lt;3 — ask <@U0BEN|ben> <!channel>",
            user=ANA,
            thread_ts=round_ts,
        )
        wait_until(lambda: len(_answers(bot)) == 1)
        assert _answers(bot)[0].text == "Pricing & churn <3 — ask <@U0BEN> @channel"
        clock.move_to("2026-12-03 09:00:30")
        bot.run_timers()
        digest = bot.slack.wait_for(
            "chat.postMessage", predicate=lambda c: c.params.get("thread_ts") == round_ts
        )[0]
        shown = json.dumps(digest.params.get("blocks"), ensure_ascii=False)
        assert "Pricing &amp; churn &lt;3 — ask <@U0BEN> @channel" in shown
        assert "&amp;amp;" not in shown and "<!channel>" not in shown


def _private(bot: RunningBot, name: str) -> str:
    bot.slack.wait_for("response_url", predicate=lambda c: c.params.get("_id") == name)
    return "\n".join(
        str(c.params.get("text", "")) + "\n" + message_text(c.params)
        for c in bot.slack.calls("response_url")
        if c.params.get("_id") == name
    )


def test_decide_and_decisions_read_escaped_text_as_typed(bot: RunningBot) -> None:
    poll_ts, _ = propose(
        bot,
        "R&amp;D moves to <#C0LAB|lab> &lt;now&gt; owner:<@U0ANA|ana> confidence:55%",
    )
    row = decision_row(bot)
    assert row.proposal == "R&D moves to #lab <now>"
    assert row.owner_id == ANA and row.confidence == 55
    poll = wait_shown(bot.slack, CHANNEL, poll_ts, "R&amp;D moves to #lab &lt;now&gt;")
    assert "&amp;amp;" not in poll

    reply = bot.client.command(
        "/decisions",
        "log Q&amp;A moves to Fridays owner:<@U0BEN|ben> review:30d",
        user_id=OWNER,
        channel_id=CHANNEL,
    )
    assert "Logged *D-2*" in reply.json()["text"]
    logged = decision_row(bot, 2)
    assert logged.proposal == "Q&A moves to Fridays" and logged.owner_id == BEN

    url = bot.slack.response_url("search")
    bot.client.command("/decisions", "search Q&amp;A", channel_id=CHANNEL, response_url=url)
    found = _private(bot, "search")
    assert "D-2" in found and "D-1" not in found

    reply = bot.client.command("/decisions", "export <#C0GENERAL|general>", user_id=OWNER)
    assert "Preparing" in reply.json()["text"]
    bot.slack.wait_for("files.completeUploadExternal", timeout=20)
