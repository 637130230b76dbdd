"""Slack as an implementation of the core's platform port (`bot.port.ChatPlatform`).

Neutral views become Block Kit through the renderers registered with `renders`; a renderer is a
pure function from a view to the keyword arguments of `chat.postMessage` (`text`, `blocks`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from slack_bolt import BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core import Core
from bot.port import MessageRef, PostFailed, Unreachable
from bot.views import Code, Link, Notice, Person, Place, Strong, Text, Tone
from bot.vocabulary import PlatformName
from handlers import coalesce
from handlers.slack.api import NoWorkspace, is_admin, join_channel, team_id_of, user_timezone
from handlers.slack.directory import channel_info, channel_members, channel_people, open_dm
from handlers.slack.reconcile import UNANSWERED, Marker, post_once
from handlers.slack.render import escape, mention

log = logging.getLogger(__name__)

V = TypeVar("V")
Renderer = Callable[[Any], dict[str, Any]]
RENDERERS: dict[type, Renderer] = {}
# How many messages a view takes, for views that may need several (see `ChatPlatform.parts`).
PART_COUNTERS: dict[type, Callable[[Any], int]] = {}

TONE_EMOJI = {Tone.INFO: "", Tone.SUCCESS: ":white_check_mark: ", Tone.WARNING: ":warning: "}


def renders(
    view_type: type[V],
) -> Callable[[Callable[[V], dict[str, Any]]], Callable[[V], dict[str, Any]]]:
    """Register the Block Kit renderer of `view_type` (a decorator)."""

    def register(fn: Callable[[V], dict[str, Any]]) -> Callable[[V], dict[str, Any]]:
        RENDERERS[view_type] = fn
        return fn

    return register


def counts_parts(
    view_type: type[V],
) -> Callable[[Callable[[V], int]], Callable[[V], int]]:
    """Register how many messages a `view_type` takes on Slack (a decorator)."""

    def register(fn: Callable[[V], int]) -> Callable[[V], int]:
        PART_COUNTERS[view_type] = fn
        return fn

    return register


def render(view: object) -> dict[str, Any]:
    """`chat.postMessage` arguments for `view`."""
    for cls in type(view).__mro__:
        if cls in RENDERERS:
            return RENDERERS[cls](view)
    raise TypeError(f"no Slack renderer for {type(view).__name__}")


def mrkdwn(parts: Text) -> str:
    """Neutral text as Slack mrkdwn: user text escaped, people and places as mentions."""
    out: list[str] = []
    for p in parts:
        if isinstance(p, str):
            out.append(escape(p))
        elif isinstance(p, Person):
            out.append(mention(p.id))
        elif isinstance(p, Place):
            out.append(f"<#{p.id}>")
        elif isinstance(p, Strong):
            out.append(f"*{escape(p.text)}*")
        elif isinstance(p, Code):
            out.append(f"`{escape(p.text)}`")
        elif isinstance(p, Link):
            out.append(f"<{p.url}|{escape(p.label)}>")
    return "".join(out)


@renders(Notice)
def render_notice(n: Notice) -> dict[str, Any]:
    return {"text": TONE_EMOJI[n.tone] + mrkdwn(n.body)}


def notice_reply(n: Notice) -> dict[str, Any]:
    """A notice as the body of a private `ack()` / `respond()`."""
    return {"response_type": "ephemeral", **render_notice(n)}


def marker_of(key: str) -> Marker:
    """`poll:7` or `digest:3:2` as the metadata marker `handlers.slack.reconcile` looks for."""
    kind, ref, *part = key.split(":")
    return Marker(kind, int(ref), int(part[0]) if part else 0)


class SlackPlatform:
    """The port over Slack's Web API. `client_for(team)` gives the workspace's client."""

    name = PlatformName.SLACK.value

    def __init__(self, core: Core, client_for: Callable[[str], WebClient]) -> None:
        self.core = core
        self.client_for = client_for
        self.updates = coalesce.shared(core)

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
        client = self.client_for(team)
        message = render(view)
        try:
            if key is None:
                extra = {"thread_ts": thread} if thread else {}
                ts = str(client.chat_postMessage(channel=place, **extra, **message)["ts"])
            else:
                ts = post_once(
                    client,
                    channel=place,
                    thread_ts=thread,
                    marker=marker_of(key),
                    message=message,
                    look_first=look_first,
                )
        except SlackApiError as exc:
            raise PostFailed(str(exc.response.get("error"))) from exc
        except UNANSWERED as exc:
            raise Unreachable(str(exc)) from exc
        return MessageRef(place, ts)

    def update(
        self, team: str, ref: MessageRef, latest: Callable[[], object | None], *, wait: bool = False
    ) -> None:
        """Coalesced per message; `wait`: send now (after the coalescing interval), in order
        with the message's other updates, errors reaching the caller."""

        def send() -> None:
            view = latest()
            if view is None:
                return
            try:
                self.client_for(team).chat_update(channel=ref.place, ts=ref.id, **render(view))
            except SlackApiError as exc:
                raise PostFailed(str(exc.response.get("error"))) from exc
            except UNANSWERED as exc:
                raise Unreachable(str(exc)) from exc

        key = (ref.place, ref.id)
        if wait:
            self.updates.run_now(key, send, in_turn=True)
        else:
            self.updates.submit(key, send)

    def parts(self, view: object) -> int:
        for cls in type(view).__mro__:
            if cls in PART_COUNTERS:
                return PART_COUNTERS[cls](view)
        return 1

    def listen(self, team: str, place: str) -> None:
        # Slack sends message and reaction events only from channels the bot is a member of.
        try:
            join_channel(self.client_for(team), place)
        except SlackApiError as exc:
            raise PostFailed(str(exc.response.get("error"))) from exc
        except UNANSWERED as exc:
            raise Unreachable(str(exc)) from exc

    def tell(self, team: str, person: str, notice: object, *, place: str | None = None) -> None:
        client = self.client_for(team)
        message = render(notice)
        if place:
            try:
                client.chat_postEphemeral(channel=place, user=person, **message)
                return
            except (SlackApiError, *UNANSWERED):
                log.info("ephemeral to %s in %s failed; sending a DM", person, place)
        try:
            client.chat_postMessage(channel=open_dm(client, person), **message)
        except (SlackApiError, *UNANSWERED):
            log.warning("could not tell %s privately", person)

    def dm(
        self,
        team: str,
        person: str,
        view: object,
        *,
        key: str | None = None,
        fallback: str | None = None,
    ) -> MessageRef:
        client = self.client_for(team)
        try:
            channel = open_dm(client, person)
        except SlackApiError as exc:
            raise PostFailed(str(exc.response.get("error"))) from exc
        except UNANSWERED as exc:
            raise Unreachable(str(exc)) from exc
        return self.post(team, channel, view, key=key)

    def timezone(self, team: str, person: str) -> str:
        return user_timezone(self.client_for(team), person)

    def display_name(self, team: str, person: str) -> str:
        try:
            user = self.client_for(team).users_info(user=person).get("user") or {}
        except (SlackApiError, *UNANSWERED):
            return person
        profile = user.get("profile") or {}
        return str(
            profile.get("display_name") or user.get("real_name") or user.get("name") or person
        )

    def is_admin(self, team: str, person: str) -> bool:
        return is_admin(self.client_for(team), person, self.core.admin_user_ids)

    def members(self, team: str, place: str) -> frozenset[str]:
        return channel_members(self.client_for(team), place)

    def permalink(self, team: str, ref: MessageRef) -> str | None:
        try:
            answer = self.client_for(team).chat_getPermalink(channel=ref.place, message_ts=ref.id)
        except (SlackApiError, *UNANSWERED):
            return None
        return answer.get("permalink")

    def people(self, team: str, place: str) -> frozenset[str] | None:
        return channel_people(self.client_for(team), place)

    def is_public(self, team: str, place: str) -> bool:
        return not channel_info(self.client_for(team), place).get("is_private")

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
        client = self.client_for(team)
        content = {"file": str(data)} if isinstance(data, Path) else {"content": data}
        extra = {"initial_comment": render(comment)["text"]} if comment is not None else {}
        try:
            # A person (U…/W…) is sent the file in their direct message with the bot.
            channel = open_dm(client, to) if to[:1] in ("U", "W") else to
            client.files_upload_v2(
                channel=channel, filename=filename, title=title, **content, **extra
            )
        except SlackApiError as exc:
            raise PostFailed(str(exc.response.get("error"))) from exc
        except UNANSWERED as exc:
            raise Unreachable(str(exc)) from exc


def remember_workspace(core: Core) -> Callable[..., BoltResponse | None]:
    """Global middleware: the request's workspace lives on Slack (`Core.record_workspace`
    writes that once per workspace and process; after that it costs a dictionary look-up)."""

    def middleware(body: dict[str, Any], next: Callable[[], None]) -> BoltResponse | None:  # noqa: A002
        try:
            core.record_workspace(team_id_of(body), PlatformName.SLACK)
        except NoWorkspace:
            pass
        except Exception as exc:  # noqa: BLE001 - the next request of the workspace tries again
            log.warning("could not record the request's workspace (%s)", type(exc).__name__)
        return next()

    return middleware
