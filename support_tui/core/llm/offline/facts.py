"""Sentences that state what one successful tool call returned, in the customer's terms."""

from __future__ import annotations

from typing import Any

from .formats import money
from .products import get_product, search_products
from .request import Request, ToolOutcome

SPECIALIST_LABELS = {
    "order_tracking": "our order-tracking specialist",
    "returns_refunds": "our returns and refunds specialist",
    "product_info": "our product specialist",
    "billing_payment": "our billing specialist",
    "technical_support": "our technical support specialist",
    "account_management": "our account specialist",
    "escalation_manager": "our escalation manager",
}

_STATUS_PHRASES = {"shipped": "has shipped", "delivered": "was delivered", "processing": "is being prepared",
                   "pending": "is pending", "cancelled": "was cancelled"}


def _items(items: Any) -> str:
    parts = []
    for item in items or []:
        if isinstance(item, dict):
            qty = item.get("quantity")
            parts.append(f"{item.get('name', item.get('sku', 'item'))}" + (f" (x{qty})" if qty and qty != 1 else ""))
        else:
            parts.append(str(item))
    return ", ".join(parts)


def _address(value: Any) -> str:
    if isinstance(value, dict):
        keys = ("street", "city", "state", "postal_code", "country")
        return ", ".join(str(value[k]) for k in keys if value.get(k))
    return str(value or "")


def lookup_order(o: ToolOutcome, request: Request) -> list[str]:
    order = o.value("order") or {}
    oid = order.get("order_id") or o.arguments.get("order_id")
    out = []
    if order.get("items"):
        out.append(f"Order {oid} contains {_items(order['items'])}" +
                   (f", total {money(order['total'], order.get('currency'))}." if order.get("total") is not None else "."))
    if not request.last("track_shipment") or not request.last("track_shipment").ok:
        status = order.get("status")
        if status == "delivered" and order.get("delivered_at"):
            out.append(f"It was delivered on {order['delivered_at']}.")
        elif status:
            out.append(f"Its status is {status}" + (f", placed on {order['placed_at']}." if order.get("placed_at") else "."))
    return out


def track_shipment(o: ToolOutcome, request: Request) -> list[str]:
    r = o.result if isinstance(o.result, dict) else {}
    oid = r.get("order_id") or o.arguments.get("order_id")
    status = r.get("status")
    first = f"Your order {oid} {_STATUS_PHRASES.get(str(status), f'is {status}' if status else 'is on its way')}"
    if r.get("carrier"):
        first += f" with {r['carrier']}"
    if r.get("tracking_number"):
        first += f", tracking number {r['tracking_number']}"
    out = [first + "."]
    if status == "delivered" and r.get("delivered_at"):
        out.append(f"It was delivered on {r['delivered_at']}.")
    elif r.get("estimated_delivery"):
        out.append(f"Estimated delivery: {r['estimated_delivery']}.")
    events = [e for e in r.get("events") or [] if isinstance(e, dict)]
    if events:
        latest = max(events, key=lambda e: str(e.get("at") or ""))
        where = ", ".join(str(latest[k]) for k in ("location", "at") if latest.get(k))
        out.append(f"Latest update: {latest.get('description', 'scan')}" + (f" ({where})." if where else "."))
    return out


def list_orders(o: ToolOutcome, request: Request) -> list[str]:
    orders = [x for x in o.value("orders") or [] if isinstance(x, dict)]
    if not orders:
        return ["I couldn't find any orders on your account."]
    shown = "; ".join(
        f"{x.get('order_id')} ({x.get('status', 'unknown')}" + (f", {_items(x.get('items'))}" if x.get("items") else "") + ")"
        for x in orders[:5]
    )
    return [f"Here are your recent orders: {shown}."]


def check_return_eligibility(o: ToolOutcome, request: Request) -> list[str]:
    r = o.result if isinstance(o.result, dict) else {}
    oid = r.get("order_id") or o.arguments.get("order_id")
    timing = ""
    if r.get("days_since_delivery") is not None and r.get("window_days") is not None:
        timing = f" (delivered {r['days_since_delivery']} days ago; the return window is {r['window_days']} days)"
    if r.get("eligible"):
        out = [f"Order {oid} is eligible for a return{timing}."]
        if r.get("refundable_amount") is not None:
            out.append(f"The refundable amount is {money(r['refundable_amount'])}.")
        return out
    if r.get("reason"):
        return [f"Order {oid} isn't eligible for a return: {str(r['reason']).rstrip('.')}."]
    return [f"Order {oid} isn't eligible for a return{timing}."]


def create_return(o: ToolOutcome, request: Request) -> list[str]:
    r = o.result if isinstance(o.result, dict) else {}
    kind = r.get("kind") or o.arguments.get("kind") or "refund"
    out = [f"Your {kind} return for order {r.get('order_id') or o.arguments.get('order_id')} is created: RMA {r.get('rma_id')}"
           + (f", status {r['status']}." if r.get("status") else ".")]
    if r.get("amount"):
        out.append(f"Refund amount: {money(r['amount'])}.")
    if r.get("label_url"):
        out.append(f"Your prepaid return label: {r['label_url']}")
    return out


