"""Values the way a customer says them: days by name, lists joined, product names, statuses and money."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Mapping


def dollars(amount: Any, currency: Any = None, home: str = "USD") -> str:
    """``$1,249.99`` in the home currency, ``249.99 EUR`` in another, the value as given if not a number."""
    try:
        value = f"{float(amount):,.2f}"
    except (TypeError, ValueError):
        return str(amount)
    if currency and str(currency).upper() not in (home, "$"):
        return f"{value} {currency}"
    return f"${value}"


def status_in(words: Mapping[str, str], value: Any) -> str:
    """A status in the shop's words: ``label_sent`` -> "return label sent"; an unknown one with spaces."""
    text = str(value or "").strip()
    return words.get(text.lower(), text.replace("_", " "))


def parse_day(value: Any) -> date | None:
    """The calendar day of an ISO date or timestamp, or None."""
    if not isinstance(value, str) or len(value) < 10:
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
    """A product name as said in a sentence: no doubled noun ("... Headphones headphones"), and a variant in
    brackets said with "in" ("Headphones (Midnight Black)" -> "Headphones in Midnight Black"), so that it
    reads inside the brackets a reply puts around an order's items."""
    text = str(name or "").strip()
    base, bracket, rest = text.partition(" (")
    if bracket and rest.endswith(")") and "(" not in rest and base:
        text = f"{base} in {rest[:-1]}"
    words = text.split(" ")
    kept = [w for i, w in enumerate(words) if i == 0 or w.lower() != words[i - 1].lower()]
    return " ".join(kept)


def items(lines: Any) -> str:
    """Order lines by name: "the ArmorFlex case and 2 x Mug Set"."""
    names = []
    for item in lines or []:
        if isinstance(item, dict):
            qty = item.get("quantity")
            name = product(item.get("name") or "an item")
            names.append(f"{qty} x {name}" if isinstance(qty, int) and qty > 1 else name)
        elif item:
            names.append(product(item))
    return join(names)


def join(words: list[str], last: str = "and") -> str:
    words = [w for w in words if w]
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {last} {words[-1]}"
