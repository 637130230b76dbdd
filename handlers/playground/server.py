"""The playground's web server: the page, what each person sees, and what they do.

One aiohttp app. The core is blocking (SQLite, the port), so every call into it runs on one
worker thread, in turn: people's clicks, the clock control and the timer sweep never overlap.
The page polls `/api/version` and fetches what changed (no build step, no websocket library).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from importlib import resources
from typing import Any, TypeVar

from aiohttp import web

from bot.core import Core
from bot.vocabulary import TimerKind
from handlers.playground import actions, commands
from handlers.playground.asked import Asked, Said
from handlers.playground.html import esc, render, when, who
from handlers.playground.platform import (
    BY_ID,
    CHANNELS,
    PEOPLE,
    TEAM,
    Message,
    PlaygroundClock,
    PlaygroundPlatform,
    dm_place,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

STEPS = {
    "5m": timedelta(minutes=5),
    "1h": timedelta(hours=1),
    "1d": timedelta(days=1),
    "30d": timedelta(days=30),
}
# Every kind of timer, and how many a step may stop at (each timer runs at its own time).
ALL_TIMERS = tuple(str(kind) for kind in TimerKind)
MAX_STOPS = 10_000
# What "to the next timer" jumps to: what people see happen, not the bot's own bookkeeping.
VISIBLE_TIMERS = (
    TimerKind.READING_END,
    TimerKind.POLL_CLOSE,
    TimerKind.REVIEW_DUE,
    TimerKind.REVIEW_REMINDER,
    TimerKind.REFLECTION_ROUND,
    TimerKind.REFLECTION_CLOSE,
)
SWEEP_SECONDS = 1.0
SWEEP = web.AppKey("sweep", asyncio.Task[None])
NOTICES_SHOWN = 8
MAX_BODY = 256 * 1024


class Playground:
    """The core, the platform and the clock of one playground, and its web routes."""

    def __init__(self, core: Core, platform: PlaygroundPlatform, clock: PlaygroundClock) -> None:
        self.core = core
        self.platform = platform
        self.clock = clock
        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="playground")

    async def run(self, work: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.worker, work)

    # --- the app ------------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_get("/", self.page)
        app.router.add_get("/static/{name}", self.static)
        app.router.add_get("/api/version", self.version)
        app.router.add_get("/api/state", self.state)
        app.router.add_get("/api/log", self.log_tab)
        app.router.add_post("/api/send", self.send)
        app.router.add_post("/api/action", self.action)
        app.router.add_post("/api/form", self.form)
        app.router.add_post("/api/clock", self.move_clock)
        app.router.add_get("/files/{id}", self.download)
        app.on_startup.append(self._start_sweeping)
        app.on_cleanup.append(self._stop_sweeping)
        return app

    async def _start_sweeping(self, app: web.Application) -> None:
        app[SWEEP] = asyncio.create_task(self._sweep())

    async def _stop_sweeping(self, app: web.Application) -> None:
        app[SWEEP].cancel()
        self.worker.shutdown(wait=True)

    async def _sweep(self) -> None:
        """Run what came due as the playground's clock ticks on its own."""
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            try:
                await self.run(self.core.timers.run_due)
            except Exception:  # noqa: BLE001 - the next sweep tries again
                log.exception("playground timer sweep failed")

    # --- reading --------------------------------------------------------------------------------

    async def page(self, _request: web.Request) -> web.Response:
        return web.Response(text=_asset("page.html"), content_type="text/html")

    async def static(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        types = {"app.js": "application/javascript", "style.css": "text/css"}
        if name not in types:
            raise web.HTTPNotFound()
        return web.Response(text=_asset(name), content_type=types[name])

    async def version(self, _request: web.Request) -> web.Response:
        return web.json_response({"v": self.platform.version})

    async def state(self, request: web.Request) -> web.Response:
        person = _person(request.query.get("as"))
        pane = request.query.get("pane") or "CGENERAL"
        thread = request.query.get("thread") or None
        return web.json_response(await self.run(lambda: self.view_of(person, pane, thread)))

    def view_of(self, person: str, pane: str, thread: str | None) -> dict[str, Any]:
        """What `person` sees: the pane's messages, an open thread, their private notices."""
        if pane not in CHANNELS and pane != dm_place(person):
            pane = "CGENERAL"
        version = self.platform.version
        main = "".join(self._message(m, person) for m in self.platform.in_place(pane))
        opened = self.platform.messages.get(thread) if thread else None
        thread_html = ""
        if opened is not None and opened.place == pane:
            replies = self.platform.in_place(pane, thread=opened.id)
            thread_html = self._message(opened, person, in_thread=True) + "".join(
                self._message(m, person, in_thread=True) for m in replies
            )
        notices = self.platform.notices_for(person)[-NOTICES_SHOWN:]
        told = "".join(
            f"<div class='told' data-told='{t.id}'><div class='when'>Only visible to you · "
            f"{when(t.at)}</div>{render(t.notice)}</div>"
            for t in reversed(notices)
        )
        upcoming = self.core.timers.next_due_at(VISIBLE_TIMERS)
        return {
            "v": version,
            "pane": pane,
            "clock": when(self.clock.now()),
            "next": when(upcoming) if upcoming else "",
            "main": main or "<p class='empty'>Nothing here yet. Type a command below.</p>",
            "thread": thread_html,
            "notices": told,
        }

    def _message(self, m: Message, person: str, *, in_thread: bool = False) -> str:
        if m.view is not None:
            author, body = (
                "<span class='bot'>Narrative</span> <span class='app'>APP</span>",
                render(m.view),
            )
        else:
            author, body = who(m.author), f"<p class='text'>{esc(m.text)}</p>"
        footer = ""
        if m.thread is not None and m.view is None:
            mine = " mine" if person in m.upvotes else ""
            footer = (
                f"<button type='button' class='react{mine}' data-act='upvote' data-arg='{m.id}'>"
                f"👍 {len(m.upvotes)}</button>"
            )
        if m.author == person:
            footer += f"<button type='button' class='react' data-act='edit' data-arg='{m.id}'>Edit</button>"
        if not in_thread and m.thread is None:
            count = self.platform.replies(m.id)
            label = f"{count} repl{'y' if count == 1 else 'ies'}" if count else "Reply in thread"
            footer += f"<a href='#' class='open-thread' data-thread='{m.id}'>{label}</a>"
        return (
            f"<div class='msg' id='m{m.id}' data-msg='{m.id}'><div class='meta'>{author} "
            f"<span class='when'>{when(m.at)}</span></div>{body}<div class='footer'>{footer}</div></div>"
        )

    async def log_tab(self, request: web.Request) -> web.Response:
        person = _person(request.query.get("as"))
        filters = actions.home_filters(request.query)
        asked = self._asked(person, "CGENERAL")

        def home() -> str:
            from bot import decision_log

            return render(
                decision_log.home(self.core, team_id=TEAM, viewer=asked.viewer(), filters=filters)
            )

        return web.json_response({"html": await self.run(home)})

    async def download(self, request: web.Request) -> web.Response:
        sent = self.platform.files.get(int(request.match_info["id"] or 0))
        if sent is None:
            raise web.HTTPNotFound()
        return web.Response(
            body=sent.data,
            content_type="application/octet-stream",
            headers={"Content-Disposition": f'attachment; filename="{sent.filename}"'},
        )

    # --- doing ----------------------------------------------------------------------------------

    def _asked(self, person: str, place: str, message: str | None = None) -> Asked:
        return Asked(self.core, self.platform, person, place, message)

    async def _data(self, request: web.Request) -> tuple[dict[str, Any], Asked]:
        data = await request.json()
        if not isinstance(data, dict):
            raise web.HTTPBadRequest()
        person = _person(data.get("as"))
        place = str(data.get("place") or "CGENERAL")
        if place not in CHANNELS and place != dm_place(person):
            place = "CGENERAL"
        message = str(data.get("msg")) if data.get("msg") else None
        return data, self._asked(person, place, message)

    async def _answer(self, asked: Asked, work: Callable[[], Said]) -> web.Response:
        try:
            said = await self.run(work)
        except Exception:  # noqa: BLE001 - tell the person briefly, never a traceback
            log.exception("playground request failed")
            said = await self.run(
                lambda: asked.tell(commands.warning("Something went wrong; see the terminal."))
            )
        return web.json_response(said.as_json())

    async def send(self, request: web.Request) -> web.Response:
        """The message box: a slash command, or a message (in a thread when one is open)."""
        data, asked = await self._data(request)
        text = str(data.get("text") or "").strip()
        if not text:
            return web.json_response(Said().as_json())
        if text.startswith("/"):
            return await self._answer(asked, lambda: commands.run_command(asked, text))
        thread = str(data.get("thread")) if data.get("thread") else None
        return await self._answer(asked, lambda: actions.message(asked, text, thread))

    async def action(self, request: web.Request) -> web.Response:
        data, asked = await self._data(request)
        handler = actions.ACTIONS.get(str(data.get("act")))
        if handler is None:
            raise web.HTTPBadRequest()
        return await self._answer(asked, lambda: handler(asked, data))

    async def form(self, request: web.Request) -> web.Response:
        data, asked = await self._data(request)
        handler = actions.FORMS.get(str(data.get("form")))
        fields = data.get("fields")
        if handler is None or not isinstance(fields, dict):
            raise web.HTTPBadRequest()
        return await self._answer(asked, lambda: handler(asked, data, fields))

    async def move_clock(self, request: web.Request) -> web.Response:
        data = await request.json()
        step = str((data or {}).get("by") or "")
        moved = await self.run(lambda: self.advance(step))
        return web.json_response({"clock": when(self.clock.now()), "ran": moved})

    def advance(self, step: str) -> int:
        """Move the playground's clock by `step` (or to the next timer) and run what came due."""
        if step == "next":
            upcoming = self.core.timers.next_due_at(VISIBLE_TIMERS)
            by = (upcoming - self.clock.now() + timedelta(seconds=1)) if upcoming else timedelta()
        else:
            by = STEPS.get(step, timedelta())
        target = self.clock.now() + max(by, timedelta())
        ran = self.core.timers.run_due()
        # Each timer runs at its own time, in order, as it would have had time passed: a
        # review due at 09:00 is sent at 09:00, not at the step's end (outside working hours).
        for _ in range(MAX_STOPS):
            upcoming = self.core.timers.next_due_at(ALL_TIMERS)
            if upcoming is None or upcoming > target:
                break
            self.clock.advance(upcoming - self.clock.now())
            ran += self.core.timers.run_due()
        if target > self.clock.now():
            self.clock.advance(target - self.clock.now())
        ran += self.core.timers.run_due()
        self.platform.clock_moved()
        return ran


def _person(raw: object) -> str:
    return str(raw) if str(raw) in BY_ID else PEOPLE[0].id


def _asset(name: str) -> str:
    return resources.files("handlers.playground").joinpath("static", name).read_text("utf-8")
