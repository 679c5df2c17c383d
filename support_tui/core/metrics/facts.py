"""The rules that turn stored conversations, turns and events into one fact sheet per conversation."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Collection, Mapping, Protocol, TypeVar

from support_tui.core.events import (
    EscalationRaised,
    Event,
    ReplyCompleted,
    RouteDecided,
    SentimentScored,
    ToolCallFinished,
)
from support_tui.core.shop import ShopTool
from support_tui.core.store.protocol import SupportStore
from support_tui.core.store.records.values import MetricConversation, MetricMessage, MetricRecords, Rating, TurnUsage, stored_time
from support_tui.core.turn.helpers import order_ids

REOPEN_WINDOW = timedelta(hours=72)
"""A customer coming back on the same topic within this time after a conversation ended reopens it."""
HAND_OFF_TOOLS = frozenset({"transfer_to_specialist", "escalate_to_human"})
"""The engine's tools that move the case rather than read or change anything."""

__all__ = [
    "REOPEN_WINDOW", "ConversationFacts", "conversation_facts", "parse_time", "read_records", "stored_time", "write_tools",
]


def write_tools(tools: Mapping[str, ShopTool]) -> frozenset[str]:
    """The shop's tools that change something for the customer: one succeeding is how an action request is done."""
    return frozenset(name for name, tool in tools.items() if tool.writes)


def parse_time(value: str | None) -> datetime | None:
    """A stored ISO timestamp as an aware UTC datetime (naive ones are taken as UTC)."""
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


async def read_records(store: SupportStore, since: datetime | None, include_fixture: bool) -> MetricRecords:
    """Every record metrics need for conversations created since ``since`` (later ones too, for reopens)."""
    return await store.metric_records(since, include_fixture)


@dataclass
class ConversationFacts:
    """What the rules decided about one conversation."""

    id: str
    customer_id: str
    created: datetime
    ended: datetime | None
    """``closed_at``; None while the conversation is open or waits in the human queue."""
    is_fixture: bool
    specialist: str
    """The specialist the router first chose (``RouteDecided``), else the conversation's agent, else ``unrouted``."""
    model: str
    """The model of the conversation's first turn that has one, else ``none``."""
    outcome: str = "open"
    """resolved, escalated, abandoned, unresolved (a resolved claim the rules reject) or open."""
    claimed_resolved: bool = False
    evidence: str | None = None
    """Why a resolved claim holds: ``write``, ``read`` or ``person``; None when nothing supports it."""
    escalated: bool = False
    escalation_rule: str | None = None
    human_involved: bool = False
    reopened_by: str | None = None
    """The later conversation that reopened this one."""
    fcr: bool = False
    first_reply_s: float | None = None
    resolution_s: float | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    usage_by_model: dict[str, list[float]] = field(default_factory=dict)
    """model -> [prompt tokens, completion tokens, cost] of this conversation's turns."""
    sentiments: Counter[str] = field(default_factory=Counter)
    orders: set[str] = field(default_factory=set)
    rating: int | None = None
    rated_on: date | None = None


def conversation_facts(
    records: MetricRecords, writes: Collection[str], window: timedelta = REOPEN_WINDOW
) -> list[ConversationFacts]:
    """Apply the rules below to every conversation in ``records``, oldest first.

    ``writes`` names the shop's tools that change something (``write_tools(shop.tools())``).

    Escalated: an ``EscalationRaised`` event, status ``escalated`` or outcome ``escalated``;
    its rule is the first ``EscalationRaised.rule`` (``manual`` by hand), else ``unrecorded``.

    Human involved: ``handled_by = 'human'``, any message with role ``human``, or escalated.

    A resolved claim (outcome ``resolved``) holds when one piece of evidence supports it:

    - ``write``: the conversation asked for an action (a write tool was tried: for Northwind
      create_return, issue_refund, cancel_order, change_shipping_address, update_account,
      send_login_link) and the last attempt of every write tool tried finished ``ok``;
    - ``read``: no write was tried, a sent ai reply exists, and either a read tool finished ``ok``
      (not a case-fact lookup made for a hand-off, ids ``case_*``) or a reply drew on KB snippets;
    - ``person``: a person took part (human messages or ``handled_by = 'human'``): their close stands;

    and the conversation was not reopened: no later conversation of the same customer created
    after it and at most ``window`` (72 h) after it ended, on the same topic: sharing an order
    number (tool arguments or customer text), or, when either names no order, the same specialist.

    Outcome, first match wins: resolved (claim holds) > escalated > unresolved (claim rejected)
    > abandoned > open. First-contact resolution: outcome resolved, no human involved, not reopened.

    First reply: the first customer message to the first ``sent`` ai/human message after it.
    Resolution time: ``created_at`` to ``closed_at`` of resolved conversations.
    """
    messages = _group(records.messages)
    turns = _group(records.turns)
    events = _group(records.events)
    ratings = _group(records.ratings)
    writes = frozenset(writes)
    facts = [
        _facts(row, messages.get(row.id, []), turns.get(row.id, []), events.get(row.id, []), ratings.get(row.id, []), writes)
        for row in records.conversations
    ]
    _mark_reopens(facts, window)
    for f in facts:
        _decide(f)
    return facts


