"""The Shop Protocol and the values that cross it: tools, calls, quotes, proposals, verdicts, customers."""

from __future__ import annotations

import hashlib
import json
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal, Mapping, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field


class ShopError(Exception):
    """A tool cannot do what was asked (unknown order, bad item); it becomes an ``error`` outcome."""


def _strip_titles(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip_titles(v) for k, v in node.items() if k != "title" or not isinstance(v, str)}
    if isinstance(node, list):
        return [_strip_titles(v) for v in node]
    return node


@dataclass(frozen=True)
class ShopTool:
    """One tool a shop offers: what the model is told, its typed arguments and how careful to be with it."""

    name: str
    description: str
    args: type[BaseModel]
    writes: bool = False
    """It changes the shop's records."""
    consequential: bool = False
    """It runs only with exactly the arguments the customer confirmed (a proposal and a yes)."""
    moves_money: bool = False
    """Its quote's amount counts against the approval threshold; escalated cases need a person."""
    _schema: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def schema(self) -> dict[str, Any]:
        """The OpenAI function-calling form of this tool (cached: building it costs ~2 ms)."""
        if not self._schema:
            params = _strip_titles(self.args.model_json_schema())
            params.setdefault("properties", {})
            params["additionalProperties"] = False
            self._schema.update(
                {"type": "function", "function": {"name": self.name, "description": self.description, "parameters": params}}
            )
        return self._schema


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def canonical_arguments(args: BaseModel) -> dict[str, Any]:
    """Validated arguments in the one form calls are compared and stored in."""
    return args.model_dump(mode="json", exclude_none=True)


class ToolCall(_Frozen):
    """A tool and the exact (validated, canonical) arguments it runs with."""

    tool: str
    arguments: dict[str, Any] = Field(default_factory=dict)


class QuoteLine(_Frozen):
    """One line of a quote: a product by name, how many, and its share of the amount."""

    name: str
    quantity: int = 1
    amount: float | None = None


class Quote(_Frozen):
    """What a consequential call will do, computed by the shop from that call's arguments.

    The amount a customer is told is this quote's ``amount``: the same figure the call moves.
    """

    action: str
    """What happens, in the customer's words: "return for a refund", "cancel the order"."""
    summary: str
    """One complete sentence the agent can say to the customer before asking for a yes."""
    order_id: str | None = None
    lines: list[QuoteLine] = Field(default_factory=list)
    amount: float | None = None
    """Money that moves (a refund, a charge), or None when none does."""
    currency: str = "USD"
    details: dict[str, str] = Field(default_factory=dict)
    """Anything else the customer agrees to: refund method, new address, new value."""


class Proposal(_Frozen):
    """A consequential call put to the customer, with the shop's quote for it."""

    call: ToolCall
    quote: Quote
    turn_id: str | None = None
    """The turn that made it: a yes counts only from a later turn."""
    message_id: int | None = None
    """The customer's message the proposing turn answered; with the call it names the effect (``effect_key``)."""


@dataclass(frozen=True)
class CallContext:
    """Whose conversation a tool call belongs to; every tool is scoped to ``customer_id``."""

    customer_id: str
    conversation_id: str
    turn_id: str | None = None
    escalated: bool = False
    message_id: int | None = None
    """The customer's message the turn answers (None for a person's decision)."""
    effect_key: str | None = None
    """Set on a consequential write: the idempotency key ``run`` stores with the effect, in its transaction."""


def effect_key(conversation_id: str, answering: int | str | None, call: "ToolCall") -> str:
    """The idempotency key of a consequential call: the conversation, what it answers, the exact call.

    ``answering`` is the customer's message the proposal answered (or, failing that, the proposal's
    turn or the call a person approved). A turn run again on the same message, or a yes said twice to
    one proposal, names the same effect, so the shop replays what it recorded instead of moving again.
    """
    text = json.dumps([conversation_id, answering, call.tool, call.arguments], sort_keys=True, separators=(",", ":"))
    return "fx_" + hashlib.sha256(text.encode()).hexdigest()[:32]


class RecordedEffect(BaseModel):
    """A consequential call a shop ran, as it stored it with the effect (same transaction)."""

    key: str
    tool: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    result: Any = None
    """What the call returned when it ran; a replay returns exactly this."""


@dataclass(frozen=True)
class RuleVerdict:
    """A policy rule's answer when it stops a call."""

    status: Literal["blocked", "pending_approval"]
    rule: str
    message: str
    """Worded for the model (internal: the customer never sees it verbatim)."""


