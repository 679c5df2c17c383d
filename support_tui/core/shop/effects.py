"""Exactly-once effects for a shop on a ``ShopDatabase``: each consequential call's key and result, stored with its effect.

A shop keeps one table of effects (``effects_table`` makes its statements, named by the shop). A
keyed call runs as ``once``: in one transaction the key is locked, looked up and, when absent, the
call's writes are made and the key is stored with the call and its result. The transaction commits
all of it or none, so a call killed at any moment either moved nothing and left no key, or moved
once and left its key; a second call with the key returns the stored result and moves nothing.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable, Mapping

from support_tui.core.shop.protocol import RecordedEffect
from support_tui.core.store.sql.database import ShopReader, ShopTransaction


def effects_table(name: str, text: str = "TEXT") -> tuple[str, ...]:
    """The statements that make a shop's effects table ``name`` (``text``: the dialect's text column type)."""
    return (
        f"CREATE TABLE IF NOT EXISTS {name} (key {text} PRIMARY KEY, conversation_id {text} NOT NULL,"
        f" tool {text} NOT NULL, arguments TEXT NOT NULL, result TEXT NOT NULL, created_at TEXT NOT NULL)",
    )


def _lock_number(key: str) -> int:
    """A signed 64-bit number for the key's advisory lock (PostgreSQL's ``pg_advisory_xact_lock`` takes a bigint)."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)


async def recorded(reader: ShopReader, table: str, key: str) -> RecordedEffect | None:
    """The effect stored under ``key`` in ``table``, or None."""
    row = await reader.fetchone(f"SELECT key, tool, arguments, result FROM {table} WHERE key = ?", (key,))
    if row is None:
        return None
    return RecordedEffect(key=row["key"], tool=row["tool"], arguments=json.loads(row["arguments"]),
                          result=json.loads(row["result"]))


async def once(
    tx: ShopTransaction, table: str, key: str, conversation_id: str, tool: str, arguments: Mapping[str, Any],
    effect: Callable[[], Awaitable[Any]],
) -> Any:
    """Run ``effect`` inside ``tx`` unless ``key`` is stored; store it with the result in the same transaction.

    Two processes with one key at once (a worker thought dead and its successor) are served one after
    the other under the key's lock: the second finds the first's key and gets its result.
    """
    await tx.advisory_lock(_lock_number(key))
    done = await recorded(tx, table, key)
    if done is not None:
        return done.result
    result = await effect()
    await tx.write(
        f"INSERT INTO {table} (key, conversation_id, tool, arguments, result, created_at) VALUES (?,?,?,?,?,?)",
        (key, conversation_id, tool, json.dumps(dict(arguments), sort_keys=True), json.dumps(result),
         datetime.now(timezone.utc).isoformat(timespec="seconds")),
    )
    return result
