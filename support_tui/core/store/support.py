"""Support records: conversations, messages, turns, the event trace, approvals, ratings and memory."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any, Literal, Sequence

from pydantic import BaseModel

from support_tui.core.store.sqlite import Database, dumps, loads
from support_tui.core.events import Event, event_from_json

SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
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
);
CREATE INDEX IF NOT EXISTS conversations_customer ON conversations(customer_id, updated_at);
CREATE INDEX IF NOT EXISTS conversations_status ON conversations(status);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    turn_id TEXT,
    role TEXT NOT NULL,
    text TEXT NOT NULL,
    agent TEXT,
    model TEXT,
    status TEXT NOT NULL DEFAULT 'sent',
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_conversation ON messages(conversation_id, id);
CREATE TABLE IF NOT EXISTS turns (
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
);
CREATE INDEX IF NOT EXISTS turns_conversation ON turns(conversation_id, started_at);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT NOT NULL,
    turn_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    at REAL NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_turn ON events(conversation_id, turn_id, id);
CREATE TABLE IF NOT EXISTS pending_tool_calls (
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
);
CREATE TABLE IF NOT EXISTS ratings (
    conversation_id TEXT PRIMARY KEY,
    score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
    comment TEXT,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS customer_memory (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id TEXT NOT NULL,
    conversation_id TEXT NOT NULL UNIQUE,
    summary TEXT NOT NULL,
    created_at TEXT NOT NULL
);
"""

ConversationStatus = Literal["open", "escalated", "resolved", "abandoned", "closed"]


