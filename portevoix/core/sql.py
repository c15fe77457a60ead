"""Small SQL helpers for the hot write paths (counters and roll-ups), written once for SQLite and
PostgreSQL: both accept ``INSERT ... ON CONFLICT (...) DO UPDATE`` with ``excluded``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection

BATCH = 1000  # rows per executemany call


def upsert_adding(
    table: str,
    key: Sequence[str],
    columns: Sequence[str],
    add: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
) -> None:
    """INSERT ``rows`` (values of ``columns``) into ``table``; where a row of the same ``key`` exists
    (a unique constraint on those columns), add the ``add`` columns to it instead. One statement per row,
    sent in batches (psycopg pipelines them: no round trip per row). Call inside a transaction; rows are
    written in the order given, so concurrent writers should give them sorted by key (the same lock order
    cannot deadlock)."""
    if not rows:
        return
    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in columns)
    marks = ", ".join(["%s"] * len(columns))
    updates = ", ".join(f"{quote(c)} = {quote(table)}.{quote(c)} + excluded.{quote(c)}" for c in add)
    sql = (
        f"INSERT INTO {quote(table)} ({names}) VALUES ({marks}) "  # noqa: S608 (names from the models)
        f"ON CONFLICT ({', '.join(quote(c) for c in key)}) DO UPDATE SET {updates}"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            cursor.executemany(sql, rows[start : start + BATCH])
