"""What a specialist's model sees: the system prompt with context, memory and snippets, and the history."""

from __future__ import annotations

import json
from datetime import date
from typing import Any, Sequence

from support_tui.core.events import IntentReading, Snippet
from support_tui.core.shop import CustomerSummary, ToolCall, ToolOutcome
from support_tui.core.shop.protocol import Proposal
from support_tui.core.specialists import Specialist
from support_tui.core.state import EscalationState
from support_tui.core.store.records.values import StoredMessage

HISTORY_LIMIT = 20
"""Earlier messages sent to the model; older ones live in the packet and memory."""


def system_prompt(
    specialist: Specialist,
    *,
    shop_title: str,
    shop: str = "",
    customer: CustomerSummary,
    mode: str,
    escalated: bool,
    confirm_tools: Sequence[str] = (),
    clarify_options: Sequence[str] = (),
    proposal: Proposal | None = None,
    escalation: EscalationState | None = None,
    memories: Sequence[str] = (),
    snippets: Sequence[Snippet] = (),
    internal_notes: Sequence[str] = (),
    today: date | None = None,
    intent: IntentReading | None = None,
) -> str:
    """The specialist's prompt followed by the sections every model (the offline one too) reads.

    ``shop`` is the shop's machine name (``Shop.name``): the offline model serves it with that shop's skill.
    """
    lines = [specialist.system_prompt(customer.name, shop_title), "", "## Context"]
    lines += [f"shop: {shop}"] if shop else []
    lines += [
        f"specialist: {specialist.name}",
        f"customer_id: {customer.id}",
        f"customer_name: {customer.name}",
        f"tier: {customer.tier}",
        f"mode: {mode}",
        f"escalated: {'true' if escalated else 'false'}",
        f"route_clarify: {'true' if clarify_options else 'false'}",
    ]
    if today is not None:
        lines.append(f"today: {today.isoformat()}")
    if confirm_tools:
        lines.append(f"confirm_tools: {', '.join(confirm_tools)}")
    if clarify_options:
        lines.append(f"route_options: {', '.join(clarify_options)}")
    if intent is not None:
        lines += intent_lines(intent)
    if proposal is not None:
        lines.append(f"pending_proposal: {proposal.model_dump_json()}")
    if escalation is not None:
        lines.append(f"escalation: {escalation.model_dump_json()}")
    if internal_notes:
        lines += ["", "## Internal notes from a person (for you only: never quote them to the customer)"]
        lines += [f"- {note}" for note in internal_notes]
    if memories:
        lines += ["", "## Memory of earlier conversations"]
        lines += [f"- {m}" for m in memories]
    if snippets:
        lines += ["", "## Knowledge base"]
        lines += [f"[kb:{s.chunk_id}] {s.title}: {' '.join(s.text.split())}" for s in snippets]
    return "\n".join(lines)


def intent_lines(intent: IntentReading) -> list[str]:
    """The intent reading as context lines: what the message most likely asks, and what to do about it."""
    lines = [f"intent_decision: {intent.decision}"]
    if intent.decision in ("follow_up", "several") or intent.intent is None:
        return lines
    lines.append(f"intent: {intent.intent}")
    if intent.article:
        lines.append(f"intent_article: {intent.article}")
    if intent.flow:
        lines.append(f"intent_flow: {intent.flow}")
    if intent.topic_flow:
        lines.append(f"intent_topic_flow: {intent.topic_flow}")
    if intent.options:
        lines.append(f"intent_options: {' | '.join(o.label for o in intent.options)}")
    return lines


def history_messages(messages: Sequence[StoredMessage]) -> list[dict[str, Any]]:
    """Stored messages as chat messages: customers are ``user``; AI and human agents ``assistant``."""
    out: list[dict[str, Any]] = []
    for m in messages[-HISTORY_LIMIT:]:
        if m.role == "customer":
            out.append({"role": "user", "content": m.text})
        elif m.role == "ai" and m.status == "sent":
            out.append({"role": "assistant", "content": m.text})
        elif m.role == "human":
            out.append({"role": "assistant", "content": f"[human agent] {m.text}"})
    return out


def assistant_tool_calls(calls: Sequence[tuple[str, ToolCall]]) -> dict[str, Any]:
    """The assistant message that carries tool calls (``(call_id, call)`` pairs), in OpenAI form."""
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": call_id,
                "type": "function",
                "function": {"name": call.tool, "arguments": json.dumps(call.arguments, sort_keys=True, default=str)},
            }
            for call_id, call in calls
        ],
    }


def tool_result_message(call_id: str, name: str, outcome: ToolOutcome) -> dict[str, Any]:
    """A tool's outcome as the ``tool`` message the model reads next."""
    payload = {"status": outcome.status, "result": outcome.result, "error": outcome.error, "rule": outcome.rule}
    return {"role": "tool", "tool_call_id": call_id, "name": name, "content": json.dumps(payload, default=str)}
