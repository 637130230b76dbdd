"""Excel exports requested in Slack: built in a worker thread after the request was acknowledged,
then sent to the requester as a direct message (files upload v2)."""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace

from slack_sdk import WebClient

from bot.core import Core
from bot.decision_log import decision_channels
from bot.export import write_workbook
from bot.names import CHANNEL, PERSON, known_names, name_book
from handlers.directory import ChannelNames, SlackNames, hidden_channels, may_see, open_dm
from handlers.slack import user_timezone
from storage.decision_log import LogQuery

log = logging.getLogger(__name__)

# One export at a time: each streams to disk with flat memory, and a burst of requests queues
# here instead of taking Bolt's listener threads.
_worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="export")


@dataclass(frozen=True)
class ExportRequest:
    team_id: str
    user_id: str
    query: LogQuery


def start_export(client: WebClient, core: Core, request: ExportRequest) -> Future[None]:
    return _worker.submit(_run, client, core, request)


def _run(client: WebClient, core: Core, request: ExportRequest) -> None:
    try:
        deliver_export(client, core, request)
    except Exception:  # noqa: BLE001 - tell the requester; the log has the details
        log.exception("export for %s (team %s) failed", request.user_id, request.team_id)
        try:
            client.chat_postMessage(
                channel=open_dm(client, request.user_id),
                text=":warning: Sorry, your decision log export failed. Please try again later.",
            )
        except Exception:  # noqa: BLE001
            log.warning("could not tell %s that the export failed", request.user_id)


def deliver_export(client: WebClient, core: Core, request: ExportRequest) -> None:
    user = request.user_id
    channel = request.query.channel_id
    if channel and not may_see(client, user, channel):
        client.chat_postMessage(
            channel=open_dm(client, user),
            text="That channel is private and you are not a member, so I can't export it.",
        )
        return
    channels = decision_channels(core, team_id=request.team_id)
    query = replace(request.query, hidden_channels=hidden_channels(client, user, channels))
    tz = user_timezone(client, user)
    people, places = known_names(core.engine, team_id=request.team_id)
    book = name_book(core)

    def heard(kind: str) -> Callable[[str, str], None]:
        def note(ref: str, name: str) -> None:
            book.saw(team_id=request.team_id, kind=kind, names={ref: name})

        return note

    fd, path = tempfile.mkstemp(prefix="decision-log-", suffix=".xlsx")
    os.close(fd)
    try:
        summary = write_workbook(
            engine=core.engine,
            team_id=request.team_id,
            query=query,
            out=path,
            tz=tz,
            names=SlackNames(client, known=people, on_name=heard(PERSON)),
            channel_names=ChannelNames(client, known=places, on_name=heard(CHANNEL)),
        )
        day = core.clock.now().date().isoformat()
        count = summary.rows.get("Decisions", 0)
        client.files_upload_v2(
            channel=open_dm(client, user),
            file=path,
            filename=f"decision-log-{day}.xlsx",
            title=f"Decision log {day}",
            initial_comment=f"Your decision log export: {count} decision{'s' if count != 1 else ''}"
            f" (times in {tz}).",
        )
    finally:
        os.unlink(path)
