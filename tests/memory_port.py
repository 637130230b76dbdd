"""An in-memory chat platform: the core's port with no Slack (or any) code. It keeps what the
core asked for as neutral views, so core tests read what each person was shown."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.port import MessageRef, PostFailed


@dataclass
class Posted:
    team: str
    place: str
    id: str
    view: object
    thread: str | None = None
    key: str | None = None
    history: list[object] = field(default_factory=list)  # earlier views, oldest first


@dataclass
class Told:
    team: str
    person: str
    notice: object
    place: str | None


@dataclass
class SentFile:
    team: str
    to: str
    filename: str
    data: bytes
    title: str
    comment: object | None


class MemoryPlatform:
    """`bot.port.ChatPlatform` in memory. `members`, `admins`, `zones` and `names` are set by
    tests; `refuse` makes posts in a place fail with a reason (`PostFailed`); `private` places
    are not public."""

    name = "memory"

    def __init__(self) -> None:
        self.messages: dict[tuple[str, str], Posted] = {}
        self.told: list[Told] = []
        self.dms: list[Posted] = []
        self.place_members: dict[str, set[str]] = {}
        self.admins: set[str] = set()
        self.zones: dict[str, str] = {}
        self.names: dict[str, str] = {}
        self.refuse: dict[str, str] = {}
        self.heard: set[str] = set()  # places the bot listens in
        self.private: set[str] = set()
        self.part_counts: dict[type, int] = {}  # messages a view type takes (default 1)
        self.files: list[SentFile] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

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
        if place in self.refuse:
            raise PostFailed(self.refuse[place])
        with self._lock:
            if key is not None:
                for m in self.messages.values():
                    if m.team == team and m.place == place and m.key == key:
                        return MessageRef(place, m.id)
            posted = Posted(team, place, f"{next(self._ids)}.000", view, thread, key)
            self.messages[(place, posted.id)] = posted
        return MessageRef(place, posted.id)

    def update(
        self, team: str, ref: MessageRef, latest: Callable[[], object | None], *, wait: bool = False
    ) -> None:
        view = latest()
        if view is None:
            return
        with self._lock:
            posted = self.messages[(ref.place, ref.id)]
            posted.history.append(posted.view)
            posted.view = view

    def parts(self, view: object) -> int:
        return self.part_counts.get(type(view), 1)

    def listen(self, team: str, place: str) -> None:
        if place in self.refuse:
            raise PostFailed(self.refuse[place])
        with self._lock:
            self.heard.add(place)

    def tell(self, team: str, person: str, notice: object, *, place: str | None = None) -> None:
        with self._lock:
            self.told.append(Told(team, person, notice, place))

    def dm(
        self,
        team: str,
        person: str,
        view: object,
        *,
        key: str | None = None,
        fallback: str | None = None,
    ) -> MessageRef:
        ref = self.post(team, f"D-{person}", view, key=key)
        with self._lock:
            self.dms.append(self.messages[(ref.place, ref.id)])
        return ref

    def timezone(self, team: str, person: str) -> str:
        return self.zones.get(person, "UTC")

    def display_name(self, team: str, person: str) -> str:
        return self.names.get(person, person)

    def is_admin(self, team: str, person: str) -> bool:
        return person in self.admins

    def members(self, team: str, place: str) -> frozenset[str]:
        return frozenset(self.place_members.get(place, set()))

    def permalink(self, team: str, ref: MessageRef) -> str | None:
        return f"memory://{ref.place}/{ref.id}"

    def people(self, team: str, place: str) -> frozenset[str] | None:
        found = self.place_members.get(place)
        return frozenset(found) if found is not None else None

    def is_public(self, team: str, place: str) -> bool:
        return place not in self.private

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
        if to in self.refuse:
            raise PostFailed(self.refuse[to])
        content = data.read_bytes() if isinstance(data, Path) else data
        with self._lock:
            self.files.append(SentFile(team, to, filename, content, title, comment))

    # --- what tests read ------------------------------------------------------------------

    def in_place(self, place: str, *, thread: str | None = None) -> list[Posted]:
        """Messages in `place` (top level, or replies in `thread`), oldest first."""
        return [m for m in self.messages.values() if m.place == place and m.thread == thread]

    def views_of(self, view_type: type) -> list[object]:
        return [m.view for m in self.messages.values() if isinstance(m.view, view_type)]

    def notices_for(self, person: str) -> list[object]:
        return [t.notice for t in self.told if t.person == person]

    def dms_to(self, person: str) -> list[object]:
        return [m.view for m in self.dms if m.place == f"D-{person}"]
