"""Read-only store tools (orders, shipments, products, returns, charges, account) and shared look-ups."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any, Sequence

from support_tui.shops.northwind import args as a
from support_tui.shops.northwind.context import ToolContext, ToolError, not_found, usd
from support_tui.shops.northwind.generator import money
from support_tui.core.store.sql.database import Row
from support_tui.core.store.sql.sqlite import loads

PAID = ("captured", "settled")
"""Charge statuses that took the customer's money."""
LIVE_REFUNDS = ("processed", "pending", "pending_receipt")
"""Refund statuses that count against what can still be refunded."""


async def get_order(ctx: ToolContext, order_id: str) -> Row:
    """The customer's order, or the not-found error (another customer's order looks the same)."""
    row = await ctx.reader.fetchone("SELECT * FROM orders WHERE id = ? AND customer_id = ?", (order_id, ctx.customer_id))
    if row is None:
        raise not_found(order_id)
    return row


async def lock_order(ctx: ToolContext, order_id: str) -> Row:
    """Inside a write (``ctx.locked(tx)``): the customer's order, locked until the write commits.

    Every write that moves money on an order takes this lock first and then re-reads what it
    decides on (payments, refunds, returns, status), so two machines refunding the same order at
    once are served one after the other and the second sees the first's refund."""
    if ctx.tx is None:
        raise RuntimeError("lock_order runs inside a transaction (ctx.locked(tx))")
    rows = await ctx.tx.lock_rows("SELECT * FROM orders WHERE id = ? AND customer_id = ?", (order_id, ctx.customer_id))
    if not rows:
        raise not_found(order_id)
    return rows[0]


async def items_of(ctx: ToolContext, order_id: str) -> list[dict[str, Any]]:
    rows = await ctx.reader.fetchall("SELECT sku, name, quantity, price, product_id FROM order_items WHERE order_id = ? ORDER BY id", (order_id,))
    return [dict(r) for r in rows]


async def money_on(ctx: ToolContext, order_id: str) -> tuple[float, float]:
    """What was paid for an order and what has been (or is being) refunded (inside a write: under its locks)."""
    paid = await ctx.reader.scalar(
        f"SELECT COALESCE(SUM(amount), 0) FROM charges WHERE order_id = ? AND status IN {PAID}", (order_id,)
    )
    refunded = await ctx.reader.scalar(
        f"SELECT COALESCE(SUM(amount), 0) FROM refunds WHERE order_id = ? AND status IN {LIVE_REFUNDS}", (order_id,)
    )
    return money(paid), money(refunded)


async def returned_skus(ctx: ToolContext, order_id: str) -> dict[str, str]:
    """SKU -> RMA of items already being returned or returned."""
    rows = await ctx.reader.fetchall("SELECT rma_id, items FROM returns WHERE order_id = ? AND status != 'cancelled'", (order_id,))
    return {item["sku"]: row["rma_id"] for row in rows for item in loads(row["items"], [])}


async def return_facts(ctx: ToolContext, order: Row, skus: list[str] | None) -> dict[str, Any]:
    """Everything a return decision needs: window, chosen items, their value and what is refundable."""
    items = await items_of(ctx, order["id"])
    returned = await returned_skus(ctx, order["id"])
    known = {item["sku"].upper(): item for item in items}
    if skus:
        unknown = [s for s in skus if s.upper() not in known]
        if unknown:
            raise ToolError(f"{order['id']} has no item with SKU {', '.join(unknown)}; its items: "
                            + ", ".join(f"{i['sku']} ({i['name']})" for i in items))
        chosen = [known[s.upper()] for s in dict.fromkeys(skus)]
    else:
        chosen = [i for i in items if i["sku"] not in returned]
    days = None
    if order["delivered_at"]:
        days = ((await ctx.day()) - datetime.fromisoformat(order["delivered_at"]).date()).days
    value = sum(i["price"] * i["quantity"] for i in chosen if i["sku"] not in returned)
    with_tax = money(value * (1 + order["tax"] / order["subtotal"])) if order["subtotal"] else 0.0
    paid, refunded = await money_on(ctx, order["id"])
    return {
        "items": [{k: i[k] for k in ("sku", "name", "quantity", "price")} | {"already_returned": i["sku"] in returned}
                  for i in chosen],
        "days_since_delivery": days,
        "window_days": ctx.window_days,
        "value": with_tax,
        "refundable_amount": money(max(0.0, min(with_tax, paid - refunded))),
        "already_returned": [i["sku"] for i in chosen if i["sku"] in returned],
    }


