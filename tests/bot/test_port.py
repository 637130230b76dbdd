"""The platform port: the Slack adapter and the in-memory one both satisfy it, and neutral text
becomes mrkdwn only in the Slack renderer."""

from __future__ import annotations

from bot.port import ChatPlatform
from bot.views import Code, Link, Person, Place, Strong, plain, text, warning
from handlers.slack.platform import SlackPlatform, mrkdwn, render
from tests.memory_port import MemoryPlatform


def test_both_platforms_satisfy_the_port() -> None:
    assert isinstance(MemoryPlatform(), ChatPlatform)
    wanted = {n for n in vars(ChatPlatform) if not n.startswith("_")} - {"name"}
    assert wanted >= {"post", "update", "tell", "dm", "timezone", "members"}
    assert all(callable(getattr(SlackPlatform, n, None)) for n in wanted)
    assert SlackPlatform.name == "slack"


def test_neutral_text_becomes_escaped_mrkdwn_with_mentions() -> None:
    parts = text(
        "<!channel> & ",
        Person("U1"),
        " in ",
        Place("C1"),
        ": ",
        Strong("D-7"),
        " ",
        Code("x"),
        " ",
        Link("https://example.invalid/a", "the doc"),
    )
    assert mrkdwn(parts) == (
        "&lt;!channel&gt; &amp; <@U1> in <#C1>: *D-7* `x` <https://example.invalid/a|the doc>"
    )
    assert plain(parts) == "<!channel> & U1 in C1: D-7 x the doc"


def test_a_warning_notice_renders_with_its_sign() -> None:
    assert render(warning("No ", Strong("such"), " decision.")) == {
        "text": ":warning: No *such* decision."
    }
