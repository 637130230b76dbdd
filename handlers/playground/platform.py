"""The playground as an implementation of the core's port (`bot.port.ChatPlatform`): a small
chat workspace held in memory (its decisions, narratives and rounds are the core's, in SQLite).

Messages keep the neutral views the core posted; the page renders them as HTML for whoever is
looking (`handlers.playground.html`). Private notices are kept per person and shown to that
person only. Every change bumps `version`, which the page polls to refresh itself.
"""

from __future__ import annotations

import itertools
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from bot.clock import Clock
from bot.port import MessageRef
from bot.vocabulary import PlatformName

TEAM = "TPLAYGROUND"


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    role: str
    admin: bool = False


PEOPLE = (
    Person("UANA", "Ana", "the owner"),
    Person("UBEN", "Ben", ""),
    Person("UCAROL", "Carol", ""),
    Person("UDAVE", "Dave", ""),
    Person("UADMIN", "Admin", "workspace admin", admin=True),
)
CHANNELS = {"CGENERAL": "general", "CPRICING": "pricing"}
BY_ID = {p.id: p for p in PEOPLE}


def dm_place(person: str) -> str:
    """The direct-message place between the bot and `person`."""
    return f"D{person}"


@dataclass
class Message:
    """A message in a place: the bot's (a neutral `view`) or a person's (`author` and `text`)."""

    id: str
    place: str
    at: datetime
    view: object | None = None
    author: str | None = None
    text: str = ""
    thread: str | None = None
    key: str | None = None
    upvotes: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Told:
    id: int
    person: str
    notice: object
    place: str | None
    at: datetime


@dataclass(frozen=True)
class SentFile:
    id: int
    to: str
    filename: str
    data: bytes
    title: str


@dataclass(frozen=True)
class FileLink:
    """A file sent to a person, as a message: its name and where it downloads."""

    file_id: int
    filename: str
    title: str
    comment: object | None


class PlaygroundClock:
    """The playground's own clock: real time moved forward by what the clock control added."""

    def __init__(self, now: Callable[[], datetime]) -> None:
        self._now = now
        self._offset = timedelta()
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now() + self._offset

    def advance(self, by: timedelta) -> None:
        with self._lock:
            self._offset += by


class PlaygroundPlatform:
    """`bot.port.ChatPlatform` for the local workspace: no token, no network."""

    name = PlatformName.PLAYGROUND.value

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.messages: dict[str, Message] = {}
        self.told: list[Told] = []
        self.files: dict[int, SentFile] = {}
        self.version = 0
        # Message ids carry this run's mark: with a kept database (`--db`), the core may still
        # hold the ids of an earlier run's messages, which must never name a new message.
        self._run = uuid.uuid4().hex[:6]
        self._ids = itertools.count(1)
        self._lock = threading.RLock()

    def _changed(self) -> None:
        self.version += 1

    def _new_id(self) -> str:
        return f"{self._run}-{next(self._ids)}"

    # --- the port -------------------------------------------------------------------------

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
        with self._lock:
            if key is not None:
                for m in self.messages.values():
                    if m.place == place and m.key == key:
                        return MessageRef(place, m.id)
            message = Message(
                self._new_id(), place, self.clock.now(), view=view, thread=thread, key=key
            )
            self.messages[message.id] = message
            self._changed()
        return MessageRef(place, message.id)

    def update(
        self, team: str, ref: MessageRef, latest: Callable[[], object | None], *, wait: bool = False
    ) -> None:
        view = latest()
        if view is None:
            return
        with self._lock:
            message = self.messages.get(ref.id)
            if message is not None:
                message.view = view
                self._changed()

    def parts(self, view: object) -> int:
        return 1  # a page has no length limit

    def listen(self, team: str, place: str) -> None:
        return None  # the playground hears every place

    def tell(self, team: str, person: str, notice: object, *, place: str | None = None) -> None:
        with self._lock:
            self.told.append(Told(len(self.told) + 1, person, notice, place, self.clock.now()))
            self._changed()

    def dm(
        self,
        team: str,
        person: str,
        view: object,
        *,
        key: str | None = None,
        fallback: str | None = None,
    ) -> MessageRef:
        return self.post(team, dm_place(person), view, key=key)

    def timezone(self, team: str, person: str) -> str:
        return "UTC"

    def display_name(self, team: str, person: str) -> str:
        found = BY_ID.get(person)
        return found.name if found else person

    def is_admin(self, team: str, person: str) -> bool:
        found = BY_ID.get(person)
        return bool(found and found.admin)

    def members(self, team: str, place: str) -> frozenset[str]:
        return frozenset(BY_ID)

    def permalink(self, team: str, ref: MessageRef) -> str | None:
        return f"#m{ref.id}"

    def people(self, team: str, place: str) -> frozenset[str] | None:
        return frozenset(BY_ID)

    def is_public(self, team: str, place: str) -> bool:
        return True

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
        content = data.read_bytes() if isinstance(data, Path) else data
        with self._lock:
            sent = SentFile(len(self.files) + 1, to, filename, content, title)
            self.files[sent.id] = sent
        place = to if to in CHANNELS else dm_place(to)
        self.post(team, place, FileLink(sent.id, filename, title, comment))

    # --- what people do -------------------------------------------------------------------

    def say(self, place: str, author: str, text: str, *, thread: str | None = None) -> Message:
        """A person's message in `place` (in `thread` when given)."""
        with self._lock:
            message = Message(
                self._new_id(), place, self.clock.now(), author=author, text=text, thread=thread
            )
            self.messages[message.id] = message
            self._changed()
        return message

    def edit(self, message_id: str, person: str, text: str) -> Message | None:
        """`person` rewrites their own message; None when it is not theirs (or not there)."""
        with self._lock:
            message = self.messages.get(message_id)
            if message is None or message.author != person:
                return None
            message.text = text
            self._changed()
        return message

    def thumbs_up(self, message_id: str, person: str) -> bool | None:
        """Toggle `person`'s 👍 on a message: True when added, None when no such message."""
        with self._lock:
            message = self.messages.get(message_id)
            if message is None:
                return None
            added = person not in message.upvotes
            if added:
                message.upvotes.add(person)
            else:
                message.upvotes.discard(person)
            self._changed()
        return added

    def replace(self, message_id: str, view: object) -> None:
        with self._lock:
            message = self.messages.get(message_id)
            if message is not None:
                message.view = view
                self._changed()

    def clock_moved(self) -> None:
        with self._lock:
            self._changed()

    # --- what a page shows ------------------------------------------------------------------

    def in_place(self, place: str, *, thread: str | None = None) -> list[Message]:
        with self._lock:
            return [m for m in self.messages.values() if m.place == place and m.thread == thread]

    def replies(self, message_id: str) -> int:
        with self._lock:
            return sum(1 for m in self.messages.values() if m.thread == message_id)

    def notices_for(self, person: str) -> list[Told]:
        """What `person` was told privately (theirs only), oldest first."""
        with self._lock:
            return [t for t in self.told if t.person == person]
