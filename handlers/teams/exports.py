"""The decision log's workbook in Teams (`decisions export`, the file consent card): not built
yet."""

from __future__ import annotations

from handlers.teams.feature import Feature

FEATURE = Feature()
