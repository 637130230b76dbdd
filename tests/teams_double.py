"""A Teams double over real HTTP on loopback: it plays the connector service (the bot's
replies, card updates, new 1:1 chats, members), records every call, fails or hangs on demand,
and sends activities to the bot as Teams does."""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TENANT = "tenant-1"
BOT = "28:narrative-bot"
CHANNEL = "19:general@thread.tacv2"
# Teams refuses a message whose body passes about 28 KB (413, MessageSizeTooBig).
MAX_MESSAGE_BYTES = 28 * 1024


@dataclass
class Call:
    method: str
    path: str
    body: dict[str, Any] | None
    conversation: str | None = None
    activity_id: str | None = None  # the replied-to or updated activity
    answered_id: str | None = None  # the id the double gave a new activity
    authorization: str | None = None  # the Authorization header the bot sent
    size: int = 0  # bytes of the body
    refused: bool = False  # answered 413: too big for Teams

    @property
    def card(self) -> dict[str, Any] | None:
        for attachment in (self.body or {}).get("attachments") or []:
            if attachment.get("contentType") == "application/vnd.microsoft.card.adaptive":
                return attachment["content"]  # type: ignore[no-any-return]
        return None

    @property
    def card_text(self) -> str:
        """Every text of the card, joined (what people read)."""
        out: list[str] = []

        def walk(node: object) -> None:
            if isinstance(node, dict):
                for key in ("text", "title", "value"):
                    if isinstance(node.get(key), str):
                        out.append(node[key])
                for value in node.values():
                    if isinstance(value, dict | list):
                        walk(value)
            elif isinstance(node, list):
                for value in node:
                    walk(value)

        walk(self.card)
        return "\n".join(out)


@dataclass
class Failure:
    method: str
    contains: str
    status: int
    times: int
    retry_after: str | None = None
    hang: float = 0.0


