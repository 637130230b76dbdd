"""The code uses libraries through their public APIs only: no import of a third-party package's
private (underscore) module or name, and no underscore attribute read or set on anything but
the code's own `self`/`cls` (that is how a private hook such as openpyxl's
`WriteOnlyWorksheet._values_to_row` or `cell._value` gets used)."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SOURCES = ("bot", "handlers", "storage")
THIRD_PARTY = {
    "aiohttp",
    "alembic",
    "apscheduler",
    "openpyxl",
    "slack_bolt",
    "slack_sdk",
    "sqlalchemy",
    "sqlmodel",
    "waitress",
}
# Files still known to use a private name, with why (none since the export moved to openpyxl's
# public API); the last test below fails as soon as a
# listed file no longer needs its place here.
KNOWN_PRIVATE_API_USERS: dict[str, str] = {}


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_uses(path: Path) -> list[str]:
    """Each private third-party import and each underscore attribute not on self/cls."""
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] in THIRD_PARTY and any(_private(p) for p in parts):
                    found.append(f"{node.lineno}: import {alias.name}")
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            parts = node.module.split(".")
            if parts[0] in THIRD_PARTY and (
                any(_private(p) for p in parts) or any(_private(a.name) for a in node.names)
            ):
                names = ", ".join(a.name for a in node.names)
                found.append(f"{node.lineno}: from {node.module} import {names}")
        elif isinstance(node, ast.Attribute) and _private(node.attr):
            if not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                found.append(f"{node.lineno}: {ast.unparse(node)}")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("getattr", "setattr", "hasattr")
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
            and _private(node.args[1].value)
        ):
            found.append(f"{node.lineno}: {ast.unparse(node)}")
    return found


def sources() -> list[Path]:
    return sorted(p for folder in SOURCES for p in (REPO / folder).rglob("*.py"))


def test_no_code_touches_a_private_name_of_a_library() -> None:
    offenders = {
        str(path.relative_to(REPO)): uses
        for path in sources()
        if str(path.relative_to(REPO)) not in KNOWN_PRIVATE_API_USERS
        and (uses := private_uses(path))
    }
    assert offenders == {}


def test_the_scan_finds_what_it_is_meant_to(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from slack_bolt.context.respond.internals import _build_message\n"
        "from openpyxl.worksheet._write_only import WriteOnlyWorksheet\n"
        "import waitress.wasyncore._x\n"
        "ws._values_to_row = None\n"
        "cell._value = 1\n"
        "getattr(server, '_map')\n"
        "self._mine = 1\n"
        "from bot.export import _clean\n"
    )
    assert len(private_uses(sample)) == 6


def test_the_allow_list_holds_only_files_that_still_need_it() -> None:
    for name in KNOWN_PRIVATE_API_USERS:
        assert private_uses(REPO / name), (
            f"{name} uses no private name now: remove it from the list"
        )