class _HasConversation(Protocol):
    @property
    def conversation_id(self) -> str: ...


_R = TypeVar("_R", bound=_HasConversation)


def _group(rows: list[_R]) -> dict[str, list[_R]]:
    grouped: dict[str, list[_R]] = {}
    for row in rows:
        grouped.setdefault(row.conversation_id, []).append(row)
    return grouped


def _facts(
    row: MetricConversation, messages: list[MetricMessage], turns: list[TurnUsage], events: list[Event],
    ratings: list[Rating], writes: frozenset[str],
) -> ConversationFacts:
    routed = next((e.agent for e in events if isinstance(e, RouteDecided)), None)
    f = ConversationFacts(
        id=row.id, customer_id=row.customer_id, created=parse_time(row.created_at),  # type: ignore[arg-type]
        ended=parse_time(row.closed_at), is_fixture=row.is_fixture,
        specialist=routed or row.agent or "unrouted",
        model=next((t.model for t in turns if t.model), None) or "none",
    )
    for t in turns:
        usage = f.usage_by_model.setdefault(t.model or "none", [0, 0, 0.0])
        usage[0] += t.prompt_tokens
        usage[1] += t.completion_tokens
        usage[2] += t.cost_usd
    f.prompt_tokens = sum(int(u[0]) for u in f.usage_by_model.values())
    f.completion_tokens = sum(int(u[1]) for u in f.usage_by_model.values())
    f.cost_usd = sum(u[2] for u in f.usage_by_model.values())
    rules = [e.rule for e in events if isinstance(e, EscalationRaised)]
    f.escalated = bool(rules) or row.status == "escalated" or row.outcome == "escalated"
    f.escalation_rule = (rules[0] or "unrecorded") if rules else ("unrecorded" if f.escalated else None)
    f.human_involved = row.handled_by == "human" or any(m.role == "human" for m in messages) or f.escalated
    f.claimed_resolved = row.outcome == "resolved"
    f.outcome = row.outcome or "open"
    f.sentiments = Counter(e.label for e in events if isinstance(e, SentimentScored))
    calls = [e for e in events if isinstance(e, ToolCallFinished)]
    f.orders = {c.arguments["order_id"] for c in calls if isinstance(c.arguments.get("order_id"), str)}
    f.orders |= {o for m in messages if m.role == "customer" for o in order_ids(m.text)}
    f.evidence = _evidence(row, messages, calls, events, writes)
    f.first_reply_s = _first_reply(messages)
    for rating in ratings:
        f.rating, f.rated_on = int(rating.score), parse_time(rating.created_at).date()  # type: ignore[union-attr]
    return f


def _evidence(
    row: MetricConversation, messages: list[MetricMessage], calls: list[ToolCallFinished], events: list[Event],
    writes: frozenset[str],
) -> str | None:
    last_write: dict[str, str] = {}
    for call in calls:
        if call.name in writes:
            last_write[call.name] = call.status
    if last_write and all(status == "ok" for status in last_write.values()):
        return "write"
    if not last_write and any(m.role == "ai" and m.status == "sent" for m in messages):
        read_ok = any(
            c.status == "ok" and c.name not in writes | HAND_OFF_TOOLS and not c.call_id.startswith("case_")
            for c in calls
        )
        drew_on_kb = any(isinstance(e, ReplyCompleted) and e.used_snippets for e in events)
        if read_ok or drew_on_kb:
            return "read"
    if row.handled_by == "human" or any(m.role == "human" for m in messages):
        return "person"
    return None


def _first_reply(messages: list[MetricMessage]) -> float | None:
    first = next((m for m in messages if m.role == "customer"), None)
    if first is None:
        return None
    reply = next((m for m in messages if m.id > first.id and m.role in ("ai", "human") and m.status == "sent"), None)
    if reply is None:
        return None
    return max(0.0, (parse_time(reply.created_at) - parse_time(first.created_at)).total_seconds())  # type: ignore[operator]


def _mark_reopens(facts: list[ConversationFacts], window: timedelta) -> None:
    by_customer: dict[str, list[ConversationFacts]] = {}
    for f in facts:
        by_customer.setdefault(f.customer_id, []).append(f)
    for convs in by_customer.values():
        for i, earlier in enumerate(convs):
            if earlier.ended is None:
                continue
            for later in convs[i + 1:]:
                if later.created <= earlier.created or later.created - earlier.ended > window:
                    continue
                if later.created >= earlier.ended and _same_topic(earlier, later):
                    earlier.reopened_by = later.id
                    break


def _same_topic(a: ConversationFacts, b: ConversationFacts) -> bool:
    if a.orders and b.orders:
        return bool(a.orders & b.orders)
    return a.specialist == b.specialist


def _decide(f: ConversationFacts) -> None:
    holds = f.claimed_resolved and f.evidence is not None and f.reopened_by is None
    if holds:
        f.outcome = "resolved"
    elif f.escalated:
        f.outcome = "escalated"
    elif f.claimed_resolved:
        f.outcome = "unresolved"
    elif f.outcome != "abandoned":
        f.outcome = "open"
    f.fcr = holds and not f.human_involved
    if holds and f.ended is not None:
        f.resolution_s = max(0.0, (f.ended - f.created).total_seconds())

