"""The embedded SQLite database (aiosqlite, WAL): one connection, a write lock and a statement counter.

``Database`` applies no schema: the support records (``records.support_store``) run their own
migrations, and a shop that keeps tables here applies its ``ShopSchema`` when it opens. It is the
SQLite implementation of ``ShopDatabase`` (``database``); its transaction is a ``ShopTransaction``.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, AsyncIterator, Awaitable, Callable, Iterable, Literal, TypeVar

import aiosqlite

from support_tui.core.store.sql.database import RowReads

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from support_tui.core.store.sql.database import ShopSchema

Row = aiosqlite.Row


def dumps(value: Any) -> str:
    """JSON for a TEXT column (compact, stable key order)."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True, default=str)


def loads(value: str | None, default: Any = None) -> Any:
    return default if value is None else json.loads(value)


class Transaction(RowReads):
    """The connection inside ``Database.transaction()``: the same calls, each statement counted."""

    def __init__(self, db: "Database") -> None:
        self._db = db
        self._conn = db.conn

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> aiosqlite.Cursor:
        self._db.statements += 1
        return await self._conn.execute(sql, tuple(params))

    async def executemany(self, sql: str, rows: Iterable[Iterable[Any]]) -> aiosqlite.Cursor:
        self._db.statements += 1
        return await self._conn.executemany(sql, rows)

    async def execute_fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        self._db.statements += 1
        rows = list(await self._conn.execute_fetchall(sql, tuple(params)))
        self._db.rows_read += len(rows)
        return rows

    async def executescript(self, sql: str) -> aiosqlite.Cursor:
        # sqlite3 commits any open transaction before a script: prefer execute() per statement here.
        self._db.statements += 1
        return await self._conn.executescript(sql)

    # the ShopTransaction Protocol -----------------------------------------------------------------

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        return await self.execute_fetchall(sql, params)

    async def write(self, sql: str, params: Iterable[Any] = ()) -> int:
        cur = await self.execute(sql, params)
        return max(cur.rowcount, 0)

    async def write_many(self, sql: str, rows: Iterable[Iterable[Any]]) -> None:
        await self.executemany(sql, [tuple(r) for r in rows])

    async def lock_rows(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        # BEGIN IMMEDIATE took the database's write lock: no other writer, in any process, until commit.
        return await self.execute_fetchall(sql, params)

    async def advisory_lock(self, key: int) -> None:
        """Nothing to take: BEGIN IMMEDIATE already serialises every writer of the file."""

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


LOCKED_RETRY_S = 30.0
"""How long opening a database file keeps retrying a "database is locked" that the busy wait does not cover."""


_T = TypeVar("_T")


async def _while_locked(step: Callable[[], Awaitable[_T]], within: float = LOCKED_RETRY_S) -> _T:
    """Run ``step()`` (a coroutine factory), again after a short pause while SQLite says the file is locked.

    Switching a new file to WAL needs the file to itself. When several processes open one fresh file at
    once, SQLite answers one of two connections upgrading their locks together "database is locked" at
    once, without the busy wait, to break the deadlock (seen: one of four processes failed so)."""
    deadline, pause = time.monotonic() + within, 0.02
    while True:
        try:
            return await step()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() + pause > deadline:
                raise
        await asyncio.sleep(pause)
        pause = min(pause * 2, 0.5)


class Database(RowReads):
    """One aiosqlite connection with WAL and a write lock.

    ``statements`` counts the SQL statements sent through it (reads, writes and every statement of a
    transaction) and ``rows_read`` the rows its reads returned, so a test can show that a turn's cost
    does not grow with the conversation.
    """

    dialect: Literal["sqlite"] = "sqlite"
    """The SQL dialect (``ShopDatabase``)."""

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path
        self.statements = 0
        """SQL statements run on this connection so far."""
        self.rows_read = 0
        """Rows returned by reads on this connection so far."""
        self._write_lock = asyncio.Lock()
        self._engine: "AsyncEngine | None" = None

    async def upgrade_schema(self, component: str, folder: Path) -> str:
        """Run ``component``'s Alembic migrations in ``folder`` on this connection, in one ``BEGIN IMMEDIATE``
        transaction (``sql.migrate``); returns the revision it is at."""
        from support_tui.core.store.sql.engines import sqlite_engine
        from support_tui.core.store.sql.migrate import migrate_engine

        async with self._write_lock:
            if self._engine is None:
                self._engine = sqlite_engine(self.conn)
            return await migrate_engine(self._engine, component, folder)

    @classmethod
    async def open(cls, path: Path | str) -> "Database":
        """Open (creating if needed) the database file with WAL; no tables are created here."""
        path = Path(path)
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(path, timeout=30)
        try:
            conn.row_factory = aiosqlite.Row
            await conn.execute("PRAGMA busy_timeout=30000")
            # WAL survives a killed process with every committed transaction; NORMAL sync is
            # durable against process crashes (not power loss) and much faster than FULL.
            await _while_locked(lambda: conn.execute("PRAGMA journal_mode=WAL"))
            await conn.execute("PRAGMA synchronous=NORMAL")
            await conn.execute("PRAGMA foreign_keys=ON")
        except BaseException:
            await conn.close()  # its thread would otherwise keep the process alive after the error
            raise
        return cls(conn, path)

    @property
    def location(self) -> str:
        """The database file (``:memory:`` for a private copy)."""
        return str(self.path)

    async def close(self) -> None:
        await self.conn.close()

    @classmethod
    async def in_memory(cls) -> "Database":
        """A private, empty database that lives in memory until closed (sandboxes of a shop)."""
        return await cls.open(":memory:")

    async def copy(self, schema: "ShopSchema | None" = None) -> "Database":
        """An in-memory copy of every table, taken with SQLite's backup API (a consistent snapshot).

        ``schema`` is not needed here: the backup copies every table there is."""
        target = await Database.in_memory()
        try:
            await self.conn.backup(target.conn)
        except BaseException:
            await target.close()
            raise
        return target

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        # One call on the connection's thread: a query left half-read between two awaits holds a
        # read snapshot, and a BEGIN IMMEDIATE from another task then fails at once with "database
        # is locked" (no busy wait) whenever another process or engine has written meanwhile.
        self.statements += 1
        rows = list(await self.conn.execute_fetchall(sql, tuple(params)))
        self.rows_read += len(rows)
        return rows

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """Serialise writers in this process; commit on success, roll back on error."""
        async with self._write_lock:
            await self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield Transaction(self)
            except BaseException:
                await self.conn.rollback()
                raise
            else:
                await self.conn.commit()

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator["Database"]:
        """The database itself, with this process's writers held off until the block ends."""
        async with self._write_lock:
            yield self

    async def write(self, sql: str, params: Iterable[Any] = ()) -> int:
        """One statement in its own transaction; returns how many rows it touched (ids: ``RETURNING``)."""
        async with self.transaction() as tx:
            return await tx.write(sql, tuple(params))
