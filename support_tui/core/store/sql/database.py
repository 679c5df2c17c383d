"""The shop's database behind one typed Protocol, so a shop's SQL runs on SQLite and PostgreSQL alike.

A shop (Northwind, tau-bench retail) keeps its own tables and reaches them only through
``ShopDatabase``: ``fetchall``/``fetchone``/``scalar`` for reads, ``write`` for one statement,
``transaction()`` for a read-modify-write. Two implementations: the embedded ``Database``
(``sqlite``) and ``PostgresShopDatabase`` (``postgres``, asyncpg).

The SQL the shops write is the common ground of both dialects:

- Parameters are ``?`` placeholders with a sequence of values (PostgreSQL's ``$1, $2`` are made
  from them); a ``?`` inside a quoted string or identifier is left alone.
- A new row's id comes from ``INSERT ... RETURNING id`` inside a transaction, never ``lastrowid``.
- A read-modify-write locks what it reads with ``lock_rows`` (``SELECT ... FOR UPDATE`` on
  PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` already holds the whole database for the transaction).
- Text sorts byte by byte on both (PostgreSQL columns are ``COLLATE "C"``); ``LIKE`` is matched on
  ``lower()`` of both sides, since PostgreSQL's ``LIKE`` is case-sensitive and SQLite's is not.

A shop's tables are versioned per dialect (``ShopSchema``, applied by ``shop_schema.apply_schema``).
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Literal, Protocol, Sequence, runtime_checkable

from support_tui.core.store.sql.migrations import Migration

Dialect = Literal["sqlite", "postgresql"]
"""The SQL dialect a shop database speaks (``ShopSchema`` keeps one migration list per dialect)."""

Params = Sequence[Any]
"""The values of a statement's ``?`` placeholders, in order."""


class RowReads:
    """``fetchone`` and ``scalar`` on top of a class's own ``fetchall`` (a transaction's, a connection's or a pool's)."""

    async def fetchall(self, sql: str, params: Params = ()) -> list[Any]:
        raise NotImplementedError

    async def fetchone(self, sql: str, params: Params = ()) -> Any | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def scalar(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]


class Row(Protocol):
    """One result row, read by column name or position (``sqlite3.Row``, ``asyncpg.Record``); ``dict(row)`` works."""

    def __getitem__(self, key: Any, /) -> Any: ...

    def keys(self) -> Any: ...

    def __iter__(self) -> Any: ...

    def __len__(self) -> int: ...


class ShopReader(Protocol):
    """What a read needs: the database itself, or a transaction (whose reads see its own writes and locks)."""

    async def fetchall(self, sql: str, params: Params = ()) -> Sequence[Row]:
        """Every row the query returns."""
        ...

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        """The first row, or None."""
        ...

    async def scalar(self, sql: str, params: Params = ()) -> Any:
        """The first column of the first row, or None when there is no row."""
        ...


class ShopTransaction(ShopReader, Protocol):
    """The statements of one transaction: committed together when the block ends, rolled back on any error."""

    async def write(self, sql: str, params: Params = ()) -> int:
        """Run one statement that changes rows (or the schema); returns how many rows it touched."""
        ...

    async def write_many(self, sql: str, rows: Iterable[Params]) -> None:
        """Run one statement once per row of values (bulk inserts)."""
        ...

    async def lock_rows(self, sql: str, params: Params = ()) -> Sequence[Row]:
        """The rows a plain ``SELECT`` finds, locked against other writers until the transaction ends.

        PostgreSQL appends ``FOR UPDATE`` (no aggregates, no ``DISTINCT``: lock the parent row, then
        read its children); on SQLite the transaction already holds the database's write lock."""
        ...

    async def advisory_lock(self, key: int) -> None:
        """Hold a database-wide lock named by ``key`` until the transaction ends, so set-up done by several
        processes at once runs once (``pg_advisory_xact_lock``; on SQLite ``BEGIN IMMEDIATE`` already does)."""
        ...


@runtime_checkable
class ShopDatabase(ShopReader, Protocol):
    """A shop's database: reads, single writes, transactions, and a private in-memory copy for sandboxes."""

    @property
    def dialect(self) -> Dialect:
        """Which SQL dialect the statements run in (which of a ``ShopSchema``'s migration lists applies)."""
        ...

    statements: int
    """SQL statements sent so far (reads, writes and every statement of a transaction)."""
    rows_read: int
    """Rows returned by reads so far."""

    @property
    def location(self) -> str:
        """Where the data lives, for people (a file path, or the URL with any password hidden)."""
        ...

    async def write(self, sql: str, params: Params = ()) -> int:
        """One statement in a transaction of its own; returns how many rows it touched."""
        ...

    def transaction(self) -> AbstractAsyncContextManager[ShopTransaction]:
        """A write transaction: committed on success, rolled back on any error (writers of one process queue)."""
        ...

    def snapshot(self) -> AbstractAsyncContextManager[ShopReader]:
        """Reads that see one state of the database, for several related reads (metrics): a read-only
        repeatable-read transaction on PostgreSQL; on SQLite this process's writers wait meanwhile."""
        ...

    async def upgrade_schema(self, component: str, folder: Path) -> str:
        """Bring ``component``'s tables to the newest of its Alembic revisions in ``folder``, once whichever
        process gets there first (under the database's migration lock); returns that revision."""
        ...

    async def copy(self, schema: "ShopSchema") -> "ShopDatabase":
        """A private in-memory SQLite copy of ``schema``'s tables as they are now (a sandbox starts from it).

        The caller closes it. Nothing written to the copy reaches this database."""
        ...

    async def close(self) -> None:
        """End the connection(s); any later call fails."""
        ...


@dataclass(frozen=True)
class ShopSchema:
    """A shop's tables: Alembic revisions of its own, whose baseline is the release's migration list per dialect."""

    component: str
    """The shop's rows in ``schema_version`` (``support`` is the support records')."""
    sqlite: tuple[Migration, ...]
    """The migrations in SQLite's dialect, numbered 1, 2, 3 ..."""
    postgresql: tuple[Migration, ...]
    """The same steps in PostgreSQL's dialect, number for number."""
    tables: tuple[str, ...]
    """Every table, parents before children (the order a copy inserts in)."""
    versions: Path
    """The folder of the shop's Alembic revisions (``<component>_<NNNN>``); the first, its baseline, applies
    ``sqlite`` or ``postgresql`` from what ``schema_version`` lists (the release before Alembic recorded there)."""

    def migrations(self, dialect: Dialect) -> tuple[Migration, ...]:
        """The list for one dialect."""
        return self.sqlite if dialect == "sqlite" else self.postgresql


@lru_cache(maxsize=4096)
def numbered_placeholders(sql: str) -> str:
    """``?`` placeholders as PostgreSQL's ``$1, $2 ...``; a ``?`` inside quotes or a ``--`` comment stays."""
    out: list[str] = []
    n, i, end = 0, 0, len(sql)
    while i < end:
        ch = sql[i]
        if ch in ("'", '"'):
            close = sql.find(ch, i + 1)
            while close != -1 and close + 1 < end and sql[close + 1] == ch:  # '' is an escaped quote
                close = sql.find(ch, close + 2)
            stop = end if close == -1 else close + 1
            out.append(sql[i:stop])
            i = stop
            continue
        if ch == "-" and sql.startswith("--", i):
            stop = sql.find("\n", i)
            stop = end if stop == -1 else stop
            out.append(sql[i:stop])
            i = stop
            continue
        if ch == "?":
            n += 1
            out.append(f"${n}")
        else:
            out.append(ch)
        i += 1
    return "".join(out)
