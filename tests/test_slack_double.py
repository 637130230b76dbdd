"""Self-tests for the Slack Web API double (slack_double.py) and SignedClient (signed.py)."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs

import pytest
from freezegun import freeze_time
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import builtin_handlers
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier

from tests.signed import FORM, SignedClient
from tests.slack_double import Call, SlackDouble

SECRET = "test-signing-secret"


@pytest.fixture
def double() -> Iterator[SlackDouble]:
    with SlackDouble() as d:
        yield d


@pytest.fixture
def client(double: SlackDouble) -> WebClient:
    return WebClient(token="xoxb-test", base_url=double.api_url, timeout=5)


# ---------------------------------------------------------------------- SlackDouble


def test_urls(double: SlackDouble) -> None:
    assert double.base_url.startswith("http://127.0.0.1:")
    assert double.api_url == double.base_url + "/api/"
    assert double.response_url("abc") == double.base_url + "/response/abc"


def test_auth_test(double: SlackDouble, client: WebClient) -> None:
    resp = client.auth_test()
    assert resp["ok"] is True
    assert resp["team_id"] == "T0TEST"
    assert resp["user_id"] == "UBOT"
    assert resp["bot_id"] == "BBOT"
    assert resp["url"] == "https://narrative-test.slack.com/"
    assert resp["is_enterprise_install"] is False
    call = double.last("auth.test")
    assert call.headers["Authorization"] == "Bearer xoxb-test"
    assert call.status == 200 and call.error is None

    double.team_id, double.bot_user_id = "T9", "U9"
    resp = client.auth_test()
    assert (resp["team_id"], resp["user_id"]) == ("T9", "U9")


def test_auth_errors(double: SlackDouble) -> None:
    with pytest.raises(SlackApiError) as info:
        WebClient(token="xoxb-invalid", base_url=double.api_url).auth_test()
    assert info.value.response["error"] == "invalid_auth"

    req = urllib.request.Request(double.api_url + "auth.test", data=b"", method="POST")
    with urllib.request.urlopen(req, timeout=5) as resp:
        assert json.loads(resp.read()) == {"ok": False, "error": "not_authed"}

    # a token form parameter is accepted too
    req = urllib.request.Request(
        double.api_url + "auth.test", data=b"token=xoxb-form", method="POST"
    )
    with urllib.request.urlopen(req, timeout=5) as resp:
        assert json.loads(resp.read())["ok"] is True
    assert [c.error for c in double.calls("auth.test")] == ["invalid_auth", "not_authed", None]


def test_get_with_query_string(double: SlackDouble) -> None:
    url = double.api_url + "users.info?user=U42&token=xoxb-q"
    with urllib.request.urlopen(url, timeout=5) as resp:
        body = json.loads(resp.read())
    assert body["user"]["id"] == "U42"
    assert double.last("users.info").params == {"user": "U42", "token": "xoxb-q"}


def test_post_message_then_update(double: SlackDouble, client: WebClient) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}]
    first = client.chat_postMessage(channel="C1", text="hello", blocks=blocks)
    second = client.chat_postMessage(channel="C1", text="reply", thread_ts=first["ts"])
    assert first["ts"] == "1700000000.000100"
    assert float(second["ts"]) > float(first["ts"])
    assert first["message"]["blocks"] == blocks
    assert first["message"]["user"] == "UBOT"
    assert second["message"]["thread_ts"] == first["ts"]
    assert double.messages[("C1", first["ts"])]["text"] == "hello"
    assert double.messages[("C1", second["ts"])]["thread_ts"] == first["ts"]

    updated = client.chat_update(channel="C1", ts=first["ts"], text="edited", blocks=[])
    assert updated["text"] == "edited"
    assert double.messages[("C1", first["ts"])]["text"] == "edited"
    assert double.messages[("C1", first["ts"])]["blocks"] == []

    with pytest.raises(SlackApiError) as info:
        client.chat_update(channel="C1", ts="1.2", text="x")
    assert info.value.response["error"] == "message_not_found"


def test_post_message_form_encoded_blocks(double: SlackDouble) -> None:
    blocks = [{"type": "divider"}]
    data = f"channel=C2&text=t&blocks={json.dumps(blocks)}".encode()
    req = urllib.request.Request(
        double.api_url + "chat.postMessage",
        data=data,
        headers={"Authorization": "Bearer xoxb-test"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=5) as resp:
        body = json.loads(resp.read())
    assert body["message"]["blocks"] == blocks
    assert isinstance(double.last("chat.postMessage").params["blocks"], str)


def test_small_methods(double: SlackDouble, client: WebClient) -> None:
    assert client.chat_postEphemeral(channel="C1", user="U1", text="psst")["message_ts"]
    assert client.chat_delete(channel="C1", ts="1.1")["ts"] == "1.1"
    assert client.reactions_add(channel="C1", timestamp="1.1", name="eyes")["ok"]
    assert client.conversations_open(users=["U7", "U8"])["channel"]["id"] == "DU7"
    double.private_channels.add("G1")
    info = client.conversations_info(channel="G1")["channel"]
    assert info["is_private"] is True and info["is_im"] is False
    assert client.conversations_info(channel="D1")["channel"]["is_im"] is True
    double.channel_members["C1"] = ["U1", "U2"]
    assert client.conversations_members(channel="C1")["members"] == ["U1", "U2"]

    view = {"type": "modal", "title": {"type": "plain_text", "text": "T"}, "blocks": []}
    opened = client.views_open(trigger_id="t", view=view)["view"]
    assert opened["id"].startswith("V") and opened["hash"].startswith("h")
    assert opened["title"]["text"] == "T"
    home = client.views_publish(user_id="U1", view={"type": "home", "blocks": []})["view"]
    assert double.home_tabs["U1"]["id"] == home["id"]

    with pytest.raises(SlackApiError) as info_err:
        client.api_call("nope.nothing")
    assert info_err.value.response["error"] == "unknown_method"
    assert double.last("nope.nothing").error == "unknown_method"


def test_get_permalink(client: WebClient) -> None:
    resp = client.chat_getPermalink(channel="C123", message_ts="1700000000.000100")
    assert resp["permalink"] == "https://narrative-test.slack.com/archives/C123/p1700000000000100"


def test_users_info_defaults_and_overrides(double: SlackDouble, client: WebClient) -> None:
    user = client.users_info(user="U0BOB")["user"]
    assert user == {
        "id": "U0BOB",
        "team_id": "T0TEST",
        "name": "u0bob",
        "real_name": "User U0BOB",
        "tz": "Europe/Berlin",
        "tz_label": "Central European Time",
        "tz_offset": 3600,
        "is_admin": False,
        "is_owner": False,
        "is_bot": False,
        "deleted": False,
    }
    double.users["U0ADMIN"] = {"is_admin": True, "tz": "America/New_York", "tz_offset": -18000}
    admin = client.users_info(user="U0ADMIN")["user"]
    assert (
        admin["is_admin"] is True
        and admin["tz"] == "America/New_York"
        and admin["tz_offset"] == -18000
    )
    assert admin["name"] == "u0admin"


def test_rate_limit_is_retried(double: SlackDouble, monkeypatch: pytest.MonkeyPatch) -> None:
    # The handler sleeps Retry-After + random.random(); pin the jitter to keep this fast.
    monkeypatch.setattr(builtin_handlers, "random", SimpleNamespace(random=lambda: 0.05))
    client = WebClient(token="xoxb-test", base_url=double.api_url, timeout=5)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))
    double.fail_next("chat.postMessage", status=429, retry_after=0)

    started = time.monotonic()
    resp = client.chat_postMessage(channel="C1", text="after 429")
    assert time.monotonic() - started < 1.0
    assert resp["ok"] is True
    calls = double.calls("chat.postMessage")
    assert [(c.status, c.error) for c in calls] == [(429, "ratelimited"), (200, None)]


def test_rate_limit_without_handler_raises_with_retry_after(
    double: SlackDouble, client: WebClient
) -> None:
    double.fail_next("users.info", status=429)
    with pytest.raises(SlackApiError) as info:
        client.users_info(user="U1")
    assert info.value.response.status_code == 429
    assert info.value.response.headers["Retry-After"] == "1"
    assert info.value.response["error"] == "ratelimited"


def test_server_error_without_handler_raises(double: SlackDouble, client: WebClient) -> None:
    double.fail_next("chat.postMessage", status=500)
    with pytest.raises(SlackApiError) as info:
        client.chat_postMessage(channel="C1", text="x")
    assert info.value.response.status_code == 500
    assert info.value.response["error"] == "internal_error"
    assert client.chat_postMessage(channel="C1", text="x")["ok"] is True  # fault consumed


def test_fault_variants(double: SlackDouble, client: WebClient) -> None:
    double.fail_next("auth.test", error="account_inactive", times=2)
    for _ in range(2):
        with pytest.raises(SlackApiError) as info:
            client.auth_test()
        assert info.value.response["error"] == "account_inactive"
    assert client.auth_test()["ok"] is True

    double.fail_always("reactions.add", error="already_reacted")
    for _ in range(3):
        with pytest.raises(SlackApiError):
            client.reactions_add(channel="C1", timestamp="1.1", name="x")
    double.clear_faults()
    assert client.reactions_add(channel="C1", timestamp="1.1", name="x")["ok"] is True
    assert len(double.calls("reactions.add")) == 4


def test_files_upload_v2_end_to_end(double: SlackDouble, client: WebClient) -> None:
    payload = b"PK\x03\x04\r\n\x00binary\nxlsx\xff" * 50
    resp = client.files_upload_v2(
        content=payload, filename="x.xlsx", channel="D1", initial_comment="here", thread_ts="1.5"
    )
    assert resp["ok"] is True
    file_id = resp["file"]["id"]
    assert resp["files"] == [{"id": file_id, "title": "x.xlsx"}]
    assert double.uploads[file_id] == payload
    assert double.raw_uploads[file_id] == payload
    stored = double.files[file_id]
    assert stored["length"] == len(payload)
    assert (stored["channel_id"], stored["initial_comment"], stored["thread_ts"]) == (
        "D1",
        "here",
        "1.5",
    )
    assert [c.method for c in double.calls()] == [
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
    ]


def test_multipart_upload(double: SlackDouble, client: WebClient) -> None:
    file_id = client.files_getUploadURLExternal(filename="a.bin", length=5)["file_id"]
    data = b"\x00\r\n\x01\xff"
    boundary = "XyZ"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    req = urllib.request.Request(
        f"{double.base_url}/upload/{file_id}",
        data=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=5) as resp:
        assert resp.read() == b"OK - 5"
    assert double.uploads[file_id] == data
    assert double.raw_uploads[file_id] == body


def test_upload_fault_makes_files_upload_v2_fail(double: SlackDouble, client: WebClient) -> None:
    double.fail_next("upload", status=500)
    with pytest.raises(Exception, match="Failed to upload a file|500"):
        client.files_upload_v2(content="text", filename="x.txt", channel="C1")
    assert not double.uploads
    assert double.calls("files.completeUploadExternal") == []


def test_wait_for(double: SlackDouble, client: WebClient) -> None:
    def later() -> None:
        time.sleep(0.05)
        client.chat_postMessage(channel="C1", text="first")
        client.chat_postMessage(channel="C1", text="second")

    thread = threading.Thread(target=later)
    thread.start()
    calls = double.wait_for(
        "chat.postMessage", count=1, predicate=lambda c: c.params.get("text") == "second"
    )
    thread.join()
    assert [c.params["text"] for c in calls] == ["second"]
    assert isinstance(calls[0], Call)


def test_wait_for_times_out(double: SlackDouble, client: WebClient) -> None:
    client.auth_test()
    started = time.monotonic()
    with pytest.raises(AssertionError, match=r"chat\.postMessage.*auth\.test"):
        double.wait_for("chat.postMessage", timeout=0.1)
    assert time.monotonic() - started < 0.5
    with pytest.raises(AssertionError, match="no 'views.open' call"):
        double.last("views.open")


def test_clear(double: SlackDouble, client: WebClient) -> None:
    client.auth_test()
    double.clear()
    assert double.calls() == []


def test_response_url_receives_json(double: SlackDouble) -> None:
    url = double.response_url("r7")
    body = json.dumps({"text": "done", "replace_original": True}).encode()
    req = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(req, timeout=5) as resp:
        assert resp.status == 200
    call = double.wait_for("response_url")[0]
    assert call.params == {"text": "done", "replace_original": True, "_id": "r7"}


def test_response_url_via_webhook_client(double: SlackDouble) -> None:
    from slack_sdk.webhook import WebhookClient

    resp = WebhookClient(double.response_url()).send(text="ephemeral hi", response_type="ephemeral")
    assert resp.status_code == 200
    assert double.last("response_url").params["text"] == "ephemeral hi"


# ---------------------------------------------------------------------- SignedClient


class _VerifyingHandler(BaseHTTPRequestHandler):
    verifier = SignatureVerifier(SECRET)
    received: list[tuple[dict[str, str], bytes]] = []

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = dict(self.headers.items())
        type(self).received.append((headers, body))
        valid = self.verifier.is_valid_request(body, headers)
        answer = json.dumps({"valid": valid}).encode() if valid else b""
        self.send_response(200 if valid else 401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)


@pytest.fixture
def signed() -> Iterator[SignedClient]:
    _VerifyingHandler.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _VerifyingHandler)
    server.daemon_threads = True
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield SignedClient(f"http://127.0.0.1:{server.server_address[1]}/slack/events", SECRET)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _last_received() -> tuple[dict[str, str], bytes]:
    return _VerifyingHandler.received[-1]


def test_signed_command(signed: SignedClient) -> None:
    reply = signed.command("/narrative", "help me", response_url="http://x/response/r1")
    assert reply.status == 200 and reply.ok
    assert reply.json() == {"valid": True}
    assert reply.headers["content-type"] == "application/json"
    headers, body = _last_received()
    assert headers["Content-Type"] == FORM
    fields = {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
    assert fields["command"] == "/narrative" and fields["text"] == "help me"
    assert fields["team_id"] == "T0TEST" and fields["user_id"] == "U0ALICE"
    assert fields["response_url"] == "http://x/response/r1"


def test_signed_event_and_message(signed: SignedClient) -> None:
    reply = signed.event({"type": "app_home_opened", "user": "U1", "tab": "home"}, retry_num=1)
    assert reply.status == 200
    headers, body = _last_received()
    assert headers["X-Slack-Retry-Num"] == "1" and headers["X-Slack-Retry-Reason"] == "http_timeout"
    envelope = json.loads(body)
    assert envelope["type"] == "event_callback" and envelope["event_id"].startswith("Ev")
    assert envelope["authorizations"][0]["user_id"] == "UBOT"
    assert envelope["api_app_id"] == "A0NARR"

    reply, ts = signed.message("D1", "hi", thread_ts="1.1", extra={"files": []})
    reply2, ts2 = signed.message("C1", "again")
    assert reply.status == reply2.status == 200 and ts != ts2
    event = json.loads(_VerifyingHandler.received[-2][1])["event"]
    assert event["channel_type"] == "im" and event["thread_ts"] == "1.1" and event["ts"] == ts
    assert event["files"] == [] and event["user"] == "U0ALICE"
    assert "X-Slack-Retry-Num" not in _last_received()[0]
    envelopes = [json.loads(b) for _, b in _VerifyingHandler.received]
    assert len({e["event_id"] for e in envelopes}) == 3


def test_signed_block_action_and_view_submission(signed: SignedClient) -> None:
    assert signed.block_action("approve", "42").status == 200
    payload = json.loads(parse_qs(_last_received()[1].decode())["payload"][0])
    assert payload["type"] == "block_actions"
    assert payload["actions"][0] == {
        **payload["actions"][0],
        "action_id": "approve",
        "value": "42",
        "type": "button",
    }
    assert payload["container"] == {
        "type": "message",
        "message_ts": "1700000000.000100",
        "channel_id": "C0GENERAL",
        "is_ephemeral": False,
    }
    assert (
        payload["channel"]["id"] == "C0GENERAL" and payload["message"]["ts"] == "1700000000.000100"
    )

    assert signed.block_action("home_btn", view={"id": "VHOME", "type": "home"}).status == 200
    payload = json.loads(parse_qs(_last_received()[1].decode())["payload"][0])
    assert payload["container"] == {"type": "view", "view_id": "VHOME"}
    assert (
        "channel" not in payload and "message" not in payload and payload["view"]["type"] == "home"
    )

    values = {"b1": {"a1": {"type": "plain_text_input", "value": "x"}}}
    assert signed.view_submission("cb", values, private_metadata="pm").status == 200
    payload = json.loads(parse_qs(_last_received()[1].decode())["payload"][0])
    assert payload["type"] == "view_submission"
    assert payload["view"]["callback_id"] == "cb" and payload["view"]["state"]["values"] == values
    assert payload["view"]["private_metadata"] == "pm"


def test_signed_negative_cases(signed: SignedClient) -> None:
    body = "token=x&command=%2Fnarrative"
    assert signed.raw(body, FORM).status == 200
    assert signed.raw(body, FORM, timestamp=signed.now() - 600).status == 401
    assert signed.raw(body, FORM, signature="v0=" + "0" * 64).status == 401
    assert signed.raw(body, FORM, omit=("x-slack-signature",)).status == 401
    assert signed.raw(body, FORM, omit=("X-Slack-Request-Timestamp",)).status == 401
    assert signed.tampered(body, body + "&text=evil").status == 401
    ts = signed.now()
    assert signed.raw(body, FORM, timestamp=ts, signature=signed.sign(body, ts)).status == 200
    reply = signed.raw(body, FORM, timestamp=ts - 600)
    assert reply.status == 401 and reply.json() is None


def test_history_and_replies_list_posted_messages_with_their_metadata(
    double: SlackDouble, client: WebClient
) -> None:
    marker = {"event_type": "narrative_post", "event_payload": {"kind": "poll", "ref": 7}}
    parent = client.chat_postMessage(channel="C1", text="poll", metadata=marker)["ts"]
    reply = client.chat_postMessage(channel="C1", text="record", thread_ts=parent)["ts"]
    client.chat_postMessage(channel="C2", text="elsewhere")

    history = client.conversations_history(channel="C1", include_all_metadata=True)
    assert [m["ts"] for m in history["messages"]] == [parent]
    assert history["messages"][0]["metadata"] == marker
    plain = client.conversations_history(channel="C1")
    assert "metadata" not in plain["messages"][0]
    thread = client.conversations_replies(channel="C1", ts=parent)
    assert [m["ts"] for m in thread["messages"]] == [parent, reply]


def test_a_held_answer_later_than_the_client_timeout_still_posts(
    double: SlackDouble,
) -> None:
    impatient = WebClient(token="xoxb-test", base_url=double.api_url, timeout=0.3)
    hold = double.hold_next("chat.postMessage", when=lambda p: p.get("channel") == "C1")
    try:
        impatient.chat_postMessage(channel="C2", text="not held")
        with pytest.raises(TimeoutError):
            impatient.chat_postMessage(channel="C1", text="held")
    finally:
        hold.release()
    listed = impatient.conversations_history(channel="C1")["messages"]
    assert [m["text"] for m in listed] == ["held"]


def test_fail_next_can_pick_the_call_it_fails(double: SlackDouble, client: WebClient) -> None:
    double.fail_next(
        "chat.postMessage", error="not_in_channel", when=lambda p: p["channel"] == "C2"
    )
    assert client.chat_postMessage(channel="C1", text="fine")["ok"]
    with pytest.raises(SlackApiError) as failed:
        client.chat_postMessage(channel="C2", text="refused")
    assert failed.value.response["error"] == "not_in_channel"
    assert client.chat_postMessage(channel="C2", text="fine again")["ok"]


# ---------------------------------------------------------------------- membership and scopes


def _error(call: Any) -> str:
    with pytest.raises(SlackApiError) as caught:
        call()
    return str(caught.value.response["error"])


def test_a_public_channel_the_bot_is_not_in_takes_posts_but_sends_no_events(
    double: SlackDouble, client: WebClient
) -> None:
    double.outside_channels.add("C0PUB")
    assert client.conversations_info(channel="C0PUB")["channel"]["is_member"] is False
    assert client.chat_postMessage(channel="C0PUB", text="hi")["ok"]  # chat:write.public
    assert _error(lambda: client.conversations_history(channel="C0PUB")) == "not_in_channel"
    assert not double.delivers_events_from("C0PUB")
    double.scopes = {"chat:write", "channels:join", "channels:read"}
    assert _error(lambda: client.chat_postMessage(channel="C0PUB", text="hi")) == "not_in_channel"
    client.conversations_join(channel="C0PUB")
    assert double.delivers_events_from("C0PUB")
    assert client.conversations_info(channel="C0PUB")["channel"]["is_member"] is True
    assert client.chat_postMessage(channel="C0PUB", text="hi")["ok"]


def test_a_private_channel_the_bot_is_not_in_is_invisible_and_cannot_be_joined(
    double: SlackDouble, client: WebClient
) -> None:
    double.private_channels.add("G0PRIV")
    double.outside_channels.add("G0PRIV")
    assert _error(lambda: client.conversations_info(channel="G0PRIV")) == "channel_not_found"
    assert _error(lambda: client.conversations_join(channel="G0PRIV")) == "channel_not_found"
    assert _error(lambda: client.chat_postMessage(channel="G0PRIV", text="x")) == (
        "channel_not_found"
    )
    assert not double.delivers_events_from("G0PRIV")


def test_a_method_whose_scope_is_not_granted_answers_missing_scope(
    double: SlackDouble, client: WebClient
) -> None:
    double.scopes = {"chat:write", "channels:read"}
    assert _error(lambda: client.conversations_join(channel="C1")) == "missing_scope"
    assert double.last("conversations.join").error == "missing_scope"
    double.private_channels.add("G1")
    assert client.conversations_info(channel="C1")["ok"]
    assert _error(lambda: client.conversations_info(channel="G1")) == "missing_scope"
    assert client.auth_test()["ok"], "auth.test needs no scope"


# ---------------------------------------------------------------------- OAuth


def _code_for(double: SlackDouble, team: str) -> str:
    """A person approving an install of `team` on the double's authorize page."""
    double.approving = {"team_id": team}
    url = (
        f"{double.base_url}/oauth/v2/authorize?client_id={double.client_id}&state=s1"
        "&redirect_uri=http://127.0.0.1:9/back"
    )

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), NoRedirect())
    with pytest.raises(urllib.error.HTTPError) as answer:
        opener.open(url, timeout=5)
    assert answer.value.code == 302
    location = answer.value.headers["Location"]
    assert location.startswith("http://127.0.0.1:9/back?code=") and location.endswith("state=s1")
    return parse_qs(location.split("?", 1)[1])["code"][0]


