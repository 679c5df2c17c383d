"""Versioned schema migrations: the shape every adapter's list has, and the rule for what is still to apply.

Each adapter keeps its own list (its SQL dialect), numbered 1, 2, 3 ... with no gaps, and a
``schema_version`` table holding one row per applied migration. Applying a list twice is a no-op;
a database newer than the code refuses to open rather than be written with an old schema.
A shipped migration is never edited: a change is a new migration at the end.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence


class MigrationError(RuntimeError):
    """The list is malformed, or the database is newer than this code."""


@dataclass(frozen=True)
class Migration:
    """One step of a schema: a version, a name for people, and the statements that make it."""

    version: int
    name: str
    statements: tuple[str, ...]
    """Run in order inside one transaction, together with recording the version."""


def check_migrations(migrations: Sequence[Migration]) -> None:
    """Refuse a list that is not numbered 1, 2, 3 ... in order."""
    for expected, migration in enumerate(migrations, 1):
        if migration.version != expected:
            raise MigrationError(f"migration {migration.name!r} is number {migration.version}, expected {expected}")


def pending(migrations: Sequence[Migration], applied: int) -> list[Migration]:
    """The migrations after version ``applied``; ``MigrationError`` when the database is ahead of the code."""
    check_migrations(migrations)
    latest = len(migrations)
    if applied > latest:
        raise MigrationError(f"the database's schema is version {applied}, newer than this program's {latest}")
    return list(migrations[applied:])
