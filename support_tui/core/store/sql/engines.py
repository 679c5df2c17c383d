"""SQLAlchemy async engines over the two drivers the store already uses: aiosqlite and asyncpg.

SQLite: the engine wraps the data directory's one aiosqlite connection (a ``StaticPool`` of it), so
the engine's statements and the connection's other users see one database, in memory too. The
engine is never disposed: the connection belongs to whoever opened it. PostgreSQL: an engine on
the ``postgresql://`` URL, through the asyncpg driver.
"""

from __future__ import annotations

from typing import Any

import aiosqlite
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool, StaticPool


def sqlite_engine(conn: aiosqlite.Connection) -> AsyncEngine:
    """An engine whose one connection is ``conn`` (never closed by the engine: do not ``dispose()`` it)."""

    async def creator() -> aiosqlite.Connection:
        return conn

    return create_async_engine("sqlite+aiosqlite://", async_creator=creator, poolclass=StaticPool)


def asyncpg_url(url: str) -> str:
    """``postgresql://...`` as SQLAlchemy names the asyncpg driver (``postgresql+asyncpg://...``)."""
    scheme, _, rest = url.partition("://")
    return f"postgresql+asyncpg://{rest}" if scheme in ("postgresql", "postgres") else url


def postgres_engine(url: str, **pool: Any) -> AsyncEngine:
    """An engine on the PostgreSQL database at ``url``; without ``pool`` options each use connects anew (``NullPool``)."""
    if not pool:
        return create_async_engine(asyncpg_url(url), poolclass=NullPool)
    return create_async_engine(asyncpg_url(url), **pool)
