"""``SQLSupportStore``: the one implementation of the ``SupportStore`` Protocol, on SQLite and PostgreSQL alike.

Its SQL is written once, in the common ground of both dialects, and runs through the same
``ShopDatabase`` the shops use (``?`` placeholders; PostgreSQL gets ``$n``): ``INSERT ... RETURNING``
for new ids, ``ON CONFLICT ... DO UPDATE`` for upserts (the same words on both), booleans passed as
booleans. What does differ sits in one module each: the change feed (``change_feed``), claiming a
queued turn (``job_claims``), a worker's presence (``worker_presence``), the server's clock
(``server_clock``), ordering turns (``turn_order``) and rows with their own ids (``explicit_ids``).
The schema is Alembic's (``migrate``, component ``support``).

JSON columns (``state``, ``timings``, ``arguments``) are JSON text on both: PostgreSQL's JSONB takes
and gives text through asyncpg. The trace's events are always TEXT (JSONB refuses ``\\u0000``).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone
from typing import Any, AsyncGenerator, AsyncIterator, Callable, Sequence

from support_tui.core.events import Event, event_from_json
from support_tui.core.store.records.values import (
    ConversationInfo,
    FixtureHistory,
    MemoryEntry,
    PendingToolCall,
    Rating,
    StoreChange,
    StoredMessage,
    TurnRecord,
    MetricRecords,
    new_id,
    utcnow,
)
from support_tui.core.store.sql.database import Params, Row, ShopDatabase, ShopTransaction
from support_tui.core.store.records import change_feed, explicit_ids
from support_tui.core.store.records.metric_queries import metric_records
from support_tui.core.store.sql.migrate import head, number, recorded_revision
from support_tui.core.store.sql.server_clock import now_sql
from support_tui.core.store.records.turn_order import turn_order
from support_tui.core.store.queue.turn_queue import TurnQueue

SUPPORT_VERSIONS = Path(__file__).parent / "migrations"
"""The support records' Alembic revisions (component ``support``), as each shop keeps its own."""

COMPONENT = "support"
"""The support records' Alembic component (version table ``alembic_version_support``)."""

CONVERSATION_FIELDS = frozenset(ConversationInfo.model_fields) - {"id"}
"""Columns ``update_conversation`` may set."""

_CONVERSATION = ", ".join(ConversationInfo.model_fields)
_MESSAGE = ", ".join(StoredMessage.model_fields)
_TURN = ", ".join(TurnRecord.model_fields)
_PENDING = ", ".join(PendingToolCall.model_fields)
_MEMORY = ", ".join(MemoryEntry.model_fields)
_RATING = ", ".join(Rating.model_fields)
_INSERT_EVENT = "INSERT INTO events (conversation_id, turn_id, kind, at, data) VALUES (?, ?, ?, ?, ?)"


