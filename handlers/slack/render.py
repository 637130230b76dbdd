"""Block Kit helpers shared by every feature's builders. Pure functions, no Slack calls."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

# Block Kit's limits (Slack refuses a message or view that breaks one, `invalid_blocks`).
SECTION_TEXT_LIMIT = 3000
MESSAGE_BLOCK_LIMIT = 50
VIEW_BLOCK_LIMIT = 100
HEADER_TEXT_LIMIT = 150
BUTTON_TEXT_LIMIT = 75
OPTION_TEXT_LIMIT = 75
FIELD_TEXT_LIMIT = 2000
CONTEXT_TEXT_LIMIT = 2000
LABEL_LIMIT = 2000
INPUT_VALUE_LIMIT = 3000
VIEW_TITLE_LIMIT = 24


def escape(text: str) -> str:
    """Escape user text for mrkdwn: `<!channel>` and friends can never be produced from it."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_ESCAPED_USER = re.compile(r"&lt;@([UW][A-Z0-9]+)&gt;")


def escape_keep_users(text: str) -> str:
    """`escape`, but user mentions (`<@U…>`, as `handlers.slack.text.to_plain` keeps them) stay
    mentions. Nothing else can be produced: `@channel` and links stay inert."""
    return _ESCAPED_USER.sub(r"<@\1>", escape(text))


_OPEN_ENTITY = re.compile(r"&[a-z]{0,4}$")


def fit(text: str, limit: int) -> str:
    """`text` in at most `limit` characters, ending in "…" when it had to be cut.

    The cut never falls inside mrkdwn markup (`&amp;`, `<@U…>`, `<!date^…>`, `<url|label>`), so
    what is left is still what the person wrote, escaped. Safe for plain text too."""
    if len(text) <= limit:
        return text
    cut = max(limit - 1, 0)
    opened, closed = text.rfind("<", 0, cut), text.rfind(">", 0, cut)
    if opened > closed:
        cut = opened
    if entity := _OPEN_ENTITY.search(text, 0, cut):
        cut = entity.start()
    return text[:cut] + "…"


def mention(user_id: str) -> str:
    return f"<@{user_id}>"


def slack_date(at: datetime, fmt: str = "{date_short_pretty} at {time}") -> str:
    """A time that every reader sees in their own time zone (Slack's date formatting)."""
    ts = int(at.timestamp())
    fallback = at.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{ts}^{fmt}|{fallback}>"


def section(text: str, **extra: Any) -> dict[str, Any]:
    """A mrkdwn section; text beyond Slack's limit is cut (split long text with `split_text`)."""
    return {
        "type": "section",
        "text": {"type": "mrkdwn", "text": fit(text, SECTION_TEXT_LIMIT)},
        **extra,
    }


def context(text: str) -> dict[str, Any]:
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": fit(text, CONTEXT_TEXT_LIMIT)}],
    }


def plain(text: str, limit: int) -> dict[str, Any]:
    """A plain_text object fitted to `limit` (a label, an option, a title)."""
    return {"type": "plain_text", "text": fit(text, limit), "emoji": True}


def divider() -> dict[str, Any]:
    return {"type": "divider"}


def button(
    text: str, action_id: str, value: str = "", *, style: str | None = None
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "text": plain(text, BUTTON_TEXT_LIMIT),
        "action_id": action_id,
        "value": value,
    }
    if style:
        element["style"] = style
    return element


def actions(*elements: dict[str, Any], block_id: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "actions", "elements": list(elements)}
    if block_id:
        block["block_id"] = block_id
    return block


def split_text(text: str, limit: int = SECTION_TEXT_LIMIT) -> list[str]:
    """Split text into pieces of at most `limit` characters, at line or word breaks when possible.

    Nothing is cut: joining the pieces gives back every character.
    """
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit)
        if cut <= limit // 2:
            cut = rest.rfind(" ", 0, limit)
        if cut <= limit // 2:
            cut = limit
        pieces.append(rest[:cut])
        rest = rest[cut:]
    if rest or not pieces:
        pieces.append(rest)
    return pieces


def text_sections(text: str, limit: int = SECTION_TEXT_LIMIT) -> list[dict[str, Any]]:
    return [section(piece) for piece in split_text(text, limit) if piece.strip()]


def chunk_blocks(
    blocks: Iterable[dict[str, Any]], limit: int = MESSAGE_BLOCK_LIMIT
) -> list[list[dict[str, Any]]]:
    """Split a block list into messages of at most `limit` blocks each."""
    messages: list[list[dict[str, Any]]] = [[]]
    for block in blocks:
        if len(messages[-1]) >= limit:
            messages.append([])
        messages[-1].append(block)
    return [m for m in messages if m]


def ephemeral(text: str) -> dict[str, Any]:
    """A private reply body for `respond()` / `ack()`."""
    return {"response_type": "ephemeral", "text": text}
