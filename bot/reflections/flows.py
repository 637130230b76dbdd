"""What the platforms call: a command, a click or a form gets a view back; the two timer kinds
of reflection rounds are handled here."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.inputs import is_slack_id
from bot.port import ChatPlatform, MessageRef, PostFailed, PostUnconfirmed, Unreachable
from bot.reflection_schedule import Schedule
from bot.reflections.digest import build_digest, digest_posted
from bot.reflections.rounds import (
    RoundView,
    close_round,
    discard_round,
    get_round,
    round_card,
    round_posted,
    round_to_confirm,
    save_modal_answers,
    scheduled_round_due,
    start_round,
    takes_answers,
    user_answers,
)
from bot.reflections.settings import (
    GONE,
    NotAllowed,
    ReflectionError,
    channel_questions,
    ensure_may_change,
    parse_question_lines,
    reset_questions,
    save_questions,
    schedule_channel,
    set_pick,
    stop_schedule,
)
from bot.views import FormErrors, OpenForm
from bot.views import reflections as views
from bot.views.reflections import (
    answer_field,
)
from bot.vocabulary import TimerKind
from storage.models import Timer

if TYPE_CHECKING:
    from bot.core import Core


log = logging.getLogger(__name__)

# Why a scheduled round could not be posted that only a person can fix (invite the bot, pick
# another channel): the scheduler is told once; other refusals are only retried.
# Teams says `http_403` when the bot is not in the team or chat, `http_404` when it is gone.
NEEDS_A_PERSON = ("not_in_channel", "channel_not_found", "is_archived", "http_403", "http_404")


@dataclass(frozen=True)
class QuestionsChange:
    """A checked questions form: the channel's new questions, or None to reset them."""

    channel_id: str
    questions: tuple[str, ...] | None


# --- flows: what a person's command, click or form gets -----------------------------------------


def _post_round(
    core: Core, platform: ChatPlatform, round_: RoundView, *, retry: bool = False
) -> MessageRef:
    """Post the round in its channel (listening there first: thread answers count) and
    remember its message; keyed, so that it exists once. `retry`: an earlier try may have
    posted it, look for it first. Raises `PostFailed`, `PostUnconfirmed`."""
    platform.listen(round_.team_id, round_.channel_id)
    ref = platform.post(
        round_.team_id,
        round_.channel_id,
        round_card(round_),
        key=f"reflection-round:{round_.id}",
        look_first=retry,
    )
    round_posted(core, team_id=round_.team_id, round_id=round_.id, message_ts=ref.id)
    return ref


def post_now(
    core: Core, *, team_id: str, channel_id: str, collect: timedelta | None = None
) -> views.RoundNotPosted | views.RoundUnconfirmed | None:
    """A round asked for now (`/reflect now`); one the platform refuses is discarded. One the
    platform did not confirm is looked for (and posted if missing) by the reflection_confirm
    timer."""
    round_ = start_round(core, team_id=team_id, channel_id=channel_id, collect=collect)
    try:
        _post_round(core, core.platform_for(team_id), round_)
    except (PostUnconfirmed, Unreachable) as exc:
        log.warning("reflection round %s unconfirmed in %s: %s", round_.id, channel_id, exc)
        return views.RoundUnconfirmed()
    except PostFailed as exc:
        discard_round(core, team_id=team_id, round_id=round_.id)
        log.warning("could not post reflection round in %s: %s", channel_id, exc.reason)
        return views.RoundNotPosted(exc.reason)
    return None


def set_schedule(
    core: Core,
    *,
    team_id: str,
    channel_id: str,
    user_id: str,
    schedule: Schedule,
    collect: timedelta | None = None,
) -> views.ScheduleSet | views.Refused:
    """Rounds on `schedule`, in the scheduler's time zone."""
    platform = core.platform_for(team_id)
    tz = platform.timezone(team_id, user_id)
    try:
        next_at = schedule_channel(
            core,
            team_id=team_id,
            channel_id=channel_id,
            user_id=user_id,
            schedule=schedule,
            tz=tz,
            is_admin=platform.is_admin(team_id, user_id),
            collect=collect,
        )
    except NotAllowed as exc:
        return views.Refused(str(exc))
    return views.ScheduleSet(schedule.describe(), tz, next_at)


