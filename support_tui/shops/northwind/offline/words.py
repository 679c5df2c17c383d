"""Northwind's words for its records: one status table and one money format."""

from __future__ import annotations

from typing import Any

from support_tui.core.shop.saying import dollars, status_in

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
    """``$1,249.99`` for dollars (the shop's currency), ``249.99 EUR`` for another."""
    return dollars(amount, currency)


def status(value: Any) -> str:
    """A status in words: ``label_sent`` -> "return label sent"."""
    return status_in(STATUS_WORDS, value)
