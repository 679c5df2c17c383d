"""Which conversations changed, as other processes write them: PostgreSQL's LISTEN/NOTIFY, or SQLite's polled counter.

Both schemas mark every write to a conversation, its messages or its pending calls with triggers:
PostgreSQL notifies ``CHANGES_CHANNEL`` with the conversation's id (delivered at commit), SQLite
bumps the conversation's row in ``change_marks`` to the next counter value, read by polling.
"""

from __future__ import annotations

import asyncio
from typing import AsyncGenerator

import asyncpg

from support_tui.core.store.records.values import StoreChange
from support_tui.core.store.sql.database import ShopDatabase
from support_tui.core.store.sql.postgres import PostgresShopDatabase

CHANGES_CHANNEL = "support_changes"
"""The LISTEN/NOTIFY channel the PostgreSQL triggers notify with a conversation id on every write to it."""


async def changes(db: ShopDatabase, poll_s: float) -> AsyncGenerator[StoreChange, None]:
    """Every change from now on, for as long as the caller reads."""
    if isinstance(db, PostgresShopDatabase):
        async for change in _notified(db.url, poll_s):
            yield change
    else:
        async for change in _polled(db, poll_s):
            yield change


async def _polled(db: ShopDatabase, poll_s: float) -> AsyncGenerator[StoreChange, None]:
    # Other processes' commits are visible to the next read (WAL): poll the counter the triggers keep.
    last = int(await db.scalar("SELECT COALESCE(MAX(seq), 0) FROM change_marks"))
    while True:
        await asyncio.sleep(poll_s)
        for row in await db.fetchall("SELECT conversation_id, seq FROM change_marks WHERE seq > ? ORDER BY seq", (last,)):
            last = max(last, int(row["seq"]))
            yield StoreChange(conversation_id=row["conversation_id"])


async def _notified(url: str, poll_s: float) -> AsyncGenerator[StoreChange, None]:
    # A connection of its own, outside the pool: a listening connection stays checked out for good.
    while True:
        arrived: asyncio.Queue[str | None] = asyncio.Queue()  # one per connection: a stale end stays with it
        try:
            conn = await asyncpg.connect(url, server_settings={"application_name": "support-tui feed"})
        except (OSError, asyncio.TimeoutError, asyncpg.PostgresError):
            await asyncio.sleep(poll_s)  # the server is away: try again (writes meanwhile are not replayed)
            continue
        conn.add_termination_listener(lambda _conn, q=arrived: q.put_nowait(None))
        try:
            await conn.add_listener(CHANGES_CHANNEL, lambda _c, _pid, _ch, payload, q=arrived: q.put_nowait(payload))
            while (payload := await arrived.get()) is not None:
                yield StoreChange(conversation_id=payload)
        finally:
            await asyncio.shield(conn.close(timeout=5))
        await asyncio.sleep(poll_s)  # the server went away: listen again once it is back
