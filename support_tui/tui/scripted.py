"""A stand-in engine that replays canned turn events: for previews, screenshots and console tests."""

from __future__ import annotations

import asyncio
import copy
import itertools
from typing import Any, AsyncIterator

from support_tui.core.events import (
    EscalationRaised,
    Event,
    HandoffMade,
    HandoffPacket,
    KnowledgeRetrieved,
    ModelCalled,
    Notice,
    ReplyCompleted,
    ReplyDelta,
    RouteDecided,
    RouteEvidence,
    SentimentScored,
    Snippet,
    ToolCallFinished,
    ToolCallRequested,
    TurnCompleted,
    TurnStarted,
    Usage,
)
from support_tui.core.settings import Settings
from support_tui.core.specialists import ROUTABLE
from support_tui.core.store.support import ConversationInfo, PendingToolCall, StoredMessage

FIXED_CLOCK_MS = 1_780_000_000_000.0
"""Event times start here and advance 40 ms per event, so views and snapshots are deterministic."""

STAMP = "2026-11-26T09:00:00.000+00:00"

CUSTOMERS: list[dict[str, Any]] = [
    {"id": "cus_ada", "name": "Ada Lovelace", "tier": "gold", "lifetime_value": 2480.5, "email": "ada@example.com"},
    {"id": "cus_bob", "name": "Bob Stone", "tier": "standard", "lifetime_value": 130.0, "email": "bob@example.com"},
    {
        "id": "cus_mal",
        "name": "[bold red]Mallory[/] [@click=app.quit]x[/]",
        "tier": "silver",
        "lifetime_value": 512.0,
        "email": "mal@example.com",
    },
]


