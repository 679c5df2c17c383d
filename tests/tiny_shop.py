"""A second, tiny shop (a café's table bookings: 3 tools, 1 rule), its offline skill, and a scripted model.

It exists to prove the seam: the engine runs on any ``Shop``, knowing none of its tools or tables.
"""

from __future__ import annotations

import json
from contextlib import asynccontextmanager
from datetime import date
from typing import Any, AsyncIterator, Mapping

from pydantic import BaseModel, Field

from support_tui.core.events import Usage
from support_tui.core.llm.client import ModelReply, ReplyDone, ToolCallRequest
from support_tui.core.routing.decision import RouteDecision, RoutingContext
from support_tui.core.shop import (
    CallContext,
    CardOrder,
    CustomerCard,
    CustomerSummary,
    Quote,
    RecordedEffect,
    RuleVerdict,
    Shop,
    ShopError,
    ShopTool,
    ToolCall,
    ToolOutcome,
)
from support_tui.core.shop.offline import Act, Flow, KnowledgeOnlySkill, OfflineSkill, PlannedCall, Request, SeenCall


class FindBooking(BaseModel):
    pass


class BookTable(BaseModel):
    hour: int = Field(ge=0, le=23)
    guests: int = Field(ge=1, le=12)


class CancelBooking(BaseModel):
    booking_id: str


TOOLS = {t.name: t for t in (
    ShopTool("find_booking", "The customer's booking, if any.", FindBooking),
    ShopTool("book_table", "Book a table for tonight.", BookTable, writes=True, consequential=True),
    ShopTool("cancel_booking", "Cancel a booking.", CancelBooking, writes=True, consequential=True),
)}


class CafeShop:
    """Corner Café: one customer, one table book."""

    name = "cafe"
    title = "Corner Café"

    def __init__(self) -> None:
        self.bookings: dict[str, dict[str, Any]] = {}
        self.effects: dict[str, RecordedEffect] = {}
        """What each keyed write did (in memory, as the bookings are: one dict holds both)."""

    def tools(self) -> Mapping[str, ShopTool]:
        return TOOLS

    def tools_for(self, specialist: str) -> tuple[str, ...]:
        return tuple(TOOLS)

    def rules(self) -> Mapping[str, str]:
        return {"opening_hours": "Tables are booked between 12:00 and 22:00."}

    async def today(self) -> date:
        return date(2026, 11, 29)

    async def customers(self) -> list[CustomerSummary]:
        return [CustomerSummary(id="guest_1", name="Ada Guest")]

    async def customer(self, customer_id: str) -> CustomerSummary | None:
        return next((c for c in await self.customers() if c.id == customer_id), None)

    async def customer_card(self, customer_id: str) -> CustomerCard:
        found = await self.customer(customer_id)
        if found is None:
            raise LookupError(customer_id)
        orders = [CardOrder(order_id=k, status="booked") for k in self.bookings]
        return CustomerCard(customer=found, recent_orders=orders)

    async def check(self, tool: str, args: BaseModel, ctx: CallContext) -> RuleVerdict | None:
        if isinstance(args, BookTable) and not 12 <= args.hour <= 22:
            return RuleVerdict("blocked", "opening_hours", f"We are closed at {args.hour}:00.")
        if isinstance(args, CancelBooking) and args.booking_id not in self.bookings:
            raise ShopError(f"No booking {args.booking_id}.")
        return None

    async def quote(self, tool: str, args: BaseModel, ctx: CallContext) -> Quote:
        if isinstance(args, BookTable):
            return Quote(action="book a table", summary=f"I'll book a table for {args.guests} at {args.hour}:00 tonight.")
        assert isinstance(args, CancelBooking)
        return Quote(action="cancel the booking", summary=f"I'll cancel booking {args.booking_id}.")

    async def run(self, tool: str, args: BaseModel, ctx: CallContext) -> Any:
        key = ctx.effect_key
        if key is not None and key in self.effects:
            return self.effects[key].result
        result = self._run(args)
        if key is not None:
            self.effects[key] = RecordedEffect(key=key, tool=tool, arguments=args.model_dump(), result=result)
        return result

    async def recorded(self, key: str) -> RecordedEffect | None:
        return self.effects.get(key)

    def _run(self, args: BaseModel) -> Any:
        if isinstance(args, BookTable):
            booking_id = f"B{len(self.bookings) + 1}"
            self.bookings[booking_id] = args.model_dump()
            return {"booking_id": booking_id, **args.model_dump()}
        if isinstance(args, CancelBooking):
            return {"cancelled": self.bookings.pop(args.booking_id)}
        return {"bookings": self.bookings}

    def case_facts(self, specialist: str, text: str) -> list[ToolCall]:
        return [ToolCall(tool="find_booking")]

    def fact_lines(self, tool: str, result: Any) -> list[str]:
        return [f"{tool}: {json.dumps(result, sort_keys=True)}"]

    def action_line(self, tool: str, arguments: Mapping[str, Any], outcome: ToolOutcome) -> str | None:
        return f"{tool} {outcome.status}" if TOOLS[tool].writes else None

    @asynccontextmanager
    async def sandbox(self, *, fresh: bool = False) -> AsyncIterator["CafeShop"]:
        """A copy of the table book (``fresh``: an empty one, as the café opens); writes never reach this one."""
        copy = CafeShop()
        if not fresh:
            copy.bookings = {k: dict(v) for k, v in self.bookings.items()}
            copy.effects = dict(self.effects)
        yield copy


