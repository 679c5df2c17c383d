"""What a tool call runs with (the conversation's customer, settings, state) and what it returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel

from support_tui.shops.northwind.fixtures import store_today
from support_tui.core.store.sqlite import Database
from support_tui.core.settings import Settings


@dataclass
class ToolContext:
    """The conversation a tool call belongs to; every tool is scoped to ``customer_id``."""

    db: Database
    customer_id: str
    conversation_id: str
    settings: Settings
    escalated: bool = False
    """The conversation is escalated: any refund or return then needs a person's approval."""
    last_customer_message: str = ""
    """The customer's latest message: the confirmation rule looks for a "yes" in it."""
    state: dict[str, Any] = field(default_factory=dict)
    """The conversation's mutable state (``proposal``, ``confirmed``); the engine persists it."""
    today: date | None = None
    """The store's day; None means the day the store was created (``store_meta``), else today."""
    turn_id: str | None = None
    """The current turn, if the engine passes it: then a proposal cannot be confirmed in its own turn."""

    async def day(self) -> date:
        """The calendar day policies measure from (return windows, delivery estimates)."""
        return self.today or await store_today(self.db)

    async def now(self) -> datetime:
        """A timestamp on the store's day, at the current time of day, for new records."""
        return datetime.combine(await self.day(), datetime.now().time()).replace(microsecond=0)


class ToolOutcome(BaseModel):
    """The outcome of one tool call, as the model and the console see it."""

    status: Literal["ok", "error", "blocked", "pending_approval"]
    result: Any = None
    """The structured result (a JSON-serialisable dict) when ``ok``."""
    error: str | None = None
    """What went wrong, or why a policy stopped the call, worded for the model."""
    rule: str | None = None
    """The policy rule that blocked the call or asked for approval (a key of ``policy.RULES``)."""


class ToolError(Exception):
    """A tool cannot do what was asked (unknown order, bad SKU); becomes an ``error`` outcome."""


def not_found(order_id: str) -> ToolError:
    """The one message for a missing order and for another customer's order alike."""
    return ToolError(f"Order {order_id} was not found for this customer.")


def usd(amount: float) -> str:
    return f"${amount:,.2f}"
