"""Versioned migrations of the support schema: a fresh database, a re-open, an old database, a newer one."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from support_tui.core.store import Database, SQLiteSupportStore
from support_tui.core.store.migrations import Migration, MigrationError, check_migrations, pending
from support_tui.core.store.sqlite_store import MIGRATIONS

SUPPORT_TABLES = {"conversations", "messages", "turns", "events", "pending_tool_calls", "ratings", "customer_memory"}


def _tables(path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _versions(path) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT component, version, name FROM schema_version ORDER BY version").fetchall()


async def test_database_open_creates_no_tables(tmp_path):
    db = await Database.open(tmp_path / "empty.db")
    await db.close()
    assert _tables(tmp_path / "empty.db") == set()


async def test_a_fresh_database_sets_itself_up_on_first_use(tmp_path):
    path = tmp_path / "fresh.db"
    db = await Database.open(path)
    try:
        store = SQLiteSupportStore(db)
        assert await store.schema_version() == 0
        await store.create_conversation("cust_1")  # no explicit migrate(): first use does it
        assert await store.schema_version() == len(MIGRATIONS) == await store.migrate()
    finally:
        await db.close()
    assert SUPPORT_TABLES | {"schema_version"} <= _tables(path)
    assert _versions(path) == [("support", m.version, m.name) for m in MIGRATIONS]


async def test_applying_twice_and_reopening_change_nothing(tmp_path):
    path = tmp_path / "again.db"
    for _ in range(2):
        db = await Database.open(path)
        try:
            store = SQLiteSupportStore(db)
            await store.migrate()
            before = db.statements
            assert await store.migrate() == len(MIGRATIONS) and db.statements == before  # cached: no SQL at all
            await store.create_conversation("cust_1")
        finally:
            await db.close()
    assert len(_versions(path)) == len(MIGRATIONS)
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM conversations").fetchone()[0] == 2


async def test_reopening_an_up_to_date_database_only_reads_its_version(tmp_path):
    path = tmp_path / "reopen.db"
    db = await Database.open(path)
    await SQLiteSupportStore(db).migrate()
    await db.close()
    db = await Database.open(path)
    try:
        await SQLiteSupportStore(db).migrate()
        assert db.statements == 1
    finally:
        await db.close()


async def test_a_database_from_before_migrations_is_adopted_with_its_rows(tmp_path):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:  # what Database.open used to create, with a row in it
        for statement in MIGRATIONS[0].statements:
            conn.execute(statement)
        conn.execute("INSERT INTO conversations (id, customer_id, created_at, updated_at) VALUES ('c_old', 'cust', 'x', 'x')")
    db = await Database.open(path)
    try:
        store = SQLiteSupportStore(db)
        assert await store.schema_version() == 0
        assert await store.migrate() == len(MIGRATIONS)
        assert (await store.get_conversation("c_old")) is not None
    finally:
        await db.close()
    with sqlite3.connect(path) as conn:
        indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"messages_role", "pending_conversation", "memory_customer"} <= indexes


async def test_two_stores_migrating_one_file_at_once(tmp_path):
    path = tmp_path / "race.db"
    one, two = await Database.open(path), await Database.open(path)
    try:
        versions = await asyncio.gather(SQLiteSupportStore(one).migrate(), SQLiteSupportStore(two).migrate())
        assert versions == [len(MIGRATIONS)] * 2
    finally:
        await one.close()
        await two.close()
    assert len(_versions(path)) == len(MIGRATIONS)


async def test_a_database_newer_than_the_code_is_refused(tmp_path):
    path = tmp_path / "newer.db"
    db = await Database.open(path)
    await SQLiteSupportStore(db).migrate()
    await db.write("INSERT INTO schema_version VALUES ('support', ?, 'from the future', 'x')", (len(MIGRATIONS) + 1,))
    await db.close()
    db = await Database.open(path)
    try:
        with pytest.raises(MigrationError, match="newer"):
            await SQLiteSupportStore(db).create_conversation("cust_1")
    finally:
        await db.close()


async def test_a_failing_migration_leaves_the_database_as_it_was(tmp_path):
    class Broken(SQLiteSupportStore):
        migrations = (*MIGRATIONS, Migration(len(MIGRATIONS) + 1, "broken", ("CREATE TABLE extra (x)", "NOT SQL")))

    path = tmp_path / "broken.db"
    db = await Database.open(path)
    try:
        with pytest.raises(sqlite3.OperationalError):
            await Broken(db).migrate()
    finally:
        await db.close()
    assert _tables(path) == set()


def test_a_list_must_be_numbered_from_one_without_gaps():
    check_migrations(MIGRATIONS)
    with pytest.raises(MigrationError):
        check_migrations([Migration(1, "a", ()), Migration(3, "c", ())])
    assert pending(MIGRATIONS, 1) == list(MIGRATIONS[1:])
