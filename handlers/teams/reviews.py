"""Decision reviews in Teams (the owner's Keep / Amend / Reverse / Snooze): not built yet."""

from __future__ import annotations

from handlers.teams.feature import Feature

FEATURE = Feature()
