"""Slack's message markup in, plain text out (stored by the core, escaped again when shown)."""

from __future__ import annotations

import re

from bot.inputs import clean

_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_CHANNEL = re.compile(r"<#([CG][A-Z0-9]+)(?:\|([^>]*))?>")
_SPECIAL = re.compile(r"<!(here|channel|everyone)(?:\|[^>]*)?>")
_GROUP = re.compile(r"<!subteam\^[A-Z0-9]+(?:\|([^>]*))?>")
_DATE = re.compile(r"<!date\^[^|>]*\|([^>]*)>")
_OTHER_SPECIAL = re.compile(r"<![^>]*>")
_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>")


def to_plain(text: str) -> str:
    """Turn Slack markup into what the person typed.

    `@here`/`@channel` become inert words, links become `label (url)`, channels `#name`, and
    `&lt;`/`&gt;`/`&amp;` their characters. User mentions stay `<@U…>` so that they can be
    shown as mentions again (see `handlers.slack.render.escape_keep_users`).
    """
    # Control characters are dropped first: the person cannot send the placeholders below.
    text = _USER.sub(lambda m: f"\x00{m.group(1)}\x01", clean(text))
    text = _SPECIAL.sub(lambda m: "@" + m.group(1), text)
    text = _GROUP.sub(lambda m: m.group(1) or "@group", text)
    text = _DATE.sub(lambda m: m.group(1), text)
    text = _OTHER_SPECIAL.sub("", text)
    text = _CHANNEL.sub(lambda m: "#" + (m.group(2) or m.group(1)), text)
    text = _LINK.sub(_link, text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return text.replace("\x00", "<@").replace("\x01", ">")


def _link(match: re.Match[str]) -> str:
    url, label = match.group(1), match.group(2)
    if not label or label == url or url.endswith(label):
        return url
    return f"{label} ({url})"
