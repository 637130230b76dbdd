"""`bot/` is the Slack-free core: no module in it imports Slack's SDKs (a Teams adapter will sit
beside the Slack one on the same core)."""

from __future__ import annotations

import ast
from pathlib import Path

import bot

FORBIDDEN = ("slack_bolt", "slack_sdk")
BOT_DIR = Path(bot.__file__).parent


def imported_modules(source: str) -> list[tuple[int, str]]:
    """(line, module) for every absolute import in `source`, however deeply nested."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return sorted(found)


def forbidden_imports(source: str) -> list[tuple[int, str]]:
    return [
        (line, name) for line, name in imported_modules(source) if name.split(".")[0] in FORBIDDEN
    ]


def test_no_bot_module_imports_slack() -> None:
    files = sorted(BOT_DIR.rglob("*.py"))
    assert BOT_DIR / "timers.py" in files
    offenders = [
        f"{path.relative_to(BOT_DIR.parent)}:{line} imports {name}"
        for path in files
        for line, name in forbidden_imports(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_the_walk_finds_every_form_of_import() -> None:
    source = (
        "import slack_sdk\n"
        "import os, slack_bolt.app as bolt\n"
        "from slack_sdk.errors import SlackApiError\n"
        "def later():\n"
        "    from slack_bolt import App\n"
        "try:\n"
        "    import slack_sdk.web\n"
        "except ImportError:\n"
        "    pass\n"
        "from . import slack_sdk_like\n"
        "import slackish\n"
    )
    assert [name for _line, name in forbidden_imports(source)] == [
        "slack_sdk",
        "slack_bolt.app",
        "slack_sdk.errors",
        "slack_bolt",
        "slack_sdk.web",
    ]
