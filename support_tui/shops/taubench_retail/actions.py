"""What each retail write does to an order and its user, with tau-bench's checks and error texts.

Each function changes the records it is given in place or raises ShopError before changing anything;
the store decides whether the change is kept. Key order, float arithmetic and rounding follow the
benchmark exactly, so the JSON the tools return and the records they leave are byte-identical.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from support_tui.core.shop import ShopError
from support_tui.shops.taubench_retail.data import Record
from support_tui.shops.taubench_retail.tools import Cancel, ItemSwap, OrderAddress, Payment, Return, UserAddress

CANCEL_REASONS = ("no longer needed", "ordered by mistake")


def new_address(args: OrderAddress | UserAddress) -> dict[str, str]:
    """The address record a modify tool writes (its key order is the benchmark's, not the data files')."""
    return {"address1": args.address1, "address2": args.address2, "city": args.city,
            "state": args.state, "country": args.country, "zip": args.zip}


def _methods(user: Record) -> dict[str, Record]:
    methods: dict[str, Record] = user["payment_methods"]
    return methods


def _method(user: Record, payment_method_id: str) -> Record:
    if payment_method_id not in _methods(user):
        raise ShopError("Error: payment method not found")
    return _methods(user)[payment_method_id]


def _require_status(order: Record, status: str, message: str) -> None:
    if order["status"] != status:
        raise ShopError(message)


def _check_items_in_order(order: Record, item_ids: list[str], message: str | None) -> None:
    present = [item["item_id"] for item in order["items"]]
    for item_id in item_ids:
        if item_ids.count(item_id) > present.count(item_id):
            raise ShopError(message or f"Error: {item_id} not found")


def _first_item(order: Record, item_id: str) -> Record:
    return next(item for item in order["items"] if item["item_id"] == item_id)


def price_difference(order: Record, products: Mapping[str, Record], args: ItemSwap) -> float:
    """New prices minus old ones, summed in the benchmark's order (not rounded); checks items and variants."""
    _check_items_in_order(order, args.item_ids, None)
    if len(args.item_ids) != len(args.new_item_ids):
        raise ShopError("Error: the number of items to be exchanged should match")
    diff: float = 0
    for item_id, new_item_id in zip(args.item_ids, args.new_item_ids):
        item = _first_item(order, item_id)
        variants = products.get(item["product_id"], {}).get("variants", {})
        if not (new_item_id in variants and variants[new_item_id]["available"]):
            raise ShopError(f"Error: new item {new_item_id} not found or available")
        diff += variants[new_item_id]["price"] - item["price"]
    return diff


def cancel_pending_order(order: Record, user: Record, products: Mapping[str, Record], args: Cancel) -> None:
    _require_status(order, "pending", "Error: non-pending order cannot be cancelled")
    if args.reason not in CANCEL_REASONS:
        raise ShopError("Error: invalid reason")
    refunds = []
    for payment in order["payment_history"]:
        method_id = payment["payment_method_id"]
        refunds.append({"transaction_type": "refund", "amount": payment["amount"], "payment_method_id": method_id})
        if "gift_card" in method_id:  # a gift card gets its money back at once
            card = _methods(user)[method_id]
            card["balance"] = round(card["balance"] + payment["amount"], 2)
    order["status"] = "cancelled"
    order["cancel_reason"] = args.reason
    order["payment_history"].extend(refunds)


def modify_pending_order_address(order: Record, user: Record, products: Mapping[str, Record], args: OrderAddress) -> None:
    _require_status(order, "pending", "Error: non-pending order cannot be modified")
    order["address"] = new_address(args)