def clear_schedule(
    core: Core, *, team_id: str, channel_id: str, user_id: str
) -> views.ScheduleStopped | views.Refused:
    admin = core.platform_for(team_id).is_admin(team_id, user_id)
    try:
        stopped = stop_schedule(
            core, team_id=team_id, channel_id=channel_id, user_id=user_id, is_admin=admin
        )
    except NotAllowed as exc:
        return views.Refused(str(exc))
    return views.ScheduleStopped(stopped)


def pick_per_round(
    core: Core, *, team_id: str, channel_id: str, user_id: str, pick: int | None
) -> views.PickSet | views.Refused:
    """Ask a rotating `pick` of the channel's questions per round (None: all of them)."""
    admin = core.platform_for(team_id).is_admin(team_id, user_id)
    try:
        count = set_pick(
            core,
            team_id=team_id,
            channel_id=channel_id,
            user_id=user_id,
            pick=pick,
            is_admin=admin,
        )
    except NotAllowed as exc:
        return views.Refused(str(exc))
    return views.PickSet(pick, count)


def questions_form(
    core: Core, *, team_id: str, channel_id: str, user_id: str
) -> OpenForm | views.Refused:
    """The form that edits the channel's questions, for those who may change them."""
    admin = core.platform_for(team_id).is_admin(team_id, user_id)
    try:
        ensure_may_change(
            core, team_id=team_id, channel_id=channel_id, user_id=user_id, is_admin=admin
        )
    except NotAllowed as exc:
        return views.Refused(str(exc))
    questions, custom = channel_questions(core, team_id=team_id, channel_id=channel_id)
    return OpenForm(views.QuestionsForm(channel_id, tuple(questions), custom))


def check_questions_form(
    channel_id: str, text: str, *, reset: bool
) -> FormErrors | QuestionsChange:
    """What a submitted questions form asks for, or why the form stays open. Nothing is asked
    of the platform here, so the form can be answered at once."""
    if not is_slack_id(channel_id):
        return FormErrors(((views.QUESTIONS_FIELD, "Run /reflect questions again."),))
    if reset:
        return QuestionsChange(channel_id, None)
    try:
        return QuestionsChange(channel_id, tuple(parse_question_lines(text)))
    except ReflectionError as exc:
        return FormErrors(((views.QUESTIONS_FIELD, str(exc)),))


def change_questions(
    core: Core, *, team_id: str, user_id: str, change: QuestionsChange
) -> views.Private:
    """Save (or reset) the channel's questions. The channel came with the form, which the
    submitter controls: who may change it is checked again here. The note goes where the
    person reads it: in the channel for its members, else directly."""
    platform = core.platform_for(team_id)
    place = change.channel_id
    member = platform.is_public(team_id, place) or user_id in platform.members(team_id, place)
    admin = platform.is_admin(team_id, user_id)
    note: object
    try:
        if change.questions is None:
            reset_questions(
                core,
                team_id=team_id,
                channel_id=place,
                user_id=user_id,
                is_admin=admin,
                is_member=member,
            )
            note = views.QuestionsSaved(None)
        else:
            save_questions(
                core,
                team_id=team_id,
                channel_id=place,
                user_id=user_id,
                questions=list(change.questions),
                is_admin=admin,
                is_member=member,
            )
            note = views.QuestionsSaved(len(change.questions))
    except ReflectionError as exc:
        note = views.Problem(str(exc))
    return views.Private(note, place if member else None)


def answer_form(
    core: Core, *, team_id: str, round_id: int | None, user_id: str
) -> OpenForm | views.RoundClosed:
    """The Answer button: the answers form, prefilled, while the round is open."""
    round_ = get_round(core, team_id=team_id, round_id=round_id) if round_id is not None else None
    if round_ is None or not takes_answers(round_, core.clock.now()):
        return views.RoundClosed()
    existing = user_answers(core, team_id=team_id, round_id=round_.id, user_id=user_id)
    fields = tuple(
        views.AnswerField(answer_field(i), i, question, existing.get(i, ""))
        for i, question in enumerate(round_.questions)
    )
    return OpenForm(views.AnswersForm(round_.id, round_.closes_at, fields))


