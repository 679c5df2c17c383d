"""Versioned migrations of the support schema: a fresh database, a re-open, an old database, a newer one (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3

import pytest
from sqlalchemy.exc import DBAPIError

from support_tui.core.store import Database, SQLSupportStore, postgres_support_store
from support_tui.core.store.records import support_store
from support_tui.core.store.records.release_schema.postgresql import MIGRATIONS as PG_MIGRATIONS
from support_tui.core.store.records.release_schema.sqlite import MIGRATIONS
from support_tui.core.store.records.support_store import SUPPORT_VERSIONS
from support_tui.core.store.sql.migrate import head, number
from support_tui.core.store.sql.migrations import Migration, MigrationError, check_migrations, pending

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
        store = SQLSupportStore(db)
        assert await store.schema_version() == 0
        await store.create_conversation("cust_1")  # no explicit migrate(): first use does it
        assert await store.schema_version() == len(MIGRATIONS) == await store.migrate()
    finally:
        await db.close()
    assert SUPPORT_TABLES | {"schema_version", "alembic_version_support"} <= _tables(path)
    assert _versions(path) == [("support", m.version, m.name) for m in MIGRATIONS]
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version_support").fetchall() == [("support_0006",)]


async def test_applying_twice_and_reopening_change_nothing(tmp_path):
    path = tmp_path / "again.db"
    for _ in range(2):
        db = await Database.open(path)
        try:
            store = SQLSupportStore(db)
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
    await SQLSupportStore(db).migrate()
    await db.close()
    db = await Database.open(path)
    try:
        await SQLSupportStore(db).migrate()
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
        store = SQLSupportStore(db)
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
        versions = await asyncio.gather(SQLSupportStore(one).migrate(), SQLSupportStore(two).migrate())
        assert versions == [len(MIGRATIONS)] * 2
    finally:
        await one.close()
        await two.close()
    assert len(_versions(path)) == len(MIGRATIONS)


def broken_versions(tmp_path, monkeypatch, module) -> None:
    """The support revisions plus one whose second statement fails, in place of the real folder for ``module``."""
    folder = tmp_path / "versions"
    folder.mkdir()
    shutil.copy(SUPPORT_VERSIONS / "support_0006_baseline.py", folder)
    (folder / "support_0007_broken.py").write_text(
        'from alembic import op\nrevision = "support_0007"\ndown_revision = "support_0006"\n'
        'branch_labels = depends_on = None\n\n\ndef upgrade():\n'
        '    op.execute("CREATE TABLE extra (x integer)")\n    op.execute("NOT SQL")\n')
    monkeypatch.setattr(module, "SUPPORT_VERSIONS", folder)


def test_the_baseline_is_the_release_schema_and_the_head():
    assert head(SUPPORT_VERSIONS) == "support_0006" and number(head(SUPPORT_VERSIONS)) == len(MIGRATIONS)


async def test_a_database_newer_than_the_code_is_refused(tmp_path):
    path = tmp_path / "newer.db"
    db = await Database.open(path)
    await SQLSupportStore(db).migrate()
    await db.write("UPDATE alembic_version_support SET version_num = 'support_9999'")
    await db.close()
    db = await Database.open(path)
    try:
        with pytest.raises(MigrationError, match="newer"):
            await SQLSupportStore(db).create_conversation("cust_1")
    finally:
        await db.close()


async def test_a_failing_migration_leaves_the_database_as_it_was(tmp_path, monkeypatch):
    broken_versions(tmp_path, monkeypatch, support_store)
    path = tmp_path / "broken.db"
    db = await Database.open(path)
    try:
        with pytest.raises(DBAPIError):
            await SQLSupportStore(db).migrate()
    finally:
        await db.close()
    assert _tables(path) == set()


def test_a_list_must_be_numbered_from_one_without_gaps():
    check_migrations(MIGRATIONS)
    with pytest.raises(MigrationError):
        check_migrations([Migration(1, "a", ()), Migration(3, "c", ())])
    assert pending(MIGRATIONS, 1) == list(MIGRATIONS[1:])


# PostgreSQL: the same rules for its own list ---------------------------------------------------------


class _Postgres:
    """A fresh database in the session's cluster, read back with a connection of its own."""

    def __init__(self, url: str) -> None:
        self.url = url

    async def _fetch(self, sql: str, *args) -> list:
        import asyncpg

        conn = await asyncpg.connect(self.url)
        try:
            return await conn.fetch(sql, *args)
        finally:
            await conn.close()

    async def tables(self) -> set[str]:
        return {r[0] for r in await self._fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}

    async def versions(self) -> list[tuple]:
        return [tuple(r) for r in await self._fetch("SELECT component, version, name FROM schema_version ORDER BY version")]


@pytest.fixture
async def pg(pg_cluster):
    return _Postgres(await pg_cluster.new_database())


def test_the_postgres_list_is_the_sqlite_list_step_for_step():
    check_migrations(PG_MIGRATIONS)
    assert [(m.version, m.name) for m in PG_MIGRATIONS] == [(m.version, m.name) for m in MIGRATIONS]


async def test_postgres_a_fresh_database_sets_itself_up_on_first_use_and_a_reopen_only_reads_its_version(pg):
    store = postgres_support_store(pg.url)
    try:
        assert await store.schema_version() == 0
        await store.create_conversation("cust_1")  # no explicit migrate(): first use does it
        assert await store.schema_version() == len(PG_MIGRATIONS) == await store.migrate()
        before = store.statements
        assert await store.migrate() == len(PG_MIGRATIONS) and store.statements == before  # cached: no SQL at all
    finally:
        await store.close()
    assert SUPPORT_TABLES | {"schema_version"} <= await pg.tables()
    assert await pg.versions() == [("support", m.version, m.name) for m in PG_MIGRATIONS]
    again = postgres_support_store(pg.url)
    try:
        await again.migrate()
        assert again.statements == 1
        await again.create_conversation("cust_1")
    finally:
        await again.close()
    assert len(await pg.versions()) == len(PG_MIGRATIONS)
    assert (await pg._fetch("SELECT COUNT(*) FROM conversations"))[0][0] == 2


async def test_postgres_two_processes_migrating_one_database_at_once(pg):
    stores = [postgres_support_store(pg.url) for _ in range(3)]
    try:
        assert await asyncio.gather(*(s.migrate() for s in stores)) == [len(PG_MIGRATIONS)] * 3
    finally:
        for store in stores:
            await store.close()
    assert len(await pg.versions()) == len(PG_MIGRATIONS)


async def test_postgres_a_database_newer_than_the_code_is_refused(pg):
    store = postgres_support_store(pg.url)
    try:
        await store.migrate()
        await store.db.write("UPDATE alembic_version_support SET version_num = 'support_9999'")
    finally:
        await store.close()
    store = postgres_support_store(pg.url)
    try:
        with pytest.raises(MigrationError, match="newer"):
            await store.create_conversation("cust_1")
    finally:
        await store.close()


async def test_postgres_a_failing_migration_leaves_the_database_as_it_was(pg, tmp_path, monkeypatch):
    broken_versions(tmp_path, monkeypatch, support_store)
    store = postgres_support_store(pg.url)
    try:
        with pytest.raises(DBAPIError):
            await store.migrate()
    finally:
        await store.close()
    assert await pg.tables() == set()
