"""The support records (conversations, messages, turns, the trace, approvals, ratings, memory) behind one interface.

- ``SupportStore`` (``protocol``): the Protocol every backend implements, with a docstring per method.
- ``records``: the typed values that cross it (``ConversationInfo``, ``StoredMessage``, ``TurnRecord`` ...).
- ``SQLiteSupportStore`` (``sqlite_store``): the embedded adapter and its migrations, over ``Database``
  (``sqlite``: one aiosqlite connection, WAL, a statement counter).
- ``migrations``: the shape of a versioned migration list; each adapter keeps its own.
"""

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

__all__ = [
    "ConversationInfo", "ConversationStatus", "Database", "FixtureHistory", "MemoryEntry", "MetricConversation",
    "MetricMessage", "MetricRecords", "PendingToolCall", "Rating", "Record", "SQLiteSupportStore", "StoredMessage",
    "SupportStore", "TurnRecord", "TurnUsage", "new_id", "stored_time", "utcnow",
]
