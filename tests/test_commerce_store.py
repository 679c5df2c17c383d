"""The store's generator, fixtures, demo customers and CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime, timedelta

import pytest

from tests.conftest import STORE_DAY
from tests.pg import BACKENDS, shop_database
from support_tui.shops.northwind.fixtures import is_loaded, load_fixtures, store_today
from support_tui.shops.northwind.generator import generate_store

TODAY = STORE_DAY


@pytest.fixture(params=BACKENDS)
async def empty_shop(request, tmp_path):
    """A database with the demo shop's tables and nothing in them, on each backend."""
    async with shop_database(request.param, request, tmp_path) as database:
        yield database


def _day(stamp: str) -> date:
    return datetime.fromisoformat(stamp).date()


def test_same_seed_same_rows_and_another_seed_differs():
    assert generate_store(TODAY) == generate_store(TODAY)
    assert generate_store(TODAY, seed=7)["orders"] != generate_store(TODAY)["orders"]


def test_generated_store_is_big_and_varied():
    rows = generate_store(TODAY)
    assert len(rows["customers"]) >= 50
    assert len(rows["products"]) >= 100
    assert len(rows["orders"]) >= 300
    assert {o["status"] for o in rows["orders"]} == {"pending", "processing", "shipped", "delivered", "cancelled"}
    assert {p["category"] for p in rows["products"]} == {"electronics", "accessories", "apparel", "home"}
    assert {c["tier"] for c in rows["customers"]} == {"standard", "plus", "premium", "vip"}
    with_items = {i["order_id"] for i in rows["order_items"]}
    assert all(o["id"] in with_items for o in rows["orders"])
    assert {c["order_id"] for c in rows["charges"]} == {o["id"] for o in rows["orders"]}
    assert rows["returns"] and rows["refunds"] and rows["tracking_events"]
    assert len({p["sku"] for p in rows["products"]}) == len(rows["products"])


def test_generated_dates_are_consistent_with_status():
    rows = generate_store(TODAY)
    for order in rows["orders"]:
        assert _day(order["placed_at"]) <= TODAY
        if order["status"] == "delivered":
            assert order["shipped_at"] <= order["delivered_at"] and _day(order["delivered_at"]) <= TODAY
        if order["status"] == "shipped":
            assert order["tracking_number"] and date.fromisoformat(order["estimated_delivery"]) >= TODAY
        if order["status"] in ("pending", "processing"):
            assert order["shipped_at"] is None and order["tracking_number"] is None
        total = round(order["subtotal"] + order["shipping_cost"] + order["tax"], 2)
        assert order["total"] == total


async def test_load_is_idempotent_and_reset_reloads(empty_shop):
    database = empty_shop
    assert not await is_loaded(database)
    counts = await load_fixtures(database, today=TODAY)
    assert counts["orders"] >= 300 and await is_loaded(database)
    assert await load_fixtures(database, today=TODAY) == {}
    await database.write("DELETE FROM tracking_events WHERE order_id = 'ORD-67890'")
    assert await load_fixtures(database, today=date(2026, 5, 1), reset=True)
    assert await store_today(database) == date(2026, 5, 1)
    assert await database.scalar("SELECT COUNT(*) FROM tracking_events WHERE order_id = 'ORD-67890'") > 0
    assert await database.scalar("SELECT COUNT(*) FROM orders") == counts["orders"]