@dataclass
class TeamsDouble:
    members: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    refuse_chat: set[str] = field(default_factory=set)  # people the app is not installed for
    calls: list[Call] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    # Files uploaded to `upload_url(name)` (OneDrive upload sessions, as file consent gives).
    uploads: dict[str, bytes] = field(default_factory=dict)
    upload_puts: list[str] = field(default_factory=list)  # each PUT's Content-Range
    # A team's channels as `GET v3/teams/{team}/conversations` lists them ({id, name}; Teams
    # gives the General channel, whose id is the team's, no name).
    channels: dict[str, list[dict[str, str]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._ids = itertools.count(1000)
        self._partial: dict[str, bytearray] = {}
        self._cond = threading.Condition()
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # --- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        self.port = int(self._runner.addresses[0][1])
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        assert self._runner is not None
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    @property
    def service_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    # --- failing on demand ------------------------------------------------------------------

    def fail(
        self,
        method: str,
        contains: str,
        status: int,
        *,
        times: int = 1,
        retry_after: str | None = None,
        hang: float = 0.0,
    ) -> None:
        """The next `times` calls of `method` whose path contains `contains` answer `status`
        (with `Retry-After`), or hang for `hang` seconds first."""
        with self._cond:
            self.failures.append(Failure(method, contains, status, times, retry_after, hang))

    def _failure(self, method: str, path: str) -> Failure | None:
        with self._cond:
            for failure in self.failures:
                if failure.method == method and failure.contains in path and failure.times > 0:
                    failure.times -= 1
                    return failure
        return None

    # --- the connector service --------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        path = request.path
        body = json.loads(raw) if raw and not path.startswith("/upload/") else None
        call = Call(request.method, path, body)
        call.authorization = request.headers.get("Authorization")
        parts = path.strip("/").split("/")
        if len(parts) >= 3 and parts[:2] == ["v3", "conversations"]:
            call.conversation = parts[2]
            if len(parts) >= 5:
                call.activity_id = parts[4]
        call.size = len(raw)
        if call.conversation and len(parts) >= 4 and parts[3] == "activities":
            if request.method in ("POST", "PUT") and len(raw) > MAX_MESSAGE_BYTES:
                call.refused = True
                self._record(call)
                too_big = {"code": "MessageSizeTooBig", "message": "Message size too big"}
                return web.json_response({"error": too_big}, status=413)
        failure = self._failure(request.method, path)
        if failure is not None:
            if failure.hang:
                await asyncio.sleep(failure.hang)
            self._record(call)
            headers = {"Retry-After": failure.retry_after} if failure.retry_after else {}
            return web.json_response(
                {"error": {"code": "Fail"}}, status=failure.status, headers=headers
            )
        answer: Any = {}
        status = 200
        if parts[0] == "upload":
            status, answer = self._upload(request, parts[-1], raw)
        elif request.method == "POST" and parts == ["v3", "conversations"]:
            person = ((body or {}).get("members") or [{}])[0].get("id", "")
            if person in self.refuse_chat:
                status, answer = 403, {"error": {"code": "BotNotInConversationRoster"}}
            else:
                answer = {"id": f"a:chat-{person}"}
        elif request.method == "POST" and len(parts) >= 4 and parts[3] == "activities":
            call.answered_id = str(next(self._ids))
            answer = {"id": call.answered_id}
            status = 201
        elif request.method == "PUT":
            answer = {"id": call.activity_id}
        elif request.method == "GET" and parts[:2] == ["v3", "teams"] and len(parts) == 4:
            answer = {"conversations": self.channels.get(parts[2], [])}
        elif request.method == "GET" and parts[-1] == "members":
            answer = self.members.get(call.conversation or "", [])
        self._record(call)
        return web.json_response(answer, status=status)

    def _upload(self, request: web.Request, name: str, raw: bytes) -> tuple[int, Any]:
        """One chunk PUT to an upload session: `Content-Range: bytes a-b/total`, in order;
        202 until the last chunk, then 201 (the file is then in `uploads`)."""
        if request.method != "PUT":
            return 405, {"error": {"code": "invalidRequest"}}
        ranged = request.headers.get("Content-Range", "")
        with self._cond:
            self.upload_puts.append(ranged)
            got = self._partial.setdefault(name, bytearray())
            try:
                span, total = ranged.removeprefix("bytes ").split("/")
                start, end = (int(n) for n in span.split("-"))
            except ValueError:
                return 400, {"error": {"code": "invalidRange"}}
            if start != len(got) or end - start + 1 != len(raw) or end >= int(total):
                return 416, {"error": {"code": "invalidRange"}}
            got.extend(raw)
            if len(got) < int(total):
                return 202, {"nextExpectedRanges": [f"{len(got)}-"]}
            self.uploads[name] = bytes(self._partial.pop(name))
        return 201, {"id": f"item-{name}", "name": name, "size": len(got)}

    def upload_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/upload/{name}"

    def _record(self, call: Call) -> None:
        with self._cond:
            self.calls.append(call)
            self._cond.notify_all()

    # --- what tests read --------------------------------------------------------------------

    def wait_for(self, found: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Wait until `found()` is truthy (re-checked on every call the double receives)."""
        with self._cond:
            result = found()
            if not self._cond.wait_for(lambda: found(), timeout):
                raise AssertionError("the Teams double never saw what the test waited for")
            return found() or result

    def posts(self, conversation: str) -> list[Call]:
        """New activities in `conversation` (top level and thread replies), oldest first."""
        with self._cond:
            return [
                c
                for c in self.calls
                if c.method == "POST" and c.conversation == conversation and c.answered_id
            ]

    def updates(self, activity_id: str) -> list[Call]:
        with self._cond:
            return [c for c in self.calls if c.method == "PUT" and c.activity_id == activity_id]

    def channel_lists(self, team: str) -> list[Call]:
        """The bot's requests for `team`'s channel list."""
        with self._cond:
            path = f"/v3/teams/{team}/conversations"
            return [c for c in self.calls if c.method == "GET" and c.path == path]

    def refused(self) -> list[Call]:
        """Messages Teams would refuse as too big (413)."""
        with self._cond:
            return [c for c in self.calls if c.refused]

    def chat_of(self, person: str) -> str:
        return f"a:chat-{person}"

    # --- sending activities to the bot ------------------------------------------------------

    def send(self, url: str, activity: dict[str, Any]) -> tuple[int, Any]:
        """POST `activity` to the bot; (status, parsed JSON body or None)."""
        data = json.dumps(activity).encode()
        request = urllib.request.Request(
            url, data=data, headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            return exc.code, (json.loads(raw) if raw and raw[:1] in b"{[" else None)


_activity_ids = itertools.count(1)


def activity(
    double: TeamsDouble,
    kind: str,
    *,
    user: str = "29:ana",
    user_name: str = "Ana",
    conversation: str = CHANNEL,
    conversation_type: str = "channel",
    tenant: str = TENANT,
    **extra: Any,
) -> dict[str, Any]:
    """An activity as Teams sends it (a fresh id unless `id` is given)."""
    made: dict[str, Any] = {
        "type": kind,
        "id": f"act-{next(_activity_ids)}",
        "channelId": "msteams",
        "serviceUrl": double.service_url,
        "from": {"id": user, "name": user_name, "aadObjectId": f"aad-{user}"},
        "recipient": {"id": BOT, "name": "Narrative"},
        "conversation": {
            "id": conversation,
            "conversationType": conversation_type,
            "tenantId": tenant,
        },
        "channelData": {"tenant": {"id": tenant}},
        "localTimezone": "Europe/Berlin",
    }
    made.update(extra)
    return made


def mention_message(double: TeamsDouble, text: str, **kw: Any) -> dict[str, Any]:
    """`@Narrative <text>` in a channel."""
    return activity(
        double,
        "message",
        text=f"<at>Narrative</at> {text}",
        entities=[
            {
                "type": "mention",
                "text": "<at>Narrative</at>",
                "mentioned": {"id": BOT, "name": "Narrative"},
            }
        ],
        **kw,
    )


def execute(double: TeamsDouble, verb: str, decision: int, *, reply_to: str, **kw: Any):
    """An `adaptiveCard/action` invoke: an Action.Execute button clicked."""
    return activity(
        double,
        "invoke",
        name="adaptiveCard/action",
        replyToId=reply_to,
        value={
            "action": {
                "type": "Action.Execute",
                "verb": verb,
                "data": {"verb": verb, "decision": decision},
            }
        },
        **kw,
    )


def task(double: TeamsDouble, name: str, data: dict[str, Any], **kw: Any) -> dict[str, Any]:
    """A `task/fetch` (a dialog button) or `task/submit` (the dialog's form) invoke."""
    return activity(double, "invoke", name=name, value={"data": data}, **kw)


# --- reading periods: thread replies, their edits, deletions and reactions ---------------------


def in_thread(root: str, conversation: str = CHANNEL) -> str:
    """The conversation id Teams gives a reply in the thread of channel message `root`."""
    return f"{conversation};messageid={root}"


def click(double: TeamsDouble, verb: str, data: dict[str, Any], *, reply_to: str, **kw: Any):
    """An `adaptiveCard/action` invoke carrying `data` (with its verb)."""
    return activity(
        double,
        "invoke",
        name="adaptiveCard/action",
        replyToId=reply_to,
        value={"action": {"type": "Action.Execute", "verb": verb, "data": {"verb": verb, **data}}},
        **kw,
    )


def thread_reply(
    double: TeamsDouble, root: str, text: str, *, kind: str = "message", **kw: Any
) -> dict[str, Any]:
    """A reply in a channel message's thread, without a mention (it reaches the bot through
    the `ChannelMessage.Read.Group` permission; Teams names the thread in the conversation id);
    `kind` `messageUpdate`/`messageDelete` with the reply's `id` edits or deletes it."""
    kw.setdefault("conversation", in_thread(root))
    kw.setdefault("replyToId", root)
    return activity(double, kind, text=text, **kw)


def message_update(double: TeamsDouble, message: str, text: str, **kw: Any) -> dict[str, Any]:
    """`messageUpdate`: a message edited (Teams gives it the message's own id)."""
    tenant = kw.get("tenant", TENANT)
    data = {"eventType": "editMessage", "tenant": {"id": tenant}}
    return activity(double, "messageUpdate", id=message, text=text, channelData=data, **kw)


def message_delete(double: TeamsDouble, message: str, **kw: Any) -> dict[str, Any]:
    """`messageDelete`: a message deleted (soft: Teams gives it the message's own id)."""
    tenant = kw.get("tenant", TENANT)
    data = {"eventType": "softDeleteMessage", "tenant": {"id": tenant}}
    return activity(double, "messageDelete", id=message, channelData=data, **kw)


def message_reaction(
    double: TeamsDouble, message: str, *, added: bool = True, kind: str = "like", **kw: Any
) -> dict[str, Any]:
    """`messageReaction`: a reaction added to (or removed from) message `message`."""
    change = {"reactionsAdded" if added else "reactionsRemoved": [{"type": kind}]}
    return activity(double, "messageReaction", replyToId=message, **change, **kw)


def file_consent(
    double: TeamsDouble, action: str, context: dict[str, Any], *, name: str = "file.xlsx", **kw: Any
) -> dict[str, Any]:
    """A `fileConsent/invoke`: the person accepted (with Teams' upload session) or declined
    a file consent card, in their personal chat."""
    value: dict[str, Any] = {"type": "fileUpload", "action": action, "context": context}
    if action == "accept":
        value["uploadInfo"] = {
            "contentUrl": f"http://127.0.0.1:{double.port}/files/{name}",
            "name": name,
            "uploadUrl": double.upload_url(name),
            "uniqueId": f"unique-{name}",
            "fileType": name.rsplit(".", 1)[-1],
        }
    kw.setdefault("conversation", double.chat_of(kw.get("user", "29:ana")))
    kw.setdefault("conversation_type", "personal")
    return activity(double, "invoke", name="fileConsent/invoke", value=value, **kw)


# --- teams and their channels: what Teams says of them -----------------------------------------


def in_team(
    team: str = CHANNEL, *, channel: str | None = None, tenant: str = TENANT, **data: Any
) -> dict[str, Any]:
    """`channelData` of an activity in a team's channel (`channel` defaults to the General
    channel, whose id is the team's)."""
    return {
        "tenant": {"id": tenant},
        "team": {"id": team},
        "channel": {"id": channel or team},
        **data,
    }


def channel_event(
    double: TeamsDouble,
    event: str,
    channel: str,
    name: str,
    *,
    team: str = CHANNEL,
    **kw: Any,
) -> dict[str, Any]:
    """A `conversationUpdate` saying a channel was created, renamed or restored (`event`)."""
    data = in_team(team, channel=channel, tenant=kw.get("tenant", TENANT), eventType=event)
    data["channel"]["name"] = name
    return activity(double, "conversationUpdate", channelData=data, **kw)


def bot_installed(double: TeamsDouble, *, team: str = CHANNEL, name: str = "Team", **kw: Any):
    """A `conversationUpdate` adding the bot to a team (its installation)."""
    data = in_team(team, tenant=kw.get("tenant", TENANT), eventType="teamMemberAdded")
    data["team"]["name"] = name
    kw.setdefault("conversation", team)
    added = [{"id": BOT}]
    return activity(double, "conversationUpdate", channelData=data, membersAdded=added, **kw)
