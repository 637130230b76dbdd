"""`@Narrative decisions export` in Teams: the workbook is offered in the personal chat with the
file consent card; accepted, it is uploaded to Teams' upload session and a file card posted;
declined, a note; the offered file is deleted either way, and kept across a restart."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from freezegun import freeze_time
from openpyxl import load_workbook

from bot.port import MessageRef
from handlers.teams.connector import Connector
from handlers.teams.files import FILE_CONSENT, FILE_INFO, FileOffers, Upload, put_file
from handlers.teams.platform import TeamsPlatform
from tests.handlers.teams.conftest import TeamsBotRunning
from tests.teams_double import CHANNEL, TENANT, Call, TeamsDouble, file_consent, mention_message

ANA, BEN = "29:ana", "29:ben"


@pytest.fixture
def running(teams: TeamsDouble, any_db_url: str, tmp_path: Path) -> Iterator[TeamsBotRunning]:
    bot = TeamsBotRunning(teams, any_db_url, files_dir=tmp_path / "offers")
    yield bot
    bot.stop()


def attachment(call: Call, kind: str) -> dict[str, Any] | None:
    for found in (call.body or {}).get("attachments") or []:
        if found.get("contentType") == kind:
            return found  # type: ignore[no-any-return]
    return None


def chat_posts(double: TeamsDouble, kind: str, person: str = ANA) -> list[dict[str, Any]]:
    posts = double.posts(double.chat_of(person))
    return [found for c in posts if (found := attachment(c, kind)) is not None]


def notes(double: TeamsDouble, person: str = ANA) -> str:
    return "\n".join(c.card_text for c in double.posts(double.chat_of(person)))


def offered(bot: TeamsBotRunning, text: str = "decisions export") -> dict[str, Any]:
    """Ask for an export in the channel; the consent card that then reaches Ana's chat."""
    double = bot.double
    before = len(chat_posts(double, FILE_CONSENT))
    status, _ = bot.send(mention_message(double, text))
    assert status == 202
    return double.wait_for(lambda: chat_posts(double, FILE_CONSENT)[before:])[0]  # type: ignore[no-any-return]


def log_a_decision(bot: TeamsBotRunning) -> None:
    double = bot.double
    assert bot.send(mention_message(double, "decisions log We ship daily"))[0] == 202
    double.wait_for(lambda: "Logged **D-1**" in notes(double))


def offer_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("*") if not p.name.endswith(".done"))


def test_export_asked_in_a_channel_is_offered_privately_and_uploaded_on_accept(
    running: TeamsBotRunning,
) -> None:
    double = running.double
    log_a_decision(running)
    card = offered(running)

    assert "it will arrive in your personal chat with Narrative" in notes(double)
    assert card["name"].startswith("decision-log-") and card["name"].endswith(".xlsx")
    consent = card["content"]
    assert (
        consent["description"] == "Your decision log export: 1 decision (times in Europe/Berlin)."
    )
    assert consent["acceptContext"] == consent["declineContext"]
    assert consent["sizeInBytes"] > 0
    folder = running.files_dir
    assert folder is not None and len(offer_files(folder)) == 2  # the file and who it is for

    name = card["name"]
    status, _ = running.send(file_consent(double, "accept", consent["acceptContext"], name=name))
    assert status == 200
    info = double.wait_for(lambda: chat_posts(double, FILE_INFO))[0]
    assert info["name"] == name
    assert info["contentUrl"] == f"http://127.0.0.1:{double.port}/files/{name}"
    assert info["content"] == {"uniqueId": f"unique-{name}", "fileType": "xlsx"}

    data = double.uploads[name]
    assert len(data) == consent["sizeInBytes"]
    rows = load_workbook(io.BytesIO(data))["Decisions"]
    header = [c.value for c in rows[1]]
    record = {h: c for h, c in zip(header, rows[2], strict=True)}
    assert record["Decision"].value == "We ship daily"
    assert record["Thread"].value == "Open in Teams"
    assert record["Thread"].hyperlink.target.startswith(
        f"https://teams.microsoft.com/l/message/{CHANNEL}/"
    )
    assert offer_files(folder) == []

    # A second accept of the same offer uploads nothing again.
    puts = len(double.upload_puts)
    status, _ = running.send(file_consent(double, "accept", consent["acceptContext"], name=name))
    assert status == 200
    double.wait_for(lambda: "Already answered" in notes(double))
    running.wait_idle()
    assert len(double.upload_puts) == puts and len(chat_posts(double, FILE_INFO)) == 1


