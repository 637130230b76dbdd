"""Slack listeners are module-level functions of at most 30 lines (ack, parse, one core call,
deliver), registered in one place: no listener closures inside long `register()` functions."""

from __future__ import annotations

import ast
from pathlib import Path

import handlers

HANDLERS = Path(handlers.__file__).parent
# Bolt fills a listener's arguments by name; these names mark a function as a listener.
LISTENER_ARGS = frozenset({"ack", "event", "command", "action", "respond", "say"})
LIMIT = 30


def listeners(source: str) -> list[tuple[str, int, bool]]:
    """(name, length in lines, defined at module level) of every function that takes a Bolt
    listener argument; functions taking `next` are middleware, methods are not listeners."""
    found: list[tuple[str, int, bool]] = []

    def visit(node: ast.AST, top: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                continue
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                args = child.args
                names = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}
                if names & LISTENER_ARGS and "next" not in names:
                    length = (child.end_lineno or child.lineno) - child.lineno + 1
                    found.append((child.name, length, top))
                visit(child, False)
            else:
                visit(child, top)

    visit(ast.parse(source), True)
    return found


def test_every_listener_is_module_level_and_short() -> None:
    files = sorted(HANDLERS.rglob("*.py"))
    seen = [
        (path.relative_to(HANDLERS).as_posix(), name, length, top)
        for path in files
        for name, length, top in listeners(path.read_text(encoding="utf-8"))
    ]
    assert len(seen) >= 20  # the walk finds the listeners at all
    nested = [f"{p}:{n}" for p, n, _length, top in seen if not top]
    long = [f"{p}:{n} ({length} lines)" for p, n, length, _top in seen if length > LIMIT]
    assert nested == [] and long == []


def test_the_walk_finds_nested_and_long_listeners() -> None:
    source = (
        "def register(app):\n"
        "    @app.command('/x')\n"
        "    def inner(ack, command):\n"
        "        ack()\n"
        "def top(ack, body):\n" + "    x = 1\n" * 31 + "def middleware(body, next):\n    next()\n"
        "class C:\n    def method(self, event):\n        pass\n"
    )
    assert listeners(source) == [("inner", 2, False), ("top", 32, True)]
