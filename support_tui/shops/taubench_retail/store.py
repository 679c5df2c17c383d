"""The shop's own SQLite tables (``tau_users``, ``tau_orders``, ``tau_products``) and who each conversation identified."""

from __future__ import annotations

import asyncio
import json
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

from support_tui.shops.taubench_retail.data import TABLES, Record, RetailData
from support_tui.core.store.sqlite import Database

SCHEMA = [
    f"CREATE TABLE IF NOT EXISTS tau_{name} (id TEXT PRIMARY KEY, pos INTEGER NOT NULL, data TEXT NOT NULL)"
    for name in TABLES
] + ["CREATE TABLE IF NOT EXISTS tau_identified (conversation_id TEXT PRIMARY KEY, user_id TEXT NOT NULL)"]
"""The shop's tables: each record's JSON text under its id, ``pos`` keeping the data file's order."""


class Tx:
    """Reads and writes inside one transaction: what a write tool reads is what it changes."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    async def get(self, table: str, key: str) -> Record | None:
        rows = await self._conn.execute_fetchall(f"SELECT data FROM tau_{table} WHERE id = ?", (key,))
        return json.loads(rows[0][0]) if rows else None

    async def put(self, table: str, key: str, record: Record) -> None:
        await self._conn.execute(f"UPDATE tau_{table} SET data = ? WHERE id = ?", (json.dumps(record), key))


class RetailStore:
    """The retail records in the shop's tables, loaded from the data files on first use."""

    def __init__(self, db: Database, data: RetailData) -> None:
        self.db = db
        self.data = data
        self._ready = False
        self._lock = asyncio.Lock()

    async def ensure(self) -> None:
        """Create the tables and load the data files into them when they are empty."""
        if self._ready:
            return
        async with self._lock:
            if self._ready:
                return
            # Inside the database's write transaction: executescript would commit whatever another
            # task has open on the shared connection.
            async with self.db.transaction() as conn:
                for statement in SCHEMA:
                    await conn.execute(statement)
                rows = await conn.execute_fetchall("SELECT COUNT(*) FROM tau_orders")
                if not rows[0][0]:
                    await self._fill(conn)
            self._ready = True

    async def reset(self) -> None:
        """Every table back to the data files' contents; no conversation has identified anyone."""
        await self.ensure()
        async with self.db.transaction() as conn:
            await self._fill(conn)

    async def _fill(self, conn: Any) -> None:
        await conn.execute("DELETE FROM tau_identified")
        for name in TABLES:
            await conn.execute(f"DELETE FROM tau_{name}")
            rows = [(key, pos, text) for pos, (key, text) in enumerate(self.data.texts[name].items())]
            await conn.executemany(f"INSERT INTO tau_{name} (id, pos, data) VALUES (?, ?, ?)", rows)

    async def get(self, table: str, key: str) -> Record | None:
        """One record, or None."""
        await self.ensure()
        text = await self.db.scalar(f"SELECT data FROM tau_{table} WHERE id = ?", (key,))
        return None if text is None else json.loads(text)

    async def scan(self, table: str) -> list[tuple[str, Record]]:
        """Every record of a table with its id, in the data file's order (look-ups return the first match)."""
        await self.ensure()
        rows = await self.db.fetchall(f"SELECT id, data FROM tau_{table} ORDER BY pos")
        return [(row[0], json.loads(row[1])) for row in rows]

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """One write transaction (committed on success, rolled back on any error)."""
        await self.ensure()
        async with self.db.transaction() as conn:
            yield Tx(conn)

    async def identified(self, conversation_id: str) -> str | None:
        """The user a conversation identified with a look-up, if any."""
        await self.ensure()
        user_id: str | None = await self.db.scalar(
            "SELECT user_id FROM tau_identified WHERE conversation_id = ?", (conversation_id,)
        )
        return user_id

    async def identify(self, conversation_id: str, user_id: str) -> None:
        """Remember that a look-up in this conversation found this user."""
        await self.ensure()
        await self.db.write(
            "INSERT INTO tau_identified (conversation_id, user_id) VALUES (?, ?) "
            "ON CONFLICT(conversation_id) DO UPDATE SET user_id = excluded.user_id",
            (conversation_id, user_id),
        )

    async def changed(self) -> dict[str, dict[str, Record]]:
        """The orders and users whose JSON differs from the data files, in the files' shape."""
        await self.ensure()
        out: dict[str, dict[str, Record]] = {}
        for table in ("orders", "users"):
            pristine = self.data.texts[table]
            rows = await self.db.fetchall(f"SELECT id, data FROM tau_{table} ORDER BY pos")
            found: dict[str, Record] = {}
            for key, text in rows:
                if text != pristine.get(key):
                    record = json.loads(text)
                    if record != self.data.tables[table].get(key):
                        found[key] = record
            out[table] = found
        return out

    async def rewind(self) -> None:
        """Put back every order and user that differs from the data files (a cheap reset between tasks)."""
        await self.ensure()
        async with self.db.transaction() as conn:
            await conn.execute("DELETE FROM tau_identified")
            for table in ("orders", "users"):
                texts = self.data.texts[table]
                rows = await conn.execute_fetchall(f"SELECT id, data FROM tau_{table}")
                stale = [(texts[key], key) for key, text in rows if key in texts and text != texts[key]]
                await conn.executemany(f"UPDATE tau_{table} SET data = ? WHERE id = ?", stale)
