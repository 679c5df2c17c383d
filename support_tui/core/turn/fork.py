"""Forks: a conversation re-run from one of its turns on a copy of the shop as it was then.

How a fork is made (``fork_turn``), and what it does not do:

- **Turn N** is the conversation's N-th customer message (1-based). Everything recorded before that
  message's first turn is "before turn N": earlier turns, re-runs and a person's decisions.
- **The shop's state** is rebuilt, not remembered: a *fresh* sandbox of the shop (its records as first
  loaded) gets every successful shop call of the turns before N replayed in order, with the exact
  arguments the trace holds (reads too: they are cheap and restore what a shop keeps per
  conversation, such as the user a tau-bench look-up identified). Each replayed call is reported
  with whether it returned what the parent saw. Writes made by *other* conversations, and anything
  done to the shop outside a conversation, are not replayed: the fork sees the shop as this
  conversation alone left it.
- **The conversation's state** (specialist, open proposal, escalation, mood, hand-offs, case notes)
  is rebuilt from the same events (``state_before``). Calls still waiting for a person at turn N are
  not carried over.
- **The fork** is a new conversation linked to its parent (``parent_id``, ``forked_at_turn``), holding
  copies of the messages before turn N and a first "fork" turn in its trace that says where it came
  from. Turn N then runs again through the normal ``TurnRunner`` on the sandbox, with the chosen model
  or specialist. The parent's records and the live shop are never written.
- Later turns of a fork (a new message, a re-run, a person's decision) run on a fresh sandbox too,
  rebuilt by replaying the parent's calls before turn N and then the fork's own
  (``conversation_parts``): a fork never writes to the live shop.
- A fork writes nothing to the customer's memory, and its prompt remembers only what was remembered
  before turn N (never the parent itself).
"""

from __future__ import annotations

import json
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from support_tui.core import memory
from support_tui.core.events import (
    ConversationChanged,
    EscalationRaised,
    Event,
    HandoffMade,
    Notice,
    ReplyCompleted,
    RouteDecided,
    SentimentScored,
    ToolCallFinished,
    TurnCompleted,
    TurnStarted,
)
from support_tui.core.shop import CallContext, Proposal, Quote, Shop, ShopError, ToolCall
from support_tui.core.state import CaseNotes, ConversationState, EscalationState, HandoffRecord, SentimentState
from support_tui.core.store.protocol import SupportStore
from support_tui.core.store.records.values import ConversationInfo, MemoryEntry, StoredMessage, new_id
from support_tui.core.turn.lifecycle import TurnRunner
from support_tui.core.turn.parts import TurnParts

Publish = Callable[[Event], None]
Ready = Callable[[], Awaitable[None]]
NOT_BLOCKING = ("customer_confirmation", "human_denied", "human_approval")
"""Rules that stop a call without counting it as a failure (asking for a yes or a person)."""


class ForkError(LookupError):
    """No such conversation, or no such turn in it; the message says which."""


class ReplayedCall(BaseModel):
    """One recorded shop call run again on the sandbox while rebuilding the state of turn N."""

    model_config = ConfigDict(frozen=True)

    tool: str
    arguments: dict[str, Any]
    turn_id: str
    """The parent's turn that made the call."""
    writes: bool
    """The call changes the shop's records."""
    status: str
    """``ok`` or ``error`` (the call failed on the sandbox although it had succeeded for the parent)."""
    same_result: bool
    """It returned exactly what the parent's trace recorded."""
    error: str | None = None


class ForkRun(BaseModel):
    """A fork: the new conversation, what was replayed to rebuild the shop, and the re-run turn's events."""

    model_config = ConfigDict(frozen=True)

    parent_id: str
    conversation_id: str
    turn: int
    text: str
    """The customer's message of turn N, run again."""
    model: str | None = None
    """The model chosen for the fork (None: the parent's choice or each specialist's default)."""
    route: str | None = None
    """The specialist the message was sent to (None: the router decided)."""
    replayed: list[ReplayedCall] = Field(default_factory=list)
    events: list[Event] = Field(default_factory=list)
    """The fork's first turn (the notice saying where it came from), then turn N's events."""

    @property
    def turn_events(self) -> list[Event]:
        """Turn N's events, as it ran again."""
        first = self.events[0].turn_id if self.events else None
        return [e for e in self.events if e.turn_id != first]


