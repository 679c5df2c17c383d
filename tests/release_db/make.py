"""Make the upgrade fixtures: a data directory's SQLite file and a PostgreSQL dump (plain SQL), both gzipped, written by the release's code.

Run once, on the release (commit 8f3bc8f, support schema 6, Northwind 2, tau-bench retail 2), and never
again: the files it writes are what a user's existing database looks like, and ``test_store_upgrade``
opens copies of them with today's code.

    PYTHONPATH=$PWD python tests/release_db/make.py   # needs PostgreSQL 15 (tests/system_deps.sh)
"""

from __future__ import annotations

import asyncio
import gzip
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from support_tui.core.events import Notice  # noqa: E402
from support_tui.core.shop import effects  # noqa: E402
from support_tui.core.store import PendingToolCall  # noqa: E402
from support_tui.core.store.shop_database import ShopDatabase  # noqa: E402
from support_tui.core.store.protocol import SupportStore  # noqa: E402



async def fill(store: SupportStore, db: ShopDatabase) -> None:
    """Records of every kind beside the fixture history: a conversation with a queued, a claimed and an
    answered message, a turn with its trace, a pending and a decided call, a rating, a memory, a claim,
    a shop effect of each shop."""
    from support_tui.shops.northwind.schema import EFFECTS as NW_EFFECTS
    from support_tui.shops.taubench_retail import open_taubench_shop
    from support_tui.shops.taubench_retail.store import EFFECTS as TAU_EFFECTS

    await open_taubench_shop(db)
    conv = await store.create_conversation("cust_upgrade", mode="auto", model="offline", conversation_id="conv_upgrade")
    await store.update_conversation(conv.id, state={"order": "NW-1001", "note": "café ☕"}, priority="high")
    first = await store.enqueue_customer_message(conv.id, "Where is my order NW-1001?")
    job = await store.claim_turn_job("host:1:1", lease_s=30.0)
    assert job is not None and job.message_id == first.message_id
    await store.start_turn(job.turn_id or "turn_x", conv.id, first.message_id)
    await store.append_events([Notice(conversation_id=conv.id, turn_id=job.turn_id or "", code="upgrade", message="looked up NW-1001 ☕")])
    await store.add_message(conv.id, "assistant", "It is on its way.", turn_id=job.turn_id, agent="orders",
                            model="offline", reply_to=first.message_id)
    await store.finish_turn(job.turn_id or "", status="done", events=[], agent="orders", model="offline",
                            timings={"persist": 0.001})
    await store.finish_turn_job(job, "done")
    await store.enqueue_customer_message(conv.id, "And can I return it?")
    await store.add_pending_call(PendingToolCall(
        call_id="call_pending", conversation_id=conv.id, turn_id=job.turn_id or "", agent="orders",
        name="refund_order", arguments={"order_id": "NW-1001", "amount": 12.5}, rule="refund_over_limit",
        reason="over the limit", status="pending", note=None, created_at="2026-11-02T10:00:00.000+00:00"))
    await store.add_pending_call(PendingToolCall(
        call_id="call_decided", conversation_id=conv.id, turn_id=job.turn_id or "", agent="orders",
        name="cancel_order", arguments={"order_id": "NW-1002"}, rule=None, reason=None, status="pending",
        note=None, created_at="2026-11-02T10:00:01.000+00:00"))
    await store.decide_pending_call("call_decided", "approved", "agent_ana", "fine")
    await store.rate(conv.id, 4, "quick")
    await store.remember("cust_upgrade", conv.id, "asked where NW-1001 is")
    await store.claim_conversation(conv.id, "agent_ana")
    for table in (NW_EFFECTS, TAU_EFFECTS):
        async with db.transaction() as tx:
            async def effect() -> Any:
                return {"refunded": 12.5}
            await effects.once(tx, table, f"{table}:key1", conv.id, "refund_order", {"order_id": "NW-1001"}, effect)


async def make(home: Path, url: str | None) -> None:
    """A data directory set up as the console does on first use (the demo shop, its customers and orders,
    weeks of fixture history), then ``fill``."""
    from support_tui.core.factory import open_store
    from support_tui.core.paths import DataPaths
    from support_tui.core.settings import Settings

    db, store, _shop = await open_store(DataPaths(home), Settings(database_url=url))
    try:
        await fill(store, db)
    finally:
        await store.close()
        await db.close()


async def make_sqlite(home: Path) -> None:
    await make(home, None)
    path = home / "support.db"
    with sqlite3.connect(path) as conn:  # one file, no -wal beside it
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("VACUUM")


async def make_postgres(url: str, out: Path, pg_dump: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        await make(Path(tmp), url)
    dump = subprocess.run([str(pg_dump), "--no-owner", "--no-privileges", "-d", url], capture_output=True, text=True,
                          check=True)
    out.write_bytes(gzip.compress(dump.stdout.encode(), 9, mtime=0))


async def main() -> None:
    sys.path.insert(0, str(HERE.parent))
    from pg import PG_BIN, PostgresCluster

    with tempfile.TemporaryDirectory() as tmp:
        await make_sqlite(Path(tmp))
        (HERE / "support.db.gz").write_bytes(gzip.compress((Path(tmp) / "support.db").read_bytes(), 9, mtime=0))
    cluster = PostgresCluster().start()
    try:
        await make_postgres(await cluster.new_database("release"), HERE / "postgres.sql.gz", PG_BIN / "pg_dump")
    finally:
        cluster.stop()


if __name__ == "__main__":
    asyncio.run(main())
