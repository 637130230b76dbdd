"""Reflection rounds: the standard questions, per-channel schedules, answers and the digest.

A round is posted in a channel (now, or when its schedule's timer comes due) through the
platform port, collects answers from a form and from thread replies until it closes, and closes
exactly once with a digest. The platforms call `flows` (a command, a click or a form gets a
view of `bot.views.reflections` back); `register_timers` handles the two timer kinds.

    settings  a channel's questions, who may change them, its schedule, how many to ask
    rounds    rounds made, posted, answered (form and thread) and closed once
    digest    what a closed round's people answered (the platform says how many messages)
    flows     what the platforms call, and the timers
"""

from bot.reflections.digest import build_digest, digest_posted
from bot.reflections.flows import (
    QuestionsChange,
    answer_form,
    change_questions,
    check_questions_form,
    clear_schedule,
    close_due,
    confirm_round,
    pick_per_round,
    post_now,
    questions_form,
    register_timers,
    round_due,
    set_schedule,
    submit_answers,
)
from bot.reflections.rounds import (
    RoundView,
    ScheduledRound,
    close_round,
    decision_numbers,
    delete_thread_reply,
    discard_round,
    get_round,
    record_thread_reply,
    round_posted,
    save_modal_answers,
    scheduled_round_due,
    split_question_number,
    start_round,
    takes_answers,
    user_answers,
)
from bot.reflections.settings import (
    DEFAULT_COLLECT,
    MAX_COLLECT,
    MIN_COLLECT,
    NOT_MEMBER,
    NOT_OWNER,
    STANDARD_QUESTIONS,
    NotAllowed,
    ReflectionError,
    channel_questions,
    channel_status,
    ensure_may_change,
    parse_question_lines,
    pick_questions,
    reset_questions,
    save_questions,
    schedule_channel,
    set_pick,
    stop_schedule,
)
from bot.views.reflections import MAX_ANSWER_CHARS, MAX_QUESTIONS

__all__ = [
    "DEFAULT_COLLECT",
    "MAX_ANSWER_CHARS",
    "MAX_COLLECT",
    "MAX_QUESTIONS",
    "MIN_COLLECT",
    "NOT_MEMBER",
    "NOT_OWNER",
    "STANDARD_QUESTIONS",
    "NotAllowed",
    "QuestionsChange",
    "ReflectionError",
    "RoundView",
    "ScheduledRound",
    "answer_form",
    "build_digest",
    "change_questions",
    "channel_questions",
    "channel_status",
    "check_questions_form",
    "clear_schedule",
    "close_due",
    "close_round",
    "confirm_round",
    "decision_numbers",
    "delete_thread_reply",
    "digest_posted",
    "discard_round",
    "ensure_may_change",
    "get_round",
    "takes_answers",
    "parse_question_lines",
    "pick_per_round",
    "pick_questions",
    "post_now",
    "questions_form",
    "record_thread_reply",
    "register_timers",
    "reset_questions",
    "round_due",
    "round_posted",
    "save_modal_answers",
    "save_questions",
    "schedule_channel",
    "scheduled_round_due",
    "set_pick",
    "set_schedule",
    "split_question_number",
    "start_round",
    "stop_schedule",
    "submit_answers",
    "user_answers",
]
