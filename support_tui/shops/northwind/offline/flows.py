"""Each specialist's tool flow, one round at a time, read from what this turn's tools returned."""

from __future__ import annotations

import re
from typing import Any, Callable

from support_tui.core.shop.offline import PlannedCall, Request, SeenCall

from .words import device_model

_ACTIVE = ("shipped", "processing", "pending")
_REASONS = (
    ("defective", "defective"), ("broken", "defective"), ("not working", "defective"),
    ("stopped working", "defective"), ("doesn't work", "defective"), ("faulty", "defective"),
    ("damaged", "damaged"), ("cracked", "damaged"), ("wrong size", "wrong size"),
    ("too small", "wrong size"), ("too big", "wrong size"), ("doesn't fit", "wrong size"), ("does not fit", "wrong size"),
    ("too tight", "wrong size"), ("too loose", "wrong size"), ("different size", "wrong size"),
    ("wrong item", "wrong item"), ("changed my mind", "changed mind"), ("don't need", "no longer needed"),
)
_STOP = frozenset(
    "the a an my i me is it to for of and or do does can could will would you your with this that "
    "what which how about have has on in at be are was any there please hi hello thanks want need "
    "know tell question good bad new one some".split()
)


def order_id(request: Request) -> str | None:
    """The order the message is about: one it names, one it picks from the offered choices, or an earlier one."""
    if request.said.order_ids:
        return request.said.order_ids[0]
    picked = request.picked_order_id
    if picked:
        return picked
    ids = request.remembered.order_ids
    return ids[0] if ids else None


def products(request: Request) -> tuple[str, ...]:
    return request.said.products or request.remembered.products


def orders_listed(request: Request) -> list[dict[str, Any]] | None:
    """Orders from this turn's ``list_orders``, or None when it was not called (or failed)."""
    outcome = request.last("list_orders")
    if outcome is None or not outcome.ok:
        return None
    return [o for o in outcome.value("orders") or [] if isinstance(o, dict)]


def _names(items: Any) -> list[str]:
    return [str(i.get("name", "")) if isinstance(i, dict) else str(i) for i in items or []]


def _matches(name: str, words: tuple[str, ...]) -> bool:
    """True when the name holds a product phrase, or its head noun ("phone case" -> "case")."""
    low = name.lower()
    return any(re.search(rf"\b{re.escape(w)}", low) or re.search(rf"\b{re.escape(w.split()[-1])}", low)
               for w in words)