def submit_answers(
    core: Core, *, team_id: str, round_id: int | None, user_id: str, answers: dict[int, str]
) -> FormErrors | views.AnswersSaved:
    """A submitted answers form (`answers` by question index; a missing or empty one removes
    the person's answer): saved while the round is open, else the form says why."""
    round_ = get_round(core, team_id=team_id, round_id=round_id) if round_id is not None else None
    if round_ is None:
        return FormErrors(((answer_field(0), GONE),))
    try:
        count = save_modal_answers(
            core, team_id=team_id, round_id=round_.id, user_id=user_id, answers=answers
        )
    except ReflectionError as exc:
        return FormErrors(((answer_field(0), str(exc)),))
    return views.AnswersSaved(round_.channel_id, count, len(round_.questions), round_.closes_at)


# --- timers -------------------------------------------------------------------------------------


def round_due(core: Core, timer: Timer) -> None:
    """A schedule's round is due: post it. A refusal (or no answer) fails the timer, which
    retries it, looking for it first; the scheduler is told once when only a person can fix
    it."""
    due = scheduled_round_due(core, timer)
    if due.round is None:
        return
    platform = core.platform_for(timer.team_id)
    try:
        _post_round(core, platform, due.round, retry=due.retry or timer.attempts > 1)
    except PostFailed as exc:
        if timer.attempts == 1 and due.scheduled_by and exc.reason in NEEDS_A_PERSON:
            notice = views.RoundNotPosted(exc.reason, due.round.channel_id, scheduled=True)
            platform.tell(timer.team_id, due.scheduled_by, notice)
        raise


def confirm_round(core: Core, timer: Timer) -> None:
    """The reflection_confirm timer: find the unconfirmed round in its channel or post it."""
    round_ = round_to_confirm(core, team_id=timer.team_id, round_id=timer.ref_id)
    if round_ is not None:
        _post_round(core, core.platform_for(timer.team_id), round_, retry=True)


def close_due(core: Core, timer: Timer) -> None:
    """A round's time is up: close it once, post its digest in its thread, and show its message
    closed (no Answer button). The platform says how many messages the digest takes; each is
    keyed, and a retry (a part failed or went unanswered) looks for them before posting, so
    each part is posted once."""
    round_ = close_round(core, team_id=timer.team_id, round_id=timer.ref_id)
    if round_ is None or round_.message_ts is None:
        return
    team, place = round_.team_id, round_.channel_id
    platform = core.platform_for(team)
    digest = build_digest(
        core,
        team_id=team,
        round_id=round_.id,
        member_ids=platform.people(team, place),
        channel_is_public=lambda channel: platform.is_public(team, channel),
    )
    count = platform.parts(digest)
    refs = [
        platform.post(
            team,
            place,
            views.DigestPart(digest, part + 1, count),
            thread=round_.message_ts,
            key=f"reflection-digest:{round_.id}:{part}",
            look_first=timer.attempts > 1,
        )
        for part in range(count)
    ]
    digest_posted(
        core,
        team_id=team,
        round_id=round_.id,
        digest_ts=refs[0].id,
        member_count=digest.participation.member_count,
    )
    closed = views.ClosedRoundCard(
        round_.id, round_.questions, round_.closes_at, digest.answer_count
    )
    platform.update(team, MessageRef(place, round_.message_ts), lambda: closed)


def register_timers(core: Core) -> None:
    core.timers.register(TimerKind.REFLECTION_ROUND, lambda timer: round_due(core, timer))
    core.timers.register(TimerKind.REFLECTION_CLOSE, lambda timer: close_due(core, timer))
    core.timers.register(TimerKind.REFLECTION_CONFIRM, lambda timer: confirm_round(core, timer))
