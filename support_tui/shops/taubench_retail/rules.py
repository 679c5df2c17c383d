"""The retail policy (policy.md) as named rules a call is checked against before it runs.

A rule stops only what the policy forbids and code can see. Checks that tau-bench's own tools make
and that the benchmark's gold actions expect to fail with the tool's text (a gift card short of
the amount) stay tool errors, so a replay shows the benchmark's error, not a block.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from support_tui.core.shop import CallContext, RuleVerdict
from support_tui.shops.taubench_retail.data import Record
from support_tui.shops.taubench_retail.operations import find_user
from support_tui.shops.taubench_retail.store import RetailStore
from support_tui.shops.taubench_retail.tools import LOOKUPS, USER_SCOPED
from support_tui.shops.taubench_retail.words import status_words

RULES = {
    "identify_user_first": "Find the user by email, or by name and zip code, before reading or changing their profile or orders.",
    "one_user_per_conversation": "One user per conversation: no look-ups, reads or changes for any other user.",
    "confirm_before_write": "Cancel, modify, return and exchange only after listing the details and getting an explicit yes.",
    "pending_only": "Only a pending order can be cancelled or have its address, payment or items changed (once).",
    "delivered_only": "Only a delivered order can be returned or exchanged (once).",
    "different_payment_method": "A pending order's payment can move only to one other method of the user's.",
    "refund_to_original_or_gift_card": "A return is refunded to the original payment method or to a gift card.",
    "same_product_new_items": "Items change only to an available variant of the same product.",
}
"""Every rule with the line the console shows. ``confirm_before_write`` is the engine's proposal and yes."""

PENDING_ONLY = frozenset({"cancel_pending_order", "modify_pending_order_address", "modify_pending_order_payment",
                          "modify_pending_order_items"})
DELIVERED_ONLY = frozenset({"return_delivered_order_items", "exchange_delivered_order_items"})
ITEM_SWAPS = frozenset({"modify_pending_order_items", "exchange_delivered_order_items"})


def _blocked(rule: str, message: str) -> RuleVerdict:
    return RuleVerdict(status="blocked", rule=rule, message=f"Policy ({rule}): {message}")


async def identified_user(store: RetailStore, ctx: CallContext, require_lookup: bool) -> str | None:
    """Who the conversation is about: the user a look-up found, else the console's chosen customer."""
    found = await store.identified(ctx.conversation_id)
    if found:
        return found
    if not require_lookup and ctx.customer_id in store.data.texts["users"]:
        return ctx.customer_id
    return None


async def check_call(store: RetailStore, tool: str, args: BaseModel, ctx: CallContext, require_lookup: bool) -> RuleVerdict | None:
    """The first rule this call breaks, or None."""
    a: Any = args
    current = await identified_user(store, ctx, require_lookup)
    if tool in LOOKUPS:
        if current is not None:
            found = await find_user(store, tool, a)
            if found is not None and found != current:
                return _blocked("one_user_per_conversation", f"this conversation is with {current}; the look-up is for another user.")
        return None
    if tool not in USER_SCOPED:
        return None
    if current is None:
        return _blocked("identify_user_first", "find the user with find_user_id_by_email or find_user_id_by_name_zip first.")
    if tool in ("get_user_details", "modify_user_address"):
        if a.user_id != current and a.user_id in store.data.texts["users"]:
            return _blocked("one_user_per_conversation", f"this conversation is with {current}, not {a.user_id}.")
        return None
    order = await store.get("orders", a.order_id)
    if order is None:
        return None  # the tool says the order is not found
    if order["user_id"] != current:
        return _blocked("one_user_per_conversation", f"order {a.order_id} belongs to another user, not {current}.")
    if tool == "get_order_details":
        return None
    return await _order_rules(store, tool, a, order)


async def _order_rules(store: RetailStore, tool: str, a: Any, order: Record) -> RuleVerdict | None:
    status = order["status"]
    if tool in PENDING_ONLY and status != "pending":
        return _blocked("pending_only", f"order {a.order_id} is {status_words(status)} ('{status}'); only a pending order can be changed or cancelled.")
    if tool in DELIVERED_ONLY and status != "delivered":
        return _blocked("delivered_only", f"order {a.order_id} is {status_words(status)} ('{status}'); only a delivered order can be returned or exchanged.")
    user = await store.get("users", order["user_id"]) or {}
    methods = user.get("payment_methods", {})
    history = order["payment_history"]
    if tool == "modify_pending_order_payment" and a.payment_method_id in methods:
        single = len(history) == 1 and history[0]["transaction_type"] == "payment"
        if single and history[0]["payment_method_id"] == a.payment_method_id:
            return _blocked("different_payment_method", f"the order is already paid with {a.payment_method_id}.")
    if tool == "return_delivered_order_items" and a.payment_method_id in methods:
        if "gift_card" not in a.payment_method_id and a.payment_method_id != history[0]["payment_method_id"]:
            return _blocked("refund_to_original_or_gift_card",
                            f"refund to {history[0]['payment_method_id']} (the original method) or a gift card.")
    if tool in ITEM_SWAPS:
        return await _swap_rule(store, a, order)
    return None


async def _swap_rule(store: RetailStore, a: Any, order: Record) -> RuleVerdict | None:
    present = [item["item_id"] for item in order["items"]]
    if len(a.item_ids) != len(a.new_item_ids) or any(a.item_ids.count(i) > present.count(i) for i in a.item_ids):
        return None  # the tool names the missing item or the count mismatch
    for item_id, new_item_id in zip(a.item_ids, a.new_item_ids):
        item = next(it for it in order["items"] if it["item_id"] == item_id)
        product = await store.get("products", item["product_id"]) or {}
        variant = product.get("variants", {}).get(new_item_id)
        if variant is None or not variant.get("available"):
            what = "is not available" if variant is not None else f"is not a variant of {item['name']}"
            return _blocked("same_product_new_items", f"item {new_item_id} {what}; pick an available {item['name']} variant.")
    return None
