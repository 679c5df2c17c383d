"""The support records (conversations, messages, turns, the trace, approvals, ratings, memory) behind one interface.

- ``SupportStore`` (``protocol``): the Protocol every backend implements, with a docstring per method.
- ``records``: the typed values that cross it (``ConversationInfo``, ``StoredMessage``, ``TurnRecord`` ...).
- ``SQLiteSupportStore`` (``sqlite_store``): the embedded adapter and its migrations, over ``Database``
  (``sqlite``: one aiosqlite connection, WAL, a statement counter).
- ``PostgresSupportStore`` (``postgres_store``): a team's shared store in PostgreSQL (asyncpg pool), its
  own migrations step for step with SQLite's.
- ``migrations``: the shape of a versioned migration list; each adapter keeps its own.
- ``open_support_store``: the adapter the settings choose (PostgreSQL when a database URL is set).
"""

from __future__ import annotations

import os

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
from support_tui.core.store.sqlite import Database
from support_tui.core.store.sqlite_store import SQLiteSupportStore

DATABASE_URL_ENV = "SUPPORT_TUI_DATABASE_URL"
"""The environment variable that points the support records at PostgreSQL (it wins over config.toml)."""


def database_url(settings: Settings) -> str | None:
    """Where the support records live: ``$SUPPORT_TUI_DATABASE_URL``, else ``database_url`` in config.toml;
    None means the data directory's SQLite file."""
    return os.environ.get(DATABASE_URL_ENV) or settings.database_url or None


def open_support_store(settings: Settings, db: Database) -> SupportStore:
    """The support records' adapter: PostgreSQL at ``database_url(settings)`` when one is set, else SQLite on ``db``.

    Nothing is connected here: the adapter connects and migrates on first use (or ``migrate()``).
    The shop's own tables stay on ``db`` either way, for now.
    """
    url = database_url(settings)
    if url:
        if not url.startswith(("postgresql://", "postgres://")):
            raise ValueError(f"database_url must be a postgresql:// URL (got {url.split(':', 1)[0]}:...)")
        return PostgresSupportStore(url)
    return SQLiteSupportStore(db)


__all__ = [
    "DATABASE_URL_ENV", "ConversationInfo", "ConversationStatus", "Database", "FixtureHistory", "MemoryEntry",
    "MetricConversation", "MetricMessage", "MetricRecords", "PendingToolCall", "PostgresSupportStore", "Rating",
    "Record", "SQLiteSupportStore", "StoredMessage", "SupportStore", "TurnRecord", "TurnUsage", "database_url",
    "new_id", "open_support_store", "stored_time", "utcnow",
]
