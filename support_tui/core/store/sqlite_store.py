"""The SQLite adapter of the ``SupportStore`` Protocol: the support records' only SQL, and their migrations.

Also the read-only ``sqlite3`` path the Prometheus exporter's thread uses (``metric_records_sync``),
so no module outside this package runs SQL on support records.
"""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, AsyncGenerator, AsyncIterator, Callable, Iterable, Mapping, Sequence

RowLike = Any
"""A ``sqlite3.Row`` (aiosqlite's or sqlite3's): mapping-like, not a ``Mapping``."""

from support_tui.core.events import Event, event_from_json
from support_tui.core.store.migrations import Migration
from support_tui.core.store.records import (
    METRIC_EVENT_KINDS,
    ConversationInfo,
    FixtureHistory,
    MemoryEntry,
    MetricConversation,
    MetricMessage,
    MetricRecords,
    PendingToolCall,
    Rating,
    StoreChange,
    StoredMessage,
    TurnRecord,
    TurnUsage,
    new_id,
    stored_time,
    utcnow,
)
from support_tui.core.store.sql.migrate import SUPPORT_VERSIONS, head, number, version_table
from support_tui.core.store.sqlite import Database, Transaction, dumps, loads
from support_tui.core.store.sqlite_queue import NOW as SQLITE_NOW, PRESENCE_MIGRATION, QUEUE_MIGRATION, SQLiteTurnQueue

COMPONENT = "support"
"""This store's rows in ``schema_version`` (a shop in the same database can keep its own)."""


