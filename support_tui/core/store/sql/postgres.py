"""``PostgresShopDatabase``: a shop's tables in PostgreSQL (asyncpg pool), behind the ``ShopDatabase`` Protocol.

Chosen with the support records' ``database_url``, so every console and worker pointed at one
database serves one shop. Statements arrive with ``?`` placeholders (``numbered_placeholders``
makes ``$1, $2``); a transaction is one pooled connection in ``READ COMMITTED``, and a
read-modify-write locks the rows it reads (``lock_rows``: ``FOR UPDATE``). A sandbox copy is an
in-memory SQLite database built from the shop's SQLite migrations and filled with these rows.
"""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable, Iterable, Literal
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from support_tui.core.store.sql.database import Params, RowReads, ShopSchema, numbered_placeholders

if TYPE_CHECKING:
    from support_tui.core.store.sql.sqlite import Database


def display_url(url: str) -> str:
    """The database URL with any password replaced by ``***`` (for messages and logs)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = (parts.username or "") + ":***"
    return urlunsplit(parts._replace(netloc=f"{user}@{netloc[-1]}"))


class ShopDatabaseClosed(RuntimeError):
    """The database was closed; nothing reopens it behind the caller's back."""


def _affected(status: str) -> int:
    """Rows a command touched, from its status tag (``UPDATE 3``, ``INSERT 0 1``)."""
    last = str(status).rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


class PostgresShopTransaction(RowReads):
    """The statements of one transaction on one pooled connection (``ShopTransaction``)."""

    def __init__(self, db: "PostgresShopDatabase", conn: Any) -> None:
        self._db = db
        self._conn = conn

    async def fetchall(self, sql: str, params: Params = ()) -> list[Any]:
        return await self._db._fetch(self._conn, sql, params)

    async def write(self, sql: str, params: Params = ()) -> int:
        return _affected(await self._conn.execute(self._db._sent(sql, params), *params))

    async def write_many(self, sql: str, rows: Iterable[Params]) -> None:
        values = [tuple(r) for r in rows]
        if values:
            await self._conn.executemany(self._db._sent(sql, values[0]), values)

    async def lock_rows(self, sql: str, params: Params = ()) -> list[Any]:
        return await self.fetchall(f"{sql} FOR UPDATE", params)

    async def advisory_lock(self, key: int) -> None:
        await self.write("SELECT pg_advisory_xact_lock(?)", (key,))


class PostgresShopDatabase(RowReads):
    """A shop's tables in PostgreSQL at ``url``, through a pool opened on first use and ended by ``close()``.

    ``statements`` and ``rows_read`` count what it sends and reads, as ``Database`` does for SQLite.
    """

    dialect: Literal["postgresql"] = "postgresql"

    def __init__(self, url: str, *, min_size: int = 1, max_size: int = 20, command_timeout: float = 60.0) -> None:
        # 20: the support records and the shop's tables share this pool (they had 10 each before).
        self.url = url
        """``postgresql://user[:password]@host:port/db``."""
        self.min_size, self.max_size, self.command_timeout = min_size, max_size, command_timeout
        self.statements = 0
        self.rows_read = 0
        self.trace: Callable[[str, tuple[Any, ...]], None] | None = None
        """Called with every statement (``$n`` placeholders) and its arguments (tests EXPLAIN a turn's queries with it)."""
        self._pool: Any = None
        self._opening = asyncio.Lock()
        self._closed = False

    def __repr__(self) -> str:
        return f"PostgresShopDatabase({self.location!r})"

    @property
    def location(self) -> str:
        return display_url(self.url)

    async def _open(self) -> Any:
        if self._closed:
            raise ShopDatabaseClosed(f"the shop database at {self.location} is closed")
        if self._pool is None:
            async with self._opening:
                if self._pool is None:
                    self._pool = await asyncpg.create_pool(
                        self.url, min_size=self.min_size, max_size=self.max_size,
                        command_timeout=self.command_timeout, server_settings={"application_name": "support-tui"},
                    )
        return self._pool

    def _sent(self, sql: str, params: Params) -> str:
        self.statements += 1
        numbered = numbered_placeholders(sql)
        if self.trace is not None:
            self.trace(numbered, tuple(params))
        return numbered

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Any]:
        """A pooled ``asyncpg.Connection`` as it is, for diagnostics (``EXPLAIN`` in tests); nothing counted."""
        async with (await self._open()).acquire() as conn:
            yield conn

    async def _fetch(self, conn: Any, sql: str, params: Params) -> list[Any]:
        rows = list(await conn.fetch(self._sent(sql, params), *params))
        self.rows_read += len(rows)
        return rows

    async def fetchall(self, sql: str, params: Params = ()) -> list[Any]:
        async with (await self._open()).acquire() as conn:
            return await self._fetch(conn, sql, params)

    async def write(self, sql: str, params: Params = ()) -> int:
        # One statement is its own transaction: no BEGIN and COMMIT round trips around it.
        async with (await self._open()).acquire() as conn:
            return _affected(await conn.execute(self._sent(sql, params), *params))

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[PostgresShopTransaction]:
        async with (await self._open()).acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            yield PostgresShopTransaction(self, conn)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PostgresShopTransaction]:
        async with (await self._open()).acquire() as conn, conn.transaction():
            yield PostgresShopTransaction(self, conn)

    async def upgrade_schema(self, component: str, folder: Path) -> str:
        """Run ``component``'s Alembic migrations in ``folder`` on a connection of its own, under the migration
        lock (``sql.migrate``); returns the revision it is at."""
        from support_tui.core.store.sql.engines import postgres_engine
        from support_tui.core.store.sql.migrate import migrate_engine

        if self._closed:
            raise ShopDatabaseClosed(f"the shop database at {self.location} is closed")
        engine = postgres_engine(self.url)
        try:
            return await migrate_engine(engine, component, folder)
        finally:
            await engine.dispose()

    async def copy(self, schema: ShopSchema) -> "Database":
        """An in-memory SQLite database with ``schema``'s tables and this database's rows, read in one snapshot."""
        from support_tui.core.store.sql.shop_schema import apply_schema
        from support_tui.core.store.sql.sqlite import Database

        target = await Database.in_memory()
        try:
            await apply_schema(target, schema)
            async with (await self._open()).acquire() as conn, conn.transaction(isolation="repeatable_read",
                                                                                 readonly=True):
                tables = {t: await self._fetch(conn, f"SELECT * FROM {t}", ()) for t in schema.tables}
            async with target.transaction() as tx:
                for table, rows in tables.items():
                    if rows:
                        columns = list(rows[0].keys())
                        await tx.write_many(
                            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                            [tuple(r) for r in rows],
                        )
        except BaseException:
            await target.close()
            raise
        return target

    async def close(self) -> None:
        self._closed = True
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()
