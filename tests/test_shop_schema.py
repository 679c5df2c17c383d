"""The shops' versioned schemas on both dialects: applied once, recorded per shop, the same columns on SQLite
and PostgreSQL, an older data directory adopted, a newer database refused; ``?`` placeholders for PostgreSQL."""

from __future__ import annotations

import sqlite3

import pytest

from support_tui.core.store import Database, PostgresShopDatabase
from support_tui.core.store.sql.migrations import MigrationError
from support_tui.core.store.sql.database import numbered_placeholders
from support_tui.core.store.sql.shop_schema import apply_schema, schema_version
from support_tui.shops.northwind.schema import NORTHWIND_SCHEMA, SCHEMA
from support_tui.shops.taubench_retail.store import TAU_SCHEMA
from tests.pg import BACKENDS

SCHEMAS = (NORTHWIND_SCHEMA, TAU_SCHEMA)


@pytest.fixture(params=BACKENDS)
async def empty(request, tmp_path):
    """An empty database of each backend (no tables at all)."""
    if request.param == "sqlite":
        db = await Database.open(tmp_path / "shop.db")
    else:
        db = PostgresShopDatabase(await request.getfixturevalue("pg_cluster").new_database())
    try:
        yield db
    finally:
        await db.close()


def test_both_dialects_have_the_same_migrations_number_for_number():
    for schema in SCHEMAS:
        assert [(m.version, m.name) for m in schema.sqlite] == [(m.version, m.name) for m in schema.postgresql]


async def test_applying_twice_records_each_shop_once(empty):
    for schema in SCHEMAS:
        assert await schema_version(empty, schema) == 0
        assert await apply_schema(empty, schema) == len(schema.migrations(empty.dialect))
        assert await apply_schema(empty, schema) == len(schema.migrations(empty.dialect))
        assert await schema_version(empty, schema) == len(schema.migrations(empty.dialect))
    rows = await empty.fetchall("SELECT component, version FROM schema_version ORDER BY component, version")
    assert [tuple(r) for r in rows] == [("northwind", 1), ("northwind", 2), ("taubench-retail", 1), ("taubench-retail", 2)]


async def test_the_two_dialects_make_the_same_tables_and_columns(tmp_path, pg_cluster):
    lite = await Database.open(tmp_path / "lite.db")
    pg = PostgresShopDatabase(await pg_cluster.new_database())
    try:
        for schema in SCHEMAS:
            await apply_schema(lite, schema)
            await apply_schema(pg, schema)
            for table in schema.tables:
                ours = [r["name"] for r in await lite.fetchall(f"PRAGMA table_info({table})")]
                theirs = [r["column_name"] for r in await pg.fetchall(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
                    (table,))]
                assert ours == theirs and ours, table
    finally:
        await lite.close()
        await pg.close()


async def test_a_data_directory_made_before_shop_migrations_is_adopted_with_its_rows(tmp_path):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:  # what NorthwindShop.open used to create, with a row in it
        conn.executescript(SCHEMA)
        conn.execute("INSERT INTO store_meta (key, value) VALUES ('created_at', '2026-03-15')")
    db = await Database.open(path)
    try:
        assert await apply_schema(db, NORTHWIND_SCHEMA) == len(NORTHWIND_SCHEMA.sqlite)
        assert await db.scalar("SELECT value FROM store_meta WHERE key = 'created_at'") == "2026-03-15"
    finally:
        await db.close()


async def test_a_shop_schema_newer_than_the_code_is_refused(empty):
    await apply_schema(empty, NORTHWIND_SCHEMA)
    await empty.write("UPDATE alembic_version_northwind SET version_num = 'northwind_0003'")
    with pytest.raises(MigrationError, match="newer"):
        await apply_schema(empty, NORTHWIND_SCHEMA)


@pytest.mark.parametrize(("sql", "expected"), [
    ("SELECT * FROM t WHERE a = ? AND b = ?", "SELECT * FROM t WHERE a = $1 AND b = $2"),
    ("SELECT '?' , ? FROM t", "SELECT '?' , $1 FROM t"),
    ("SELECT 'it''s ?', ?", "SELECT 'it''s ?', $1"),
    ('SELECT "odd?col", ?', 'SELECT "odd?col", $1'),
    ("SELECT ? -- why?\n, ?", "SELECT $1 -- why?\n, $2"),
])
def test_placeholders_are_numbered_outside_quotes_and_comments(sql, expected):
    assert numbered_placeholders(sql) == expected


async def test_a_new_rows_id_comes_from_returning_on_both(empty):
    await apply_schema(empty, NORTHWIND_SCHEMA)
    async with empty.transaction() as tx:
        await tx.write("INSERT INTO customers (id, name, email, tier, created_at) VALUES (?, ?, ?, ?, ?)",
                       ("cust_x", "X", "x@example.com", "standard", "2026-03-15T10:00:00"))
        ids = [await tx.scalar("INSERT INTO addresses (customer_id, street, city, postal_code, country)"
                               " VALUES (?, ?, ?, ?, ?) RETURNING id", ("cust_x", f"{n} High St", "Leeds", "LS1", "UK"))
               for n in (1, 2)]
        touched = await tx.write("UPDATE addresses SET is_default = 1 WHERE customer_id = ?", ("cust_x",))
    assert ids[1] > ids[0] >= 1 and touched == 2
    assert await empty.scalar("SELECT street FROM addresses WHERE id = ?", (ids[1],)) == "2 High St"
