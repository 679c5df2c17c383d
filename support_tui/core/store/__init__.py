"""The support records (conversations, messages, turns, the trace, approvals, ratings, memory) behind one interface.

- ``SupportStore`` (``protocol``): the Protocol of the support records and the queue, with a docstring per method.
- ``records/``: the records' typed values and ``SQLSupportStore``, the Protocol's one implementation, on SQLite
  and PostgreSQL alike; ``queue/``: the turn queue's values and its half of that store. What differs by
  dialect is one small module each, named for what it does (``change_feed``, ``job_claims``, ``worker_presence`` ...).
- ``sql/``: the one SQL layer the records, the queue and the shops' tables go through: the ``ShopDatabase``
  Protocol, ``Database`` (``sqlite``: one aiosqlite connection, WAL) and ``PostgresShopDatabase``
  (``postgres``: an asyncpg pool), and Alembic migrations per component (``migrate``).
- ``open_support_store`` / ``open_shop_database``: what the settings choose (PostgreSQL when a database
  URL is set, else the data directory's SQLite file).
"""

from __future__ import annotations

import os
from pathlib import Path

from support_tui.core.settings import Settings
from support_tui.core.store.protocol import SupportStore
from support_tui.core.store.records.values import (
    ConversationInfo,
    ConversationStatus,
    FixtureHistory,
    MemoryEntry,
    MetricConversation,
    MetricMessage,
    MetricRecords,
    PendingToolCall,
    Rating,
    Record,
    StoredMessage,
    TurnRecord,
    TurnUsage,
    new_id,
    stored_time,
    utcnow,
)
from support_tui.core.store.sql.database import ShopDatabase, ShopSchema, ShopTransaction
from support_tui.core.store.sql.postgres import PostgresShopDatabase
from support_tui.core.store.records.support_store import SQLSupportStore
from support_tui.core.store.sql.sqlite import Database

DATABASE_URL_ENV = "SUPPORT_TUI_DATABASE_URL"
"""The environment variable that points the support records at PostgreSQL (it wins over config.toml)."""


def database_url(settings: Settings) -> str | None:
    """Where the support records live: ``$SUPPORT_TUI_DATABASE_URL``, else ``database_url`` in config.toml;
    None means the data directory's SQLite file."""
    return os.environ.get(DATABASE_URL_ENV) or settings.database_url or None


def _checked(url: str) -> str:
    if not url.startswith(("postgresql://", "postgres://")):
        raise ValueError(f"database_url must be a postgresql:// URL (got {url.split(':', 1)[0]}:...)")
    return url


def open_support_store(settings: Settings, db: ShopDatabase) -> SupportStore:
    """The support records in ``db``, the shop's database (the PostgreSQL one at ``database_url(settings)`` when
    one is set, else the data directory's SQLite file). Nothing is connected here: the store migrates on first
    use (or ``migrate()``)."""
    url = database_url(settings)
    if url:
        _checked(url)
        if not isinstance(db, PostgresShopDatabase):
            raise TypeError("with a database_url the support records live in PostgreSQL, not in " + db.location)
    elif not isinstance(db, Database):
        raise TypeError("without a database_url the support records live in the SQLite Database, not in " + db.location)
    return SQLSupportStore(db)


def postgres_support_store(url: str, *, min_size: int = 1, max_size: int = 10) -> SQLSupportStore:
    """The support records in the PostgreSQL database at ``url``, on a pool of their own (closed by ``close()``)."""
    return SQLSupportStore(PostgresShopDatabase(_checked(url), min_size=min_size, max_size=max_size), owns_db=True)


async def open_shop_database(settings: Settings, path: Path) -> ShopDatabase:
    """The shop's database: PostgreSQL at ``database_url(settings)`` when one is set (nothing connects until the
    first statement), else the SQLite file at ``path`` (opened here, WAL)."""
    url = database_url(settings)
    if url:
        return PostgresShopDatabase(_checked(url))
    return await Database.open(path)


__all__ = [
    "DATABASE_URL_ENV", "ConversationInfo", "ConversationStatus", "Database", "FixtureHistory", "MemoryEntry",
    "MetricConversation", "MetricMessage", "MetricRecords", "PendingToolCall", "PostgresShopDatabase",
    "Rating", "Record", "SQLSupportStore", "ShopDatabase", "ShopSchema", "ShopTransaction", "postgres_support_store",
    "StoredMessage", "SupportStore", "TurnRecord", "TurnUsage", "database_url", "new_id", "open_shop_database",
    "open_support_store", "stored_time", "utcnow",
]
