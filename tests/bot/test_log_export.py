"""Exports asked for in chat: refused and failed deliveries are told to the person privately."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy.engine import Engine

from bot import log_export
from bot.access import Viewer, everyone_sees
from bot.views import Notice, Tone, plain
from storage.decision_log import LogQuery
from tests.log_helpers import TEAM, add_decision, make_core
from tests.memory_port import MemoryPlatform


def _export(engine: Engine, memory: MemoryPlatform, viewer: Viewer, query: LogQuery) -> None:
    core = make_core(engine)
    core.add_platform(memory)
    log_export.export_log(
        core, memory, log_export.ExportRequest(TEAM, viewer.user_id, query), viewer=viewer
    )


def test_a_refused_upload_is_told_privately(engine: Engine) -> None:
    add_decision(engine)
    memory = MemoryPlatform()
    memory.refuse["U0ANA"] = "not_allowed"
    _export(engine, memory, Viewer("U0ANA", may_see=everyone_sees), LogQuery())
    assert memory.files == []
    [told] = memory.notices_for("U0ANA")
    assert isinstance(told, Notice) and told.tone == Tone.WARNING
    assert plain(told.body) == log_export.FAILED


def test_a_private_channel_the_person_is_not_in_is_not_exported(engine: Engine) -> None:
    add_decision(engine, channel_id="C0SECRET")
    memory = MemoryPlatform()
    viewer = Viewer("U0ANA", may_see=lambda channel: channel != "C0SECRET")
    _export(engine, memory, viewer, LogQuery(channel_id="C0SECRET"))
    assert memory.files == []
    [told] = memory.notices_for("U0ANA")
    assert isinstance(told, Notice) and plain(told.body) == log_export.PRIVATE
    # Asked for everything, the secret channel's decision is left out.
    _export(engine, memory, viewer, LogQuery())
    [sent] = memory.files
    rows = list(load_workbook(io.BytesIO(sent.data))["Decisions"].iter_rows(values_only=True))
    assert rows[0][0] == "ID" and rows[1:] == []
    assert plain(sent.comment.body).startswith("Your decision log export: 0 decisions")  # type: ignore[union-attr]