def test_a_declined_export_is_noted_and_deleted(running: TeamsBotRunning) -> None:
    double = running.double
    log_a_decision(running)
    consent = offered(running)["content"]
    folder = running.files_dir
    assert folder is not None and offer_files(folder)

    # Someone else's answer to Ana's offer changes nothing.
    ben = file_consent(double, "decline", consent["declineContext"], user=BEN, user_name="Ben")
    assert running.send(ben)[0] == 200
    double.wait_for(lambda: "offered to someone else" in notes(double, BEN))
    assert offer_files(folder)

    assert running.send(file_consent(double, "decline", consent["declineContext"]))[0] == 200
    double.wait_for(lambda: "You declined decision-log-" in notes(double))
    assert offer_files(folder) == []
    running.wait_idle()
    assert double.upload_puts == [] and chat_posts(double, FILE_INFO) == []


def test_an_offer_outlives_a_restart_and_a_lost_one_is_told_to_ask_again(
    teams: TeamsDouble, sqlite_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "offers"
    first = TeamsBotRunning(teams, sqlite_url, files_dir=folder)
    try:
        log_a_decision(first)
        kept = offered(first)
        lost = offered(first)
    finally:
        first.stop()
    for path in folder.glob(f"{lost['content']['acceptContext']['offer']}.*"):
        path.unlink()  # as on a new machine

    second = TeamsBotRunning(teams, sqlite_url, files_dir=folder)
    try:
        name = kept["name"]
        accept = file_consent(teams, "accept", kept["content"]["acceptContext"], name=name)
        assert second.send(accept)[0] == 200
        teams.wait_for(lambda: chat_posts(teams, FILE_INFO))
        assert len(teams.uploads[name]) == kept["content"]["sizeInBytes"]

        accept = file_consent(teams, "accept", lost["content"]["acceptContext"], name="x.xlsx")
        assert second.send(accept)[0] == 200
        teams.wait_for(lambda: "offer has expired" in notes(teams))
        assert "x.xlsx" not in teams.uploads
    finally:
        second.stop()


def test_a_failed_upload_is_told_and_not_retried_from_a_stale_file(
    running: TeamsBotRunning,
) -> None:
    double = running.double
    log_a_decision(running)
    card = offered(running)
    double.fail("PUT", "/upload/", 307)  # a redirect is not followed anywhere
    accept = file_consent(double, "accept", card["content"]["acceptContext"], name=card["name"])
    assert running.send(accept)[0] == 200
    double.wait_for(lambda: "the upload of your file failed" in notes(double))
    assert running.files_dir is not None and offer_files(running.files_dir) == []
    assert double.uploads == {} and chat_posts(double, FILE_INFO) == []


def test_the_upload_goes_in_content_range_chunks(teams: TeamsDouble, tmp_path: Path) -> None:
    source = tmp_path / "big.bin"
    source.write_bytes(bytes(range(256)) * 10)  # 2,560 bytes
    put_file(source, teams.upload_url("big.bin"), chunk=1000)
    assert teams.upload_puts == ["bytes 0-999/2560", "bytes 1000-1999/2560", "bytes 2000-2559/2560"]
    assert teams.uploads["big.bin"] == source.read_bytes()


def test_only_https_upload_urls_outside_anonymous_mode(teams: TeamsDouble, tmp_path: Path) -> None:
    offers = FileOffers(tmp_path, loopback_http=False)
    offer = offers.offer(TENANT, ANA, "log.xlsx", b"workbook", "note")
    accept = file_consent(teams, "accept", {"offer": offer.token})["value"]
    answer = offers.answer(TENANT, ANA, accept)
    assert "no place to upload" in str(answer)
    assert offer_files(tmp_path) == [f"{offer.token}.file", f"{offer.token}.json"]


def test_a_teams_message_link_is_built_for_channels_and_group_chats() -> None:
    platform = TeamsPlatform(Connector())
    try:
        channel = platform.permalink(TENANT, MessageRef(CHANNEL, "1700000000000"))
        chat = platform.permalink(TENANT, MessageRef("19:abc@thread.v2", "1700000000001"))
        personal = platform.permalink(TENANT, MessageRef("a:chat-29:ana", "1:1xyz"))
    finally:
        platform.close()
        platform.connector.close()
    assert channel == (
        f"https://teams.microsoft.com/l/message/{CHANNEL}/1700000000000?tenantId={TENANT}"
    )
    assert chat == (
        "https://teams.microsoft.com/l/message/19:abc@thread.v2/1700000000001"
        "?context=%7B%22contextType%22%3A%22chat%22%7D"
    )
    assert personal is None


def test_two_accepts_of_one_offer_make_one_upload(teams: TeamsDouble, tmp_path: Path) -> None:
    """Two clicks at once: the second answer finds the offer taken before the first upload."""
    offers = FileOffers(tmp_path, loopback_http=True)
    offer = offers.offer(TENANT, ANA, "log.xlsx", b"workbook", "note")
    accept = file_consent(teams, "accept", {"offer": offer.token}, name="log.xlsx")["value"]
    first, second = offers.answer(TENANT, ANA, accept), offers.answer(TENANT, ANA, accept)
    assert isinstance(first, Upload)
    assert "Already answered" in str(second)
    posted: list[object] = []
    assert offers.run(first, posted.append) is None
    assert teams.uploads == {"log.xlsx": b"workbook"} and len(posted) == 1
    assert "Already answered" in str(offers.answer(TENANT, ANA, accept))


def test_an_unanswered_offer_is_deleted_after_a_day(teams: TeamsDouble, tmp_path: Path) -> None:
    offers = FileOffers(tmp_path, loopback_http=True)
    old = offers.offer(TENANT, ANA, "old.xlsx", b"old", "note")
    accept = file_consent(teams, "accept", {"offer": old.token}, name="old.xlsx")["value"]
    with freeze_time(datetime.now(UTC) + timedelta(hours=23)):
        offers.offer(TENANT, ANA, "new.xlsx", b"new", "note")
        assert len(offer_files(tmp_path)) == 4  # a day is not over: both kept
    with freeze_time(datetime.now(UTC) + timedelta(hours=25)):
        offers.offer(TENANT, ANA, "newer.xlsx", b"newer", "note")
        kept = offer_files(tmp_path)
        assert f"{old.token}.file" not in kept and f"{old.token}.json" not in kept
        assert len(kept) == 4  # the offers of the last day
        assert "offer has expired" in str(offers.answer(TENANT, ANA, accept))


def channel_mention(double: TeamsDouble, text: str, channel: str, name: str) -> dict[str, Any]:
    """`@Narrative <text> @<channel>`: the channel's mention arrives as an entity."""
    asked = mention_message(double, f"{text} <at>{name}</at>")
    asked["entities"].append(
        {"type": "mention", "text": f"<at>{name}</at>", "mentioned": {"id": channel, "name": name}}
    )
    return asked


def test_export_filters_as_in_slack(running: TeamsBotRunning) -> None:
    double, teams_bot = running.double, running
    log_a_decision(teams_bot)
    other = "19:other@thread.tacv2"
    assert teams_bot.send(channel_mention(double, "decisions export", other, "Other"))[0] == 202
    double.wait_for(lambda: "No decisions were made in that channel" in notes(double))
    assert teams_bot.send(mention_message(double, "decisions export #general"))[0] == 202
    double.wait_for(lambda: "Mention the channel (@ and its name) instead of" in notes(double))
    assert teams_bot.send(mention_message(double, "decisions export since:soon"))[0] == 202
    double.wait_for(lambda: "since must be a date" in notes(double))
    assert chat_posts(double, FILE_CONSENT) == []

    here = channel_mention(double, "decisions export since:2020-01-01", CHANNEL, "General")
    assert teams_bot.send(here)[0] == 202
    card = double.wait_for(lambda: chat_posts(double, FILE_CONSENT))[0]
    assert "1 decision " in card["content"]["description"]
    teams_bot.send(file_consent(double, "decline", card["content"]["declineContext"]))
    double.wait_for(lambda: "You declined" in notes(double))
