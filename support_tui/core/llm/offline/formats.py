"""How money is written in replies."""

from __future__ import annotations

from typing import Any


def money(amount: Any, currency: Any = None) -> str:
    """``$1,249.99`` for dollars, ``249.99 EUR`` for another currency, the value as given if not a number."""
    try:
        value = f"{float(amount):,.2f}"
    except (TypeError, ValueError):
        return str(amount)
    if currency and str(currency).upper() not in ("USD", "$"):
        return f"{value} {currency}"
    return f"${value}"
