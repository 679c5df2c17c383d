"""The deterministic store generator: customers, orders, shipments, charges and returns from one seed."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any

from support_tui.shops.northwind.catalog import build_catalog

SEED = 20240611
"""The generator's fixed seed: the same seed and day always give the same store."""

TAX_RATE = 0.08
FREE_SHIPPING_FROM = 50.0
SHIPPING_FEE = 5.99

StoreRows = dict[str, list[dict[str, Any]]]
"""Rows per table name, each row a dict of column values (JSON columns still as Python values)."""

FIRST = ("James Olivia Liam Emma Noah Ava Ethan Mia Lucas Amelia Mason Harper Logan Evelyn Aiden Abigail "
         "Jacob Ella Elijah Grace Daniel Chloe Henry Zoe Samuel Nora Owen Lily Caleb Hannah Isaac Layla "
         "Julian Aria Leo Riley Nathan Maya Gabriel Stella").split()
LAST = ("Smith Garcia Miller Davis Martinez Lopez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee "
        "Thompson White Harris Clark Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill "
        "Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts").split()
CITIES = (
    ("Seattle", "WA", "981"), ("Portland", "OR", "972"), ("Austin", "TX", "787"), ("Denver", "CO", "802"),
    ("Chicago", "IL", "606"), ("Boston", "MA", "021"), ("Atlanta", "GA", "303"), ("Phoenix", "AZ", "850"),
    ("Minneapolis", "MN", "554"), ("Nashville", "TN", "372"), ("San Diego", "CA", "921"), ("Columbus", "OH", "432"),
)
STREETS = ("Maple Ave", "Oak St", "Pine Rd", "Cedar Ln", "Elm St", "Lakeview Dr", "Hillcrest Rd", "Park Blvd", "Sunset Ave")
BRANDS = ("Visa", "Mastercard", "Amex", "Discover")
CARRIERS = ("UPS", "FedEx", "USPS", "DHL")
HUBS = {
    "UPS": ("Louisville, KY", "Hodgkins, IL"), "FedEx": ("Memphis, TN", "Indianapolis, IN"),
    "USPS": ("Kansas City, MO", "Jersey City, NJ"), "DHL": ("Cincinnati, OH", "Chicago, IL"),
}
WAREHOUSE = "Reno, NV"
RETURN_REASONS = ("Did not fit", "Changed my mind", "Arrived damaged", "Not as described", "Defective", "Wrong size")
STATUS_WEIGHTS = {"delivered": 62, "shipped": 12, "processing": 8, "pending": 8, "cancelled": 10}


def stamp(moment: datetime) -> str:
    """A timestamp as stored (seconds, no zone: the store keeps one local calendar)."""
    return moment.isoformat(timespec="seconds")


def at_day(today: date, days: int, hour: int = 9, minute: int = 0) -> datetime:
    """``days`` from ``today`` (negative: the past) at a time of day."""
    return datetime.combine(today + timedelta(days=days), time(hour, minute))


def money(value: float) -> float:
    return round(value + 1e-9, 2)


def order_totals(items: list[dict[str, Any]]) -> dict[str, float]:
    """Subtotal, shipping, tax and total of order items (the one pricing rule of the store)."""
    subtotal = money(sum(item["price"] * item["quantity"] for item in items))
    shipping = 0.0 if subtotal >= FREE_SHIPPING_FROM else SHIPPING_FEE
    tax = money(subtotal * TAX_RATE)
    return {"subtotal": subtotal, "shipping_cost": shipping, "tax": tax, "total": money(subtotal + shipping + tax)}


def tracking_number(rng: random.Random, carrier: str) -> str:
    if carrier == "UPS":
        return "1Z" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPRSTVWXY") for _ in range(16))
    digits = {"FedEx": 12, "USPS": 22, "DHL": 10}[carrier]
    head = "9400" if carrier == "USPS" else ""
    return head + "".join(rng.choice("0123456789") for _ in range(digits - len(head)))


