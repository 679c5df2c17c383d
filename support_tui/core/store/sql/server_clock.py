"""The database's own clock in SQL, as seconds since the epoch: leases are read on it, so every process agrees."""

from __future__ import annotations

from support_tui.core.store.sql.database import Dialect

_NOW: dict[Dialect, str] = {
    "sqlite": "((julianday('now') - 2440587.5) * 86400.0)",
    "postgresql": "extract(epoch from clock_timestamp())",
}


def now_sql(dialect: Dialect) -> str:
    """An SQL expression for the current time in seconds since the epoch, on the database server's clock."""
    return _NOW[dialect]
