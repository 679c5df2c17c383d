"""Which failures mean "the database cannot be reached now" (a restart, a dropped connection, a lock held too long).

The customer channel answers those with 503 and a Retry-After, and its workers give such a turn
back instead of failing it: the request or the turn can succeed once the database is back. Any
other exception is a fault of the request or the code, and stays one.
"""

from __future__ import annotations

import asyncio
import sqlite3

import asyncpg

_POSTGRES_AWAY = (
    asyncpg.PostgresConnectionError,  # SQLSTATE class 08: the connection failed or was lost
    asyncpg.CannotConnectNowError,  # 57P03: starting up or shutting down
    asyncpg.AdminShutdownError,  # 57P01: terminated by a shutdown
    asyncpg.CrashShutdownError,  # 57P02
    asyncpg.TooManyConnectionsError,
)
_INTERFACE_AWAY = ("connection is closed", "pool is closing", "pool is closed", "connection was closed")
_SQLITE_AWAY = ("database is locked", "unable to open database", "disk i/o error")


def store_unavailable(exc: BaseException) -> bool:
    """True when ``exc`` (or what caused it) says the database could not be reached or answered in time."""
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 8:
        if _away(current):
            return True
        current = current.__cause__ or current.__context__
        seen += 1
    return False


def _away(exc: BaseException) -> bool:
    if isinstance(exc, (OSError, asyncio.TimeoutError, *_POSTGRES_AWAY)):
        return True
    if isinstance(exc, asyncpg.InterfaceError):
        return any(text in str(exc) for text in _INTERFACE_AWAY)
    if isinstance(exc, sqlite3.OperationalError):
        return any(text in str(exc).lower() for text in _SQLITE_AWAY)
    return False