def list_returns(o: ToolOutcome, request: Request) -> list[str]:
    returns = [x for x in o.value("returns") or [] if isinstance(x, dict)]
    refunds = [x for x in o.value("refunds") or [] if isinstance(x, dict)]
    out = [f"Return {x.get('rma_id')} for order {x.get('order_id')}: {x.get('status', 'open')}"
           + (f", {money(x['amount'])}." if x.get("amount") else ".") for x in returns[:3]]
    out += [f"Refund of {money(x.get('amount'))} for order {x.get('order_id')}: {x.get('status', 'pending')}"
            + (f" (since {x['created_at']})." if x.get("created_at") else ".") for x in refunds[:3]]
    return out or ["I don't see any returns or refunds on your account yet."]


def issue_refund(o: ToolOutcome, request: Request) -> list[str]:
    r = o.result if isinstance(o.result, dict) else {}
    amount = money(r.get("amount", o.arguments.get("amount")))
    status = f" Its status is {r['status']}." if r.get("status") else ""
    return [f"I've issued a refund of {amount} for order {r.get('order_id') or o.arguments.get('order_id')}.{status}"]


def cancel_order(o: ToolOutcome, request: Request) -> list[str]:
    return [f"Order {o.value('order_id') or o.arguments.get('order_id')} is now {o.value('status') or 'cancelled'}."]


def change_shipping_address(o: ToolOutcome, request: Request) -> list[str]:
    args = {k: v for k, v in o.arguments.items() if k != "order_id"}
    return [f"The delivery address of order {o.arguments.get('order_id')} is now {_address(args)}."]


def explain_charges(o: ToolOutcome, request: Request) -> list[str]:
    charges = {str(c.get("charge_id")): c for c in o.value("charges") or [] if isinstance(c, dict)}
    duplicates = [d for d in o.value("duplicates") or [] if isinstance(d, dict)]
    out = []
    for dup in duplicates[:3]:
        ids = [str(i) for i in dup.get("charge_ids") or []]
        dates = [str(charges[i].get("created_at")) for i in ids if i in charges and charges[i].get("created_at")]
        when = f" (on {' and '.join(dates)})" if dates else ""
        times = f"{len(ids)} times" if len(ids) > 2 else "twice"
        done = " That duplicate has already been refunded." if dup.get("refunded") else ""
        out.append(f"I can see a duplicate charge: order {dup.get('order_id')} was charged "
                   f"{money(dup.get('amount'))} {times}{when}.{done}")
    if not duplicates:
        if o.value("summary"):
            out.append(str(o.value("summary")).rstrip(".") + ".")
        for c in list(charges.values())[:3]:
            out.append(f"{money(c.get('amount'))} on {c.get('created_at')} for order {c.get('order_id')}"
                       + (f" ({c['descriptor']}, {c.get('status')})." if c.get("descriptor") else "."))
        if not charges and not o.value("summary"):
            out.append("I don't see any charges matching that.")
    return out


def get_billing_history(o: ToolOutcome, request: Request) -> list[str]:
    methods = [m for m in o.value("payment_methods") or [] if isinstance(m, dict)]
    if not methods:
        return []
    return ["Payment methods on file: " + ", ".join(f"{m.get('brand')} ending {m.get('last4')}" for m in methods) + "."]


def get_account(o: ToolOutcome, request: Request) -> list[str]:
    changing = any(i.startswith("change_") for i in request.said.intents)
    if request.last("update_account") or request.specialist != "account_management" or changing:
        return []
    c = o.value("customer") or {}
    shown = [f"{label} {c[key]}" for key, label in (("name", "name"), ("email", "email"), ("phone", "phone"))
             if c.get(key)]
    return [f"On your account I have: {', '.join(shown)}."] if shown else []


def update_account(o: ToolOutcome, request: Request) -> list[str]:
    field = o.arguments.get("field", "details")
    return [f"Done — the {field} on your account is now {o.arguments.get('value')}."]


def send_login_link(o: ToolOutcome, request: Request) -> list[str]:
    r = o.result if isinstance(o.result, dict) else {}
    kind = "magic sign-in link" if (r.get("kind") or o.arguments.get("kind")) == "magic_link" else "password reset link"
    to = f" to {r['sent_to']}" if r.get("sent_to") else " to the email on your account"
    expiry = f"; it expires in {r['expires_in_minutes']} minutes" if r.get("expires_in_minutes") else ""
    return [f"I've sent a {kind}{to}{expiry}."]


def transfer_to_specialist(o: ToolOutcome, request: Request) -> list[str]:
    agent = o.value("transfer_to") or o.arguments.get("agent")
    label = SPECIALIST_LABELS.get(str(agent), "the right specialist")
    return [f"I'm passing you to {label}, who can help with this and will see our conversation so far."]


def escalate_to_human(o: ToolOutcome, request: Request) -> list[str]:
    return ["I've asked a human colleague to take over; they'll have everything we've discussed."]


RENDERERS = {
    fn.__name__: fn
    for fn in (
        lookup_order, track_shipment, list_orders, search_products, get_product, check_return_eligibility,
        create_return, list_returns, issue_refund, cancel_order, change_shipping_address, explain_charges,
        get_billing_history, get_account, update_account, send_login_link, transfer_to_specialist,
        escalate_to_human,
    )
}
"""One renderer per tool name."""
