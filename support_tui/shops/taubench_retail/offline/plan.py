"""The offline model on a tau-bench-style retail shop: find the user, then read their account, orders and products.

The offline model only reads: it identifies the user (email, or first and last name with zip code, else
the console's chosen customer), reads their profile, the orders the message names (or all of them
when it asks about "my orders"), and the products it names; it never plans a write, and the reply
says so (``retail_reply``). Earlier turns' tool results are not in the history the engine sends, so
each turn looks up again what it needs.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from support_tui.core.shop.offline import PlannedCall, Request, SeenCall

MAX_ROUNDS = 4
"""Tool rounds before the offline model writes (the engine allows more)."""
MAX_ORDERS = 5
MAX_PRODUCTS = 3

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_ORDER = re.compile(r"#?\b(W\d{7})\b")
_SAYS_EMAIL = re.compile(r"\b(?:my |the )?e-?mail(?: address)?(?: is|:)?\s*[\w.+-]+@[\w-]+(?:\.[\w-]+)+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+",
                         re.IGNORECASE)
"""Giving an email to be found by is not a question about the account."""
_ZIP = re.compile(r"\b(\d{5})\b")
_PRODUCT_ID = re.compile(r"\b(\d{10})\b")
_NAME = re.compile(r"\b(?i:my name is|name's|i am|i'm|im|this is|it's|it is)\s+([A-Z][a-z'-]+)\s+([A-Z][a-z'-]+)\b")
_NAME_ZIP = re.compile(r"^\W*([A-Z][a-z'-]+)\s+([A-Z][a-z'-]+)\W+(?:zip(?: code)?\W*)?\d{5}\b")

THANKS = re.compile(r"^\W*(?:(?:ok(?:ay)?|great|perfect|cool)\W+)*(?:thanks?|thank you|thx|bye|goodbye|that'?s all)\b",
                    re.IGNORECASE)
_ACCOUNT = re.compile(r"\b(?:account|profile|details|address|email|payment|pay|paid|gift ?card|balance|credit card|"
                      r"paypal|card)\b", re.IGNORECASE)
_ORDERS = re.compile(r"\b(?:orders?|status|where|shipped|shipping|delivered|delivery|tracking|track|arrive\w*|"
                     r"package|parcel|purchase\w*|bought|items?)\b", re.IGNORECASE)
_PRODUCTS = re.compile(r"\b(?:products?|sell|variants?|options?|colou?rs?|sizes?|available|availability|in stock|"
                       r"stock|price|prices|cost|how much|versions?|models?)\b", re.IGNORECASE)
_WRITES = re.compile(r"\b(?:cancel\w*|return\w*|exchang\w*|refund\w*|modify\w*|swap\w*|replac\w*|change\w*|"
                     r"switch\w*|update\w*|upgrade\w*)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Asks:
    """What the customer's messages ask for and say (the latest message first, then earlier ones)."""

    email: str | None = None
    name_zip: tuple[str, str, str] | None = None
    order_ids: tuple[str, ...] = ()
    product_ids: tuple[str, ...] = ()
    account: bool = False
    orders: bool = False
    products: bool = False
    write: bool = False
    latest: str = ""

    @property
    def needs_user(self) -> bool:
        return self.account or self.orders or self.write or bool(self.order_ids)


def _name_zip(text: str) -> tuple[str, str, str] | None:
    zip_code = _ZIP.search(text)
    name = _NAME.search(text) or _NAME_ZIP.search(text)
    if zip_code is None or name is None:
        return None
    return name.group(1), name.group(2), zip_code.group(1)


def read_asks(request: Request) -> Asks:
    """Identifiers from every customer message; the topic from the latest message, or, when the latest only
    says who the customer is ("it's olivia@example.com"), from the last message before it that asked something."""
    texts = [request.latest, *reversed(request.earlier_user)]
    email = next((m.group(0) for t in texts for m in [_EMAIL.search(t)] if m), None)
    name_zip = next((found for t in texts for found in [_name_zip(t)] if found), None)
    topic = request.latest
    if not _topic(topic) and identifies(topic):
        topic = next((t for t in texts[1:] if _topic(t)), topic)
    orders = tuple(dict.fromkeys(f"#{m}" for m in _ORDER.findall(topic)))
    without_zip = _ZIP.sub(" ", topic)
    return Asks(
        email=email, name_zip=name_zip, order_ids=orders[:MAX_ORDERS],
        product_ids=tuple(dict.fromkeys(_PRODUCT_ID.findall(without_zip)))[:MAX_PRODUCTS],
        account=bool(_ACCOUNT.search(_SAYS_EMAIL.sub(" ", topic))), orders=bool(_ORDERS.search(topic)) or bool(orders),
        products=bool(_PRODUCTS.search(topic)), write=bool(_WRITES.search(topic)), latest=request.latest,
    )


