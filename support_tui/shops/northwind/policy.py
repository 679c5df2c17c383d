"""Named store policies checked before a write runs: hard rules, customer confirmation, human approval."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from support_tui.shops.northwind import args as a
from support_tui.shops.northwind.context import ToolContext, ToolError, usd
from support_tui.shops.northwind.queries import get_order, money_on, return_facts, window_problem

RULES: dict[str, str] = {
    "return_window": "Returns only for delivered orders, within the return window after delivery.",
    "cancel_before_shipping": "An order can be cancelled only while it is pending or processing.",
    "address_before_shipping": "A shipping address can be changed only before the order ships.",
    "refund_cap": "A refund never exceeds what was paid minus what was already refunded.",
    "customer_confirmation": "Refunds, returns, cancellations and account changes need the customer's explicit yes.",
    "human_approval": "Refunds or returns above the approval threshold, or on an escalated case, need a person's approval.",
}
"""Every policy rule by name, with the one line the console shows."""

CONSEQUENTIAL = frozenset({"create_return", "issue_refund", "cancel_order", "change_shipping_address", "update_account"})
"""Writes that run only after the customer confirmed them."""

MONEY_MOVING = frozenset({"create_return", "issue_refund"})

_NEGATIVE = re.compile(r"\b(no|nope|nah|not|don'?t|do not|never|stop|wait|hold on|cancel that|changed my mind)\b")
_AFFIRMATIVE = re.compile(
    r"^(?:\w+\W+){0,3}?(yes|yeah|yep|yup|ya|sure|ok|okay|k|confirm|confirmed|correct|absolutely|definitely|"
    r"go ahead|please do|do it|proceed|sounds good|that'?s fine|that works|fine|alright|all right|affirmative|"
    r"please go ahead|y)\b"
)


def is_affirmative(text: str) -> bool:
    """A short explicit yes ("yes please", "go ahead", "ok do it"); any "no"/"don't" makes it not one."""
    text = re.sub(r"\s+", " ", text.lower().replace("\u2019", "'")).strip()
    if not text or _NEGATIVE.search(text):
        return False
    return _AFFIRMATIVE.search(text) is not None


@dataclass(frozen=True)
class Verdict:
    """A policy's answer when it stops a call."""

    status: Literal["blocked", "pending_approval"]
    rule: str
    message: str


def _key(name: str, arguments: dict[str, Any]) -> str:
    """What a confirmation is about: the order, or the account field."""
    if name == "update_account":
        return f"field:{arguments.get('field')}"
    return f"order:{a.normalise_order_id(arguments.get('order_id'))}"


def _matches(entry: Any, name: str, args: BaseModel) -> bool:
    if not isinstance(entry, dict) or entry.get("name") != name or not isinstance(entry.get("arguments"), dict):
        return False
    proposed = entry["arguments"]
    if _key(name, proposed) != _key(name, args.model_dump()):
        return False
    # A customer who agreed to a refund of $20 has not agreed to one of $200.
    if isinstance(args, a.IssueRefund):
        try:
            return args.amount <= float(proposed.get("amount")) + 0.005
        except (TypeError, ValueError):
            return False
    return True


async def hard_rules(name: str, args: BaseModel, ctx: ToolContext) -> Verdict | None:
    """Scoping (raises the not-found error) then the rules no one can waive."""
    if isinstance(args, a.CreateReturn):
        order = await get_order(ctx, args.order_id)
        facts = await return_facts(ctx, order, args.skus)
        problem = window_problem(order, facts)
        if problem:
            return Verdict("blocked", "return_window", problem)
        if facts["already_returned"] or not facts["items"]:
            raise ToolError(f"{order['id']}: these items already have a return; see list_returns.")
        if args.kind == "refund" and facts["refundable_amount"] <= 0:
            return Verdict("blocked", "refund_cap", f"{order['id']} has already been refunded in full.")
    elif isinstance(args, a.IssueRefund):
        await get_order(ctx, args.order_id)
        paid, refunded = await money_on(ctx, args.order_id)
        left = round(paid - refunded, 2)
        if args.amount > left + 0.005:
            return Verdict("blocked", "refund_cap", f"At most {usd(max(left, 0))} can be refunded on {args.order_id}"
                           f" ({usd(paid)} paid, {usd(refunded)} already refunded).")
    elif isinstance(args, (a.CancelOrder, a.ChangeShippingAddress)):
        order = await get_order(ctx, args.order_id)
        if order["status"] not in ("pending", "processing"):
            rule = "cancel_before_shipping" if isinstance(args, a.CancelOrder) else "address_before_shipping"
            action = "cancelled" if rule == "cancel_before_shipping" else "re-addressed"
            return Verdict("blocked", rule, f"{order['id']} is {order['status']}, so it can no longer be {action}; "
                           + RULES[rule])
    return None


