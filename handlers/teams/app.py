"""The Teams endpoint (`POST /api/messages`): checks the caller, reads the activity, hands it
to its listener and says what the HTTP answer is (messages 202, invokes 200 with their body,
a malformed activity 400)."""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from typing import Any

from microsoft_agents.hosting.core.authorization import AgentAuthConfiguration
from microsoft_agents.hosting.core.authorization.jwt import JwtTokenValidator

from bot import housekeeping
from bot.config import TeamsSettings
from bot.core import Core
from bot.decisions import Afterwards
from bot.views import FormErrors, Notice, OpenForm, ReplaceCard
from bot.vocabulary import PlatformName
from handlers.recent import RecentRequests
from handlers.teams import exports, listeners, narratives, places, reflections, reviews
from handlers.teams.activity import BadActivity, Incoming, parse
from handlers.teams.answers import Answers
from handlers.teams.cards import narratives as narrative_cards
from handlers.teams.cards import notice_text, render
from handlers.teams.cards.decisions import DIALOG_TITLES, RENDERERS_WITH_ERRORS
from handlers.teams.feature import Feature, merged, watchers
from handlers.teams.platform import TeamsPlatform

log = logging.getLogger(__name__)

MESSAGE_RESPONSE = "application/vnd.microsoft.activity.message"
CARD_RESPONSE = "application/vnd.microsoft.card.adaptive"
# Activity ids remembered to ignore Teams' redeliveries (per process).
SEEN_LIMIT = 50_000
Answer = tuple[int, dict[str, Any] | None]
# Every feature's commands, buttons, dialogs, invokes and watched activities.
FEATURES: tuple[Feature, ...] = (
    listeners.FEATURE,
    narratives.FEATURE,
    reviews.FEATURE,
    reflections.FEATURE,
    exports.FEATURE,
)
COMMANDS = merged(FEATURES, "commands")
CLICKS = merged(FEATURES, "clicks")
DIALOGS = merged(FEATURES, "dialogs")
INVOKES = merged(FEATURES, "invokes")
WATCHERS = watchers(FEATURES)
# Dialog cards (able to show a submitted form's errors) and their titles, by form.
DIALOG_CARDS = {**RENDERERS_WITH_ERRORS, **narrative_cards.RENDERERS_WITH_ERRORS}
TITLES = {**DIALOG_TITLES, **narrative_cards.DIALOG_TITLES}


