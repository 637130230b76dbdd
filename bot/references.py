"""What a platform adapter remembers to reach a workspace and its people later, across
restarts (Teams gives no other way to address a conversation proactively). Opaque to the core:
a small JSON object per (workspace, kind, id), written only when it changed."""

from __future__ import annotations

import json
import threading
from typing import Any

from bot.core import Core
from storage.db import read_scope, session_scope
from storage.references import load_reference, save_reference

Document = dict[str, Any]


class References:
    """Reads through, and writes only changes, with the latest copy kept in memory."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self._known: dict[tuple[str, str, str], Document] = {}
        self._lock = threading.Lock()

    def remember(self, team_id: str, kind: str, ref_id: str, data: Document) -> None:
        key = (team_id, kind, ref_id)
        with self._lock:
            if self._known.get(key) == data:
                return
            self._known[key] = dict(data)
        with session_scope(self.core.engine) as session:
            save_reference(
                session=session,
                team_id=team_id,
                kind=kind,
                ref_id=ref_id,
                data=json.dumps(data, sort_keys=True),
                now=self.core.clock.now(),
            )

    def recall(self, team_id: str, kind: str, ref_id: str) -> Document | None:
        key = (team_id, kind, ref_id)
        with self._lock:
            if key in self._known:
                return dict(self._known[key])
        with read_scope(self.core.engine) as session:
            raw = load_reference(session=session, team_id=team_id, kind=kind, ref_id=ref_id)
        if raw is None:
            return None
        try:
            found = json.loads(raw)
        except ValueError:
            return None
        if not isinstance(found, dict):
            return None
        with self._lock:
            self._known[key] = found
        return dict(found)