def window_problem(order: Row, facts: dict[str, Any]) -> str | None:
    """Why the return window rule refuses this order, or None."""
    if order["status"] != "delivered":
        return f"{order['id']} has not been delivered (status: {order['status']}); a return can start after delivery."
    days, window = facts["days_since_delivery"], facts["window_days"]
    if days is not None and days > window:
        return f"{order['id']} was delivered {days} days ago; returns are accepted within {window} days of delivery."
    return None


# ---- orders and shipments ------------------------------------------------------------------------

async def lookup_order(ctx: ToolContext, args: a.LookupOrder) -> dict[str, Any]:
    order = await get_order(ctx, args.order_id)
    items = await items_of(ctx, order["id"])
    return {"order": {
        "order_id": order["id"], "status": order["status"], "placed_at": order["placed_at"],
        "subtotal": order["subtotal"], "shipping_cost": order["shipping_cost"], "tax": order["tax"],
        "total": order["total"], "currency": "USD",
        "items": [{k: i[k] for k in ("sku", "name", "quantity", "price")} for i in items],
        "carrier": order["carrier"], "tracking_number": order["tracking_number"],
        "shipped_at": order["shipped_at"], "estimated_delivery": order["estimated_delivery"],
        "delivered_at": order["delivered_at"], "shipping_address": loads(order["shipping_address"], {}),
    }}


async def list_orders(ctx: ToolContext, args: a.ListOrders) -> dict[str, Any]:
    sql, params = "SELECT * FROM orders WHERE customer_id = ?", [ctx.customer_id]
    if args.status:
        sql += " AND status = ?"
        params.append(args.status)
    rows = await ctx.reader.fetchall(sql + " ORDER BY placed_at DESC LIMIT ?", (*params, args.limit))
    orders = []
    for row in rows:
        names = [i["name"] for i in await items_of(ctx, row["id"])]
        orders.append({"order_id": row["id"], "status": row["status"], "placed_at": row["placed_at"],
                       "total": row["total"], "items": names, "delivered_at": row["delivered_at"]})
    return {"orders": orders}


async def track_shipment(ctx: ToolContext, args: a.TrackShipment) -> dict[str, Any]:
    order = await get_order(ctx, args.order_id)
    events = await ctx.reader.fetchall("SELECT at, location, description FROM tracking_events WHERE order_id = ? ORDER BY at", (order["id"],))
    return {"order_id": order["id"], "status": order["status"], "carrier": order["carrier"],
            "tracking_number": order["tracking_number"], "shipped_at": order["shipped_at"],
            "estimated_delivery": order["estimated_delivery"], "delivered_at": order["delivered_at"],
            "events": [dict(e) for e in events]}


# ---- products ------------------------------------------------------------------------------------

STOPWORDS = frozenset("a an the and or for with to of in on is it my me i do does you your have has any can will "
                      "work works compatible compatibility about what which this that".split())


def _product_text(row: Row) -> dict[str, str]:
    return {"name": row["name"].lower(), "category": row["category"].lower(),
            "compatibility": " ".join(loads(row["compatibility"], [])).lower(),
            "other": (row["description"] + " " + row["specs"]).lower()}


async def search_products(ctx: ToolContext, args: a.SearchProducts) -> dict[str, Any]:
    words = [w for w in re.findall(r"[a-z0-9]+(?:[.+-][a-z0-9]+)*", args.query.lower()) if w not in STOPWORDS]
    weights = {"name": 3.0, "category": 2.0, "compatibility": 2.0, "other": 1.0}
    scored = []
    for row in await ctx.reader.fetchall("SELECT * FROM products"):
        text = _product_text(row)
        score = sum(w for word in words for field, w in weights.items() if word in text[field])
        if args.query.lower() in text["name"]:
            score += 5
        if score > 0:
            scored.append((-score, row["name"], row))
    scored.sort(key=lambda t: (t[0], t[1]))
    products = [{"product_id": r["id"], "name": r["name"], "price": r["price"], "stock": r["stock"],
                 "category": r["category"]} for _, _, r in scored[: args.limit]]
    return {"products": products} if products else {"products": [], "note": f"No products match '{args.query}'."}


