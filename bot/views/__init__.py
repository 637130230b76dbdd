"""Neutral views: what a message, a notice or a form says, as small frozen dataclasses.

The core's flows produce them; each platform renders them (Block Kit in `handlers/slack`,
Adaptive Cards and HTML next). Nothing here is markup: text is a tuple of inline parts, and
people travel as `Person` references that only a renderer turns into a mention.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True)
class Person:
    """A mention of a person by their platform id."""

    id: str


@dataclass(frozen=True)
class Place:
    """A mention of a channel (or chat) by its platform id."""

    id: str


@dataclass(frozen=True)
class Strong:
    text: str


@dataclass(frozen=True)
class Code:
    text: str


@dataclass(frozen=True)
class Link:
    url: str
    label: str


Inline = str | Person | Place | Strong | Code | Link
Text = tuple[Inline, ...]


def text(*parts: Inline) -> Text:
    """`text("Decision ", Strong("D-7"), " was finalized by ", Person("U1"))`."""
    return tuple(p for p in parts if p != "")


def plain(parts: Text) -> str:
    """The words alone (people and places by id): for logs and tests."""
    out: list[str] = []
    for p in parts:
        if isinstance(p, str):
            out.append(p)
        elif isinstance(p, Person | Place):
            out.append(p.id)
        elif isinstance(p, Link):
            out.append(p.label)
        else:
            out.append(p.text)
    return "".join(out)


class Tone(StrEnum):
    INFO = "info"
    SUCCESS = "success"
    WARNING = "warning"


@dataclass(frozen=True)
class Notice:
    """A private note to one person (Slack: ephemeral; elsewhere a private reply or a DM)."""

    body: Text
    tone: Tone = Tone.INFO


def notice(*parts: Inline, tone: Tone = Tone.INFO) -> Notice:
    return Notice(text(*parts), tone)


def warning(*parts: Inline) -> Notice:
    return Notice(text(*parts), Tone.WARNING)


# --- what a click is answered with -----------------------------------------------------------
# Teams delivers forms and card updates only in the response to the click, so the core returns
# them as values and each platform performs them its own way.


@dataclass(frozen=True)
class OpenForm:
    """Open `form` (a form view) for the person who clicked."""

    form: object


@dataclass(frozen=True)
class ReplaceCard:
    """Replace the clicked message with `view`."""

    view: object


@dataclass(frozen=True)
class FormErrors:
    """Keep the form open and show these messages by field name."""

    errors: tuple[tuple[str, str], ...]


Reply = Notice | OpenForm | ReplaceCard | FormErrors | None
