"""A Slack Web API test double that speaks real HTTP on the loopback interface.

Modelled on bolt-python's ``tests/mock_web_api_server`` but packaged as a class
so that every test can own an isolated instance::

    with SlackDouble() as slack:
        client = WebClient(token="xoxb-test", base_url=slack.api_url)
        client.chat_postMessage(channel="C1", text="hi")
        assert slack.last("chat.postMessage").params["text"] == "hi"

Socket Mode works too: ``apps.connections.open`` (with an ``xapp-`` token) hands out a
``ws://127.0.0.1:<port>/link/?ticket=...`` URL served by a minimal RFC 6455 server the double
starts on first use. It greets every connection with Slack's ``hello``, answers pings, records
every JSON message the client sends (acks) as a ``"socket_ack"`` call, and lets a test push
envelopes with :meth:`SlackDouble.socket_send`::

    slack.wait_socket_connected()
    slack.socket_send({"envelope_id": "e1", "type": "slash_commands", "payload": {...}})
    ack = slack.wait_for("socket_ack", predicate=lambda c: c.params["envelope_id"] == "e1")

Everything is standard library; the double never talks to the internet.
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import hashlib
import itertools
import json
import socket
import struct
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

__all__ = ["METHOD_SCOPES", "Call", "Fault", "HeaderDict", "SlackDouble"]

JsonDict = dict[str, Any]

TEAM_URL = "https://narrative-test.slack.com/"
_TS_BASE_MICROS = 1_700_000_000_000_000
_TS_STEP_MICROS = 100


class HeaderDict(dict[str, str]):
    """A ``dict`` of HTTP headers with lower-cased keys and case-insensitive lookup."""

    def __init__(self, items: Mapping[str, str] | None = None) -> None:
        super().__init__()
        for key, value in (items or {}).items():
            self[key] = value

    def __setitem__(self, key: str, value: str) -> None:
        super().__setitem__(key.lower(), value)

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key.lower(), default)


@dataclass(frozen=True)
class Call:
    """One request received by the double.

    ``method`` is the Web API method (``"chat.postMessage"``), ``"upload"`` for a
    file upload to an URL handed out by ``files.getUploadURLExternal``,
    ``"response_url"`` for a POST to a :meth:`SlackDouble.response_url`, or
    ``"socket_ack"`` for a JSON message a Socket Mode client sent over the websocket
    (``params`` is the parsed message, e.g. ``{"envelope_id": "e1", "payload": {...}}``).
    ``headers`` keys are lower-cased but lookups are case-insensitive.
    ``status`` is the HTTP status answered and ``error`` the Slack error code
    answered (``None`` when the answer was ``"ok": true``).
    """

    method: str
    params: JsonDict
    headers: dict[str, str]
    at: float
    status: int = 200
    error: str | None = None
    # The workspace whose token made the call (tokens issued through OAuth), else None.
    team: str | None = None


@dataclass
class Fault:
    """An injected failure; ``remaining`` is ``None`` for "until cleared"."""

    status: int = 200
    error: str | None = None
    retry_after: int | None = None
    remaining: int | None = 1
    when: Callable[[JsonDict], bool] | None = None

    def body(self) -> JsonDict:
        if self.status == 429:
            code = self.error or "ratelimited"
        elif self.status >= 500:
            code = self.error or "internal_error"
        else:
            code = self.error or "fatal_error"
        return {"ok": False, "error": code}

    def headers(self) -> dict[str, str]:
        if self.status == 429:
            return {"Retry-After": str(1 if self.retry_after is None else self.retry_after)}
        if self.retry_after is not None:
            return {"Retry-After": str(self.retry_after)}
        return {}


@dataclass
class Hold:
    """A call whose answer the double keeps back until the test releases it (slow Slack)."""

    reached: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)
    payload: JsonDict = field(default_factory=dict)
    when: Callable[[JsonDict], bool] | None = None

    def release(self) -> None:
        self.released.set()


@dataclass
class _Answer:
    status: int
    body: bytes
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of_json(
        cls, status: int, payload: JsonDict, headers: dict[str, str] | None = None
    ) -> _Answer:
        return cls(status, json.dumps(payload).encode("utf-8"), headers=dict(headers or {}))

    @classmethod
    def of_text(cls, status: int, text: str) -> _Answer:
        return cls(status, text.encode("utf-8"), content_type="text/plain; charset=utf-8")


class _SlackError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


Handler = Callable[[JsonDict], JsonDict]


class SlackDouble:
    """A fake ``https://slack.com/api/`` on ``http://127.0.0.1:<random port>``.

    Mutable attributes tests may set before (or during) a test:

    ``team_id``, ``bot_user_id``, ``bot_id``: identities returned by the API.
    ``invalid_tokens``: tokens answered with ``invalid_auth``.
    ``users``: ``user_id -> dict`` merged over ``users.info`` defaults.
    ``private_channels``: channel ids reported ``is_private`` by ``conversations.info``.
    ``channel_names``: ``channel_id -> name`` for ``conversations.info``.
    ``channel_members``: ``channel_id -> [user ids]`` for ``conversations.members``.
    ``missing_channels``: channel ids answered ``channel_not_found`` by ``conversations.info``
    and ``conversations.members`` (as for a channel that does not exist or the bot cannot see).
    ``outside_channels``: channels the bot is not a member of (it is a member of every other
    one). As in Slack: ``conversations.info`` says ``is_member: false`` for a public one and
    ``channel_not_found`` for a private one; posting in a public one needs
    ``chat:write.public`` (else ``not_in_channel``), in a private one it is ``channel_not_found``;
    reading history is ``not_in_channel``; ``conversations.join`` makes the bot a member of a
    public one; and Slack sends no event from them (:meth:`delivers_events_from`).
    ``scopes``: the bot token's scopes; ``None`` (the default) grants every scope. A method
    needing a scope not granted (see ``METHOD_SCOPES``) is answered ``missing_scope``.

    OAuth (distribution mode): ``client_id`` and ``client_secret`` are the app's credentials.
    ``GET /oauth/v2/authorize`` is a person approving the install: it redirects to the
    ``redirect_uri`` (the query's, else ``oauth_redirect_uri``) with a code for the workspace
    ``approving`` names (``{"team_id": …, "enterprise_id": …, "is_enterprise_install": …}``,
    default the double's ``team_id``). ``oauth.v2.access`` exchanges the code for a bot token
    of that workspace (and, when ``token_expires_in`` is set, a refresh token and an expiry;
    ``grant_type=refresh_token`` refreshes). Once a token was issued, only issued tokens are
    accepted, each for its own workspace: a call naming a channel (``channel_teams``) or a
    person (``user_teams``) of another workspace is answered ``channel_not_found`` /
    ``user_not_found``, an expired token ``token_expired``, a revoked one ``invalid_auth``
    (:meth:`revoke`). ``Call.team`` is the workspace of the calling token.

    State the double maintains:

    ``messages``: ``(channel, ts) -> {channel, ts, text, blocks, thread_ts}``.
    ``uploads``: ``file_id -> bytes`` (the file part for multipart uploads).
    ``raw_uploads``: ``file_id -> raw request body`` of the upload POST.
    ``files``: ``file_id -> {id, filename, length, title, channel_id, ...}``.
    ``views``: ``view_id -> view dict`` for every view opened/pushed/updated/published.
    ``home_tabs``: ``user_id -> view dict`` published with ``views.publish``.
    """

    def __init__(
        self, *, team_id: str = "T0TEST", bot_user_id: str = "UBOT", bot_id: str = "BBOT"
    ) -> None:
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.invalid_tokens: set[str] = {"xoxb-invalid"}
        self.users: dict[str, JsonDict] = {}
        self.private_channels: set[str] = set()
        self.channel_names: dict[str, str] = {}
        self.channel_members: dict[str, list[str]] = {}
        self.missing_channels: set[str] = set()
        self.outside_channels: set[str] = set()
        self.scopes: set[str] | None = None
        self.client_id = "1111.2222"
        self.client_secret = "test-client-secret"
        self.oauth_redirect_uri: str | None = None
        self.approving: JsonDict = {}
        self.token_expires_in: int | None = None
        self.channel_teams: dict[str, str] = {}
        self.user_teams: dict[str, str] = {}
        # token -> (team, expires at (epoch seconds) or None); refresh token -> its grant.
        self.issued_tokens: dict[str, tuple[str, float | None]] = {}
        self.refresh_tokens: dict[str, JsonDict] = {}
        self._codes: dict[str, JsonDict] = {}

        self.messages: dict[tuple[str, str], JsonDict] = {}
        self.uploads: dict[str, bytes] = {}
        self.raw_uploads: dict[str, bytes] = {}
        self.files: dict[str, JsonDict] = {}
        self.views: dict[str, JsonDict] = {}
        self.home_tabs: dict[str, JsonDict] = {}

        self._lock = threading.RLock()
        self._calls: list[Call] = []
        self._next_faults: dict[str, list[Fault]] = {}
        self._always_faults: dict[str, Fault] = {}
        self._holds: dict[str, list[Hold]] = {}
        self._ts_counter = itertools.count(1)
        self._id_counter = itertools.count(1)
        self._server: _DoubleServer | None = None
        self._thread: threading.Thread | None = None
        self._socket_server: _WebSocketServer | None = None
        self._handlers: dict[str, Handler] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.delete": self._chat_delete,
            "chat.getPermalink": self._chat_get_permalink,
            "views.open": self._views("views.open"),
            "views.push": self._views("views.push"),
            "views.update": self._views("views.update"),
            "views.publish": self._views("views.publish"),
            "reactions.add": self._empty,
            "reactions.remove": self._empty,
            "conversations.open": self._conversations_open,
            "conversations.info": self._conversations_info,
            "conversations.members": self._conversations_members,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "conversations.join": self._conversations_join,
            "users.info": self._users_info,
            "apps.connections.open": self._apps_connections_open,
            "files.getUploadURLExternal": self._files_get_upload_url_external,
            "files.completeUploadExternal": self._files_complete_upload_external,
        }

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Self:
        if self._server is not None:
            return self
        server = _DoubleServer(("127.0.0.1", 0), _DoubleRequestHandler)
        server.double = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"SlackDouble:{server.server_address[1]}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._lock:
            socket_server, self._socket_server = self._socket_server, None
        if socket_server is not None:
            socket_server.stop()
        server, thread = self._server, self._thread
        self._server, self._thread = None, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("SlackDouble is not started")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        """Pass as ``WebClient(base_url=...)``; ends with a slash."""
        return f"{self.base_url}/api/"

    def response_url(self, name: str = "r1") -> str:
        """A ``response_url`` whose POSTs are recorded as ``"response_url"`` calls."""
        return f"{self.base_url}/response/{name}"

    # ------------------------------------------------------------------ inspection

    def calls(self, method: str | None = None) -> list[Call]:
        with self._lock:
            if method is None:
                return list(self._calls)
            return [c for c in self._calls if c.method == method]

    def last(self, method: str) -> Call:
        found = self.calls(method)
        if not found:
            raise AssertionError(f"no {method!r} call recorded; recorded: {self._summary()}")
        return found[-1]

    def clear(self) -> None:
        """Forget recorded calls (state such as ``messages`` and faults is kept)."""
        with self._lock:
            self._calls.clear()

    def reset(self) -> None:
        """Forget calls, faults and every piece of state the double maintains."""
        with self._lock:
            self._calls.clear()
            self._next_faults.clear()
            self._always_faults.clear()
            self.messages.clear()
            self.uploads.clear()
            self.raw_uploads.clear()
            self.files.clear()
            self.views.clear()
            self.home_tabs.clear()

    def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,
        predicate: Callable[[Call], bool] | None = None,
    ) -> list[Call]:
        """Poll (every 10 ms) until ``count`` matching calls exist; return them all."""
        deadline = time.monotonic() + timeout
        while True:
            matching = [c for c in self.calls(method) if predicate is None or predicate(c)]
            if len(matching) >= count:
                return matching
            if time.monotonic() >= deadline:
                what = f"{count} {method!r} call(s)" + (
                    " matching the predicate" if predicate else ""
                )
                raise AssertionError(
                    f"timed out after {timeout}s waiting for {what}; got {len(matching)} matching. "
                    f"Recorded: {self._summary()}"
                )
            time.sleep(0.01)

    def _summary(self) -> str:
        calls = self.calls()
        if not calls:
            return "(nothing)"
        return ", ".join(
            c.method if c.status == 200 and c.error is None else f"{c.method}[{c.status} {c.error}]"
            for c in calls
        )

    def delivers_events_from(self, channel: str) -> bool:
        """Whether Slack would send the bot message and reaction events from ``channel``: only
        from channels it is a member of (``chat:write.public`` lets it post, not listen)."""
        with self._lock:
            return channel not in self.outside_channels

    # ------------------------------------------------------------------ Socket Mode

    def socket_send(self, envelope: JsonDict) -> None:
        """Send ``envelope`` as a text frame to the most recently connected Socket Mode client."""
        with self._lock:
            socket_server = self._socket_server
        if socket_server is None:
            raise AssertionError("no Socket Mode client ever connected (no apps.connections.open)")
        socket_server.send(json.dumps(envelope))

    def wait_socket_connected(self, timeout: float = 10.0, count: int = 1) -> None:
        """Wait until ``count`` websocket connections have completed the handshake (and been
        sent ``hello``) in total, counting reconnections."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                socket_server = self._socket_server
            connected = socket_server.connections_total if socket_server is not None else 0
            if connected >= count:
                return
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"timed out after {timeout}s waiting for {count} Socket Mode connection(s); "
                    f"got {connected}. Recorded: {self._summary()}"
                )
            time.sleep(0.01)

    def socket_disconnect(self) -> None:
        """Close the current websocket connection abruptly (as a network failure would)."""
        with self._lock:
            socket_server = self._socket_server
        if socket_server is not None:
            socket_server.drop_current()

    def _socket_url(self) -> str:
        with self._lock:
            if self._socket_server is None:
                self._socket_server = _WebSocketServer(self).start()
            port = self._socket_server.port
        return f"ws://127.0.0.1:{port}/link/?ticket={uuid.uuid4()}&app_id=A0NARR"

    # ------------------------------------------------------------------ faults

    def fail_next(
        self,
        method: str,
        *,
        status: int = 200,
        error: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
        when: Callable[[JsonDict], bool] | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail.

        429 answers carry ``Retry-After`` (``retry_after``, default 1) and
        ``ratelimited``; 5xx answer ``internal_error``; any status answers
        ``error`` instead when given. ``method`` may also be ``"upload"`` or
        ``"response_url"``. ``when``: only calls whose params it accepts fail (API methods).
        """
        with self._lock:
            queue = self._next_faults.setdefault(method, [])
            queue.append(
                Fault(
                    status=status,
                    error=error,
                    retry_after=retry_after,
                    remaining=times,
                    when=when,
                )
            )

    def fail_always(
        self,
        method: str,
        *,
        status: int = 200,
        error: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        """Make every call of ``method`` fail until :meth:`clear_faults`."""
        with self._lock:
            self._always_faults[method] = Fault(
                status=status, error=error, retry_after=retry_after, remaining=None
            )

    def hold_next(self, method: str, when: Callable[[JsonDict], bool] | None = None) -> Hold:
        """Keep back the answer to the next call of ``method`` (it is handled and recorded at
        once) until ``release()``: Slack being slow to answer, as seen from the bot. A client
        whose timeout is shorter gives up while the message is already posted (it shows in
        ``conversations.history``). ``when``: only a call whose params it accepts is held."""
        hold = Hold(when=when)
        with self._lock:
            self._holds.setdefault(method, []).append(hold)
        return hold

    def clear_faults(self) -> None:
        with self._lock:
            self._next_faults.clear()
            self._always_faults.clear()

    def _take_fault(self, method: str, params: JsonDict | None = None) -> Fault | None:
        with self._lock:
            queue = self._next_faults.get(method) or []
            fault = next(
                (f for f in queue if f.when is None or (params is not None and f.when(params))),
                None,
            )
            if fault is not None:
                assert fault.remaining is not None
                fault.remaining -= 1
                if fault.remaining <= 0:
                    queue.remove(fault)
                return fault
            return self._always_faults.get(method)

    # ------------------------------------------------------------------ allocation

    def next_ts(self) -> str:
        """A fresh, unique, increasing message ts such as ``"1700000000.000100"``."""
        with self._lock:
            micros = _TS_BASE_MICROS + next(self._ts_counter) * _TS_STEP_MICROS
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _next_id(self) -> int:
        with self._lock:
            return next(self._id_counter)

    # ------------------------------------------------------------------ dispatch

    def _record(
        self,
        method: str,
        params: JsonDict,
        headers: HeaderDict,
        answer: _Answer,
        error: str | None,
        *,
        team: str | None = None,
    ) -> None:
        call = Call(
            method=method,
            params=params,
            headers=headers,
            at=time.time(),
            status=answer.status,
            error=error,
            team=team,
        )
        with self._lock:
            self._calls.append(call)

    def _handle_api(self, method: str, params: JsonDict, headers: HeaderDict) -> _Answer:
        if method == "oauth.v2.access":
            return self._oauth_v2_access(params, headers)
        token = _bearer(headers.get("authorization")) or _str_or_none(params.get("token"))
        payload: JsonDict
        status = 200
        extra_headers: dict[str, str] = {}
        team, token_error = self._token_team(token, params)
        if not token:
            payload = {"ok": False, "error": "not_authed"}
        elif token_error is not None:
            payload = {"ok": False, "error": token_error}
        elif token in self.invalid_tokens:
            payload = {"ok": False, "error": "invalid_auth"}
        elif (method == "apps.connections.open") != token.startswith("xapp-"):
            # Only app-level tokens open connections, and they do nothing else.
            payload = {"ok": False, "error": "not_allowed_token_type"}
        elif method == "auth.test" and team is not None:
            payload = {"ok": True, **self._auth_test(params), "team_id": team}
        elif (fault := self._take_fault(method, params)) is not None:
            status, payload, extra_headers = fault.status, fault.body(), fault.headers()
        elif (needed := self._missing_scope(method, params)) is not None:
            payload = {"ok": False, "error": "missing_scope", "needed": needed}
        else:
            handler = self._handlers.get(method)
            if handler is None:
                payload = {"ok": False, "error": "unknown_method"}
            else:
                try:
                    payload = {"ok": True, **handler(params)}
                except _SlackError as exc:
                    payload = {"ok": False, "error": exc.code}
        answer = _Answer.of_json(status, payload, extra_headers)
        self._record(
            method,
            params,
            headers,
            answer,
            None if payload.get("ok") else str(payload.get("error")),
            team=team,
        )
        with self._lock:
            holds = self._holds.get(method) or []
            hold = next((h for h in holds if h.when is None or h.when(params)), None)
            if hold is not None:
                holds.remove(hold)
        if hold is not None:
            hold.payload = payload
            hold.reached.set()
            hold.released.wait(timeout=30)
        return answer

    def _handle_upload(self, file_id: str, raw: bytes, headers: HeaderDict) -> _Answer:
        content_type = headers.get("content-type", "")
        params: JsonDict = {"file_id": file_id, "length": len(raw), "content_type": content_type}
        fault = self._take_fault("upload")
        error: str | None = None
        if fault is not None:
            answer = _Answer.of_text(fault.status, f"ERROR - {fault.body()['error']}")
            answer.headers.update(fault.headers())
            error = str(fault.body()["error"])
        else:
            with self._lock:
                known = file_id in self.files
            if not known:
                answer = _Answer.of_text(404, "ERROR - file_not_found")
                error = "file_not_found"
            else:
                data = raw
                if content_type.lower().startswith("multipart/form-data"):
                    data = _multipart_file_bytes(content_type, raw)
                    params["multipart"] = True
                params["data_length"] = len(data)
                with self._lock:
                    self.raw_uploads[file_id] = raw
                    self.uploads[file_id] = data
                    self.files[file_id]["uploaded"] = True
                answer = _Answer.of_text(200, f"OK - {len(data)}")
        self._record("upload", params, headers, answer, error)
        return answer

    def _handle_response_url(self, name: str, params: JsonDict, headers: HeaderDict) -> _Answer:
        params = {**params, "_id": name}
        fault = self._take_fault("response_url")
        if fault is not None:
            answer = _Answer.of_json(fault.status, fault.body(), fault.headers())
            self._record("response_url", params, headers, answer, str(fault.body()["error"]))
        else:
            answer = _Answer.of_json(200, {"ok": True})
            self._record("response_url", params, headers, answer, None)
        return answer

    def _missing_scope(self, method: str, params: JsonDict) -> str | None:
        """The scope `method` needs (for this channel's kind) that the token lacks, if any."""
        with self._lock:
            granted = None if self.scopes is None else set(self.scopes)
        needs = METHOD_SCOPES.get(method, ())
        if granted is None or not needs:
            return None
        private = str(params.get("channel") or "") in self.private_channels
        needed = needs[1] if private and len(needs) > 1 else needs[0]
        return None if needed in granted else needed

    def _check_member(self, channel: str, *, posting: bool = False) -> None:
        """Slack's answers in a channel the bot is not a member of (see ``outside_channels``)."""
        with self._lock:
            outside = channel in self.outside_channels
            private = channel in self.private_channels
            public_posting = self.scopes is None or "chat:write.public" in self.scopes
        if not outside:
            return
        if private:
            raise _SlackError("channel_not_found")
        if not (posting and public_posting):
            raise _SlackError("not_in_channel")

    # ------------------------------------------------------------------ OAuth

    def revoke(self, team: str) -> None:
        """Invalidate every token issued to `team` (as an uninstall does)."""
        with self._lock:
            for token, (owner, _expires) in list(self.issued_tokens.items()):
                if owner == team:
                    del self.issued_tokens[token]
            for refresh, grant in list(self.refresh_tokens.items()):
                if grant["team_id"] == team:
                    del self.refresh_tokens[refresh]

    def tokens_of(self, team: str) -> list[str]:
        """The tokens issued to `team` so far that are still valid (newest last)."""
        with self._lock:
            return [t for t, (owner, _e) in self.issued_tokens.items() if owner == team]

    def _token_team(self, token: str | None, params: JsonDict) -> tuple[str | None, str | None]:
        """The workspace of an issued token, and the error its use in this call deserves."""
        with self._lock:
            if not token or not self.issued_tokens or token.startswith("xapp-"):
                return None, None
            issued = self.issued_tokens.get(token)
            if issued is None:
                return None, "invalid_auth"
            team, expires_at = issued
            if expires_at is not None and time.time() >= expires_at:
                return team, "token_expired"
            channel = _str_or_none(params.get("channel") or params.get("channel_id"))
            if channel is not None and self.channel_teams.get(channel, team) != team:
                return team, "channel_not_found"
            people = str(params.get("user") or params.get("users") or "").split(",")
            if any(self.user_teams.get(p, team) != team for p in people if p):
                return team, "user_not_found"
            return team, None

    def _authorize_page(self, query: JsonDict) -> _Answer:
        """A person approving the install in their browser: back to the app with a code."""
        redirect = query.get("redirect_uri") or self.oauth_redirect_uri
        if query.get("client_id") != self.client_id or not redirect:
            return _Answer.of_text(400, "invalid client_id or no redirect_uri")
        code = f"code-{uuid.uuid4().hex[:12]}"
        with self._lock:
            self._codes[code] = {"team_id": self.team_id, **self.approving}
        location = f"{redirect}?code={code}&state={query.get('state', '')}"
        answer = _Answer.of_text(302, "")
        answer.headers["Location"] = location
        return answer

    def _oauth_v2_access(self, params: JsonDict, headers: HeaderDict) -> _Answer:
        client_id, secret = params.get("client_id"), params.get("client_secret")
        basic = headers.get("authorization") or ""
        if basic.lower().startswith("basic "):
            decoded = base64.b64decode(basic[6:]).decode("utf-8")
            client_id, _, secret = decoded.partition(":")
        with self._lock:
            if client_id != self.client_id:
                payload: JsonDict = {"ok": False, "error": "invalid_client_id"}
            elif secret != self.client_secret:
                payload = {"ok": False, "error": "bad_client_secret"}
            elif params.get("grant_type") == "refresh_token":
                grant = self.refresh_tokens.pop(str(params.get("refresh_token")), None)
                payload = (
                    self._grant(grant) if grant else {"ok": False, "error": "invalid_refresh_token"}
                )
            else:
                grant = self._codes.pop(str(params.get("code")), None)
                payload = self._grant(grant) if grant else {"ok": False, "error": "invalid_code"}
        answer = _Answer.of_json(200, payload)
        error = None if payload.get("ok") else str(payload.get("error"))
        self._record("oauth.v2.access", params, headers, answer, error)
        return answer

    def _grant(self, grant: JsonDict) -> JsonDict:
        """A new bot token for the workspace of `grant` (a code or a refresh token's)."""
        team = str(grant["team_id"])
        token = f"xoxb-{team}-{self._next_id()}"
        expires = self.token_expires_in
        self.issued_tokens[token] = (team, None if expires is None else time.time() + expires)
        enterprise = grant.get("enterprise_id")
        org_wide = bool(grant.get("is_enterprise_install"))
        payload: JsonDict = {
            "ok": True,
            "app_id": "A0NARR",
            "authed_user": {"id": grant.get("user_id", "UINSTALLER")},
            "scope": "commands,chat:write",
            "token_type": "bot",
            "access_token": token,
            "bot_user_id": self.bot_user_id,
            "team": None if org_wide else {"id": team, "name": f"Workspace {team}"},
            "enterprise": {"id": enterprise, "name": "Org"} if enterprise else None,
            "is_enterprise_install": org_wide,
        }
        if expires is not None:
            refresh = f"xoxe-1-{team}-{self._next_id()}"
            self.refresh_tokens[refresh] = grant
            payload.update(refresh_token=refresh, expires_in=expires)
        return payload

    # ------------------------------------------------------------------ API methods

    def _empty(self, params: JsonDict) -> JsonDict:
        return {}

    def _auth_test(self, params: JsonDict) -> JsonDict:
        return {
            "url": TEAM_URL,
            "team": "Narrative Test",
            "user": "narrative",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _chat_post_message(self, params: JsonDict) -> JsonDict:
        channel = _required(params, "channel", "channel_not_found")
        self._check_member(channel, posting=True)
        text = params.get("text")
        blocks = _maybe_json(params.get("blocks"))
        if not text and not blocks and not params.get("attachments"):
            raise _SlackError("no_text")
        _check_blocks(blocks)
        thread_ts = _str_or_none(params.get("thread_ts"))
        ts = self.next_ts()
        message: JsonDict = {
            "type": "message",
            "text": text or "",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "ts": ts,
        }
        if blocks is not None:
            message["blocks"] = blocks
        if thread_ts:
            message["thread_ts"] = thread_ts
        metadata = _maybe_json(params.get("metadata"))
        if isinstance(metadata, dict):
            message["metadata"] = metadata
        with self._lock:
            self.messages[(channel, ts)] = {
                "channel": channel,
                "ts": ts,
                "text": text or "",
                "blocks": blocks,
                "thread_ts": thread_ts,
                "metadata": metadata if isinstance(metadata, dict) else None,
            }
        return {"channel": channel, "ts": ts, "message": message}

    def _chat_update(self, params: JsonDict) -> JsonDict:
        channel = _required(params, "channel", "channel_not_found")
        ts = _required(params, "ts", "message_not_found")
        _check_blocks(_maybe_json(params.get("blocks")))
        with self._lock:
            stored = self.messages.get((channel, ts))
            if stored is None:
                raise _SlackError("message_not_found")
            if "text" in params:
                stored["text"] = params["text"]
            if "blocks" in params:
                stored["blocks"] = _maybe_json(params["blocks"])
            text = stored["text"]
        return {"channel": channel, "ts": ts, "text": text}

    def _chat_post_ephemeral(self, params: JsonDict) -> JsonDict:
        channel = _required(params, "channel", "channel_not_found")
        self._check_member(channel, posting=True)
        _check_blocks(_maybe_json(params.get("blocks")))
        _required(params, "user", "user_not_in_channel")
        return {"message_ts": self.next_ts()}

    def _chat_delete(self, params: JsonDict) -> JsonDict:
        channel = _required(params, "channel", "channel_not_found")
        ts = _required(params, "ts", "message_not_found")
        with self._lock:
            self.messages.pop((channel, ts), None)
        return {"channel": channel, "ts": ts}

    def _chat_get_permalink(self, params: JsonDict) -> JsonDict:
        channel = _required(params, "channel", "channel_not_found")
        ts = _required(params, "message_ts", "message_not_found")
        return {
            "channel": channel,
            "permalink": f"{TEAM_URL}archives/{channel}/p{ts.replace('.', '')}",
        }

    def _views(self, method: str) -> Handler:
        def handle(params: JsonDict) -> JsonDict:
            view = _maybe_json(params.get("view"))
            if not isinstance(view, dict):
                raise _SlackError("invalid_arguments")
            _check_view(view)
            n = self._next_id()
            view_id = f"V{n}"
            if method == "views.update" and params.get("view_id"):
                view_id = str(params["view_id"])
            answer = {
                **view,
                "id": view_id,
                "hash": f"h{n}",
                "team_id": self.team_id,
                "app_id": "A0NARR",
            }
            with self._lock:
                self.views[view_id] = answer
                if method == "views.publish":
                    user_id = _required(params, "user_id", "user_not_found")
                    self.home_tabs[user_id] = answer
            return {"view": answer}

        return handle

    def _conversations_open(self, params: JsonDict) -> JsonDict:
        users = params.get("users")
        if isinstance(users, list):
            ids = [str(u) for u in users]
        else:
            ids = [u.strip() for u in str(users or "").split(",") if u.strip()]
        if not ids:
            if params.get("channel"):
                return {"channel": {"id": str(params["channel"])}}
            raise _SlackError("users_list_not_supplied")
        return {"channel": {"id": "D" + ids[0]}}

    def _conversations_info(self, params: JsonDict) -> JsonDict:
        channel = _required(params, "channel", "channel_not_found")
        if channel in self.missing_channels:
            raise _SlackError("channel_not_found")
        with self._lock:
            outside = channel in self.outside_channels
        if outside and channel in self.private_channels:
            raise _SlackError("channel_not_found")
        return {
            "channel": {
                "id": channel,
                "name": self.channel_names.get(channel, channel.lower()),
                "is_private": channel in self.private_channels,
                "is_im": channel.startswith("D"),
                "is_member": not outside,
            }
        }

    def _conversations_join(self, params: JsonDict) -> JsonDict:
        channel = _required(params, "channel", "channel_not_found")
        if channel in self.missing_channels:
            raise _SlackError("channel_not_found")
        with self._lock:
            if channel in self.private_channels:
                # A bot cannot join a private channel: it has to be invited.
                if channel in self.outside_channels:
                    raise _SlackError("channel_not_found")
                raise _SlackError("method_not_supported_for_channel_type")
            self.outside_channels.discard(channel)
        return {"channel": {"id": channel, "is_member": True}}

    def _conversations_members(self, params: JsonDict) -> JsonDict:
        channel = _required(params, "channel", "channel_not_found")
        if channel in self.missing_channels:
            raise _SlackError("channel_not_found")
        return {
            "members": list(self.channel_members.get(channel, [])),
            "response_metadata": {"next_cursor": ""},
        }

    def _listed(self, stored: JsonDict, params: JsonDict) -> JsonDict:
        """A stored message as conversations.history/replies list it."""
        message: JsonDict = {
            "type": "message",
            "text": stored["text"],
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "ts": stored["ts"],
        }
        if stored.get("blocks") is not None:
            message["blocks"] = stored["blocks"]
        if stored.get("thread_ts"):
            message["thread_ts"] = stored["thread_ts"]
        if stored.get("metadata") and str(params.get("include_all_metadata")).lower() in (
            "1",
            "true",
        ):
            message["metadata"] = stored["metadata"]
        return message

    def _in_window(self, ts: str, params: JsonDict) -> bool:
        oldest, latest = params.get("oldest"), params.get("latest")
        return (not oldest or float(ts) >= float(oldest)) and (
            not latest or float(ts) <= float(latest)
        )

    def _conversations_history(self, params: JsonDict) -> JsonDict:
        """The channel's messages newest first, without thread replies (as Slack lists them)."""
        channel = _required(params, "channel", "channel_not_found")
        self._check_member(channel)
        limit = int(params.get("limit") or 100)
        with self._lock:
            found = [
                m
                for (c, _ts), m in self.messages.items()
                if c == channel
                and (not m.get("thread_ts") or m["thread_ts"] == m["ts"])
                and self._in_window(m["ts"], params)
            ]
        found.sort(key=lambda m: float(m["ts"]), reverse=True)
        return {
            "messages": [self._listed(m, params) for m in found[:limit]],
            "has_more": len(found) > limit,
            "response_metadata": {"next_cursor": ""},
        }

    def _conversations_replies(self, params: JsonDict) -> JsonDict:
        """A thread: its parent, then its replies oldest first."""
        channel = _required(params, "channel", "channel_not_found")
        self._check_member(channel)
        thread = _required(params, "ts", "thread_not_found")
        limit = int(params.get("limit") or 1000)
        with self._lock:
            found = [
                m
                for (c, ts), m in self.messages.items()
                if c == channel
                and (ts == thread or m.get("thread_ts") == thread)
                and self._in_window(ts, params)
            ]
            if (channel, thread) not in self.messages:
                raise _SlackError("thread_not_found")
        found.sort(key=lambda m: float(m["ts"]))
        return {
            "messages": [self._listed(m, params) for m in found[:limit]],
            "has_more": len(found) > limit,
            "response_metadata": {"next_cursor": ""},
        }

    def _users_info(self, params: JsonDict) -> JsonDict:
        user_id = _required(params, "user", "user_not_found")
        user: JsonDict = {
            "id": user_id,
            "team_id": self.team_id,
            "name": user_id.lower(),
            "real_name": f"User {user_id}",
            "tz": "Europe/Berlin",
            "tz_label": "Central European Time",
            "tz_offset": 3600,
            "is_admin": False,
            "is_owner": False,
            "is_bot": False,
            "deleted": False,
        }
        user.update(self.users.get(user_id, {}))
        return {"user": user}

    def _apps_connections_open(self, params: JsonDict) -> JsonDict:
        return {"url": self._socket_url()}

    def _files_get_upload_url_external(self, params: JsonDict) -> JsonDict:
        filename = _required(params, "filename", "invalid_arguments")
        length = params.get("length")
        file_id = f"F{self._next_id()}"
        with self._lock:
            self.files[file_id] = {
                "id": file_id,
                "filename": filename,
                "length": int(length) if length not in (None, "") else None,
                "title": filename,
                "uploaded": False,
                "completed": False,
            }
        return {"upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    def _files_complete_upload_external(self, params: JsonDict) -> JsonDict:
        files = _maybe_json(params.get("files"))
        if not isinstance(files, list) or not files:
            raise _SlackError("invalid_arguments")
        answered: list[JsonDict] = []
        with self._lock:
            for item in files:
                if not isinstance(item, dict) or str(item.get("id")) not in self.files:
                    raise _SlackError("file_not_found")
            for item in files:
                file_id = str(item["id"])
                stored = self.files[file_id]
                title = str(item.get("title") or stored["filename"])
                stored.update(
                    title=title,
                    completed=True,
                    channel_id=_str_or_none(params.get("channel_id")),
                    channels=_str_or_none(params.get("channels")),
                    initial_comment=_str_or_none(params.get("initial_comment")),
                    thread_ts=_str_or_none(params.get("thread_ts")),
                )
                answered.append({"id": file_id, "title": title})
        return {"files": answered}


# ---------------------------------------------------------------------- scopes
#
# The bot scope each Web API method needs, as Slack documents it: one scope, or (public
# channels, private channels) for methods whose scope depends on the channel's kind. Methods
# needing no scope (auth.test, views.*, chat.getPermalink) are left out. `apps.connections.open`
# takes the app-level token's `connections:write`, not a bot scope.

METHOD_SCOPES: dict[str, tuple[str, ...]] = {
    "chat.postMessage": ("chat:write",),
    "chat.update": ("chat:write",),
    "chat.postEphemeral": ("chat:write",),
    "chat.delete": ("chat:write",),
    "reactions.add": ("reactions:write",),
    "reactions.remove": ("reactions:write",),
    "conversations.open": ("im:write",),
    "conversations.info": ("channels:read", "groups:read"),
    "conversations.members": ("channels:read", "groups:read"),
    "conversations.history": ("channels:history", "groups:history"),
    "conversations.replies": ("channels:history", "groups:history"),
    "conversations.join": ("channels:join",),
    "users.info": ("users:read",),
    "files.getUploadURLExternal": ("files:write",),
    "files.completeUploadExternal": ("files:write",),
}


# ---------------------------------------------------------------------- HTTP plumbing


class _DoubleServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    double: SlackDouble


class _DoubleRequestHandler(BaseHTTPRequestHandler):
    server: _DoubleServer
    server_version = "SlackDouble/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        try:
            answer = self._route()
        except Exception as exc:  # keep the server alive; surface the problem to the client
            answer = _Answer.of_json(
                500, {"ok": False, "error": "double_crashed", "detail": repr(exc)}
            )
        try:
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(answer.body)))
            for key, value in answer.headers.items():
                self.send_header(key, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(answer.body)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up waiting (a held answer, later than its timeout): as with
            # Slack, the call was handled all the same.
            self.close_connection = True

    def _route(self) -> _Answer:
        double = self.server.double
        split = urlsplit(self.path)
        path = split.path
        headers = HeaderDict({k: v for k, v in self.headers.items()})
        raw = self._read_body()
        if path.startswith("/api/"):
            params: JsonDict = dict(parse_qsl(split.query, keep_blank_values=True))
            try:
                params.update(_parse_body(raw, headers.get("content-type", "")))
            except ValueError:
                params["_raw"] = raw.decode("utf-8", "replace")
                answer = _Answer.of_json(200, {"ok": False, "error": "invalid_json"})
                double._record(path[len("/api/") :], params, headers, answer, "invalid_json")
                return answer
            return double._handle_api(path[len("/api/") :], params, headers)
        if path == "/oauth/v2/authorize" and self.command == "GET":
            return double._authorize_page(dict(parse_qsl(split.query, keep_blank_values=True)))
        if path.startswith("/upload/") and self.command == "POST":
            return double._handle_upload(path[len("/upload/") :], raw, headers)
        if path.startswith("/response/") and self.command == "POST":
            try:
                body = _parse_body(raw, headers.get("content-type", "") or "application/json")
            except ValueError:
                body = {"_raw": raw.decode("utf-8", "replace")}
            return double._handle_response_url(path[len("/response/") :], body, headers)
        return _Answer.of_text(404, "not found")

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""


# ---------------------------------------------------------------------- WebSocket plumbing

_WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_OP_CONTINUATION, _OP_TEXT, _OP_BINARY = 0x0, 0x1, 0x2
_OP_CLOSE, _OP_PING, _OP_PONG = 0x8, 0x9, 0xA
_MAX_HANDSHAKE = 64 * 1024
_MAX_FRAME = 16 * 1024 * 1024
_POLL = 0.05


class _Closed(Exception):
    """The peer went away, or the server is stopping."""


def _ws_accept(key: str) -> str:
    return base64.b64encode(hashlib.sha1((key + _WS_GUID).encode("ascii")).digest()).decode()


def _ws_frame(opcode: int, payload: bytes) -> bytes:
    """An unmasked, final server frame."""
    length = len(payload)
    if length <= 125:
        header = struct.pack("!BB", 0x80 | opcode, length)
    elif length <= 0xFFFF:
        header = struct.pack("!BBH", 0x80 | opcode, 126, length)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 127, length)
    return header + payload


class _WebSocketConnection:
    """One accepted client: handshake, ``hello``, then a frame-reading loop on its own thread."""

    def __init__(self, server: _WebSocketServer, sock: socket.socket) -> None:
        self.server = server
        self.sock = sock
        self.sock.settimeout(_POLL)
        self.buffer = b""
        self.send_lock = threading.Lock()
        self.open = False
        self.thread = threading.Thread(target=self._run, name="SlackDouble:ws-conn", daemon=True)

    # -- reading

    def _fill(self) -> None:
        """Append what the peer sent next to the buffer (waiting in short, interruptible steps)."""
        while True:
            if self.server.stopping.is_set():
                raise _Closed
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                continue
            except OSError as exc:
                raise _Closed from exc
            if not chunk:
                raise _Closed
            self.buffer += chunk
            return

    def _recv_exact(self, size: int) -> bytes:
        while len(self.buffer) < size:
            self._fill()
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def _read_handshake(self) -> str | None:
        """Answer the HTTP upgrade; return the request path, or None after refusing it."""
        while b"\r\n\r\n" not in self.buffer:
            if len(self.buffer) > _MAX_HANDSHAKE:
                raise _Closed
            self._fill()
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        request_line = lines[0].split(" ")
        headers = HeaderDict()
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip()] = value.strip()
        key = headers.get("sec-websocket-key")
        path = request_line[1] if len(request_line) >= 3 else ""
        if (
            request_line[0] != "GET"
            or not path.startswith("/link/")
            or "websocket" not in headers.get("upgrade", "").lower()
            or not key
        ):
            self._send_raw(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            return None
        self._send_raw(
            (
                "HTTP/1.1 101 Switching Protocols\r\n"
                "Upgrade: websocket\r\n"
                "Connection: Upgrade\r\n"
                f"Sec-WebSocket-Accept: {_ws_accept(key)}\r\n\r\n"
            ).encode("ascii")
        )
        return path

    def _read_frame(self) -> tuple[int, bytes]:
        """One whole message (continuations joined): (opcode, unmasked payload)."""
        message_opcode: int | None = None
        parts: list[bytes] = []
        while True:
            b1, b2 = self._recv_exact(2)
            fin, opcode = b1 & 0x80, b1 & 0x0F
            length = b2 & 0x7F
            if length == 126:
                (length,) = struct.unpack("!H", self._recv_exact(2))
            elif length == 127:
                (length,) = struct.unpack("!Q", self._recv_exact(8))
            if length > _MAX_FRAME:
                raise _Closed
            mask = self._recv_exact(4) if b2 & 0x80 else b""
            payload = self._recv_exact(length)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            if opcode >= _OP_CLOSE:  # control frames may sit between fragments
                return opcode, payload
            if opcode != _OP_CONTINUATION:
                message_opcode = opcode
            parts.append(payload)
            if fin:
                return (message_opcode if message_opcode is not None else _OP_TEXT), b"".join(parts)

    # -- writing

    def _send_raw(self, data: bytes) -> None:
        with self.send_lock:
            try:
                self.sock.settimeout(5)
                self.sock.sendall(data)
            except OSError as exc:
                raise _Closed from exc
            finally:
                try:
                    self.sock.settimeout(_POLL)
                except OSError:
                    pass

    def send_frame(self, opcode: int, payload: bytes) -> None:
        self._send_raw(_ws_frame(opcode, payload))

    def close(self) -> None:
        self.open = False
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()

    # -- the loop

    def _run(self) -> None:
        try:
            if self._read_handshake() is None:
                return
            hello = {
                "type": "hello",
                "num_connections": 1,
                "debug_info": {
                    "host": "applink-double",
                    "build_number": 1,
                    "approximate_connection_time": 18060,
                },
                "connection_info": {"app_id": "A0NARR"},
            }
            self.send_frame(_OP_TEXT, json.dumps(hello).encode("utf-8"))
            self.open = True
            self.server.connected(self)
            while True:
                opcode, payload = self._read_frame()
                if opcode == _OP_PING:
                    self.send_frame(_OP_PONG, payload)
                elif opcode == _OP_CLOSE:
                    self.send_frame(_OP_CLOSE, payload[:2])
                    return
                elif opcode == _OP_TEXT:
                    self.server.received(payload.decode("utf-8", "replace"))
        except _Closed:
            return
        finally:
            self.close()


class _WebSocketServer:
    """Accepts Socket Mode clients on ``127.0.0.1:<random port>``."""

    def __init__(self, double: SlackDouble) -> None:
        self.double = double
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.listener.settimeout(_POLL)
        self.port = int(self.listener.getsockname()[1])
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.connections: list[_WebSocketConnection] = []
        self.current: _WebSocketConnection | None = None
        self.connections_total = 0
        self.thread = threading.Thread(
            target=self._accept_loop, name=f"SlackDouble:ws:{self.port}", daemon=True
        )

    def start(self) -> Self:
        self.thread.start()
        return self

    def _accept_loop(self) -> None:
        while not self.stopping.is_set():
            try:
                sock, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            connection = _WebSocketConnection(self, sock)
            with self.lock:
                self.connections = [c for c in self.connections if c.thread.is_alive()]
                self.connections.append(connection)
            connection.thread.start()

    def connected(self, connection: _WebSocketConnection) -> None:
        with self.lock:
            self.current = connection
            self.connections_total += 1

    def received(self, text: str) -> None:
        try:
            params = json.loads(text)
        except ValueError:
            params = None
        if not isinstance(params, dict):
            params = {"_raw": text}
        answer = _Answer.of_json(200, {"ok": True})
        self.double._record("socket_ack", params, HeaderDict(), answer, None)

    def send(self, text: str) -> None:
        with self.lock:
            connection = self.current
        if connection is None or not connection.open:
            raise AssertionError("no Socket Mode client is connected")
        try:
            connection.send_frame(_OP_TEXT, text.encode("utf-8"))
        except _Closed:
            raise AssertionError("the Socket Mode client went away") from None

    def drop_current(self) -> None:
        with self.lock:
            connection, self.current = self.current, None
        if connection is not None:
            connection.close()

    def stop(self) -> None:
        self.stopping.set()
        self.listener.close()
        self.thread.join(timeout=5)
        with self.lock:
            connections = list(self.connections)
        for connection in connections:
            connection.close()
        for connection in connections:
            connection.thread.join(timeout=5)


# ---------------------------------------------------------------------- helpers


def _bearer(value: str | None) -> str | None:
    if not value:
        return None
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def _str_or_none(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(value)


def _required(params: JsonDict, name: str, error: str) -> str:
    value = _str_or_none(params.get(name))
    if value is None:
        raise _SlackError(error)
    return value


def _maybe_json(value: Any) -> Any:
    """Blocks/views arrive as JSON strings in form bodies and as objects in JSON bodies."""
    if isinstance(value, str):
        stripped = value.strip()
        if stripped[:1] in ("[", "{"):
            try:
                return json.loads(stripped)
            except ValueError:
                return value
    return value


def _parse_body(raw: bytes, content_type: str) -> JsonDict:
    if not raw:
        return {}
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type == "application/json":
        parsed = json.loads(raw.decode("utf-8"))
        if not isinstance(parsed, dict):
            raise ValueError("JSON body must be an object")
        return parsed
    if media_type == "multipart/form-data":
        return {name: value for name, value in _multipart_fields(content_type, raw)}
    return dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))


def _multipart_parts(
    content_type: str, raw: bytes
) -> Iterator[tuple[str | None, str | None, bytes]]:
    """Yield ``(field name, filename, payload bytes)`` for each part of a multipart body."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + raw)
    if not message.is_multipart():
        return
    for part in message.iter_parts():
        payload = part.get_payload(decode=True)
        name = part.get_param("name", header="content-disposition")
        yield (
            str(name) if name is not None else None,
            part.get_filename(),
            payload if isinstance(payload, bytes) else b"",
        )


def _multipart_fields(content_type: str, raw: bytes) -> Iterator[tuple[str, Any]]:
    for name, filename, payload in _multipart_parts(content_type, raw):
        if name is None:
            continue
        yield name, (payload if filename is not None else payload.decode("utf-8", "replace"))


def _multipart_file_bytes(content_type: str, raw: bytes) -> bytes:
    parts = list(_multipart_parts(content_type, raw))
    for _name, filename, payload in parts:
        if filename is not None:
            return payload
    return parts[0][2] if parts else raw


# ---------------------------------------------------------------------- Block Kit limits
#
# Slack refuses a message whose blocks break Block Kit's size limits (`invalid_blocks`) and a
# view that does (`invalid_arguments`). The double checks the limits user text can hit.

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
_TEXT_LIMITS = {"section": 3000, "header": 150}
_FIELD_LIMIT = 2000
_CONTEXT_ELEMENT_LIMIT = 2000
_BUTTON_TEXT_LIMIT = 75
_BUTTON_VALUE_LIMIT = 2000
_OPTION_TEXT_LIMIT = 75
_OPTION_VALUE_LIMIT = 150
_LABEL_LIMIT = 2000
_INITIAL_VALUE_LIMIT = 3000
_BLOCK_ID_LIMIT = 255
_VIEW_TITLE_LIMIT = 24
_PRIVATE_METADATA_LIMIT = 3000


def _text_of(obj: Any) -> str:
    return str(obj.get("text") or "") if isinstance(obj, dict) else ""


def _element_fits(element: Any) -> bool:
    if not isinstance(element, dict):
        return True
    kind = element.get("type")
    if kind == "button":
        return (
            len(_text_of(element.get("text"))) <= _BUTTON_TEXT_LIMIT
            and len(str(element.get("value") or "")) <= _BUTTON_VALUE_LIMIT
        )
    if kind == "plain_text_input":
        return len(str(element.get("initial_value") or "")) <= _INITIAL_VALUE_LIMIT
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options.extend(group.get("options") or [])
    for extra in ("initial_option",):
        if element.get(extra):
            options.append(element[extra])
    options.extend(element.get("initial_options") or [])
    return all(
        len(_text_of(o.get("text"))) <= _OPTION_TEXT_LIMIT
        and len(str(o.get("value") or "")) <= _OPTION_VALUE_LIMIT
        for o in options
        if isinstance(o, dict)
    )


def _block_fits(block: Any) -> bool:
    if not isinstance(block, dict):
        return False
    kind = block.get("type")
    if len(str(block.get("block_id") or "")) > _BLOCK_ID_LIMIT:
        return False
    if kind in _TEXT_LIMITS and len(_text_of(block.get("text"))) > _TEXT_LIMITS[kind]:
        return False
    if kind == "section":
        fields = block.get("fields") or []
        if len(fields) > 10 or any(len(_text_of(f)) > _FIELD_LIMIT for f in fields):
            return False
        return _element_fits(block.get("accessory"))
    if kind == "context":
        elements = block.get("elements") or []
        return len(elements) <= 10 and all(
            len(_text_of(e)) <= _CONTEXT_ELEMENT_LIMIT for e in elements
        )
    if kind == "actions":
        elements = block.get("elements") or []
        return len(elements) <= 25 and all(_element_fits(e) for e in elements)
    if kind == "input":
        return (
            len(_text_of(block.get("label"))) <= _LABEL_LIMIT
            and len(_text_of(block.get("hint"))) <= _LABEL_LIMIT
            and _element_fits(block.get("element"))
        )
    return True


def _check_blocks(blocks: Any, limit: int = MESSAGE_BLOCKS, error: str = "invalid_blocks") -> None:
    """Raise Slack's error when `blocks` break a Block Kit size limit."""
    if blocks is None:
        return
    if not isinstance(blocks, list) or len(blocks) > limit:
        raise _SlackError(error)
    if not all(_block_fits(b) for b in blocks):
        raise _SlackError(error)


def _check_view(view: JsonDict) -> None:
    for name in ("title", "submit", "close"):
        if len(_text_of(view.get(name))) > _VIEW_TITLE_LIMIT:
            raise _SlackError("invalid_arguments")
    if len(str(view.get("private_metadata") or "")) > _PRIVATE_METADATA_LIMIT:
        raise _SlackError("invalid_arguments")
    _check_blocks(view.get("blocks") or [], VIEW_BLOCKS, "invalid_arguments")
