"""The platform port: what the core asks of a chat platform (Slack, Microsoft Teams, the
playground). Adapters live in `handlers/<platform>/`; tests use an in-memory one.

Places (channels, chats) and people are the platform's own ids, as strings. What must be
answered synchronously to a click (open a form, replace the clicked card, a private notice) is
not here: core functions return it as a value (`bot.views.Reply`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class MessageRef:
    """A message the bot posted: its place and its id (Slack: channel and ts)."""

    place: str
    id: str


class PostFailed(Exception):
    """The platform refused a post. `reason` is its word for why (Slack's error code, e.g.
    `not_in_channel`); `bot.views` notices are built from it by the core."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PostUnconfirmed(Exception):
    """The platform did not answer a post and the message is not (yet) there. A durable timer
    looks again later and posts it if it is still missing."""


class Unreachable(Exception):
    """The platform could not be reached or did not answer in time."""


@runtime_checkable
class ChatPlatform(Protocol):
    name: str

    def post(
        self,
        team: str,
        place: str,
        view: object,
        *,
        thread: str | None = None,
        key: str | None = None,
        look_first: bool = False,
    ) -> MessageRef:
        """Post `view` in `place` (in `thread`, a message id, when given). `key` names the post
        (e.g. `poll:7`): an adapter that may not hear back makes sure a keyed post exists once.
        `look_first` (a retry of a keyed post): find it before posting it again.
        Raises `PostFailed`, `PostUnconfirmed`."""
        ...

    def update(
        self, team: str, ref: MessageRef, latest: Callable[[], object | None], *, wait: bool = False
    ) -> None:
        """Show the latest state in `ref`. The adapter may coalesce bursts (rate limits) and
        calls `latest()` when it sends; `None` means there is nothing to show any more.
        `wait`: send now, in turn with the message's other updates, errors reaching the caller."""
        ...

    def parts(self, view: object) -> int:
        """How many messages `view` takes here (a long digest may take several; each is then
        posted as its own part view, e.g. `bot.views.narratives.DigestPart`)."""
        ...

    def listen(self, team: str, place: str) -> None:
        """Make sure the bot hears replies and reactions in `place` (Slack: join the channel).
        Raises `PostFailed` when it cannot."""
        ...

    def tell(self, team: str, person: str, notice: object, *, place: str | None = None) -> None:
        """A private note to `person`, in `place` when possible, else directly. Best effort:
        logs and returns when it cannot be delivered."""
        ...

    def dm(
        self,
        team: str,
        person: str,
        view: object,
        *,
        key: str | None = None,
        fallback: str | None = None,
    ) -> MessageRef:
        """Send `person` a direct message. A platform that may be refused a private chat
        (Teams, where the app is not installed for them) mentions them in `fallback` (a place)
        instead, else where it last saw them; the others ignore it.
        Raises `PostFailed`, `Unreachable`."""
        ...

    def timezone(self, team: str, person: str) -> str:
        """The person's IANA time zone; "UTC" when unknown."""
        ...

    def display_name(self, team: str, person: str) -> str: ...

    def is_admin(self, team: str, person: str) -> bool: ...

    def members(self, team: str, place: str) -> frozenset[str]: ...

    def permalink(self, team: str, ref: MessageRef) -> str | None: ...

    def people(self, team: str, place: str) -> frozenset[str] | None:
        """The people of `place`, bots left out (for "3 of 4 members answered"); None when
        the platform will not say."""
        ...

    def is_public(self, team: str, place: str) -> bool:
        """Whether everyone in the workspace may read `place`; False when unknown."""
        ...

    def send_file(
        self,
        team: str,
        to: str,
        filename: str,
        data: bytes | Path,
        title: str,
        *,
        comment: object | None = None,
    ) -> None:
        """Send a file to a person (directly) or into a place. `data` is the content or a file
        to stream from (a large export need not be held in memory); `comment` is a view shown
        with it (a `Notice`). Raises `PostFailed`, `Unreachable`."""
        ...