def utcnow() -> str:
    """ISO-8601 UTC timestamp used in every TEXT date column."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


class ConversationInfo(BaseModel):
    """A conversation as views list it."""

    id: str
    customer_id: str
    status: str
    """open, escalated, resolved, abandoned or closed."""
    handled_by: str
    """``ai`` or ``human`` (a person took over)."""
    agent: str | None
    mode: str
    model: str | None
    """The model chosen for this conversation (None: each specialist's default)."""
    priority: str | None
    escalation_reason: str | None
    outcome: str | None
    summary: str | None
    state: dict[str, Any]
    is_fixture: bool
    created_at: str
    updated_at: str
    closed_at: str | None


class StoredMessage(BaseModel):
    """One message of a conversation as stored."""

    id: int
    conversation_id: str
    turn_id: str | None
    role: str
    """customer, ai, human or system."""
    text: str
    agent: str | None
    model: str | None
    status: str
    """sent, draft or rejected."""
    created_at: str


class PendingToolCall(BaseModel):
    """A sensitive tool call waiting for a person."""

    call_id: str
    conversation_id: str
    turn_id: str
    agent: str
    name: str
    arguments: dict[str, Any]
    rule: str | None
    reason: str | None
    status: str
    note: str | None
    created_at: str


def _conversation(row: Any) -> ConversationInfo:
    data = dict(row)
    data["state"] = loads(data["state"], {})
    data["is_fixture"] = bool(data["is_fixture"])
    return ConversationInfo(**data)


class SupportStore:
    """Reads and writes the support records on a ``Database``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # conversations -------------------------------------------------------------------------

    async def create_conversation(
        self, customer_id: str, *, mode: str = "auto", model: str | None = None, conversation_id: str | None = None
    ) -> ConversationInfo:
        cid = conversation_id or new_id("conv")
        now = utcnow()
        await self.db.write(
            "INSERT INTO conversations (id, customer_id, mode, model, created_at, updated_at) VALUES (?,?,?,?,?,?)",
            (cid, customer_id, mode, model, now, now),
        )
        conv = await self.get_conversation(cid)
        assert conv is not None
        return conv

    async def get_conversation(self, conversation_id: str) -> ConversationInfo | None:
        row = await self.db.fetchone("SELECT * FROM conversations WHERE id = ?", (conversation_id,))
        return None if row is None else _conversation(row)

    async def list_conversations(
        self, *, customer_id: str | None = None, statuses: Sequence[str] | None = None, limit: int = 200
    ) -> list[ConversationInfo]:
        sql, params = "SELECT * FROM conversations WHERE 1=1", []
        if customer_id:
            sql += " AND customer_id = ?"
            params.append(customer_id)
        if statuses:
            sql += f" AND status IN ({','.join('?' * len(statuses))})"
            params.extend(statuses)
        sql += " ORDER BY updated_at DESC LIMIT ?"
        params.append(limit)
        return [_conversation(r) for r in await self.db.fetchall(sql, params)]

    async def update_conversation(self, conversation_id: str, **fields: Any) -> None:
        if "state" in fields:
            fields["state"] = dumps(fields["state"])
        fields["updated_at"] = utcnow()
        cols = ", ".join(f"{k} = ?" for k in fields)
        await self.db.write(f"UPDATE conversations SET {cols} WHERE id = ?", (*fields.values(), conversation_id))

    # messages ------------------------------------------------------------------------------

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
    ) -> int:
        now = utcnow()
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "INSERT INTO messages (conversation_id, turn_id, role, text, agent, model, status, created_at)"
                " VALUES (?,?,?,?,?,?,?,?)",
                (conversation_id, turn_id, role, text, agent, model, status, now),
            )
            await conn.execute("UPDATE conversations SET updated_at = ? WHERE id = ?", (now, conversation_id))
            return cur.lastrowid or 0

    async def set_message(self, message_id: int, *, text: str | None = None, status: str | None = None) -> None:
        fields = {k: v for k, v in (("text", text), ("status", status)) if v is not None}
        if fields:
            cols = ", ".join(f"{k} = ?" for k in fields)
            await self.db.write(f"UPDATE messages SET {cols} WHERE id = ?", (*fields.values(), message_id))

    async def get_message(self, message_id: int) -> StoredMessage | None:
        row = await self.db.fetchone("SELECT * FROM messages WHERE id = ?", (message_id,))
        return None if row is None else StoredMessage(**dict(row))

    async def messages(self, conversation_id: str) -> list[StoredMessage]:
        rows = await self.db.fetchall("SELECT * FROM messages WHERE conversation_id = ? ORDER BY id", (conversation_id,))
        return [StoredMessage(**dict(r)) for r in rows]

    # turns and the trace -------------------------------------------------------------------

    async def start_turn(self, turn_id: str, conversation_id: str, message_id: int | None) -> None:
        await self.db.write(
            "INSERT INTO turns (id, conversation_id, message_id, status, started_at) VALUES (?,?,?,'running',?)",
            (turn_id, conversation_id, message_id, utcnow()),
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
        """Store the turn's outcome and its whole event trace in one transaction."""
        async with self.db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO events (conversation_id, turn_id, kind, at, data) VALUES (?,?,?,?,?)",
                [(e.conversation_id, e.turn_id, e.kind, e.at, e.model_dump_json()) for e in events],
            )
            await conn.execute(
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

    async def mark_interrupted_turns(self) -> int:
        """Turns left ``running`` by a killed process become ``interrupted`` (they can be re-run)."""
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "UPDATE turns SET status='interrupted', ended_at=? WHERE status='running'", (utcnow(),)
            )
            return cur.rowcount

    async def turns(self, conversation_id: str) -> list[dict[str, Any]]:
        rows = await self.db.fetchall("SELECT * FROM turns WHERE conversation_id=? ORDER BY started_at", (conversation_id,))
        return [dict(r) | {"timings": loads(r["timings"], {})} for r in rows]

    async def events(self, conversation_id: str, turn_id: str | None = None) -> list[Event]:
        sql, params = "SELECT data FROM events WHERE conversation_id = ?", [conversation_id]
        if turn_id:
            sql += " AND turn_id = ?"
            params.append(turn_id)
        rows = await self.db.fetchall(sql + " ORDER BY id", params)
        return [event_from_json(r["data"]) for r in rows]

    # approvals -----------------------------------------------------------------------------

    async def add_pending_call(self, call: PendingToolCall) -> None:
        await self.db.write(
            "INSERT OR REPLACE INTO pending_tool_calls (call_id, conversation_id, turn_id, agent, name, arguments,"
            " rule, reason, status, note, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
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
        sql, params = "SELECT * FROM pending_tool_calls WHERE status = 'pending'", []
        if conversation_id:
            sql += " AND conversation_id = ?"
            params.append(conversation_id)
        rows = await self.db.fetchall(sql + " ORDER BY created_at", params)
        return [PendingToolCall(**(dict(r) | {"arguments": loads(r["arguments"], {})})) for r in rows]

    async def resolve_pending_call(self, call_id: str, status: str, note: str | None) -> None:
        await self.db.write(
            "UPDATE pending_tool_calls SET status=?, note=?, resolved_at=? WHERE call_id=?",
            (status, note, utcnow(), call_id),
        )

    # ratings and memory --------------------------------------------------------------------

    async def rate(self, conversation_id: str, score: int, comment: str | None = None) -> None:
        if not 1 <= int(score) <= 5:
            raise ValueError("a rating is a whole number from 1 to 5")
        await self.db.write(
            "INSERT OR REPLACE INTO ratings (conversation_id, score, comment, created_at) VALUES (?,?,?,?)",
            (conversation_id, int(score), comment, utcnow()),
        )

    async def remember(self, customer_id: str, conversation_id: str, summary: str) -> None:
        await self.db.write(
            "INSERT OR REPLACE INTO customer_memory (customer_id, conversation_id, summary, created_at) VALUES (?,?,?,?)",
            (customer_id, conversation_id, summary, utcnow()),
        )

    async def memories(self, customer_id: str, limit: int = 5) -> list[dict[str, Any]]:
        rows = await self.db.fetchall(
            "SELECT conversation_id, summary, created_at FROM customer_memory WHERE customer_id=?"
            " ORDER BY created_at DESC LIMIT ?",
            (customer_id, limit),
        )
        return [dict(r) for r in rows]

    async def forget(self, customer_id: str) -> int:
        async with self.db.transaction() as conn:
            cur = await conn.execute("DELETE FROM customer_memory WHERE customer_id=?", (customer_id,))
            return cur.rowcount
