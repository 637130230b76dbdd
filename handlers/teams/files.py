"""Files sent to a person in Teams. A bot may put a file in a personal chat only by asking
first, with the file consent card; the offered file waits in a folder until the person answers.

- Accept (`fileConsent/invoke`, `action: accept`): the file is uploaded to the `uploadUrl` of
  that invoke, in OneDrive upload-session chunks (`Content-Range`), then a file info card is
  posted in the chat.
- Decline: a short note.

Either way the file is deleted at once; offers nobody answered are deleted after a day
(`RETENTION`). The folder outlives a restart of the bot, so an offer made before a restart can
still be accepted after it; where it is gone (a new machine, an old offer), the person is told
the offer expired and to ask again.

Only the `uploadUrl` of an invoke the bot accepted (authenticated, or anonymous mode on
loopback) is written to; redirects are never followed."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import secrets
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bot.port import PostFailed, Unreachable
from bot.views import Notice, notice, warning

log = logging.getLogger(__name__)

FILE_CONSENT = "application/vnd.microsoft.teams.card.file.consent"
FILE_INFO = "application/vnd.microsoft.teams.card.file.info"
# Offers nobody answered are deleted after this many seconds.
RETENTION = 24 * 3600
# OneDrive wants upload chunks in multiples of 320 KiB, at most 60 MiB each.
CHUNK = 10 * 320 * 1024
UPLOAD_TIMEOUT = 60.0
DEFAULT_FOLDER = Path(tempfile.gettempdir()) / "narrative-teams-files"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")
_LOOPBACK = ("127.0.0.1", "localhost", "::1")

EXPIRED = (
    "That file offer has expired (offers are kept for a day). Ask again, e.g. "
    "`@Narrative decisions export`."
)
ALREADY = "Already answered: that file was sent or declined before."
FAILED = "Sorry, the upload of your file failed. Please ask again."


@dataclass(frozen=True)
class TeamsAttachment:
    """A message that is one Teams-only attachment (a file consent or file info card), posted
    through the port as it is."""

    content_type: str
    content: dict[str, Any]
    name: str | None = None
    content_url: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class Offer:
    token: str
    team: str
    person: str
    filename: str
    size: int
    note: str
    created: float


@dataclass(frozen=True)
class Upload:
    """An accepted offer: what `run` (after the invoke's answer) uploads and posts."""

    offer: Offer
    path: Path
    upload_url: str
    content_url: str
    name: str
    unique_id: str
    file_type: str


def consent_card(offer: Offer) -> TeamsAttachment:
    context = {"offer": offer.token}
    return TeamsAttachment(
        FILE_CONSENT,
        {
            "description": offer.note,
            "sizeInBytes": offer.size,
            "acceptContext": context,
            "declineContext": context,
        },
        name=offer.filename,
    )


def info_card(upload: Upload) -> TeamsAttachment:
    return TeamsAttachment(
        FILE_INFO,
        {"uniqueId": upload.unique_id, "fileType": upload.file_type},
        name=upload.name,
        content_url=upload.content_url,
        text=upload.offer.note,
    )


class FileOffers:
    """The folder of offered files: `<token>.file` with `<token>.json` (who, what, when), and
    `<token>.done` once answered (so a second click says so; kept as long as offers)."""

    def __init__(self, folder: Path | None = None, *, loopback_http: bool = False) -> None:
        self.folder = folder or DEFAULT_FOLDER
        # Anonymous mode (tests, the playground): the double's upload URL is plain HTTP.
        self.loopback_http = loopback_http

    def offer(self, team: str, person: str, filename: str, data: bytes | Path, note: str) -> Offer:
        """Keep a copy of `data` (the caller may delete its own) until the person answers."""
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if hasattr(os, "geteuid") and self.folder.stat().st_uid != os.geteuid():
            # A shared temp directory: a folder someone else made there is not used.
            raise PostFailed("files_folder_not_ours")
        self.sweep()
        if not (data.stat().st_size if isinstance(data, Path) else len(data)):
            raise PostFailed("empty_file")
        token = secrets.token_urlsafe(24)
        target = self._path(token, "file")
        if isinstance(data, Path):
            with data.open("rb") as source, target.open("xb") as out:
                while chunk := source.read(1 << 20):
                    out.write(chunk)
        else:
            with target.open("xb") as out:
                out.write(data)
        offer = Offer(token, team, person, filename, target.stat().st_size, note, time.time())
        self._path(token, "json").write_text(json.dumps(offer.__dict__))
        for kind in ("file", "json"):
            self._stamp(self._path(token, kind))
        return offer

    def drop(self, token: str) -> None:
        for kind in ("file", "json", "taken"):
            with contextlib.suppress(FileNotFoundError):
                self._path(token, kind).unlink()

    def answer(self, team: str, person: str, value: dict[str, Any]) -> Notice | Upload:
        """What a `fileConsent/invoke` means: an upload to run, or a note to the person."""
        context = value.get("context")
        token = context.get("offer") if isinstance(context, dict) else None
        if not isinstance(token, str) or not _TOKEN.fullmatch(token):
            return warning("That file offer is not known.")
        offer = self._read(token)
        if offer is None:
            return notice(ALREADY if self._path(token, "done").exists() else EXPIRED)
        if (offer.team, offer.person) != (team, person):
            return warning("That file was offered to someone else.")
        action = value.get("action")
        if action == "accept":
            info = value.get("uploadInfo")
            upload = self._upload(offer, info if isinstance(info, dict) else {})
            if upload is None:
                return warning("Teams sent no place to upload the file to.")
            return self._claim(offer) or upload
        if action == "decline":
            taken = self._claim(offer)
            if taken is not None:
                return taken
            self._finish(offer)
            return notice(f"You declined {offer.filename}; it was not sent, and is deleted.")
        return warning("That answer to a file offer is not known.")

    def run(self, upload: Upload, post: Callable[[TeamsAttachment], object]) -> Notice | None:
        """Upload an accepted file and post its file info card (after the invoke's answer)."""
        try:
            put_file(upload.path, upload.upload_url)
        except (PostFailed, Unreachable) as exc:
            log.warning("file upload failed: %s", exc)
            self.drop(upload.offer.token)
            return warning(FAILED)
        self._finish(upload.offer)
        post(info_card(upload))
        return None

    def sweep(self) -> None:
        """Delete offers (and answered marks) older than `RETENTION` (at start and with each
        new offer)."""
        cutoff = time.time() - RETENTION
        if not self.folder.is_dir():
            return
        for path in self.folder.glob("*.*"):
            with contextlib.suppress(OSError):
                if path.stat().st_mtime < cutoff:
                    path.unlink()

    # --- inside ------------------------------------------------------------------------------

    def _path(self, token: str, kind: str) -> Path:
        return self.folder / f"{token}.{kind}"

    def _read(self, token: str) -> Offer | None:
        try:
            data = json.loads(self._path(token, "json").read_text())
            offer = Offer(**data)
        except (OSError, ValueError, TypeError):
            return None
        if offer.created < time.time() - RETENTION:
            self.drop(token)
            return None
        return offer

    def _upload(self, offer: Offer, info: dict[str, Any]) -> Upload | None:
        fields = [info.get(k) for k in ("uploadUrl", "contentUrl", "name", "uniqueId", "fileType")]
        if not all(isinstance(f, str) and f for f in fields):
            return None
        url, content_url, name, unique_id, file_type = (str(f) for f in fields)
        if not self._may_upload_to(url):
            log.warning("refused an upload URL that is not https")
            return None
        return Upload(
            offer, self._path(offer.token, "taken"), url, content_url, name, unique_id, file_type
        )

    def _may_upload_to(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme == "https" and parts.hostname:
            return True
        return self.loopback_http and parts.scheme == "http" and parts.hostname in _LOOPBACK

    def _claim(self, offer: Offer) -> Notice | None:
        """Take the offer for this answer; a second answer (a second click) finds it gone."""
        try:
            os.rename(self._path(offer.token, "file"), self._path(offer.token, "taken"))
        except FileNotFoundError:
            return notice(ALREADY)
        return None

    def _finish(self, offer: Offer) -> None:
        done = self._path(offer.token, "done")
        done.touch()
        self._stamp(done)
        self.drop(offer.token)

    @staticmethod
    def _stamp(path: Path) -> None:
        """Files are dated by the clock `sweep` reads (the same in tests with a frozen one)."""
        now = time.time()
        os.utime(path, (now, now))


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect is answered as the error it is


# No proxies from the environment either (as the connector's aiohttp session).
_OPENER = urllib.request.build_opener(_NoRedirects, urllib.request.ProxyHandler({}))


def put_file(path: Path, url: str, *, chunk: int = CHUNK) -> None:
    """PUT the file to an upload session, chunk by chunk with `Content-Range`."""
    size = path.stat().st_size
    with path.open("rb") as source:
        start = 0
        while start < size:
            data = source.read(chunk)
            if not data:
                raise PostFailed("file_shrank")
            end = start + len(data) - 1
            headers = {
                "Content-Length": str(len(data)),
                "Content-Range": f"bytes {start}-{end}/{size}",
            }
            request = urllib.request.Request(url, data=data, headers=headers, method="PUT")
            try:
                with _OPENER.open(request, timeout=UPLOAD_TIMEOUT) as response:
                    response.read()
            except urllib.error.HTTPError as exc:
                if exc.code >= 500 or exc.code == 429:
                    raise Unreachable(f"HTTP {exc.code}") from exc
                raise PostFailed(f"http_{exc.code}") from exc
            except (urllib.error.URLError, OSError) as exc:
                raise Unreachable(type(exc).__name__) from exc
            start += len(data)
