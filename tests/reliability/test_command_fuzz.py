"""Every slash command given empty, huge, malformed, emoji and mention-laden text, end to end:
a 200, never the generic error, and never a broadcast mention in anything the bot sends."""

from __future__ import annotations

import json
import logging

import pytest

from handlers.slack.errors import GENERIC_ERROR
from tests.conftest import RunningBot
from tests.signed import Reply
from tests.slack_double import Call

BROADCASTS = ("<!channel>", "<!here>", "<!everyone>")
MENTIONS = "<!channel> <!here> <!everyone> <@U0BOB> <#C0X|x> <!subteam^S1|team> & < > &amp; <<>>"
HUGE = ("Forty kilobytes of <!channel> words & more " * 1000)[:40_000]
COMMON = [
    "",
    "   ",
    HUGE,
    MENTIONS,
    "🚀 Ship it 🎉 ünïcödé — 漢字 \u200b\u202e reversed",
    "%%% \\ \" ' ` * _ ~ {} [] ; DROP TABLE decisions; --",
    "\t\n\r<!here>\n",
]
SUBCOMMANDS = {
    "/narrative": [
        "<!channel> 20m Q3 plan",
        "20m <@U0BOB> <!here> read this https://docs.example.com/q3",
        "99h <!everyone>",
        "0m x",
        "status <!here>",
        "end <!channel>",
        "help <!here>",
        "5m " + HUGE,
    ],
    "/decide": [
        "<!channel> confidence:200%",
        "We ship <!here> door:sideways review:blursday owner:<!channel>",
        "confidence: review: owner: door: closes:",
        "We launch closes:25:00 confidence:-5%",
        "We launch review:9999-99-99 owner:<@U0BOB>",
        "help <!everyone>",
    ],
    "/decisions": [
        "search <!here>",
        "search",
        "search & < > %_\\",
        "log <!channel> confidence:abc owner:<@U0X>",
        "log",
        "D-99999999999999999999999",
        "D-1 <!here>",
        "export #nonexistent since:garbage status:nonsense",
        "export <!channel>",
        "stats <!everyone>",
        "mine <!here>",
        "due <!channel>",
    ],
    "/reflect": [
        "every blursday 25:00",
        "every monday 09:00 <!channel>",
        "now <!channel>",
        "now for 99999999h",
        "pick 999999999999999999999",
        "pick <!here>",
        "questions <!here>",
        "monthly <!here>",
        "off <!everyone>",
        "status <!channel>",
        "<!channel>",
    ],
}
CASES = [(command, text) for command in SUBCOMMANDS for text in COMMON + SUBCOMMANDS[command]]


def _said(call: Call) -> str:
    """Whatever a call could show to people: text, blocks, attachments, views."""
    shown = {k: call.params.get(k) for k in ("text", "blocks", "attachments", "view")}
    return json.dumps(shown, ensure_ascii=False)


@pytest.mark.parametrize("command", list(SUBCOMMANDS))
def test_every_command_survives_hostile_text(
    bot: RunningBot, command: str, caplog: pytest.LogCaptureFixture
) -> None:
    slack = bot.slack
    slack.users["U0BOB"] = {"name": "bob"}
    replies: list[tuple[str, Reply]] = []
    with caplog.at_level(logging.ERROR, logger="narrative.errors"):
        for i, text in enumerate(COMMON + SUBCOMMANDS[command]):
            reply = bot.client.command(
                command,
                text,
                user_id="U0ALICE",
                trigger_id=f"trig-{i}",
                response_url=slack.response_url(f"r{i}"),
            )
            replies.append((text, reply))
        bot.wait_idle(timeout=30)
    problems: list[str] = []
    for text, reply in replies:
        if reply.status != 200:
            problems.append(f"{text[:50]!r}: HTTP {reply.status}")
        if GENERIC_ERROR in reply.body:
            problems.append(f"{text[:50]!r}: generic error in the answer")
        for mention in BROADCASTS:
            if mention in reply.body:
                problems.append(f"{text[:50]!r}: {mention} in the answer {reply.body[:200]!r}")
    failed = [r for r in caplog.records if r.name == "narrative.errors"]
    problems += [f"listener failed: {r.getMessage()}" for r in failed]
    for call in slack.calls():
        said = _said(call)
        if GENERIC_ERROR in said:
            problems.append(f"{call.method}: generic error")
        for mention in BROADCASTS:
            if mention in said:
                at = said.index(mention)
                problems.append(f"{call.method}: {mention} in {said[max(0, at - 120) : at + 40]!r}")
    assert not problems, "\n".join(problems)
    if command in ("/narrative", "/decide"):
        # The hostile text really was posted, defused (the test is not passing vacuously).
        posted = [_said(c) for c in slack.calls("chat.postMessage") if c.error is None]
        assert any("@channel" in s or "&lt;!channel&gt;" in s for s in posted), posted[:3]
