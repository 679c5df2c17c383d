"""Applying a shop's versioned schema to its database, once, whichever process gets there first.

The shop's migrations are recorded in the same ``schema_version`` table as the support records',
under the shop's own ``component``. On PostgreSQL every migrator of a database takes one advisory
lock (the support store's ``MIGRATION_LOCK``), so consoles and workers starting together on a fresh
database apply each step once; on SQLite ``BEGIN IMMEDIATE`` serialises them.
"""

from __future__ import annotations

from support_tui.core.store.migrations import pending
from support_tui.core.store.postgres_store import MIGRATION_LOCK
from support_tui.core.store.records import utcnow
from support_tui.core.store.shop_database import ShopDatabase, ShopReader, ShopSchema

SETUP_LOCK = 0x5355_5050_4F52_5402
"""The advisory lock a shop's first-use loading (its fixtures) holds, so two processes load them once."""

SCHEMA_VERSION_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_version ("
    " component TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL, applied_at TEXT NOT NULL,"
    " PRIMARY KEY (component, version))"
)
"""The same table both support-record adapters create (whoever comes first makes it)."""


async def _applied(reader: ShopReader, component: str) -> int:
    value = await reader.scalar("SELECT MAX(version) FROM schema_version WHERE component = ?", (component,))
    return int(value or 0)


async def schema_version(db: ShopDatabase, schema: ShopSchema) -> int:
    """The shop's schema version in ``db`` (0 before its first migration)."""
    if db.dialect == "postgresql":
        exists = await db.scalar("SELECT to_regclass('schema_version') IS NOT NULL")
    else:
        exists = await db.scalar("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'")
    return await _applied(db, schema.component) if exists else 0


async def apply_schema(db: ShopDatabase, schema: ShopSchema) -> int:
    """Apply the migrations ``db`` lacks, in one transaction (a failing step leaves it as it was); returns the version.

    ``MigrationError`` when the database's schema is newer than this code's."""
    migrations = schema.migrations(db.dialect)
    if await schema_version(db, schema) == len(migrations):
        return len(migrations)
    async with db.transaction() as tx:
        await tx.advisory_lock(MIGRATION_LOCK)
        await tx.write(SCHEMA_VERSION_TABLE)
        # Read under the lock: another process may have migrated meanwhile.
        for migration in pending(migrations, await _applied(tx, schema.component)):
            for statement in migration.statements:
                await tx.write(statement)
            await tx.write(
                "INSERT INTO schema_version (component, version, name, applied_at) VALUES (?, ?, ?, ?)",
                (schema.component, migration.version, migration.name, utcnow()),
            )
    return len(migrations)
