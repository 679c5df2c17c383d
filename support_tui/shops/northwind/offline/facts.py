"""Sentences that state what one successful tool call returned, in the customer's terms."""

from __future__ import annotations

import re
from typing import Any

from support_tui.core.shop.saying import day, items, join, on_day, product

from support_tui.core.shop.offline import Request, SeenCall

from .products import get_product, search_products
from .words import money, status


def _order(o: SeenCall) -> dict[str, Any]:
    order = o.value("order")
    return order if isinstance(order, dict) else (o.result if isinstance(o.result, dict) else {})


def order_state(order: dict[str, Any], request: Request) -> str:
    """Where an order is, in one clause: "is on its way and should arrive on Tuesday 2 December"."""
    state = str(order.get("status") or "")
    if state == "delivered":
        when = order.get("delivered_at")
        return f"was delivered {on_day(when, request.today)}" if when else "was delivered"
    if state == "shipped":
        eta = order.get("estimated_delivery")
        carrier = f" with {order['carrier']}" if order.get("carrier") else ""
        return f"is on its way{carrier}" + (f" and should arrive {on_day(eta, request.today)}" if eta else "")
    if state in ("pending", "processing"):
        eta = order.get("estimated_delivery")
        return f"is {status(state)}" + (f"; the estimated delivery is {day(eta, request.today)}" if eta else "")
    return f"is {status(state)}" if state else "is in our system"


def lookup_order(o: SeenCall, request: Request) -> list[str]:
    order = _order(o)
    oid = order.get("order_id") or o.arguments.get("order_id")
    tracked = request.last("track_shipment")
    if tracked is not None and tracked.ok and tracked.arguments.get("order_id") == oid:
        return []
    what = f" ({items(order.get('items'))})" if order.get("items") else ""
    return [f"Your order {oid}{what} {order_state(order, request)}."]


def track_shipment(o: SeenCall, request: Request) -> list[str]:
    r = o.result if isinstance(o.result, dict) else {}
    oid = r.get("order_id") or o.arguments.get("order_id")
    lookup = next((x for x in request.called("lookup_order") if x.ok and x.arguments.get("order_id") == oid), None)
    order = {**(_order(lookup) if lookup else {}), **{k: v for k, v in r.items() if v is not None}}
    what = f" ({items(order.get('items'))})" if order.get("items") else ""
    out = [f"Your order {oid}{what} {order_state(order, request)}."]
    if r.get("tracking_number") and r.get("status") == "shipped":
        out.append(f"The tracking number is {r['tracking_number']}.")
    return out


def order_line(order: dict[str, Any], request: Request) -> str:
    """One order and where it stands: "Your order ORD-1 (Trailblazer Jacket) was delivered on ..."."""
    return f"Your order {order.get('order_id')} ({items(order.get('items')) or 'no items listed'}) {order_state(order, request)}."


def list_orders(o: SeenCall, request: Request) -> list[str]:
    """Every order the look-up returned (the answer to "what have I ordered?")."""
    orders = [x for x in o.value("orders") or [] if isinstance(x, dict)]
    if not orders:
        return ["I couldn't find any orders on your account."]
    return [order_line(x, request) for x in orders[:10]]


def _returns_for(request: Request, oid: Any) -> list[dict[str, Any]]:
    """This turn's returns of one order, from ``list_returns``."""
    found = request.last("list_returns")
    if found is None or not found.ok:
        return []
    return [x for x in found.value("returns") or [] if isinstance(x, dict) and x.get("order_id") == oid]


def check_return_eligibility(o: SeenCall, request: Request) -> list[str]:
    r = o.result if isinstance(o.result, dict) else {}
    oid = r.get("order_id") or o.arguments.get("order_id")
    created = request.last("create_return")
    if created is not None and created.ok or _returns_for(request, oid):
        return []  # the return itself is the answer
    if r.get("eligible"):
        days = r.get("days_since_delivery")
        ago = f" (it was delivered {days} days ago" + (f", within our {r['window_days']}-day window)" if r.get("window_days") else ")") \
            if isinstance(days, int) and days > 1 else ""
        return [f"Order {oid} can still be returned{ago}."]
    reason = re.sub(r"\s*\((?:status|state): [^)]*\)", "", str(r.get("reason") or "")).rstrip(".")
    if oid and reason.startswith(str(oid)):
        reason = "it" + reason[len(str(oid)):]  # "ORD-1 has not been delivered" -> "it has not been delivered"
    if reason:
        first = reason[0].lower() if reason[1:2].islower() else reason[0]  # "The item" -> "the item"; "RMA" stays
        return [f"Order {oid} can't be returned: {first + reason[1:]}."]
    return [f"Order {oid} can't be returned."]


