"""The customer's orders as choices: those a requested action is possible for, and plainly why the others are not."""

from __future__ import annotations

from typing import Any

from support_tui.core.shop.offline import Act, Request, SeenCall
from support_tui.core.shop.saying import items, join, parse_day

from .facts import list_orders, order_line
from .flows import holding

RETURN_WINDOW_DAYS = 30

_POSSIBLE = {
    "cancel": (("pending", "processing"), "has already shipped, so it can no longer be cancelled",
               "was delivered, so it can't be cancelled; it can be returned instead", "cancel"),
    "change_address": (("pending", "processing"), "has already shipped, so its delivery address can no longer be changed",
                       "was already delivered, so its address can no longer be changed", "change the address of"),
    "return": (("delivered",), "hasn't been delivered yet, so it can't be returned until it arrives",
               "hasn't been delivered yet, so it can't be returned until it arrives", "return"),
    "exchange": (("delivered",), "hasn't been delivered yet, so nothing in it can be exchanged until it arrives",
                 "hasn't been delivered yet, so nothing in it can be exchanged until it arrives", "exchange an item from"),
}


def choices(request: Request, o: SeenCall, wanted: frozenset[str]) -> list[Act]:
    """Orders the requested action is possible for, and plainly why the others are not; for "what have I
    ordered", every order and where it stands, with no question after it."""
    if "order_history" in wanted:
        return [Act("answer", line) for line in list_orders(o, request)]
    orders = [x for x in o.value("orders") or [] if isinstance(x, dict) and x.get("status") != "cancelled"]
    if not orders:
        return [Act("answer", "I couldn't find any open orders on your account.")]
    acts: list[Act] = []
    named = request.said.products
    if named:
        # The message names what it is about: only the orders holding it are choices; none holding it is said.
        holding_named = holding(orders, named)
        if holding_named:
            orders = holding_named
        else:
            acts.append(Act("answer", f"I couldn't find {_a(named[0])} in your recent orders."))
    missing = bool(acts)
    # A refund for an item comes with its return: the same orders can have one.
    action = next((k for k in ("cancel", "change_address", "return", "refund", "exchange") if k in wanted), None)
    if action is None:
        shown = [Act("answer", order_line(x, request)) for x in orders[:5]]
        return acts + shown + ([Act("propose", "Which of these is it about?")] if len(orders) > 1 else [])
    ok_statuses, shipped_why, delivered_why, verb = _POSSIBLE["return" if action == "refund" else action]
    purpose = " for a refund" if action == "refund" else ""
    possible = [x for x in orders if x.get("status") in ok_statuses]
    returning = action in ("return", "refund", "exchange")
    if returning:
        possible = [x for x in possible if (_days_since(x, request) or 0) <= RETURN_WINDOW_DAYS]
    others = [x for x in orders if x not in possible]
    for x in others[:2]:
        why = shipped_why if x.get("status") == "shipped" or returning and x.get("status") != "delivered" else delivered_why
        if returning and x.get("status") == "delivered":
            why = f"was delivered more than {RETURN_WINDOW_DAYS} days ago, so it is outside our return window"
            if action == "exchange":
                why = why.replace("return window", "window for exchanges")
        acts.append(Act("answer", f"Order {x.get('order_id')} ({_items(x)}) {why}."))
    if len(others) > 2:
        rest = len(others) - 2
        acts.append(Act("answer", "Your other order can't be either, for the same kind of reason." if rest == 1
                        else f"Your {rest} other orders can't be either, for the same kind of reason."))
    if not possible:
        return acts
    listed = join([f"{x.get('order_id')} ({_items(x)})" for x in possible], "or")
    if missing and len(possible) == 1:  # no offer to act on an order that may not be the one meant
        return acts + [Act("propose", f"Is it in order {listed}?")]
    question = f"Would you like me to {verb} order {listed}{purpose}?" if len(possible) == 1 \
        else f"Which order would you like to {verb.split(' of')[0]}{purpose}: {listed}?"
    return acts + [Act("propose", question)]


def _a(noun: str) -> str:
    """The noun as a sentence names one of it: "a jacket", "an adapter", "boots"."""
    if noun.endswith("s") and not noun.endswith("ss"):
        return noun
    return f"{'an' if noun[:1] in 'aeiou' else 'a'} {noun}"


def _items(order: dict[str, Any]) -> str:
    return items(order.get("items")) or "no items listed"


def _days_since(order: dict[str, Any], request: Request) -> int | None:
    when = parse_day(order.get("delivered_at"))
    return (request.today - when).days if when else None
