"""A worker's presence, so its claims are taken over as soon as it dies: an advisory lock on PostgreSQL, its process on SQLite.

PostgreSQL: a present worker holds a session-level advisory lock on a connection of its own
(``PRESENCE_LOCK``, ``hashtext(worker)``), taken again whenever the connection is lost; its claims are
``watched`` only while the lock is held. SQLite: a worker named ``host:pid:n`` for this process is
present; others on the host see its process gone (``job_claims``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from contextlib import asynccontextmanager
from typing import AsyncIterator

import asyncpg

from support_tui.core.store.queue.jobs import PRESENCE_LOCK
from support_tui.core.store.sql.database import ShopDatabase
from support_tui.core.store.sql.postgres import PostgresShopDatabase

log = logging.getLogger("support_tui.store.queue")

PRESENCE_RETRY_S = 0.5
"""How soon a worker's presence connection is made again after it was lost."""


class WorkerPresence:
    """The workers of this process that showed their presence on one database."""

    def __init__(self, db: ShopDatabase) -> None:
        self._url = db.url if isinstance(db, PostgresShopDatabase) else None
        self._present: dict[str, bool] = {}

    def watched(self, worker: str) -> bool:
        """Whether a claim ``worker`` makes now is watched (its death is seen at once)."""
        return self._present.get(worker, False)

    @asynccontextmanager
    async def hold(self, worker: str) -> AsyncIterator[None]:
        """Show ``worker`` present until the block ends."""
        if self._url is None:
            # Only a name that says this process can be checked by the others.
            self._present[worker] = worker.split(":")[:2] == [socket.gethostname(), str(os.getpid())]
            try:
                yield
            finally:
                self._present.pop(worker, None)
            return
        self._present[worker] = False
        holder = asyncio.create_task(self._hold_lock(self._url, worker), name=f"presence {worker}")
        try:
            yield
        finally:
            self._present.pop(worker, None)
            holder.cancel()
            try:
                await holder
            except asyncio.CancelledError:
                pass

    async def _hold_lock(self, url: str, worker: str) -> None:
        """Hold ``worker``'s advisory lock on a connection of its own, taking it again whenever the connection is lost."""
        while True:
            lost = asyncio.Event()
            try:
                conn = await asyncpg.connect(url, timeout=5,
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
