"""Loading the store: the generated catalogue and orders, then the hand-written demo customers on top."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

from support_tui.shops.northwind.generator import SEED, StoreRows, at_day, generate_store, order_totals, stamp, tracking_events
from support_tui.shops.northwind.schema import COMMERCE_TABLES, EFFECTS
from support_tui.core.store.sql.database import ShopDatabase, ShopReader, ShopTransaction
from support_tui.core.store.sql.shop_schema import SETUP_LOCK
from support_tui.core.store.sql.sqlite import dumps
from support_tui.core.paths import fixtures_dir

DEMO_FILE = "demo_customers.json"
JSON_COLUMNS = frozenset({"preferences", "specs", "compatibility", "shipping_address", "items"})
_RELATIVE = re.compile(r"^@([+-]?\d+)d(?: (\d{1,2}):(\d{2}))?$")


def resolve_date(value: Any, today: date) -> Any:
    """``@-5d 14:02`` -> a timestamp, ``@+3d`` -> a calendar day, both relative to ``today``."""
    if not isinstance(value, str) or not value.startswith("@"):
        return value
    match = _RELATIVE.match(value)
    if match is None:
        raise ValueError(f"bad relative date {value!r} (expected '@-5d 14:02' or '@+3d')")
    days = int(match.group(1))
    if match.group(2) is None:
        return at_day(today, days).date().isoformat()
    return stamp(at_day(today, days, int(match.group(2)), int(match.group(3))))


def demo_rows(data: dict[str, Any], today: date) -> StoreRows:
    """Rows of the hand-written demo file: its products, customers and their orders."""
    rows: StoreRows = {table: [] for table in COMMERCE_TABLES}
    products = {}
    for raw in data.get("products", []):
        product = {k: v for k, v in raw.items() if k != "variants"}
        products[product["id"]] = product | {"variants": {}}
        rows["products"].append(product)
        for variant in raw.get("variants", []):
            rows["product_variants"].append(
                {"sku": variant["sku"], "product_id": product["id"], "colour": variant.get("colour"),
                 "size": variant.get("size"), "stock": variant.get("stock", 0)}
            )
            products[product["id"]]["variants"][variant["sku"]] = variant.get("colour") or variant.get("size")
    for raw in data.get("customers", []):
        cid = raw["id"]
        customer = {k: resolve_date(raw.get(k), today) for k in
                    ("id", "name", "email", "phone", "tier", "lifetime_value", "preferences", "created_at")}
        customer["preferences"] = customer["preferences"] or {}
        rows["customers"].append(customer)
        rows["addresses"].extend({"customer_id": cid} | a for a in raw.get("addresses", []))
        rows["payment_methods"].extend({"customer_id": cid} | m for m in raw.get("payment_methods", []))
        home = next((a for a in raw.get("addresses", []) if a.get("is_default")), raw["addresses"][0])
        method = next((m for m in raw.get("payment_methods", []) if m.get("is_default")), raw["payment_methods"][0])
        for spec in raw.get("orders", []):
            _demo_order(rows, spec, cid, home, method["id"], products, today)
    return rows


def _demo_order(
    rows: StoreRows, spec: dict[str, Any], cid: str, home: dict[str, Any], method: str,
    products: dict[str, dict[str, Any]], today: date,
) -> None:
    oid = spec["id"]
    items = []
    for item in spec["items"]:
        product = products[item["product_id"]]
        sku = item.get("sku", product["sku"])
        option = product["variants"].get(sku)
        items.append({"order_id": oid, "product_id": product["id"], "sku": sku,
                      "name": f"{product['name']} ({option})" if option else product["name"],
                      "quantity": item.get("quantity", 1), "price": item.get("price", product["price"])})
    address = spec.get("shipping_address") or {k: home.get(k) for k in ("street", "city", "state", "postal_code", "country")}
    order = {"id": oid, "customer_id": cid, "status": spec["status"], "payment_method_id": method, "shipping_address": address}
    for key in ("placed_at", "shipped_at", "delivered_at", "cancelled_at", "carrier", "tracking_number", "estimated_delivery"):
        order[key] = resolve_date(spec.get(key), today)
    order.update(order_totals(items))
    rows["orders"].append(order)
    rows["order_items"].extend(items)
    if "tracking" in spec:
        rows["tracking_events"].extend(
            {"order_id": oid, "at": resolve_date(e["at"], today), "location": e["location"], "description": e["description"]}
            for e in spec["tracking"]
        )
    elif order["shipped_at"]:
        destination = f"{address['city']}, {address.get('state') or address['country']}"
        rows["tracking_events"].extend(tracking_events(order, destination, today))
    default_status = "authorized" if order["status"] == "pending" else "captured"
    for n, charge in enumerate(spec.get("charges") or [{}]):
        rows["charges"].append({
            "id": charge.get("id", f"ch_{oid[4:]}{'abcdefgh'[n] if n else ''}"), "customer_id": cid, "order_id": oid,
            "amount": charge.get("amount", order["total"]), "status": charge.get("status", default_status),
            "created_at": resolve_date(charge.get("created_at"), today) or order["placed_at"],
            "descriptor": charge.get("descriptor", f"NORTHWIND GOODS*{oid}"),
        })


def read_demo(path: Path | None = None) -> dict[str, Any]:
    """The demo file as data; an absent file means no demo customers."""
    path = path or fixtures_dir() / DEMO_FILE
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object with 'customers' and 'products'")
    return data


async def is_loaded(db: ShopReader) -> bool:
    """True once fixtures are in this database."""
    return await db.scalar("SELECT value FROM store_meta WHERE key = 'created_at'") is not None


async def store_today(db: ShopReader) -> date:
    """The store's calendar day: the day its fixtures were created (all their dates are relative to it)."""
    value = await db.scalar("SELECT value FROM store_meta WHERE key = 'created_at'")
    return date.fromisoformat(value) if value else date.today()


async def load_fixtures(
    db: ShopDatabase, *, today: date | None = None, reset: bool = False, demo_path: Path | None = None, seed: int = SEED
) -> dict[str, int]:
    """Fill the store (generated rows plus demo customers); a no-op returning ``{}`` if already loaded.

    One transaction under the set-up lock, so consoles and workers opening a fresh shared database at
    once load it once: whoever comes second finds it loaded."""
    if not reset and await is_loaded(db):
        return {}
    today = today or date.today()
    rows = generate_store(today, seed)
    for table, extra in demo_rows(read_demo(demo_path), today).items():
        rows.setdefault(table, []).extend(extra)
    rows["store_meta"] = [
        {"key": "created_at", "value": today.isoformat()},
        {"key": "seed", "value": str(seed)},
        {"key": "loaded_at", "value": stamp(datetime.now())},
    ]
    async with db.transaction() as tx:
        await tx.advisory_lock(SETUP_LOCK)
        if not reset and await is_loaded(tx):
            return {}
        for table in COMMERCE_TABLES:
            await tx.write(f"DELETE FROM {table}")
        await tx.write(f"DELETE FROM {EFFECTS}")  # the effects they recorded are gone with them
        for table in reversed(COMMERCE_TABLES):
            await _insert(tx, table, rows.get(table, []))
    return {table: len(rows.get(table, [])) for table in reversed(COMMERCE_TABLES)}


async def _insert(tx: ShopTransaction, table: str, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    columns: list[str] = []
    for row in rows:
        columns.extend(k for k in row if k not in columns)
    values = [
        tuple(dumps(row.get(c)) if c in JSON_COLUMNS else row.get(c) for c in columns)
        for row in rows
    ]
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    await tx.write_many(sql, values)