async def test_sarah_johnson(db):
    sarah = await db.fetchone("SELECT * FROM customers WHERE id = 'cust_12345'")
    assert (sarah["name"], sarah["tier"], sarah["lifetime_value"]) == ("Sarah Johnson", "premium", 2850.00)

    headphones = await db.fetchone("SELECT * FROM orders WHERE id = 'ORD-67890'")
    assert headphones["customer_id"] == "cust_12345" and headphones["status"] == "shipped"
    assert headphones["carrier"] and headphones["tracking_number"]
    assert 1 <= (date.fromisoformat(headphones["estimated_delivery"]) - TODAY).days <= 5
    item = await db.fetchone("SELECT * FROM order_items WHERE order_id = 'ORD-67890'")
    assert "Wireless Headphones" in item["name"]
    product = await db.fetchone("SELECT * FROM products WHERE id = ?", (item["product_id"],))
    text = product["specs"] + product["compatibility"] + product["description"]
    assert all(word in text for word in ("iPhone", "iOS", "Android", "Bluetooth"))
    assert await db.scalar("SELECT COUNT(*) FROM tracking_events WHERE order_id = 'ORD-67890'") >= 3

    case_order = await db.fetchone("SELECT * FROM orders WHERE id = 'ORD-67891'")
    assert case_order["status"] == "delivered" and (TODAY - _day(case_order["delivered_at"])).days == 5
    case = await db.fetchone("SELECT * FROM order_items WHERE order_id = 'ORD-67891' AND name LIKE '%Case%'")
    assert case["price"] < 200

    old = await db.fetchone("SELECT * FROM orders WHERE id = 'ORD-54321'")
    assert old["customer_id"] == "cust_12345" and (TODAY - _day(old["delivered_at"])).days >= 60

    charges = await db.fetchall("SELECT * FROM charges WHERE order_id = 'ORD-67890' ORDER BY created_at")
    assert len(charges) == 2 and charges[0]["amount"] == charges[1]["amount"] == headphones["total"]
    gap = datetime.fromisoformat(charges[1]["created_at"]) - datetime.fromisoformat(charges[0]["created_at"])
    assert timedelta(0) < gap <= timedelta(minutes=10)


async def test_other_demo_customers(db):
    rows = {r["id"]: r for r in await db.fetchall("SELECT * FROM customers WHERE id IN "
                                                  "('cust_23456','cust_34567','cust_45678','cust_56789')")}
    assert len(rows) == 4 and rows["cust_34567"]["tier"] == "vip" and rows["cust_56789"]["tier"] == "standard"
    laptop = await db.fetchone("SELECT * FROM orders WHERE id = 'ORD-70001'")
    assert laptop["customer_id"] == "cust_23456" and laptop["status"] == "delivered" and laptop["total"] > 200
    assert (TODAY - _day(laptop["delivered_at"])).days < 30
    pending = await db.fetchone("SELECT * FROM orders WHERE id = 'ORD-70030'")
    assert pending["customer_id"] == "cust_45678" and pending["status"] == "pending"
    assert json.loads(rows["cust_56789"]["preferences"])["account_locked"] is True


async def test_demo_dates_follow_the_store_day(empty_shop):
    later = date(2027, 1, 2)
    await load_fixtures(empty_shop, today=later)
    delivered = await empty_shop.scalar("SELECT delivered_at FROM orders WHERE id = 'ORD-67891'")
    assert _day(delivered) == later - timedelta(days=5)


def test_cli_store_reset_and_customers(tmp_path, monkeypatch, capsys):
    from support_tui.cli import main

    monkeypatch.setenv("SUPPORT_TUI_HOME", str(tmp_path / "home"))
    assert main(["store", "reset", "--today", "2026-03-15"]) == 0
    assert "330 orders" in capsys.readouterr().out
    assert main(["customers", "--json"]) == 0
    customers = json.loads(capsys.readouterr().out)
    sarah = next(c for c in customers if c["customer_id"] == "cust_12345")
    assert sarah == {"customer_id": "cust_12345", "name": "Sarah Johnson", "tier": "premium",
                     "lifetime_value": 2850.0, "orders": 3}
    assert main(["customers"]) == 0
    table = capsys.readouterr().out
    assert "Sarah Johnson" in table and "LIFETIME VALUE" in table
    assert main(["store", "status"]) == 0
    assert "2026-03-15" in capsys.readouterr().out


def test_commerce_never_imports_textual_or_rich():
    code = ("import sys; import support_tui.shops.northwind.tools, support_tui.shops.northwind.fixtures; "
            "bad = [m for m in ('textual', 'rich') if m in sys.modules]; print(bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
