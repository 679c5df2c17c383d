"""What a Northwind tool call runs with: the database, the customer it is scoped to, the shop's day."""

from __future__ import annotations

from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import AsyncIterator

from support_tui.core.shop import ShopError
from support_tui.core.store.sql.database import ShopDatabase, ShopReader, ShopTransaction
from support_tui.shops.northwind.fixtures import store_today

ToolError = ShopError
"""A tool cannot do what was asked (unknown order, bad SKU); the engine turns it into an error outcome."""


@dataclass
class ToolContext:
    """The conversation a call belongs to; every tool is scoped to ``customer_id``."""

    db: ShopDatabase
    customer_id: str
    conversation_id: str = ""
    window_days: int = 30
    """Returns are accepted within this many days of delivery."""
    today: date | None = None
    """The store's day; None means the day the store was created (``store_meta``)."""
    tx: ShopTransaction | None = None
    """Inside a write: the transaction whose row locks the reads run under (``locked``)."""

    @property
    def reader(self) -> ShopReader:
        """Where reads go: the database, or inside a write its transaction (which sees its own locks)."""
        return self.tx if self.tx is not None else self.db

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[ShopTransaction]:
        """A write's transaction: its own, or the one an exactly-once run already holds (``tx``), which
        then commits the write together with the call's idempotency key."""
        if self.tx is not None:
            yield self.tx
            return
        async with self.db.transaction() as tx:
            yield tx

    def locked(self, tx: ShopTransaction) -> "ToolContext":
        """The same call with its reads inside ``tx`` (a read-modify-write re-reads what it changes there)."""
        return replace(self, tx=tx)

    async def day(self) -> date:
        """The calendar day policies measure from (return windows, delivery estimates)."""
        return self.today or await store_today(self.db)

    async def now(self) -> datetime:
        """A timestamp on the store's day, at the current time of day, for new records."""
        return datetime.combine(await self.day(), datetime.now().time()).replace(microsecond=0)


def not_found(order_id: str) -> ToolError:
    """The one message for a missing order and for another customer's order alike."""
    return ToolError(f"Order {order_id} was not found for this customer.")


def usd(amount: float) -> str:
    return f"${amount:,.2f}"
