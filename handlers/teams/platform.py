"""`TeamsPlatform`: the core's port (`bot.port.ChatPlatform`) over Teams' connector service.

What it must know to reach people and places later (the tenant's `serviceUrl`, the bot's id,
each person's name, time zone, 1:1 chat and last channel) it learns from the activities it
receives (`saw`): Teams gives no other way to address a conversation proactively."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote

from microsoft_agents.activity import (
    Activity,
    Attachment,
    ChannelAccount,
    ConversationParameters,
)

from bot.port import MessageRef, PostFailed, Unreachable
from bot.references import References
from bot.views import Notice, Person, text
from bot.vocabulary import PlatformName
from handlers.coalesce import Coalescer
from handlers.teams import cards
from handlers.teams.activity import Incoming
from handlers.teams.cards import MENTION, notice_text, render
from handlers.teams.connector import Connector
from handlers.teams.files import FileOffers, TeamsAttachment, Upload, consent_card

log = logging.getLogger(__name__)

CARD = "application/vnd.microsoft.card.adaptive"
# Kinds of stored references.
TENANT, PERSON = "msteams_tenant", "msteams_person"
# Teams allows about one update per second per message; a burst is coalesced to that.
UPDATE_INTERVAL = 1.0


@dataclass
class Tenant:
    service_url: str
    bot_id: str


@dataclass
class Someone:
    name: str = ""
    timezone: str | None = None
    chat: str | None = None  # their 1:1 conversation with the bot
    place: str | None = None  # the last channel or group chat they were seen in


class Directory:
    """What the activities told about tenants and people: in memory, and (with `store`) in the
    database, so proactive messages still reach them after a restart."""

    def __init__(self, store: References | None = None) -> None:
        self.store = store
        self.tenants: dict[str, Tenant] = {}
        self.people: dict[tuple[str, str], Someone] = {}
        self.lock = threading.Lock()
        # What changed is written after the activity is answered (in order, on one thread): an
        # answer need not wait for SQLite's write lock to note a new person's chat or zone.
        self._writes = ThreadPoolExecutor(1, thread_name_prefix="teams-directory")

    def saw(self, incoming: Incoming) -> None:
        with self.lock:
            tenant = Tenant(incoming.service_url, incoming.bot_id)
            self.tenants[incoming.tenant] = tenant
            someone = self.people.get((incoming.tenant, incoming.user))
            if someone is None:
                someone = self._recall(incoming.tenant, incoming.user) or Someone()
                self.people[(incoming.tenant, incoming.user)] = someone
            if incoming.user_name:
                someone.name = incoming.user_name
            if incoming.timezone:
                someone.timezone = incoming.timezone
            if incoming.is_personal:
                someone.chat = incoming.place
            else:
                someone.place = incoming.place
            person = asdict(someone)
        if self.store is not None:
            self._writes.submit(self._store, incoming.tenant, asdict(tenant), incoming.user, person)

    def _store(self, team: str, tenant: dict[str, Any], person: str, data: dict[str, Any]) -> None:
        assert self.store is not None
        try:
            self.store.remember(team, TENANT, "-", tenant)
            self.store.remember(team, PERSON, person, data)
        except Exception:  # noqa: BLE001 - memory still has it; the next activity writes it again
            log.warning("could not store what Teams said about %s", person, exc_info=True)

    def close(self) -> None:
        """Write what is still waiting (when the bot stops)."""
        self._writes.shutdown(wait=True)

    def set_chat(self, team: str, person: str, chat: str) -> None:
        with self.lock:
            someone = self.people.setdefault((team, person), Someone())
            someone.chat = chat
            data = asdict(someone)
        if self.store is not None:
            # After any earlier write of this person's, so the newest copy is the one kept.
            self._writes.submit(self.store.remember, team, PERSON, person, data)

    def person(self, team: str, person: str) -> Someone:
        with self.lock:
            found = self.people.get((team, person))
            if found is None:
                found = self._recall(team, person)
                if found is not None:
                    self.people[(team, person)] = found
            return replace(found) if found is not None else Someone()

    def tenant(self, team: str) -> Tenant | None:
        with self.lock:
            found = self.tenants.get(team)
        if found is None and self.store is not None:
            data = self.store.recall(team, TENANT, "-")
            if data and isinstance(data.get("service_url"), str):
                found = Tenant(str(data["service_url"]), str(data.get("bot_id") or ""))
                with self.lock:
                    self.tenants[team] = found
        return found

    def _recall(self, team: str, person: str) -> Someone | None:
        if self.store is None:
            return None
        data = self.store.recall(team, PERSON, person)
        if not data:
            return None
        fields = {k: v for k, v in data.items() if k in Someone.__dataclass_fields__}
        return Someone(**{k: v for k, v in fields.items() if isinstance(v, str | None)})


class TeamsPlatform:
    """The port over Teams. `connector` performs the calls (tests point it at the double)."""

    name = PlatformName.MSTEAMS.value

    def __init__(
        self,
        connector: Connector,
        *,
        interval: float = UPDATE_INTERVAL,
        references: References | None = None,
        files: FileOffers | None = None,
    ) -> None:
        self.connector = connector
        self.files = files or FileOffers()
        self.directory = Directory(references)
        self.updates = Coalescer(interval)
        self._keyed: dict[tuple[str, str, str], MessageRef] = {}
        self._lock = threading.Lock()

    # --- rendering -----------------------------------------------------------------------------

    def activity(self, team: str, view: object) -> Activity:
        """`view` as a message activity: its card, with people's mentions resolved."""
        if isinstance(view, TeamsAttachment):
            attachment = Attachment(
                content_type=view.content_type,
                content=view.content,
                name=view.name,
                content_url=view.content_url,
            )
            return Activity(type="message", text=view.text, attachments=[attachment])
        content = render(view)
        self._mentions(team, content)
        return Activity(
            type="message", attachments=[Attachment(content_type=CARD, content=content)]
        )

    def _mentions(self, team: str, content: dict[str, Any]) -> None:
        """Swap `<at>ID</at>` for `<at>Name</at>` in the card; Teams needs an entity for each."""
        seen: dict[str, str] = {}

        def walk(node: object) -> object:
            if isinstance(node, dict):
                return {k: walk(v) for k, v in node.items()}
            if isinstance(node, list):
                return [walk(v) for v in node]
            if isinstance(node, str):
                return MENTION.sub(lambda m: self._named(team, m.group(1), seen), node)
            return node

        content.update(walk(content))  # type: ignore[arg-type]
        mentions = [
            {"type": "mention", "text": f"<at>{name}</at>", "mentioned": {"id": pid, "name": name}}
            for pid, name in seen.items()
        ]
        if mentions:
            content["msteams"] = {"entities": mentions}

    def _named(self, team: str, person: str, seen: dict[str, str]) -> str:
        name = self.directory.person(team, person).name or "someone"
        seen[person] = name
        return f"<at>{name}</at>"

    def _tenant(self, team: str) -> Tenant:
        found = self.directory.tenant(team)
        if found is None:
            raise Unreachable(f"no conversation reference for tenant {team}")
        return found

    # --- the port ------------------------------------------------------------------------------

    def post(
        self,
        team: str,
        place: str,
        view: object,
        *,
        thread: str | None = None,
        key: str | None = None,
        look_first: bool = False,
    ) -> MessageRef:
        if key is not None:
            with self._lock:
                if (found := self._keyed.get((team, place, key))) is not None:
                    return found
        tenant = self._tenant(team)
        body = self.activity(team, view)
        if thread:
            sent = self.connector.call(
                tenant.service_url,
                lambda c: c.conversations.reply_to_activity(place, thread, body),
            )
        else:
            sent = self.connector.call(
                tenant.service_url, lambda c: c.conversations.send_to_conversation(place, body)
            )
        if not sent.id:
            raise PostFailed("no_id")
        ref = MessageRef(place, str(sent.id))
        if key is not None:
            with self._lock:
                self._keyed[(team, place, key)] = ref
        self._post_rest(team, place, view, thread or ref.id, key)
        return ref

    def _post_rest(self, team: str, place: str, view: object, thread: str, key: str | None) -> None:
        """The follow-up parts of a view too long for one message, in the first part's thread.
        Best effort: the first part keeps what matters and says where the whole is."""
        count = cards.continued_parts(view)
        for index in range(2, count + 1):
            part_key = f"{key}:part{index}" if key is not None else None
            try:
                self.post(
                    team, place, cards.Continued(view, index, count), thread=thread, key=part_key
                )
            except (PostFailed, Unreachable) as exc:
                log.warning("part %s of %s not posted: %s", index, count, exc)
                return

    def update(
        self, team: str, ref: MessageRef, latest: Callable[[], object | None], *, wait: bool = False
    ) -> None:
        """Coalesced per card (at most one PUT a second, the latest state wins)."""

        def send() -> None:
            view = latest()
            if view is None:
                return
            body = self.activity(team, view)
            body.id = ref.id
            url = self._tenant(team).service_url
            self.connector.call(
                url, lambda c: c.conversations.update_activity(ref.place, ref.id, body)
            )

        if wait:
            self.updates.run_now((ref.place, ref.id), send, in_turn=True)
        else:
            self.updates.submit((ref.place, ref.id), send)

    def parts(self, view: object) -> int:
        """Messages a long view takes (a card holds about 28 KB: a long digest is split)."""
        return cards.parts(view)

    def listen(self, team: str, place: str) -> None:
        """Nothing to do: the app's resource-specific consent delivers a channel's messages."""

    def tell(self, team: str, person: str, notice: object, *, place: str | None = None) -> None:
        """Outside a click's response a private note is a direct message (best effort)."""
        try:
            self.dm(team, person, notice)
        except (PostFailed, Unreachable) as exc:
            log.warning("could not tell %s privately: %s", person, exc)

    def dm(
        self,
        team: str,
        person: str,
        view: object,
        *,
        key: str | None = None,
        fallback: str | None = None,
    ) -> MessageRef:
        """The person's 1:1 chat (opened with POST v3/conversations when new); where Teams
        refuses (the app is not installed for them), a mention in `fallback` or else in the
        channel they were last seen in."""
        someone = self.directory.person(team, person)
        chat = someone.chat
        if chat is None:
            try:
                chat = self._open_chat(team, person)
            except PostFailed:
                place = fallback or someone.place
                if place is None:
                    raise
                log.info("no 1:1 chat with %s; mentioning them in a channel instead", person)
                self.post(team, place, Notice(text(Person(person), " — a note for you:")))
                return self.post(team, place, view, key=key)
            self.directory.set_chat(team, person, chat)
        return self.post(team, chat, view, key=key)

    def _open_chat(self, team: str, person: str) -> str:
        tenant = self._tenant(team)
        params = ConversationParameters(
            is_group=False,
            bot=ChannelAccount(id=tenant.bot_id),
            members=[ChannelAccount(id=person)],
            tenant_id=team,
            channel_data={"tenant": {"id": team}},
        )
        made = self.connector.call(
            tenant.service_url, lambda c: c.conversations.create_conversation(params)
        )
        if not made.id:
            raise PostFailed("no_conversation")
        return str(made.id)

    def timezone(self, team: str, person: str) -> str:
        return self.directory.person(team, person).timezone or "UTC"

    def display_name(self, team: str, person: str) -> str:
        return self.directory.person(team, person).name or person

    def is_admin(self, team: str, person: str) -> bool:
        # Teams tells a bot nothing about tenant admins: NARRATIVE_ADMINS names them.
        return False

    def members(self, team: str, place: str) -> frozenset[str]:
        found = self.people(team, place)
        return found or frozenset()

    def permalink(self, team: str, ref: MessageRef) -> str | None:
        """Teams' deep link to a message in a channel or group chat (built, never fetched);
        None in a personal chat, which only its two members could open anyway."""
        if not ref.place.startswith("19:") or not ref.id:
            return None
        where = quote(ref.place, safe=":@.")
        if "@thread.tacv2" in ref.place or "@thread.skype" in ref.place:
            query = f"tenantId={quote(team, safe='')}"
        else:
            query = "context=" + quote('{"contextType":"chat"}', safe="")
        return f"https://teams.microsoft.com/l/message/{where}/{quote(ref.id, safe='')}?{query}"

    def people(self, team: str, place: str) -> frozenset[str] | None:
        url = self._tenant(team).service_url
        try:
            members = self.connector.call(
                url, lambda c: c.conversations.get_conversation_members(place)
            )
        except (PostFailed, Unreachable):
            return None
        return frozenset(str(m.id) for m in members if m.id)

    def is_public(self, team: str, place: str) -> bool:
        return False

    def send_file(
        self,
        team: str,
        to: str,
        filename: str,
        data: bytes | Path,
        title: str,
        *,
        comment: object | None = None,
    ) -> None:
        """Teams lets a bot send a file only into a person's personal chat, after they accept
        it: a file consent card is posted there and the file kept until they answer
        (`handlers.teams.files`; `file_answer` handles the answer). `to` is a person."""
        note = notice_text(comment) if isinstance(comment, Notice) else title
        offer = self.files.offer(team, to, filename, data, note)
        try:
            self.post(team, self._personal_chat(team, to), consent_card(offer))
        except BaseException:
            self.files.drop(offer.token)
            raise

    def file_answer(
        self, team: str, person: str, place: str, value: dict[str, Any]
    ) -> Notice | Callable[[], Notice | None]:
        """A person's answer to a file consent card: a note for them, or the upload to run
        after the invoke's answer (it posts the file info card in `place`)."""
        answer = self.files.answer(team, person, value)
        if isinstance(answer, Upload):
            return lambda: self.files.run(answer, lambda card: self.post(team, place, card))
        return answer

    def _personal_chat(self, team: str, person: str) -> str:
        chat = self.directory.person(team, person).chat
        if chat is None:
            chat = self._open_chat(team, person)
            self.directory.set_chat(team, person, chat)
        return chat

    def close(self) -> None:
        self.updates.close()
        self.directory.close()