def _shop_is_a_shop(shop: CafeShop) -> Shop:
    return shop  # mypy checks the structural fit


class Stand:
    """Cheap stand-ins for the embedder, the knowledge base and the router."""

    async def aload(self) -> None:
        return None

    async def aencode(self, texts: Any) -> Any:
        import numpy as np

        return np.zeros((len(texts), 8), dtype=np.float32)

    async def is_empty(self) -> bool:
        return False

    async def search(self, query: str, k: int = 4, *, vector: Any = None) -> list[Any]:
        return []

    async def document(self, doc_id: str, limit: int = 2) -> list[Any]:
        return []

    async def prepare(self) -> None:
        return None

    def route_vector(self, vector: Any, text: str, context: RoutingContext | None = None) -> RouteDecision:
        return RouteDecision(agent="order_tracking", confidence=0.9, margin=0.5, scores={"order_tracking": 0.9},
                             reason="stand-in", evidence=[], method="keyword", clarify=False)


class ScriptedWaiter:
    """A model that books a table at the hour the customer names, and says what the tools said."""

    async def stream(self, chain: list[str], messages: list[dict[str, Any]], tools: Any) -> AsyncIterator[Any]:
        last = messages[-1]
        if last["role"] == "tool":
            payload = json.loads(last["content"])
            proposal = (payload.get("result") or {}).get("proposal") if isinstance(payload.get("result"), dict) else None
            if proposal:
                text = proposal["summary"] + " Shall I?"
            elif payload["status"] == "ok":
                text = f"Done: booking {payload['result']['booking_id']}."
            else:
                text = "Sorry, that can't be done."
            yield ReplyDone(ModelReply(model="scripted", text=text, tool_calls=[], usage=Usage()))
            return
        said = str(last.get("content") or "")
        hour = next((int(w) for w in said.replace(":", " ").split() if w.isdigit()), None)
        if tools and said.strip().lower() == "yes":
            context = str(messages[0]["content"])
            pending = next(line for line in context.splitlines() if line.startswith("pending_proposal: "))
            call = json.loads(pending.removeprefix("pending_proposal: "))["call"]
            calls = [ToolCallRequest(id="c1", name=call["tool"], arguments=call["arguments"], raw_arguments="")]
        elif tools and hour is not None:
            calls = [ToolCallRequest(id="c1", name="book_table", arguments={"hour": hour, "guests": 2}, raw_arguments="")]
        else:
            calls = []
        yield ReplyDone(ModelReply(model="scripted", text="" if calls else "Hello!", tool_calls=calls, usage=Usage()))


class CafeSkill(KnowledgeOnlySkill):
    """Corner Café's part of the offline model: book a table at the hour named, or say what is booked.
    It names only what it changes of the generic skill."""

    name = "cafe"
    confirm_tools = frozenset({"book_table", "cancel_booking"})
    read_tools = frozenset({"find_booking"})
    topic_words: frozenset[str] = frozenset({"table", "tables", "book*", "reservation*", "café", "cafe"})
    status_words: Mapping[str, str] = {"booked": "booked"}
    help_areas = "booking a table for tonight, and your booking"

    def money(self, amount: Any, currency: Any = None) -> str:
        return f"£{float(amount):.2f}"

    def flow(self, specialist: str, request: Request) -> Flow | None:
        return self._flow

    def _flow(self, request: Request, wants: frozenset[str]) -> list[PlannedCall]:
        hour = next((int(w) for w in request.latest.replace(":", " ").split() if w.isdigit()), None)
        if hour is not None:
            return [("book_table", {"hour": hour, "guests": 2})]
        return [] if request.last("find_booking") else [("find_booking", {})]

    def answered_by(self, specialist: str) -> frozenset[str]:
        return self.read_tools

    def facts(self, outcome: SeenCall, request: Request, wanted: frozenset[str]) -> list[Act] | None:
        if outcome.name == "find_booking":
            booked = outcome.value("bookings") or {}
            told = [f"a table for {b['guests']} at {b['hour']}:00 ({k})" for k, b in booked.items()]
            return [Act("answer", f"You have {', '.join(told)}." if told else "You have no table booked tonight.")]
        if outcome.name == "book_table":
            return [Act("answer", f"Done — your table is booked, booking {outcome.value('booking_id')}.")]
        if outcome.name == "cancel_booking":
            return [Act("answer", "Done — your booking is cancelled.")]
        return None

    def blocked(self, outcome: SeenCall) -> str | None:
        return "I'm sorry, we only book tables between 12:00 and 22:00." if outcome.rule == "opening_hours" else None


def _skill_is_a_skill(skill: CafeSkill) -> OfflineSkill:
    return skill  # mypy checks the structural fit
