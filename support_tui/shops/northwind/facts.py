"""What Northwind tells a person taking over a case: which look-ups to make, and results in words."""

from __future__ import annotations

import json
import re
from typing import Any, Mapping

from support_tui.core.shop import ToolCall, ToolOutcome
from support_tui.shops.northwind.context import usd

_ORDER_ID = re.compile(r"\b(?:ORD-?)?(\d{5})\b", re.IGNORECASE)
_MONEY_WORDS = re.compile(r"\b(charg|bill|paid|pay|refund|money|fee)", re.IGNORECASE)

STATUS_WORDS = {
    "pending": "placed, not yet processed",
    "processing": "being prepared",
    "shipped": "on its way",
    "delivered": "delivered",
    "cancelled": "cancelled",
}
"""Order statuses as a customer says them."""

WRITE_LABELS = {
    "create_return": "Return",
    "issue_refund": "Refund",
    "cancel_order": "Cancellation",
    "change_shipping_address": "Address change",
    "update_account": "Account update",
    "send_login_link": "Login link",
}

_BY_SPECIALIST: dict[str, list[ToolCall]] = {
    "billing_payment": [ToolCall(tool="explain_charges")],
    "order_tracking": [ToolCall(tool="list_orders", arguments={"limit": 5})],
    "returns_refunds": [ToolCall(tool="list_returns"), ToolCall(tool="list_orders", arguments={"limit": 5})],
    "product_info": [ToolCall(tool="list_orders", arguments={"limit": 5})],
    "account_management": [ToolCall(tool="get_account")],
    "technical_support": [ToolCall(tool="get_account")],
}


def order_ids(text: str) -> list[str]:
    """Order numbers mentioned in a message (``ORD-67890``, ``#67890``)."""
    return [f"ORD-{m}" for m in dict.fromkeys(_ORDER_ID.findall(text))]


def case_facts(specialist: str, text: str) -> list[ToolCall]:
    """Read-only look-ups that give a person the facts of the case before they pick it up."""
    calls = [ToolCall(tool="lookup_order", arguments={"order_id": oid}) for oid in order_ids(text)[:2]]
    extra = list(_BY_SPECIALIST.get(specialist, []))
    if _MONEY_WORDS.search(text) and ToolCall(tool="explain_charges") not in extra:
        extra.insert(0, ToolCall(tool="explain_charges"))
    return calls + extra


def _short(value: Any, limit: int = 160) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str, separators=(", ", ": "))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def fact_lines(tool: str, result: Any) -> list[str]:
    """Facts a successful read found, in words."""
    r = result if isinstance(result, dict) else {}
    facts: list[str] = []
    order = r.get("order") if isinstance(r.get("order"), dict) else None
    if order:
        line = f"{order.get('order_id')}: {STATUS_WORDS.get(str(order.get('status')), order.get('status'))}"
        if isinstance(order.get("total"), (int, float)):
            line += f", total {usd(float(order['total']))}"
        if order.get("tracking_number"):
            line += f", tracking {order.get('tracking_number')} ({order.get('carrier')})"
        facts.append(line)
    if tool == "track_shipment" and r:
        line = f"{r.get('order_id')}: {STATUS_WORDS.get(str(r.get('status')), r.get('status'))}"
        if r.get("tracking_number"):
            line += f" with {r.get('carrier')}, tracking {r.get('tracking_number')}"
        if r.get("estimated_delivery"):
            line += f", expected {str(r['estimated_delivery'])[:10]}"
        facts.append(line)
    for dup in r.get("duplicates") or []:
        amount = dup.get("amount")
        facts.append(
            f"Duplicate charge on {dup.get('order_id')}: {usd(float(amount)) if isinstance(amount, (int, float)) else amount}"
            f" charged {len(dup.get('charge_ids') or [])} times"
            + (" (already refunded)" if dup.get("refunded") else
               f" (partly refunded: {usd(float(dup['left_to_refund']))} left)" if dup.get("refunded_amount") else " (not yet refunded)")
        )
    if tool == "check_return_eligibility" and r:
        facts.append(f"{r.get('order_id')}: {'can' if r.get('eligible') else 'cannot'} be returned ({r.get('reason')})")
    if tool == "get_product" and isinstance(r.get("product"), dict):
        p = r["product"]
        price = p.get("price")
        facts.append(f"Product {p.get('name')}: {usd(float(price)) if isinstance(price, (int, float)) else price},"
                     f" {p.get('stock')} in stock")
    if not facts and tool not in WRITE_LABELS and r:
        facts.append(f"{tool}: {_short(r)}")
    return facts


def action_line(tool: str, arguments: Mapping[str, Any], outcome: ToolOutcome) -> str | None:
    """What a write did, or why it did not."""
    label = WRITE_LABELS.get(tool)
    if label is None:
        return None
    shown = [str(arguments[k]) for k in ("order_id", "field", "kind") if arguments.get(k)]
    if isinstance(arguments.get("amount"), (int, float)):
        shown.append(usd(float(arguments["amount"])))
    about = f" ({', '.join(shown)})" if shown else ""
    if outcome.status == "ok":
        r = outcome.result if isinstance(outcome.result, dict) else {}
        ref = r.get("rma_id") or r.get("refund_id") or "done"
        return f"{label}{about}: {ref}"
    if outcome.status == "pending_approval":
        return f"{label}{about} awaiting a person's approval"
    if outcome.status == "blocked":
        return f"{label}{about} not done: {outcome.rule}"
    return f"{label}{about} failed: {outcome.error}"
