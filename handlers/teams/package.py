"""`narrative-bot teams-package`: the Teams app package (manifest and two icons, zipped) to
upload in Teams or the Developer Portal."""

from __future__ import annotations

import io
import json
import re
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from bot import __version__
from bot.config import ConfigError

MANIFEST_VERSION = "1.19"
SCHEMA = "https://developer.microsoft.com/en-us/json-schemas/teams/v1.19/MicrosoftTeams.schema.json"
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
ACCENT = (0x4B, 0x53, 0xBC)  # the colour icon's background
COMMANDS = (
    ("decide", "Run a disagree-and-commit poll: decide PROPOSAL [confidence:NN%] [closes:2d]"),
    ("decisions", "The decision log: search, due, mine, D-42, stats"),
    ("narrative", "Start a silent reading period on a narrative"),
    ("reflect", "Reflection questions for the team, now or on a schedule"),
    ("help", "What Narrative can do"),
)


def manifest(app_id: str, endpoint: str | None) -> dict[str, Any]:
    """The app manifest: a bot in team, group chat and personal scopes; thread replies reach it
    without a mention (resource-specific consent `ChannelMessage.Read.Group`; in group chats
    `ChatMessage.Read.Chat`)."""
    domains = [urlparse(endpoint).hostname] if endpoint else []
    scopes = ["team", "groupChat", "personal"]
    commands = [{"title": t, "description": d} for t, d in COMMANDS]
    return {
        "$schema": SCHEMA,
        "manifestVersion": MANIFEST_VERSION,
        "version": __version__,
        "id": app_id,
        "developer": {
            "name": "Narrative",
            "websiteUrl": endpoint or "https://example.invalid",
            "privacyUrl": (endpoint or "https://example.invalid") + "/privacy",
            "termsOfUseUrl": (endpoint or "https://example.invalid") + "/terms",
        },
        "name": {"short": "Narrative", "full": "Narrative: silent reading and honest decisions"},
        "description": {
            "short": "Disagree-and-commit decisions and a decision log",
            "full": (
                "Narrative runs disagree-and-commit polls (Agree / Disagree, but commit / "
                "Disagree), records every dissent beside the decision, keeps a decision log with "
                "review dates, and lets anyone pull the Andon cord on a decision in force."
            ),
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": "#{:02X}{:02X}{:02X}".format(*ACCENT),
        "bots": [
            {
                "botId": app_id,
                "scopes": scopes,
                "supportsFiles": True,
                "isNotificationOnly": False,
                "commandLists": [{"scopes": scopes, "commands": commands}],
            }
        ],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [d for d in domains if d],
        "webApplicationInfo": {"id": app_id, "resource": f"api://botid-{app_id}"},
        "authorization": {
            "permissions": {
                "resourceSpecific": [
                    {"name": "ChannelMessage.Read.Group", "type": "Application"},
                    # Group chats' messages (questions during a reading period there).
                    {"name": "ChatMessage.Read.Chat", "type": "Application"},
                ]
            }
        },
    }


def png(size: int, pixel: Any) -> bytes:
    """A PNG of `size`×`size` RGBA pixels, `pixel(x, y)` each (no imaging library needed)."""
    rows = b"".join(
        b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(size)) for y in range(size)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


def _mark(x: int, y: int, size: int) -> bool:
    """An "N": two uprights and a diagonal."""
    margin, stroke = size // 4, max(2, size // 10)
    inside = margin <= x < size - margin and margin <= y < size - margin
    upright = x < margin + stroke or x >= size - margin - stroke
    diagonal = abs((x - margin) - (y - margin)) < stroke
    return inside and (upright or diagonal)


def color_icon() -> bytes:
    white, accent = (255, 255, 255, 255), (*ACCENT, 255)
    return png(192, lambda x, y: white if _mark(x, y, 192) else accent)


def outline_icon() -> bytes:
    """White on transparent, as Teams requires of the outline icon."""
    return png(32, lambda x, y: (255, 255, 255, 255) if _mark(x, y, 32) else (0, 0, 0, 0))


def write_package(app_id: str, endpoint: str | None, out: Path) -> None:
    """Check the arguments (ConfigError naming what is wrong) and write the zip."""
    problems = []
    if not _GUID.fullmatch(app_id):
        problems.append(
            f"--app-id must be the bot's Microsoft Entra application (client) id, a GUID such as "
            f"00000000-0000-0000-0000-000000000000, not '{app_id}'."
        )
    if endpoint is not None:
        parsed = urlparse(endpoint)
        if parsed.scheme != "https" or not parsed.hostname or parsed.path not in ("", "/"):
            problems.append(
                f"--endpoint must be the bot's public https address without a path, such as "
                f"https://narrative.example.com, not '{endpoint}'."
            )
    if problems:
        raise ConfigError("\n".join(problems))
    made = io.BytesIO()
    with zipfile.ZipFile(made, "w", zipfile.ZIP_DEFLATED) as package:
        body = manifest(app_id, endpoint.rstrip("/") if endpoint else None)
        package.writestr("manifest.json", json.dumps(body, indent=2))
        package.writestr("color.png", color_icon())
        package.writestr("outline.png", outline_icon())
    out.write_bytes(made.getvalue())