@dataclass(frozen=True)
class ForkPoint:
    """Where a conversation is forked: its turn N's message, what came before, and the parent's records."""

    parent: ConversationInfo
    turn: int
    message: StoredMessage
    """The customer's message of turn N."""
    history: list[StoredMessage]
    """Every message before it, drafts and superseded replies included."""
    prior: list[Event]
    """Every event recorded before turn N."""
    original: list[Event]
    """The events of turn N as it first ran."""

    @property
    def original_override(self) -> str | None:
        """The specialist a person sent turn N to, when they did."""
        route = next((e for e in self.original if isinstance(e, RouteDecided)), None)
        return route.agent if route is not None and route.method == "override" else None


async def fork_point(store: SupportStore, conversation_id: str, turn: int) -> ForkPoint:
    """The parent's records around its turn ``turn``; ``ForkError`` names what is missing."""
    parent = await store.get_conversation(conversation_id)
    if parent is None:
        raise ForkError(f"no conversation {conversation_id!r}")
    messages = await store.messages(conversation_id)
    customer = [m for m in messages if m.role == "customer"]
    if not 1 <= turn <= len(customer):
        raise ForkError(f"conversation {conversation_id} has {len(customer)} customer turn"
                        f"{'s' * (len(customer) != 1)}; turn {turn} is not one of them")
    message = customer[turn - 1]
    events = await store.events(conversation_id)
    started = next((e for e in events if isinstance(e, TurnStarted) and e.message_id == message.id), None)
    if started is not None:
        first = next(i for i, e in enumerate(events) if e.turn_id == started.turn_id)
        prior = events[:first]
        original = [e for e in events if e.turn_id == started.turn_id]
    else:  # the message never got a turn (a crash): what happened before it was written
        cutoff = datetime.fromisoformat(message.created_at).timestamp() * 1000
        prior, original = [e for e in events if e.at < cutoff], []
    history = [m for m in messages if m.id < message.id]
    return ForkPoint(parent, turn, message, history, prior, original)


def state_before(prior: Sequence[Event], shop: Shop) -> ConversationState:
    """The conversation's state as turn N found it, rebuilt from the events before it."""
    state = ConversationState()
    sentiments = 0
    for e in prior:
        if isinstance(e, SentimentScored):
            sentiments += 1
            state.sentiment = SentimentState(smoothed=e.trend_compound, count=sentiments, label=e.trend, recent=list(e.history))
        elif isinstance(e, RouteDecided):
            state.agent = e.agent
            state.low_confidence_turns = state.low_confidence_turns + 1 if e.clarify else 0
        elif isinstance(e, HandoffMade):
            packet = e.packet
            state.record_handoff(HandoffRecord(from_agent=packet.from_agent or "", to_agent=packet.to_agent,
                                               reason=packet.reason, turn_id=e.turn_id))
            state.agent = packet.to_agent
        elif isinstance(e, EscalationRaised):
            state.escalation = EscalationState(rule=e.rule, reason=e.reason, priority=e.priority)
        elif isinstance(e, ConversationChanged):
            _changed(state, e)
        elif isinstance(e, ToolCallFinished):
            _called(state, e, shop)
        elif isinstance(e, ReplyCompleted) and e.agent:
            state.agent = e.agent
        elif isinstance(e, Notice) and e.code == "offline_model":
            state.offline_noticed = True
    state.notes = memory.absorb(CaseNotes(), prior, shop)
    return state


def _changed(state: ConversationState, e: ConversationChanged) -> None:
    if e.change == "reopened":
        state.reopened += 1
    elif e.change == "case_updated" and state.escalation is not None:
        escalation = state.escalation
        escalation.add_follow_up(e.detail)
        state.escalation = escalation
    elif e.change == "taken_over":
        state.taken_over_by = e.by or "a person"
    elif e.change == "handed_back":
        state.taken_over_by = None