def _change_triggers() -> list[str]:
    """Triggers that mark a conversation changed on every write to it, its messages or its pending calls,
    whichever process or code path makes the write."""
    statements = []
    for table, key in (("conversations", "id"), ("messages", "conversation_id"), ("pending_tool_calls", "conversation_id")):
        for when in ("INSERT", "UPDATE"):
            # No REPLACE or upsert here: inside a trigger the outer statement's conflict rule applies
            # (an upsert's ABORT), so the mark is an UPDATE and an INSERT that cannot conflict.
            statements.append(
                f"CREATE TRIGGER IF NOT EXISTS {table}_{when.lower()}_mark AFTER {when} ON {table} BEGIN"
                f" UPDATE change_marks SET seq = (SELECT MAX(seq) FROM change_marks) + 1 WHERE conversation_id = NEW.{key};"
                f" INSERT INTO change_marks (conversation_id, seq) SELECT NEW.{key}, (SELECT COALESCE(MAX(seq), 0) + 1"
                f" FROM change_marks) WHERE NOT EXISTS (SELECT 1 FROM change_marks WHERE conversation_id = NEW.{key}); END"
            )
    return statements


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "support records", (
        # IF NOT EXISTS: a database made before migrations existed already has these and is adopted as is.
        """CREATE TABLE IF NOT EXISTS conversations (
            id TEXT PRIMARY KEY,
            customer_id TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'open',
            handled_by TEXT NOT NULL DEFAULT 'ai',
            agent TEXT,
            mode TEXT NOT NULL DEFAULT 'auto',
            model TEXT,
            priority TEXT,
            escalation_reason TEXT,
            outcome TEXT,
            summary TEXT,
            state TEXT NOT NULL DEFAULT '{}',
            is_fixture INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            closed_at TEXT
        )""",
        "CREATE INDEX IF NOT EXISTS conversations_customer ON conversations(customer_id, updated_at)",
        "CREATE INDEX IF NOT EXISTS conversations_status ON conversations(status)",
        """CREATE TABLE IF NOT EXISTS messages (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            conversation_id TEXT NOT NULL REFERENCES conversations(id),
            turn_id TEXT,
            role TEXT NOT NULL,
            text TEXT NOT NULL,
            agent TEXT,
            model TEXT,
            status TEXT NOT NULL DEFAULT 'sent',
            created_at TEXT NOT NULL
        )""",
        "CREATE INDEX IF NOT EXISTS messages_conversation ON messages(conversation_id, id)",
        """CREATE TABLE IF NOT EXISTS turns (
            id TEXT PRIMARY KEY,
            conversation_id TEXT NOT NULL REFERENCES conversations(id),
            message_id INTEGER,
            status TEXT NOT NULL DEFAULT 'running',
            agent TEXT,
            model TEXT,
            error TEXT,
            timings TEXT NOT NULL DEFAULT '{}',
            prompt_tokens INTEGER NOT NULL DEFAULT 0,
            completion_tokens INTEGER NOT NULL DEFAULT 0,
            cost_usd REAL NOT NULL DEFAULT 0,
            started_at TEXT NOT NULL,
            ended_at TEXT
        )""",
        "CREATE INDEX IF NOT EXISTS turns_conversation ON turns(conversation_id, started_at)",
        """CREATE TABLE IF NOT EXISTS events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            conversation_id TEXT NOT NULL,
            turn_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            at REAL NOT NULL,
            data TEXT NOT NULL
        )""",
        "CREATE INDEX IF NOT EXISTS events_turn ON events(conversation_id, turn_id, id)",
        """CREATE TABLE IF NOT EXISTS pending_tool_calls (
            call_id TEXT PRIMARY KEY,
            conversation_id TEXT NOT NULL,
            turn_id TEXT NOT NULL,
            agent TEXT NOT NULL,
            name TEXT NOT NULL,
            arguments TEXT NOT NULL,
            rule TEXT,
            reason TEXT,
            status TEXT NOT NULL DEFAULT 'pending',
            note TEXT,
            created_at TEXT NOT NULL,
            resolved_at TEXT
        )""",
        """CREATE TABLE IF NOT EXISTS ratings (
            conversation_id TEXT PRIMARY KEY,
            score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
            comment TEXT,
            created_at TEXT NOT NULL
        )""",
        """CREATE TABLE IF NOT EXISTS customer_memory (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            customer_id TEXT NOT NULL,
            conversation_id TEXT NOT NULL UNIQUE,
            summary TEXT NOT NULL,
            created_at TEXT NOT NULL
        )""",
    )),
    Migration(2, "an index for every query a turn makes", (
        "CREATE INDEX IF NOT EXISTS messages_role ON messages(conversation_id, role, id)",
        "CREATE INDEX IF NOT EXISTS pending_conversation ON pending_tool_calls(conversation_id, status, created_at)",
        "CREATE INDEX IF NOT EXISTS pending_status ON pending_tool_calls(status, created_at)",
        "CREATE INDEX IF NOT EXISTS memory_customer ON customer_memory(customer_id, created_at)",
        "CREATE INDEX IF NOT EXISTS conversations_created ON conversations(created_at)",
        "CREATE INDEX IF NOT EXISTS conversations_fixture ON conversations(is_fixture) WHERE is_fixture = 1",
        "CREATE INDEX IF NOT EXISTS turns_running ON turns(status) WHERE status = 'running'",
    )),
    Migration(3, "forks: a conversation re-run from another's turn links to its parent", (
        "ALTER TABLE conversations ADD COLUMN parent_id TEXT",
        "ALTER TABLE conversations ADD COLUMN forked_at_turn INTEGER",
        "CREATE INDEX IF NOT EXISTS conversations_parent ON conversations(parent_id) WHERE parent_id IS NOT NULL",
    )),
    Migration(4, "a team on one store: claims on conversations, who decided a call, a change feed", (
        "ALTER TABLE conversations ADD COLUMN held_by TEXT",
        "ALTER TABLE pending_tool_calls ADD COLUMN decided_by TEXT",
        # One row per conversation with the counter value of its latest write: bounded, and a poll
        # reads only what changed since the last counter it saw.
        "CREATE TABLE IF NOT EXISTS change_marks (conversation_id TEXT PRIMARY KEY, seq INTEGER NOT NULL)",
        "CREATE INDEX IF NOT EXISTS change_marks_seq ON change_marks(seq)",
        *_change_triggers(),
    )),
    Migration(5, "queued turns: customers' messages wait in turn_jobs for a worker; one reply per message", QUEUE_MIGRATION),
    Migration(6, "a dead worker's claims are taken over at once: claims by a present worker are watched", PRESENCE_MIGRATION),
)
"""The support schema as the release before Alembic made it, oldest first: the baseline revision
(``sql/support_versions``) applies what a database lacks of it. A change is a new Alembic revision."""

