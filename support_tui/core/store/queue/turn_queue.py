"""The queue's half of ``SQLSupportStore``: customers' messages wait in ``turn_jobs`` for a worker (see ``queue.jobs``).

Written once for both databases; what differs sits in ``job_claims`` (claiming the next message) and
``worker_presence`` (a worker's death seen at once). Enqueueing updates the conversation's row first,
so two messages of one conversation are stored (and queued) in the order their transactions take it.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

from support_tui.core.store.queue.jobs import DEFAULT_MAX_ATTEMPTS, QueuedMessage, TurnJob
from support_tui.core.store.records.values import new_id, utcnow
from support_tui.core.store.sql.database import ShopDatabase
from support_tui.core.store.queue import job_claims
from support_tui.core.store.queue.job_claims import JOB_COLUMNS
from support_tui.core.store.sql.server_clock import now_sql
from support_tui.core.store.queue.worker_presence import WorkerPresence


class TurnQueue:
    """Queued turns in ``db``; ``_ready`` gives it migrated."""

    def __init__(self, db: ShopDatabase) -> None:
        self.db = db
        """The database the records live in (shared with the shop unless the store owns it)."""
        self._presence = WorkerPresence(db)

    async def _ready(self) -> ShopDatabase:
        raise NotImplementedError

    @asynccontextmanager
    async def worker_presence(self, worker: str) -> AsyncIterator[None]:
        async with self._presence.hold(worker):
            yield

    async def ping(self) -> None:
        await (await self._ready()).scalar("SELECT 1")

    async def enqueue_customer_message(self, conversation_id: str, text: str) -> QueuedMessage:
        now = utcnow()
        async with (await self._ready()).transaction() as tx:
            # The row lock orders this conversation's messages; no row means no such conversation.
            if not await tx.write("UPDATE conversations SET updated_at = ? WHERE id = ?", (now, conversation_id)):
                raise LookupError(f"no conversation {conversation_id!r}")
            message_id = int(await tx.scalar(
                "INSERT INTO messages (conversation_id, role, text, status, created_at) VALUES (?, 'customer', ?, 'sent', ?)"
                " RETURNING id", (conversation_id, text, now),
            ))
            await tx.write("INSERT INTO turn_jobs (message_id, conversation_id, created_at) VALUES (?, ?, ?)",
                           (message_id, conversation_id, now))
        return QueuedMessage(message_id=message_id, conversation_id=conversation_id, text=text, created_at=now)

    async def claim_turn_job(
        self, worker: str, lease_s: float, *, max_attempts: int = DEFAULT_MAX_ATTEMPTS
    ) -> TurnJob | None:
        db = await self._ready()
        turn_id = new_id("turn")
        async with db.transaction() as tx:
            job = await job_claims.claim(tx, db.dialect, worker=worker, turn_id=turn_id, lease_s=lease_s, now=utcnow(),
                                         watched=self._presence.watched(worker), max_attempts=max_attempts)
            if job is not None:  # the customer's message belongs to the turn that answers it now
                await tx.write("UPDATE messages SET turn_id = ? WHERE id = ?", (turn_id, job.message_id))
        return job

    async def renew_turn_job(self, job: TurnJob, lease_s: float) -> bool:
        db = await self._ready()
        return await db.write(
            f"UPDATE turn_jobs SET lease_expires = {now_sql(db.dialect)} + ?"
            " WHERE message_id = ? AND turn_id = ? AND status = 'running'",
            (float(lease_s), job.message_id, job.turn_id),
        ) > 0

    async def finish_turn_job(self, job: TurnJob, status: str, error: str | None = None) -> bool:
        if status not in ("done", "failed"):
            raise ValueError("a queued turn finishes done or failed")
        return await (await self._ready()).write(
            "UPDATE turn_jobs SET status = ?, error = ?, finished_at = ?, lease_expires = NULL"
            " WHERE message_id = ? AND turn_id = ? AND status = 'running'",
            (status, error, utcnow(), job.message_id, job.turn_id),
        ) > 0

    async def release_turn_job(self, job: TurnJob) -> bool:
        return await (await self._ready()).write(
            "UPDATE turn_jobs SET status = 'queued', worker = NULL, lease_expires = NULL,"
            " attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END"
            " WHERE message_id = ? AND turn_id = ? AND status = 'running'",
            (job.message_id, job.turn_id),
        ) > 0

    async def turn_jobs(self, conversation_id: str | None = None, *, statuses: tuple[str, ...] = ()) -> list[TurnJob]:
        sql, params = f"SELECT {JOB_COLUMNS} FROM turn_jobs WHERE 1 = 1", list[Any]()
        if conversation_id is not None:
            sql += " AND conversation_id = ?"
            params.append(conversation_id)
        if statuses:
            sql += f" AND status IN ({', '.join('?' * len(statuses))})"
            params.extend(statuses)
        rows = await (await self._ready()).fetchall(sql + " ORDER BY message_id", params)
        return [TurnJob(**dict(r)) for r in rows]
