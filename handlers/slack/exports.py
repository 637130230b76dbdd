"""Exports asked for in Slack: the core builds and sends the workbook (`bot.log_export`); Slack
says what the person may see and what its channels are called."""

from __future__ import annotations

from concurrent.futures import Future

from slack_sdk import WebClient

from bot.core import Core
from bot.log_export import ExportRequest
from bot.log_export import start_export as start_core_export
from handlers.slack.directory import channel_info, viewer_of

__all__ = ["ExportRequest", "start_export"]


def start_export(client: WebClient, core: Core, request: ExportRequest) -> Future[None]:
    def place_name(channel_id: str) -> str | None:
        return channel_info(client, channel_id).get("name")

    return start_core_export(
        core,
        core.platform_for(request.team_id),
        request,
        viewer=viewer_of(client, request.user_id, core.admin_user_ids),
        place_name=place_name,
    )