def test_oauth_issues_a_token_per_workspace_and_refuses_it_elsewhere(double: SlackDouble) -> None:
    api = WebClient(base_url=double.api_url, timeout=5)
    with pytest.raises(SlackApiError, match="bad_client_secret"):
        api.oauth_v2_access(client_id=double.client_id, client_secret="wrong", code="x")
    tokens = {}
    for team in ("T1", "T2"):
        answer = api.oauth_v2_access(
            client_id=double.client_id,
            client_secret=double.client_secret,
            code=_code_for(double, team),
        )
        assert answer["team"]["id"] == team and answer["token_type"] == "bot"
        tokens[team] = answer["access_token"]
    double.channel_teams.update({"C1": "T1", "C2": "T2"})
    one = WebClient(token=tokens["T1"], base_url=double.api_url, timeout=5)
    assert one.auth_test()["team_id"] == "T1"
    one.chat_postMessage(channel="C1", text="mine")
    with pytest.raises(SlackApiError, match="channel_not_found"):
        one.chat_postMessage(channel="C2", text="not mine")
    assert [(c.team, c.error) for c in double.calls("chat.postMessage")] == [
        ("T1", None),
        ("T1", "channel_not_found"),
    ]
    # Once tokens were issued, others (the single-workspace token) are refused.
    with pytest.raises(SlackApiError, match="invalid_auth"):
        WebClient(token="xoxb-test", base_url=double.api_url).auth_test()
    double.revoke("T1")
    with pytest.raises(SlackApiError, match="invalid_auth"):
        one.auth_test()


def test_rotating_tokens_expire_and_are_refreshed(double: SlackDouble) -> None:
    api = WebClient(base_url=double.api_url, timeout=5)
    double.token_expires_in = 60
    credentials = {"client_id": double.client_id, "client_secret": double.client_secret}
    first = api.oauth_v2_access(**credentials, code=_code_for(double, "T1"))
    assert first["expires_in"] == 60 and first["refresh_token"].startswith("xoxe-")
    refreshed = api.oauth_v2_access(
        **credentials, grant_type="refresh_token", refresh_token=first["refresh_token"]
    )
    assert refreshed["access_token"] != first["access_token"]
    with pytest.raises(SlackApiError, match="invalid_refresh_token"):  # used once
        api.oauth_v2_access(
            **credentials, grant_type="refresh_token", refresh_token=first["refresh_token"]
        )
    with freeze_time(datetime.now(UTC) + timedelta(seconds=61)):
        with pytest.raises(SlackApiError, match="token_expired"):
            WebClient(token=first["access_token"], base_url=double.api_url).auth_test()
