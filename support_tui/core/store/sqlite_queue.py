"""Queued turns in SQLite: the ``turn_jobs`` migration and the queue's methods of ``SQLiteSupportStore``.

Claims run inside ``BEGIN IMMEDIATE`` (``Database.transaction``), which holds the database's write
lock across processes: choosing the next message and marking it claimed is one step for every
worker on the file. Leases are read on SQLite's own clock, so two processes agree on what expired.
A worker in ``worker_presence`` marks its claims ``watched``: a worker on the same host finds its
process gone (its id in ``host:pid:n``) and takes them over at once instead of waiting for the lease.
"""

from __future__ import annotations

import os
import socket
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

from support_tui.core.store.queue import DEFAULT_MAX_ATTEMPTS, GAVE_UP_REPLY, QueuedMessage, TurnJob
from support_tui.core.store.records import new_id, utcnow
from support_tui.core.store.sqlite import Database, Transaction

NOW = "((julianday('now') - 2440587.5) * 86400.0)"
"""Seconds since the epoch, by SQLite's clock."""

QUEUE_MIGRATION: tuple[str, ...] = (
    """CREATE TABLE IF NOT EXISTS turn_jobs (
        message_id INTEGER PRIMARY KEY REFERENCES messages(id),
        conversation_id TEXT NOT NULL REFERENCES conversations(id),
        status TEXT NOT NULL DEFAULT 'queued',
        attempts INTEGER NOT NULL DEFAULT 0,
        worker TEXT,
        turn_id TEXT,
        lease_expires REAL,
        error TEXT,
        created_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT
    )""",
    # Only unfinished jobs are ever searched: the indexes stay as small as the queue.
    "CREATE INDEX IF NOT EXISTS turn_jobs_open ON turn_jobs(conversation_id, message_id)"
    " WHERE status IN ('queued', 'running')",
    "CREATE INDEX IF NOT EXISTS turn_jobs_waiting ON turn_jobs(status, message_id) WHERE status IN ('queued', 'running')",
    "ALTER TABLE messages ADD COLUMN reply_to INTEGER",
    "CREATE UNIQUE INDEX IF NOT EXISTS messages_reply_to ON messages(reply_to) WHERE reply_to IS NOT NULL",
)
"""Migration 5 of the SQLite support schema."""

PRESENCE_MIGRATION: tuple[str, ...] = ("ALTER TABLE turn_jobs ADD COLUMN watched INTEGER NOT NULL DEFAULT 0",)
"""Migration 6: a claim made by a worker in ``worker_presence`` is ``watched``."""

_JOB = ("message_id, conversation_id, status, attempts, worker, turn_id, lease_expires, error, created_at,"
        " started_at, finished_at")

_NEXT = (
    "SELECT j.message_id FROM turn_jobs j WHERE j.status IN ('queued', 'running')"
    f" AND (j.status = 'queued' OR j.lease_expires < {NOW})"
    # The conversation's oldest unfinished message only: one turn at a time, in message order.
    " AND NOT EXISTS (SELECT 1 FROM turn_jobs e WHERE e.conversation_id = j.conversation_id"
    " AND e.status IN ('queued', 'running') AND e.message_id < j.message_id)"
    " ORDER BY j.message_id LIMIT 1"
)


def _job(row: Any, answered: bool = False) -> TurnJob:
    return TurnJob(**dict(row), answered=answered)


def _process_gone(worker: str | None) -> bool:
    """A worker named ``host:pid:n`` on this host whose process no longer exists."""
    host, _, rest = (worker or "").partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isascii() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # exists, owned by someone else
        return False
    return False


