"""The support records (conversations, messages, turns, the trace, approvals, ratings, memory) behind one interface.

- ``SupportStore`` (``protocol``): the Protocol every backend implements, with a docstring per method.
- ``records``: the typed values that cross it (``ConversationInfo``, ``StoredMessage``, ``TurnRecord`` ...).
- ``SQLiteSupportStore`` (``sqlite_store``): the embedded adapter and its migrations, over ``Database``
  (``sqlite``: one aiosqlite connection, WAL, a statement counter).
- ``PostgresSupportStore`` (``postgres_store``): a team's shared store in PostgreSQL (asyncpg pool), its
  own migrations step for step with SQLite's.
- ``migrations``: the shape of a versioned migration list; each adapter keeps its own.
- ``open_support_store``: the adapter the settings choose (PostgreSQL when a database URL is set).
- ``ShopDatabase`` (``shop_database``): the Protocol a shop's own tables are reached through; ``Database``
  and ``PostgresShopDatabase`` (``shop_postgres``) implement it, ``shop_schema`` applies a shop's
  versioned ``ShopSchema``; ``open_shop_database`` picks the one the settings choose.
"""

from __future__ import annotations

import os
from pathlib import Path

from support_tui.core.settings import Settings
from support_tui.core.store.postgres_store import PostgresSupportStore
from support_tui.core.store.protocol import SupportStore
from support_tui.core.store.records import (
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
from support_tui.core.store.shop_database import ShopDatabase, ShopSchema, ShopTransaction
from support_tui.core.store.shop_postgres import PostgresShopDatabase
from support_tui.core.store.sqlite import Database
from support_tui.core.store.sqlite_store import SQLiteSupportStore

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
    """The support records' adapter: PostgreSQL at ``database_url(settings)`` when one is set, else SQLite on ``db``.

    Nothing is connected here: the adapter connects and migrates on first use (or ``migrate()``).
    Without a URL ``db`` must be the data directory's SQLite ``Database`` (the records live beside the shop).
    """
    url = database_url(settings)
    if url:
        return PostgresSupportStore(_checked(url))
    if not isinstance(db, Database):
        raise TypeError("without a database_url the support records live in the SQLite Database, not in " + db.location)
    return SQLiteSupportStore(db)


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
    "PostgresSupportStore", "Rating", "Record", "SQLiteSupportStore", "ShopDatabase", "ShopSchema", "ShopTransaction",
    "StoredMessage", "SupportStore", "TurnRecord", "TurnUsage", "database_url", "new_id", "open_shop_database",
    "open_support_store", "stored_time", "utcnow",
]
