"""Conversation memory: facts and actions from the trace, hand-off packets and per-customer summaries."""

from __future__ import annotations

import json
from typing import Any, Iterable, Mapping, Protocol, Sequence

from support_tui.core.events import Event, HandoffPacket, ToolCallFinished, TurnStarted
from support_tui.core.shop import Proposal, ToolOutcome
from support_tui.core.state import CaseNotes
from support_tui.core.store.records.values import StoredMessage


class Describer(Protocol):
    """What memory needs from a shop: its results and writes in words."""

    def fact_lines(self, tool: str, result: Any) -> list[str]: ...

    def action_line(self, tool: str, arguments: Mapping[str, Any], outcome: ToolOutcome) -> str | None: ...


def _short(value: Any, limit: int = 160) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str, separators=(", ", ": "))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _outcome(call: ToolCallFinished) -> ToolOutcome:
    return ToolOutcome(status=call.status, result=call.result, error=call.error, rule=call.rule)


def absorb(notes: CaseNotes, events: Iterable[Event], shop: Describer) -> CaseNotes:
    """The notes with what these events found and did added (a copy; only new events need reading)."""
    notes = notes.model_copy(deep=True)
    for event in events:
        if isinstance(event, TurnStarted) and event.actor == "customer" and not notes.first_request:
            notes.first_request = _short(event.text, 140)
        if not isinstance(event, ToolCallFinished):
            continue
        if event.status == "ok":
            for fact in shop.fact_lines(event.name, event.result):
                notes.note_fact(fact)
        line = shop.action_line(event.name, event.arguments, _outcome(event))
        if line:
            notes.note_action(line)
        if event.status == "pending_approval":
            notes.waiting = {**notes.waiting, event.call_id: line or event.name}
        elif event.call_id in notes.waiting:
            notes.waiting = {k: v for k, v in notes.waiting.items() if k != event.call_id}
    return notes


def summarise(notes: CaseNotes, recent: Sequence[StoredMessage], agent: str | None) -> str:
    """A short, literal summary: what the customer first asked, and the latest exchange."""
    customer = [m.text for m in recent if m.role == "customer"]
    replies = [m.text for m in recent if m.role in ("ai", "human") and m.status == "sent"]
    first = notes.first_request or (customer[0] if customer else "")
    if not first:
        return "No customer messages yet."
    parts = [f"Customer asked: \"{_short(first, 140)}\""]
    if customer and _short(customer[-1], 140) != _short(first, 140):
        parts.append(f"latest: \"{_short(customer[-1], 120)}\"")
    if replies:
        parts.append(f"last reply: \"{_short(replies[-1], 140)}\"")
    if agent:
        parts.append(f"handled by {agent}")
    return "; ".join(parts) + "."


def build_packet(
    *,
    from_agent: str | None,
    to_agent: str,
    reason: str,
    notes: CaseNotes,
    recent: Sequence[StoredMessage],
    customer: dict[str, Any],
    sentiment: dict[str, Any],
    proposal: Proposal | None = None,
    follow_ups: Sequence[str] = (),
) -> HandoffPacket:
    """A hand-off packet so the next specialist or person never asks the customer again."""
    dropped = list(notes.waiting.values())
    if proposal is not None:
        dropped.append(f"awaiting the customer's yes: {proposal.quote.summary}")
    dropped.extend(f"asked after the escalation: \"{_short(text, 140)}\"" for text in follow_ups)
    return HandoffPacket(
        from_agent=from_agent,
        to_agent=to_agent,
        reason=reason,
        summary=summarise(notes, recent, from_agent),
        customer=customer,
        facts=list(notes.facts),
        actions=list(notes.actions),
        dropped=dropped,
        sentiment=sentiment,
    )


def memory_summary(notes: CaseNotes, agent: str | None, status: str) -> str:
    """The line remembered about a conversation for the customer's later conversations."""
    first = _short(notes.first_request, 100) if notes.first_request else "(no message)"
    tail = []
    if notes.actions:
        tail.append("actions: " + "; ".join(notes.actions[-3:]))
    elif notes.facts:
        tail.append("found: " + "; ".join(notes.facts[-2:]))
    return f"{agent or 'support'} ({status}): \"{first}\"" + (f" — {' | '.join(tail)}" if tail else "")
