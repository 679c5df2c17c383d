"""What a specialist's model sees: the system prompt with context, memory and snippets, and the history."""

from __future__ import annotations

import json
from typing import Any, Sequence

from support_tui.core.events import Snippet
from support_tui.core.specialists import Specialist
from support_tui.core.store.support import StoredMessage

HISTORY_LIMIT = 20
"""Earlier messages sent to the model; older ones live in the packet and memory."""


def system_prompt(
    specialist: Specialist,
    *,
    customer: dict[str, Any],
    mode: str,
    escalated: bool,
    clarify_options: Sequence[str] = (),
    proposal: dict[str, Any] | None = None,
    escalation: dict[str, Any] | None = None,
    memories: Sequence[dict[str, Any]] = (),
    snippets: Sequence[Snippet] = (),
    handoff_summary: str | None = None,
) -> str:
    """The specialist's prompt followed by the sections every model (the offline one too) reads."""
    lines = [specialist.system_prompt(customer.get("name", "the customer")), "", "## Context"]
    lines += [
        f"specialist: {specialist.name}",
        f"customer_id: {customer.get('id', '')}",
        f"customer_name: {customer.get('name', '')}",
        f"tier: {customer.get('tier', '')}",
        f"mode: {mode}",
        f"escalated: {'true' if escalated else 'false'}",
        f"route_clarify: {'true' if clarify_options else 'false'}",
    ]
    if clarify_options:
        lines.append(f"route_options: {', '.join(clarify_options)}")
    if proposal:
        lines.append(f"pending_proposal: {json.dumps(proposal, sort_keys=True, default=str)}")
    if escalation:
        lines.append(f"escalation: {json.dumps(escalation, sort_keys=True)}")
    if handoff_summary:
        lines.append(f"handoff: {handoff_summary}")
    if memories:
        lines += ["", "## Memory of earlier conversations"]
        lines += [f"- {m['created_at'][:10]} {m['summary']}" for m in memories]
    if snippets:
        lines += ["", "## Knowledge base"]
        lines += [f"[kb:{s.chunk_id}] {s.title}: {' '.join(s.text.split())}" for s in snippets]
    return "\n".join(lines)


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


def assistant_tool_calls(calls: Sequence[Any]) -> dict[str, Any]:
    """The assistant message that carries tool calls, in OpenAI form."""
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": c.id,
                "type": "function",
                "function": {"name": c.name, "arguments": json.dumps(c.arguments, sort_keys=True, default=str)},
            }
            for c in calls
        ],
    }


def tool_result_message(call_id: str, name: str, outcome: Any) -> dict[str, Any]:
    """A tool's outcome as the ``tool`` message the model reads next."""
    payload = {"status": outcome.status, "result": outcome.result, "error": outcome.error, "rule": outcome.rule}
    return {"role": "tool", "tool_call_id": call_id, "name": name, "content": json.dumps(payload, default=str)}
