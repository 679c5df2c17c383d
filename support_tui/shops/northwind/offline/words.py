"""Northwind's words: what it sells and what customers use it with, what its agent helps with and asks,
its statuses and its money."""

from __future__ import annotations

import re
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

PRODUCT_WORDS = (
    "wireless headphones", "noise cancelling headphones", "phone case", "screen protector", "power bank",
    "charging cable", "water bottle", "yoga mat", "coffee maker", "running shoes", "smart watch",
    "headphones", "earbuds", "headset", "speaker", "charger", "cable", "adapter", "smartwatch", "watch",
    "fitness tracker", "laptop", "tablet", "keyboard", "mouse", "monitor", "camera", "router", "case",
    "jacket", "coat", "shoes", "sneakers", "boots", "shirt", "t-shirt", "jeans", "dress", "hoodie",
    "sweater", "backpack", "bag", "blender", "kettle", "lamp", "mug", "bottle", "tent", "stand", "phone",
)
"""Product nouns the store sells, longest phrases first so 'phone case' wins over 'phone'."""

DEVICE_WORDS = (
    "iphone", "ios", "android", "samsung", "galaxy", "pixel", "ipad", "macbook", "mac", "windows",
    "bluetooth", "usb-c", "lightning", "ps5", "xbox", "switch",
)
"""Devices and standards customers ask compatibility about."""

HELP_AREAS = "your orders and deliveries, returns and refunds, payments, your account, and our products"
"""What the agent helps with, as its greeting and its decline say it."""

SPECIALIST_QUESTIONS = {
    "order_tracking": "Could you tell me the order number from your confirmation email? Then I'll check where it is.",
    "returns_refunds": "Which order and item is this about? With the order number I can check whether it can be returned.",
    "product_info": "Which product do you mean? Its name is on the product page or in your order confirmation.",
    "billing_payment": "Which charge or order is this about? Then I'll look into it.",
    "technical_support": "Could you tell me what you see, including any error message, and whether it happens on the "
                         "website or in the app?",
    "account_management": "What would you like to change on your account, and what should the new value be?",
}
"""Each specialist's question when the message lacks what its flow needs."""

SPECIALIST_TOPICS = {
    "order_tracking": "an order's delivery", "returns_refunds": "a return or refund", "product_info": "one of our products",
    "billing_payment": "a charge or payment", "technical_support": "a problem with the website or app",
    "account_management": "a change to your account",
}
"""Each specialist's subject, as a question between two of them names it."""


def money(amount: Any, currency: Any = None) -> str:
    """``$1,249.99`` for dollars (the shop's currency), ``249.99 EUR`` for another."""
    return dollars(amount, currency)


def status(value: Any) -> str:
    """A status in words: ``label_sent`` -> "return label sent"."""
    return status_in(STATUS_WORDS, value)


_MODEL = re.compile(r"\b(iphone|ipad|galaxy|pixel)\s*([a-z]?\d{1,2}[a-z]?)\b((?:\s+(?:pro|max|plus|mini|ultra|fe|air|xl))*)",
                    re.IGNORECASE)
"""A phone or tablet model as written ("iPhone 15 Pro", "galaxy s24 ultra", "Pixel 9"): an entity, read from the text."""
_FAMILY_NAMES = {"iphone": "iPhone", "ipad": "iPad", "galaxy": "Galaxy", "pixel": "Pixel"}


def device_model(text: str) -> str | None:
    """The first device model a text names, normalised ("iphone 15 pro"), or None."""
    m = _MODEL.search(text)
    return " ".join([m.group(1), m.group(2), *m.group(3).split()]).lower() if m else None


def model_name(model: str) -> str:
    family, number, *rest = model.split()
    return " ".join([_FAMILY_NAMES[family], number.upper(), *(w.upper() if w in ("fe", "xl") else w.title() for w in rest)])