def modify_pending_order_payment(order: Record, user: Record, products: Mapping[str, Record], args: Payment) -> None:
    _require_status(order, "pending", "Error: non-pending order cannot be modified")
    method = _method(user, args.payment_method_id)
    history = order["payment_history"]
    if len(history) > 1 or history[0]["transaction_type"] != "payment":
        raise ShopError("Error: there should be exactly one payment for a pending order")
    old_id = history[0]["payment_method_id"]
    if old_id == args.payment_method_id:
        raise ShopError("Error: the new payment method should be different from the current one")
    amount = history[0]["amount"]
    if method["source"] == "gift_card" and method["balance"] < amount:
        raise ShopError("Error: insufficient gift card balance to pay for the order")
    history.extend([
        {"transaction_type": "payment", "amount": amount, "payment_method_id": args.payment_method_id},
        {"transaction_type": "refund", "amount": amount, "payment_method_id": old_id},
    ])
    if method["source"] == "gift_card":
        method["balance"] = round(method["balance"] - amount, 2)
    if "gift_card" in old_id:
        old = _methods(user)[old_id]
        old["balance"] = round(old["balance"] + amount, 2)


def modify_pending_order_items(order: Record, user: Record, products: Mapping[str, Record], args: ItemSwap) -> None:
    _require_status(order, "pending", "Error: non-pending order cannot be modified")
    diff = price_difference(order, products, args)
    method = _method(user, args.payment_method_id)
    if method["source"] == "gift_card" and method["balance"] < diff:
        raise ShopError("Error: insufficient gift card balance to pay for the new item")
    order["payment_history"].append({
        "transaction_type": "payment" if diff > 0 else "refund",
        "amount": abs(diff),
        "payment_method_id": args.payment_method_id,
    })
    if method["source"] == "gift_card":
        method["balance"] = round(method["balance"] - diff, 2)
    for item_id, new_item_id in zip(args.item_ids, args.new_item_ids):
        item = _first_item(order, item_id)
        variant = products[item["product_id"]]["variants"][new_item_id]
        item["item_id"] = new_item_id
        item["price"] = variant["price"]
        item["options"] = variant["options"]
    order["status"] = "pending (item modified)"


def return_delivered_order_items(order: Record, user: Record, products: Mapping[str, Record], args: Return) -> None:
    _require_status(order, "delivered", "Error: non-delivered order cannot be returned")
    _method(user, args.payment_method_id)
    if "gift_card" not in args.payment_method_id and args.payment_method_id != order["payment_history"][0]["payment_method_id"]:
        raise ShopError("Error: payment method should be either the original payment method or a gift card")
    _check_items_in_order(order, args.item_ids, "Error: some item not found")
    order["status"] = "return requested"
    order["return_items"] = sorted(args.item_ids)
    order["return_payment_method_id"] = args.payment_method_id


def exchange_delivered_order_items(order: Record, user: Record, products: Mapping[str, Record], args: ItemSwap) -> None:
    _require_status(order, "delivered", "Error: non-delivered order cannot be exchanged")
    diff = round(price_difference(order, products, args), 2)
    method = _method(user, args.payment_method_id)
    if method["source"] == "gift_card" and method["balance"] < diff:
        raise ShopError("Error: insufficient gift card balance to pay for the price difference")
    order["status"] = "exchange requested"
    order["exchange_items"] = sorted(args.item_ids)
    order["exchange_new_items"] = sorted(args.new_item_ids)
    order["exchange_payment_method_id"] = args.payment_method_id
    order["exchange_price_difference"] = diff


def modify_user_address(user: Record, args: UserAddress) -> None:
    user["address"] = new_address(args)


ORDER_WRITES: dict[str, Callable[[Record, Record, Mapping[str, Record], Any], None]] = {
    "cancel_pending_order": cancel_pending_order,
    "modify_pending_order_address": modify_pending_order_address,
    "modify_pending_order_payment": modify_pending_order_payment,
    "modify_pending_order_items": modify_pending_order_items,
    "return_delivered_order_items": return_delivered_order_items,
    "exchange_delivered_order_items": exchange_delivered_order_items,
}
"""The writes aimed at one order, by tool name."""

NEEDS_PRODUCTS = frozenset({"modify_pending_order_items", "exchange_delivered_order_items"})
