"""Full-text search over a decision's proposal, final wording and vote reasons.

One document per decision (its proposal, final text and every reason given on its votes) is
kept current by triggers on `decision` and `vote` (migration 0006), so every write that changes
the text, whichever code makes it, changes what a search finds:

- SQLite: an FTS5 table `decision_fts` with the trigram tokenizer (rowid = decision id);
- PostgreSQL: a table `decision_search` of lower-cased documents with a `pg_trgm` GIN index.

Both keep the log's meaning: a word matches anywhere inside a word of the text (so a prefix
matches too), in any case, and every word of a search must match. Words are always passed as
values (an FTS5 string, a LIKE pattern with `%`, `_` and `\\` escaped), never as SQL or as FTS
syntax: `AND`, `NEAR`, `*`, `"`, `-`, `:` are searched for as they are. Trigrams need three
characters: shorter words are matched with LIKE among the decisions the longer words found (a
search made only of one- or two-character words reads the workspace's decisions).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, Integer, String, literal, text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session

from storage.db import fold

# Words at least this long are looked up in the trigram index.
INDEXED_LENGTH = 3
# Tables (and their prefix, for FTS5's shadow tables) that live outside storage.models.
SEARCH_TABLES = ("decision_fts", "decision_search")


def is_search_table(name: str | None) -> bool:
    """Whether a table belongs to the search index (kept by triggers, not by the models)."""
    return bool(name) and str(name).startswith(SEARCH_TABLES)


def indexed_words(words: tuple[str, ...]) -> tuple[str, ...]:
    """The words of a search that the index can find (folded, at least three characters)."""
    return tuple(str(fold(w)) for w in words if len(w) >= INDEXED_LENGTH)


def fts5_query(words: tuple[str, ...]) -> str:
    """An FTS5 query in which each word is one quoted string: a literal substring."""
    return " AND ".join('"' + w.replace('"', '""') + '"' for w in words)


def like_pattern(word: str) -> str:
    """`%word%` with LIKE's own characters escaped (backslash is the escape)."""
    escaped = str(fold(word)).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class text_matches(FunctionElement[bool]):  # noqa: N801 - used like a SQL function
    """`decision.id IN (decisions whose document contains every word)`, for either database.

    Clauses: the decision id column, the FTS5 query, then one LIKE pattern per word."""

    type = Integer()
    name = "text_matches"
    inherit_cache = True


def matches(id_column: Any, words: tuple[str, ...]) -> text_matches:
    """The condition that `id_column`'s decision contains every one of `words` (indexed ones)."""
    found = indexed_words(words)
    return text_matches(
        id_column,
        literal(fts5_query(found), String()),
        *(literal(like_pattern(w), String()) for w in found),
    )


@compiles(text_matches, "sqlite")
def _matches_sqlite(element: text_matches, compiler: SQLCompiler, **kw: Any) -> str:
    column, query = list(element.clauses)[:2]
    return (
        f"{compiler.process(column, **kw)} IN (SELECT rowid FROM decision_fts "
        f"WHERE decision_fts MATCH {compiler.process(query, **kw)})"
    )


@compiles(text_matches)
def _matches_default(element: text_matches, compiler: SQLCompiler, **kw: Any) -> str:
    column, _query, *patterns = list(element.clauses)
    likes = " AND ".join(f"document LIKE {compiler.process(p, **kw)} ESCAPE '\\'" for p in patterns)
    return (
        f"{compiler.process(column, **kw)} IN "
        f"(SELECT decision_id FROM decision_search WHERE {likes})"
    )


def ranked(dialect: str, words: tuple[str, ...]) -> Any:
    """(id, rank) of the decisions containing every indexed word; a lower rank is a better
    match (SQLite: FTS5's bm25; PostgreSQL: trigram similarity of the document to the words)."""
    found = indexed_words(words)
    if dialect == "sqlite":
        stmt = text(
            "SELECT rowid AS id, bm25(decision_fts) AS rank FROM decision_fts "
            "WHERE decision_fts MATCH :search_query"
        ).bindparams(search_query=fts5_query(found))
    else:
        params = {f"search_p{i}": like_pattern(w) for i, w in enumerate(found)}
        likes = " AND ".join(f"document LIKE :{name} ESCAPE '\\'" for name in params)
        stmt = text(
            "SELECT decision_id AS id, -similarity(document, :search_words) AS rank "
            f"FROM decision_search WHERE {likes}"
        ).bindparams(search_words=" ".join(found), **params)
    return stmt.columns(id=Integer(), rank=Float()).subquery("search_rank")


def include_name(name: str | None, type_: str, _parent_names: Any) -> bool:
    """Alembic's filter: the search tables are kept by the migration's triggers, not compared
    with the models."""
    return not (type_ == "table" and is_search_table(name))


def tidy(*, session: Session) -> None:
    """Merge the SQLite index's segments into one (FTS5 `optimize`): many small segments, as
    a bulk of writes leaves them, make every search read each one. A few seconds at 100,000
    decisions; PostgreSQL's GIN index is kept by autovacuum."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("INSERT INTO decision_fts(decision_fts) VALUES ('optimize')"))
