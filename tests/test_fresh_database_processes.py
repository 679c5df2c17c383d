"""Several processes starting on one fresh database at once set it up once, on SQLite and PostgreSQL.

Four real processes (not tasks of one) wait at a starting line, then each opens the store as a
console or a worker does (``open_store``: support schema, the shop's schema, the shop's rows, the
fixture history). Afterwards each component is at its head exactly once, each migration step is
recorded once, and the shop's rows and the fixture history are what one process alone makes.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from support_tui.core.paths import DataPaths
from support_tui.core.settings import Settings
from support_tui.core.store.sql.sqlite import Database
from tests.pg import BACKENDS

OPENERS = 4

OPEN = textwrap.dedent("""
    import asyncio, sys, time
    from pathlib import Path
    from support_tui.core.factory import open_store
    from support_tui.core.paths import DataPaths
    from support_tui.core.settings import Settings

    home, url, ready, go = sys.argv[1], sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4])
    ready.touch()
    while not go.exists():
        time.sleep(0.005)

    async def main() -> None:
        db, store, _shop = await open_store(DataPaths(Path(home)), Settings(database_url=url or None))
        await store.close()
        await db.close()

    asyncio.run(main())
""")


async def _counts(db) -> dict[str, int]:
    return {
        "orders": await db.scalar("SELECT COUNT(*) FROM orders"),
        "customers": await db.scalar("SELECT COUNT(*) FROM customers"),
        "fixture conversations": await db.scalar("SELECT COUNT(*) FROM conversations WHERE is_fixture"),
        "fixture messages": await db.scalar(
            "SELECT COUNT(*) FROM messages WHERE conversation_id IN (SELECT id FROM conversations WHERE is_fixture)"),
        "steps recorded": await db.scalar("SELECT COUNT(*) FROM schema_version"),
        "distinct steps": await db.scalar("SELECT COUNT(*) FROM (SELECT DISTINCT component, version FROM schema_version) s"),
        "support heads": await db.scalar("SELECT COUNT(*) FROM alembic_version_support"),
        "northwind heads": await db.scalar("SELECT COUNT(*) FROM alembic_version_northwind"),
    }


async def _opened_counts(home: Path, url: str) -> dict[str, int]:
    from support_tui.core.factory import open_store

    db, store, _shop = await open_store(DataPaths(home), Settings(database_url=url or None))
    try:
        return await _counts(db)
    finally:
        await store.close()
        await db.close()


@pytest.mark.parametrize("backend", BACKENDS)
async def test_four_processes_on_one_fresh_database_set_it_up_once(backend, tmp_path, request):
    if backend == "postgres":
        cluster = request.getfixturevalue("pg_cluster")
        url, alone_url = await cluster.new_database(), await cluster.new_database()
        homes = [tmp_path / f"home{n}" for n in range(OPENERS)]  # one database, four machines
    else:
        url = alone_url = ""
        homes = [tmp_path / "home"] * OPENERS  # one data directory, four processes
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    env.pop("SUPPORT_TUI_DATABASE_URL", None)
    ready = [tmp_path / f"ready{n}" for n in range(OPENERS)]
    # Each child writes to a file, not a pipe: a child blocked on a full pipe that the test is not reading
    # yet (it waits on the children in turn) could hold the database's lock and stall the others.
    logs = [tmp_path / f"opener{n}.log" for n in range(OPENERS)]
    children = []
    for home, flag, log in zip(homes, ready, logs):
        with log.open("wb") as out:
            children.append(subprocess.Popen([sys.executable, "-c", OPEN, str(home), url, str(flag), str(go)], env=env,
                                             stdout=out, stderr=subprocess.STDOUT))
    deadline = time.monotonic() + 120
    while not all(flag.exists() for flag in ready) and time.monotonic() < deadline:
        time.sleep(0.01)  # until all four are past their imports and waiting at the line
    go.touch()
    finish = time.monotonic() + 240
    for child in children:
        try:
            child.wait(timeout=max(finish - time.monotonic(), 1))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    outputs = [log.read_text(errors="replace") for log in logs]
    assert [child.returncode for child in children] == [0] * OPENERS, "\n---\n".join(outputs)

    together = await _opened_counts(homes[0], url)
    alone = await _opened_counts(tmp_path / "alone", alone_url)
    assert together == alone
    assert together["steps recorded"] == together["distinct steps"] > 0
    assert together["support heads"] == together["northwind heads"] == 1
    assert together["orders"] > 0 and together["fixture conversations"] > 0


async def test_opening_a_file_while_another_connection_writes_to_it_waits_for_the_write(tmp_path: Path) -> None:
    """Switching a file to WAL while another connection holds a write lock is refused at once, with no busy
    wait ("database is locked" in 0.0 s): the open retries until the writer is done (one of the four
    processes above failed so, and then hung on its unclosed connection)."""
    path = tmp_path / "shop.db"
    holding, release = threading.Event(), threading.Event()

    def writer() -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("CREATE TABLE t (x INTEGER)")
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t VALUES (1)")
        holding.set()
        release.wait(10)
        conn.execute("COMMIT")
        conn.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert holding.wait(10)
        asyncio.get_running_loop().call_later(0.3, release.set)
        db = await Database.open(path)
        try:
            assert (await db.fetchall("PRAGMA journal_mode"))[0][0] == "wal"
            assert (await db.fetchall("SELECT x FROM t"))[0][0] == 1
        finally:
            await db.close()
    finally:
        release.set()
        thread.join(10)
