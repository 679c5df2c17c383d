"""What breaks a tie between two turns started in the same millisecond: the order they were stored in.

SQLite numbers every row (``rowid``); the PostgreSQL schema gives turns an identity column ``seq``.
"""

from __future__ import annotations

from support_tui.core.store.sql.database import Dialect


def turn_order(dialect: Dialect) -> str:
    """``ORDER BY`` terms for turns in the order they started."""
    return "started_at, seq" if dialect == "postgresql" else "started_at, rowid"
