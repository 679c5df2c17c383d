"""Conversation memory: facts and actions from the trace, hand-off packets and per-customer summaries."""

from __future__ import annotations

import json
from typing import Any, Iterable, Sequence

from support_tui.core.events import Event, HandoffPacket, ToolCallFinished
from support_tui.core.store.support import StoredMessage

WRITE_TOOLS = {
    "create_return": "Return",
    "issue_refund": "Refund",
    "cancel_order": "Cancellation",
    "change_shipping_address": "Address change",
    "update_account": "Account update",
    "send_login_link": "Login link",
}


def _short(value: Any, limit: int = 160) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str, separators=(", ", ": "))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def fact_lines(call: ToolCallFinished) -> list[str]:
    """Human-readable facts a successful read tool found."""
    r = call.result if isinstance(call.result, dict) else {}
    facts: list[str] = []
    order = r.get("order") if isinstance(r.get("order"), dict) else None
    if order:
        facts.append(
            f"{order.get('order_id')}: {order.get('status')}, total {order.get('total')}"
            + (f", tracking {order.get('tracking_number')} ({order.get('carrier')})" if order.get("tracking_number") else "")
        )
    if call.name == "track_shipment" and r:
        facts.append(
            f"{r.get('order_id')}: {r.get('status')} with {r.get('carrier')}, tracking {r.get('tracking_number')},"
            f" estimated delivery {r.get('estimated_delivery')}"
        )
    for dup in r.get("duplicates") or []:
        facts.append(
            f"Duplicate charge: {dup.get('amount')} charged {len(dup.get('charge_ids') or [])} times on {dup.get('order_id')}"
            f" ({', '.join(dup.get('charge_ids') or [])})"
        )
    if call.name == "check_return_eligibility" and r:
        facts.append(f"{r.get('order_id')}: return {'eligible' if r.get('eligible') else 'not eligible'} ({r.get('reason')})")
    if call.name == "get_product" and isinstance(r.get("product"), dict):
        p = r["product"]
        facts.append(f"Product {p.get('name')}: price {p.get('price')}, stock {p.get('stock')}")
    if not facts and call.name not in WRITE_TOOLS and r:
        facts.append(f"{call.name}: {_short(r)}")
    return facts


def action_line(call: ToolCallFinished) -> str | None:
    """What a write tool did, or why it did not."""
    label = WRITE_TOOLS.get(call.name)
    if label is None:
        return None
    args = ", ".join(f"{k}={v}" for k, v in call.arguments.items() if k in ("order_id", "amount", "kind", "field"))
    if call.status == "ok":
        r = call.result if isinstance(call.result, dict) else {}
        ref = r.get("rma_id") or r.get("refund_id") or r.get("status") or "done"
        return f"{label} done ({args}): {ref}"
    if call.status == "pending_approval":
        return f"{label} awaiting human approval ({args})"
    if call.status == "blocked":
        return f"{label} blocked by {call.rule} ({args})"
    return f"{label} failed ({args}): {call.error}"


def collect(events: Iterable[Event]) -> tuple[list[str], list[str], list[str]]:
    """Facts, actions and unfinished items from a conversation's events, de-duplicated, in order."""
    facts: list[str] = []
    actions: list[str] = []
    pending: dict[str, str] = {}
    for event in events:
        if not isinstance(event, ToolCallFinished):
            continue
        if event.status == "ok":
            facts.extend(f for f in fact_lines(event) if f not in facts)
        line = action_line(event)
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
    proposal: dict[str, Any] | None = None,
) -> HandoffPacket:
    """A hand-off packet so the next specialist or person never asks the customer again."""
    facts, actions, dropped = collect(events)
    if proposal:
        dropped.append(f"awaiting customer's confirmation: {proposal.get('name')} {_short(proposal.get('arguments', {}), 80)}")
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


def memory_summary(messages: Sequence[StoredMessage], events: Iterable[Event], agent: str | None, status: str) -> str:
    """The line remembered about a conversation for the customer's later conversations."""
    facts, actions, _ = collect(events)
    customer = [m.text for m in messages if m.role == "customer"]
    first = _short(customer[0], 100) if customer else "(no message)"
    tail = []
    if actions:
        tail.append("actions: " + "; ".join(actions[-3:]))
    elif facts:
        tail.append("found: " + "; ".join(facts[-2:]))
    return f"{agent or 'support'} ({status}): \"{first}\"" + (f" — {' | '.join(tail)}" if tail else "")
