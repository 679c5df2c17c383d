"""Claiming the next queued turn: ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite.

PostgreSQL: one ``UPDATE`` whose target is chosen with ``FOR UPDATE SKIP LOCKED``, so workers on any
number of machines pass over each other's rows instead of waiting on them; a watched claim lapses
once its worker's presence lock (``worker_presence``) is gone. SQLite: the transaction holds the
file's write lock, so choosing the next message and taking it is one step for every worker on the
file; a watched claim lapses once its worker's process is gone from this host. Both fail a claim
that lapsed ``max_attempts`` times, and tell the customer once (one reply per message).
"""

from __future__ import annotations

import os
import socket

from support_tui.core.store.queue.jobs import GAVE_UP_REPLY, PRESENCE_LOCK, TurnJob
from support_tui.core.store.sql.database import Dialect, ShopTransaction
from support_tui.core.store.sql.server_clock import now_sql

JOB_COLUMNS = ("message_id, conversation_id, status, attempts, worker, turn_id, lease_expires, error, created_at,"
               " started_at, finished_at")
"""The columns of a ``TurnJob``."""

_OLDEST = (
    # The conversation's oldest unfinished message only: one turn at a time, in message order.
    " AND NOT EXISTS (SELECT 1 FROM turn_jobs e WHERE e.conversation_id = j.conversation_id"
    " AND e.status IN ('queued', 'running') AND e.message_id < j.message_id)"
    " ORDER BY j.message_id LIMIT 1"
)
_GAVE_UP_ERROR = "'gave up after ' || attempts || ' claims lapsed (workers stopped mid-turn)'"

_PG_NOW = now_sql("postgresql")
_PG_GONE = (
    "j.watched AND NOT EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted"
    " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    f" AND l.classid = {PRESENCE_LOCK}::oid AND l.objid = hashtext(j.worker)::oid AND l.objsubid = 2)"
)
_PG_LAPSED = f"(j.lease_expires < {_PG_NOW} OR ({_PG_GONE}))"
_PG_CLAIM = (
    "UPDATE turn_jobs SET status = 'running', worker = ?, turn_id = ?, attempts = attempts + 1,"
    f" lease_expires = {_PG_NOW} + ?, started_at = ?, watched = ?"
    " WHERE message_id = ("
    f"SELECT j.message_id FROM turn_jobs j WHERE j.status IN ('queued', 'running') AND (j.status = 'queued' OR {_PG_LAPSED})"
    f"{_OLDEST} FOR UPDATE SKIP LOCKED)"
    f" RETURNING {JOB_COLUMNS}, EXISTS (SELECT 1 FROM messages m WHERE m.reply_to = turn_jobs.message_id) AS answered"
)
_PG_GIVE_UP = (
    f"WITH gave_up AS (UPDATE turn_jobs j SET status = 'failed', finished_at = ?, lease_expires = NULL, error = {_GAVE_UP_ERROR}"
    f" WHERE j.status = 'running' AND {_PG_LAPSED} AND j.attempts >= ? RETURNING j.message_id, j.conversation_id)"
    " INSERT INTO messages (conversation_id, role, text, status, created_at, reply_to)"
    " SELECT conversation_id, 'system', ?, 'sent', ?, message_id FROM gave_up ORDER BY message_id"
    " ON CONFLICT DO NOTHING"
)

_LITE_NOW = now_sql("sqlite")
_LITE_NEXT = (f"SELECT j.message_id FROM turn_jobs j WHERE j.status IN ('queued', 'running')"
              f" AND (j.status = 'queued' OR j.lease_expires < {_LITE_NOW}){_OLDEST}")
_LITE_EXHAUSTED = f"status = 'running' AND lease_expires < {_LITE_NOW} AND attempts >= ?"


async def claim(
    tx: ShopTransaction, dialect: Dialect, *, worker: str, turn_id: str, lease_s: float, now: str, watched: bool,
    max_attempts: int,
) -> TurnJob | None:
    """Inside ``tx``: fail the exhausted claims, then take the next message for ``worker``; None when none waits."""
    if dialect == "postgresql":
        await tx.write(_PG_GIVE_UP, (now, max_attempts, GAVE_UP_REPLY, now))
        row = await tx.fetchone(_PG_CLAIM, (worker, turn_id, float(lease_s), now, watched))
        return None if row is None else TurnJob(**dict(row))
    for gone in await tx.fetchall("SELECT message_id, worker FROM turn_jobs WHERE status = 'running' AND watched"):
        if _process_gone(gone["worker"]):  # its worker died: the claim lapses now
            await tx.write(f"UPDATE turn_jobs SET lease_expires = {_LITE_NOW} - 1 WHERE message_id = ?"
                           " AND status = 'running' AND worker = ?", (gone["message_id"], gone["worker"]))
    await tx.write(
        "INSERT INTO messages (conversation_id, role, text, status, created_at, reply_to) SELECT conversation_id,"
        f" 'system', ?, 'sent', ?, message_id FROM turn_jobs WHERE {_LITE_EXHAUSTED} ORDER BY message_id"
        " ON CONFLICT DO NOTHING",
        (GAVE_UP_REPLY, now, max_attempts),
    )
    await tx.write(f"UPDATE turn_jobs SET status = 'failed', finished_at = ?, lease_expires = NULL, error = {_GAVE_UP_ERROR}"
                   f" WHERE {_LITE_EXHAUSTED}", (now, max_attempts))
    message_id = await tx.scalar(_LITE_NEXT)
    if message_id is None:
        return None
    # Conditional as well as locked: the claim takes the row only while it is still free.
    row = await tx.fetchone(
        "UPDATE turn_jobs SET status = 'running', worker = ?, turn_id = ?, attempts = attempts + 1,"
        f" lease_expires = {_LITE_NOW} + ?, started_at = ?, watched = ? WHERE message_id = ?"
        f" AND (status = 'queued' OR (status = 'running' AND lease_expires < {_LITE_NOW}))"
        f" RETURNING {JOB_COLUMNS}, EXISTS (SELECT 1 FROM messages m WHERE m.reply_to = turn_jobs.message_id) AS answered",
        (worker, turn_id, float(lease_s), now, watched, int(message_id)),
    )
    return None if row is None else TurnJob(**dict(row))


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