def tracking_events(order: dict[str, Any], destination: str, today: date) -> list[dict[str, Any]]:
    """Carrier scans from label to doorstep, as far as the order has got by ``today``."""
    hubs = HUBS[order["carrier"]]
    placed = datetime.fromisoformat(order["placed_at"])
    shipped = datetime.fromisoformat(order["shipped_at"])
    steps = [
        (placed + timedelta(hours=3), WAREHOUSE, "Shipping label created"),
        (shipped, WAREHOUSE, "Picked up by carrier"),
        (shipped + timedelta(hours=9), hubs[0], "Arrived at carrier facility"),
        (shipped + timedelta(hours=20), hubs[1], "Departed facility, in transit"),
    ]
    if order["delivered_at"]:
        delivered = datetime.fromisoformat(order["delivered_at"])
        steps.append((delivered - timedelta(hours=5), destination, "Out for delivery"))
        steps.append((delivered, destination, "Delivered, left at front door"))
    horizon = datetime.combine(today, time(23, 59))
    return [
        {"order_id": order["id"], "at": stamp(at), "location": loc, "description": text}
        for at, loc, text in sorted(steps)
        if at <= horizon
    ]


def _customers(rng: random.Random, today: date) -> StoreRows:
    rows: StoreRows = {"customers": [], "addresses": [], "payment_methods": []}
    names = rng.sample([(f, l) for f in FIRST for l in LAST], 50)
    for n, (first, last) in enumerate(names, start=60001):
        cid = f"cust_{n}"
        rows["customers"].append({
            "id": cid, "name": f"{first} {last}", "email": f"{first}.{last}{n % 100}@example.com".lower(),
            "phone": f"+1-555-{rng.randint(200, 999)}-{rng.randint(1000, 9999)}", "tier": "standard",
            "lifetime_value": money(rng.uniform(0, 1500)),
            "preferences": {"newsletter": rng.random() < 0.5, "contact": rng.choice(["email", "sms", "phone"])},
            "created_at": stamp(at_day(today, -rng.randint(30, 1500), rng.randint(8, 21))),
        })
        city, state, zip3 = rng.choice(CITIES)
        rows["addresses"].append({
            "customer_id": cid, "label": "home", "street": f"{rng.randint(10, 9999)} {rng.choice(STREETS)}",
            "city": city, "state": state, "postal_code": f"{zip3}{rng.randint(10, 99)}", "country": "US", "is_default": 1,
        })
        for k in range(rng.choice((1, 1, 2))):
            rows["payment_methods"].append({
                "id": f"pm_{n}_{k + 1}", "customer_id": cid, "brand": rng.choice(BRANDS),
                "last4": f"{rng.randint(0, 9999):04d}",
                "expiry": f"{rng.randint(1, 12):02d}/{(today.year + rng.randint(1, 4)) % 100:02d}", "is_default": int(k == 0),
            })
    return rows


def _order_dates(rng: random.Random, status: str, today: date, order: dict[str, Any]) -> None:
    age = {"pending": (0, 1), "processing": (0, 2), "shipped": (2, 6), "delivered": (4, 400), "cancelled": (1, 200)}[status]
    days = rng.randint(*age)
    placed = at_day(today, -days, rng.randint(7, 21), rng.randint(0, 59))
    order.update(placed_at=stamp(placed), shipped_at=None, delivered_at=None, cancelled_at=None,
                 carrier=None, tracking_number=None, estimated_delivery=None)
    if status == "cancelled":
        order["cancelled_at"] = stamp(placed + timedelta(hours=rng.randint(1, 20)))
    elif status == "processing":
        order["estimated_delivery"] = (today + timedelta(days=rng.randint(3, 6))).isoformat()
    elif status in ("shipped", "delivered"):
        shipped = placed + timedelta(days=1, hours=rng.randint(0, 5))
        order["carrier"] = rng.choice(CARRIERS)
        order["tracking_number"] = tracking_number(rng, order["carrier"])
        order["shipped_at"] = stamp(shipped)
        if status == "shipped":
            order["estimated_delivery"] = (today + timedelta(days=rng.randint(1, 4))).isoformat()
        else:
            transit = max(1, min(rng.randint(2, 5), days - 1))
            delivered = at_day(shipped.date(), transit, rng.randint(10, 18), rng.randint(0, 59))
            order["estimated_delivery"] = delivered.date().isoformat()
            order["delivered_at"] = stamp(delivered)


