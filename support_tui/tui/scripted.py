"""ScriptedEngine: a ``SupportEngine`` over in-memory records that replays canned turns, for previews,
screenshots and console tests. It names only the Northwind shop's real tools and the real rules."""

from __future__ import annotations

import asyncio
import itertools
from datetime import datetime
from typing import TYPE_CHECKING, Any, AsyncIterator, Mapping, Sequence

from pydantic import ValidationError

from support_tui.core.events import (
    ChangeKind, ConversationChanged, EscalationRaised, Event, HandoffMade, HandoffPacket, KnowledgeRetrieved,
    ModelCalled, Notice, ReplyCompleted, ReplyDelta, RouteDecided, RouteEvidence, SentimentScored, Snippet,
    ToolCallFinished, ToolCallRequested, TurnCompleted, TurnStarted, Usage,
)
from support_tui.core.settings import Settings
from support_tui.core.shop import CardOrder, CustomerCard, CustomerSummary, ToolOutcome
from support_tui.core.specialists import ROUTABLE
from support_tui.core.store.records.values import ConversationInfo, MemoryEntry, PendingToolCall, StoredMessage
from support_tui.core.store.queue.jobs import QueuedMessage, TurnJob
from support_tui.core.team import CallDecided, ConversationHeld, WaitingCall, why_it_waits
from support_tui.core.turn.tools import ENGINE_RULES
from support_tui.shops.northwind.policy import RULES as SHOP_RULES
from support_tui.shops.northwind.tools import TOOLS

if TYPE_CHECKING:
    from support_tui.core.metrics.figures import Metrics
    from support_tui.core.turn.compare import Comparison
    from support_tui.core.turn.fork import ForkRun

FIXED_CLOCK_MS = 1_780_000_000_000.0
"""Event times start here and advance 40 ms per event, so views and snapshots are deterministic."""

STAMP = "2026-11-26T09:00:00.000+00:00"

CUSTOMERS: list[CustomerSummary] = [
    CustomerSummary(id="cus_ada", name="Ada Lovelace", tier="gold", lifetime_value=2480.5, email="ada@example.com"),
    CustomerSummary(id="cus_bob", name="Bob Stone", tier="standard", lifetime_value=130.0, email="bob@example.com"),
    CustomerSummary(id="cus_mal", name="[bold red]Mallory[/] [@click=app.quit]x[/]", tier="silver",
                    lifetime_value=512.0, email="mal@example.com"),
]
HOSTILE_NOTE = "[bold red]x[/] [@click=app.quit]y[/]"
MODEL_CLAUDE, MODEL_GPT = "anthropic/claude-sonnet-4-5", "openai/gpt-4o"


