"""``NorthwindShop``: the demo shop behind the Shop Protocol, over its own tables in a ``ShopDatabase`` (SQLite or PostgreSQL)."""

from __future__ import annotations

from contextlib import asynccontextmanager
from datetime import date
from typing import TYPE_CHECKING, Any, AsyncIterator, Mapping

from pydantic import BaseModel

from support_tui.core.shop import (
    CallContext,
    CardOrder,
    CustomerCard,
    CustomerSummary,
    Quote,
    RecordedEffect,
    RuleVerdict,
    ShopTool,
    ToolCall,
    ToolOutcome,
    canonical_arguments,
)
from support_tui.core.shop import effects
from support_tui.core.store.sql.database import ShopDatabase
from support_tui.core.store.sql.shop_schema import apply_schema
from support_tui.core.store.sql.sqlite import Database
from support_tui.shops.northwind import facts, policy, quotes
from support_tui.shops.northwind.context import ToolContext
from support_tui.shops.northwind.facts import STATUS_WORDS
from support_tui.shops.northwind.fixtures import is_loaded, load_fixtures, store_today
from support_tui.shops.northwind.generator import SEED
from support_tui.shops.northwind.schema import EFFECTS, NORTHWIND_SCHEMA
from support_tui.shops.northwind.tools import RUNNERS, SPECIALIST_TOOLS, TOOLS

if TYPE_CHECKING:
    from support_tui.core.shop.offline import OfflineSkill


