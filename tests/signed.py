"""Send requests to the app under test signed exactly the way Slack signs them.

    client = SignedClient("http://127.0.0.1:3000/slack/events", signing_secret)
    reply = client.command("/narrative", "help")
    assert reply.status == 200

Timestamps come from ``time.time()``, so they follow freezegun when a test
freezes time.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

__all__ = ["FORM", "JSON", "Reply", "SignedClient"]

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"

_ts_lock = threading.Lock()
_ts_counter = itertools.count(1)


def _unique_ts() -> str:
    """A unique message ts (``"<now>.<counter>"``) even when time is frozen."""
    with _ts_lock:
        n = next(_ts_counter)
    return f"{int(time.time())}.{n:06d}"


def _trigger_id() -> str:
    """A fresh trigger_id, as Slack gives every command and interaction its own: two requests
    alike in all else are two deliveries, not a replay."""
    return f"T-trigger-{uuid.uuid4().hex[:12]}"


@dataclass(frozen=True)
class Reply:
    """The app's answer. ``headers`` keys are lower-cased."""

    status: int
    body: str
    headers: dict[str, str]

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def json(self) -> Any:
        """The parsed body, or ``None`` for an empty body."""
        if not self.body.strip():
            return None
        return json.loads(self.body)


class SignedClient:
    """Builds Slack-shaped payloads, signs them and POSTs them to ``app_url``."""

    def __init__(
        self,
        app_url: str,
        signing_secret: str,
        *,
        team_id: str = "T0TEST",
        api_app_id: str = "A0NARR",
        verification_token: str = "legacy-verification-token",
        timeout: float = 10.0,
        response_base: str = "http://127.0.0.1:9/response",
    ) -> None:
        """`response_base`: where the default `response_url`s point (a Slack double's
        ``/response`` path records them; the default, the discard port on loopback, answers
        nothing). Never a public host: a test must not reach outside this machine."""
        self.app_url = app_url
        self.response_base = response_base.rstrip("/")
        self.signing_secret = signing_secret
        self.team_id = team_id
        self.api_app_id = api_app_id
        self.verification_token = verification_token
        self.timeout = timeout
        self._verifier = SignatureVerifier(signing_secret)
        # Never route loopback test traffic through an environment proxy.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    # ------------------------------------------------------------------ signing

    def sign(self, body: str | bytes, timestamp: int) -> str:
        """The ``X-Slack-Signature`` value (``v0=<hex>``) for ``body`` at ``timestamp``."""
        signature = self._verifier.generate_signature(timestamp=str(timestamp), body=body)
        assert signature is not None
        return signature

    @staticmethod
    def now() -> int:
        return int(time.time())

    # ------------------------------------------------------------------ transport

    def raw(
        self,
        body: bytes | str,
        content_type: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        omit: Iterable[str] = (),
    ) -> Reply:
        """POST ``body`` as-is. ``timestamp`` defaults to now, ``signature`` to the
        correct one for ``(body, timestamp)``; header names in ``omit`` (any case,
        e.g. ``"X-Slack-Signature"``) are left out. For negative tests."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        ts = self.now() if timestamp is None else timestamp
        headers: dict[str, str] = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": str(ts),
            "X-Slack-Signature": signature if signature is not None else self.sign(data, ts),
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        }
        headers.update(extra_headers or {})
        omitted = {name.lower() for name in omit}
        headers = {k: v for k, v in headers.items() if k.lower() not in omitted}
        return self._post(data, headers)

    def tampered(
        self,
        signed_body: str,
        sent_body: str,
        content_type: str = FORM,
        *,
        timestamp: int | None = None,
    ) -> Reply:
        """Sign ``signed_body`` but send ``sent_body`` (must be rejected)."""
        ts = self.now() if timestamp is None else timestamp
        return self.raw(sent_body, content_type, timestamp=ts, signature=self.sign(signed_body, ts))

    def send_form(self, fields: Mapping[str, str], **raw_kwargs: Any) -> Reply:
        return self.raw(urlencode(fields), FORM, **raw_kwargs)

    def send_json(self, payload: Mapping[str, Any], **raw_kwargs: Any) -> Reply:
        return self.raw(json.dumps(payload), JSON, **raw_kwargs)

    def send_payload(self, payload: Mapping[str, Any], **raw_kwargs: Any) -> Reply:
        """Interactivity style: form body with a single ``payload=<json>`` field."""
        return self.send_form({"payload": json.dumps(payload)}, **raw_kwargs)

    def _post(self, data: bytes, headers: dict[str, str]) -> Reply:
        request = urllib.request.Request(self.app_url, data=data, headers=headers, method="POST")
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                return Reply(
                    status=int(response.status),
                    body=response.read().decode("utf-8", "replace"),
                    headers={k.lower(): v for k, v in response.headers.items()},
                )
        except urllib.error.HTTPError as error:
            with error:
                return Reply(
                    status=int(error.code),
                    body=error.read().decode("utf-8", "replace"),
                    headers={k.lower(): v for k, v in (error.headers or {}).items()},
                )

    # ------------------------------------------------------------------ slash commands

    def command(
        self,
        command: str,
        text: str = "",
        *,
        user_id: str = "U0ALICE",
        user_name: str = "alice",
        channel_id: str = "C0GENERAL",
        channel_name: str = "general",
        trigger_id: str | None = None,
        response_url: str | None = None,
        team_id: str | None = None,
        team_domain: str = "narrative-test",
        extra: Mapping[str, str] | None = None,
        timestamp: int | None = None,
    ) -> Reply:
        """A form-encoded slash command invocation."""
        team = team_id or self.team_id
        fields: dict[str, str] = {
            "token": self.verification_token,
            "team_id": team,
            "team_domain": team_domain,
            "channel_id": channel_id,
            "channel_name": channel_name,
            "user_id": user_id,
            "user_name": user_name,
            "command": command,
            "text": text,
            "api_app_id": self.api_app_id,
            "is_enterprise_install": "false",
            "response_url": response_url or f"{self.response_base}/commands-{team}",
            "trigger_id": trigger_id or _trigger_id(),
        }
        fields.update(extra or {})
        return self.send_form(fields, timestamp=timestamp)

    # ------------------------------------------------------------------ Events API

    def event(
        self,
        event: Mapping[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
        team_id: str | None = None,
        timestamp: int | None = None,
    ) -> Reply:
        """An ``event_callback`` envelope around ``event`` (JSON body)."""
        team = team_id or self.team_id
        envelope: dict[str, Any] = {
            "token": self.verification_token,
            "team_id": team,
            "api_app_id": self.api_app_id,
            "event": dict(event),
            "type": "event_callback",
            "event_id": event_id or f"Ev{uuid.uuid4().hex[:12].upper()}",
            "event_time": self.now(),
            "authorizations": [
                {"team_id": team, "user_id": "UBOT", "is_bot": True, "is_enterprise_install": False}
            ],
            "is_ext_shared_channel": False,
        }
        headers: dict[str, str] = {}
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = retry_reason
        return self.send_json(envelope, extra_headers=headers, timestamp=timestamp)

    def url_verification(self, challenge: str = "challenge-token") -> Reply:
        return self.send_json(
            {"token": self.verification_token, "challenge": challenge, "type": "url_verification"}
        )

    def message(
        self,
        channel: str,
        text: str,
        *,
        user: str | None = "U0ALICE",
        ts: str | None = None,
        thread_ts: str | None = None,
        subtype: str | None = None,
        bot_id: str | None = None,
        extra: Mapping[str, Any] | None = None,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
        team_id: str | None = None,
        timestamp: int | None = None,
    ) -> tuple[Reply, str]:
        """A ``message`` event; returns ``(reply, ts of the message)``.

        ``channel_type`` is ``"im"`` for ``D…`` channels, ``"group"`` for ``G…``,
        else ``"channel"``; ``extra`` is merged last into the event."""
        message_ts = ts or _unique_ts()
        event: dict[str, Any] = {
            "type": "message",
            "channel": channel,
            "text": text,
            "ts": message_ts,
            "event_ts": message_ts,
            "channel_type": "im"
            if channel.startswith("D")
            else "group"
            if channel.startswith("G")
            else "channel",
            "team": team_id or self.team_id,
        }
        if user is not None:
            event["user"] = user
        if thread_ts is not None:
            event["thread_ts"] = thread_ts
        if subtype is not None:
            event["subtype"] = subtype
        if bot_id is not None:
            event["bot_id"] = bot_id
        event.update(extra or {})
        reply = self.event(
            event,
            event_id=event_id,
            retry_num=retry_num,
            retry_reason=retry_reason,
            team_id=team_id,
            timestamp=timestamp,
        )
        return reply, message_ts

    # ------------------------------------------------------------------ interactivity

    def _user(self, user_id: str, team: str) -> dict[str, str]:
        name = user_id.lower()
        return {"id": user_id, "username": name, "name": name, "team_id": team}

    def block_action(
        self,
        action_id: str,
        value: str = "",
        *,
        user_id: str = "U0ALICE",
        channel_id: str = "C0GENERAL",
        message_ts: str = "1700000000.000100",
        block_id: str = "b",
        trigger_id: str | None = None,
        view: Mapping[str, Any] | None = None,
        container: Mapping[str, Any] | None = None,
        response_url: str | None = None,
        message: Mapping[str, Any] | None = None,
        action_type: str = "button",
        action_extra: Mapping[str, Any] | None = None,
        state_values: Mapping[str, Any] | None = None,
        team_id: str | None = None,
        timestamp: int | None = None,
    ) -> Reply:
        """A ``block_actions`` payload for one button press.

        Without ``view`` the button sits in a channel message (``channel``,
        ``message``, ``response_url`` present); with ``view`` (Home tab or modal)
        the container is the view and there is no channel/message/response_url.
        """
        team = team_id or self.team_id
        action: dict[str, Any] = {
            "action_id": action_id,
            "block_id": block_id,
            "value": value,
            "type": action_type,
            "action_ts": f"{time.time():.6f}",
        }
        action.update(action_extra or {})
        payload: dict[str, Any] = {
            "type": "block_actions",
            "token": self.verification_token,
            "api_app_id": self.api_app_id,
            "is_enterprise_install": False,
            "enterprise": None,
            "user": self._user(user_id, team),
            "team": {"id": team, "domain": "narrative-test"},
            "trigger_id": trigger_id or _trigger_id(),
            "state": {"values": dict(state_values or {})},
            "actions": [action],
        }
        if view is not None:
            full_view = {
                "id": "V1",
                "team_id": team,
                "state": {"values": dict(state_values or {})},
                **view,
            }
            payload["view"] = full_view
            payload["container"] = dict(container or {"type": "view", "view_id": full_view["id"]})
        else:
            payload["channel"] = {"id": channel_id, "name": channel_id.lower()}
            payload["message"] = {
                "type": "message",
                "ts": message_ts,
                "user": "UBOT",
                "bot_id": "BBOT",
                "text": "",
                "blocks": [],
                **(message or {}),
            }
            payload["container"] = dict(
                container
                or {
                    "type": "message",
                    "message_ts": message_ts,
                    "channel_id": channel_id,
                    "is_ephemeral": False,
                }
            )
            payload["response_url"] = response_url or f"{self.response_base}/actions-{team}"
        return self.send_payload(payload, timestamp=timestamp)

    def view_submission(
        self,
        callback_id: str,
        values: Mapping[str, Any],
        *,
        private_metadata: str = "",
        user_id: str = "U0ALICE",
        view_id: str = "V1",
        trigger_id: str | None = None,
        view_extra: Mapping[str, Any] | None = None,
        team_id: str | None = None,
        timestamp: int | None = None,
    ) -> Reply:
        """A ``view_submission`` payload; ``values`` is ``view.state.values``."""
        team = team_id or self.team_id
        view: dict[str, Any] = {
            "id": view_id,
            "team_id": team,
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": private_metadata,
            "state": {"values": dict(values)},
            "hash": "h1",
            "title": {"type": "plain_text", "text": "Narrative"},
            "blocks": [],
            "app_id": self.api_app_id,
            "bot_id": "BBOT",
            "root_view_id": view_id,
            "previous_view_id": None,
            "external_id": "",
        }
        view.update(view_extra or {})
        payload: dict[str, Any] = {
            "type": "view_submission",
            "token": self.verification_token,
            "api_app_id": self.api_app_id,
            "is_enterprise_install": False,
            "enterprise": None,
            "team": {"id": team, "domain": "narrative-test"},
            "user": self._user(user_id, team),
            "trigger_id": trigger_id or _trigger_id(),
            "view": view,
            "response_urls": [],
        }
        return self.send_payload(payload, timestamp=timestamp)
