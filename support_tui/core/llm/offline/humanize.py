"""Values the way a customer says them: money with its currency, days by name, statuses in words."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

STATUS_WORDS = {
    "pending": "waiting to be processed", "processing": "being prepared", "shipped": "on its way",
    "in_transit": "on its way", "out_for_delivery": "out for delivery", "delivered": "delivered",
    "cancelled": "cancelled", "label_sent": "return label sent", "received": "received at our warehouse",
    "refunded": "refunded", "approved": "approved", "pending_receipt": "waiting for the returned item to reach us",
    "processed": "paid out", "pending_approval": "waiting for a colleague's approval", "captured": "charged",
    "authorized": "authorised but not yet charged", "requested": "requested", "rejected": "declined",
}
"""Order, return, refund and charge statuses as a sentence would say them."""


def money(amount: Any, currency: Any = None) -> str:
    """``$1,249.99`` for dollars, ``249.99 EUR`` for another currency, the value as given if not a number."""
    try:
        value = f"{float(amount):,.2f}"
    except (TypeError, ValueError):
        return str(amount)
    if currency and str(currency).upper() not in ("USD", "$"):
        return f"{value} {currency}"
    return f"${value}"


def status(value: Any) -> str:
    """A status in words: ``label_sent`` -> "return label sent"."""
    text = str(value or "").strip()
    return STATUS_WORDS.get(text.lower(), text.replace("_", " "))


def parse_day(value: Any) -> date | None:
    """The calendar day of an ISO date or timestamp, or None."""
    if not isinstance(value, str) or not re.match(r"\d{4}-\d{2}-\d{2}", value):
        return None
    try:
        return datetime.fromisoformat(value[:19]).date() if len(value) > 10 else date.fromisoformat(value[:10])
    except ValueError:
        return None


def day(value: Any, today: date | None = None) -> str:
    """"today", "tomorrow", "yesterday", else "Tuesday 2 December" (with the year when it is not this year)."""
    when = parse_day(value)
    if when is None:
        return str(value or "")
    today = today or date.today()
    delta = (when - today).days
    if delta in (-1, 0, 1):
        return {-1: "yesterday", 0: "today", 1: "tomorrow"}[delta]
    label = f"{when.strftime('%A')} {when.day} {when.strftime('%B')}"
    return label if when.year == today.year or abs(delta) < 120 else f"{label} {when.year}"


def on_day(value: Any, today: date | None = None) -> str:
    """"on Tuesday 2 December", or the bare relative word ("today")."""
    text = day(value, today)
    return text if text in ("today", "tomorrow", "yesterday") else f"on {text}"


def product(name: Any) -> str:
    """A product name without a doubled noun ("... Headphones headphones")."""
    return re.sub(r"\b(\w+)\s+\1\b", r"\1", str(name or "").strip(), flags=re.IGNORECASE)


def items(lines: Any) -> str:
    """Order lines by name: "the ArmorFlex case and 2 x Mug Set"."""
    names = []
    for item in lines or []:
        if isinstance(item, dict):
            qty = item.get("quantity")
            name = product(item.get("name") or "an item")
            names.append(f"{qty} x {name}" if isinstance(qty, int) and qty > 1 else name)
        elif item:
            names.append(str(item))
    return join(names)


def join(words: list[str], last: str = "and") -> str:
    words = [w for w in words if w]
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {last} {words[-1]}"