def dumps(value: Any) -> str:
    """JSON text for a JSON column (compact, stable key order)."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True, default=str)


def _loads(value: str | None, default: Any) -> Any:
    return default if value is None else json.loads(value)


def _conversation(row: Row) -> ConversationInfo:
    return ConversationInfo(**(dict(row) | {"state": _loads(row["state"], {}), "is_fixture": bool(row["is_fixture"])}))


def _message(row: Row) -> StoredMessage:
    return StoredMessage(**dict(row))


def _pending(row: Row) -> PendingToolCall:
    return PendingToolCall(**(dict(row) | {"arguments": _loads(row["arguments"], {})}))


def _turn(row: Row) -> TurnRecord:
    return TurnRecord(**(dict(row) | {"timings": _loads(row["timings"], {})}))


def _event_row(e: Event) -> tuple[str, str, str, float, str]:
    return (e.conversation_id, e.turn_id, e.kind, e.at, e.model_dump_json())


def _marks(n: int) -> str:
    return ", ".join("?" * n)


class SQLSupportStore(TurnQueue):
    """The support records in ``db`` (SQLite or PostgreSQL), migrated on first use.

    ``owns_db``: ``close()`` closes ``db`` too (a store opened on a URL of its own); otherwise ``db`` is
    shared with the shop and closed by whoever opened it.
    """

    def __init__(self, db: ShopDatabase, *, owns_db: bool = False) -> None:
        super().__init__(db)
        self._owns_db = owns_db
        self._version: int | None = None
        self._migrating = asyncio.Lock()
        self._turn_order = turn_order(db.dialect)
        self._now = now_sql(db.dialect)

    def __repr__(self) -> str:
        return f"SQLSupportStore({self.db.location!r})"

    @property
    def statements(self) -> int:
        """SQL statements sent through the database so far."""
        return self.db.statements

    @property
    def rows_read(self) -> int:
        """Rows the database's reads returned so far."""
        return self.db.rows_read

    async def close(self) -> None:
        if self._owns_db:
            await self.db.close()

    # set-up --------------------------------------------------------------------------------------

    async def migrate(self) -> int:
        if self._version is not None:
            return self._version
        async with self._migrating:
            if self._version is None:
                latest = head(SUPPORT_VERSIONS)
                if await recorded_revision(self.db, COMPONENT) != latest:
                    await self.db.upgrade_schema(COMPONENT, SUPPORT_VERSIONS)
                self._version = number(latest)
        return self._version

    async def schema_version(self) -> int:
        """The support schema's version in the database (0 before the first migration)."""
        return number(await recorded_revision(self.db, COMPONENT))

    async def _ready(self) -> ShopDatabase:
        if self._version is None:
            await self.migrate()
        return self.db

    async def _fetch(self, sql: str, params: Params = ()) -> Sequence[Row]:
        return await (await self._ready()).fetchall(sql, params)

    async def _write(self, sql: str, params: Params = ()) -> int:
        return await (await self._ready()).write(sql, params)

    # conversations -------------------------------------------------------------------------------

    async def create_conversation(
        self, customer_id: str, *, mode: str = "auto", model: str | None = None, conversation_id: str | None = None
    ) -> ConversationInfo:
        now = utcnow()
        async with (await self._ready()).transaction() as tx:
            row = await tx.fetchone(
                "INSERT INTO conversations (id, customer_id, mode, model, created_at, updated_at)"
                f" VALUES (?, ?, ?, ?, ?, ?) RETURNING {_CONVERSATION}",
                (conversation_id or new_id("conv"), customer_id, mode, model, now, now),
            )
        assert row is not None
        return _conversation(row)

    async def get_conversation(self, conversation_id: str) -> ConversationInfo | None:
        rows = await self._fetch(f"SELECT {_CONVERSATION} FROM conversations WHERE id = ?", (conversation_id,))
        return _conversation(rows[0]) if rows else None

    async def list_conversations(
        self, *, customer_id: str | None = None, statuses: Sequence[str] | None = None, limit: int = 200
    ) -> list[ConversationInfo]:
        sql, params = f"SELECT {_CONVERSATION} FROM conversations WHERE 1 = 1", list[Any]()
        if customer_id:
            sql += " AND customer_id = ?"
            params.append(customer_id)
        if statuses:
            sql += f" AND status IN ({_marks(len(statuses))})"
            params.extend(statuses)
        params.append(limit)
        return [_conversation(r) for r in await self._fetch(sql + " ORDER BY updated_at DESC LIMIT ?", params)]

    async def update_conversation(self, conversation_id: str, **fields: Any) -> None:
        unknown = set(fields) - CONVERSATION_FIELDS
        if unknown:
            raise ValueError(f"conversations have no field {', '.join(sorted(unknown))}")
        if "state" in fields:
            state = fields["state"]
            fields["state"] = state.model_dump_json() if hasattr(state, "model_dump_json") else dumps(state)
        fields["updated_at"] = utcnow()
        cols = ", ".join(f"{name} = ?" for name in fields)
        await self._write(f"UPDATE conversations SET {cols} WHERE id = ?", (*fields.values(), conversation_id))

    # messages ------------------------------------------------------------------------------------

    async def add_message(
        self,
        conversation_id: str,
        role: str,
        text: str,
        *,
        turn_id: str | None = None,
        agent: str | None = None,
        model: str | None = None,
        status: str = "sent",
        reply_to: int | None = None,
    ) -> int:
        now = utcnow()
        async with (await self._ready()).transaction() as tx:
            message_id = await tx.scalar(
                "INSERT INTO messages (conversation_id, turn_id, role, text, agent, model, status, created_at, reply_to)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (reply_to) WHERE reply_to IS NOT NULL DO NOTHING"
                " RETURNING id",
                (conversation_id, turn_id, role, text, agent, model, status, now, reply_to),
            )
            if message_id is None:  # this queued message already has its reply: keep that one
                return int(await tx.scalar("SELECT id FROM messages WHERE reply_to = ?", (reply_to,)))
            await tx.write("UPDATE conversations SET updated_at = ? WHERE id = ?", (now, conversation_id))
        return int(message_id)

    async def set_message(self, message_id: int, *, text: str | None = None, status: str | None = None) -> None:
        fields = {k: v for k, v in (("text", text), ("status", status)) if v is not None}
        if fields:
            cols = ", ".join(f"{name} = ?" for name in fields)
            await self._write(f"UPDATE messages SET {cols} WHERE id = ?", (*fields.values(), message_id))

    async def get_message(self, message_id: int) -> StoredMessage | None:
        rows = await self._fetch(f"SELECT {_MESSAGE} FROM messages WHERE id = ?", (message_id,))
        return _message(rows[0]) if rows else None

    async def messages(self, conversation_id: str) -> list[StoredMessage]:
        rows = await self._fetch(f"SELECT {_MESSAGE} FROM messages WHERE conversation_id = ? ORDER BY id", (conversation_id,))
        return [_message(r) for r in rows]

    async def recent_messages(self, conversation_id: str, limit: int) -> list[StoredMessage]:
        rows = await self._fetch(
            f"SELECT {_MESSAGE} FROM messages WHERE conversation_id = ? ORDER BY id DESC LIMIT ?",
            (conversation_id, max(0, limit)),
        )
        return [_message(r) for r in reversed(rows)]

    async def messages_after(
        self, conversation_id: str, after: int, limit: int, *, roles: Sequence[str], status: str = "sent"
    ) -> list[StoredMessage]:
        rows = await self._fetch(
            f"SELECT {_MESSAGE} FROM messages WHERE conversation_id = ? AND id > ? AND role IN ({_marks(len(roles))})"
            " AND status = ? ORDER BY id LIMIT ?",
            (conversation_id, after, *roles, status, max(0, limit)),
        )
        return [_message(r) for r in rows]

    async def customer_messages(self, conversation_id: str, limit: int) -> list[StoredMessage]:
        rows = await self._fetch(
            f"SELECT {_MESSAGE} FROM messages WHERE conversation_id = ? AND role = 'customer' ORDER BY id DESC LIMIT ?",
            (conversation_id, max(0, limit)),
        )
        return [_message(r) for r in reversed(rows)]

    # turns and the trace -------------------------------------------------------------------------

    async def start_turn(self, turn_id: str, conversation_id: str, message_id: int | None) -> None:
        await self._write(
            "INSERT INTO turns (id, conversation_id, message_id, status, started_at) VALUES (?, ?, ?, 'running', ?)",
            (turn_id, conversation_id, message_id, utcnow()),
        )

    async def append_events(self, events: Sequence[Event]) -> None:
        if events:
            async with (await self._ready()).transaction() as tx:
                await tx.write_many(_INSERT_EVENT, [_event_row(e) for e in events])

    async def finish_turn(
        self,
        turn_id: str,
        *,
        status: str,
        events: Sequence[Event],
        agent: str | None = None,
        model: str | None = None,
        error: str | None = None,
        timings: dict[str, float] | None = None,
        usage: Any = None,
    ) -> None:
        async with (await self._ready()).transaction() as tx:
            if events:
                await tx.write_many(_INSERT_EVENT, [_event_row(e) for e in events])
            await tx.write(
                "UPDATE turns SET status = ?, agent = ?, model = ?, error = ?, timings = ?, prompt_tokens = ?,"
                " completion_tokens = ?, cost_usd = ?, ended_at = ? WHERE id = ?",
                (status, agent, model, error, dumps(timings or {}), int(getattr(usage, "prompt_tokens", 0) or 0),
                 int(getattr(usage, "completion_tokens", 0) or 0), float(getattr(usage, "cost_usd", 0.0) or 0.0),
                 utcnow(), turn_id),
            )

    async def mark_interrupted_turns(self, *, grace_s: float = 0.0) -> int:
        started_before = (datetime.now(timezone.utc) - timedelta(seconds=grace_s)).isoformat(timespec="milliseconds")
        return await self._write(
            "UPDATE turns SET status = 'interrupted', ended_at = ? WHERE status = 'running' AND started_at <= ?"
            " AND NOT EXISTS (SELECT 1 FROM turn_jobs j WHERE j.message_id = turns.message_id AND j.turn_id = turns.id"
            f" AND j.status = 'running' AND j.lease_expires >= {self._now})",
            (utcnow(), started_before),
        )

    async def turns(self, conversation_id: str) -> list[TurnRecord]:
        rows = await self._fetch(
            f"SELECT {_TURN} FROM turns WHERE conversation_id = ? ORDER BY {self._turn_order}", (conversation_id,)
        )
        return [_turn(r) for r in rows]

    async def events(self, conversation_id: str, turn_id: str | None = None) -> list[Event]:
        if turn_id:
            rows = await self._fetch("SELECT data FROM events WHERE conversation_id = ? AND turn_id = ? ORDER BY id",
                                     (conversation_id, turn_id))
        else:
            rows = await self._fetch("SELECT data FROM events WHERE conversation_id = ? ORDER BY id", (conversation_id,))
        return [event_from_json(r["data"]) for r in rows]

    # approvals -----------------------------------------------------------------------------------

    async def add_pending_call(self, call: PendingToolCall) -> None:
        await self._write(
            "INSERT INTO pending_tool_calls (call_id, conversation_id, turn_id, agent, name, arguments,"
            " rule, reason, status, note, created_at, resolved_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)"
            " ON CONFLICT (call_id) DO UPDATE SET conversation_id = excluded.conversation_id,"
            " turn_id = excluded.turn_id, agent = excluded.agent, name = excluded.name, arguments = excluded.arguments,"
            " rule = excluded.rule, reason = excluded.reason, status = excluded.status, note = excluded.note,"
            " created_at = excluded.created_at, resolved_at = NULL",
            (call.call_id, call.conversation_id, call.turn_id, call.agent, call.name, dumps(call.arguments),
             call.rule, call.reason, call.status, call.note, call.created_at),
        )

    async def pending_calls(self, conversation_id: str | None = None) -> list[PendingToolCall]:
        sql, params = f"SELECT {_PENDING} FROM pending_tool_calls WHERE status = 'pending'", list[Any]()
        if conversation_id:
            sql += " AND conversation_id = ?"
            params.append(conversation_id)
        return [_pending(r) for r in await self._fetch(sql + " ORDER BY created_at, call_id", params)]

    async def resolve_pending_call(self, call_id: str, status: str, note: str | None) -> None:
        await self._write("UPDATE pending_tool_calls SET status = ?, note = ?, resolved_at = ? WHERE call_id = ?",
                          (status, note, utcnow(), call_id))

    async def get_pending_call(self, call_id: str) -> PendingToolCall | None:
        rows = await self._fetch(f"SELECT {_PENDING} FROM pending_tool_calls WHERE call_id = ?", (call_id,))
        return _pending(rows[0]) if rows else None

    async def decide_pending_call(self, call_id: str, status: str, by: str, note: str | None = None) -> bool:
        return await self._write(
            "UPDATE pending_tool_calls SET status = ?, note = ?, decided_by = ?, resolved_at = ?"
            " WHERE call_id = ? AND status = 'pending'",
            (status, note, by, utcnow(), call_id),
        ) > 0

    # ratings and memory --------------------------------------------------------------------------

    async def rate(self, conversation_id: str, score: int, comment: str | None = None) -> None:
        if not 1 <= int(score) <= 5:
            raise ValueError("a rating is a whole number from 1 to 5")
        await self._write(
            "INSERT INTO ratings (conversation_id, score, comment, created_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (conversation_id) DO UPDATE SET score = excluded.score, comment = excluded.comment,"
            " created_at = excluded.created_at",
            (conversation_id, int(score), comment, utcnow()),
        )

    async def rating(self, conversation_id: str) -> Rating | None:
        rows = await self._fetch(f"SELECT {_RATING} FROM ratings WHERE conversation_id = ?", (conversation_id,))
        return Rating(**dict(rows[0])) if rows else None

    async def remember(self, customer_id: str, conversation_id: str, summary: str) -> None:
        await self._write(
            "INSERT INTO customer_memory (customer_id, conversation_id, summary, created_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (conversation_id) DO UPDATE SET customer_id = excluded.customer_id,"
            " summary = excluded.summary, created_at = excluded.created_at",
            (customer_id, conversation_id, summary, utcnow()),
        )

    async def memories(self, customer_id: str, limit: int = 5) -> list[MemoryEntry]:
        rows = await self._fetch(
            f"SELECT {_MEMORY} FROM customer_memory WHERE customer_id = ? ORDER BY created_at DESC, id DESC LIMIT ?",
            (customer_id, limit),
        )
        return [MemoryEntry(**dict(r)) for r in rows]

    async def forget(self, customer_id: str) -> int:
        return await self._write("DELETE FROM customer_memory WHERE customer_id = ?", (customer_id,))

    # metrics and fixture data --------------------------------------------------------------------

    async def metric_records(self, since: datetime | None, include_fixture: bool) -> MetricRecords:
        return await metric_records(await self._ready(), since, include_fixture)

    async def fixture_history_loaded(self) -> bool:
        return bool(await self._fetch("SELECT 1 FROM conversations WHERE is_fixture LIMIT 1"))

    async def add_fixture_history(self, build: Callable[[int], FixtureHistory]) -> int:
        db = await self._ready()
        async with db.transaction() as tx:
            # The history brings its own message ids: a second loader waits here, then finds the
            # history's first conversation and adds nothing.
            await explicit_ids.hold_ids(tx, db.dialect, "messages")
            history = build(int(await tx.scalar("SELECT COALESCE(MAX(id), 0) FROM messages")) + 1)
            if not history.conversations:
                return 0
            if await tx.fetchone("SELECT 1 FROM conversations WHERE id = ?", (history.conversations[0].id,)):
                return 0
            await _insert(tx, "conversations", [c.model_dump() | {"state": dumps(c.state)} for c in history.conversations])
            await _insert(tx, "messages", [m.model_dump() for m in history.messages])
            await _insert(tx, "turns", [t.model_dump() | {"timings": dumps(t.timings)} for t in history.turns])
            await tx.write_many(_INSERT_EVENT, [_event_row(e) for e in history.events])
            await _insert(tx, "ratings", [r.model_dump() for r in history.ratings])
            if history.messages:
                await explicit_ids.move_past_ids(tx, db.dialect, "messages")
        return len(history.conversations)

    # a team on one store: claims and the change feed ---------------------------------------------------

    async def claim_conversation(self, conversation_id: str, holder: str) -> str | None:
        async with (await self._ready()).transaction() as tx:
            await tx.write(
                "UPDATE conversations SET held_by = ?, updated_at = ? WHERE id = ? AND (held_by IS NULL OR held_by = ?)",
                (holder, utcnow(), conversation_id, holder),
            )
            held = await tx.fetchone("SELECT held_by FROM conversations WHERE id = ?", (conversation_id,))
        return None if held is None else held["held_by"]

    async def release_conversation(self, conversation_id: str, holder: str) -> bool:
        return await self._write(
            "UPDATE conversations SET held_by = NULL, updated_at = ? WHERE id = ? AND held_by = ?",
            (utcnow(), conversation_id, holder),
        ) > 0

    async def changes(self, poll_s: float = 1.0) -> AsyncGenerator[StoreChange, None]:
        async for change in change_feed.changes(await self._ready(), poll_s):
            yield change


async def _insert(tx: ShopTransaction, table: str, rows: list[dict[str, Any]]) -> None:
    if rows:
        columns = list(rows[0])
        await tx.write_many(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({_marks(len(columns))})",
                            [tuple(r[c] for c in columns) for r in rows])


@asynccontextmanager
async def scratch_support_store() -> AsyncIterator[SQLSupportStore]:
    """An empty support store in memory, dropped when the block ends (comparisons run their turns in one)."""
    from support_tui.core.store.sql.sqlite import Database

    db = await Database.in_memory()
    try:
        store = SQLSupportStore(db)
        await store.migrate()
        yield store
    finally:
        await db.close()
