"""What one feature adds to the Teams side, as tables the app merges (`handlers.teams.app`):

- `commands`: the first word after the bot's mention (`narrative`, `reflect`, ...) → listener
  `(answers, incoming, rest_of_text)`;
- `clicks`: a card button answered in place (`adaptiveCard/action`, or an `Action.Submit`
  message as fallback), by its verb → `(answers, incoming, data)` returning a reply value
  (`Notice`, `ReplaceCard`, None);
- `dialogs`: a button opening a dialog, by its verb → `Dialog(open, submit)`; `open(a, m, data)`
  returns `OpenForm`/`Notice`, `submit(a, m, data)` returns None, `FormErrors` (the dialog stays
  open showing them), `Afterwards` (run after the answer) or a `Notice`;
- `invokes`: other invoke names (e.g. `fileConsent/invoke`) → `(answers, incoming)` returning
  the invoke response body (or None);
- `activities`: activities that are not commands, by type — `message` (a channel message or
  thread reply that does not mention the bot), `messageUpdate`, `messageDelete`,
  `messageReaction` → `(answers, incoming)`; every feature's watcher of a type is called.

Verbs and invoke names are unique across features: the app refuses to start otherwise."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from handlers.teams.activity import Incoming
    from handlers.teams.answers import Answers

Listener = Callable[["Answers", "Incoming", str], object]
Click = Callable[["Answers", "Incoming", dict[str, Any]], object]
Invoke = Callable[["Answers", "Incoming"], dict[str, Any] | None]
Watcher = Callable[["Answers", "Incoming"], None]


@dataclass(frozen=True)
class Dialog:
    open: Click
    submit: Click


@dataclass(frozen=True)
class Feature:
    commands: Mapping[str, Listener] = field(default_factory=dict)
    clicks: Mapping[str, Click] = field(default_factory=dict)
    dialogs: Mapping[str, Dialog] = field(default_factory=dict)
    invokes: Mapping[str, Invoke] = field(default_factory=dict)
    activities: Mapping[str, Watcher] = field(default_factory=dict)


def merged(features: tuple[Feature, ...], table: str) -> dict[str, Any]:
    """One feature table across features; a key two features claim is a programming error."""
    out: dict[str, Any] = {}
    for feature in features:
        for key, value in getattr(feature, table).items():
            if key in out:
                raise ValueError(f"two Teams features claim the {table[:-1]} {key!r}")
            out[key] = value
    return out


def watchers(features: tuple[Feature, ...]) -> dict[str, list[Watcher]]:
    out: dict[str, list[Watcher]] = {}
    for feature in features:
        for kind, watcher in feature.activities.items():
            out.setdefault(kind, []).append(watcher)
    return out


def decision_of(data: Mapping[str, Any]) -> int | None:
    """The `decision` (or other numeric item id under `key`) a button carries, when valid."""
    return item_id(data, "decision")


def item_id(data: Mapping[str, Any], key: str) -> int | None:
    value = data.get(key)
    ok = isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**62
    return value if ok else None