def create_return(o: SeenCall, request: Request) -> list[str]:
    r = o.result if isinstance(o.result, dict) else {}
    oid = r.get("order_id") or o.arguments.get("order_id")
    kind = "exchange" if (r.get("kind") or o.arguments.get("kind")) == "exchange" else "return"
    what = f" of {items(r.get('items'))}" if r.get("items") else ""
    out = [f"Done — your {kind}{what} from order {oid} is started, with return number {r.get('rma_id')}."]
    if r.get("amount"):
        out.append(f"{money(r['amount'])} will be refunded once the item arrives back.")
    if r.get("label_url"):  # last, so the link is not run into the next sentence
        out.append(f"Your prepaid return label is here: {r['label_url']}")
    return out


def _item_names(value: Any) -> list[str]:
    return [str(i.get("name") or "") if isinstance(i, dict) else str(i) for i in value or []]


def existing_returns(o: SeenCall, request: Request) -> list[str]:
    """A return request for something that already has one: that return, by item name and number."""
    from .flows import products, _matches

    words = products(request)
    out = []
    for x in (x for x in o.value("returns") or [] if isinstance(x, dict)):
        names = [n for n in _item_names(x.get("items")) if not words or _matches(n, words)]
        if names:
            out.append(f"The {join([product(n) for n in names])} from order {x.get('order_id')} already has a return, "
                       f"number {x.get('rma_id')} ({status(x.get('status') or 'open')}).")
    if out:
        return out[:2]
    return [f"I couldn't find {'the ' + words[0] if words else 'an item'} among the items of "
            f"order {o.arguments.get('order_id')} that can still be returned."]


def list_returns(o: SeenCall, request: Request) -> list[str]:
    asking_status = "refund_status" in request.said.intents or "refund_status" in request.remembered.intents
    if request.last("check_return_eligibility") and not asking_status:
        return existing_returns(o, request)
    returns = [x for x in o.value("returns") or [] if isinstance(x, dict)]
    refunds = [x for x in o.value("refunds") or [] if isinstance(x, dict)]
    out = [f"Your return {x.get('rma_id')} for order {x.get('order_id')}: {status(x.get('status') or 'open')}"
           + (f", for {money(x['amount'])}." if x.get("amount") else ".") for x in returns[:3]]
    out += [f"The refund of {money(x.get('amount'))} for order {x.get('order_id')} is {status(x.get('status') or 'pending')}"
            + (f" (since {day(x['created_at'], request.today)})." if x.get("created_at") else ".") for x in refunds[:3]]
    return out or ["I don't see any returns or refunds on your account yet."]


def issue_refund(o: SeenCall, request: Request) -> list[str]:
    r = o.result if isinstance(o.result, dict) else {}
    amount = money(r.get("amount", o.arguments.get("amount")))
    return [f"Done — I've refunded {amount} for order {r.get('order_id') or o.arguments.get('order_id')}. "
            "It usually shows in your account within 5-10 business days."]


def cancel_order(o: SeenCall, request: Request) -> list[str]:
    return [f"Done — order {o.value('order_id') or o.arguments.get('order_id')} is cancelled."]


def _address(value: dict[str, Any]) -> str:
    return ", ".join(str(value[k]) for k in ("street", "city", "state", "postal_code", "country") if value.get(k))


def change_shipping_address(o: SeenCall, request: Request) -> list[str]:
    args = {k: v for k, v in o.arguments.items() if k != "order_id"}
    return [f"Done — order {o.arguments.get('order_id')} will now go to {_address(args)}."]


