"""Store tools that change things (returns, refunds, cancellations, addresses, account), each under its order's row lock."""

from __future__ import annotations

import re
import secrets
from typing import Any

from support_tui.shops.northwind import args as a
from support_tui.shops.northwind.context import ToolContext, ToolError, usd
from support_tui.shops.northwind.generator import money, stamp
from support_tui.shops.northwind.policy import OPEN_STATUSES
from support_tui.shops.northwind.queries import get_order, lock_order, money_on, return_facts
from support_tui.core.store.sql.sqlite import dumps, loads

LABEL_URL = "https://returns.northwind.example/labels/{rma}.pdf"


def _code(prefix: str, length: int = 6) -> str:
    return prefix + "".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(length))


async def create_return(ctx: ToolContext, args: a.CreateReturn) -> dict[str, Any]:
    order = await get_order(ctx, args.order_id)
    await return_facts(ctx, order, args.skus)  # an unknown SKU is named before anything else
    if args.kind == "exchange" and args.exchange_sku:
        variant = await ctx.reader.fetchone(
            "SELECT sku, stock FROM product_variants WHERE upper(sku) = upper(?)"
            " UNION ALL SELECT sku, stock FROM products WHERE upper(sku) = upper(?)", (args.exchange_sku, args.exchange_sku))
        if variant is None:
            raise ToolError(f"No item with SKU {args.exchange_sku}; use get_product to see variants.")
        if variant["stock"] <= 0:
            raise ToolError(f"{variant['sku']} is out of stock; offer a refund or another variant.")
    rma, now = _code("RMA-"), stamp(await ctx.now())
    async with ctx.transaction() as tx:
        # Under the order's lock, the items still to return and the refundable amount are read again:
        # a return or refund another conversation made meanwhile counts.
        locked = ctx.locked(tx)
        order = await lock_order(locked, order["id"])
        facts = await return_facts(locked, order, args.skus)
        if facts["already_returned"] or not facts["items"]:
            raise ToolError(f"{order['id']}: these items already have a return; see list_returns.")
        amount = facts["refundable_amount"] if args.kind == "refund" else 0.0
        items = [{k: i[k] for k in ("sku", "name", "quantity", "price")} for i in facts["items"]]
        await tx.write(
            "INSERT INTO returns (rma_id, order_id, customer_id, items, reason, kind, exchange_sku, amount, status,"
            " label_url, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (rma, order["id"], ctx.customer_id, dumps(items), args.reason, args.kind, args.exchange_sku, amount,
             "label_sent", LABEL_URL.format(rma=rma), now),
        )
        if amount > 0:
            await tx.write(
                "INSERT INTO refunds (id, order_id, customer_id, amount, reason, status, rma_id, created_at)"
                " VALUES (?,?,?,?,?,?,?,?)",
                (_code("rf_", 10).lower(), order["id"], ctx.customer_id, amount, f"Return {rma}: {args.reason}",
                 "pending_receipt", rma, now),
            )
    return {"rma_id": rma, "status": "label_sent", "label_url": LABEL_URL.format(rma=rma), "order_id": order["id"],
            "kind": args.kind, "amount": amount, "items": items, "exchange_sku": args.exchange_sku,
            "note": "The refund is issued when the item arrives back." if amount else "The replacement ships when the item arrives back."}


async def issue_refund(ctx: ToolContext, args: a.IssueRefund) -> dict[str, Any]:
    refund_id = _code("rf_", 10).lower()
    now = stamp(await ctx.now())
    async with ctx.transaction() as tx:
        locked = ctx.locked(tx)
        order = await lock_order(locked, args.order_id)
        # The refund cap again, under the lock: the policy check ran before, outside any transaction,
        # and another conversation may have refunded this order since.
        paid, refunded = await money_on(locked, order["id"])
        left = money(paid - refunded)
        if args.amount > left + 0.005:
            raise ToolError(f"At most {usd(max(left, 0.0))} can be refunded on {order['id']} now ({usd(paid)} paid,"
                            f" {usd(refunded)} already refunded); nothing was refunded.")
        await tx.write(
            "INSERT INTO refunds (id, order_id, customer_id, amount, reason, status, created_at) VALUES (?,?,?,?,?,?,?)",
            (refund_id, order["id"], ctx.customer_id, args.amount, args.reason, "processed", now),
        )
    return {"refund_id": refund_id, "order_id": order["id"], "amount": args.amount, "status": "processed",
            "note": "Back on the original payment method in 3-5 business days."}


