"""Retail records in a customer's words: money, items, payment methods, addresses and order statuses."""

from __future__ import annotations

from typing import Any, Mapping

from support_tui.shops.taubench_retail.data import Record

STATUS_WORDS = {
    "pending": "not shipped yet",
    "pending (item modified)": "not shipped yet, items changed",
    "processed": "shipped, on its way",
    "delivered": "delivered",
    "cancelled": "cancelled",
    "return requested": "return requested",
    "exchange requested": "exchange requested",
}


def money(amount: float) -> str:
    """``$1,234.50``."""
    return f"${amount:,.2f}"


def status_words(status: str) -> str:
    """An order status as a customer says it."""
    return STATUS_WORDS.get(status, status)


def options_words(options: Mapping[str, Any]) -> str:
    """``blue, 1000ml, glass``: a variant's option values in the catalogue's order."""
    return ", ".join(str(value) for value in options.values())


def item_words(item: Mapping[str, Any]) -> str:
    """``Water Bottle (1000ml, glass, blue)``."""
    options = options_words(item.get("options") or {})
    return f"{item.get('name', 'item')} ({options})" if options else str(item.get("name", "item"))


def method_words(user: Record | None, method_id: str) -> str:
    """A payment method as the customer knows it: the gift card, the Visa ending 1234, the PayPal account."""
    method = (user or {}).get("payment_methods", {}).get(method_id)
    if method is None:
        return method_id
    source = method.get("source")
    if source == "gift_card":
        return f"gift card {method_id} (balance {money(method.get('balance', 0))})"
    if source == "credit_card":
        return f"{str(method.get('brand', 'credit card')).title()} ending {method.get('last_four', '????')}"
    if source == "paypal":
        return "PayPal account"
    return method_id


def refund_timing(method_id: str) -> str:
    """When a refund to this method arrives (the policy: gift cards at once, others in 5-7 business days)."""
    return "at once" if "gift_card" in method_id else "in 5-7 business days"


def address_words(address: Mapping[str, Any]) -> str:
    """``570 Elm Avenue, Suite 175, Denver, CO 80218, USA``."""
    street = ", ".join(part for part in (address.get("address1"), address.get("address2")) if part)
    return f"{street}, {address.get('city')}, {address.get('state')} {address.get('zip')}, {address.get('country')}"


def full_name(user: Record) -> str:
    """The user's first and last name."""
    return f"{user['name']['first_name']} {user['name']['last_name']}"


def order_total(order: Record) -> float:
    """What the order's items cost."""
    total: float = sum(item["price"] for item in order.get("items", []))
    return round(total, 2)


def paid(order: Record) -> float:
    """Payments minus refunds so far."""
    total = 0.0
    for entry in order.get("payment_history", []):
        total += entry["amount"] if entry["transaction_type"] == "payment" else -entry["amount"]
    return round(total, 2)
