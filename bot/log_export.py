"""Exports of the decision log asked for in chat: the workbook is built after the request was
answered (`bot.export` writes it) and sent to the person through the port; a failure is told
to them privately."""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from pathlib import Path

from bot.access import Viewer
from bot.core import Core
from bot.decision_log import decision_channels, home_query
from bot.export import write_workbook
from bot.names import CHANNEL, PERSON, known_names, name_book
from bot.port import ChatPlatform
from bot.views import notice, warning
from bot.views.decision_log import HOME_STATUSES, HomeFilters
from storage.decision_log import LogQuery

log = logging.getLogger(__name__)

FAILED = "Sorry, your decision log export failed. Please try again later."
PRIVATE = "That channel is private and you are not a member, so I can't export it."
# Names looked up from the platform per export, at most (then names seen before, then ids).
NAME_LOOKUPS = 300

NameHeard = Callable[[str, str], None]


def parse_export_args(
    text: str, *, channel_of: Callable[[str], str | None] = lambda _token: None
) -> tuple[str | None, bool, datetime | None, tuple[str, ...]]:
    """`[all|#channel] [since:DATE] [status:a,b]` -> (channel, all, since, statuses), the same
    words on every platform. `channel_of` reads the platform's own channel mention (its id);
    a plain `#name` is kept as typed, for the caller to resolve."""
    channel: str | None = None
    everything = False
    since: datetime | None = None
    statuses: tuple[str, ...] = ()
    for token in text.split():
        lower = token.lower()
        if lower == "all":
            everything = True
        elif (mentioned := channel_of(token)) is not None:
            channel = mentioned
        elif token.startswith("#") and len(token) > 1:
            channel = token
        elif lower.startswith("since:"):
            try:
                day = date.fromisoformat(token[6:])
            except ValueError:
                raise ValueError(
                    f"since must be a date like `2026-01-31`, not `{token[6:100]}`."
                ) from None
            since = datetime.combine(day, time(0, 0), tzinfo=UTC)
        elif lower.startswith("status:"):
            wanted = tuple(
                s.strip().replace(" ", "_").replace("-", "_") for s in lower[7:].split(",")
            )
            unknown = [s for s in wanted if s not in HOME_STATUSES]
            if unknown or not wanted:
                raise ValueError(
                    f"status must be one or more of {', '.join(HOME_STATUSES)} (comma-separated)."
                )
            statuses = wanted
        else:
            raise ValueError(
                f"I don't understand `{token[:100]}`; pick a channel from the list (`#name`), "
                "`all`, `since:DATE` or `status:...`."
            )
    return channel, everything, since, statuses


@dataclass(frozen=True)
class ExportRequest:
    team_id: str
    user_id: str
    query: LogQuery


def start_export(
    core: Core,
    platform: ChatPlatform,
    request: ExportRequest,
    *,
    viewer: Viewer,
    place_name: Callable[[str], str | None] | None = None,
) -> Future[None]:
    """Queue the export; it runs after the request was answered. One export at a time: each
    streams to disk with flat memory, and a burst of requests waits here."""
    worker = core.shared(
        "exports",
        lambda: ThreadPoolExecutor(max_workers=1, thread_name_prefix="export"),
        close=lambda pool: pool.shutdown(wait=True),
        first=True,
    )
    return worker.submit(export_log, core, platform, request, viewer=viewer, place_name=place_name)


def export_log(
    core: Core,
    platform: ChatPlatform,
    request: ExportRequest,
    *,
    viewer: Viewer,
    place_name: Callable[[str], str | None] | None = None,
) -> None:
    """Build the workbook and send it to the person; tell them privately when it fails.
    `viewer`: what the person may see; `place_name`: a place's name as the platform says."""
    try:
        _export(core, platform, request, viewer=viewer, place_name=place_name)
    except Exception:  # noqa: BLE001 - tell the requester; the log has the details
        log.exception("export for %s (team %s) failed", request.user_id, request.team_id)
        platform.tell(request.team_id, request.user_id, warning(FAILED))


