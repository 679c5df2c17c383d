"""Northwind's hard policy rules, checked before a write runs; no one can waive them."""

from __future__ import annotations

import re

from pydantic import BaseModel

from support_tui.core.shop import RuleVerdict
from support_tui.shops.northwind import args as a
from support_tui.shops.northwind.context import ToolContext, ToolError, usd
from support_tui.shops.northwind.queries import duplicate_on, get_order, money_on, return_facts, window_problem

RULES: dict[str, str] = {
    "return_window": "Returns only for delivered orders, within the return window after delivery.",
    "cancel_before_shipping": "An order can be cancelled only while it is pending or processing.",
    "address_before_shipping": "A shipping address can be changed only before the order ships.",
    "refund_cap": "A refund never exceeds what was paid minus what was already refunded.",
}
"""The shop's rules by name, with the one line the console shows."""

DUPLICATE = re.compile(r"duplicate|charged twice|double", re.IGNORECASE)
"""A refund's reason that says it refunds a duplicate charge: it is capped by what of the duplicate is left."""

OPEN_STATUSES = ("pending", "processing")
"""Order statuses in which an order can still be cancelled or re-addressed."""


async def check(args: BaseModel, ctx: ToolContext) -> RuleVerdict | None:
    """Scoping (raises the not-found error) then the rules no one can waive."""
    if isinstance(args, a.CreateReturn):
        order = await get_order(ctx, args.order_id)
        facts = await return_facts(ctx, order, args.skus)
        problem = window_problem(order, facts)
        if problem:
            return RuleVerdict("blocked", "return_window", problem)
        if facts["already_returned"] or not facts["items"]:
            raise ToolError(f"{order['id']}: these items already have a return; see list_returns.")
        if args.kind == "refund" and facts["refundable_amount"] <= 0:
            return RuleVerdict("blocked", "refund_cap", f"{order['id']} has already been refunded in full.")
    elif isinstance(args, a.IssueRefund):
        await get_order(ctx, args.order_id)
        paid, refunded = await money_on(ctx, args.order_id)
        left = round(paid - refunded, 2)
        if args.amount > left + 0.005:
            return RuleVerdict("blocked", "refund_cap", f"At most {usd(max(left, 0))} can be refunded on {args.order_id}"
                               f" ({usd(paid)} paid, {usd(refunded)} already refunded).")
        if DUPLICATE.search(args.reason or ""):
            dup = await duplicate_on(ctx, args.order_id)
            if dup is not None and args.amount > dup["left_to_refund"] + 0.005:
                return RuleVerdict("blocked", "refund_cap", (
                    f"The duplicate charge on {args.order_id} was {usd(dup['duplicate_amount'])} and"
                    f" {usd(dup['refunded_amount'])} of it is already refunded, so at most {usd(dup['left_to_refund'])}"
                    " is left to refund for it."))
    elif isinstance(args, (a.CancelOrder, a.ChangeShippingAddress)):
        order = await get_order(ctx, args.order_id)
        if order["status"] not in OPEN_STATUSES:
            rule = "cancel_before_shipping" if isinstance(args, a.CancelOrder) else "address_before_shipping"
            action = "cancelled" if rule == "cancel_before_shipping" else "re-addressed"
            return RuleVerdict("blocked", rule, f"{order['id']} is {order['status']}, so it can no longer be {action}; "
                               + RULES[rule])
    return None