class TeamsBot:
    def __init__(self, core: Core, platform: TeamsPlatform, settings: TeamsSettings) -> None:
        self.core = core
        self.platform = platform
        self.answers = Answers(core, platform)
        self.anonymous = settings.anonymous
        self._validator = (
            None
            if settings.anonymous
            else JwtTokenValidator(
                AgentAuthConfiguration(
                    client_id=settings.client_id,
                    tenant_id=settings.tenant_id,
                    client_secret=settings.client_secret,
                )
            )
        )
        self._seen: OrderedDict[tuple[str, str, str], None] = OrderedDict()
        self._seen_lock = threading.Lock()
        # One process on SQLite: memory decides and the database learns a moment later (a write
        # before each answer would queue them all behind SQLite's write lock); instances that
        # share PostgreSQL ask the database.
        self._recent = (
            RecentRequests(core, prefix="msteams:")
            if core.engine.dialect.name == "sqlite"
            else None
        )
        core.add_platform(platform)
        core.on_close(self.close, first=True)

    async def authorized(self, header: str | None) -> bool:
        """Anonymous mode takes every activity (loopback only); otherwise the Bot Framework's
        token must be valid for this app."""
        if self._validator is None:
            return True
        parts = (header or "").split()
        if len(parts) != 2 or parts[0].lower() != "bearer":
            return False
        try:
            await self._validator.validate_token(parts[1])
        except Exception:  # noqa: BLE001 - any invalid token is a 401
            return False
        return True

    def handle(self, body: bytes) -> Answer:
        """The HTTP answer to one activity (runs on a worker thread)."""
        try:
            m = parse(body)
        except BadActivity as exc:
            log.info("refused a Teams activity: %s", exc)
            return 400, None
        ok = 200 if m.type == "invoke" else 202
        if self._redelivered(m):
            return ok, _message("Already done.") if m.type == "invoke" else None
        try:
            self.core.record_workspace(m.tenant, PlatformName.MSTEAMS)
            self.platform.directory.saw(m)
            places.learn(self.answers, m)
            return ok, self._dispatch(m)
        except Exception:  # noqa: BLE001 - never a 500: logged, the person told briefly
            log.exception("Teams %s activity failed (tenant %s)", m.type, m.tenant)
            return ok, _message("Something went wrong; please try again.") if ok == 200 else None

    def _redelivered(self, m: Incoming) -> bool:
        if not m.id:
            return False
        key = (m.tenant, m.type, _delivery_id(m))
        with self._seen_lock:
            if key in self._seen:
                return True
            self._seen[key] = None
            if len(self._seen) > SEEN_LIMIT:
                self._seen.popitem(last=False)
        # Also in the database: a redelivery after a restart, or to another instance, is
        # recognised too (housekeeping forgets these ids after a week).
        delivery = f"msteams:{m.type}:{key[2]}"
        if len(delivery) > 200:
            delivery = "msteams:" + hashlib.sha256(delivery.encode()).hexdigest()
        now = self.core.clock.now()
        if self._recent is not None:
            return not self._recent.first_delivery(m.tenant, delivery, now)
        first = housekeeping.first_delivery(
            self.core.engine, team_id=m.tenant, event_id=delivery, now=now
        )
        return not first

    def _dispatch(self, m: Incoming) -> dict[str, Any] | None:
        a = self.answers
        if m.type == "message":
            if "verb" in m.value:  # an Action.Submit fallback: no response body is possible
                click = CLICKS.get(_verb(m.value))
                if click is not None:
                    a.tell(m, _private(click(a, m, m.value)))
                return None
            # Channel messages all reach the bot (resource-specific consent); only those that
            # mention it are commands. In the personal chat every message is one.
            if m.is_personal or m.mentions_bot:
                word, _, rest = m.text.partition(" ")
                COMMANDS.get(word.lower(), listeners.usage_command)(a, m, rest.strip())
                return None
        if m.type != "invoke":
            for watcher in WATCHERS.get(m.type, ()):
                watcher(a, m)
            return None
        if m.name == "adaptiveCard/action":
            action = m.value.get("action")
            if not isinstance(action, dict):
                return _message("That button is not known.")
            data = action.get("data")
            fields = {**(data if isinstance(data, dict) else {}), "verb": action.get("verb")}
            click = CLICKS.get(_verb(fields))
            if click is None:
                return _message("That button is not known.")
            return self._invoke_answer(click(a, m, fields))
        if m.name in ("task/fetch", "task/submit"):
            data = m.value.get("data")
            return self._dialog(m, data if isinstance(data, dict) else {})
        invoke = INVOKES.get(m.name or "")
        if invoke is not None:
            return invoke(a, m)
        return _message("That is not something Narrative does.")

    def _dialog(self, m: Incoming, data: dict[str, Any]) -> dict[str, Any] | None:
        a, dialog = self.answers, DIALOGS.get(_verb(data))
        if dialog is None:
            return _message("That button is not known.")
        if m.name == "task/fetch":
            return self._task(dialog.open(a, m, data))
        result = dialog.submit(a, m, data)
        if isinstance(result, FormErrors):
            form = dialog.open(a, m, data)
            if isinstance(form, OpenForm):
                return _dialog(form.form, dict(result.errors))
            return self._task(form)
        if isinstance(result, Afterwards):
            a.later(m, result.run)
        elif isinstance(result, Notice):
            return self._task(result)
        return None

    def _invoke_answer(self, reply: object) -> dict[str, Any]:
        if isinstance(reply, ReplaceCard):
            return {"statusCode": 200, "type": CARD_RESPONSE, "value": render(reply.view)}
        if isinstance(reply, Notice):
            return _message(notice_text(reply))
        return _message("Done.")

    def _task(self, reply: object) -> dict[str, Any] | None:
        if isinstance(reply, OpenForm):
            return _dialog(reply.form, {})
        if isinstance(reply, Notice):
            return {"task": {"type": "message", "value": notice_text(reply)}}
        return None

    def close(self) -> None:
        self.answers.close()
        self.platform.close()


def _delivery_id(m: Incoming) -> str:
    """What tells a redelivery from a new activity: Teams gives every edit of a message the
    message's own id, so an edit is also told apart by its text."""
    if m.type == "messageUpdate":
        return f"{m.id}:{hashlib.sha256(m.text.encode()).hexdigest()[:16]}"
    return m.id


def _verb(data: dict[str, Any]) -> str:
    verb = data.get("verb")
    return verb if isinstance(verb, str) else ""


def _private(reply: object) -> object | None:
    if isinstance(reply, ReplaceCard):
        return reply.view
    return reply if reply is not None and not isinstance(reply, OpenForm) else None


def _message(text: str) -> dict[str, Any]:
    return {"statusCode": 200, "type": MESSAGE_RESPONSE, "value": text}


def _dialog(form: object, errors: dict[str, str]) -> dict[str, Any]:
    make = DIALOG_CARDS[type(form)]
    return {
        "task": {
            "type": "continue",
            "value": {
                "title": TITLES.get(type(form), "Narrative"),
                "card": {"contentType": CARD_RESPONSE, "content": make(form, errors)},
            },
        }
    }
