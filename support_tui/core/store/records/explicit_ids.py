"""Loading rows that bring their own ids (the fixture history's messages) without a later insert reusing one.

SQLite hands out ``MAX(id) + 1`` and ``BEGIN IMMEDIATE`` already keeps other writers out. PostgreSQL's
identity sequence does not look at the rows: other writers of the table wait while the ids are chosen
(readers go on), and the sequence moves past them before the transaction commits.
"""

from __future__ import annotations

from support_tui.core.store.sql.database import Dialect, ShopTransaction


async def hold_ids(tx: ShopTransaction, dialect: Dialect, table: str) -> None:
    """Keep other writers of ``table`` from taking ids until ``tx`` ends."""
    if dialect == "postgresql":
        await tx.write(f"LOCK TABLE {table} IN EXCLUSIVE MODE")


async def move_past_ids(tx: ShopTransaction, dialect: Dialect, table: str) -> None:
    """After rows with explicit ids went in: the next id the database hands out is above them."""
    if dialect == "postgresql":
        await tx.write(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
