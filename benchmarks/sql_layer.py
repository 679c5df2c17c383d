"""Per-statement cost of the store's SQL layer (``ShopDatabase``) against SQLAlchemy Core's async engine.

The store's statements are small: one row written in a transaction, one row read back. This times
``N`` such pairs (an ``INSERT ... RETURNING id`` committed on its own, then a ``SELECT`` of that row)
on the same database through each layer, alternating rounds so both see the same machine, and
prints the median microseconds per pair and SQLAlchemy's ratio to the project's layer, for Core as a
store would use it (a pooled connection per unit of work) and at its best (one connection held throughout). SQLite: a WAL
file with the pragmas ``Database.open`` sets; SQLAlchemy gets them on connect. PostgreSQL (``--postgres``):
a throwaway cluster from ``tests/pg.py`` on 127.0.0.1, both layers on pools of the same size.

    python benchmarks/sql_layer.py [-n 2000] [--rounds 5] [--postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Awaitable, Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Column, Integer, MetaData, Table, Text, event, insert, select  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine  # noqa: E402

from support_tui.core.store.sql.database import ShopDatabase  # noqa: E402
from support_tui.core.store.sql.engines import asyncpg_url  # noqa: E402

METADATA = MetaData()
NOTES = Table("bench_notes", METADATA, Column("id", Integer, primary_key=True), Column("conversation", Text),
              Column("body", Text))
"""The table both layers write: an id the database hands out, and two text columns."""

Pair = Callable[[int], Awaitable[None]]


def own_pair(db: ShopDatabase, table: str) -> Pair:
    async def pair(i: int) -> None:
        async with db.transaction() as tx:
            new_id = await tx.scalar(f"INSERT INTO {table} (conversation, body) VALUES (?, ?) RETURNING id",
                                     (f"c{i % 50}", f"message {i}"))
        row = await db.fetchone(f"SELECT id, conversation, body FROM {table} WHERE id = ?", (new_id,))
        assert row is not None and row[0] == new_id
    return pair


def core_pair(engine: AsyncEngine) -> Pair:
    async def pair(i: int) -> None:
        async with engine.begin() as conn:
            new_id = (await conn.execute(
                insert(NOTES).values(conversation=f"c{i % 50}", body=f"message {i}").returning(NOTES.c.id))).scalar_one()
        async with engine.connect() as conn:
            row = (await conn.execute(select(NOTES).where(NOTES.c.id == new_id))).first()
        assert row is not None and row[0] == new_id
    return pair


async def held_pair(engine: AsyncEngine, n: int, start: int) -> float:
    """Core's best case: one connection held for all ``n`` pairs (no pool check-out or reset per statement)."""
    async with engine.connect() as conn:
        began = time.perf_counter()
        for i in range(start, start + n):
            async with conn.begin():
                new_id = (await conn.execute(insert(NOTES).values(conversation=f"c{i % 50}", body=f"message {i}")
                                             .returning(NOTES.c.id))).scalar_one()
            async with conn.begin():
                row = (await conn.execute(select(NOTES).where(NOTES.c.id == new_id))).first()
            assert row is not None and row[0] == new_id
        return (time.perf_counter() - began) / n * 1e6


async def timed(pair: Pair, n: int, start: int) -> float:
    """Microseconds per pair over ``n`` pairs."""
    began = time.perf_counter()
    for i in range(start, start + n):
        await pair(i)
    return (time.perf_counter() - began) / n * 1e6


async def compare(name: str, own: Pair, engine: AsyncEngine, n: int, rounds: int) -> dict[str, float]:
    core = core_pair(engine)
    await timed(own, 50, 0)  # warm all three: pools filled, statements prepared and cached
    await timed(core, 50, 0)
    await held_pair(engine, 50, 0)
    runs: dict[str, list[float]] = {"own": [], "core": [], "held": []}
    ways: dict[str, Callable[[int], Awaitable[float]]] = {
        "own": lambda start: timed(own, n, start),
        "core": lambda start: timed(core, n, start),
        "held": lambda start: held_pair(engine, n, start),
    }
    order = list(ways)
    for r in range(rounds):
        for k, way in enumerate(order[r % 3:] + order[:r % 3]):  # each way first in turn
            runs[way].append(await ways[way]((r * 3 + k + 1) * n))
    own_us, core_us, held_us = (statistics.median(runs[k]) for k in ("own", "core", "held"))
    print(f"{name:10} ShopDatabase {own_us:7.1f} us/pair | SQLAlchemy Core async, pooled {core_us:7.1f} us/pair"
          f" ({core_us / own_us:.2f}x) | Core, one held connection {held_us:7.1f} us/pair ({held_us / own_us:.2f}x)"
          f"   [{rounds} rounds of {n}, medians]")
    return {"own_us": own_us, "core_us": core_us, "held_us": held_us}


async def on_sqlite(n: int, rounds: int) -> dict[str, float]:
    from support_tui.core.store.sql.sqlite import Database

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        db = await Database.open(path)
        await db.write("CREATE TABLE bench_notes (id INTEGER PRIMARY KEY, conversation TEXT, body TEXT)")
        engine = create_async_engine(f"sqlite+aiosqlite:///{path}")

        @event.listens_for(engine.sync_engine, "connect")
        def pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=30000"):
                cursor.execute(f"PRAGMA {pragma}")
            cursor.close()

        try:
            return await compare("sqlite", own_pair(db, "bench_notes"), engine, n, rounds)
        finally:
            await engine.dispose()
            await db.close()


async def on_postgres(n: int, rounds: int) -> dict[str, float]:
    from support_tui.core.store.sql.postgres import PostgresShopDatabase
    from tests.pg import PostgresCluster

    cluster = PostgresCluster().start()
    try:
        url = await cluster.new_database("bench")
        db = PostgresShopDatabase(url, min_size=1, max_size=5)
        await db.write("CREATE TABLE bench_notes (id INTEGER GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
                       " conversation TEXT, body TEXT)")
        engine = create_async_engine(asyncpg_url(url), pool_size=5)
        try:
            return await compare("postgresql", own_pair(db, "bench_notes"), engine, n, rounds)
        finally:
            await engine.dispose()
            await db.close()
    finally:
        cluster.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=2000, help="pairs per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--postgres", action="store_true", help="also on a throwaway PostgreSQL cluster")
    args = parser.parse_args()
    asyncio.run(on_sqlite(args.n, args.rounds))
    if args.postgres:
        asyncio.run(on_postgres(args.n, args.rounds))


if __name__ == "__main__":
    main()
