"""Alembic migrations for one component of a database (the support records, or one shop's tables), run once.

Each component keeps its own revisions in a folder of Alembic scripts and its own version table
(``alembic_version_<component>``), so the support records and a shop's tables in one database
upgrade independently. The first revision of each is its *baseline*: today's schema, made by the
steps the release before Alembic applied (``legacy``), from whatever ``schema_version`` says is
already there; a database that release made is adopted in place. Migrators serialise on the
database: PostgreSQL takes ``MIGRATION_LOCK`` for the transaction, SQLite ``BEGIN IMMEDIATE``,
so several processes starting on one fresh database set it up once.
"""

from __future__ import annotations

import sqlite3
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence, TypeVar

import asyncpg

from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util.exc import CommandError
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from support_tui.core.store.sql.migrations import Migration, MigrationError, pending
from support_tui.core.store.records.values import utcnow

if TYPE_CHECKING:
    from support_tui.core.store.sql.database import ShopDatabase

T = TypeVar("T")

MIGRATION_LOCK = 0x5355_5050_4F52_5401
"""The advisory lock key every migrator of a PostgreSQL database takes (``pg_advisory_xact_lock``)."""

SCHEMA_VERSION_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_version ("
    " component TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL, applied_at TEXT NOT NULL,"
    " PRIMARY KEY (component, version))"
)
"""Where the release before Alembic recorded its steps (baselines still write it, so that release reads its version)."""


def version_table(component: str) -> str:
    """The Alembic version table of ``component`` (one per component: they upgrade independently)."""
    return "alembic_version_" + component.replace("-", "_")


@lru_cache(maxsize=None)
def _scripts(folder: str) -> ScriptDirectory:
    return ScriptDirectory(folder, version_locations=[folder])


def number(revision: str | None) -> int:
    """A revision's schema version: ids are ``<component>_<NNNN>``, numbered on from the release's versions
    (the baselines are ``support_0006``, ``northwind_0002`` ...); 0 before the first."""
    return 0 if revision is None else int(revision.rsplit("_", 1)[1])


def head(folder: Path) -> str:
    """The newest revision in ``folder`` (read from the scripts, no database)."""
    revision = _scripts(str(folder)).get_current_head()
    if revision is None:
        raise MigrationError(f"no migrations in {folder}")
    return revision


def upgrade(conn: Connection, component: str, folder: Path) -> str:
    """Upgrade ``component`` to the newest revision in ``folder`` on ``conn`` (inside the caller's locked
    transaction: nothing is committed here); returns that revision.

    ``MigrationError`` when the database holds a revision this code does not know (it is newer)."""
    script = _scripts(str(folder))
    config = Config()
    config.set_main_option("script_location", str(folder))

    def steps(revision: Any, _context: Any) -> Any:
        return script._upgrade_revs("head", revision)

    try:
        with EnvironmentContext(config, script, fn=steps) as env:
            env.configure(connection=conn, version_table=version_table(component))
            env.run_migrations()
    except (CommandError, RevisionError) as exc:
        raise MigrationError(f"the database's {component} schema is newer than this program's: {exc}") from exc
    return head(folder)


def current(conn: Connection, component: str) -> str | None:
    """The revision of ``component`` recorded in the database (None before its first)."""
    if not conn.dialect.has_table(conn, version_table(component)):
        return None
    return conn.execute(text(f"SELECT version_num FROM {version_table(component)}")).scalar()


async def recorded_revision(db: "ShopDatabase", component: str) -> str | None:
    """``component``'s revision as the database records it, in one read (None before its first migration)."""
    try:
        value = await db.scalar(f"SELECT version_num FROM {version_table(component)}")
    except (sqlite3.OperationalError, asyncpg.UndefinedTableError):  # no version table yet
        return None
    return None if value is None else str(value)


async def locked(conn: AsyncConnection, run: Callable[[Connection], T]) -> T:
    """``run`` on ``conn`` inside one transaction that holds the database's migration lock; committed when it returns."""
    if conn.dialect.name == "postgresql":
        await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
    else:
        await conn.exec_driver_sql("BEGIN IMMEDIATE")
    try:
        result = await conn.run_sync(run)
    except BaseException:
        await conn.rollback()
        raise
    await conn.commit()
    return result


async def migrate_engine(engine: AsyncEngine, component: str, folder: Path) -> str:
    """Upgrade ``component`` through one connection of ``engine``, under the migration lock (``locked``)."""
    async with engine.connect() as conn:
        return await locked(conn, lambda sync: upgrade(sync, component, folder))


def apply_legacy(conn: Connection, component: str, steps: Sequence[Migration]) -> None:
    """The baseline's body: the release's own steps that ``schema_version`` does not list yet, each recorded there."""
    conn.exec_driver_sql(SCHEMA_VERSION_TABLE)
    done = conn.execute(
        text("SELECT MAX(version) FROM schema_version WHERE component = :component"), {"component": component}
    ).scalar()
    for step in pending(steps, int(done or 0)):
        for statement in step.statements:
            conn.exec_driver_sql(statement)
        conn.execute(
            text("INSERT INTO schema_version (component, version, name, applied_at) VALUES (:c, :v, :n, :at)"),
            {"c": component, "v": step.version, "n": step.name, "at": utcnow()},
        )