class ScriptedEngine:
    """Satisfies ``SupportEngine``; every call is recorded in ``calls`` and every event published."""

    def __init__(self, settings: Settings | None = None, *, ready: bool = True, delta_delay: float = 0.0) -> None:
        self.settings = settings or Settings()
        self.ready = ready
        self.delta_delay = delta_delay
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        self.ready_gate = asyncio.Event() if not ready else None
        self.hold: asyncio.Event | None = None
        """When set to an unset Event, a turn pauses after its first events (to test cancelling)."""
        self.fail_with: Exception | None = None
        """Raised by the next turn after TurnStarted (to test worker failures)."""
        self.customer_list = list(CUSTOMERS)
        self.orders: dict[str, list[CardOrder]] = {}
        self.records: dict[str, ConversationInfo] = {}
        self.message_log: dict[str, list[StoredMessage]] = {}
        self.events: dict[str, list[Event]] = {}
        self.pending: dict[str, PendingToolCall] = {}
        self.queued: list[int] = []
        """Customer messages submitted through the channel and not yet run (``run_queued_turn``)."""
        self.subscribers: list[asyncio.Queue[Event]] = []
        self._ids = itertools.count(1)
        self._clock = itertools.count()
        self.models = [MODEL_GPT, MODEL_CLAUDE, "offline/support-agent"]

    # helpers -------------------------------------------------------------------------------

    def _record(self, name: str, *args: Any, **kwargs: Any) -> None:
        self.calls.append((name, args, kwargs))

    def called(self, name: str) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
        """The recorded (args, kwargs) of every call to ``name``."""
        return [(a, k) for n, a, k in self.calls if n == name]

    def emitted(self) -> list[Event]:
        """Every event of every conversation, in order."""
        return sorted((e for events in self.events.values() for e in events), key=lambda e: e.at)

    def _at(self) -> float:
        return FIXED_CLOCK_MS + 40.0 * next(self._clock)

    def _store(self, conversation_id: str, role: str, text: str, **extra: Any) -> StoredMessage:
        msg = StoredMessage(
            id=next(self._ids), conversation_id=conversation_id, turn_id=extra.get("turn_id"), role=role, text=text,
            agent=extra.get("agent"), model=extra.get("model"), status=extra.get("status", "sent"), created_at=STAMP,
        )
        self.message_log.setdefault(conversation_id, []).append(msg)
        return msg

    def _update(self, conversation_id: str, **changes: Any) -> ConversationInfo:
        conv = self.records[conversation_id].model_copy(update=changes)
        self.records[conversation_id] = conv
        return conv

    def _publish(self, event: Event) -> Event:
        event = event.model_copy(update={"at": self._at()})
        self.events.setdefault(event.conversation_id, []).append(event)
        for queue in self.subscribers:
            queue.put_nowait(event)
        return event

    def _change(self, conversation_id: str, change: ChangeKind, by: str | None, detail: str = "",
                message_id: int | None = None) -> None:
        status = self.records[conversation_id].status
        self._publish(ConversationChanged(turn_id=f"change_{next(self._ids)}", conversation_id=conversation_id,
                                          change=change, status=status, by=by, detail=detail, message_id=message_id))

    # readiness, events, rules -------------------------------------------------------------

    def start_background(self, progress: Any = None) -> None:
        pass

    async def wait_ready(self) -> None:
        if self.ready_gate is not None:
            await self.ready_gate.wait()
        self.ready = True

    def make_ready(self) -> None:
        """Finish the simulated knowledge-base load."""
        if self.ready_gate is not None:
            self.ready_gate.set()

    async def close(self) -> None:
        self._record("close")

    def subscribe(self) -> asyncio.Queue[Event]:
        queue: asyncio.Queue[Event] = asyncio.Queue()
        self.subscribers.append(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Event]) -> None:
        if queue in self.subscribers:
            self.subscribers.remove(queue)

    def rules(self) -> Mapping[str, str]:
        return {**SHOP_RULES, **ENGINE_RULES}

    def available_models(self) -> list[str]:
        return list(self.models)

    # customers and conversations ----------------------------------------------------------

    async def customers(self) -> list[CustomerSummary]:
        return list(self.customer_list)

    async def customer_brief(self, customer_id: str) -> CustomerSummary:
        for customer in self.customer_list:
            if customer.id == customer_id:
                return customer
        raise LookupError(f"no customer {customer_id!r}")

    def _orders(self, customer_id: str) -> list[CardOrder]:
        return self.orders.setdefault(customer_id, [
            CardOrder(order_id="ORD-1001", status="on its way", total=84.0, placed_at="2026-11-20"),
            CardOrder(order_id="ORD-1002", status="being packed", total=32.5, placed_at="2026-11-25"),
            CardOrder(order_id="ORD-0990", status="delivered", total=249.99, placed_at="2026-11-02"),
        ])

    async def customer_card(self, customer_id: str) -> CustomerCard:
        return CustomerCard(
            customer=await self.customer_brief(customer_id), phone="+1 555 0100",
            recent_orders=list(self._orders(customer_id)),
            open_tickets=[{"conversation_id": c.id, "status": c.status, "priority": c.priority, "agent": c.agent}
                          for c in self.records.values() if c.customer_id == customer_id and c.status in ("open", "escalated")],
            memory=[{"conversation_id": "conv_old", "summary": "Asked about [b]gift wrap[/b] last month.", "created_at": STAMP}],
        )

    async def open_conversation(self, customer_id: str, *, new: bool = False, mode: str | None = None) -> ConversationInfo:
        self._record("open_conversation", customer_id, new=new)
        await self.customer_brief(customer_id)
        if not new:
            for conv in reversed(list(self.records.values())):
                if conv.customer_id == customer_id and conv.status in ("open", "escalated"):
                    return conv
        cid = f"conv_{len(self.records) + 1:03d}"
        conv = ConversationInfo(
            id=cid, customer_id=customer_id, status="open", handled_by="ai", agent=None, mode=mode or self.settings.mode,
            model=None, priority=None, escalation_reason=None, outcome=None, summary=None, state={},
            is_fixture=False, created_at=STAMP, updated_at=STAMP, closed_at=None,
        )
        self.records[cid] = conv
        return conv

    async def conversations(self, statuses: list[str] | None = None) -> list[ConversationInfo]:
        rank = {"urgent": 0, "high": 1, "normal": 2, "low": 3}
        wanted = statuses or ["open", "escalated"]
        convs = [c for c in self.records.values() if c.status in wanted]
        return sorted(convs, key=lambda c: (c.status != "escalated", rank.get(c.priority or "", 4), c.id))

    async def get_conversation(self, conversation_id: str) -> ConversationInfo:
        if conversation_id not in self.records:
            raise LookupError(f"no conversation {conversation_id!r}")
        return self.records[conversation_id]

    async def messages(self, conversation_id: str) -> list[StoredMessage]:
        return list(self.message_log.get(conversation_id, []))

    async def pending_tool_calls(self, conversation_id: str) -> list[PendingToolCall]:
        return [p for p in self.pending.values() if p.conversation_id == conversation_id and p.status == "pending"]

    async def trace(self, conversation_id: str) -> list[Event]:
        return list(self.events.get(conversation_id, []))

    async def read_shop(self, customer_id: str, tool: str, arguments: Mapping[str, Any]) -> ToolOutcome:
        spec = TOOLS.get(tool)
        if spec is None or spec.writes:
            return ToolOutcome(status="error", error=f"'{tool}' is not one of the shop's read tools.")
        return ToolOutcome(status="ok", result={"order_id": arguments.get("order_id"), "status": "shipped"})

    # turns ---------------------------------------------------------------------------------

    async def _emit(self, conversation_id: str, events: list[Event]) -> AsyncIterator[Event]:
        for event in events:
            event = self._publish(event)
            if isinstance(event, ReplyDelta) and self.delta_delay:
                await asyncio.sleep(self.delta_delay)
            yield event
            if isinstance(event, TurnStarted):
                if self.fail_with is not None:
                    error, self.fail_with = self.fail_with, None
                    raise error
                if self.hold is not None:
                    await self.hold.wait()

    def run_turn(self, conversation_id: str, text: str, *, actor: str = "customer", route_override: str | None = None) -> AsyncIterator[Event]:
        self._record("run_turn", conversation_id, text, actor=actor, route_override=route_override)
        turn_id = f"turn_{next(self._ids)}"
        stored = self._store(conversation_id, "customer", text, turn_id=turn_id)
        return self._emit(conversation_id, self._script(conversation_id, turn_id, stored.id, text, route_override))

    def rerun_turn(self, conversation_id: str, *, route_override: str | None = None) -> AsyncIterator[Event]:
        self._record("rerun_turn", conversation_id, route_override=route_override)
        yes = {"yes", "ok", "yes please", "sure"}
        last = [m for m in self.message_log.get(conversation_id, []) if m.role == "customer" and m.text.lower().strip(" .!") not in yes][-1]
        turn_id = f"turn_{next(self._ids)}"
        events = self._script(conversation_id, turn_id, last.id, last.text, route_override)
        where = f" with {route_override}" if route_override else ""
        # As the engine does: the turn itself says it is a re-run (the console posts no line of its own).
        events.insert(1, Notice(turn_id=turn_id, conversation_id=conversation_id, code="rerun",
                                message=f"Re-running the customer's request{where}."))
        return self._emit(conversation_id, events)

    async def submit_message(self, conversation_id: str, text: str) -> QueuedMessage:
        self._record("submit_message", conversation_id, text)
        if conversation_id not in self.records:
            raise LookupError(f"no conversation {conversation_id!r}")
        stored = self._store(conversation_id, "customer", text)
        self.queued.append(stored.id)
        return QueuedMessage(message_id=stored.id, conversation_id=conversation_id, text=text, created_at=STAMP)

    def run_queued_turn(self, job: TurnJob) -> AsyncIterator[Event]:
        self._record("run_queued_turn", job.message_id)
        message = self._message(job.message_id)
        self.queued.remove(job.message_id)
        turn_id = job.turn_id or f"turn_{next(self._ids)}"
        return self._emit(job.conversation_id, self._script(job.conversation_id, turn_id, message.id, message.text, None))

    async def check_tool_arguments(self, conversation_id: str, call_id: str, arguments: dict[str, Any]) -> list[str]:
        self._record("check_tool_arguments", conversation_id, call_id, arguments)
        call = self.pending.get(call_id)
        if call is None or call.conversation_id != conversation_id:
            return [f"no pending tool call {call_id!r} in this conversation"]
        try:
            TOOLS[call.name].args.model_validate(arguments)
        except ValidationError as exc:
            return [f"{'.'.join(map(str, e['loc'])) or 'arguments'}: {e['msg']}" for e in exc.errors(include_url=False)]
        return []

    def resolve_tool_call(
        self, conversation_id: str, call_id: str, *, approve: bool, arguments: dict[str, Any] | None = None,
        reason: str | None = None, by: str | None = None,
    ) -> AsyncIterator[Event]:
        self._record("resolve_tool_call", conversation_id, call_id, approve=approve, arguments=arguments, reason=reason, by=by)
        call = self.pending[call_id]
        if call.status != "pending":
            raise CallDecided(call)
        args = arguments or call.arguments
        if approve and arguments is not None:
            try:
                TOOLS[call.name].args.model_validate(arguments)
            except ValidationError as exc:
                raise ValueError(f"invalid arguments for {call.name}: {exc.error_count()} problem(s)") from None
        self.pending[call_id] = call.model_copy(update={"status": "approved" if approve else "denied", "decided_by": by})
        turn_id = f"turn_{next(self._ids)}"
        base: dict[str, Any] = {"turn_id": turn_id, "conversation_id": conversation_id}
        changed = ConversationChanged(**base, change="call_approved" if approve else "call_denied", status=self.records[conversation_id].status,
                                      by=by, detail=f"{call.name}" + (f": {reason}" if reason else ""))
        if approve:
            result = {"refund_id": "RF-77", "amount": args.get("amount")} if call.name == "issue_refund" else {"rma": "RMA-5501"}
            finished = ToolCallFinished(**base, call_id=call_id, name=call.name, arguments=args, status="ok", result=result, duration_ms=31.0)
            text = f"Your refund of ${args.get('amount')} has been issued." if call.name == "issue_refund" else "Your return is started; the label is on its way."
        else:
            finished = ToolCallFinished(**base, call_id=call_id, name=call.name, arguments=args, status="blocked",
                                        error="A person declined the call.", rule="human_denied")
            text = "I'm sorry, we can't do that for this order; here is what we can do instead."
        events: list[Event] = [changed, finished, ModelCalled(**base, model=MODEL_CLAUDE, step=2)]
        events += self._reply(conversation_id, base, text, call.agent, MODEL_CLAUDE, [])
        events.append(TurnCompleted(**base, status="completed", timings_ms={"tools": 31.0, "total": 120.0},
                                    usage=Usage(prompt_tokens=300, completion_tokens=40, cost_usd=0.002)))
        return self._emit(conversation_id, events)

    def _reply(self, conversation_id: str, base: dict[str, Any], text: str, agent: str, model: str, used: list[str]) -> list[Event]:
        draft = self.records[conversation_id].mode == "supervised"
        stored = self._store(conversation_id, "ai", text, agent=agent, model=model, status="draft" if draft else "sent",
                             turn_id=base["turn_id"])
        words = text.split(" ")
        deltas: list[Event] = [ReplyDelta(**base, text=w + (" " if i < len(words) - 1 else ""), model=model) for i, w in enumerate(words)]
        return [*deltas, ReplyCompleted(**base, message_id=stored.id, text=text, agent=agent, model=model, draft=draft, used_snippets=used)]

    def _route(self, lower: str, override: str | None) -> str:
        if override:
            return override
        if any(w in lower for w in ("refund", "return", "cancel")):
            return "order_tracking" if "cancel" in lower else "returns_refunds"
        return "billing_payment" if "charge" in lower or "billing" in lower else "order_tracking"

    def _tool_step(self, conversation_id: str, base: dict[str, Any], lower: str, agent: str) -> tuple[list[Event], str, str]:
        """The tool calls of a scripted turn, the reply and the turn's status."""
        turn_id = base["turn_id"]
        conv = self.records[conversation_id]
        if agent == "returns_refunds":
            refund = "refund" in lower and "return" not in lower
            name, call_id = ("issue_refund", f"call_refund_{turn_id}") if refund else ("create_return", f"call_return_{turn_id}")
            args: dict[str, Any] = ({"order_id": "ORD-0990", "amount": 249.99, "reason": "arrived broken"} if refund else
                                    {"order_id": "ORD-0990", "reason": "arrived broken", "kind": "refund", "skus": ["BL-2201"]})
            why = "$249.99 is above the approval threshold of $200.00; a person must approve it."
            self.pending[call_id] = PendingToolCall(
                call_id=call_id, conversation_id=conversation_id, turn_id=turn_id, agent=agent, name=name, arguments=args,
                rule="human_approval", reason=why, status="pending", note=None, created_at=STAMP)
            return ([ToolCallRequested(**base, call_id=call_id, name=name, arguments=args),
                     ToolCallFinished(**base, call_id=call_id, name=name, arguments=args, status="pending_approval",
                                      error=why, rule="human_approval", duration_ms=2.0)],
                    "I've asked a colleague to approve your refund of $249.99.", "awaiting_approval")
        if "cancel" in lower:
            args = {"order_id": "ORD-1002", "reason": "changed my mind"}
            orders = self._orders(conv.customer_id)
            self.orders[conv.customer_id] = [o.model_copy(update={"status": "cancelled"}) if o.order_id == "ORD-1002" else o for o in orders]
            return ([ToolCallRequested(**base, call_id=f"call_{turn_id}", name="cancel_order", arguments=args),
                     ToolCallFinished(**base, call_id=f"call_{turn_id}", name="cancel_order", arguments=args, status="ok",
                                      result={"order_id": "ORD-1002", "status": "cancelled"}, duration_ms=9.0)],
                    "Order **ORD-1002** is cancelled; the $32.50 goes back to your card.", "completed")
        args = {"order_id": "ORD-1001"}
        reply = {"billing_payment": "I see two charges for **ORD-1001**; the second is a pending authorisation and will drop off."}.get(
            agent, "Your order **ORD-1001** has shipped and should arrive in 3-5 business days.")
        return ([ToolCallRequested(**base, call_id=f"call_{turn_id}", name="lookup_order", arguments=args),
                 ToolCallFinished(**base, call_id=f"call_{turn_id}", name="lookup_order", arguments=args, status="ok",
                                  result={"order_id": "ORD-1001", "status": "shipped", "carrier_note": HOSTILE_NOTE}, duration_ms=12.5)],
                reply, "completed")

    def _script(self, conversation_id: str, turn_id: str, message_id: int, text: str, route_override: str | None) -> list[Event]:
        conv = self.records[conversation_id]
        base: dict[str, Any] = {"turn_id": turn_id, "conversation_id": conversation_id}
        lower = text.lower()
        angry = "ridiculous" in lower or "angry" in lower
        agent = self._route(lower, route_override)
        compound = -0.82 if angry else (-0.31 if "late" in lower else 0.25)
        history = [e.compound for e in self.events.get(conversation_id, []) if isinstance(e, SentimentScored)] + [compound]
        scores = {name: 0.05 + 0.02 * i for i, name in enumerate(ROUTABLE)}
        scores[agent] = 0.81
        model = conv.model or (MODEL_CLAUDE if agent == "returns_refunds" else MODEL_GPT)
        events: list[Event] = [
            TurnStarted(**base, customer_id=conv.customer_id, message_id=message_id, text=text, mode=conv.mode),  # type: ignore[arg-type]
        ]
        if conv.status not in ("open", "escalated"):
            self._update(conversation_id, status="open", outcome=None, closed_at=None)
            events.append(ConversationChanged(**base, change="reopened", status="open", detail="the customer wrote again"))
        events += [
            SentimentScored(**base, compound=compound, label="very_negative" if angry else ("negative" if compound < 0 else "positive"),
                            trend="worsening" if compound < 0 else "steady", trend_compound=sum(history) / len(history),
                            history=history, signals=["exclamations"] if angry else []),
            RouteDecided(**base, agent=agent, confidence=0.78, margin=0.64, scores=scores,
                         reason="override by a person" if route_override else f"closest exemplars are {agent}",
                         evidence=[RouteEvidence(agent=agent, text="where is my [b]order[/b]?", similarity=0.83)],
                         previous_agent=conv.agent, method="override" if route_override else "embedding"),
        ]
        if conv.agent and conv.agent != agent:
            events.append(HandoffMade(**base, packet=HandoffPacket(from_agent=conv.agent, to_agent=agent, reason="topic changed",
                                                                   summary="Customer moved on to a new topic.")))
        self._update(conversation_id, agent=agent)
        if angry:
            packet = HandoffPacket(from_agent=agent, to_agent="human", reason="negative trend", summary="Customer is upset.")
            self._update(conversation_id, status="escalated", priority="high", escalation_reason="negative trend")
            events.append(EscalationRaised(**base, rule="negative_sentiment", reason="sentiment trend below threshold", priority="high", packet=packet))
        if conv.handled_by == "human":
            events.append(Notice(**base, code="human_active", message="A person is handling this conversation."))
            events.append(TurnCompleted(**base, status="human_active"))
            return events
        snippets = [
            Snippet(doc_id="shipping", chunk_id="shipping#1", title="Shipping times", score=0.82,
                    text="Standard shipping takes 3-5 business days. " + HOSTILE_NOTE),
            Snippet(doc_id="returns", chunk_id="returns#2", title="Returns policy", score=0.64,
                    text="Items can be returned within 30 days of delivery."),
        ]
        events += [KnowledgeRetrieved(**base, query=text, snippets=snippets), ModelCalled(**base, model=model, step=1)]
        calls, reply, status = self._tool_step(conversation_id, base, lower, agent)
        events += calls
        events += self._reply(conversation_id, base, reply, agent, model, ["shipping#1"])
        events.append(TurnCompleted(**base, status=status,  # type: ignore[arg-type]
                                    timings_ms={"sentiment": 1.2, "route": 8.4, "retrieve": 11.0, "model": 640.0, "total": 702.5},
                                    usage=Usage(prompt_tokens=812, completion_tokens=64, cost_usd=0.0061)))
        return events

    # people's actions ---------------------------------------------------------------------------

    def _message(self, message_id: int) -> StoredMessage:
        for log in self.message_log.values():
            for msg in log:
                if msg.id == message_id:
                    return msg
        raise LookupError(f"no message {message_id}")

    def _set_message(self, message_id: int, **changes: Any) -> StoredMessage:
        for log in self.message_log.values():
            for i, msg in enumerate(log):
                if msg.id == message_id:
                    log[i] = msg.model_copy(update=changes)
                    return log[i]
        raise LookupError(f"no message {message_id}")

    async def approve_draft(self, message_id: int, text: str | None = None, *, by: str | None = None) -> None:
        self._record("approve_draft", message_id, text=text, by=by)
        before = self._message(message_id)
        edited = text is not None and text != before.text
        msg = self._set_message(message_id, status="sent", **({"text": text} if text else {}))
        self._change(msg.conversation_id, "draft_edited" if edited else "draft_sent", by,
                     f"message {message_id}" + (f": {text}" if edited else ""), message_id)

    async def reject_draft(self, message_id: int, reason: str | None = None, *, by: str | None = None) -> None:
        self._record("reject_draft", message_id, reason=reason, by=by)
        msg = self._set_message(message_id, status="rejected")
        self._change(msg.conversation_id, "draft_rejected", by, f"message {message_id}" + (f": {reason}" if reason else ""),
                     message_id)

    async def send_human_message(self, conversation_id: str, text: str, *, by: str | None = None) -> int:
        self._record("send_human_message", conversation_id, text, by=by)
        return self._store(conversation_id, "human", text, agent=by or "human").id

    async def take_over(self, conversation_id: str, *, by: str | None = None) -> None:
        self._record("take_over", conversation_id, by=by)
        holder = self.records[conversation_id].held_by
        if holder not in (None, by or "human"):
            raise ConversationHeld(conversation_id, holder)
        self._update(conversation_id, handled_by="human", held_by=by or "human")
        self._change(conversation_id, "taken_over", by)

    async def hand_back(self, conversation_id: str, *, by: str | None = None) -> None:
        self._record("hand_back", conversation_id, by=by)
        holder = self.records[conversation_id].held_by
        if holder not in (None, by or "human"):
            raise ConversationHeld(conversation_id, holder)
        self._update(conversation_id, handled_by="ai", held_by=None)
        self._change(conversation_id, "handed_back", by)

    async def approvals(self) -> list[WaitingCall]:
        waiting = []
        for call in self.pending.values():
            if call.status == "pending":
                conv = self.records[call.conversation_id]
                name = next((c.name for c in self.customer_list if c.id == conv.customer_id), conv.customer_id)
                waiting.append(WaitingCall(call=call, customer_id=conv.customer_id, customer=name, quote=None,
                                           why=why_it_waits(call), held_by=conv.held_by))
        return waiting

    async def pending_call(self, call_id: str) -> PendingToolCall | None:
        return self.pending.get(call_id)

    async def escalate(self, conversation_id: str, reason: str, *, priority: str = "high", by: str | None = None) -> Event:
        self._record("escalate", conversation_id, reason, priority=priority, by=by)
        self._update(conversation_id, status="escalated", priority=priority, escalation_reason=reason)
        packet = HandoffPacket(from_agent=self.records[conversation_id].agent, to_agent="human", reason=reason, summary=reason)
        return self._publish(EscalationRaised(turn_id=f"manual_{next(self._ids)}", conversation_id=conversation_id, rule="manual",
                                              reason=reason, priority=priority, packet=packet))  # type: ignore[arg-type]

    async def set_model(self, conversation_id: str, model: str | None) -> None:
        self._record("set_model", conversation_id, model)
        self._update(conversation_id, model=model)

    async def set_mode(self, conversation_id: str, mode: str) -> None:
        self._record("set_mode", conversation_id, mode)
        self._update(conversation_id, mode=mode)

    async def rate(self, conversation_id: str, score: int, comment: str | None = None) -> None:
        self._record("rate", conversation_id, score, comment=comment)

    async def close_conversation(self, conversation_id: str, outcome: str = "resolved", *, by: str | None = None) -> None:
        self._record("close_conversation", conversation_id, outcome=outcome, by=by)
        self._update(conversation_id, status="closed", outcome=outcome)
        self._change(conversation_id, "closed", by, outcome)

    async def memories(self, customer_id: str, limit: int = 50) -> list[MemoryEntry]:
        return [MemoryEntry(customer_id=customer_id, conversation_id="conv_old", summary="Asked about [b]gift wrap[/b] last month.",
                            created_at=STAMP)][:limit]

    async def forget_customer(self, customer_id: str) -> int:
        self._record("forget_customer", customer_id)
        return 0

    async def metrics(self, *, since: datetime | None = None, until: datetime | None = None, include_fixture: bool = True) -> Metrics:
        raise NotImplementedError("the scripted engine keeps no metrics; F12 over the real engine shows them")

    async def fork(self, conversation_id: str, *, turn: int, model: str | None = None, route: str | None = None) -> ForkRun:
        raise NotImplementedError("the scripted engine cannot fork a conversation")

    async def compare(self, conversation_id: str, *, turn: int, models: Sequence[str | None] | None = None,
                      routes: Sequence[str | None] | None = None) -> Comparison:
        raise NotImplementedError("the scripted engine cannot compare runs")


def _conforms() -> None:
    """For mypy: the double satisfies the engine's Protocol (tests check it at run time too)."""
    from support_tui.core.engine import SupportEngine

    _check: SupportEngine = ScriptedEngine()  # noqa: F841

