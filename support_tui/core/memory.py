"""Conversation memory: facts and actions from the trace, hand-off packets and per-customer summaries."""

from __future__ import annotations

import json
from typing import Any, Iterable, Mapping, Protocol, Sequence

from support_tui.core.events import Event, HandoffPacket, ToolCallFinished
from support_tui.core.shop import Proposal, ToolOutcome
from support_tui.core.store.support import StoredMessage


class Describer(Protocol):
    """What memory needs from a shop: its results and writes in words."""

    def fact_lines(self, tool: str, result: Any) -> list[str]: ...

    def action_line(self, tool: str, arguments: Mapping[str, Any], outcome: ToolOutcome) -> str | None: ...


def _short(value: Any, limit: int = 160) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str, separators=(", ", ": "))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _outcome(call: ToolCallFinished) -> ToolOutcome:
    return ToolOutcome(status=call.status, result=call.result, error=call.error, rule=call.rule)


def collect(events: Iterable[Event], shop: Describer) -> tuple[list[str], list[str], list[str]]:
    """Facts, actions and unfinished items from a conversation's events, de-duplicated, in order."""
    facts: list[str] = []
    actions: list[str] = []
    pending: dict[str, str] = {}
    for event in events:
        if not isinstance(event, ToolCallFinished):
            continue
        if event.status == "ok":
            facts.extend(f for f in shop.fact_lines(event.name, event.result) if f not in facts)
        line = shop.action_line(event.name, event.arguments, _outcome(event))
        if line and line not in actions:
            actions.append(line)
        if event.status == "pending_approval":
            pending[event.call_id] = line or event.name
        elif event.call_id in pending:
            pending.pop(event.call_id)
    return facts, actions, list(pending.values())


def summarise(messages: Sequence[StoredMessage], agent: str | None, limit: int = 3) -> str:
    """A short, literal summary: what the customer first asked, and the latest exchange."""
    customer = [m.text for m in messages if m.role == "customer"]
    replies = [m.text for m in messages if m.role in ("ai", "human") and m.status == "sent"]
    if not customer:
        return "No customer messages yet."
    parts = [f"Customer asked: \"{_short(customer[0], 140)}\""]
    if len(customer) > 1:
        parts.append(f"latest: \"{_short(customer[-1], 120)}\"")
    if replies:
        parts.append(f"last reply: \"{_short(replies[-1], 140)}\"")
    if agent:
        parts.append(f"handled by {agent}")
    return "; ".join(parts[: limit + 1]) + "."


def build_packet(
    *,
    from_agent: str | None,
    to_agent: str,
    reason: str,
    messages: Sequence[StoredMessage],
    events: Iterable[Event],
    customer: dict[str, Any],
    sentiment: dict[str, Any],
    shop: Describer,
    proposal: Proposal | None = None,
    follow_ups: Sequence[str] = (),
) -> HandoffPacket:
    """A hand-off packet so the next specialist or person never asks the customer again."""
    facts, actions, dropped = collect(events, shop)
    if proposal is not None:
        dropped.append(f"awaiting the customer's yes: {proposal.quote.summary}")
    dropped.extend(f"asked after the escalation: \"{_short(text, 140)}\"" for text in follow_ups)
    return HandoffPacket(
        from_agent=from_agent,
        to_agent=to_agent,
        reason=reason,
        summary=summarise(messages, from_agent),
        customer=customer,
        facts=facts[-12:],
        actions=actions[-12:],
        dropped=dropped,
        sentiment=sentiment,
    )


def memory_summary(
    messages: Sequence[StoredMessage], events: Iterable[Event], agent: str | None, status: str, shop: Describer
) -> str:
    """The line remembered about a conversation for the customer's later conversations."""
    facts, actions, _ = collect(events, shop)
    customer = [m.text for m in messages if m.role == "customer"]
    first = _short(customer[0], 100) if customer else "(no message)"
    tail = []
    if actions:
        tail.append("actions: " + "; ".join(actions[-3:]))
    elif facts:
        tail.append("found: " + "; ".join(facts[-2:]))
    return f"{agent or 'support'} ({status}): \"{first}\"" + (f" — {' | '.join(tail)}" if tail else "")
