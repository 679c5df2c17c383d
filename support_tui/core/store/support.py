"""Compatibility path: the names callers imported from here before the store had a Protocol.

``SupportStore`` here is the SQLite adapter (``SQLiteSupportStore``), constructed as
``SupportStore(db)``; the Protocol of the same name is ``support_tui.core.store.protocol.SupportStore``.
New code imports from ``support_tui.core.store`` (records, the Protocol, the adapter).
"""

from support_tui.core.store.records import (
    ConversationInfo,
    ConversationStatus,
    MemoryEntry,
    PendingToolCall,
    Rating,
    StoredMessage,
    TurnRecord,
    new_id,
    utcnow,
)
from support_tui.core.store.sqlite_store import SQLiteSupportStore

SupportStore = SQLiteSupportStore

__all__ = [
    "ConversationInfo", "ConversationStatus", "MemoryEntry", "PendingToolCall", "Rating", "StoredMessage",
    "SupportStore", "TurnRecord", "new_id", "utcnow",
]