def explain_charges(o: SeenCall, request: Request) -> list[str]:
    charges = {str(c.get("charge_id")): c for c in o.value("charges") or [] if isinstance(c, dict)}
    duplicates = [d for d in o.value("duplicates") or [] if isinstance(d, dict)]
    asked_twice = "duplicate_charge" in request.said.intents or "duplicate_charge" in request.remembered.intents
    # "You're right" answers a customer who said so; one who asked for their bill is told what we see.
    lead = "You're right: order" if asked_twice else "I see that order"
    out = []
    for dup in duplicates[:3]:
        ids = [str(i) for i in dup.get("charge_ids") or []]
        days = sorted({day(charges[i].get("created_at"), request.today) for i in ids if i in charges and charges[i].get("created_at")})
        when = f" {on_day(charges[ids[0]].get('created_at'), request.today)}" if len(days) == 1 and ids[0] in charges else ""
        times = f"{len(ids)} times" if len(ids) > 2 else "twice"
        part, left = dup.get("refunded_amount"), dup.get("left_to_refund")
        if dup.get("refunded"):
            done = " That duplicate has already been refunded."
        elif isinstance(part, (int, float)) and part > 0 and isinstance(left, (int, float)):
            done = f" {money(part)} of it has already been refunded, so {money(left)} is left to refund."
        else:
            done = ""
        out.append(f"{lead} {dup.get('order_id')} was charged {money(dup.get('amount'))} {times}{when}.{done}")
    if duplicates:
        return out
    shown = list(charges.values())
    amounts = request.said.amounts
    if amounts:
        shown = [c for c in shown if any(abs(float(c.get("amount") or 0) - a) < 0.005 for a in amounts)] or shown
    if asked_twice:
        out.append("I checked your charges and I don't see any order charged twice: each order was charged once.")
    for c in shown[:1 if asked_twice else 3]:
        # A charge taken needs no word on its state; one only authorised, refunded or declined does.
        state = "" if c.get("status") in (None, "", "captured") else f" ({status(c.get('status'))})"
        out.append(f"The charge of {money(c.get('amount'))} {on_day(c.get('created_at'), request.today)} is for "
                   f"order {c.get('order_id')}{state}.")
    if not charges:
        out.append("I don't see any charges matching that.")
    return out


def get_billing_history(o: SeenCall, request: Request) -> list[str]:
    methods = [m for m in o.value("payment_methods") or [] if isinstance(m, dict)]
    if not methods:
        return []
    return ["The payment methods on your account: " + join([f"{m.get('brand')} ending {m.get('last4')}" for m in methods]) + "."]


def get_account(o: SeenCall, request: Request) -> list[str]:
    changing = any(i.startswith("change_") for i in request.said.intents)
    if request.last("update_account") or request.specialist != "account_management" or changing:
        return []
    c = o.value("customer") or {}
    shown = [f"{label} {c[key]}" for key, label in (("email", "email address"), ("phone", "phone number"), ("name", "name"))
             if c.get(key) and (key in request.latest.lower() or label.split()[0] in request.latest.lower())]
    if not shown:
        shown = [f"{label} {c[key]}" for key, label in (("name", "name"), ("email", "email address")) if c.get(key)]
    return [f"Your account has the {join(shown)}."] if shown else []


def update_account(o: SeenCall, request: Request) -> list[str]:
    field = {"email": "email address", "phone": "phone number"}.get(str(o.arguments.get("field")), o.arguments.get("field", "details"))
    return [f"Done — the {field} on your account is now {o.arguments.get('value')}."]


def send_login_link(o: SeenCall, request: Request) -> list[str]:
    r = o.result if isinstance(o.result, dict) else {}
    kind = "magic sign-in link" if (r.get("kind") or o.arguments.get("kind")) == "magic_link" else "password reset link"
    to = f" to {r['sent_to']}" if r.get("sent_to") else " to the email on your account"
    expiry = f"; it works for {r['expires_in_minutes']} minutes" if r.get("expires_in_minutes") else ""
    return [f"I've sent a {kind}{to}{expiry}."]


RENDERERS = {
    fn.__name__: fn
    for fn in (
        lookup_order, track_shipment, list_orders, search_products, get_product, check_return_eligibility,
        create_return, list_returns, issue_refund, cancel_order, change_shipping_address, explain_charges,
        get_billing_history, get_account, update_account, send_login_link,
    )
}
"""One renderer per tool name."""

__all__ = ["RENDERERS", "list_orders", "order_line", "order_state", "product"]
