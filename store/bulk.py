"""Many rows in one statement: on PostgreSQL as arrays unnested server-side, on SQLite as ``executemany``.

A page of posts through psycopg as multi-row ``VALUES`` costs more in the client than in the server: thousands of
placeholders a statement to parse (psycopg caches only short queries) and one pipelined statement per row for
``executemany``. ``INSERT ... SELECT FROM unnest(:a, :b, ...)`` sends one array a column, whatever the number of
rows (values bound, never rendered into the SQL). SQLite's ``executemany`` is already a loop in C.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import JSON, ColumnElement, Table, any_, bindparam, cast, func, literal_column, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.types import Text

__all__ = ["insert_rows", "one_of", "reserve_ids", "update_rows"]

_CHUNK = 500  # rows per statement on SQLite (SQLite allows 32,766 variables)
_PG_CHUNK = 20_000  # rows per statement on PostgreSQL (one array a column, so bounded by memory only)


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _arrays(table: Table, names: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> Any:
    """``unnest(:c1, :c2, ...) AS v(c1, c2, ...)``; JSON travels as text and is cast back in the SELECT."""
    params = []
    for i, name in enumerate(names):
        kind = table.c[name].type
        values = [row[name] for row in rows]
        if isinstance(kind, JSON):
            values, kind = [None if v is None else json.dumps(v) for v in values], Text()
        params.append(bindparam(f"bulk_{i}", values, type_=postgresql.ARRAY(kind)))
    return func.unnest(*params).table_valued(*names).render_derived(name="v")


def _selected(table: Table, names: Sequence[str], source: Any) -> list[ColumnElement[Any]]:
    return [cast(source.c[n], table.c[n].type) if isinstance(table.c[n].type, JSON) else source.c[n] for n in names]


def insert_rows(session: Session, table: Table, rows: Sequence[Mapping[str, Any]], *,
                conflict: Sequence[str] | None = None, returning: Sequence[ColumnElement[Any]] = ()) -> list[Any]:
    """INSERT ``rows`` (dicts with the same keys) into ``table``; ``conflict``: the unique columns to skip on
    (``ON CONFLICT DO NOTHING``); ``returning``: columns of the inserted rows to return (skipped ones return
    nothing) as tuples, in no particular order."""
    if not rows:
        return []
    names = list(rows[0])
    out: list[Any] = []
    if _postgres(session):
        for start in range(0, len(rows), _PG_CHUNK):
            source = _arrays(table, names, rows[start:start + _PG_CHUNK])
            stmt: Any = postgresql.insert(table).from_select(names, select(*_selected(table, names, source)))
            if conflict is not None:
                stmt = stmt.on_conflict_do_nothing(index_elements=list(conflict))
            if returning:
                out.extend(session.execute(stmt.returning(*returning)).all())
            else:
                session.execute(stmt)
        return out
    stmt = sqlite.insert(table)
    if conflict is not None:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(conflict))
    for start in range(0, len(rows), _CHUNK):
        chunk = list(rows[start:start + _CHUNK])
        if returning:
            out.extend(session.execute(stmt.returning(*returning), chunk).all())
        else:
            session.execute(stmt, chunk)
    return out


def update_rows(session: Session, table: Table, rows: Sequence[Mapping[str, Any]], *,
                keys: Sequence[str] = ("id",)) -> None:
    """UPDATE each row of ``table`` matching a row's ``keys`` to the row's other values (dicts with the same
    keys); a row that matches nothing changes nothing."""
    if not rows:
        return
    names = list(rows[0])
    values = [n for n in names if n not in keys]
    if _postgres(session):
        for start in range(0, len(rows), _PG_CHUNK):
            source = _arrays(table, names, rows[start:start + _PG_CHUNK])
            chosen = dict(zip(names, _selected(table, names, source), strict=True))
            where = [table.c[k] == chosen[k] for k in keys]
            session.execute(update(table).where(*where).values({n: chosen[n] for n in values}))
        return
    stmt = update(table).where(*[table.c[k] == bindparam(f"key_{k}") for k in keys]).values(
        {n: bindparam(f"new_{n}") for n in values})
    session.execute(stmt, [{**{f"key_{k}": row[k] for k in keys}, **{f"new_{n}": row[n] for n in values}}
                           for row in rows])


def one_of(session: Session, column: Any, values: Sequence[Any]) -> Any:
    """``column IN values`` as one bound value, however many: ``= ANY(:array)`` on PostgreSQL, ``IN (SELECT value
    FROM json_each(:json))`` on SQLite (no expanded placeholder list to build and parse per statement, no limit
    on the number of values). Values are ints or strings."""
    if _postgres(session):
        return column == any_(bindparam(None, list(values), type_=postgresql.ARRAY(column.type)))
    each: Any = select(literal_column("value")).select_from(func.json_each(bindparam(None, json.dumps(list(values)))))
    return column.in_(each.scalar_subquery())


def reserve_ids(session: Session, table: Table, count: int) -> list[int]:
    """``count`` new ids for ``table`` (an integer primary key ``id``), ascending, before its rows are inserted, so
    a row can name itself (a post is its own cluster) in its INSERT: drawn from the column's sequence on
    PostgreSQL; on SQLite the ids after the largest, which holds because the caller's write transaction has the
    database to itself (``BEGIN IMMEDIATE``)."""
    if count <= 0:
        return []
    if _postgres(session):
        sequence = func.pg_get_serial_sequence(table.name, "id")
        return list(session.scalars(select(func.nextval(sequence)).select_from(func.generate_series(1, count))))
    last = session.scalar(select(func.max(table.c.id))) or 0
    return list(range(last + 1, last + 1 + count))