async def get_product(ctx: ToolContext, args: a.GetProduct) -> dict[str, Any]:
    row = None
    if args.product_id:
        key = args.product_id.strip()
        row = await ctx.reader.fetchone(
            "SELECT * FROM products WHERE upper(id) = upper(?) OR upper(sku) = upper(?)"
            " OR id = (SELECT product_id FROM product_variants WHERE upper(sku) = upper(?))", (key, key, key))
    if row is None:
        name = (args.name or args.product_id or "").strip()
        row = await ctx.reader.fetchone("SELECT * FROM products WHERE lower(name) = lower(?)", (name,))
        row = row or await ctx.reader.fetchone("SELECT * FROM products WHERE lower(name) LIKE lower(?) ORDER BY length(name), id LIMIT 1", (f"%{name}%",))
        if row is None:
            found = (await search_products(ctx, a.SearchProducts(query=name, limit=1)))["products"]
            if found:
                row = await ctx.reader.fetchone("SELECT * FROM products WHERE id = ?", (found[0]["product_id"],))
    if row is None:
        raise ToolError(f"No product matches '{args.product_id or args.name}'. Try search_products.")
    variants = await ctx.reader.fetchall("SELECT sku, colour, size, stock FROM product_variants WHERE product_id = ? ORDER BY sku", (row["id"],))
    return {"product": {
        "product_id": row["id"], "sku": row["sku"], "name": row["name"], "category": row["category"],
        "price": row["price"], "stock": row["stock"], "specs": loads(row["specs"], {}),
        "compatibility": loads(row["compatibility"], []), "warranty_months": row["warranty_months"],
        "description": row["description"],
        "variants": [{k: v for k, v in dict(v).items() if v is not None} for v in variants],
    }}


# ---- returns -------------------------------------------------------------------------------------

async def check_return_eligibility(ctx: ToolContext, args: a.CheckReturnEligibility) -> dict[str, Any]:
    order = await get_order(ctx, args.order_id)
    facts = await return_facts(ctx, order, [args.sku] if args.sku else None)
    problem = window_problem(order, facts)
    if problem is None and facts["items"] and all(i["already_returned"] for i in facts["items"]):
        problem = "These items already have a return in progress or completed (see list_returns)."
    if problem is None and not facts["items"]:
        problem = "Every item of this order already has a return."
    if problem is None and facts["refundable_amount"] <= 0:
        problem = "Eligible for an exchange only: the order has already been refunded in full."
    reason = problem or (f"Delivered {facts['days_since_delivery']} days ago, within the "
                         f"{facts['window_days']}-day return window.")
    eligible = problem is None or problem.startswith("Eligible for an exchange")
    return {"order_id": order["id"], "eligible": eligible, "reason": reason,
            "days_since_delivery": facts["days_since_delivery"], "window_days": facts["window_days"],
            "items": facts["items"], "refundable_amount": facts["refundable_amount"] if eligible else 0.0}


async def list_returns(ctx: ToolContext, args: a.ListReturns) -> dict[str, Any]:
    where, params = "customer_id = ?", [ctx.customer_id]
    if args.order_id:
        await get_order(ctx, args.order_id)
        where += " AND order_id = ?"
        params.append(args.order_id)
    returns = await ctx.reader.fetchall(f"SELECT * FROM returns WHERE {where} ORDER BY created_at DESC", params)
    refunds = await ctx.reader.fetchall(f"SELECT * FROM refunds WHERE {where} ORDER BY created_at DESC", params)
    return {
        "returns": [{"rma_id": r["rma_id"], "order_id": r["order_id"], "items": loads(r["items"], []), "reason": r["reason"],
                     "kind": r["kind"], "status": r["status"], "amount": r["amount"], "label_url": r["label_url"],
                     "created_at": r["created_at"]} for r in returns],
        "refunds": [refund_view(r) for r in refunds],
    }


def refund_view(row: Row) -> dict[str, Any]:
    return {"refund_id": row["id"], "order_id": row["order_id"], "amount": row["amount"], "reason": row["reason"],
            "status": row["status"], "created_at": row["created_at"]}


# ---- billing and account -------------------------------------------------------------------------

def charge_view(row: Row) -> dict[str, Any]:
    return {"charge_id": row["id"], "order_id": row["order_id"], "amount": row["amount"], "created_at": row["created_at"],
            "status": row["status"], "descriptor": row["descriptor"]}


