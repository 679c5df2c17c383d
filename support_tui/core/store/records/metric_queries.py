"""The only reads metrics make, written once: through a store's database, or a private read-only ``sqlite3``
connection from the Prometheus exporter's thread (``metric_records_sync``)."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from support_tui.core.events import event_from_json
from support_tui.core.store.records.values import (
    METRIC_EVENT_KINDS,
    MetricConversation,
    MetricMessage,
    MetricRecords,
    Rating,
    TurnUsage,
    stored_time,
)
from support_tui.core.store.sql.database import ShopDatabase

# Forks (``parent_id`` set) are debugging re-runs, not customer contacts: metrics leave them out.
_SCOPE = "SELECT id FROM conversations WHERE created_at >= ? AND (NOT is_fixture OR ?) AND parent_id IS NULL"
METRIC_QUERIES: dict[str, str] = {
    "conversations": "SELECT id, customer_id, status, handled_by, agent, escalation_reason, outcome, is_fixture,"
    " created_at, updated_at, closed_at FROM conversations WHERE created_at >= ? AND (NOT is_fixture OR ?)"
    " AND parent_id IS NULL ORDER BY created_at, id",
    "messages": "SELECT conversation_id, id, role, status, text, created_at FROM messages"
    f" WHERE conversation_id IN ({_SCOPE}) ORDER BY conversation_id, id",
    "turns": "SELECT conversation_id, model, prompt_tokens, completion_tokens, cost_usd FROM turns"
    f" WHERE conversation_id IN ({_SCOPE}) ORDER BY conversation_id, started_at",
    "events": "SELECT data FROM events"
    f" WHERE kind IN ({','.join(repr(k) for k in METRIC_EVENT_KINDS)}) AND conversation_id IN ({_SCOPE})"
    " ORDER BY conversation_id, id",
    "ratings": f"SELECT conversation_id, score, comment, created_at FROM ratings WHERE conversation_id IN ({_SCOPE})",
}
"""Each query's two placeholders are ``since`` and ``include_fixture``."""


def _params(since: datetime | None, include_fixture: bool) -> tuple[str, bool]:
    return (stored_time(since) if since else "", include_fixture)


def _records(rows: Mapping[str, Sequence[Any]]) -> MetricRecords:
    return MetricRecords(
        conversations=[MetricConversation(**(dict(r) | {"is_fixture": bool(r["is_fixture"])})) for r in rows["conversations"]],
        messages=[MetricMessage(**dict(r)) for r in rows["messages"]],
        turns=[TurnUsage(**dict(r)) for r in rows["turns"]],
        events=[event_from_json(r["data"]) for r in rows["events"]],
        ratings=[Rating(**dict(r)) for r in rows["ratings"]],
    )


async def metric_records(db: ShopDatabase, since: datetime | None, include_fixture: bool) -> MetricRecords:
    """The records metrics are computed from, read in one snapshot (so a conversation and its messages agree)."""
    params = _params(since, include_fixture)
    async with db.snapshot() as reader:
        return _records({name: await reader.fetchall(sql, params) for name, sql in METRIC_QUERIES.items()})


def metric_records_sync(path: Path | str, since: datetime | None, include_fixture: bool) -> MetricRecords:
    """``metric_records`` of the SQLite file at ``path`` through a private read-only connection (safe from any thread)."""
    conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, timeout=10, check_same_thread=False)
    try:
        conn.row_factory = sqlite3.Row
        params = _params(since, include_fixture)
        return _records({name: conn.execute(sql, params).fetchall() for name, sql in METRIC_QUERIES.items()})
    finally:
        conn.close()


def metric_reader(path: Path | str) -> Callable[[datetime | None, bool], MetricRecords]:
    """A synchronous ``(since, include_fixture) -> MetricRecords`` over the SQLite file at ``path``."""
    return lambda since, include_fixture: metric_records_sync(path, since, include_fixture)