class NorthwindShop:
    """Northwind Goods: orders, shipments, products, returns, refunds, charges and accounts."""

    name = "northwind"
    title = "Northwind Goods"

    def __init__(self, db: ShopDatabase, *, return_window_days: int = 30, today: date | None = None) -> None:
        self.db = db
        self.return_window_days = return_window_days
        self._today = today

    @classmethod
    async def open(cls, db: ShopDatabase, *, return_window_days: int = 30, load: bool = True) -> "NorthwindShop":
        """Apply the shop's migrations; on first use load the demo customers, catalogue and orders."""
        await apply_schema(db, NORTHWIND_SCHEMA)
        if load and not await is_loaded(db):
            await load_fixtures(db)
        return cls(db, return_window_days=return_window_days)

    def offline_skill(self) -> "OfflineSkill":
        """Northwind's part of the offline model (its flows, facts, status words and money)."""
        from support_tui.shops.northwind.offline import NorthwindSkill

        return NorthwindSkill()

    async def reset(self, *, today: date | None = None) -> dict[str, int]:
        """Load the demo shop afresh (every shop table replaced)."""
        return await load_fixtures(self.db, today=today, reset=True)

    async def counts(self) -> dict[str, int]:
        """How many rows the shop's main tables hold (for ``store status``)."""
        return {t: int(await self.db.scalar(f"SELECT COUNT(*) FROM {t}") or 0)
                for t in ("customers", "products", "orders", "returns", "refunds")}

    async def order_counts(self) -> dict[str, int]:
        """Orders per customer id (customers without orders included, with 0)."""
        rows = await self.db.fetchall(
            "SELECT c.id, COUNT(o.id) AS orders FROM customers c LEFT JOIN orders o ON o.customer_id = c.id GROUP BY c.id"
        )
        return {r["id"]: int(r["orders"]) for r in rows}

    async def loaded_for(self) -> date | None:
        """The day the demo data were created for, or None before they are loaded."""
        return await store_today(self.db) if await is_loaded(self.db) else None

    @asynccontextmanager
    async def sandbox(self, *, fresh: bool = False) -> AsyncIterator["NorthwindShop"]:
        """The shop on an in-memory copy of its tables; ``fresh``: the fixtures as loaded, on the shop's own day.

        A fresh copy regenerates the demo shop from its seed and creation day (``store_meta``), so it
        equals what the live shop held before any conversation wrote to it. The copy is in-memory
        SQLite whatever the live shop runs on (a PostgreSQL shop's rows are copied into it).
        """
        copy: ShopDatabase
        if fresh:
            copy = await Database.in_memory()
        else:
            copy = await self.db.copy(NORTHWIND_SCHEMA)
        try:
            shop = await NorthwindShop.open(copy, return_window_days=self.return_window_days, load=False)
            shop._today = self._today
            if fresh:
                seed = await self.db.scalar("SELECT value FROM store_meta WHERE key = 'seed'")
                await load_fixtures(copy, today=await store_today(self.db), seed=int(seed) if seed else SEED)
            yield shop
        finally:
            await copy.close()

    def context(self, ctx: CallContext) -> ToolContext:
        return ToolContext(self.db, ctx.customer_id, ctx.conversation_id, self.return_window_days, self._today)

    # the Protocol --------------------------------------------------------------------------

    def tools(self) -> Mapping[str, ShopTool]:
        return TOOLS

    def tools_for(self, specialist: str) -> tuple[str, ...]:
        return SPECIALIST_TOOLS.get(specialist, ())

    def rules(self) -> Mapping[str, str]:
        return policy.RULES

    async def today(self) -> date:
        return self._today or await store_today(self.db)

    async def customers(self) -> list[CustomerSummary]:
        rows = await self.db.fetchall("SELECT id, name, tier, lifetime_value, email FROM customers ORDER BY id")
        return [CustomerSummary(**dict(r)) for r in rows]

    async def customer(self, customer_id: str) -> CustomerSummary | None:
        row = await self.db.fetchone(
            "SELECT id, name, tier, lifetime_value, email FROM customers WHERE id = ?", (customer_id,)
        )
        return None if row is None else CustomerSummary(**dict(row))

    async def customer_card(self, customer_id: str) -> CustomerCard:
        summary = await self.customer(customer_id)
        if summary is None:
            raise LookupError(f"no customer {customer_id!r}")
        phone = await self.db.scalar("SELECT phone FROM customers WHERE id = ?", (customer_id,))
        orders = await self.db.fetchall(
            "SELECT id, status, total, placed_at FROM orders WHERE customer_id = ? ORDER BY placed_at DESC LIMIT 5",
            (customer_id,),
        )
        return CustomerCard(
            customer=summary,
            phone=phone,
            recent_orders=[
                CardOrder(order_id=o["id"], status=STATUS_WORDS.get(o["status"], o["status"]), total=o["total"],
                          placed_at=str(o["placed_at"])[:10])
                for o in orders
            ],
        )

    async def check(self, tool: str, args: BaseModel, ctx: CallContext) -> RuleVerdict | None:
        return await policy.check(args, self.context(ctx))

    async def quote(self, tool: str, args: BaseModel, ctx: CallContext) -> Quote:
        return await quotes.quote(args, self.context(ctx))

    async def run(self, tool: str, args: BaseModel, ctx: CallContext) -> Any:
        runner, key = RUNNERS[tool], ctx.effect_key
        if key is None or not TOOLS[tool].writes:
            return await runner(self.context(ctx), args)
        # One transaction holds the key's lock, the write and the key: the write's own transaction
        # (ToolContext.transaction) joins this one.
        async with self.db.transaction() as tx:
            return await effects.once(tx, EFFECTS, key, ctx.conversation_id, tool, canonical_arguments(args),
                                      lambda: runner(self.context(ctx).locked(tx), args))

    async def recorded(self, key: str) -> RecordedEffect | None:
        return await effects.recorded(self.db, EFFECTS, key)

    def case_facts(self, specialist: str, text: str) -> list[ToolCall]:
        return facts.case_facts(specialist, text)

    def fact_lines(self, tool: str, result: Any) -> list[str]:
        return facts.fact_lines(tool, result)

    def action_line(self, tool: str, arguments: Mapping[str, Any], outcome: ToolOutcome) -> str | None:
        return facts.action_line(tool, arguments, outcome)
