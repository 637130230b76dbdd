"""Adaptive Card 1.5 renderers of the neutral views (pure functions registered with `renders`).

A message renders to a card; a form to a dialog's card. People appear as `<at>ID</at>`: the
platform swaps in the names it knows and adds the mention entities Teams needs."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from bot.views import Code, Link, Notice, Person, Place, Strong, Text, Tone

Card = dict[str, Any]
V = TypeVar("V")
RENDERERS: dict[type, Callable[[Any], Card]] = {}
PARTS: dict[type, Callable[[Any], int]] = {}
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
# Teams shows about 28 KB per message; text blocks are kept well inside that.
TEXT_LIMIT = 3000
MENTION = re.compile(r"<at>([^<]{1,255})</at>")
# What one message may weigh (JSON, UTF-8), well inside Teams' ~28 KB with mentions added:
# each mention also adds an entity (about 200 bytes counted).
MESSAGE_BYTES = 20_000
MENTION_BYTES = 200
CONTINUATIONS: dict[type, Callable[[Any, int, int], Card]] = {}


def renders(view_type: type[V]) -> Callable[[Callable[[V], Card]], Callable[[V], Card]]:
    """Register the Adaptive Card renderer of `view_type` (a decorator)."""

    def register(fn: Callable[[V], Card]) -> Callable[[V], Card]:
        RENDERERS[view_type] = fn
        return fn

    return register


def counts_parts(view_type: type[V]) -> Callable[[Callable[[V], int]], Callable[[V], int]]:
    """Register how many messages a view too long for one card takes (a decorator)."""

    def register(fn: Callable[[V], int]) -> Callable[[V], int]:
        PARTS[view_type] = fn
        return fn

    return register


def parts(view: object) -> int:
    """How many messages `view` takes (1 unless its renderer module says otherwise)."""
    render_modules()
    for cls in type(view).__mro__:
        if cls in PARTS:
            return PARTS[cls](view)
    return 1


def continues(
    view_type: type[V],
) -> Callable[[Callable[[V, int, int], Card]], Callable[[V, int, int], Card]]:
    """Register the card of part `index` (from 2) of `count` of a view too long for one
    message whose follow-up parts the platform posts itself, in the first part's thread (a
    decision's record, a decision-log record); the count is the view's `counts_parts`."""

    def register(fn: Callable[[V, int, int], Card]) -> Callable[[V, int, int], Card]:
        CONTINUATIONS[view_type] = fn
        return fn

    return register


@dataclass(frozen=True)
class Continued:
    """Teams only: part `index` (from 2) of `count` of `view` (see `continues`)."""

    view: object
    index: int
    count: int


def continued_parts(view: object) -> int:
    """Messages `view` takes when the platform posts its follow-up parts (1: nothing to add)."""
    render_modules()
    if not any(cls in CONTINUATIONS for cls in type(view).__mro__):
        return 1
    return parts(view)


def size(elements: list[dict[str, Any]]) -> int:
    """Bytes of card elements as sent (mentions counted with their entities)."""
    raw = json.dumps(elements, ensure_ascii=False)
    return len(raw.encode()) + MENTION_BYTES * raw.count("<at>")


def packed(
    groups: list[list[dict[str, Any]]], budget: int, *, first: int | None = None
) -> list[list[dict[str, Any]]]:
    """Groups of elements packed into messages of at most `budget` bytes (`first` for the
    first message), in order; a group is never split."""
    messages: list[list[dict[str, Any]]] = [[]]
    room = budget if first is None else first
    for group in groups:
        if messages[-1] and size(messages[-1] + group) > room:
            messages.append([])
            room = budget
        messages[-1].extend(group)
    return messages


def render_modules() -> None:
    from handlers.teams.cards import (  # noqa: F401 - registers
        decision_log,
        decisions,
        narratives,
        reflections,
    )


def render(view: object) -> Card:
    """The card of `view` (the renderer of its class or of the nearest base class)."""
    render_modules()

    for cls in type(view).__mro__:
        if cls in RENDERERS:
            return RENDERERS[cls](view)
    raise LookupError(f"no Teams card for {type(view).__name__}")


def user(text: str) -> str:
    """Text a person typed, as shown: it can never become a mention or markup."""
    cleaned = text.replace("<", "‹").replace(">", "›")
    return re.sub(r"([*_\[\]`#])", r"\\\1", cleaned)


def fit(text: str, limit: int = TEXT_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def mention(person: str) -> str:
    return f"<at>{person}</at>"


def when(at: datetime) -> str:
    """A time every reader sees in their own zone (Adaptive Cards' date functions)."""
    return (
        "{{DATE("
        + at.strftime("%Y-%m-%dT%H:%M:%SZ")
        + ", SHORT)}} {{TIME("
        + at.strftime("%Y-%m-%dT%H:%M:%SZ")
        + ")}}"
    )


def day(at: datetime) -> str:
    return "{{DATE(" + at.strftime("%Y-%m-%dT%H:%M:%SZ") + ", SHORT)}}"


def markdown(parts: Text) -> str:
    out: list[str] = []
    for p in parts:
        if isinstance(p, str):
            out.append(user(p))
        elif isinstance(p, Person):
            out.append(mention(p.id))
        elif isinstance(p, Place):
            out.append("this channel")
        elif isinstance(p, Strong):
            out.append(f"**{user(p.text)}**")
        elif isinstance(p, Code):
            out.append(user(p.text))
        elif isinstance(p, Link):
            out.append(f"[{user(p.label)}]({p.url})")
    return "".join(out)


def block(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": fit(text), "wrap": True, **extra}


def card(body: list[dict[str, Any]], actions: list[dict[str, Any]] | None = None) -> Card:
    made: Card = {"type": "AdaptiveCard", "$schema": SCHEMA, "version": "1.5", "body": body}
    if actions:
        made["actions"] = actions
    return made


def execute(
    title: str,
    verb: str,
    item: int,
    *,
    style: str | None = None,
    key: str = "decision",
    **more: Any,
) -> dict[str, Any]:
    """A button answered in place (`adaptiveCard/action`), with `Action.Submit` as fallback;
    its data names the item it acts on (`key`: a decision, a narrative, a review)."""
    data = {"verb": verb, key: item, **more}
    button: dict[str, Any] = {
        "type": "Action.Execute",
        "title": title,
        "verb": verb,
        "data": data,
        "fallback": {"type": "Action.Submit", "title": title, "data": data},
    }
    if style:
        button["style"] = style
    return button


def dialog(
    title: str,
    verb: str,
    item: int | None,
    *,
    style: str | None = None,
    key: str = "decision",
    **more: Any,
) -> dict[str, Any]:
    """A button that opens a dialog (`task/fetch`) about an item (`key`, as for `execute`)."""
    data = {"msteams": {"type": "task/fetch"}, "verb": verb, key: item, **more}
    button: dict[str, Any] = {"type": "Action.Submit", "title": title, "data": data}
    if style:
        button["style"] = style
    return button


_TONE = {Tone.INFO: "default", Tone.SUCCESS: "good", Tone.WARNING: "warning"}


@renders(Continued)
def render_continued(part: Continued) -> Card:
    for cls in type(part.view).__mro__:
        if cls in CONTINUATIONS:
            return CONTINUATIONS[cls](part.view, part.index, part.count)
    raise LookupError(f"no Teams continuation for {type(part.view).__name__}")


@renders(Notice)
def render_notice(view: Notice) -> Card:
    return card([block(markdown(view.body), color=_TONE.get(view.tone, "default"))])


def notice_text(view: Notice) -> str:
    """A notice as the plain words of an invoke's message response."""
    return MENTION.sub(r"\1", markdown(view.body)).replace("**", "")
