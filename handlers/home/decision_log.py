"""The Home tab's decision log: filters, pages, full records and the export button.

The filters and the page live in the published view's private_metadata, so every action
re-renders from what the user sees; lookups still go by the request's workspace.
"""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import decision_log
from bot.core import Core
from bot.inputs import parse_id
from handlers.blocks.decision_log import (
    HOME_COUNT_CAP,
    HomeFilters,
    build_home_view,
    build_no_workspace_home,
    build_record_modal,
)
from handlers.directory import hidden_channels, open_dm, viewer_of
from handlers.exports import ExportRequest, start_export
from handlers.slack import NoWorkspace, team_id_of
from storage.decision_log import LogQuery

PER_PAGE = 15


def home_query(core: Core, filters: HomeFilters, hidden: frozenset[str]) -> LogQuery:
    query = LogQuery(
        channel_id=filters.channel_id,
        owner_id=filters.owner_id,
        statuses=(filters.status,) if filters.status else (),
        hidden_channels=hidden,
    )
    return decision_log.due_query(core, query) if filters.due else query


def publish_home(
    client: WebClient, core: Core, team_id: str, user_id: str, filters: HomeFilters
) -> None:
    channels = decision_log.decision_channels(core, team_id=team_id)
    hidden = hidden_channels(client, user_id, channels)
    query = home_query(core, filters, hidden)
    page = decision_log.browse(
        core, team_id=team_id, query=query, page=filters.page, per_page=PER_PAGE
    )
    total = decision_log.count(core, team_id=team_id, query=query, cap=HOME_COUNT_CAP)
    metrics = decision_log.metrics(core, team_id=team_id)
    view = build_home_view(filters=filters, page=page, metrics=metrics, total=total)
    client.views_publish(user_id=user_id, view=view)


def _filters(body: dict[str, Any]) -> HomeFilters:
    return HomeFilters.from_metadata((body.get("view") or {}).get("private_metadata"))


def register(app: App, core: Core) -> None:
    @app.event("app_home_opened")
    def app_home_opened(event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        filters = HomeFilters.from_metadata((event.get("view") or {}).get("private_metadata"))
        try:
            team_id = team_id_of(body)
        except NoWorkspace:
            # An org-wide install may send this without naming the workspace: each
            # workspace's log is its own, so none is shown rather than a guess.
            client.views_publish(user_id=event["user"], view=build_no_workspace_home())
            return
        publish_home(client, core, team_id, event["user"], filters)

    def refilter(change):  # type: ignore[no-untyped-def]
        def listener(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
            ack()
            action = body["actions"][0]
            filters = change(_filters(body), action).with_(page=0)
            publish_home(client, core, team_id_of(body), body["user"]["id"], filters)

        return listener

    def selected(action: dict[str, Any]) -> str | None:
        option = action.get("selected_option") or {}
        return option.get("value")

    app.action("home_filter_channel")(
        refilter(lambda f, a: f.with_(channel_id=a.get("selected_channel") or None))
    )
    app.action("home_filter_owner")(
        refilter(lambda f, a: f.with_(owner_id=a.get("selected_user") or None))
    )

    def status_filter(filters: HomeFilters, action: dict[str, Any]) -> HomeFilters:
        wanted = selected(action)
        if wanted in (None, "any"):
            return filters.with_(status=None)
        # An unknown status (a tampered request) leaves the filters as they were.
        return filters.with_(status=wanted) if decision_log.is_log_status(wanted) else filters

    app.action("home_filter_status")(refilter(status_filter))
    app.action("home_filter_due")(refilter(lambda f, a: f.with_(due=selected(a) == "due")))
    app.action("home_clear")(refilter(lambda f, a: HomeFilters()))

    def turn_page(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        try:
            page = parse_id(json.loads(body["actions"][0].get("value") or "{}").get("p", 0)) or 0
        except (ValueError, TypeError, AttributeError):
            page = 0
        filters = _filters(body).with_(page=page)
        publish_home(client, core, team_id_of(body), body["user"]["id"], filters)

    app.action("home_page_next")(turn_page)
    app.action("home_page_prev")(turn_page)

    @app.action("home_open_record")
    def open_record(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        decision_id = parse_id(body["actions"][0].get("value"))
        if decision_id is None:
            return
        user = body["user"]["id"]
        record = decision_log.find_record(
            core,
            team_id=team_id_of(body),
            viewer=viewer_of(client, user, core.admin_user_ids),
            decision_id=decision_id,
        )
        if record is None:
            return
        client.views_open(trigger_id=body["trigger_id"], view=build_record_modal(record))

    @app.action("home_export")
    def export(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        user = body["user"]["id"]
        filters = _filters(body)
        client.chat_postMessage(
            channel=open_dm(client, user),
            text="Preparing your export of what the Home tab shows… it will arrive here.",
        )
        start_export(
            client,
            core,
            ExportRequest(
                team_id=team_id_of(body),
                user_id=user,
                query=home_query(core, filters, frozenset()),
            ),
        )
