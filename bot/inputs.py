"""What any text or number a person sends must satisfy before the core keeps or uses it.

Control characters are dropped (PostgreSQL refuses NUL, and they could forge the placeholders
markup conversion uses); ids and numbers that do not fit the database are refused; each kind
of text has a length limit, and going over it is told to the person with the limit named.
"""

from __future__ import annotations

import re

# C0 control characters and DEL, except tab and line feed (a carriage return goes too).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_ID = re.compile(r"^[A-Z0-9]{1,32}$")
# Teams' ids: a kind prefix (`29:` a person, `19:` a channel or group chat, `a:` a 1:1 chat)
# and up to 255 characters without spaces, quotes or angle brackets.
_TEAMS_ID = re.compile(r"^(?:29|19|28|8|a):[A-Za-z0-9_@.;=:+/-]{1,250}$")
_NUMBER = re.compile(r"^[0-9]{1,18}$")  # ASCII digits only (`²` and `٣` are not numbers here)

SEARCH_CHARS = 500
TITLE_CHARS = 4000
TEXT_CHARS = 3000  # a proposal, a reason, what was learned: what one Slack text field holds


class InputTooLong(ValueError):
    """The text is longer than its limit; the message names the limit."""


def clean(text: str) -> str:
    """`text` without control characters other than tab and line feed."""
    return _CONTROL.sub("", text)


def too_long(text: str, limit: int, what: str) -> str | None:
    """What to tell the person when `text` is over `limit` characters; None when it fits."""
    if len(text) <= limit:
        return None
    return f"The {what} is {len(text):,} characters long; the limit is {limit:,} characters."


def bounded(text: str, limit: int, what: str, error: type[Exception] = InputTooLong) -> str:
    """`text` itself; `error` (with the limit named) when it is over `limit` characters."""
    if (message := too_long(text, limit, what)) is not None:
        raise error(message)
    return text


def parse_id(raw: object) -> int | None:
    """A database id from a button value or form metadata: ASCII digits that fit a 64-bit
    integer, else None."""
    text = str(raw if raw is not None else "").strip()
    return int(text) if _NUMBER.match(text) else None


def is_slack_id(raw: str) -> bool:
    """A user, channel or team id as Slack writes them (and the database holds: 32 characters),
    or a person's, channel's or chat's id as Teams writes them."""
    return bool(_ID.match(raw) or _TEAMS_ID.match(raw))
