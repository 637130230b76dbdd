"""`narrative-bot teams-package`: the zip Teams takes, opened and checked."""

from __future__ import annotations

import json
import struct
import zipfile
import zlib
from pathlib import Path

from tests.process import run_cli

APP_ID = "6f1e0c4a-2b3d-4e5f-8a9b-0c1d2e3f4a5b"


def png_size_and_pixels(data: bytes) -> tuple[int, int, bytes]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    assert (depth, colour) == (8, 6)  # 8-bit RGBA
    idat, at = b"", 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind = data[at + 4 : at + 8]
        if kind == b"IDAT":
            idat += data[at + 8 : at + 8 + length]
        at += 12 + length
    return width, height, zlib.decompress(idat)


def test_the_package_holds_a_valid_manifest_and_both_icons(tmp_path: Path) -> None:
    out = tmp_path / "narrative-teams.zip"
    result = run_cli(
        [
            "teams-package",
            "--app-id",
            APP_ID,
            "--endpoint",
            "https://bot.example.com",
            "--out",
            str(out),
        ],
        cwd=tmp_path,
        env={},
    )
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(out) as package:
        assert sorted(package.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(package.read("manifest.json"))
        color = png_size_and_pixels(package.read("color.png"))
        outline = png_size_and_pixels(package.read("outline.png"))
    assert tuple(int(p) for p in manifest["manifestVersion"].split(".")) >= (1, 19)
    for field in ("id", "version", "developer", "name", "description", "icons", "accentColor"):
        assert manifest[field], field
    assert manifest["id"] == APP_ID and manifest["webApplicationInfo"]["id"] == APP_ID
    bot = manifest["bots"][0]
    assert bot["botId"] == APP_ID
    assert set(bot["scopes"]) == {"team", "groupChat", "personal"}
    assert bot["supportsFiles"] is True
    titles = {c["title"] for c in bot["commandLists"][0]["commands"]}
    assert {"narrative", "decide", "decisions", "reflect"} <= titles
    rsc = manifest["authorization"]["permissions"]["resourceSpecific"]
    assert {"name": "ChannelMessage.Read.Group", "type": "Application"} in rsc
    assert {"name": "ChatMessage.Read.Chat", "type": "Application"} in rsc
    assert manifest["validDomains"] == ["bot.example.com"]
    assert color[:2] == (192, 192) and outline[:2] == (32, 32)
    # The outline icon is white on transparent: every pixel is one or the other.
    rows = [outline[2][r * (1 + 32 * 4) + 1 : (r + 1) * (1 + 32 * 4)] for r in range(32)]
    pixels = {bytes(row[i : i + 4]) for row in rows for i in range(0, len(row), 4)}
    assert pixels == {b"\xff\xff\xff\xff", b"\x00\x00\x00\x00"}


def test_a_wrong_app_id_or_endpoint_is_named(tmp_path: Path) -> None:
    result = run_cli(
        [
            "teams-package",
            "--app-id",
            "narrative",
            "--endpoint",
            "http://bot.example.com/api",
            "--out",
            str(tmp_path / "x.zip"),
        ],
        cwd=tmp_path,
        env={},
    )
    assert result.returncode == 2
    assert "--app-id" in result.stderr and "--endpoint" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "x.zip").exists()
