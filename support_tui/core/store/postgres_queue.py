"""Queued turns in PostgreSQL: the ``turn_jobs`` migration and the queue's methods of ``PostgresSupportStore``.

A claim is one ``UPDATE`` whose target is chosen with ``FOR UPDATE SKIP LOCKED``: workers on any
number of machines pass over each other's rows instead of waiting on them. A worker in
``worker_presence`` holds a session-level advisory lock on a connection of its own; its claims are
marked ``watched``, and once its lock is gone (the process died, its connection closed) they count
as lapsed at once. Enqueueing updates the
conversation's row first, so two messages of one conversation are stored (and queued) one after
the other, in the order their transactions take that row. Leases are read on the server's clock.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Any, AsyncIterator

import asyncpg

from support_tui.core.store.queue import DEFAULT_MAX_ATTEMPTS, GAVE_UP_REPLY, PRESENCE_LOCK, QueuedMessage, TurnJob
from support_tui.core.store.records import new_id, utcnow

if TYPE_CHECKING:
    from support_tui.core.store.postgres_store import Connection

log = logging.getLogger("support_tui.store.queue")

NOW = "extract(epoch from clock_timestamp())"
"""Seconds since the epoch, by the server's clock."""

PRESENCE_RETRY_S = 0.5
"""How soon a worker's presence connection is made again after it was lost."""

QUEUE_MIGRATION: tuple[str, ...] = (
    """CREATE TABLE turn_jobs (
        message_id BIGINT PRIMARY KEY REFERENCES messages(id),
        conversation_id TEXT COLLATE "C" NOT NULL REFERENCES conversations(id),
        status TEXT NOT NULL DEFAULT 'queued',
        attempts INTEGER NOT NULL DEFAULT 0,
        worker TEXT,
        turn_id TEXT COLLATE "C",
        lease_expires DOUBLE PRECISION,
        error TEXT,
        created_at TEXT COLLATE "C" NOT NULL,
        started_at TEXT COLLATE "C",
        finished_at TEXT COLLATE "C"
    )""",
    # Only unfinished jobs are ever searched: the indexes stay as small as the queue.
    "CREATE INDEX turn_jobs_open ON turn_jobs(conversation_id, message_id) WHERE status IN ('queued', 'running')",
    "CREATE INDEX turn_jobs_waiting ON turn_jobs(message_id) WHERE status IN ('queued', 'running')",
    "ALTER TABLE messages ADD COLUMN reply_to BIGINT",
    "CREATE UNIQUE INDEX messages_reply_to ON messages(reply_to) WHERE reply_to IS NOT NULL",
)
"""Migration 5 of the PostgreSQL support schema (step for step with ``sqlite_queue.QUEUE_MIGRATION``)."""

PRESENCE_MIGRATION: tuple[str, ...] = (
    "ALTER TABLE turn_jobs ADD COLUMN watched BOOLEAN NOT NULL DEFAULT FALSE",
)
"""Migration 6: a claim made by a worker holding its presence lock is ``watched``."""

_GONE = (
    "j.watched AND NOT EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted"
    " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    f" AND l.classid = {PRESENCE_LOCK}::oid AND l.objid = hashtext(j.worker)::oid AND l.objsubid = 2)"
)
"""A watched claim whose worker holds no presence lock any more."""
_LAPSED = f"(j.lease_expires < {NOW} OR ({_GONE}))"

_JOB = ("message_id, conversation_id, status, attempts, worker, turn_id, lease_expires, error, created_at,"
        " started_at, finished_at")

_CLAIM = (
    "UPDATE turn_jobs SET status = 'running', worker = $1, turn_id = $2, attempts = attempts + 1,"
    f" lease_expires = {NOW} + $3, started_at = $4, watched = $5"
    " WHERE message_id = ("
    "SELECT j.message_id FROM turn_jobs j WHERE j.status IN ('queued', 'running')"
    f" AND (j.status = 'queued' OR {_LAPSED})"
    # The conversation's oldest unfinished message only: one turn at a time, in message order.
    " AND NOT EXISTS (SELECT 1 FROM turn_jobs e WHERE e.conversation_id = j.conversation_id"
    " AND e.status IN ('queued', 'running') AND e.message_id < j.message_id)"
    " ORDER BY j.message_id LIMIT 1 FOR UPDATE SKIP LOCKED)"
    f" RETURNING {_JOB}, EXISTS (SELECT 1 FROM messages m WHERE m.reply_to = turn_jobs.message_id) AS answered"
)

_GIVE_UP = (
    # The customer is told once: the one-reply-per-message index turns a second notice into nothing.
    "WITH gave_up AS (UPDATE turn_jobs j SET status = 'failed', finished_at = $1, lease_expires = NULL,"
    " error = 'gave up after ' || attempts || ' claims lapsed (workers stopped mid-turn)'"
    f" WHERE j.status = 'running' AND {_LAPSED} AND j.attempts >= $2 RETURNING j.message_id, j.conversation_id)"
    " INSERT INTO messages (conversation_id, role, text, status, created_at, reply_to)"
    " SELECT conversation_id, 'system', $3, 'sent', $1, message_id FROM gave_up ORDER BY message_id"
    " ON CONFLICT DO NOTHING"
)


def _job(row: Any) -> TurnJob:
    return TurnJob(**dict(row))


