"""slack_sdk's installation and OAuth state tables live in Narrative's database (created by
migration 0007) but are that library's, not models: the model comparison leaves them out."""

from __future__ import annotations

from typing import Any

from storage import search

SLACK_INSTALLATION_TABLES = ("slack_installations", "slack_bots")
SLACK_OAUTH_TABLES = frozenset({*SLACK_INSTALLATION_TABLES, "slack_oauth_states"})


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Alembic's filter: neither the search index's tables nor slack_sdk's are compared."""
    if type_ == "table" and name in SLACK_OAUTH_TABLES:
        return False
    return search.include_name(name, type_, parent_names)
