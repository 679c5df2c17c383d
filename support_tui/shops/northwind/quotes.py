"""Quotes: what a consequential Northwind call will do, computed from exactly its arguments.

Each figure here comes from the same function the write itself uses (``return_facts``, ``money_on``),
so the amount a customer is told is the amount that moves.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from support_tui.core.shop import Quote, QuoteLine
from support_tui.shops.northwind import args as a
from support_tui.shops.northwind.context import ToolContext, usd
from support_tui.shops.northwind.generator import money
from support_tui.shops.northwind.queries import get_order, items_of, money_on, return_facts


def _items_phrase(lines: list[QuoteLine]) -> str:
    parts = [f"{line.quantity} × {line.name}" if line.quantity > 1 else f"the {line.name}" for line in lines]
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


async def _card(ctx: ToolContext, order: Any) -> str:
    row = await ctx.reader.fetchone(
        "SELECT brand, last4 FROM payment_methods WHERE id = ? AND customer_id = ?",
        (order["payment_method_id"], ctx.customer_id),
    )
    return f"your {row['brand']} ending {row['last4']}" if row else "the original payment method"


async def _variant(ctx: ToolContext, sku: str) -> str:
    row = await ctx.reader.fetchone(
        "SELECT p.name, v.colour, v.size FROM product_variants v JOIN products p ON p.id = v.product_id"
        " WHERE upper(v.sku) = upper(?)", (sku,))
    if row is None:
        row = await ctx.reader.fetchone("SELECT name, NULL AS colour, NULL AS size FROM products WHERE upper(sku) = upper(?)", (sku,))
    if row is None:
        return sku
    options = ", ".join(x for x in (row["colour"], f"size {row['size']}" if row["size"] else None) if x)
    return f"the {row['name']}" + (f" ({options})" if options else "")


def _address(args: a.ChangeShippingAddress) -> str:
    return ", ".join(p for p in (args.street, args.city, args.state, args.postal_code, args.country) if p)


async def quote(args: BaseModel, ctx: ToolContext) -> Quote:
    """The quote for a consequential call (see the module docstring)."""
    if isinstance(args, a.CreateReturn):
        return await _return(args, ctx)
    if isinstance(args, a.IssueRefund):
        order = await get_order(ctx, args.order_id)
        card = await _card(ctx, order)
        return Quote(action="refund", order_id=order["id"], amount=args.amount, details={"refund to": card},
                     summary=f"I'll refund {usd(args.amount)} on order {order['id']} to {card}.")
    if isinstance(args, a.CancelOrder):
        order = await get_order(ctx, args.order_id)
        lines = [QuoteLine(name=i["name"], quantity=i["quantity"]) for i in await items_of(ctx, order["id"])]
        paid, refunded = await money_on(ctx, order["id"])
        refund = money(max(0.0, paid - refunded))
        card = await _card(ctx, order)
        back = f" and refund {usd(refund)} to {card}" if refund > 0 else ""
        return Quote(action="cancel the order", order_id=order["id"], lines=lines, amount=refund or None,
                     details={"refund to": card} if refund else {},
                     summary=f"I'll cancel order {order['id']} ({_items_phrase(lines)}){back}.")
    if isinstance(args, a.ChangeShippingAddress):
        order = await get_order(ctx, args.order_id)
        where = _address(args)
        return Quote(action="change the delivery address", order_id=order["id"], details={"new address": where},
                     summary=f"I'll change the delivery address of order {order['id']} to {where}.")
    if isinstance(args, a.UpdateAccount):
        label = {"name": "name", "email": "email address", "phone": "phone number", "address": "default address"}[args.field]
        return Quote(action=f"change your {label}", details={f"new {label}": args.value},
                     summary=f"I'll change the {label} on your account to {args.value}.")
    raise ValueError(f"{type(args).__name__} is not a consequential call")


async def _return(args: a.CreateReturn, ctx: ToolContext) -> Quote:
    order = await get_order(ctx, args.order_id)
    facts = await return_facts(ctx, order, args.skus)
    lines = [QuoteLine(name=i["name"], quantity=i["quantity"], amount=money(i["price"] * i["quantity"]))
             for i in facts["items"] if not i["already_returned"]]
    what = _items_phrase(lines) or "the items"
    if args.kind == "exchange":
        wanted = await _variant(ctx, args.exchange_sku) if args.exchange_sku else None
        swap = f" for {wanted}" if wanted else ""
        return Quote(action="exchange", order_id=order["id"], lines=lines,
                     details={"exchange for": wanted} if wanted else {},
                     summary=f"I'll start an exchange of {what} from order {order['id']}{swap} and email you a prepaid"
                             " return label; the replacement ships when the item arrives back.")
    amount = facts["refundable_amount"]
    card = await _card(ctx, order)
    return Quote(action="return for a refund", order_id=order["id"], lines=lines, amount=amount,
                 details={"refund to": card},
                 summary=f"I'll start a return of {what} from order {order['id']} and email you a prepaid label;"
                         f" {usd(amount)} goes back to {card} when it arrives back.")