def generate_store(today: date | None = None, seed: int = SEED) -> StoreRows:
    """The whole generated store for ``today``; the same seed and day give identical rows."""
    today = today or date.today()
    rng = random.Random(seed)
    products, variants = build_catalog(rng)
    rows = _customers(rng, today)
    rows.update(products=products, product_variants=variants, orders=[], order_items=[], tracking_events=[],
                charges=[], returns=[], refunds=[])
    by_product: dict[str, list[dict[str, Any]]] = {}
    for row in variants:
        by_product.setdefault(row["product_id"], []).append(row)
    addresses = {a["customer_id"]: a for a in rows["addresses"]}
    methods = {m["customer_id"]: m["id"] for m in reversed(rows["payment_methods"])}
    statuses, weights = zip(*STATUS_WEIGHTS.items())
    spend: dict[str, float] = {}
    for n in range(320):
        customer = rng.choice(rows["customers"])
        status = rng.choices(statuses, weights)[0]
        address = {k: addresses[customer["id"]][k] for k in ("street", "city", "state", "postal_code", "country")}
        order: dict[str, Any] = {"id": f"ORD-{10001 + n}", "customer_id": customer["id"], "status": status,
                                 "payment_method_id": methods[customer["id"]], "shipping_address": address}
        _order_dates(rng, status, today, order)
        items = []
        for product in rng.sample(products, rng.choice((1, 1, 1, 2, 2, 3))):
            variant = rng.choice(by_product[product["id"]]) if product["id"] in by_product else None
            option = variant and (variant["colour"] or variant["size"])
            items.append({"order_id": order["id"], "product_id": product["id"],
                          "sku": variant["sku"] if variant else product["sku"],
                          "name": f"{product['name']} ({option})" if option else product["name"],
                          "quantity": 1 if rng.random() < 0.85 else 2, "price": product["price"]})
        order.update(order_totals(items))
        rows["orders"].append(order)
        rows["order_items"].extend(items)
        if order["shipped_at"]:
            rows["tracking_events"].extend(tracking_events(order, f"{address['city']}, {address['state']}", today))
        _money_trail(rng, rows, order, items, customer["id"], today)
        if status != "cancelled":
            spend[customer["id"]] = spend.get(customer["id"], 0.0) + order["total"]
    for customer in rows["customers"]:
        value = money(customer["lifetime_value"] + spend.get(customer["id"], 0.0))
        customer["lifetime_value"] = value
        customer["tier"] = "vip" if value >= 4500 else "premium" if value >= 3000 else "plus" if value >= 1800 else "standard"
    return rows


def _money_trail(
    rng: random.Random, rows: StoreRows, order: dict[str, Any], items: list[dict[str, Any]], customer_id: str, today: date
) -> None:
    """The order's charge, and for some orders a cancellation refund or a return."""
    status, number = order["status"], len(rows["charges"]) + 1
    captured = status != "pending" and not (status == "cancelled" and rng.random() < 0.5)
    charge_status = "authorized" if status == "pending" else "captured" if captured else "voided"
    rows["charges"].append({"id": f"ch_{number:06d}", "customer_id": customer_id, "order_id": order["id"],
                            "amount": order["total"], "status": charge_status, "created_at": order["placed_at"],
                            "descriptor": f"NORTHWIND GOODS*{order['id']}"})
    if status == "cancelled" and captured:
        rows["refunds"].append({"id": f"rf_{number:06d}", "order_id": order["id"], "customer_id": customer_id,
                                "amount": order["total"], "reason": "Order cancelled", "status": "processed",
                                "rma_id": None, "created_at": order["cancelled_at"]})
    if status != "delivered" or rng.random() > 0.09:
        return
    item = items[0]
    delivered = datetime.fromisoformat(order["delivered_at"])
    days_since = (today - delivered.date()).days
    if days_since < 2:
        return
    created = delivered + timedelta(days=rng.randint(1, min(12, days_since - 1)), hours=rng.randint(1, 5))
    kind = "refund" if rng.random() < 0.75 else "exchange"
    amount = money(item["price"] * item["quantity"])
    done = (today - created.date()).days >= 7 and rng.random() < 0.9
    rma = f"RMA-{rng.randint(100000, 999999)}"
    rows["returns"].append({
        "rma_id": rma, "order_id": order["id"], "customer_id": customer_id,
        "items": [{"sku": item["sku"], "name": item["name"], "quantity": item["quantity"], "price": item["price"]}],
        "reason": rng.choice(RETURN_REASONS), "kind": kind, "exchange_sku": item["sku"] if kind == "exchange" else None,
        "amount": amount, "status": ("refunded" if kind == "refund" else "exchanged") if done else "label_sent",
        "label_url": f"https://returns.northwind.example/labels/{rma}.pdf", "created_at": stamp(created),
    })
    if kind == "refund":
        rows["refunds"].append({"id": f"rf_{number:06d}", "order_id": order["id"], "customer_id": customer_id,
                                "amount": amount, "reason": "Return " + rma, "status": "processed" if done else "pending_receipt",
                                "rma_id": rma, "created_at": stamp(created + timedelta(days=6 if done else 0))})