class SQLiteTurnQueue:
    """The queue's half of ``SQLiteSupportStore`` (its ``_ready`` gives the migrated ``Database``)."""

    _present: set[str]
    """Workers of this process in ``worker_presence``."""

    async def _ready(self) -> Database:
        raise NotImplementedError

    @asynccontextmanager
    async def worker_presence(self, worker: str) -> AsyncIterator[None]:
        # Only a name that says this process can be checked by the others.
        mine = worker.split(":")[:2] == [socket.gethostname(), str(os.getpid())]
        if mine:
            self._present.add(worker)
        try:
            yield
        finally:
            self._present.discard(worker)

    async def ping(self) -> None:
        db = await self._ready()
        await db.scalar("SELECT 1")

    async def enqueue_customer_message(self, conversation_id: str, text: str) -> QueuedMessage:
        db = await self._ready()
        now = utcnow()
        async with db.transaction() as tx:
            touched = await tx.execute("UPDATE conversations SET updated_at = ? WHERE id = ?", (now, conversation_id))
            if touched.rowcount == 0:
                raise LookupError(f"no conversation {conversation_id!r}")
            cur = await tx.execute(
                "INSERT INTO messages (conversation_id, role, text, status, created_at) VALUES (?, 'customer', ?, 'sent', ?)",
                (conversation_id, text, now),
            )
            message_id = int(cur.lastrowid or 0)
            await tx.execute(
                "INSERT INTO turn_jobs (message_id, conversation_id, created_at) VALUES (?, ?, ?)",
                (message_id, conversation_id, now),
            )
        return QueuedMessage(message_id=message_id, conversation_id=conversation_id, text=text, created_at=now)

    async def claim_turn_job(
        self, worker: str, lease_s: float, *, max_attempts: int = DEFAULT_MAX_ATTEMPTS
    ) -> TurnJob | None:
        db = await self._ready()
        now = utcnow()
        async with db.transaction() as tx:
            watched = await tx.execute_fetchall(
                "SELECT message_id, worker FROM turn_jobs WHERE status = 'running' AND watched = 1")
            for row in watched:
                if _process_gone(row[1]):  # its worker died: the claim lapses now
                    await tx.execute(f"UPDATE turn_jobs SET lease_expires = {NOW} - 1 WHERE message_id = ?"
                                     " AND status = 'running' AND worker = ?", (row[0], row[1]))
            await _give_up_exhausted(tx, max_attempts, now)
            rows = await tx.execute_fetchall(_NEXT)
            if not rows:
                return None
            message_id, turn_id = int(rows[0][0]), new_id("turn")
            # Conditional as well as locked: the claim takes the row only while it is still free.
            claimed = await tx.execute(
                "UPDATE turn_jobs SET status = 'running', worker = ?, turn_id = ?, attempts = attempts + 1,"
                f" lease_expires = {NOW} + ?, started_at = ?, watched = ? WHERE message_id = ?"
                f" AND (status = 'queued' OR (status = 'running' AND lease_expires < {NOW}))",
                (worker, turn_id, lease_s, now, int(worker in self._present), message_id),
            )
            if claimed.rowcount == 0:
                return None
            # The customer's message belongs to the turn that answers it now.
            await tx.execute("UPDATE messages SET turn_id = ? WHERE id = ?", (turn_id, message_id))
            job = await tx.execute_fetchall(f"SELECT {_JOB} FROM turn_jobs WHERE message_id = ?", (message_id,))
            answered = await tx.execute_fetchall("SELECT 1 FROM messages WHERE reply_to = ?", (message_id,))
        return _job(job[0], bool(answered))

    async def renew_turn_job(self, job: TurnJob, lease_s: float) -> bool:
        db = await self._ready()
        async with db.transaction() as tx:
            cur = await tx.execute(
                f"UPDATE turn_jobs SET lease_expires = {NOW} + ? WHERE message_id = ? AND turn_id = ? AND status = 'running'",
                (lease_s, job.message_id, job.turn_id),
            )
            return cur.rowcount > 0

    async def finish_turn_job(self, job: TurnJob, status: str, error: str | None = None) -> bool:
        if status not in ("done", "failed"):
            raise ValueError("a queued turn finishes done or failed")
        db = await self._ready()
        async with db.transaction() as tx:
            cur = await tx.execute(
                "UPDATE turn_jobs SET status = ?, error = ?, finished_at = ?, lease_expires = NULL"
                " WHERE message_id = ? AND turn_id = ? AND status = 'running'",
                (status, error, utcnow(), job.message_id, job.turn_id),
            )
            return cur.rowcount > 0

    async def release_turn_job(self, job: TurnJob) -> bool:
        db = await self._ready()
        async with db.transaction() as tx:
            cur = await tx.execute(
                "UPDATE turn_jobs SET status = 'queued', worker = NULL, lease_expires = NULL,"
                " attempts = MAX(attempts - 1, 0) WHERE message_id = ? AND turn_id = ? AND status = 'running'",
                (job.message_id, job.turn_id),
            )
            return cur.rowcount > 0

    async def turn_jobs(self, conversation_id: str | None = None, *, statuses: tuple[str, ...] = ()) -> list[TurnJob]:
        db = await self._ready()
        sql, params = f"SELECT {_JOB} FROM turn_jobs WHERE 1 = 1", list[Any]()
        if conversation_id is not None:
            sql += " AND conversation_id = ?"
            params.append(conversation_id)
        if statuses:
            sql += f" AND status IN ({','.join('?' * len(statuses))})"
            params.extend(statuses)
        return [_job(r) for r in await db.fetchall(sql + " ORDER BY message_id", params)]


async def _give_up_exhausted(tx: Transaction, max_attempts: int, now: str) -> None:
    """A lapsed claim that already had ``max_attempts`` tries is failed, not handed to yet another worker, and
    the customer is told once (the one-reply-per-message index makes a second notice nothing)."""
    exhausted = f"status = 'running' AND lease_expires < {NOW} AND attempts >= ?"
    await tx.execute(
        "INSERT OR IGNORE INTO messages (conversation_id, role, text, status, created_at, reply_to)"
        f" SELECT conversation_id, 'system', ?, 'sent', ?, message_id FROM turn_jobs WHERE {exhausted} ORDER BY message_id",
        (GAVE_UP_REPLY, now, max_attempts),
    )
    await tx.execute(
        "UPDATE turn_jobs SET status = 'failed', finished_at = ?, lease_expires = NULL,"
        " error = 'gave up after ' || attempts || ' claims lapsed (workers stopped mid-turn)'"
        f" WHERE {exhausted}",
        (now, max_attempts),
    )