class ScriptedEngine:
    """Implements the engine interface over in-memory records; every call is recorded in ``calls``."""

    def __init__(self, settings: Settings | None = None, *, ready: bool = True, delta_delay: float = 0.0) -> None:
        self.settings = settings or Settings()
        self.ready = ready
        self.delta_delay = delta_delay
        self.calls: list[tuple[str, tuple, dict]] = []
        self.ready_gate = asyncio.Event() if not ready else None
        self.hold: asyncio.Event | None = None
        """When set to an unset Event, a turn pauses after its first events (to test cancelling)."""
        self.fail_with: Exception | None = None
        """Raised by the next turn after TurnStarted (to test worker failures)."""
        self.customer_list = copy.deepcopy(CUSTOMERS)
        self.records: dict[str, ConversationInfo] = {}
        self.message_log: dict[str, list[StoredMessage]] = {}
        self.events: dict[str, list[Event]] = {}
        self.pending: dict[str, PendingToolCall] = {}
        self._ids = itertools.count(1)
        self._clock = itertools.count()
        self.models = ["openai/gpt-4o", "anthropic/claude-sonnet-4-5", "offline/support-agent"]

    # helpers -------------------------------------------------------------------------------

    def _record(self, name: str, *args: Any, **kwargs: Any) -> None:
        self.calls.append((name, args, kwargs))

    def called(self, name: str) -> list[tuple[tuple, dict]]:
        """The recorded (args, kwargs) of every call to ``name``."""
        return [(a, k) for n, a, k in self.calls if n == name]

    def _at(self) -> float:
        return FIXED_CLOCK_MS + 40.0 * next(self._clock)

    def _store(self, conversation_id: str, role: str, text: str, **extra: Any) -> StoredMessage:
        msg = StoredMessage(
            id=next(self._ids), conversation_id=conversation_id, turn_id=extra.pop("turn_id", None), role=role,
            text=text, agent=extra.get("agent"), model=extra.get("model"), status=extra.get("status", "sent"),
            created_at=STAMP,
        )
        self.message_log.setdefault(conversation_id, []).append(msg)
        return msg

    def _update(self, conversation_id: str, **changes: Any) -> ConversationInfo:
        conv = self.records[conversation_id].model_copy(update=changes)
        self.records[conversation_id] = conv
        return conv

    # readiness and records ---------------------------------------------------------------------

    async def wait_ready(self) -> None:
        if self.ready_gate is not None:
            await self.ready_gate.wait()
        self.ready = True

    def make_ready(self) -> None:
        """Finish the simulated knowledge-base load."""
        if self.ready_gate is not None:
            self.ready_gate.set()

    async def customers(self) -> list[dict]:
        return copy.deepcopy(self.customer_list)

    async def customer_card(self, customer_id: str) -> dict:
        base = next(c for c in self.customer_list if c["id"] == customer_id)
        return {
            **base,
            "phone": "+1 555 0100",
            "recent_orders": [
                {"order_id": "ORD-1001", "status": "shipped", "total": 84.0, "placed_at": "2026-11-20"},
                {"order_id": "ORD-0990", "status": "delivered", "total": 249.99, "placed_at": "2026-11-02"},
            ],
            "open_tickets": [
                {"conversation_id": c.id, "status": c.status, "priority": c.priority, "agent": c.agent}
                for c in self.records.values()
                if c.customer_id == customer_id and c.status in ("open", "escalated")
            ],
            "memory": [{"conversation_id": "conv_old", "summary": "Asked about [b]gift wrap[/b] last month.", "created_at": STAMP}],
        }

    async def open_conversation(self, customer_id: str, *, new: bool = False) -> ConversationInfo:
        self._record("open_conversation", customer_id, new=new)
        if not new:
            for conv in reversed(list(self.records.values())):
                if conv.customer_id == customer_id and conv.status in ("open", "escalated"):
                    return conv
        cid = f"conv_{len(self.records) + 1:03d}"
        conv = ConversationInfo(
            id=cid, customer_id=customer_id, status="open", handled_by="ai", agent=None, mode=self.settings.mode,
            model=None, priority=None, escalation_reason=None, outcome=None, summary=None, state={},
            is_fixture=False, created_at=STAMP, updated_at=STAMP, closed_at=None,
        )
        self.records[cid] = conv
        return conv

    async def conversations(self, statuses: list[str] | None = None) -> list[ConversationInfo]:
        rank = {"urgent": 0, "high": 1, "normal": 2, "low": 3, None: 4}
        convs = [c for c in self.records.values() if statuses is None or c.status in statuses]
        return sorted(convs, key=lambda c: (c.status != "escalated", rank.get(c.priority, 4), c.id))

    async def get_conversation(self, conversation_id: str) -> ConversationInfo:
        return self.records[conversation_id]

    async def messages(self, conversation_id: str) -> list[StoredMessage]:
        return list(self.message_log.get(conversation_id, []))

    async def pending_tool_calls(self, conversation_id: str) -> list[PendingToolCall]:
        return [p for p in self.pending.values() if p.conversation_id == conversation_id and p.status == "pending"]

    async def trace(self, conversation_id: str) -> list[Event]:
        return list(self.events.get(conversation_id, []))

    def available_models(self) -> list[str]:
        return list(self.models)

    # turns ---------------------------------------------------------------------------------------

    async def _emit(self, conversation_id: str, events: list[Event]) -> AsyncIterator[Event]:
        for event in events:
            event = event.model_copy(update={"at": self._at()})
            self.events.setdefault(conversation_id, []).append(event)
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
        last = [m for m in self.message_log.get(conversation_id, []) if m.role == "customer"][-1]
        turn_id = f"turn_{next(self._ids)}"
        return self._emit(conversation_id, self._script(conversation_id, turn_id, last.id, last.text, route_override))

    def resolve_tool_call(self, conversation_id: str, call_id: str, *, approve: bool, arguments: dict | None = None, reason: str | None = None) -> AsyncIterator[Event]:
        self._record("resolve_tool_call", conversation_id, call_id, approve=approve, arguments=arguments, reason=reason)
        call = self.pending[call_id]
        self.pending[call_id] = call.model_copy(update={"status": "approved" if approve else "denied"})
        args = arguments or call.arguments
        turn_id = f"turn_{next(self._ids)}"
        base = {"turn_id": turn_id, "conversation_id": conversation_id}
        if approve:
            finished = ToolCallFinished(**base, call_id=call_id, name=call.name, arguments=args, status="ok",
                                        result={"refund_id": "RF-77", "amount": args.get("amount")}, duration_ms=31.0)
            text = f"Your refund of ${args.get('amount')} has been issued."
        else:
            finished = ToolCallFinished(**base, call_id=call_id, name=call.name, arguments=args, status="blocked",
                                        error=f"denied by a person: {reason}", rule="human_denied")
            text = "I'm sorry, a colleague could not approve that refund."
        agent = call.agent
        events: list[Event] = [finished, ModelCalled(**base, model="anthropic/claude-sonnet-4-5", step=2)]
        events += self._reply(conversation_id, base, text, agent, "anthropic/claude-sonnet-4-5", [])
        events.append(TurnCompleted(**base, status="completed", timings_ms={"tools": 31.0, "total": 120.0},
                                    usage=Usage(prompt_tokens=300, completion_tokens=40, cost_usd=0.002)))
        return self._emit(conversation_id, events)

    def _reply(self, conversation_id: str, base: dict, text: str, agent: str, model: str, used: list[str]) -> list[Event]:
        conv = self.records[conversation_id]
        draft = conv.mode == "supervised"
        stored = self._store(conversation_id, "ai", text, agent=agent, model=model, status="draft" if draft else "sent",
                             turn_id=base["turn_id"])
        words = text.split(" ")
        deltas: list[Event] = [ReplyDelta(**base, text=w + (" " if i < len(words) - 1 else ""), model=model) for i, w in enumerate(words)]
        return [*deltas, ReplyCompleted(**base, message_id=stored.id, text=text, agent=agent, model=model, draft=draft, used_snippets=used)]

    def _script(self, conversation_id: str, turn_id: str, message_id: int, text: str, route_override: str | None) -> list[Event]:
        conv = self.records[conversation_id]
        base = {"turn_id": turn_id, "conversation_id": conversation_id}
        lower = text.lower()
        angry = "ridiculous" in lower or "angry" in lower
        if route_override:
            agent = route_override
        elif "refund" in lower or "return" in lower:
            agent = "returns_refunds"
        elif "charge" in lower or "billing" in lower:
            agent = "billing_payment"
        else:
            agent = "order_tracking"
        compound = -0.82 if angry else (-0.31 if "late" in lower else 0.25)
        history = [e.compound for e in self.events.get(conversation_id, []) if isinstance(e, SentimentScored)] + [compound]
        scores = {name: 0.05 + 0.02 * i for i, name in enumerate(ROUTABLE)}
        scores[agent] = 0.81
        model = conv.model or ("anthropic/claude-sonnet-4-5" if agent == "returns_refunds" else "openai/gpt-4o")
        events: list[Event] = [
            TurnStarted(**base, customer_id=conv.customer_id, message_id=message_id, text=text, mode=conv.mode),  # type: ignore[arg-type]
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
            events.append(EscalationRaised(**base, rule="negative_trend", reason="sentiment trend below threshold", priority="high", packet=packet))
            self._update(conversation_id, status="escalated", priority="high", escalation_reason="negative trend")
        if conv.handled_by == "human":
            events.append(Notice(**base, code="human_active", message="A person is handling this conversation."))
            events.append(TurnCompleted(**base, status="human_active"))
            return events
        snippets = [
            Snippet(doc_id="shipping", chunk_id="shipping#1", title="Shipping times", score=0.82,
                    text="Standard shipping takes 3-5 business days. [bold red]x[/] [@click=app.quit]y[/]"),
            Snippet(doc_id="returns", chunk_id="returns#2", title="Returns policy", score=0.64,
                    text="Items can be returned within 30 days of delivery."),
        ]
        events += [KnowledgeRetrieved(**base, query=text, snippets=snippets), ModelCalled(**base, model=model, step=1)]
        if agent == "returns_refunds":
            args = {"order_id": "ORD-0990", "amount": 249.99}
            events += [
                ToolCallRequested(**base, call_id="call_refund", name="issue_refund", arguments=args),
                ToolCallFinished(**base, call_id="call_refund", name="issue_refund", arguments=args, status="pending_approval",
                                 error="refund above approval threshold", rule="refund_over_threshold", duration_ms=2.0),
            ]
            self.pending["call_refund"] = PendingToolCall(
                call_id="call_refund", conversation_id=conversation_id, turn_id=turn_id, agent=agent, name="issue_refund",
                arguments=args, rule="refund_over_threshold", reason="refund above approval threshold", status="pending",
                note=None, created_at=STAMP)
            reply = "I've asked a colleague to approve your refund of $249.99."
            status = "awaiting_approval"
        else:
            args = {"order_id": "ORD-1001"}
            events += [
                ToolCallRequested(**base, call_id=f"call_{turn_id}", name="get_order_status", arguments=args),
                ToolCallFinished(**base, call_id=f"call_{turn_id}", name="get_order_status", arguments=args, status="ok",
                                 result={"order_id": "ORD-1001", "status": "shipped", "carrier_note": "[bold red]x[/] [@click=app.quit]y[/]"},
                                 duration_ms=12.5),
            ]
            reply = {
                "billing_payment": "I see two charges for **ORD-1001**; the second is a pending authorisation and will drop off.",
            }.get(agent, "Your order **ORD-1001** has shipped and should arrive in 3-5 business days.")
            status = "completed"
        events += self._reply(conversation_id, base, reply, agent, model, ["shipping#1"])
        events.append(TurnCompleted(**base, status=status,  # type: ignore[arg-type]
                                    timings_ms={"sentiment": 1.2, "route": 8.4, "retrieve": 11.0, "model": 640.0, "total": 702.5},
                                    usage=Usage(prompt_tokens=812, completion_tokens=64, cost_usd=0.0061)))
        return events

    # people's actions ---------------------------------------------------------------------------

    async def approve_draft(self, message_id: int, text: str | None = None) -> None:
        self._record("approve_draft", message_id, text=text)
        self._set_message(message_id, status="sent", **({"text": text} if text else {}))

    async def reject_draft(self, message_id: int, reason: str | None = None) -> None:
        self._record("reject_draft", message_id, reason=reason)
        self._set_message(message_id, status="rejected")

    def _set_message(self, message_id: int, **changes: Any) -> None:
        for log in self.message_log.values():
            for i, msg in enumerate(log):
                if msg.id == message_id:
                    log[i] = msg.model_copy(update=changes)

    async def send_human_message(self, conversation_id: str, text: str) -> int:
        self._record("send_human_message", conversation_id, text)
        return self._store(conversation_id, "human", text).id

    async def take_over(self, conversation_id: str) -> None:
        self._record("take_over", conversation_id)
        self._update(conversation_id, handled_by="human")

    async def hand_back(self, conversation_id: str) -> None:
        self._record("hand_back", conversation_id)
        self._update(conversation_id, handled_by="ai")

    async def escalate(self, conversation_id: str, reason: str) -> EscalationRaised:
        self._record("escalate", conversation_id, reason)
        self._update(conversation_id, status="escalated", priority="high", escalation_reason=reason)
        packet = HandoffPacket(from_agent=self.records[conversation_id].agent, to_agent="human", reason=reason, summary=reason)
        event = EscalationRaised(turn_id="manual", conversation_id=conversation_id, at=self._at(), rule="manual",
                                 reason=reason, priority="high", packet=packet)
        self.events.setdefault(conversation_id, []).append(event)
        return event

    async def set_model(self, conversation_id: str, model: str | None) -> None:
        self._record("set_model", conversation_id, model)
        self._update(conversation_id, model=model)

    async def set_mode(self, conversation_id: str, mode: str) -> None:
        self._record("set_mode", conversation_id, mode)
        self._update(conversation_id, mode=mode)

    async def rate(self, conversation_id: str, score: int, comment: str | None = None) -> None:
        self._record("rate", conversation_id, score, comment=comment)

    async def close_conversation(self, conversation_id: str, outcome: str = "resolved") -> None:
        self._record("close_conversation", conversation_id, outcome=outcome)
        self._update(conversation_id, status=outcome, outcome=outcome)
