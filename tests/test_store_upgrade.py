"""A database written by the release before this code (tests/release_db) upgrades in place with nothing lost, on SQLite and PostgreSQL.

The fixtures were made once by ``tests/release_db/make.py`` on that release: a data directory's
``support.db`` and a ``pg_dump`` of a PostgreSQL database, each set up as the console does on
first use (the demo shop, weeks of history) plus records of every kind and a shop effect of each shop.
"""

from __future__ import annotations

import gzip
import sqlite3
import subprocess
from pathlib import Path
from typing import Any, AsyncIterator

import asyncpg
import pytest

from support_tui.core.factory import open_store
from support_tui.core.paths import DataPaths
from support_tui.core.settings import Settings
from support_tui.core.shop import effects
from support_tui.shops.northwind.schema import EFFECTS as NW_EFFECTS
from support_tui.shops.taubench_retail import open_taubench_shop
from support_tui.shops.taubench_retail.store import EFFECTS as TAU_EFFECTS
from tests.pg import PG_BIN

RELEASE = Path(__file__).parent / "release_db"

Rows = dict[str, set[tuple[Any, ...]]]
"""Every table's rows, each as the values of the columns the release wrote (by column name, sorted)."""


def _sqlite_rows(path: Path) -> Rows:
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        out: Rows = {}
        for table in tables:
            cursor = conn.execute(f'SELECT * FROM "{table}"')
            names = [d[0] for d in cursor.description]
            out[table] = {tuple(sorted(zip(names, row))) for row in cursor.fetchall()}
        return out


async def _postgres_rows(url: str) -> Rows:
    conn = await asyncpg.connect(url)
    try:
        tables = [r[0] for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        out: Rows = {}
        for table in tables:
            rows = await conn.fetch(f'SELECT * FROM "{table}"')
            out[table] = {tuple(sorted((k, repr(v)) for k, v in row.items())) for row in rows}
        return out
    finally:
        await conn.close()


def _kept(before: Rows, after: Rows) -> None:
    """Every row of every table of the release is still there, column for column (new columns and tables may be added)."""
    for table, rows in before.items():
        if table in ("schema_version", "alembic_version"):
            continue
        assert table in after, f"table {table} is gone"
        columns = {name for row in rows for name, _ in row}
        kept = {tuple(item for item in row if item[0] in columns) for row in after[table]}
        missing = rows - kept
        assert not missing, f"{len(missing)} rows of {table} changed or went, e.g. {sorted(missing)[:1]}"


async def _check_records(home: Path, url: str | None) -> None:
    """Today's code opens the upgraded database, finds every kind of record, and goes on working with it."""
    db, store, shop = await open_store(DataPaths(home), Settings(database_url=url))
    try:
        conv = await store.get_conversation("conv_upgrade")
        assert conv is not None and conv.held_by == "agent_ana" and conv.priority == "high"
        assert conv.state == {"order": "NW-1001", "note": "café ☕"}
        texts = [(m.role, m.text) for m in await store.messages(conv.id)]
        assert texts == [("customer", "Where is my order NW-1001?"), ("assistant", "It is on its way."),
                         ("customer", "And can I return it?")]
        [turn] = await store.turns(conv.id)
        assert turn.status == "done" and turn.timings == {"persist": 0.001}
        [event] = await store.events(conv.id, turn.id)
        assert event.kind == "notice" and "☕" in event.model_dump_json(), event
        assert [c.call_id for c in await store.pending_calls(conv.id)] == ["call_pending"]
        decided = await store.get_pending_call("call_decided")
        assert decided is not None and decided.status == "approved" and decided.decided_by == "agent_ana"
        rating = await store.rating(conv.id)
        assert rating is not None and rating.score == 4
        assert [m.summary for m in await store.memories("cust_upgrade")] == ["asked where NW-1001 is"]
        assert await store.fixture_history_loaded()
        for table in (NW_EFFECTS, TAU_EFFECTS):
            done = await effects.recorded(db, table, f"{table}:key1")
            assert done is not None and done.result == {"refunded": 12.5}
        await open_taubench_shop(db)
        # The queue goes on: the waiting message is claimed, answered once, and the job finishes.
        jobs = await store.turn_jobs(conv.id)
        assert [j.status for j in jobs] == ["done", "queued"]
        job = await store.claim_turn_job("host:2:1", lease_s=30.0)
        assert job is not None and job.message_id == jobs[1].message_id
        reply = await store.add_message(conv.id, "assistant", "Yes, within 30 days.", reply_to=job.message_id)
        assert await store.add_message(conv.id, "assistant", "again", reply_to=job.message_id) == reply
        assert await store.finish_turn_job(job, "done")
        new = await store.create_conversation("cust_new")
        assert (await store.get_conversation(new.id)) is not None
    finally:
        await store.close()
        await db.close()


async def test_a_release_data_directory_upgrades_in_place(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    path = home / "support.db"
    path.write_bytes(gzip.decompress((RELEASE / "support.db.gz").read_bytes()))
    before = _sqlite_rows(path)
    assert before["conversations"] and before["turn_jobs"]
    await _open(home, None)
    _kept(before, _sqlite_rows(path))
    await _check_records(home, None)


async def _open(home: Path, url: str | None) -> None:
    """Open the data directory as the console does (which upgrades it), and close it."""
    db, store, _shop = await open_store(DataPaths(home), Settings(database_url=url))
    await store.close()
    await db.close()


@pytest.fixture
async def release_postgres(pg_cluster) -> AsyncIterator[str]:
    url = await pg_cluster.new_database("release")
    restored = subprocess.run([str(PG_BIN / "psql"), "-q", "-v", "ON_ERROR_STOP=1", "-d", url],
                              input=gzip.decompress((RELEASE / "postgres.sql.gz").read_bytes()).decode(),
                              capture_output=True, text=True, timeout=120)
    assert restored.returncode == 0, restored.stderr[-2000:]
    yield url


async def test_a_release_postgres_database_upgrades_in_place(release_postgres, tmp_path):
    before = await _postgres_rows(release_postgres)
    assert before["conversations"] and before["turn_jobs"]
    await _open(tmp_path, release_postgres)
    _kept(before, await _postgres_rows(release_postgres))
    await _check_records(tmp_path, release_postgres)
