"""`bot/` and `storage/` are the platform-free core: no module in them imports the edge
(`handlers`), a chat platform's SDK or an HTTP server, and no string in them carries Slack's
markup (each platform renders neutral views its own way)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import bot
import storage

FORBIDDEN = ("handlers", "slack_bolt", "slack_sdk", "microsoft_agents", "aiohttp", "waitress")
BOT_DIR = Path(bot.__file__).parent
STORAGE_DIR = Path(storage.__file__).parent
ROOT = BOT_DIR.parent
CORE_DIRS = (BOT_DIR, STORAGE_DIR)

# Slack's markup: mentions (`<@U…>`, `<#C…>`, `<!here>`), *bold*, :emoji_name: and
# <https://…|label> links. In an f-string each interpolation reads as `{}`.
MARKUP = re.compile(
    r"<[@#]"
    r"|<![a-z{]"
    r"|(?<![\w*])\*(?=[\w{])[^*\n]*(?<=[\w}.!?)])\*(?![\w*])"
    r"|(?<![\w:]):[a-z0-9_+\-]+:(?![\w:/])"
    r"|<(?:https?:|mailto:|\{\})[^|>\s]*\|[^>]*>"
)
# Strings that look like markup and are not.
NOT_MARKUP = frozenset(
    {
        ":memory:",  # SQLite's in-memory database, refused by name in bot/config.py
    }
)


def core_files() -> list[Path]:
    return sorted(path for folder in CORE_DIRS for path in folder.rglob("*.py"))


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


def _docstrings(tree: ast.AST) -> set[int]:
    """The ids of the docstring nodes of a module, its classes and functions."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                found.add(id(first.value))
    return found


def string_constants(source: str) -> list[tuple[int, str]]:
    """(line, text) for every string in `source` but docstrings; an f-string is one text with
    `{}` for each interpolation."""
    tree = ast.parse(source)
    skipped = _docstrings(tree)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            parts = []
            for value in node.values:
                skipped.update(id(inner) for inner in ast.walk(value))
                is_text = isinstance(value, ast.Constant) and isinstance(value.value, str)
                parts.append(value.value if is_text else "{}")  # type: ignore[union-attr]
            found.append((node.lineno, "".join(parts)))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in skipped
        ):
            found.append((node.lineno, node.value))
    return sorted(found)


def slack_markup(source: str) -> list[tuple[int, str]]:
    """(line, text) of the strings in `source` that carry Slack markup."""
    return [
        (line, text)
        for line, text in string_constants(source)
        if text not in NOT_MARKUP and MARKUP.search(text)
    ]


def test_no_core_module_imports_the_edge_a_platform_or_a_server() -> None:
    files = core_files()
    assert BOT_DIR / "timers.py" in files and STORAGE_DIR / "models.py" in files
    offenders = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in files
        for line, name in forbidden_imports(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_no_core_string_carries_slack_markup() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{line} {text!r}"
        for path in core_files()
        for line, text in slack_markup(path.read_text(encoding="utf-8"))
    ]
    assert offenders == [], "Slack markup belongs in handlers/ (render a neutral view there)"


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
        "from handlers.slack.runtime import run\n"
        "import handlers\n"
        "from microsoft_agents.hosting.core import TurnContext\n"
        "if True:\n"
        "    from aiohttp import web\n"
        "import waitress.server\n"
        "import handlers_like, aiohttp_jinja\n"
        "from .handlers import x\n"
    )
    assert [name for _line, name in forbidden_imports(source)] == [
        "slack_sdk",
        "slack_bolt.app",
        "slack_sdk.errors",
        "slack_bolt",
        "slack_sdk.web",
        "handlers.slack.runtime",
        "handlers",
        "microsoft_agents.hosting.core",
        "aiohttp",
        "waitress.server",
    ]


def test_the_walk_finds_slack_markup_in_strings_not_docstrings() -> None:
    source = (
        '"""Module doc: <@U123> and *bold* are fine here."""\n'
        "class Poll:\n"
        '    """<!here> in a docstring."""\n'
        "def owner(user: str, title: str, url: str) -> list[str]:\n"
        '    """:tada: also fine."""\n'
        "    return [\n"
        '        f"Ask <@{user}> first",\n'
        '        f"*{title}* is final",\n'
        '        "vote *Disagree, but commit* instead",\n'
        '        "in <#C0GENERAL>",\n'
        '        "<!channel> look",\n'
        '        ":white_check_mark: done",\n'
        '        f"<{url}|the record>",\n'
        '        "<https://example.com/x|docs>",\n'
        "    ]\n"
        "PLAIN = [\n"
        '    "Only the owner can finalize it.",\n'
        '    "a * b * c", "2 * 3", "*.py", "SELECT count(*)",\n'
        '    r"(?<!\\S)(https?://[^\\s<>|]+)", r"(?<![\\w-])D-(\\d+)", r"[-*•])\\s*",\n'
        '    "12:30:45", "https://example.com", "postgresql://u@h/db", ":memory:",\n'
        '    "<https://example.com>", f"{user}: {title}",\n'
        "]\n"
    )
    assert [line for line, _text in slack_markup(source)] == [7, 8, 9, 10, 11, 12, 13, 14]
    assert (8, "{}* is final") not in string_constants(source)
    assert (8, "*{}* is final") in string_constants(source)


def test_the_edge_does_not_read_storage() -> None:
    """Platforms render what the core returns, not table rows; only the command line (migrate,
    export) opens the database itself."""
    edge = ROOT / "handlers"
    offenders = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in sorted(edge.rglob("*.py"))
        if path != edge / "cli.py"
        for line, name in imported_modules(path.read_text(encoding="utf-8"))
        if name.split(".")[0] == "storage"
    ]
    assert offenders == []


# The playground shows Slack's command forms (the same slash commands, help and errors), so it
# reuses the usage texts of Slack's command modules; nothing else of Slack's.
PLAYGROUND_MAY_USE = frozenset(
    {
        "handlers.slack.commands",
        "handlers.slack.commands.decide",
        "handlers.slack.commands.decisions",
        "handlers.slack.commands.narrative",
        "handlers.slack.commands.reflect",
        "handlers.slack.blocks.reflections",
    }
)


def test_one_platform_does_not_import_another() -> None:
    """Teams and the playground are their own folders: what they share with Slack lives in the
    core or in `handlers/` itself (the coalescer, the HTTP server)."""
    offenders = []
    for platform in ("teams", "playground"):
        folder = ROOT / "handlers" / platform
        for path in sorted(folder.rglob("*.py")):
            for line, name in imported_modules(path.read_text(encoding="utf-8")):
                if not name.startswith("handlers.slack"):
                    continue
                if platform == "playground" and name in PLAYGROUND_MAY_USE:
                    continue
                offenders.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    assert offenders == []
