"""Commands as Slack sends them with `should_escape: true` (manifest.yml): mentions arrive as
`<@U…|name>`, channels as `<#C…|name>`, links as `<url|label>` and `& < >` as `&amp; &lt; &gt;`.
Every command stores what the person typed, not Slack's escaping."""

from __future__ import annotations

import json

from freezegun import freeze_time

from tests.conftest import RunningBot
from tests.handlers.decision_helpers import wait_until
from tests.handlers.test_narratives_e2e import (
    ANA,
    BEN,
    CHANNEL,
    OWNER,
    all_text,
    message_ts,
    narrative_row,
    start,
)
from tests.handlers.test_reflections import _answers, _rounds


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
