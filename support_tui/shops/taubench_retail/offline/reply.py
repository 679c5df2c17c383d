"""The offline model's replies on a retail shop of the tau-bench kind: what the look-ups found, in words.

Each reply says who was found (or what is needed to find them), the profile, orders and products
the message asked about, and, when the customer wants something changed, plainly that the offline
model does not make changes: that needs a real model.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import re

from support_tui.core.shop.offline import Request, SeenCall
from support_tui.core.shop.saying import dollars, status_in

from .plan import THANKS, Asks, identified, identifies, parsed, read_asks

RETAIL_STATUS = {
    "pending": "pending (not shipped yet)", "processed": "shipped and on its way", "delivered": "delivered",
    "cancelled": "cancelled", "pending (item modified)": "pending, with its items already changed once",
    "return requested": "waiting for the returned items", "exchange requested": "waiting for the exchanged items",
}
"""Order statuses of the retail data, as a customer would say them (the shop's one status table)."""


def money(amount: Any, currency: Any = None) -> str:
    """Dollars, as the benchmark's prices are."""
    return dollars(amount, currency)

MAX_VARIANTS = 6

CANNOT_CHANGE = ("I can't make changes in this offline demo: cancelling, returning, exchanging or modifying items, "
                 "or a new address or payment method, needs a real model (run the console with an API key). "
                 "I can still look up your account, your orders and our products.")
NEED_ID = "To look up your account I need the email address on it, or your first and last name with your zip code."
HELP = ("I can look up your account, your orders and their status, and our products and their options. "
        "What would you like to check?")
MORE = "Is there anything else I can look up for you?"


def _method(method_id: str, profile: dict[str, Any] | None) -> str:
    """A payment method as the customer knows it: "your Visa credit card ending 9182", "your PayPal"."""
    method = ((profile or {}).get("payment_methods") or {}).get(method_id) or {}
    source = method.get("source") or method_id.rsplit("_", 1)[0]
    if source == "credit_card":
        brand = str(method.get("brand") or "").title()
        ending = f" ending {method['last_four']}" if method.get("last_four") else ""
        return f"{brand + ' ' if brand else ''}credit card{ending}".strip()
    if source == "gift_card":
        left = f" ({money(method['balance'])} left)" if "balance" in method else ""
        return f"gift card{left}"
    return "PayPal" if source == "paypal" else str(source).replace("_", " ")


def _address(address: dict[str, Any]) -> str:
    lines = [address.get("address1"), address.get("address2"), address.get("city"),
             f"{address.get('state', '')} {address.get('zip', '')}".strip(), address.get("country")]
    return ", ".join(str(part) for part in lines if part)


def _item(item: dict[str, Any]) -> str:
    options = ", ".join(str(v) for v in (item.get("options") or {}).values())
    return f"{item.get('name')}{f' ({options})' if options else ''}, {money(item.get('price'))}"


def order_line(order: dict[str, Any], profile: dict[str, Any] | None) -> str:
    """One order: its status, items, payment and tracking."""
    status = str(order.get("status", ""))
    # τ-bench lists each unit as its own item: the same item twice reads "2 × ... each", not twice.
    counted = Counter(_item(i) for i in order.get("items", []))
    items = "; ".join(text if n == 1 else f"{n} × {text} each" for text, n in counted.items())
    line = f"Order {order.get('order_id')} is {status_in(RETAIL_STATUS, status)}: {items}."
    paid = [p for p in order.get("payment_history", []) if p.get("transaction_type") == "payment"]
    if paid:
        line += " Paid " + " and ".join(f"{money(p.get('amount'))} with your {_method(str(p.get('payment_method_id')), profile)}"
                                        for p in paid) + "."
    tracking = [t for f in order.get("fulfillments", []) for t in f.get("tracking_id", [])]
    if tracking and status in ("processed", "delivered"):
        line += f" Tracking number{'s' * (len(tracking) > 1)}: {', '.join(map(str, tracking))}."
    return line


def profile_lines(profile: dict[str, Any]) -> list[str]:
    """The account: name, email, default address, payment methods and orders."""
    name = profile.get("name") or {}
    methods = [_method(m, profile) for m in profile.get("payment_methods") or {}]
    orders = profile.get("orders") or []
    lines = [f"Your account: {name.get('first_name', '')} {name.get('last_name', '')}, {profile.get('email', '')}; "
             f"default address {_address(profile.get('address') or {})}."]
    if methods:
        lines.append("Payment methods: " + ", ".join(methods) + ".")
    if orders:
        lines.append(f"Your orders: {', '.join(map(str, orders))}.")
    return lines


def product_line(product: dict[str, Any], latest: str) -> str:
    """A product's variants (those whose options the message names, when it names any), with price and availability."""
    variants = list((product.get("variants") or {}).values())
    low = latest.lower()
    named = [v for v in variants if any(re.search(rf"(?<![\w#]){re.escape(str(o).lower())}(?!\w)", low)
                                        for o in (v.get("options") or {}).values())]
    shown = named or variants
    available = sum(1 for v in variants if v.get("available"))
    head = f"{product.get('name')}: {len(variants)} variants, {available} available now"
    rows = [f"{', '.join(str(o) for o in (v.get('options') or {}).values())} at {money(v.get('price'))}"
            f"{'' if v.get('available') else ' (not available)'} (item {v.get('item_id')})" for v in shown[:MAX_VARIANTS]]
    if not rows:
        return head + "."
    more = f", and {len(shown) - MAX_VARIANTS} more" if len(shown) > MAX_VARIANTS else ""
    return f"{head}{', matching what you asked' if named else ''}: {'; '.join(rows)}{more}."


def _problem(outcome: SeenCall) -> str | None:
    """A look-up that failed or was stopped, in words."""
    if outcome.ok:
        return None
    order_id = outcome.arguments.get("order_id")
    if outcome.rule == "one_user_per_conversation":
        return f"Order {order_id} is not on your account, so I can't look at it here." if order_id else \
            "That account is not the one this conversation is about, so I can't look at it here."
    if outcome.name == "get_order_details":
        return f"I couldn't find order {order_id}; could you check the number?"
    if outcome.name == "get_product_details":
        return f"I couldn't find a product {outcome.arguments.get('product_id')}."
    return None


def _not_found(request: Request, asks: Asks) -> str:
    failed = [o for o in request.outcomes if o.name.startswith("find_user_id") and o.status == "error"]
    if not failed:
        return NEED_ID
    last = failed[-1].arguments
    who = f"the email {last['email']}" if "email" in last else \
        f"{last.get('first_name')} {last.get('last_name')} at zip code {last.get('zip')}"
    return f"I couldn't find an account for {who}. Could you check it, or give me your name and zip code instead?"


def write_retail(request: Request) -> str:
    """The reply for this turn's look-ups."""
    asks = read_asks(request)
    user_id = identified(request)
    profile = parsed(request.last("get_user_details"))
    profile = profile if isinstance(profile, dict) else None
    lines: list[str] = []
    ask_id = _not_found(request, asks) if user_id is None and (asks.needs_user or identifies(request.latest)) else ""
    if THANKS.match(request.latest) and not asks.needs_user and not asks.products:
        return "You're welcome! " + MORE
    if not ask_id and profile is not None and identifies(request.latest) and any(
            o.ok and o.name.startswith("find_user_id") for o in request.outcomes):
        lines.append(f"Thanks, {(profile.get('name') or {}).get('first_name', '')}: I found your account.")
    orders = [o for o in request.called("get_order_details")]
    if profile is not None and (asks.account or not (orders or asks.products or asks.write)):
        lines += profile_lines(profile)
    for outcome in orders:
        order = parsed(outcome)
        lines.append(order_line(order, profile) if isinstance(order, dict) else _problem(outcome) or "")
    products = [parsed(o) for o in request.called("get_product_details")]
    lines += [product_line(p, request.latest) for p in products if isinstance(p, dict)]
    lines += [p for o in request.called("get_product_details") for p in [_problem(o)] if p]
    catalogue = parsed(request.last("list_all_product_types"))
    if asks.products and not products and isinstance(catalogue, dict):
        names = list(catalogue)
        lines.append(f"We sell {len(names)} kinds of product, such as {', '.join(names[:8])}. Which one would you like "
                     "to know about?")
        return " ".join(line for line in lines if line)
    if asks.write:
        lines.append(CANNOT_CHANGE)
        if profile is not None and not orders and profile.get("orders"):
            lines.append(f"Your orders: {', '.join(map(str, profile['orders']))}.")
    if ask_id:
        lines.append(ask_id)  # the question comes last
    if not lines:
        return HELP
    if not lines[-1].endswith("?") and not ask_id:
        lines.append(MORE)
    return " ".join(line for line in lines if line)
