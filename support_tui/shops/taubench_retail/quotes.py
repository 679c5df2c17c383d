"""Quotes for the retail writes: what a call will change, worked out by doing it on a copy of the records."""

from __future__ import annotations

import copy
from typing import Any

from pydantic import BaseModel

from support_tui.core.shop import Quote, QuoteLine, ShopError
from support_tui.shops.taubench_retail import actions
from support_tui.shops.taubench_retail.data import Record
from support_tui.shops.taubench_retail.operations import load_order_case
from support_tui.shops.taubench_retail.store import RetailStore
from support_tui.shops.taubench_retail.words import (
    address_words, item_words, method_words, money, options_words, refund_timing,
)

ONCE = " This can be done only once for the order: are these all the items?"


async def quote_call(store: RetailStore, tool: str, args: BaseModel) -> Quote:
    """The quote for one consequential call; ShopError (tau-bench's text) when the call would fail."""
    a: Any = args
    if tool == "modify_user_address":
        user = await store.get("users", a.user_id)
        if user is None:
            raise ShopError("Error: user not found")
        new = address_words(actions.new_address(a))
        return Quote(action="change the default address", summary=f"Make {new} your default address "
                     f"(instead of {address_words(user['address'])}).",
                     details={"new address": new, "old address": address_words(user["address"])})
    if tool not in actions.ORDER_WRITES:
        raise ShopError(f"Error: {tool} is not a write that needs a quote")
    order, user, products = await load_order_case(store, a.order_id, tool)
    after_order, after_user = copy.deepcopy(order), copy.deepcopy(user)
    actions.ORDER_WRITES[tool](after_order, after_user, products, a)  # raises what the real call would raise
    return _QUOTERS[tool](a, order, user, after_order, products)


def _cancel(a: Any, order: Record, user: Record, after: Record, products: dict[str, Record]) -> Quote:
    refunds = after["payment_history"][len(order["payment_history"]):]
    amount = round(sum(r["amount"] for r in refunds), 2)
    back = "; ".join(f"{money(r['amount'])} to the {method_words(user, r['payment_method_id'])} "
                     f"{refund_timing(r['payment_method_id'])}" for r in refunds)
    items = ", ".join(item_words(i) for i in order["items"])
    return Quote(action="cancel the order", order_id=a.order_id, amount=amount,
                 lines=[QuoteLine(name=item_words(i), amount=i["price"]) for i in order["items"]],
                 summary=f"Cancel order {a.order_id} ({items}) because it was {a.reason}; refund {back}.",
                 details={"reason": a.reason, "refund": back})


def _address(a: Any, order: Record, user: Record, after: Record, products: dict[str, Record]) -> Quote:
    new, old = address_words(after["address"]), address_words(order["address"])
    return Quote(action="change the shipping address", order_id=a.order_id,
                 summary=f"Ship order {a.order_id} to {new} instead of {old}.",
                 details={"new address": new, "old address": old})


def _payment(a: Any, order: Record, user: Record, after: Record, products: dict[str, Record]) -> Quote:
    first = order["payment_history"][0]
    amount, old_id = first["amount"], first["payment_method_id"]
    new_words, old_words = method_words(user, a.payment_method_id), method_words(user, old_id)
    return Quote(action="change the payment method", order_id=a.order_id, amount=amount,
                 summary=f"Pay order {a.order_id} ({money(amount)}) with the {new_words} instead of the {old_words}; "
                 f"the {old_words} gets {money(amount)} back {refund_timing(old_id)}.",
                 details={"new payment method": new_words, "refund to": f"{old_words}, {refund_timing(old_id)}"})


def _swap_lines(a: Any, order: Record, products: dict[str, Record]) -> tuple[list[QuoteLine], str]:
    lines = []
    for item_id, new_item_id in zip(a.item_ids, a.new_item_ids):
        old = next(i for i in order["items"] if i["item_id"] == item_id)
        new = products[old["product_id"]]["variants"][new_item_id]
        change = "stays as it is" if new_item_id == item_id else f"to {options_words(new['options'])}"
        lines.append(QuoteLine(name=f"{item_words(old)} {change}", amount=round(new["price"] - old["price"], 2)))
    return lines, "; ".join(line.name for line in lines)


def _difference(diff: float, user: Record, method_id: str) -> tuple[float | None, str]:
    method = method_words(user, method_id)
    if diff > 0:
        return round(diff, 2), f"the {money(diff)} difference is charged to the {method}"
    if diff < 0:
        return round(-diff, 2), f"the {money(-diff)} difference is refunded to the {method}"
    return None, "there is no price difference to pay or refund"


def _items(a: Any, order: Record, user: Record, after: Record, products: dict[str, Record]) -> Quote:
    lines, changes = _swap_lines(a, order, products)
    diff = after["payment_history"][-1]["amount"] * (1 if after["payment_history"][-1]["transaction_type"] == "payment" else -1)
    amount, words = _difference(diff, user, a.payment_method_id)
    return Quote(action="change items", order_id=a.order_id, amount=amount, lines=lines,
                 summary=f"Change order {a.order_id}: {changes}; {words}.{ONCE}",
                 details={"difference": words, "payment method": method_words(user, a.payment_method_id)})


def _return(a: Any, order: Record, user: Record, after: Record, products: dict[str, Record]) -> Quote:
    prices = {i["item_id"]: i for i in order["items"]}
    lines = [QuoteLine(name=item_words(prices[i]), amount=prices[i]["price"]) for i in a.item_ids]
    amount = round(sum(line.amount or 0 for line in lines), 2)
    to = method_words(user, a.payment_method_id)
    names = ", ".join(line.name for line in lines)
    return Quote(action="return for a refund", order_id=a.order_id, amount=amount, lines=lines,
                 summary=f"Return {names} from order {a.order_id}; {money(amount)} is refunded to the {to}, and an "
                 "email explains how to send the items back.",
                 details={"refund to": to})


def _exchange(a: Any, order: Record, user: Record, after: Record, products: dict[str, Record]) -> Quote:
    lines, changes = _swap_lines(a, order, products)
    amount, words = _difference(after["exchange_price_difference"], user, a.payment_method_id)
    return Quote(action="exchange items", order_id=a.order_id, amount=amount, lines=lines,
                 summary=f"Exchange from order {a.order_id}: {changes}; {words}. An email explains how to send the "
                 f"old items back; no new order is needed.{ONCE}",
                 details={"difference": words, "payment method": method_words(user, a.payment_method_id)})


_QUOTERS = {
    "cancel_pending_order": _cancel,
    "modify_pending_order_address": _address,
    "modify_pending_order_payment": _payment,
    "modify_pending_order_items": _items,
    "return_delivered_order_items": _return,
    "exchange_delivered_order_items": _exchange,
}