class PostgresTurnQueue:
    """The queue's half of ``PostgresSupportStore`` (its ``transaction`` gives a pooled connection in a transaction)."""

    url: str
    _present: dict[str, bool]
    """Workers of this process in ``worker_presence``, and whether their lock is held right now."""

    def transaction(self) -> AbstractAsyncContextManager["Connection"]:
        raise NotImplementedError

    async def migrate(self) -> int:
        raise NotImplementedError

    @asynccontextmanager
    async def worker_presence(self, worker: str) -> AsyncIterator[None]:
        self._present[worker] = False
        holder = asyncio.create_task(self._hold_presence(worker), name=f"presence {worker}")
        try:
            yield
        finally:
            self._present.pop(worker, None)
            holder.cancel()
            try:
                await holder
            except asyncio.CancelledError:
                pass

    async def _hold_presence(self, worker: str) -> None:
        """Hold ``worker``'s advisory lock on a connection of its own, taking it again whenever the connection is lost."""
        while True:
            lost = asyncio.Event()
            try:
                await self.migrate()
                conn = await asyncpg.connect(self.url, timeout=5,
                                             server_settings={"application_name": f"support-tui worker {worker}"[:63]})
            except (OSError, asyncio.TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
                await asyncio.sleep(PRESENCE_RETRY_S)
                continue
            conn.add_termination_listener(lambda _conn: lost.set())
            try:
                # try_: a lock held by another session (a hash collision) must not block; the lease covers that case.
                held = await conn.fetchval("SELECT pg_try_advisory_lock($1, hashtext($2))", PRESENCE_LOCK, worker)
                if worker in self._present:
                    self._present[worker] = bool(held)
                if not held:
                    log.warning("%s: another session holds this worker's presence lock; claims lapse by lease only", worker)
                while not lost.is_set() and not conn.is_closed():
                    try:
                        await asyncio.wait_for(lost.wait(), 2.0)
                    except asyncio.TimeoutError:
                        await conn.fetchval("SELECT 1")  # a dead server is noticed by a query, not by waiting
            except (OSError, asyncio.TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
                pass
            finally:
                if worker in self._present:
                    self._present[worker] = False
                await asyncio.shield(conn.close(timeout=2))
            await asyncio.sleep(PRESENCE_RETRY_S)

    async def enqueue_customer_message(self, conversation_id: str, text: str) -> QueuedMessage:
        now = utcnow()
        async with self.transaction() as tx:
            # The row lock orders this conversation's messages; no row means no such conversation.
            if not await tx.execute("UPDATE conversations SET updated_at = $1 WHERE id = $2", now, conversation_id):
                raise LookupError(f"no conversation {conversation_id!r}")
            message_id = int(await tx.fetchval(
                "INSERT INTO messages (conversation_id, role, text, status, created_at) VALUES ($1, 'customer', $2, 'sent', $3)"
                " RETURNING id", conversation_id, text, now,
            ))
            await tx.execute(
                "INSERT INTO turn_jobs (message_id, conversation_id, created_at) VALUES ($1, $2, $3)",
                message_id, conversation_id, now,
            )
        return QueuedMessage(message_id=message_id, conversation_id=conversation_id, text=text, created_at=now)

    async def claim_turn_job(
        self, worker: str, lease_s: float, *, max_attempts: int = DEFAULT_MAX_ATTEMPTS
    ) -> TurnJob | None:
        now, turn_id = utcnow(), new_id("turn")
        async with self.transaction() as tx:
            await tx.execute(_GIVE_UP, now, max_attempts, GAVE_UP_REPLY)
            row = await tx.fetchrow(_CLAIM, worker, turn_id, float(lease_s), now, self._present.get(worker, False))
            if row is None:
                return None
            # The customer's message belongs to the turn that answers it now.
            await tx.execute("UPDATE messages SET turn_id = $1 WHERE id = $2", turn_id, row["message_id"])
        return _job(row)

    async def renew_turn_job(self, job: TurnJob, lease_s: float) -> bool:
        async with self.transaction() as tx:
            return bool(await tx.execute(
                f"UPDATE turn_jobs SET lease_expires = {NOW} + $1"
                " WHERE message_id = $2 AND turn_id = $3 AND status = 'running'",
                float(lease_s), job.message_id, job.turn_id,
            ))

    async def finish_turn_job(self, job: TurnJob, status: str, error: str | None = None) -> bool:
        if status not in ("done", "failed"):
            raise ValueError("a queued turn finishes done or failed")
        async with self.transaction() as tx:
            return bool(await tx.execute(
                "UPDATE turn_jobs SET status = $1, error = $2, finished_at = $3, lease_expires = NULL"
                " WHERE message_id = $4 AND turn_id = $5 AND status = 'running'",
                status, error, utcnow(), job.message_id, job.turn_id,
            ))

    async def release_turn_job(self, job: TurnJob) -> bool:
        async with self.transaction() as tx:
            return bool(await tx.execute(
                "UPDATE turn_jobs SET status = 'queued', worker = NULL, lease_expires = NULL,"
                " attempts = GREATEST(attempts - 1, 0) WHERE message_id = $1 AND turn_id = $2 AND status = 'running'",
                job.message_id, job.turn_id,
            ))

    async def ping(self) -> None:
        async with self.transaction() as tx:
            await tx.fetchval("SELECT 1")

    async def turn_jobs(self, conversation_id: str | None = None, *, statuses: tuple[str, ...] = ()) -> list[TurnJob]:
        sql, params = f"SELECT {_JOB} FROM turn_jobs WHERE TRUE", list[Any]()
        if conversation_id is not None:
            params.append(conversation_id)
            sql += f" AND conversation_id = ${len(params)}"
        if statuses:
            params.append(list(statuses))
            sql += f" AND status = ANY(${len(params)}::text[])"
        async with self.transaction() as tx:
            return [_job(r) for r in await tx.fetch(sql + " ORDER BY message_id", *params)]
