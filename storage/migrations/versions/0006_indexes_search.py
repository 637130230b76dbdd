"""Indexes that start with what each query filters on, and full-text search of decisions.

Per-decision and per-narrative lookups get composite indexes led by the decision (narrative,
timer reference), so that neither database reads a whole workspace for one decision; indexes no
query uses any more are dropped. Search: one document per decision (proposal, final text, vote
reasons) kept by triggers; SQLite FTS5 (trigram), PostgreSQL pg_trgm GIN. Existing decisions
are indexed here.

Revision ID: 0006_indexes_search
Revises: 0004_known_names
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006_indexes_search"
down_revision: str | Sequence[str] | None = "0005_platform_ids"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (name, table, columns) created, and (name, table, columns) dropped (re-created on downgrade).
NEW_INDEXES = (
    ("ix_processed_event_received", "processed_event", ["received_at"]),
    ("ix_timer_kind_ref_status", "timer", ["kind", "ref_id", "status"]),
    ("ix_narrative_team_started", "narrative", ["team_id", "started_at"]),
    ("ix_question_narrative", "question", ["narrative_id", "team_id", "asked_at"]),
    ("ix_vote_decision_current", "vote", ["decision_id", "team_id", "current", "cast_at"]),
    ("ix_andon_pull_decision", "andon_pull", ["decision_id", "team_id", "pulled_at"]),
    ("ix_review_decision", "review", ["decision_id", "team_id", "due_at"]),
    ("ix_decision_event_decision", "decision_event", ["decision_id", "team_id", "at"]),
    ("ix_reflection_answer_round", "reflection_answer", ["round_id", "team_id", "answered_at"]),
)
OLD_INDEXES = (
    ("ix_timer_ref", "timer", ["kind", "ref_id"]),
    ("ix_timer_team_id", "timer", ["team_id"]),
    ("ix_narrative_team_id", "narrative", ["team_id"]),
    ("ix_narrative_reader_team_id", "narrative_reader", ["team_id"]),
    ("ix_narrative_reader_narrative_id", "narrative_reader", ["narrative_id"]),
    ("ix_question_narrative_id", "question", ["narrative_id"]),
    ("ix_question_upvote_team_id", "question_upvote", ["team_id"]),
    ("ix_andon_pull_team_id", "andon_pull", ["team_id"]),
    ("ix_andon_pull_decision_id", "andon_pull", ["decision_id"]),
    ("ix_review_decision_id", "review", ["decision_id"]),
    ("ix_decision_event_team_id", "decision_event", ["team_id"]),
    ("ix_decision_event_decision_id", "decision_event", ["decision_id"]),
)

# A decision's document: proposal, final text and the reasons of its votes. The trigram
# tokenizer folds case itself; the Turkish dotted capital I it would keep is made a plain `i`
# first, as `storage.db.fold` (and PostgreSQL's lower()) do.
_SQLITE_TEXT = """replace(d.proposal || char(10) || coalesce(d.final_text, '') || char(10)
    || coalesce((SELECT group_concat(v.reason, char(10)) FROM vote v
                 WHERE v.decision_id = d.id), ''), 'İ', 'i')"""
_SQLITE_DOCUMENT = f"SELECT d.id, {_SQLITE_TEXT} FROM decision d WHERE d.id = {{id}}"


def _sqlite_refresh(ref: str) -> str:
    return (
        f"DELETE FROM decision_fts WHERE rowid = {ref};\n"
        f"INSERT INTO decision_fts(rowid, document) {_SQLITE_DOCUMENT.format(id=ref)};"
    )


SQLITE_UP = [
    "CREATE VIRTUAL TABLE decision_fts USING fts5(document, tokenize = 'trigram')",
    f"""CREATE TRIGGER decision_fts_insert AFTER INSERT ON decision BEGIN
        {_sqlite_refresh("NEW.id")}
    END""",
    f"""CREATE TRIGGER decision_fts_update AFTER UPDATE OF proposal, final_text ON decision
    BEGIN
        {_sqlite_refresh("NEW.id")}
    END""",
    """CREATE TRIGGER decision_fts_delete AFTER DELETE ON decision BEGIN
        DELETE FROM decision_fts WHERE rowid = OLD.id;
    END""",
    f"""CREATE TRIGGER vote_fts_insert AFTER INSERT ON vote WHEN NEW.reason IS NOT NULL BEGIN
        {_sqlite_refresh("NEW.decision_id")}
    END""",
    f"""CREATE TRIGGER vote_fts_update AFTER UPDATE OF reason, decision_id ON vote BEGIN
        {_sqlite_refresh("OLD.decision_id")}
        {_sqlite_refresh("NEW.decision_id")}
    END""",
    f"""CREATE TRIGGER vote_fts_delete AFTER DELETE ON vote WHEN OLD.reason IS NOT NULL BEGIN
        {_sqlite_refresh("OLD.decision_id")}
    END""",
    # Existing decisions.
    f"INSERT INTO decision_fts(rowid, document) SELECT d.id, {_SQLITE_TEXT} FROM decision d",
    # One segment instead of the many a bulk insert leaves.
    "INSERT INTO decision_fts(decision_fts) VALUES ('optimize')",
]
SQLITE_DOWN = [
    *(
        f"DROP TRIGGER IF EXISTS {name}"
        for name in (
            "decision_fts_insert",
            "decision_fts_update",
            "decision_fts_delete",
            "vote_fts_insert",
            "vote_fts_update",
            "vote_fts_delete",
        )
    ),
    "DROP TABLE IF EXISTS decision_fts",
]

POSTGRES_UP = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    """CREATE TABLE decision_search (
        decision_id integer PRIMARY KEY REFERENCES decision (id) ON DELETE CASCADE,
        document text NOT NULL
    )""",
    """CREATE FUNCTION narrative_search_refresh(target integer) RETURNS void
    LANGUAGE sql AS $$
        INSERT INTO decision_search (decision_id, document)
        SELECT d.id, lower(d.proposal || chr(10) || coalesce(d.final_text, '') || chr(10)
            || coalesce((SELECT string_agg(v.reason, chr(10)) FROM vote v
                         WHERE v.decision_id = d.id), ''))
        FROM decision d WHERE d.id = target
        ON CONFLICT (decision_id) DO UPDATE SET document = EXCLUDED.document
    $$""",
    """CREATE FUNCTION narrative_decision_search() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM narrative_search_refresh(NEW.id);
        RETURN NULL;
    END $$""",
    """CREATE FUNCTION narrative_vote_search() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            PERFORM narrative_search_refresh(OLD.decision_id);
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') THEN
            PERFORM narrative_search_refresh(NEW.decision_id);
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER decision_search_write AFTER INSERT OR UPDATE OF proposal, final_text
    ON decision FOR EACH ROW EXECUTE FUNCTION narrative_decision_search()""",
    """CREATE TRIGGER vote_search_insert AFTER INSERT ON vote
    FOR EACH ROW WHEN (NEW.reason IS NOT NULL) EXECUTE FUNCTION narrative_vote_search()""",
    """CREATE TRIGGER vote_search_update AFTER UPDATE OF reason, decision_id ON vote
    FOR EACH ROW EXECUTE FUNCTION narrative_vote_search()""",
    """CREATE TRIGGER vote_search_delete AFTER DELETE ON vote
    FOR EACH ROW WHEN (OLD.reason IS NOT NULL) EXECUTE FUNCTION narrative_vote_search()""",
    # Existing decisions, before the index is built (one build instead of one update per row).
    """INSERT INTO decision_search (decision_id, document)
    SELECT d.id, lower(d.proposal || chr(10) || coalesce(d.final_text, '') || chr(10)
        || coalesce(r.reasons, ''))
    FROM decision d LEFT JOIN (
        SELECT decision_id, string_agg(reason, chr(10)) AS reasons FROM vote
        WHERE reason IS NOT NULL GROUP BY decision_id
    ) r ON r.decision_id = d.id""",
    """CREATE INDEX ix_decision_search_document ON decision_search
    USING gin (document gin_trgm_ops)""",
]
POSTGRES_DOWN = [
    "DROP TRIGGER IF EXISTS vote_search_delete ON vote",
    "DROP TRIGGER IF EXISTS vote_search_update ON vote",
    "DROP TRIGGER IF EXISTS vote_search_insert ON vote",
    "DROP TRIGGER IF EXISTS decision_search_write ON decision",
    "DROP FUNCTION IF EXISTS narrative_vote_search()",
    "DROP FUNCTION IF EXISTS narrative_decision_search()",
    "DROP FUNCTION IF EXISTS narrative_search_refresh(integer)",
    "DROP TABLE IF EXISTS decision_search",
]


def upgrade() -> None:
    for name, table, columns in NEW_INDEXES:
        op.create_index(name, table, columns)
    for name, table, _columns in OLD_INDEXES:
        op.drop_index(name, table_name=table)
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in SQLITE_UP if sqlite else POSTGRES_UP:
        op.execute(statement)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in SQLITE_DOWN if sqlite else POSTGRES_DOWN:
        op.execute(statement)
    for name, table, columns in OLD_INDEXES:
        op.create_index(name, table, columns)
    for name, table, _columns in NEW_INDEXES:
        op.drop_index(name, table_name=table)
