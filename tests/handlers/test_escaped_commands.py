"""Commands as Slack sends them with `should_escape: true` (manifest.yml): mentions arrive as
`<@U…|name>`, channels as `<#C…|name>`, links as `<url|label>` and `& < >` as `&amp; &lt; &gt;`.
Every command stores what the person typed, not Slack's escaping."""

from __future__ import annotations

from tests.conftest import RunningBot
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