def identifies(text: str) -> bool:
    """The message gives an email, or a zip code (with or without a name)."""
    return bool(_EMAIL.search(text) or _ZIP.search(text))


def _topic(text: str) -> bool:
    return any(p.search(text) for p in (_ACCOUNT, _ORDERS, _PRODUCTS, _WRITES)) or bool(_ORDER.search(text))


def parsed(outcome: SeenCall | None) -> Any:
    """A tool's result as data: tau-bench tools return JSON text (a user id is a bare string)."""
    if outcome is None or not outcome.ok:
        return None
    result = outcome.result
    if isinstance(result, str) and result[:1] in "{[":
        try:
            return json.loads(result)
        except ValueError:
            return result
    return result


def identified(request: Request) -> str | None:
    """The user id this turn's look-ups found (a find tool's result, or a profile that was read)."""
    for outcome in request.outcomes:
        if outcome.ok and outcome.name in ("find_user_id_by_email", "find_user_id_by_name_zip"):
            return str(outcome.result)
    for outcome in request.called("get_user_details"):
        if outcome.ok:
            return str(outcome.arguments.get("user_id"))
    return None


def _identify(request: Request, asks: Asks) -> list[PlannedCall]:
    """The next try at finding the user: email, then name and zip, then the console's chosen customer."""
    tries: list[PlannedCall] = []
    if asks.email:
        tries.append(("find_user_id_by_email", {"email": asks.email}))
    if asks.name_zip:
        first, last, zip_code = asks.name_zip
        tries.append(("find_user_id_by_name_zip", {"first_name": first, "last_name": last, "zip": zip_code}))
    if not tries and request.context.get("customer_id"):
        # Only when the customer gave nothing to find them by: an email that finds nobody is asked again.
        tries.append(("get_user_details", {"user_id": request.context["customer_id"]}))
    for name, arguments in tries:
        if not request.already(name, arguments):
            return [(name, arguments)]
        if any(o.ok for o in request.outcomes if o.name == name and o.arguments == arguments):
            return []
    return []


def _product_ids(request: Request, asks: Asks) -> list[str]:
    """Products the message names (by id or by type name), else those of the orders read when it asks for options."""
    ids = list(asks.product_ids)
    catalogue = parsed(request.last("list_all_product_types"))
    low = asks.latest.lower()
    if isinstance(catalogue, dict):
        for name, product_id in catalogue.items():
            word = str(name).lower()
            if re.search(rf"\b{re.escape(word)}(?:s|es)?\b", low) or (word.endswith("s") and word[:-1] in low):
                ids.append(str(product_id))
    if not ids and asks.products:
        for outcome in request.called("get_order_details"):
            order = parsed(outcome)
            if isinstance(order, dict):
                ids += [str(item.get("product_id")) for item in order.get("items", [])]
    return list(dict.fromkeys(ids))[:MAX_PRODUCTS]


def plan_retail(request: Request) -> list[PlannedCall]:
    """The next round of look-ups, or an empty list when it is time to reply. Never a write."""
    if request.rounds >= MAX_ROUNDS:
        return []
    asks = read_asks(request)
    calls: list[PlannedCall] = []
    browsing = asks.products or (not asks.needs_user and len(asks.latest.split()) > 3 and not THANKS.match(asks.latest))
    if browsing and request.offers("list_all_product_types") and not request.called("list_all_product_types"):
        calls.append(("list_all_product_types", {}))
    user_id = identified(request)
    if user_id is None and (asks.needs_user or identifies(asks.latest)):
        calls += _identify(request, asks)
    elif user_id is not None:
        calls.append(("get_user_details", {"user_id": user_id}))
        profile = parsed(request.last("get_user_details"))
        own = list(profile.get("orders", [])) if isinstance(profile, dict) else []
        wanted = list(asks.order_ids) or (own[-MAX_ORDERS:] if asks.orders and not asks.order_ids else [])
        calls += [("get_order_details", {"order_id": order_id}) for order_id in wanted]
    if request.called("list_all_product_types") or asks.product_ids or request.called("get_order_details"):
        calls += [("get_product_details", {"product_id": pid}) for pid in _product_ids(request, asks)]
    kept: list[PlannedCall] = []
    for name, arguments in calls:
        if request.offers(name) and not request.already(name, arguments) and (name, arguments) not in kept:
            kept.append((name, arguments))
    return kept