def _called(state: ConversationState, e: ToolCallFinished, shop: Shop) -> None:
    call = ToolCall(tool=e.name, arguments=dict(e.arguments))
    if e.status == "blocked" and e.rule == "customer_confirmation" and isinstance(e.result, dict):
        try:
            quote = Quote.model_validate(e.result.get("proposal"))
        except ValidationError:
            return
        state.proposal = Proposal(call=call, quote=quote, turn_id=e.turn_id)
        return
    if e.status == "ok" and e.name in shop.tools() and shop.tools()[e.name].writes:
        if state.proposal is not None and state.proposal.call == call:
            state.proposal = None
    if e.status == "error" or (e.status == "blocked" and e.rule not in NOT_BLOCKING):
        state.failed_tool_calls += 1
    if e.status == "blocked" and e.rule not in NOT_BLOCKING:
        state.policy_blocked = True


def _json(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


async def replay_calls(shop: Shop, prior: Sequence[Event], ctx: CallContext) -> list[ReplayedCall]:
    """Run the parent's successful shop calls again, in order, on ``shop`` (a sandbox); never raises."""
    tools = shop.tools()
    replayed: list[ReplayedCall] = []
    for e in prior:
        if not isinstance(e, ToolCallFinished) or e.status != "ok" or e.name not in tools:
            continue
        spec = tools[e.name]
        status, error, same = "ok", None, False
        try:
            args = spec.args.model_validate(e.arguments)
            result = await shop.run(e.name, args, replace(ctx, turn_id=e.turn_id))
            same = _json(result) == _json(e.result)
        except (ShopError, ValidationError) as exc:
            status, error = "error", str(exc)
        replayed.append(ReplayedCall(tool=e.name, arguments=dict(e.arguments), turn_id=e.turn_id, writes=spec.writes,
                                     status=status, same_result=same, error=error))
    return replayed


class ForkMemory:
    """Customer memory as a fork's turn sees it: only what was remembered before the fork point, none written."""

    def __init__(self, memories_from: SupportStore, parent_id: str, before: str) -> None:
        self._memories_from = memories_from
        self._parent_id = parent_id
        self._before = before

    async def remember(self, customer_id: str, conversation_id: str, summary: str) -> None:
        """A fork is not something the customer said: nothing is remembered of it."""

    async def memories(self, customer_id: str, limit: int = 5) -> list[MemoryEntry]:
        entries = await self._memories_from.memories(customer_id, limit=limit + 20)
        kept = [m for m in entries if m.conversation_id != self._parent_id and m.created_at < self._before]
        return kept[:limit]


def fork_memory(memories_from: SupportStore, point: ForkPoint) -> ForkMemory:
    """The memory a fork of ``point`` reads from ``memories_from``."""
    return ForkMemory(memories_from, point.parent.id, point.message.created_at)


async def copy_conversation(
    store: SupportStore, point: ForkPoint, state: ConversationState, *, model: str | None, conversation_id: str | None = None,
    linked: bool = True,
) -> ConversationInfo:
    """A new conversation in ``store`` with the parent's messages before turn N and the rebuilt state."""
    parent = point.parent
    conv = await store.create_conversation(parent.customer_id, mode=parent.mode, model=model or parent.model,
                                           conversation_id=conversation_id)
    escalation = state.escalation
    fields: dict[str, Any] = {
        "state": state.dump(), "agent": state.agent, "status": "escalated" if escalation else "open",
        "handled_by": "human" if state.taken_over_by else "ai",
    }
    if escalation is not None:
        fields.update(priority=escalation.priority, escalation_reason=escalation.reason)
    if linked:
        fields.update(parent_id=parent.id, forked_at_turn=point.turn)
    await store.update_conversation(conv.id, **fields)
    for m in point.history:
        await store.add_message(conv.id, m.role, m.text, turn_id=m.turn_id, agent=m.agent, model=m.model, status=m.status)
    found = await store.get_conversation(conv.id)
    assert found is not None
    return found


def fork_line(point: ForkPoint, replayed: Sequence[ReplayedCall]) -> str:
    """The fork's first line in its trace: where it came from and how faithful the rebuilt shop is."""
    writes = [r for r in replayed if r.writes]
    failed = [r for r in replayed if r.status != "ok"]
    differ = [r for r in replayed if r.status == "ok" and not r.same_result]
    line = (f"Fork of {point.parent.id} at turn {point.turn}: {len(point.history)} message"
            f"{'s' * (len(point.history) != 1)} copied; the shop rebuilt from its first state by replaying "
            f"{len(replayed)} call{'s' * (len(replayed) != 1)} ({len(writes)} write{'s' * (len(writes) != 1)}) "
            "of this conversation (other conversations' writes are not replayed).")
    if failed:
        line += f" {len(failed)} failed: " + ", ".join(f"{r.tool} ({r.error})" for r in failed[:3]) + "."
    if differ:
        line += f" {len(differ)} returned something else than before: " + ", ".join(r.tool for r in differ[:5]) + "."
    return line


async def record_fork_turn(store: SupportStore, conv: ConversationInfo, line: str) -> list[Event]:
    """The fork's first turn in its trace: a notice saying where it came from."""
    turn_id = new_id("turn")
    events: list[Event] = [
        TurnStarted(turn_id=turn_id, conversation_id=conv.id, customer_id=conv.customer_id, message_id=None,
                    text="forked", actor="supervisor", mode="supervised" if conv.mode == "supervised" else "auto"),
        Notice(turn_id=turn_id, conversation_id=conv.id, level="info", code="forked", message=line),
        TurnCompleted(turn_id=turn_id, conversation_id=conv.id, status="completed"),
    ]
    await store.start_turn(turn_id, conv.id, None)
    await store.finish_turn(turn_id, status="completed", events=events)
    return events


async def fork_turn(
    parts: TurnParts, conversation_id: str, turn: int, *, ready: Ready, model: str | None = None,
    route: str | None = None, publish: Publish | None = None,
) -> ForkRun:
    """Fork ``conversation_id`` at ``turn`` and run that turn again (see the module's docstring)."""
    point = await fork_point(parts.store, conversation_id, turn)
    route = route or point.original_override
    state = state_before(point.prior, parts.shop)
    events: list[Event] = []

    def emit(event: Event) -> None:
        events.append(event)
        if publish is not None:
            publish(event)

    async with parts.shop.sandbox(fresh=True) as sandbox:
        conv = await copy_conversation(parts.store, point, state, model=model)
        ctx = CallContext(customer_id=conv.customer_id, conversation_id=conv.id)
        replayed = await replay_calls(sandbox, point.prior, ctx)
        for event in await record_fork_turn(parts.store, conv, fork_line(point, replayed)):
            emit(event)
        forked = replace(parts, memory=fork_memory(parts.store, point), shop=sandbox)
        async for event in run_again(forked, conv.id, point, route, ready):
            emit(event)
    return ForkRun(parent_id=point.parent.id, conversation_id=conv.id, turn=turn, text=point.message.text,
                   model=model, route=route, replayed=replayed, events=events)


async def run_again(
    parts: TurnParts, conversation_id: str, point: ForkPoint, route: str | None, ready: Ready
) -> AsyncGenerator[Event, None]:
    """Turn N's customer message, run through the normal turn lifecycle on ``parts``."""
    async for event in TurnRunner(parts, ready).customer_message(conversation_id, point.message.text, route_override=route):
        yield event


@asynccontextmanager
async def conversation_parts(parts: TurnParts, conversation: ConversationInfo) -> AsyncIterator[TurnParts]:
    """The parts a conversation's turns run on: the live shop, or for a fork, its own sandbox.

    A fork never writes to the live shop: each of its later turns (a new message, a re-run, a
    person's decision) runs on a fresh sandbox rebuilt by replaying the parent's calls before the
    fork point and then the fork's own.
    """
    if conversation.parent_id is None or conversation.forked_at_turn is None:
        yield parts
        return
    point = await fork_point(parts.store, conversation.parent_id, conversation.forked_at_turn)
    own = await parts.store.events(conversation.id)
    async with parts.shop.sandbox(fresh=True) as sandbox:
        ctx = CallContext(customer_id=conversation.customer_id, conversation_id=conversation.id)
        await replay_calls(sandbox, [*point.prior, *own], ctx)
        yield replace(parts, memory=fork_memory(parts.store, point), shop=sandbox)