CONVERSATION_FIELDS = frozenset(ConversationInfo.model_fields) - {"id"}
"""Columns ``update_conversation`` may set."""


# rows -> records ----------------------------------------------------------------------------------


def _conversation(row: RowLike) -> ConversationInfo:
    data = dict(row)
    data["state"] = loads(data["state"], {})
    data["is_fixture"] = bool(data["is_fixture"])
    return ConversationInfo(**data)


def _message(row: RowLike) -> StoredMessage:
    return StoredMessage(**dict(row))


def _pending(row: RowLike) -> PendingToolCall:
    data = dict(row)
    data.pop("resolved_at", None)
    data["arguments"] = loads(data["arguments"], {})
    return PendingToolCall(**data)


def _turn(row: RowLike) -> TurnRecord:
    return TurnRecord(**(dict(row) | {"timings": loads(row["timings"], {})}))


def _event_row(e: Event) -> tuple[str, str, str, float, str]:
    return (e.conversation_id, e.turn_id, e.kind, e.at, e.model_dump_json())


# metrics: the same SQL for the async store and the exporter's read-only connection ------------------

# Forks (``parent_id`` set) are debugging re-runs, not customer contacts: metrics leave them out.
_SCOPE = "SELECT id FROM conversations WHERE created_at >= ? AND (is_fixture = 0 OR ?) AND parent_id IS NULL"
METRIC_QUERIES: dict[str, str] = {
    "conversations": "SELECT id, customer_id, status, handled_by, agent, escalation_reason, outcome, is_fixture,"
    " created_at, updated_at, closed_at FROM conversations WHERE created_at >= ? AND (is_fixture = 0 OR ?)"
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
"""The only reads metrics make."""


def _metric_params(since: datetime | None, include_fixture: bool) -> tuple[str, int]:
    return (stored_time(since) if since else "", int(include_fixture))


def _metric_records(rows: Mapping[str, Sequence[RowLike]]) -> MetricRecords:
    return MetricRecords(
        conversations=[MetricConversation(**(dict(r) | {"is_fixture": bool(r["is_fixture"])})) for r in rows["conversations"]],
        messages=[MetricMessage(**dict(r)) for r in rows["messages"]],
        turns=[TurnUsage(**dict(r)) for r in rows["turns"]],
        events=[event_from_json(r["data"]) for r in rows["events"]],
        ratings=[Rating(**dict(r)) for r in rows["ratings"]],
    )


def metric_records_sync(path: Path | str, since: datetime | None, include_fixture: bool) -> MetricRecords:
    """``SQLiteSupportStore.metric_records`` through a private read-only sqlite3 connection (safe from any thread)."""
    conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, timeout=10, check_same_thread=False)
    try:
        conn.row_factory = sqlite3.Row
        params = _metric_params(since, include_fixture)
        return _metric_records({name: conn.execute(sql, params).fetchall() for name, sql in METRIC_QUERIES.items()})
    finally:
        conn.close()


def metric_reader(path: Path | str) -> Callable[[datetime | None, bool], MetricRecords]:
    """A synchronous ``(since, include_fixture) -> MetricRecords`` over the database file at ``path``."""
    return lambda since, include_fixture: metric_records_sync(path, since, include_fixture)


# the adapter ------------------------------------------------------------------------------------------