def _newest(orders: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(orders, key=lambda o: str(o.get("placed_at") or ""), reverse=True)


Chooser = Callable[[list[dict[str, Any]]], "dict[str, Any] | None"]


def _resolve(request: Request, choose: Chooser) -> tuple[str | None, list[PlannedCall]]:
    """An order id from the words, else from this turn's order list, else a call to list them."""
    known = order_id(request)
    if known:
        return known, []
    listed = orders_listed(request)
    if listed is None:
        if request.last("list_orders") is None:
            return None, [("list_orders", {"limit": 10})]
        return None, []
    chosen = choose(_newest(listed))
    return (str(chosen.get("order_id")) if chosen and chosen.get("order_id") else None), []


def holding(orders: list[dict[str, Any]], words: tuple[str, ...]) -> list[dict[str, Any]]:
    """The orders holding one of the named products, in the order given (none when no product is named)."""
    return [o for o in orders if words and any(_matches(n, words) for n in _names(o.get("items")))]


def _order_holding(orders: list[dict[str, Any]], words: tuple[str, ...]) -> str | None:
    """The newest order holding one of the named products."""
    return next((str(o["order_id"]) for o in holding(_newest(orders), words) if o.get("order_id")), None)


def _most_recent_active(orders: list[dict[str, Any]]) -> dict[str, Any] | None:
    for status in ("shipped", "processing"):
        for order in orders:
            if order.get("status") == status:
                return order
    return next((o for o in orders if o.get("status") != "cancelled"), None)


def order_tracking(request: Request, found: frozenset[str]) -> list[PlannedCall]:
    if "cancel" in found:
        only_open = lambda orders: (lambda open_: open_[0] if len(open_) == 1 else None)(  # noqa: E731
            [o for o in orders if o.get("status") in ("pending", "processing")])
        oid, calls = _resolve(request, only_open)
        if calls or not oid:
            return calls
        return [("cancel_order", {"order_id": oid, "reason": "customer request"})]
    address = request.said.address
    if "change_address" in found and address is not None and address.country:
        oid, calls = _resolve(request, lambda orders: next((o for o in orders if o.get("status") in _ACTIVE), None))
        if calls or not oid:
            return calls
        return [("change_shipping_address", {"order_id": oid, **address.as_arguments()})]
    if found & {"order_history", "change_address"} and not order_id(request):
        # The list is the answer: every order ("show me my past orders"), or which can still be re-addressed.
        return [] if request.last("list_orders") else [("list_orders", {"limit": 10})]
    if len(request.said.order_ids) > 1:  # "could you check ORD-1, ORD-2 and ORD-3": each one is answered
        return [("track_shipment", {"order_id": oid}) for oid in request.said.order_ids[:4]]
    oid, calls = _resolve(request, lambda orders: _tracked(orders, request))
    if calls or not oid:
        return calls
    return [("track_shipment", {"order_id": oid}), ("lookup_order", {"order_id": oid})]


_NOT_YET = frozenset({"not", "never", "t", "should", "supposed", "meant", "yet", "still"})
"""Words before a state that deny or expect it rather than say it."""


def _tracked(orders: list[dict[str, Any]], request: Request) -> dict[str, Any] | None:
    """The order a delivery question is about: the newest holding the product it names ("has my phone case
    arrived?"), else the one in the state it names ("it says delivered but it isn't here"), else the most
    recent one still on its way."""
    named = holding(orders, products(request))
    if named:
        return named[0]
    words_said = re.findall(r"[a-z]+", request.latest.lower())
    # A state said as a fact, not denied or expected ("hasn't been delivered", "should have been delivered").
    said = {w for i, w in enumerate(words_said) if not _NOT_YET & set(words_said[max(0, i - 3):i])}
    in_state = [o for o in orders if str(o.get("status") or "") in said]
    return in_state[0] if in_state else _most_recent_active(orders)


def return_reason(request: Request) -> str:
    low = (request.latest + " " + " ".join(request.earlier_user)).lower()
    return next((label for cue, label in _REASONS if cue in low), "customer request")


def _matching_skus(eligibility: SeenCall, words: tuple[str, ...]) -> list[str]:
    """The SKUs of the returnable items the customer named; the only item when they named none.

    A named product that is not among them (its return already started) never falls back to
    another item of the order.
    """
    items = [i for i in eligibility.value("items") or [] if isinstance(i, dict) and i.get("sku")]
    if not words:
        return [str(i["sku"]) for i in items] if len(items) == 1 else []
    return [str(i["sku"]) for i in items if _matches(str(i.get("name", "")), words)
            and not i.get("already_returned")]


def returns_refunds(request: Request, found: frozenset[str]) -> list[PlannedCall]:
    wants = found & {"return", "exchange", "refund", "defective"}
    if "refund_status" in found and not found & {"return", "exchange", "defective"}:
        oid = order_id(request)
        return [("list_returns", {"order_id": oid} if oid else {})]
    oid = order_id(request)
    if oid and request.said.amounts and "refund" in found and not found & {"return", "exchange", "defective"}:
        return [("issue_refund", {"order_id": oid, "amount": request.said.amounts[0], "reason": return_reason(request)})]
    words = products(request)

    def by_product(orders: list[dict[str, Any]]) -> dict[str, Any] | None:
        hits = [o for o in orders if words and any(_matches(n, words) for n in _names(o.get("items")))]
        delivered = [o for o in orders if o.get("status") == "delivered"]
        found = hits or (delivered if len(delivered) == 1 else [])
        return found[0] if found else None

    if request.said.products and not request.said.order_ids:
        # "a defective phone case" points at its order better than an order named earlier in the
        # conversation (a tracking question about the headphones must not make the case's return
        # a return of the headphones): list the orders and match the product first.
        if orders_listed(request) is None and request.last("list_orders") is None:
            return [("list_orders", {"limit": 10})]
        oid = _order_holding(orders_listed(request) or [], request.said.products) or oid
    oid, calls = (oid, []) if oid else _resolve(request, by_product)
    if calls or not oid:
        return calls
    eligibility = next((o for o in reversed(request.called("check_return_eligibility"))
                        if o.arguments.get("order_id") == oid), None)
    if eligibility is None:
        return [("check_return_eligibility", {"order_id": oid})]
    skus = _matching_skus(eligibility, words) if eligibility.ok else []
    days, window = eligibility.value("days_since_delivery"), eligibility.value("window_days")
    in_window = isinstance(days, int) and isinstance(window, int) and days <= window
    if eligibility.ok and wants and (words and not skus or not eligibility.value("eligible") and in_window):
        # The item the customer named is not returnable now: its return may already exist.
        return [] if request.last("list_returns") else [("list_returns", {"order_id": oid})]
    if not (eligibility.ok and eligibility.value("eligible")) or not wants:
        return []
    arguments: dict[str, Any] = {
        "order_id": oid,
        "reason": return_reason(request),
        "kind": "exchange" if "exchange" in found else "refund",
    }
    if skus:
        arguments["skus"] = skus
    return [("create_return", arguments)]


def search_query(request: Request) -> str:
    """What to search the catalogue for: a named model and product nouns, else the message's content words."""
    if products(request):
        nouns = " ".join(products(request)[:2])
        # A model name the customer typed ("the Vantage 15 laptop") narrows the search to it.
        named = re.findall(r"\b([A-Z][a-zA-Z]+(?: [A-Z0-9][a-zA-Z0-9]*)*)\b", request.latest)
        names = [n for n in named if n.lower() not in _STOP and n.split()[0].lower() not in _STOP and len(n) > 2]
        return f"{names[0]} {nouns}" if names else nouns
    words = [w for w in re.findall(r"[A-Za-z][A-Za-z'-]+", request.latest) if w.lower() not in _STOP and len(w) > 2]
    return " ".join(words[:3])


def _owned(request: Request) -> str | None:
    """The name of a product the customer bought that the message points at ("the headphones")."""
    words = products(request)
    listed = orders_listed(request) or []
    named = [w.lower() for w in re.findall(r"\b[A-Z][a-zA-Z]+(?: \d+)?\b", request.latest) if w.lower() not in _STOP]
    model = device_model(request.latest)
    for order in _newest(listed):
        for item in order.get("items") or []:
            name = str(item.get("name", "")) if isinstance(item, dict) else str(item or "")
            hits = [n for n in named if n.split()[0] not in _DEVICES]
            other_model = model is not None and device_model(name) not in (None, model)  # a case for another phone
            if name and _matches(name, words) and not other_model and (not hits or any(n in name.lower() for n in hits)):
                return re.sub(r"\s*\([^)]*\)$", "", name)
    return None


_DEVICES = frozenset("iphone android ipad samsung galaxy pixel mac macbook windows bluetooth does do can is".split())


def product_info(request: Request, found: frozenset[str]) -> list[PlannedCall]:
    searches = request.called("search_products")
    if products(request) and not searches and request.offers("list_orders") and request.last("list_orders") is None:
        return [("list_orders", {"limit": 10})]  # "the headphones" are the customer's own before the catalogue's
    owned = _owned(request)
    query = owned or search_query(request)
    if not searches:
        return [("search_products", {"query": query, "limit": 5})] if query else []
    if not searches[-1].ok:
        return []
    listed = [p for p in searches[-1].value("products") or [] if isinstance(p, dict)]
    if not listed:
        fallback = (products(request) or query.split() or [""])[0].split()[-1:]
        retry = " ".join(fallback)
        return [("search_products", {"query": retry, "limit": 5})] if retry and retry != query else []
    # The product the message names, by the words of its name; a device model it names ("my iPhone 15") only
    # breaks a tie: "does the AeroSound work with my iPhone 15" asks about the headphones, not the iPhone 15 case.
    text = (owned or request.latest).lower()
    model = set((device_model(text) or "").split())
    message = set(re.findall(r"[a-z0-9]+", text))

    def overlap(p: dict[str, Any]) -> tuple[int, int, int]:
        name = set(re.findall(r"[a-z0-9]+", str(p.get("name", "")).lower())) & message
        return len(name - model), len(name & model), -listed.index(p)

    best = max(listed, key=overlap)
    if best.get("product_id") is None:
        return []
    return [("get_product", {"product_id": best["product_id"]})]


def billing_payment(request: Request, found: frozenset[str]) -> list[PlannedCall]:
    oid = order_id(request)
    charges = request.last("explain_charges")
    about_charges = oid or request.said.amounts or re.search(r"charg|bill|statement|paid|payment", request.latest, re.I)
    if charges is None and not about_charges:
        return []  # a promo code or a gift card: the knowledge base answers it
    if charges is None:
        calls: list[PlannedCall] = [("explain_charges", {"order_id": oid} if oid else {})]
        if re.search(r"payment method|card on file|history|invoices|statement", request.latest, re.IGNORECASE):
            calls.append(("get_billing_history", {"limit": 10}))
        return calls
    duplicates = [d for d in charges.value("duplicates") or [] if isinstance(d, dict) and not d.get("refunded")]
    if duplicates and found & {"duplicate_charge", "refund"} and request.last("issue_refund") is None:
        dup = next((d for d in duplicates if d.get("order_id") == oid), duplicates[0])
        if dup.get("order_id") and dup.get("amount") is not None:
            extra = max(1, len(dup.get("charge_ids") or []) - 1)
            # What is left of the duplicate after any partial refund, when the shop says so.
            left = dup.get("left_to_refund")
            amount = float(left) if isinstance(left, (int, float)) else float(dup["amount"]) * extra
            return [("issue_refund", {"order_id": dup["order_id"], "amount": round(amount, 2), "reason": "duplicate charge"})]
    return []


def technical_support(request: Request, found: frozenset[str]) -> list[PlannedCall]:
    low = request.latest.lower()
    stuck = "login" in found and re.search(r"forgot|can't|cannot|can not|locked|unable|reset", low)
    if "password" in found or (stuck and "crash" not in found):
        kind = "magic_link" if "magic link" in low else "password_reset"
        return [("send_login_link", {"kind": kind})]
    return []


def account_management(request: Request, found: frozenset[str]) -> list[PlannedCall]:
    said = request.said
    if request.last("get_account") is None:
        return [("get_account", {})]
    oid = order_id(request)
    if "change_address" in found and said.address and oid and said.address.country:
        return [("change_shipping_address", {"order_id": oid, **said.address.as_arguments()})]
    changes = (
        ("change_email", "email", said.email),
        ("change_phone", "phone", said.phone),
        ("change_name", "name", said.name),
        ("change_address", "address", said.address.text() if said.address else None),
    )
    for intent, field, value in changes:
        if intent in found and value:
            return [("update_account", {"field": field, "value": value})]
    return []


def is_follow_up(request: Request) -> bool:
    """A new message on a case a person already has (the engine adds it to the case's follow-ups)."""
    follow_ups = (request.escalation or {}).get("follow_ups") or []
    return bool(follow_ups) and follow_ups[-1] == request.latest


def escalation_manager(request: Request, found: frozenset[str]) -> list[PlannedCall]:
    """Facts for the hand-over packet: what the escalating message is about, or only what a new question names."""
    if request.outcomes:
        return []
    if is_follow_up(request):
        found = request.said.intents
        oid = request.said.order_ids[0] if request.said.order_ids else None
    else:
        oid = order_id(request)
    calls: list[PlannedCall] = []
    if oid:
        calls.append(("lookup_order", {"order_id": oid}))
    if found & {"charge", "duplicate_charge"}:
        calls.append(("explain_charges", {"order_id": oid} if oid else {}))
    if found & {"return", "refund", "refund_status", "exchange", "defective"}:
        calls.append(("list_returns", {"order_id": oid} if oid else {}))
    if not calls and found & {"track", "cancel"}:
        calls.append(("list_orders", {"limit": 10}))
    return calls
