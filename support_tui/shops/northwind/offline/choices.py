"""The customer's orders as choices: those a requested action is possible for, and plainly why the others are not."""

from __future__ import annotations

from typing import Any

from support_tui.core.shop.offline import Act, Request, SeenCall
from support_tui.core.shop.saying import items, join, parse_day

from .facts import order_state

RETURN_WINDOW_DAYS = 30

_POSSIBLE = {
    "cancel": (("pending", "processing"), "has already shipped, so it can no longer be cancelled",
               "was delivered, so it can't be cancelled; it can be returned instead", "cancel"),
    "change_address": (("pending", "processing"), "has already shipped, so its delivery address can no longer be changed",
                       "was already delivered, so its address can no longer be changed", "change the address of"),
    "return": (("delivered",), "hasn't been delivered yet, so it can't be returned until it arrives",
               "hasn't been delivered yet, so it can't be returned until it arrives", "return"),
}


def choices(request: Request, o: SeenCall, wanted: frozenset[str]) -> list[Act]:
    """Orders the requested action is possible for, and plainly why the others are not."""
    orders = [x for x in o.value("orders") or [] if isinstance(x, dict) and x.get("status") != "cancelled"]
    if not orders:
        return [Act("answer", "I couldn't find any open orders on your account.")]
    action = next((k for k in ("cancel", "change_address", "return") if k in wanted), None)
    if action is None:
        shown = [Act("answer", f"Your order {x.get('order_id')} ({_items(x)}) {order_state(x, request)}.") for x in orders[:5]]
        return shown + ([Act("propose", "Which of these is it about?")] if len(orders) > 1 else [])
    ok_statuses, shipped_why, delivered_why, verb = _POSSIBLE[action]
    possible = [x for x in orders if x.get("status") in ok_statuses]
    if action == "return":
        possible = [x for x in possible if (_days_since(x, request) or 0) <= RETURN_WINDOW_DAYS]
    acts: list[Act] = []
    others = [x for x in orders if x not in possible]
    for x in others[:2]:
        why = shipped_why if x.get("status") == "shipped" or action == "return" and x.get("status") != "delivered" else delivered_why
        if action == "return" and x.get("status") == "delivered":
            why = f"was delivered more than {RETURN_WINDOW_DAYS} days ago, so it is outside our return window"
        acts.append(Act("answer", f"Order {x.get('order_id')} ({_items(x)}) {why}."))
    if len(others) > 2:
        rest = len(others) - 2
        acts.append(Act("answer", "Your other order can't be either, for the same kind of reason." if rest == 1
                        else f"Your {rest} other orders can't be either, for the same kind of reason."))
    if not possible:
        return acts
    listed = join([f"{x.get('order_id')} ({_items(x)})" for x in possible], "or")
    question = f"Would you like me to {verb} order {listed}?" if len(possible) == 1 else f"Which order would you like to {verb.split(' of')[0]}: {listed}?"
    return acts + [Act("propose", question)]


def _items(order: dict[str, Any]) -> str:
    return items(order.get("items")) or "no items listed"


def _days_since(order: dict[str, Any], request: Request) -> int | None:
    when = parse_day(order.get("delivered_at"))
    return (request.today - when).days if when else None
