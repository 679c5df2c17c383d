"""``TauRetailShop``: tau-bench retail behind the Shop Protocol, and the factory that opens it on a database."""

from __future__ import annotations

from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, AsyncIterator, Mapping

from pydantic import BaseModel

from support_tui.core.shop import (
    CallContext, CustomerCard, CustomerSummary, Quote, RecordedEffect, RuleVerdict, ShopTool, ToolCall, ToolOutcome,
)
from support_tui.core.store.sql.database import ShopDatabase
from support_tui.core.store.sql.sqlite import Database
from support_tui.shops.taubench_retail import card as cards
from support_tui.shops.taubench_retail.data import RetailData
from support_tui.shops.taubench_retail.operations import run_tool
from support_tui.shops.taubench_retail.quotes import quote_call
from support_tui.shops.taubench_retail.rules import RULES, check_call
from support_tui.shops.taubench_retail.store import TAU_SCHEMA, RetailStore
from support_tui.shops.taubench_retail.tools import LOOKUPS, TOOLS

UNIDENTIFIED = "unidentified"
"""The customer id of a conversation nobody has been found for yet (tau-bench's agent starts knowing no one):
the shop shows an anonymous visitor, and only a look-up says who the conversation is with."""

TODAY = date(2024, 5, 15)
"""The shop's fixed calendar day: the data carries no dates, so nothing depends on it but what is shown."""

if TYPE_CHECKING:
    from support_tui.core.shop.offline import OfflineSkill


class TauRetailShop:
    """The tau-bench retail domain: 500 users, 1,000 orders, 50 products, 16 tools and the policy's rules.

    Tool results are tau-bench's own strings (JSON text, a user id, ``""``, ``"Transfer successful"``),
    byte for byte; a result the benchmark words as ``"Error: ..."`` is raised as ShopError with that text.
    """

    name = "taubench-retail"
    title = "tau-bench Retail"

    def __init__(self, store: RetailStore, *, require_lookup: bool = False, today: date = TODAY) -> None:
        self.store = store
        self.require_lookup = require_lookup
        """When True, the conversation's customer does not count as identified: the agent must find them
        with find_user_id_by_email or find_user_id_by_name_zip first (as the benchmark's policy says)."""
        self._today = today

    def offline_skill(self) -> "OfflineSkill":
        """τ-bench retail's part of the offline model (look-ups only, its own replies)."""
        from support_tui.shops.taubench_retail.offline import RetailSkill

        return RetailSkill()

    def tools(self) -> Mapping[str, ShopTool]:
        """Every tool by name."""
        return TOOLS

    def tools_for(self, specialist: str) -> tuple[str, ...]:
        """Every specialist gets every domain tool: the benchmark has one agent for all requests."""
        return tuple(TOOLS)

    def rules(self) -> Mapping[str, str]:
        """The policy rules, each with its one line."""
        return RULES

    async def today(self) -> date:
        """The fixed day."""
        return self._today

    async def customers(self) -> list[CustomerSummary]:
        """Every user, in the data file's order (``id`` is the user id)."""
        return [cards.summary(user_id, user) for user_id, user in await self.store.scan("users")]

    async def customer(self, customer_id: str) -> CustomerSummary | None:
        """One user with the value of their orders, the anonymous visitor for ``UNIDENTIFIED``, or None."""
        if customer_id == UNIDENTIFIED:
            return cards.visitor(UNIDENTIFIED)
        user = await self.store.get("users", customer_id)
        if user is None:
            return None
        return cards.summary(customer_id, user, await self._orders(user))

    async def customer_card(self, customer_id: str) -> CustomerCard:
        """The user's card (the visitor's is empty); LookupError for an unknown user id."""
        if customer_id == UNIDENTIFIED:
            return CustomerCard(customer=cards.visitor(UNIDENTIFIED))
        user = await self.store.get("users", customer_id)
        if user is None:
            raise LookupError(f"no tau-bench user {customer_id!r}")
        return cards.card(customer_id, user, await self._orders(user))

    async def _orders(self, user: dict[str, Any]) -> list[dict[str, Any]]:
        found = [await self.store.get("orders", order_id) for order_id in user.get("orders", [])]
        return [order for order in found if order is not None]

    async def check(self, tool: str, args: BaseModel, ctx: CallContext) -> RuleVerdict | None:
        """The first policy rule the call breaks (see ``rules()``), or None; a missing target is left to ``run``."""
        return await check_call(self.store, tool, args, ctx, self.require_lookup)

    async def quote(self, tool: str, args: BaseModel, ctx: CallContext) -> Quote:
        """What a write will change, worked out on a copy; ShopError with the tool's text when it would fail."""
        return await quote_call(self.store, tool, args)

    async def run(self, tool: str, args: BaseModel, ctx: CallContext) -> str:
        """Run the tool; a user look-up that succeeds identifies the conversation's user."""
        result = await run_tool(self.store, tool, args, key=ctx.effect_key, conversation_id=ctx.conversation_id)
        if tool in LOOKUPS:
            await self.store.identify(ctx.conversation_id, result)
        return result

    async def recorded(self, key: str) -> RecordedEffect | None:
        """The write stored under an idempotency key, or None."""
        return await self.store.recorded(key)

    def case_facts(self, specialist: str, text: str) -> list[ToolCall]:
        """Look-ups for the orders and email a message names."""
        return cards.case_facts(text)

    def fact_lines(self, tool: str, result: Any) -> list[str]:
        """What a read found, in words."""
        return cards.fact_lines(tool, result)

    def action_line(self, tool: str, arguments: Mapping[str, Any], outcome: ToolOutcome) -> str | None:
        """What a write did, or why not; None for reads."""
        return cards.action_line(tool, arguments, outcome)

    @asynccontextmanager
    async def sandbox(self, *, fresh: bool = False) -> AsyncIterator["TauRetailShop"]:
        """The shop on an in-memory SQLite copy of its tables (whatever the live shop runs on); ``fresh``: the
        data files' records, nobody identified."""
        copy: ShopDatabase = await Database.in_memory() if fresh else await self.store.db.copy(TAU_SCHEMA)
        try:
            store = RetailStore(copy, self.store.data)
            await store.ensure()
            yield TauRetailShop(store, require_lookup=self.require_lookup, today=self._today)
        finally:
            await copy.close()

    async def reset(self) -> None:
        """Every record back to the data files, and no conversation has identified anyone."""
        await self.store.reset()


async def open_taubench_shop(
    db: ShopDatabase, data_dir: Path | str | None = None, *, require_lookup: bool = False, data: RetailData | None = None
) -> TauRetailShop:
    """The shop on ``db``: its tables are created and filled from the data files when empty.

    ``data_dir`` defaults to ``$SUPPORT_TUI_TAUBENCH_DIR``, else the files shipped in ``dataset/``; pass ``data``
    (an already parsed copy) to open many shops without reading the files again.
    """
    store = RetailStore(db, data if data is not None else RetailData.load(data_dir))
    await store.ensure()
    return TauRetailShop(store, require_lookup=require_lookup)