async def explain_charges(ctx: ToolContext, args: a.ExplainCharges) -> dict[str, Any]:
    where, params = "customer_id = ?", [ctx.customer_id]
    if args.order_id:
        await get_order(ctx, args.order_id)
        where += " AND order_id = ?"
        params.append(args.order_id)
    rows = await ctx.reader.fetchall(f"SELECT * FROM charges WHERE {where} ORDER BY created_at DESC LIMIT 50", params)
    duplicates = await _duplicates(ctx, rows)
    total = money(sum(r["amount"] for r in rows if r["status"] in PAID))
    summary = f"{len(rows)} charge(s), {usd(total)} captured."
    for d in duplicates:
        if d["refunded"]:
            state = "already refunded"
        elif d["refunded_amount"] > 0:
            state = (f"refunded in part ({usd(d['refunded_amount'])} of {usd(d['duplicate_amount'])}): at most"
                     f" {usd(d['left_to_refund'])} is left to refund")
        else:
            state = "not yet refunded"
        summary += (f" {d['order_id']} was charged {usd(d['amount'])} {len(d['charge_ids'])} times"
                    f" ({', '.join(d['charge_ids'])}): a duplicate, {state}.")
    return {"charges": [charge_view(r) for r in rows], "duplicates": duplicates, "summary": summary}


async def _duplicates(ctx: ToolContext, rows: Sequence[Row]) -> list[dict[str, Any]]:
    """Charges of one amount on one order within a day of each other, and what of the excess is refunded already.

    What was refunded on the order counts against the duplicate first, so a partial refund ($150 of a
    $161.99 duplicate) leaves only the rest ($11.99) to refund."""
    groups: dict[tuple[str, float], list[Row]] = {}
    for row in rows:
        if row["status"] in PAID and row["order_id"]:
            groups.setdefault((row["order_id"], row["amount"]), []).append(row)
    duplicates: list[dict[str, Any]] = []
    for (order_id, amount), same in groups.items():
        times = sorted(datetime.fromisoformat(r["created_at"]) for r in same)
        if len(same) > 1 and times[-1] - times[0] <= timedelta(days=1):
            paid, refunded = await money_on(ctx, order_id)
            excess = money(amount * (len(same) - 1))
            left = money(max(0.0, min(excess - refunded, paid - refunded)))
            duplicates.append({"order_id": order_id, "charge_ids": sorted(r["id"] for r in same), "amount": amount,
                               "duplicate_amount": excess, "refunded_amount": money(min(refunded, excess)),
                               "left_to_refund": left, "refunded": left <= 0.005})
    return duplicates


async def duplicate_on(ctx: ToolContext, order_id: str) -> dict[str, Any] | None:
    """The duplicate charge on one order (as ``explain_charges`` finds it), or None."""
    rows = await ctx.reader.fetchall("SELECT * FROM charges WHERE customer_id = ? AND order_id = ?", (ctx.customer_id, order_id))
    found = await _duplicates(ctx, rows)
    return found[0] if found else None


async def get_billing_history(ctx: ToolContext, args: a.GetBillingHistory) -> dict[str, Any]:
    charges = await ctx.reader.fetchall("SELECT * FROM charges WHERE customer_id = ? ORDER BY created_at DESC LIMIT ?", (ctx.customer_id, args.limit))
    refunds = await ctx.reader.fetchall("SELECT * FROM refunds WHERE customer_id = ? ORDER BY created_at DESC LIMIT ?", (ctx.customer_id, args.limit))
    methods = await ctx.reader.fetchall("SELECT brand, last4, expiry, is_default FROM payment_methods WHERE customer_id = ? ORDER BY is_default DESC, id", (ctx.customer_id,))
    return {"charges": [charge_view(r) for r in charges], "refunds": [refund_view(r) for r in refunds],
            "payment_methods": [{"brand": m["brand"], "last4": m["last4"], "expiry": m["expiry"], "default": bool(m["is_default"])}
                                for m in methods]}


async def get_account(ctx: ToolContext, args: a.GetAccount) -> dict[str, Any]:
    row = await ctx.reader.fetchone("SELECT * FROM customers WHERE id = ?", (ctx.customer_id,))
    if row is None:
        raise ToolError("No customer account is linked to this conversation.")
    addresses = await ctx.reader.fetchall("SELECT label, street, city, state, postal_code, country, is_default FROM addresses"
                                      " WHERE customer_id = ? ORDER BY is_default DESC, id", (ctx.customer_id,))
    return {"customer": {
        "customer_id": row["id"], "name": row["name"], "email": row["email"], "phone": row["phone"], "tier": row["tier"],
        "lifetime_value": row["lifetime_value"], "member_since": row["created_at"][:10],
        "addresses": [dict(r) | {"is_default": bool(r["is_default"])} for r in addresses],
        "preferences": loads(row["preferences"], {}),
    }}
