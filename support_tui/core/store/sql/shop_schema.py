"""Applying a shop's schema to its database, once, whichever process gets there first.

A shop's tables are an Alembic component of their own (``ShopSchema.versions``, version table
``alembic_version_<component>``), upgraded by ``ShopDatabase.upgrade_schema`` under the database's
migration lock (``sql.migrate``): consoles and workers starting together on a fresh database apply
each step once. An up-to-date database costs one read of its version.
"""

from __future__ import annotations

from support_tui.core.store.sql.migrate import MIGRATION_LOCK, head, number, recorded_revision
from support_tui.core.store.sql.database import ShopDatabase, ShopSchema

SETUP_LOCK = 0x5355_5050_4F52_5402
"""The advisory lock a shop's first-use loading (its fixtures) holds, so two processes load them once."""

__all__ = ["MIGRATION_LOCK", "SETUP_LOCK", "apply_schema", "schema_version"]


async def schema_version(db: ShopDatabase, schema: ShopSchema) -> int:
    """The shop's schema version in ``db`` (0 before its first migration)."""
    return number(await recorded_revision(db, schema.component))


async def apply_schema(db: ShopDatabase, schema: ShopSchema) -> int:
    """Upgrade the shop's tables to its newest revision (one transaction: a failing step leaves them as they
    were); returns the version. ``MigrationError`` when the database's schema is newer than this code's."""
    latest = head(schema.versions)
    if await recorded_revision(db, schema.component) != latest:
        await db.upgrade_schema(schema.component, schema.versions)
    return number(latest)