class SQLiteSupportStore(SQLiteTurnQueue):
    """The support records in SQLite, on a shared ``Database`` (one connection, WAL)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._present: set[str] = set()
        self._version: int | None = None
        self._migrating = asyncio.Lock()

    # set-up --------------------------------------------------------------------------------------

    async def close(self) -> None:
        """Nothing of its own: the ``Database`` is shared with the shop and closed by whoever opened it."""

    async def migrate(self) -> int:
        if self._version is not None:
            return self._version
        async with self._migrating:
            if self._version is None:
                self._version = await self._migrate()
        return self._version

    async def _revision(self) -> str | None:
        try:
            value = await self.db.scalar(f"SELECT version_num FROM {version_table(COMPONENT)}")
        except sqlite3.OperationalError:  # no version table yet
            return None
        return None if value is None else str(value)

    async def _migrate(self) -> int:
        latest = head(SUPPORT_VERSIONS)
        if await self._revision() != latest:
            await self.db.upgrade_schema(COMPONENT, SUPPORT_VERSIONS)
        return number(latest)

    async def schema_version(self) -> int:
        """The support schema's version in the database (0 before the first migration)."""
        return number(await self._revision())

    async def _ready(self) -> Database:
        if self._version is None:
            await self.migrate()
        return self.db

    # conversations -------------------------------------------------------------------------------

    async def create_conversation(
        self, customer_id: str, *, mode: str = "auto", model: str | None = None, conversation_id: str | None = None
    ) -> ConversationInfo:
        db = await self._ready()
        cid = conversation_id or new_id("conv")
        now = utcnow()
        await db.write(
            "INSERT INTO conversations (id, customer_id, mode, model, created_at, updated_at) VALUES (?,?,?,?,?,?)",
            (cid, customer_id, mode, model, now, now),
        )
        conv = await self.get_conversation(cid)
        assert conv is not None
        return conv

    async def get_conversation(self, conversation_id: str) -> ConversationInfo | None:
        db = await self._ready()
        row = await db.fetchone("SELECT * FROM conversations WHERE id = ?", (conversation_id,))
        return None if row is None else _conversation(row)

    async def list_conversations(
        self, *, customer_id: str | None = None, statuses: Sequence[str] | None = None, limit: int = 200
    ) -> list[ConversationInfo]:
        db = await self._ready()
        sql, params = "SELECT * FROM conversations WHERE 1=1", list[Any]()
        if customer_id:
            sql += " AND customer_id = ?"
            params.append(customer_id)
        if statuses:
            sql += f" AND status IN ({','.join('?' * len(statuses))})"
            params.extend(statuses)
        sql += " ORDER BY updated_at DESC LIMIT ?"
        params.append(limit)
        return [_conversation(r) for r in await db.fetchall(sql, params)]

    async def update_conversation(self, conversation_id: str, **fields: Any) -> None:
        db = await self._ready()
        unknown = set(fields) - CONVERSATION_FIELDS
        if unknown:
            raise ValueError(f"conversations have no field {', '.join(sorted(unknown))}")
        if "state" in fields:
            state = fields["state"]
            fields["state"] = state.model_dump_json() if hasattr(state, "model_dump_json") else dumps(state)
        fields["updated_at"] = utcnow()
        cols = ", ".join(f"{k} = ?" for k in fields)
        await db.write(f"UPDATE conversations SET {cols} WHERE id = ?", (*fields.values(), conversation_id))

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
        db = await self._ready()
        now = utcnow()
        async with db.transaction() as tx:
            cur = await tx.execute(
                "INSERT INTO messages (conversation_id, turn_id, role, text, agent, model, status, created_at, reply_to)"
                " VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT (reply_to) WHERE reply_to IS NOT NULL DO NOTHING",
                (conversation_id, turn_id, role, text, agent, model, status, now, reply_to),
            )
            if cur.rowcount == 0:  # this queued message already has its reply: keep that one
                rows = await tx.execute_fetchall("SELECT id FROM messages WHERE reply_to = ?", (reply_to,))
                return int(rows[0][0])
            await tx.execute("UPDATE conversations SET updated_at = ? WHERE id = ?", (now, conversation_id))
            return cur.lastrowid or 0

    async def set_message(self, message_id: int, *, text: str | None = None, status: str | None = None) -> None:
        db = await self._ready()
        fields = {k: v for k, v in (("text", text), ("status", status)) if v is not None}
        if fields:
            cols = ", ".join(f"{k} = ?" for k in fields)
            await db.write(f"UPDATE messages SET {cols} WHERE id = ?", (*fields.values(), message_id))

    async def get_message(self, message_id: int) -> StoredMessage | None:
        db = await self._ready()
        row = await db.fetchone("SELECT * FROM messages WHERE id = ?", (message_id,))
        return None if row is None else _message(row)

    async def messages(self, conversation_id: str) -> list[StoredMessage]:
        db = await self._ready()
        rows = await db.fetchall("SELECT * FROM messages WHERE conversation_id = ? ORDER BY id", (conversation_id,))
        return [_message(r) for r in rows]

    async def recent_messages(self, conversation_id: str, limit: int) -> list[StoredMessage]:
        db = await self._ready()
        rows = await db.fetchall(
            "SELECT * FROM messages WHERE conversation_id = ? ORDER BY id DESC LIMIT ?", (conversation_id, max(0, limit))
        )
        return [_message(r) for r in reversed(rows)]

    async def messages_after(
        self, conversation_id: str, after: int, limit: int, *, roles: Sequence[str], status: str = "sent"
    ) -> list[StoredMessage]:
        db = await self._ready()
        rows = await db.fetchall(
            f"SELECT * FROM messages WHERE conversation_id = ? AND id > ? AND role IN ({','.join('?' * len(roles))})"
            " AND status = ? ORDER BY id LIMIT ?",
            (conversation_id, after, *roles, status, max(0, limit)),
        )
        return [_message(r) for r in rows]

    async def customer_messages(self, conversation_id: str, limit: int) -> list[StoredMessage]:
        db = await self._ready()
        rows = await db.fetchall(
            "SELECT * FROM messages WHERE conversation_id = ? AND role = 'customer' ORDER BY id DESC LIMIT ?",
            (conversation_id, max(0, limit)),
        )
        return [_message(r) for r in reversed(rows)]

    # turns and the trace -------------------------------------------------------------------------

    async def start_turn(self, turn_id: str, conversation_id: str, message_id: int | None) -> None:
        db = await self._ready()
        await db.write(
            "INSERT INTO turns (id, conversation_id, message_id, status, started_at) VALUES (?,?,?,'running',?)",
            (turn_id, conversation_id, message_id, utcnow()),
        )

    async def append_events(self, events: Sequence[Event]) -> None:
        if not events:
            return
        db = await self._ready()
        async with db.transaction() as tx:
            await self._insert_events(tx, events)

    @staticmethod
    async def _insert_events(tx: Transaction, events: Iterable[Event]) -> None:
        await tx.executemany(
            "INSERT INTO events (conversation_id, turn_id, kind, at, data) VALUES (?,?,?,?,?)",
            [_event_row(e) for e in events],
        )

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
        db = await self._ready()
        async with db.transaction() as tx:
            if events:
                await self._insert_events(tx, events)
            await tx.execute(
                "UPDATE turns SET status=?, agent=?, model=?, error=?, timings=?, prompt_tokens=?,"
                " completion_tokens=?, cost_usd=?, ended_at=? WHERE id=?",
                (
                    status,
                    agent,
                    model,
                    error,
                    dumps(timings or {}),
                    getattr(usage, "prompt_tokens", 0),
                    getattr(usage, "completion_tokens", 0),
                    getattr(usage, "cost_usd", 0.0),
                    utcnow(),
                    turn_id,
                ),
            )

    async def mark_interrupted_turns(self, *, grace_s: float = 0.0) -> int:
        db = await self._ready()
        now = datetime.now(timezone.utc)
        started_before = (now - timedelta(seconds=grace_s)).isoformat(timespec="milliseconds")
        async with db.transaction() as tx:
            cur = await tx.execute(
                "UPDATE turns SET status='interrupted', ended_at=? WHERE status='running' AND started_at <= ?"
                " AND NOT EXISTS (SELECT 1 FROM turn_jobs j WHERE j.message_id = turns.message_id AND j.turn_id = turns.id AND j.status = 'running'"
                f" AND j.lease_expires >= {SQLITE_NOW})",
                (utcnow(), started_before),
            )
            return cur.rowcount

    async def turns(self, conversation_id: str) -> list[TurnRecord]:
        db = await self._ready()
        rows = await db.fetchall("SELECT * FROM turns WHERE conversation_id = ? ORDER BY started_at", (conversation_id,))
        return [_turn(r) for r in rows]

    async def events(self, conversation_id: str, turn_id: str | None = None) -> list[Event]:
        db = await self._ready()
        sql, params = "SELECT data FROM events WHERE conversation_id = ?", [conversation_id]
        if turn_id:
            sql += " AND turn_id = ?"
            params.append(turn_id)
        rows = await db.fetchall(sql + " ORDER BY id", params)
        return [event_from_json(r["data"]) for r in rows]

    # approvals -----------------------------------------------------------------------------------

    async def add_pending_call(self, call: PendingToolCall) -> None:
        db = await self._ready()
        await db.write(
            "INSERT INTO pending_tool_calls (call_id, conversation_id, turn_id, agent, name, arguments,"
            " rule, reason, status, note, created_at, resolved_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,NULL)"
            " ON CONFLICT (call_id) DO UPDATE SET conversation_id = excluded.conversation_id,"
            " turn_id = excluded.turn_id, agent = excluded.agent, name = excluded.name, arguments = excluded.arguments,"
            " rule = excluded.rule, reason = excluded.reason, status = excluded.status, note = excluded.note,"
            " created_at = excluded.created_at, resolved_at = NULL",
            (
                call.call_id,
                call.conversation_id,
                call.turn_id,
                call.agent,
                call.name,
                dumps(call.arguments),
                call.rule,
                call.reason,
                call.status,
                call.note,
                call.created_at,
            ),
        )

    async def pending_calls(self, conversation_id: str | None = None) -> list[PendingToolCall]:
        db = await self._ready()
        sql, params = "SELECT * FROM pending_tool_calls WHERE status = 'pending'", []
        if conversation_id:
            sql += " AND conversation_id = ?"
            params.append(conversation_id)
        rows = await db.fetchall(sql + " ORDER BY created_at", params)
        return [_pending(r) for r in rows]

    async def resolve_pending_call(self, call_id: str, status: str, note: str | None) -> None:
        db = await self._ready()
        await db.write(
            "UPDATE pending_tool_calls SET status=?, note=?, resolved_at=? WHERE call_id=?",
            (status, note, utcnow(), call_id),
        )

    # ratings and memory --------------------------------------------------------------------------

    async def rate(self, conversation_id: str, score: int, comment: str | None = None) -> None:
        if not 1 <= int(score) <= 5:
            raise ValueError("a rating is a whole number from 1 to 5")
        db = await self._ready()
        await db.write(
            "INSERT INTO ratings (conversation_id, score, comment, created_at) VALUES (?,?,?,?)"
            " ON CONFLICT (conversation_id) DO UPDATE SET score = excluded.score, comment = excluded.comment,"
            " created_at = excluded.created_at",
            (conversation_id, int(score), comment, utcnow()),
        )

    async def rating(self, conversation_id: str) -> Rating | None:
        db = await self._ready()
        row = await db.fetchone("SELECT * FROM ratings WHERE conversation_id = ?", (conversation_id,))
        return None if row is None else Rating(**dict(row))

    async def remember(self, customer_id: str, conversation_id: str, summary: str) -> None:
        db = await self._ready()
        await db.write(
            "INSERT INTO customer_memory (customer_id, conversation_id, summary, created_at) VALUES (?,?,?,?)"
            " ON CONFLICT (conversation_id) DO UPDATE SET customer_id = excluded.customer_id,"
            " summary = excluded.summary, created_at = excluded.created_at",
            (customer_id, conversation_id, summary, utcnow()),
        )

    async def memories(self, customer_id: str, limit: int = 5) -> list[MemoryEntry]:
        db = await self._ready()
        rows = await db.fetchall(
            "SELECT customer_id, conversation_id, summary, created_at FROM customer_memory WHERE customer_id = ?"
            " ORDER BY created_at DESC LIMIT ?",
            (customer_id, limit),
        )
        return [MemoryEntry(**dict(r)) for r in rows]

    async def forget(self, customer_id: str) -> int:
        db = await self._ready()
        async with db.transaction() as tx:
            cur = await tx.execute("DELETE FROM customer_memory WHERE customer_id = ?", (customer_id,))
            return cur.rowcount

    # metrics and fixture data --------------------------------------------------------------------

    async def metric_records(self, since: datetime | None, include_fixture: bool) -> MetricRecords:
        db = await self._ready()
        params = _metric_params(since, include_fixture)
        return _metric_records({name: await db.fetchall(sql, params) for name, sql in METRIC_QUERIES.items()})

    async def fixture_history_loaded(self) -> bool:
        db = await self._ready()
        return await db.scalar("SELECT 1 FROM conversations WHERE is_fixture = 1 LIMIT 1") is not None

    async def add_fixture_history(self, build: Callable[[int], FixtureHistory]) -> int:
        db = await self._ready()
        async with db.transaction() as tx:
            rows = await tx.execute_fetchall("SELECT COALESCE(MAX(id), 0) FROM messages")
            history = build(int(rows[0][0]) + 1)
            if not history.conversations:
                return 0
            first = await tx.execute_fetchall("SELECT 1 FROM conversations WHERE id = ?", (history.conversations[0].id,))
            if first:
                return 0
            await _insert(tx, "conversations", [
                c.model_dump() | {"state": dumps(c.state), "is_fixture": int(c.is_fixture)} for c in history.conversations
            ])
            await _insert(tx, "messages", [m.model_dump() for m in history.messages])
            await _insert(tx, "turns", [t.model_dump() | {"timings": dumps(t.timings)} for t in history.turns])
            await self._insert_events(tx, history.events)
            await _insert(tx, "ratings", [r.model_dump() for r in history.ratings])
        return len(history.conversations)

    # a team on one store: claims, decisions, the change feed ----------------------------------------

    async def claim_conversation(self, conversation_id: str, holder: str) -> str | None:
        db = await self._ready()
        async with db.transaction() as tx:
            await tx.execute(
                "UPDATE conversations SET held_by = ?, updated_at = ? WHERE id = ? AND (held_by IS NULL OR held_by = ?)",
                (holder, utcnow(), conversation_id, holder),
            )
            rows = await tx.execute_fetchall("SELECT held_by FROM conversations WHERE id = ?", (conversation_id,))
        return rows[0][0] if rows else None

    async def release_conversation(self, conversation_id: str, holder: str) -> bool:
        db = await self._ready()
        async with db.transaction() as tx:
            cur = await tx.execute(
                "UPDATE conversations SET held_by = NULL, updated_at = ? WHERE id = ? AND held_by = ?",
                (utcnow(), conversation_id, holder),
            )
            return cur.rowcount > 0

    async def get_pending_call(self, call_id: str) -> PendingToolCall | None:
        db = await self._ready()
        row = await db.fetchone("SELECT * FROM pending_tool_calls WHERE call_id = ?", (call_id,))
        return None if row is None else _pending(row)

    async def decide_pending_call(self, call_id: str, status: str, by: str, note: str | None = None) -> bool:
        db = await self._ready()
        async with db.transaction() as tx:
            cur = await tx.execute(
                "UPDATE pending_tool_calls SET status = ?, note = ?, decided_by = ?, resolved_at = ?"
                " WHERE call_id = ? AND status = 'pending'",
                (status, note, by, utcnow(), call_id),
            )
            return cur.rowcount > 0

    async def changes(self, poll_s: float = 1.0) -> AsyncGenerator[StoreChange, None]:
        # Other processes' commits are visible to the next read (WAL): poll the counter the triggers keep.
        db = await self._ready()
        last = int(await db.scalar("SELECT COALESCE(MAX(seq), 0) FROM change_marks"))
        while True:
            await asyncio.sleep(poll_s)
            rows = await db.fetchall(
                "SELECT conversation_id, seq FROM change_marks WHERE seq > ? ORDER BY seq", (last,)
            )
            for row in rows:
                last = max(last, int(row["seq"]))
                yield StoreChange(conversation_id=row["conversation_id"])


async def _insert(tx: Transaction, table: str, rows: list[dict[str, Any]]) -> None:
    if rows:
        columns = list(rows[0])
        await tx.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
            [tuple(r[c] for c in columns) for r in rows],
        )


@asynccontextmanager
async def scratch_support_store() -> AsyncIterator[SQLiteSupportStore]:
    """An empty support store in memory, dropped when the block ends (comparisons run their turns in one)."""
    db = await Database.in_memory()
    try:
        store = SQLiteSupportStore(db)
        await store.migrate()
        yield store
    finally:
        await db.close()