def _export(
    core: Core,
    platform: ChatPlatform,
    request: ExportRequest,
    *,
    viewer: Viewer,
    place_name: Callable[[str], str | None] | None,
) -> None:
    team, user = request.team_id, request.user_id
    channel = request.query.channel_id
    if channel and not viewer.sees(channel):
        platform.tell(team, user, notice(PRIVATE))
        return
    hidden = frozenset(c for c in decision_channels(core, team_id=team) if not viewer.sees(c))
    query = replace(request.query, hidden_channels=hidden)
    tz = platform.timezone(team, user)
    people, places = known_names(core.engine, team_id=team)
    book = name_book(core)

    def heard(kind: str) -> NameHeard:
        return lambda ref, name: book.saw(team_id=team, kind=kind, names={ref: name})

    fd, path = tempfile.mkstemp(prefix="decision-log-", suffix=".xlsx")
    os.close(fd)
    try:
        summary = write_workbook(
            engine=core.engine,
            team_id=team,
            query=query,
            out=path,
            tz=tz,
            names=PeopleNames(platform, team, known=people, on_name=heard(PERSON)),
            channel_names=PlaceNames(place_name, known=places, on_name=heard(CHANNEL)),
        )
        day = core.clock.now().date().isoformat()
        count = summary.rows.get("Decisions", 0)
        platform.send_file(
            team,
            user,
            f"decision-log-{day}.xlsx",
            Path(path),
            f"Decision log {day}",
            comment=notice(
                f"Your decision log export: {count} decision{'s' if count != 1 else ''}"
                f" (times in {tz})."
            ),
        )
    finally:
        os.unlink(path)


class PeopleNames(Mapping[str, str]):
    """Person id -> display name, asked of the platform on demand (at most `limit` times, then
    the names in `known`, then ids). `on_name(id, name)` hears each name the platform gave."""

    def __init__(
        self,
        platform: ChatPlatform,
        team: str,
        *,
        known: Mapping[str, str],
        on_name: NameHeard,
        limit: int = NAME_LOOKUPS,
    ) -> None:
        self.platform, self.team, self.known, self.on_name, self.limit = (
            platform,
            team,
            known,
            on_name,
            limit,
        )
        self._names: dict[str, str] = {}

    def __getitem__(self, person: str) -> str:
        if person in self._names:
            return self._names[person]
        fallback = self.known.get(person, person)
        if len(self._names) >= self.limit:
            return fallback
        found = self.platform.display_name(self.team, person)
        # The platform answers the id itself when it knows no name.
        if found and found != person:
            self.on_name(person, found)
            name = found
        else:
            name = fallback
        self._names[person] = name
        return name

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


class PlaceNames(Mapping[str, str]):
    """Place id -> name, from `place_name` (else the names in `known`, else the id)."""

    def __init__(
        self,
        place_name: Callable[[str], str | None] | None,
        *,
        known: Mapping[str, str],
        on_name: NameHeard,
    ) -> None:
        self.place_name, self.known, self.on_name = place_name, known, on_name

    def __getitem__(self, place: str) -> str:
        found = self.place_name(place) if self.place_name is not None else None
        if found:
            self.on_name(place, found)
        return found or self.known.get(place) or place

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def export_request(
    *,
    team_id: str,
    user_id: str,
    channel_id: str | None = None,
    since: datetime | None = None,
    statuses: tuple[str, ...] = (),
) -> ExportRequest:
    """`/decisions export [channel] [since:DATE] [status:…]`."""
    return ExportRequest(
        team_id, user_id, LogQuery(channel_id=channel_id, since=since, statuses=statuses)
    )


def home_export_request(
    core: Core, *, team_id: str, user_id: str, filters: HomeFilters
) -> ExportRequest:
    """What the Home tab shows, with its filters (what the person may see is settled later)."""
    return ExportRequest(team_id, user_id, home_query(core, filters, frozenset()))