class ToolOutcome(BaseModel):
    """The outcome of one tool call, as the model and the console see it."""

    status: Literal["ok", "error", "blocked", "pending_approval"]
    result: Any = None
    """The structured result (JSON-serialisable) when ``ok``; the proposal when awaiting a yes."""
    error: str | None = None
    """What went wrong, or why a policy stopped the call, worded for the model."""
    rule: str | None = None
    """The policy rule that blocked the call or asked for approval."""


class CustomerSummary(_Frozen):
    """A customer as pickers and prompts show them."""

    id: str
    name: str
    tier: str = "standard"
    email: str | None = None
    lifetime_value: float | None = None


class CardOrder(_Frozen):
    """One recent order on the customer card, already in words."""

    order_id: str
    status: str
    """The status as a customer says it ("on its way", "delivered")."""
    total: float | None = None
    placed_at: str | None = None
    """ISO date the order was placed."""


class CustomerCard(_Frozen):
    """What the console's customer card shows, from the shop and the support records."""

    customer: CustomerSummary
    phone: str | None = None
    recent_orders: list[CardOrder] = Field(default_factory=list)
    facts: list[str] = Field(default_factory=list)
    """Shop-specific lines worth a glance."""
    open_tickets: list[dict[str, Any]] = Field(default_factory=list)
    """Open or escalated conversations (filled in by the engine from the support records)."""
    memory: list[dict[str, Any]] = Field(default_factory=list)
    """Summaries of earlier conversations (filled in by the engine)."""


@runtime_checkable
class Shop(Protocol):
    """A shop the engine can serve: its tools, its rules, its clock and its customers.

    Implementations own their records; the engine never reads a shop's tables or names its tools.
    """

    name: str
    """A short machine name, e.g. ``northwind``."""
    title: str
    """How the shop is named to customers, e.g. "Northwind Goods"."""

    def tools(self) -> Mapping[str, ShopTool]:
        """Every tool by name."""
        ...

    def tools_for(self, specialist: str) -> tuple[str, ...]:
        """The tools a specialist may call (the engine adds its own transfer and escalate tools)."""
        ...

    def rules(self) -> Mapping[str, str]:
        """The shop's named policy rules, each with the one line the console shows."""
        ...

    async def today(self) -> date:
        """The shop's calendar day (return windows and delivery estimates count from it)."""
        ...

    async def customers(self) -> list[CustomerSummary]:
        """Every customer, for pickers."""
        ...

    async def customer(self, customer_id: str) -> CustomerSummary | None:
        """One customer, or None when there is no such customer."""
        ...

    async def customer_card(self, customer_id: str) -> CustomerCard:
        """The card the console shows (the engine adds tickets and memory); LookupError if unknown."""
        ...

    async def check(self, tool: str, args: BaseModel, ctx: CallContext) -> RuleVerdict | None:
        """The shop's hard rules for a call (no one can waive them); raises ShopError for a bad target."""
        ...

    async def quote(self, tool: str, args: BaseModel, ctx: CallContext) -> Quote:
        """What a consequential call will do, from exactly these arguments."""
        ...

    async def run(self, tool: str, args: BaseModel, ctx: CallContext) -> Any:
        """Run a call that passed every rule; raises ShopError when it cannot be done.

        With ``ctx.effect_key`` set, the shop stores the key and the result with the effect in one
        transaction, and a call whose key is already stored returns the stored result and changes nothing.
        """
        ...

    async def recorded(self, key: str) -> RecordedEffect | None:
        """The effect stored under an idempotency key, or None when no call with that key ran."""
        ...

    def case_facts(self, specialist: str, text: str) -> list[ToolCall]:
        """Read-only look-ups that give a person the facts of a case before they pick it up."""
        ...

    def fact_lines(self, tool: str, result: Any) -> list[str]:
        """Facts a successful read found, in words, for hand-off packets and memory."""
        ...

    def action_line(self, tool: str, arguments: Mapping[str, Any], outcome: ToolOutcome) -> str | None:
        """What a write did (or why it did not), in words; None for reads."""
        ...

    def sandbox(self, *, fresh: bool = False) -> AbstractAsyncContextManager["Shop"]:
        """An isolated copy of this shop's records for the length of an ``async with`` block.

        Writes to the copy never reach this shop, and the copy is dropped when the block ends. With
        ``fresh`` the copy holds the records as the shop first loaded them (its data files or
        fixtures, on the same day), not as they are now. Forks and comparisons run turns on these.
        """
        ...