async def cancel_order(ctx: ToolContext, args: a.CancelOrder) -> dict[str, Any]:
    now = stamp(await ctx.now())
    async with ctx.transaction() as tx:
        locked = ctx.locked(tx)
        order = await lock_order(locked, args.order_id)
        if order["status"] not in OPEN_STATUSES:  # cancelled or shipped by someone else meanwhile
            raise ToolError(f"{order['id']} is {order['status']} now, so it can no longer be cancelled; nothing changed.")
        paid, refunded = await money_on(locked, order["id"])
        refund = money(max(0.0, paid - refunded))
        await tx.write("UPDATE orders SET status = 'cancelled', cancelled_at = ?, estimated_delivery = NULL WHERE id = ?",
                       (now, order["id"]))
        voided = await tx.write("UPDATE charges SET status = 'voided' WHERE order_id = ? AND status = 'authorized'",
                                (order["id"],))
        if refund > 0:
            await tx.write(
                "INSERT INTO refunds (id, order_id, customer_id, amount, reason, status, created_at) VALUES (?,?,?,?,?,?,?)",
                (_code("rf_", 10).lower(), order["id"], ctx.customer_id, refund, f"Order cancelled: {args.reason}", "processed", now),
            )
    return {"order_id": order["id"], "status": "cancelled", "refund_amount": refund, "voided_authorizations": voided}


async def change_shipping_address(ctx: ToolContext, args: a.ChangeShippingAddress) -> dict[str, Any]:
    order = await get_order(ctx, args.order_id)
    address = {"street": args.street, "city": args.city, "state": args.state, "postal_code": args.postal_code,
               "country": args.country}
    async with ctx.transaction() as tx:
        changed = await tx.write(
            f"UPDATE orders SET shipping_address = ? WHERE id = ? AND status IN {OPEN_STATUSES}", (dumps(address), order["id"]))
    if not changed:
        raise ToolError(f"{order['id']} has shipped meanwhile, so its address can no longer change; nothing changed.")
    return {"order_id": order["id"], "status": order["status"], "shipping_address": address}


def _parse_address(value: str) -> dict[str, Any]:
    parts = [p.strip() for p in value.split(",") if p.strip()]
    if len(parts) == 4:
        street, city, postal_code, country = parts
        state = None
    elif len(parts) == 5:
        street, city, state, postal_code, country = parts
    else:
        raise ToolError("Give the address as 'street, city, [state,] postal code, country'.")
    return {"street": street, "city": city, "state": state, "postal_code": postal_code, "country": country}


async def update_account(ctx: ToolContext, args: a.UpdateAccount) -> dict[str, Any]:
    value = args.value.strip()
    if args.field == "address":
        address = _parse_address(value)
        async with ctx.transaction() as tx:
            await tx.write("UPDATE addresses SET is_default = 0 WHERE customer_id = ?", (ctx.customer_id,))
            await tx.write(
                "INSERT INTO addresses (customer_id, label, street, city, state, postal_code, country, is_default)"
                " VALUES (?, 'home', ?, ?, ?, ?, ?, 1)", (ctx.customer_id, *address.values()))
        return {"customer_id": ctx.customer_id, "field": "address", "value": address, "updated": True,
                "note": "Saved as the default address for new orders; existing orders keep theirs."}
    if args.field == "email" and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}", value):
        raise ToolError(f"'{value}' is not a valid email address.")
    if args.field == "phone" and not 7 <= len(re.sub(r"\D", "", value)) <= 15:
        raise ToolError(f"'{value}' is not a valid phone number.")
    if args.field == "name" and len(value) < 2:
        raise ToolError("A name needs at least two characters.")
    async with ctx.transaction() as tx:
        await tx.write(f"UPDATE customers SET {args.field} = ? WHERE id = ?", (value, ctx.customer_id))
    return {"customer_id": ctx.customer_id, "field": args.field, "value": value, "updated": True}


def mask_email(email: str) -> str:
    user, _, domain = email.partition("@")
    return f"{user[:1]}***{user[-1:] if len(user) > 3 else ''}@{domain}"


async def send_login_link(ctx: ToolContext, args: a.SendLoginLink) -> dict[str, Any]:
    row = await ctx.reader.fetchone("SELECT email, preferences FROM customers WHERE id = ?", (ctx.customer_id,))
    if row is None:
        raise ToolError("No customer account is linked to this conversation.")
    prefs = loads(row["preferences"], {})
    result = {"sent_to": mask_email(row["email"]), "kind": args.kind,
              "expires_in_minutes": 30 if args.kind == "password_reset" else 15}
    if prefs.get("account_locked"):
        result["note"] = "The account is locked after failed sign-ins; following the link unlocks it."
    return result
