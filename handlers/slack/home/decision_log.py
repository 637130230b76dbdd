"""The Home tab's decision log: filters, pages, full records and the export button.

The filters and the page live in the published view's private_metadata, so every action
re-renders from what the user sees; lookups still go by the request's workspace. The page is
the core's `HomeView`, rendered for Slack by `handlers.slack.blocks.decision_log`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import decision_log, log_export
from bot.core import Core
from bot.inputs import parse_id
from bot.views import notice
from bot.views.decision_log import HomeFilters, HomeUnavailable, RecordView
from handlers.slack.api import NoWorkspace, team_id_of
from handlers.slack.blocks.decision_log import build_record_modal
from handlers.slack.directory import viewer_of
from handlers.slack.exports import start_export
from handlers.slack.platform import render

Change = Callable[[HomeFilters, dict[str, Any]], HomeFilters]


def register(app: App, core: Core) -> None:
    app.event("app_home_opened")(partial(app_home_opened, core=core))
    app.action("home_filter_channel")(partial(refilter, core=core, change=by_channel))
    app.action("home_filter_owner")(partial(refilter, core=core, change=by_owner))
    app.action("home_filter_status")(partial(refilter, core=core, change=by_status))
    app.action("home_filter_due")(partial(refilter, core=core, change=by_due))
    app.action("home_clear")(partial(refilter, core=core, change=cleared))
    app.action("home_page_next")(partial(turn_page, core=core))
    app.action("home_page_prev")(partial(turn_page, core=core))
    app.action("home_open_record")(partial(open_record, core=core))
    app.action("home_export")(partial(export, core=core))


def publish_home(
    client: WebClient, core: Core, team_id: str, user_id: str, filters: HomeFilters
) -> None:
    viewer = viewer_of(client, user_id, core.admin_user_ids)
    view = decision_log.home(core, team_id=team_id, viewer=viewer, filters=filters)
    client.views_publish(user_id=user_id, **render(view))


def _filters(body: dict[str, Any]) -> HomeFilters:
    return HomeFilters.from_metadata((body.get("view") or {}).get("private_metadata"))


def app_home_opened(
    event: dict[str, Any], body: dict[str, Any], client: WebClient, *, core: Core
) -> None:
    if event.get("tab", "home") != "home":
        return
    filters = HomeFilters.from_metadata((event.get("view") or {}).get("private_metadata"))
    try:
        team_id = team_id_of(body)
    except NoWorkspace:
        # An org-wide install may send this without naming the workspace: each
        # workspace's log is its own, so none is shown rather than a guess.
        client.views_publish(user_id=event["user"], **render(HomeUnavailable()))
        return
    publish_home(client, core, team_id, event["user"], filters)


def _selected(action: dict[str, Any]) -> str | None:
    return (action.get("selected_option") or {}).get("value")


def by_channel(filters: HomeFilters, action: dict[str, Any]) -> HomeFilters:
    return filters.with_(channel_id=action.get("selected_channel") or None)


def by_owner(filters: HomeFilters, action: dict[str, Any]) -> HomeFilters:
    return filters.with_(owner_id=action.get("selected_user") or None)


def by_status(filters: HomeFilters, action: dict[str, Any]) -> HomeFilters:
    return decision_log.refilter_status(filters, _selected(action))


def by_due(filters: HomeFilters, action: dict[str, Any]) -> HomeFilters:
    return filters.with_(due=_selected(action) == "due")


def cleared(_filters: HomeFilters, _action: dict[str, Any]) -> HomeFilters:
    return HomeFilters()


def refilter(
    ack: Ack, body: dict[str, Any], client: WebClient, *, core: Core, change: Change
) -> None:
    ack()
    filters = change(_filters(body), body["actions"][0]).with_(page=0)
    publish_home(client, core, team_id_of(body), body["user"]["id"], filters)


def turn_page(ack: Ack, body: dict[str, Any], client: WebClient, *, core: Core) -> None:
    ack()
    try:
        page = parse_id(json.loads(body["actions"][0].get("value") or "{}").get("p", 0)) or 0
    except (ValueError, TypeError, AttributeError):
        page = 0
    filters = _filters(body).with_(page=page)
    publish_home(client, core, team_id_of(body), body["user"]["id"], filters)


def open_record(ack: Ack, body: dict[str, Any], client: WebClient, *, core: Core) -> None:
    ack()
    decision_id = parse_id(body["actions"][0].get("value"))
    if decision_id is None:
        return
    viewer = viewer_of(client, body["user"]["id"], core.admin_user_ids)
    found = decision_log.record_page(
        core, team_id=team_id_of(body), viewer=viewer, decision_id=decision_id
    )
    if isinstance(found, RecordView):
        client.views_open(trigger_id=body["trigger_id"], view=build_record_modal(found))


def export(ack: Ack, body: dict[str, Any], client: WebClient, *, core: Core) -> None:
    ack()
    team_id, user = team_id_of(body), body["user"]["id"]
    core.platform_for(team_id).tell(
        team_id,
        user,
        notice("Preparing your export of what the Home tab shows… it will arrive here."),
    )
    request = log_export.home_export_request(
        core, team_id=team_id, user_id=user, filters=_filters(body)
    )
    start_export(client, core, request)
