"""The shop's own tables (``tau_users``, ``tau_orders``, ``tau_products``) and who each conversation identified, on SQLite or PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable, Mapping

from support_tui.core.shop import RecordedEffect, effects
from support_tui.core.shop.effects import effects_table
from support_tui.core.store.sql.migrations import Migration
from support_tui.core.store.sql.database import ShopDatabase, ShopSchema, ShopTransaction
from support_tui.core.store.sql.shop_schema import SETUP_LOCK, apply_schema
from support_tui.shops.taubench_retail.data import TABLES, Record, RetailData


def _tables(text: str) -> tuple[str, ...]:
    return tuple(
        f"CREATE TABLE IF NOT EXISTS tau_{name} (id {text} PRIMARY KEY, pos INTEGER NOT NULL, data TEXT NOT NULL)"
        for name in TABLES
    ) + (f"CREATE TABLE IF NOT EXISTS tau_identified (conversation_id {text} PRIMARY KEY, user_id {text} NOT NULL)",)


EFFECTS = "tau_effects"
"""Each consequential call's idempotency key, stored with its effect in the same transaction (``core.shop.effects``)."""

_EFFECTS_STEP = "exactly-once effects: each consequential call's key and result"

TAU_SCHEMA = ShopSchema(
    component="taubench-retail",
    # IF NOT EXISTS: a database made before the shop had migrations already has these tables.
    sqlite=(Migration(1, "tau-bench retail records", _tables("TEXT")),
            Migration(2, _EFFECTS_STEP, effects_table(EFFECTS))),
    postgresql=(Migration(1, "tau-bench retail records", _tables('TEXT COLLATE "C"')),
                Migration(2, _EFFECTS_STEP, effects_table(EFFECTS, 'TEXT COLLATE "C"'))),
    tables=tuple(f"tau_{name}" for name in TABLES) + ("tau_identified", EFFECTS),
    versions=Path(__file__).parent / "migrations",
)
"""The shop's tables: each record's JSON text under its id, ``pos`` keeping the data file's order.
The JSON stays TEXT on PostgreSQL too: a changed record is found by comparing its text with the file's."""


class Tx:
    """Reads and writes inside one transaction: what a write tool reads is what it changes, locked until commit."""

    def __init__(self, tx: ShopTransaction) -> None:
        self._tx = tx

    async def get(self, table: str, key: str) -> Record | None:
        # Locked: a balance (a gift card's, say) read here and written back by put() cannot be
        # changed by another machine in between.
        rows = await self._tx.lock_rows(f"SELECT data FROM tau_{table} WHERE id = ?", (key,))
        return json.loads(rows[0][0]) if rows else None

    async def put(self, table: str, key: str, record: Record) -> None:
        await self._tx.write(f"UPDATE tau_{table} SET data = ? WHERE id = ?", (json.dumps(record), key))

    async def once(
        self, key: str, conversation_id: str, tool: str, arguments: Mapping[str, Any], write: Callable[[], Awaitable[str]]
    ) -> str:
        """``write`` in this transaction unless ``key`` is stored; the key and the result are stored with it."""
        result: str = await effects.once(self._tx, EFFECTS, key, conversation_id, tool, arguments, write)
        return result


class RetailStore:
    """The retail records in the shop's tables, loaded from the data files on first use."""

    def __init__(self, db: ShopDatabase, data: RetailData) -> None:
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
            await apply_schema(self.db, TAU_SCHEMA)
            if not await self.db.scalar("SELECT COUNT(*) FROM tau_orders"):
                async with self.db.transaction() as tx:
                    await tx.advisory_lock(SETUP_LOCK)  # several processes on a fresh database fill it once
                    if not await tx.scalar("SELECT COUNT(*) FROM tau_orders"):
                        await self._fill(tx)
            self._ready = True

    async def reset(self) -> None:
        """Every table back to the data files' contents; no conversation has identified anyone."""
        await self.ensure()
        async with self.db.transaction() as tx:
            await self._fill(tx)

    async def _fill(self, tx: ShopTransaction) -> None:
        await tx.write("DELETE FROM tau_identified")
        await tx.write(f"DELETE FROM {EFFECTS}")
        for name in TABLES:
            await tx.write(f"DELETE FROM tau_{name}")
            rows = [(key, pos, text) for pos, (key, text) in enumerate(self.data.texts[name].items())]
            await tx.write_many(f"INSERT INTO tau_{name} (id, pos, data) VALUES (?, ?, ?)", rows)

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
        async with self.db.transaction() as tx:
            yield Tx(tx)

    async def recorded(self, key: str) -> RecordedEffect | None:
        """The effect stored under an idempotency key, or None."""
        await self.ensure()
        return await effects.recorded(self.db, EFFECTS, key)

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
        async with self.db.transaction() as tx:
            await tx.write("DELETE FROM tau_identified")
            await tx.write(f"DELETE FROM {EFFECTS}")
            for table in ("orders", "users"):
                texts = self.data.texts[table]
                rows = await tx.fetchall(f"SELECT id, data FROM tau_{table}")
                stale = [(texts[key], key) for key, text in rows if key in texts and text != texts[key]]
                await tx.write_many(f"UPDATE tau_{table} SET data = ? WHERE id = ?", stale)
