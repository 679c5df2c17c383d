"""Northwind's tools under the engine's rules, without an engine: one conversation's runner."""

from __future__ import annotations

from typing import Any

from support_tui.core.shop import CallContext, ToolOutcome
from support_tui.core.state import ConversationState
from support_tui.core.turn.tools import ToolRunner
from support_tui.shops.northwind import NorthwindShop
from tests.conftest import STORE_DAY


class Conversation:
    """A customer's conversation with the shop: state carried across calls, like the engine does."""

    def __init__(self, db: Any, customer_id: str = "cust_12345", *, message: str = "", turn_id: str | None = None,
                 escalated: bool = False, window_days: int = 30, threshold: float = 200.0) -> None:
        self.shop = NorthwindShop(db, return_window_days=window_days, today=STORE_DAY)
        self.state = ConversationState()
        self.customer_id = customer_id
        self.message = message
        self.turn_id = turn_id
        self.escalated = escalated
        self.threshold = threshold

    def runner(self) -> ToolRunner:
        ctx = CallContext(customer_id=self.customer_id, conversation_id="conv_test", turn_id=self.turn_id,
                          escalated=self.escalated)
        return ToolRunner(self.shop, self.state, ctx, approval_threshold=self.threshold, last_customer_message=self.message)

    async def call(self, name: str, arguments: Any, *, approved: bool = False) -> ToolOutcome:
        return (await self.runner().run(name, arguments, approved=approved)).outcome

    async def confirmed(self, name: str, arguments: dict[str, Any], *, approved: bool = False) -> ToolOutcome:
        """Propose the call, have the customer say yes, call again."""
        first = await self.call(name, arguments, approved=approved)
        if first.rule != "customer_confirmation":
            return first
        self.message = "Yes please, go ahead"
        return await self.call(name, arguments, approved=approved)
