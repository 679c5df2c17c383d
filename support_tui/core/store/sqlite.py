"""The embedded SQLite database (aiosqlite, WAL) shared by the store backend and the support records."""

from __future__ import annotations

import asyncio
import json
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator, Iterable

import aiosqlite

Row = aiosqlite.Row


def dumps(value: Any) -> str:
    """JSON for a TEXT column (compact, stable key order)."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True, default=str)


def loads(value: str | None, default: Any = None) -> Any:
    return default if value is None else json.loads(value)


class Database:
    """One aiosqlite connection with WAL, a write lock and the schema applied."""

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path | str) -> "Database":
        from support_tui.shops.northwind.schema import SCHEMA as COMMERCE_SCHEMA
        from support_tui.core.store.support import SCHEMA as SUPPORT_SCHEMA

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(path, timeout=30)
        conn.row_factory = aiosqlite.Row
        # WAL survives a killed process with every committed transaction; NORMAL sync is
        # durable against process crashes (not power loss) and much faster than FULL.
        await conn.execute("PRAGMA journal_mode=WAL")
        await conn.execute("PRAGMA synchronous=NORMAL")
        await conn.execute("PRAGMA foreign_keys=ON")
        await conn.execute("PRAGMA busy_timeout=30000")
        await conn.executescript(COMMERCE_SCHEMA + "\n" + SUPPORT_SCHEMA)
        await conn.commit()
        return cls(conn, path)

    async def close(self) -> None:
        await self.conn.close()

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        # One call on the connection's thread: a query left half-read between two awaits holds a
        # read snapshot, and a BEGIN IMMEDIATE from another task then fails at once with "database
        # is locked" (no busy wait) whenever another process or engine has written meanwhile.
        return list(await self.conn.execute_fetchall(sql, tuple(params)))

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def scalar(self, sql: str, params: Iterable[Any] = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """Serialise writers in this process; commit on success, roll back on error."""
        async with self._write_lock:
            await self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                await self.conn.rollback()
                raise
            else:
                await self.conn.commit()

    async def write(self, sql: str, params: Iterable[Any] = ()) -> int:
        """One statement in its own transaction; returns lastrowid."""
        async with self.transaction() as conn:
            cur = await conn.execute(sql, tuple(params))
            return cur.lastrowid or 0
