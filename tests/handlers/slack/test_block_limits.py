"""User text of any length reaches Slack within Block Kit's limits (the Slack double refuses
oversize blocks as Slack does), and only a real "cannot post here" says to invite the bot."""

from __future__ import annotations

import json

from freezegun import freeze_time

from tests.conftest import RunningBot
from tests.handlers.slack.test_narratives_e2e import (
    CHANNEL,
    OWNER,
    blocks_of,
    digest_messages,
    message_ts,
    narrative_row,
    reply_in_thread,
    start,
)

LONG_TITLE = ("Q3 plan & <pricing> for " * 200)[:3500]


def test_a_narrative_with_a_very_long_title_is_posted_and_digested(bot: RunningBot) -> None:
    with freeze_time("2026-12-01 09:00:00", tick=True) as clock:
        posted = start(bot, f"5m {LONG_TITLE}")
        assert posted.error is None
        assert narrative_row(bot).state == "reading"
        assert narrative_row(bot).title == " ".join(LONG_TITLE.split())
        shown = json.dumps(blocks_of(posted), ensure_ascii=False)
        assert "Q3 plan &amp; &lt;pricing&gt; for" in shown and "…" in shown
        assert not [c for c in bot.slack.calls("chat.postEphemeral") if "invite" in str(c.params)]

        ts = message_ts(bot, posted)
        reply_in_thread(bot, ts, "U0ANA", "What about churn?")
        bot.slack.wait_for("reactions.add")
        clock.move_to("2026-12-01 09:05:01")
        bot.run_timers()
        digests = digest_messages(bot, ts)
        assert len(digests) == 1
        assert "What about churn?" in json.dumps(blocks_of(digests[0]))
        updates = [c for c in bot.slack.calls("chat.update") if c.params.get("ts") == ts]
        assert updates and all(c.error is None for c in updates)


def test_a_post_refused_for_another_reason_does_not_say_invite_me(bot: RunningBot) -> None:
    bot.slack.fail_next("chat.postMessage", error="invalid_blocks")
    reply = bot.client.command("/narrative", "Q3 plan", user_id=OWNER, channel_id=CHANNEL)
    assert reply.status == 200
    told = bot.slack.wait_for("chat.postEphemeral")[0]
    assert told.params["user"] == OWNER
    assert "/invite" not in told.params["text"]
    assert "could not post the narrative" in told.params["text"]
    assert narrative_row(bot).state == "ended"


def test_fit_cuts_within_the_limit_and_never_inside_markup() -> None:
    from handlers.slack.render import fit

    assert fit("short", 10) == "short"
    assert fit("ab &amp; cd", 5) == "ab …"
    assert fit("x <@U123> y", 6) == "x …"
    assert fit("x <!date^1^{date}|2026> y", 10) == "x …"
    long = "a &lt; " * 1000
    assert len(fit(long, 3000)) <= 3000 and fit(long, 3000).endswith("…")