def confirmation(name: str, args: BaseModel, ctx: ToolContext, *, approved: bool) -> Verdict | None:
    """Allow the call only if it was proposed to the customer and the customer said yes."""
    if name not in CONSEQUENTIAL:
        return None
    if approved and any(_matches(e, name, args) for e in ctx.state.get("confirmed", [])):
        return None
    proposal = ctx.state.get("proposal")
    # The yes must come in a later turn than the proposal (when the engine says which turn it is).
    later = ctx.turn_id is None or not isinstance(proposal, dict) or proposal.get("turn_id") != ctx.turn_id
    if _matches(proposal, name, args) and later and is_affirmative(ctx.last_customer_message):
        return None
    ctx.state["proposal"] = {"name": name, "arguments": args.model_dump(mode="json", exclude_none=True)}
    if ctx.turn_id is not None:
        ctx.state["proposal"]["turn_id"] = ctx.turn_id
    return Verdict("blocked", "customer_confirmation",
                   "Not done yet: describe exactly what you will do (the order, the items and any amount) and ask the "
                   "customer to confirm. Call the tool again after they say yes.")


async def human_approval(name: str, args: BaseModel, ctx: ToolContext, *, approved: bool) -> Verdict | None:
    """Large or escalated refunds and returns wait for a person."""
    if name not in MONEY_MOVING or approved:
        return None
    if isinstance(args, a.IssueRefund):
        amount, what = args.amount, f"A refund of {usd(args.amount)} on {args.order_id}"
    else:
        order = await get_order(ctx, args.order_id)
        amount = (await return_facts(ctx, order, args.skus))["value"]
        what = f"A return worth {usd(amount)} on {args.order_id}"
    limit = ctx.settings.approval_threshold
    if ctx.escalated:
        why = "this case is escalated"
    elif amount > limit + 0.005:
        why = f"it is over the {usd(limit)} limit"
    else:
        return None
    confirmed = [e for e in ctx.state.get("confirmed", []) if not _matches(e, name, args)][-9:]
    ctx.state["confirmed"] = confirmed + [{"name": name, "arguments": args.model_dump(mode="json", exclude_none=True)}]
    return Verdict("pending_approval", "human_approval",
                   f"{what} needs a person's approval because {why}. Tell the customer it is waiting for approval by"
                   " a colleague; do not promise the outcome.")


async def evaluate(name: str, args: BaseModel, ctx: ToolContext, *, approved: bool = False) -> Verdict | None:
    """The checks in order: scoping and hard rules, then confirmation, then human approval."""
    return (
        await hard_rules(name, args, ctx)
        or confirmation(name, args, ctx, approved=approved)
        or await human_approval(name, args, ctx, approved=approved)
    )


def settle(name: str, args: BaseModel, ctx: ToolContext) -> None:
    """After a confirmed write ran: forget its proposal and its confirmation."""
    if _matches(ctx.state.get("proposal"), name, args):
        ctx.state.pop("proposal", None)
    if "confirmed" in ctx.state:
        ctx.state["confirmed"] = [e for e in ctx.state["confirmed"] if not _matches(e, name, args)]
        if not ctx.state["confirmed"]:
            ctx.state.pop("confirmed")
