"""Store tools: happy paths, scoping to the customer, schemas and bad input turned into errors."""

from __future__ import annotations

import pytest

from support_tui.core.shop import ToolOutcome
from support_tui.shops.northwind.tools import SPECIALIST_TOOLS, TOOL_NAMES, TOOLS
from tests.northwind_harness import Conversation


def ctx_for(db, customer_id: str = "cust_12345", *, last_customer_message: str = "") -> Conversation:
    return Conversation(db, customer_id, message=last_customer_message)


async def run_tool(name: str, arguments, conv: Conversation) -> ToolOutcome:
    return await conv.call(name, arguments)


async def ok(name: str, arguments, ctx: Conversation) -> dict:
    outcome = await run_tool(name, arguments, ctx)
    assert outcome.status == "ok", outcome
    return outcome.result


def test_schemas_cover_every_tool_the_team_uses():
    used = {tool for tools in SPECIALIST_TOOLS.values() for tool in tools}
    assert used <= set(TOOL_NAMES)
    schemas = [TOOLS[name].schema() for name in TOOL_NAMES]
    assert [s["function"]["name"] for s in schemas] == list(TOOL_NAMES)
    for schema in schemas:
        assert schema["type"] == "function" and schema["function"]["description"]
        assert schema["function"]["parameters"]["type"] == "object"
    assert TOOLS["lookup_order"].schema()["function"]["parameters"]["required"] == ["order_id"]


async def test_lookup_order(db):
    order = (await ok("lookup_order", {"order_id": "ORD-67890"}, ctx_for(db)))["order"]
    assert order["status"] == "shipped" and order["currency"] == "USD" and order["total"] == 161.99
    assert order["carrier"] == "UPS" and order["tracking_number"] == "1Z999AA10123456784"
    assert order["items"][0]["sku"] == "AS-9001-BLK" and "Wireless Headphones" in order["items"][0]["name"]
    assert order["shipping_address"]["city"] == "Portland"


@pytest.mark.parametrize("spelling", ["67890", "#67890", "ord-67890", "ORD 67890", "order 67890"])
async def test_order_numbers_are_normalised(db, spelling):
    assert (await ok("lookup_order", {"order_id": spelling}, ctx_for(db)))["order"]["order_id"] == "ORD-67890"


async def test_list_orders_and_filter(db):
    orders = (await ok("list_orders", {}, ctx_for(db)))["orders"]
    assert [o["order_id"] for o in orders] == ["ORD-67890", "ORD-67891", "ORD-54321"]
    delivered = (await ok("list_orders", {"status": "delivered", "limit": 1}, ctx_for(db)))["orders"]
    assert [o["order_id"] for o in delivered] == ["ORD-67891"]


async def test_track_shipment(db):
    result = await ok("track_shipment", {"order_id": "ORD-67890"}, ctx_for(db))
    assert result["estimated_delivery"] == "2026-03-18" and len(result["events"]) == 5
    assert result["events"][0]["description"] == "Shipping label created"


async def test_search_and_get_product(db):
    found = (await ok("search_products", {"query": "wireless headphones for iPhone"}, ctx_for(db)))["products"]
    assert found[0]["name"] == "Northwind AeroSound Wireless Headphones" and len(found) == 5
    assert (await ok("search_products", {"query": "zzzz"}, ctx_for(db)))["products"] == []
    for key in ({"product_id": "P-9001"}, {"product_id": "AS-9001-WHT"}, {"name": "aerosound wireless headphones"}):
        product = (await ok("get_product", key, ctx_for(db)))["product"]
        assert product["product_id"] == "P-9001" and "Android 10+" in product["compatibility"]
        assert product["warranty_months"] == 24 and len(product["variants"]) == 2
    missing = await run_tool("get_product", {"product_id": "P-0"}, ctx_for(db))
    assert missing.status == "error" and "No product matches" in missing.error


async def test_check_return_eligibility(db):
    recent = await ok("check_return_eligibility", {"order_id": "ORD-67891", "sku": "PC-9002-BLK"}, ctx_for(db))
    assert recent["eligible"] and recent["days_since_delivery"] == 5 and recent["window_days"] == 30
    assert recent["refundable_amount"] == 32.39 and len(recent["items"]) == 1
    old = await ok("check_return_eligibility", {"order_id": "ORD-54321"}, ctx_for(db))
    assert not old["eligible"] and "65 days" in old["reason"] and old["refundable_amount"] == 0
    shipped = await ok("check_return_eligibility", {"order_id": "ORD-67890"}, ctx_for(db))
    assert not shipped["eligible"] and "not been delivered" in shipped["reason"]


async def test_explain_charges_finds_the_double_charge(db):
    result = await ok("explain_charges", {}, ctx_for(db))
    assert result["duplicates"] == [{"order_id": "ORD-67890", "charge_ids": ["ch_67890a", "ch_67890b"],
                                     "amount": 161.99, "duplicate_amount": 161.99, "refunded_amount": 0.0,
                                     "left_to_refund": 161.99, "refunded": False}]
    assert "charged $161.99 2 times" in result["summary"]
    one = await ok("explain_charges", {"order_id": "ORD-67891"}, ctx_for(db))
    assert [c["charge_id"] for c in one["charges"]] == ["ch_67891"] and one["duplicates"] == []


async def test_billing_history_account_and_login_link(db):
    history = await ok("get_billing_history", {"limit": 2}, ctx_for(db))
    assert len(history["charges"]) == 2 and history["payment_methods"][0]["last4"] == "4242"
    account = (await ok("get_account", {}, ctx_for(db)))["customer"]
    assert account["name"] == "Sarah Johnson" and account["tier"] == "premium" and account["addresses"]
    link = await ok("send_login_link", {"kind": "magic_link"}, ctx_for(db, "cust_56789"))
    assert link["sent_to"] == "e***z@example.com" and link["kind"] == "magic_link" and "unlocks" in link["note"]


async def test_transfer_and_escalate_only_describe_the_move(db):
    assert await ok("transfer_to_specialist", {"agent": "billing_payment", "reason": "double charge"}, ctx_for(db)) == {
        "agent": "billing_payment", "reason": "double charge"}
    assert await ok("escalate_to_human", {"reason": "legal threat", "priority": "urgent"}, ctx_for(db)) == {
        "reason": "legal threat", "priority": "urgent"}
    bad = await run_tool("transfer_to_specialist", {"agent": "escalation_manager", "reason": "x"}, ctx_for(db))
    assert bad.status == "error" and "agent" in bad.error


async def test_list_returns_after_create(db):
    ctx = ctx_for(db)
    created = (await ctx.confirmed("create_return", {"order_id": "ORD-67891", "reason": "Case cracked", "kind": "refund",
                                                     "skus": ["PC-9002-BLK"]})).result
    assert created["rma_id"].startswith("RMA-") and len(created["rma_id"]) == 10 and created["amount"] == 32.39
    assert created["label_url"].endswith(created["rma_id"] + ".pdf") and created["status"] == "label_sent"
    listed = await ok("list_returns", {"order_id": "ORD-67891"}, ctx)
    assert [r["rma_id"] for r in listed["returns"]] == [created["rma_id"]]
    assert listed["refunds"][0]["amount"] == 32.39 and listed["refunds"][0]["status"] == "pending_receipt"
    again = await run_tool("check_return_eligibility", {"order_id": "ORD-67891", "sku": "PC-9002-BLK"}, ctx)
    assert not again.result["eligible"] and again.result["items"][0]["already_returned"]


CROSS = [
    ("lookup_order", {"order_id": "{id}"}),
    ("track_shipment", {"order_id": "{id}"}),
    ("check_return_eligibility", {"order_id": "{id}"}),
    ("list_returns", {"order_id": "{id}"}),
    ("explain_charges", {"order_id": "{id}"}),
    ("create_return", {"order_id": "{id}", "reason": "x", "kind": "refund"}),
    ("issue_refund", {"order_id": "{id}", "amount": 10, "reason": "x"}),
    ("cancel_order", {"order_id": "{id}", "reason": "x"}),
    ("change_shipping_address", {"order_id": "{id}", "street": "1 Main St", "city": "X", "postal_code": "12345", "country": "US"}),
]


@pytest.mark.parametrize("name,template", CROSS)
async def test_another_customers_order_looks_like_a_missing_one(db, name, template):
    ctx = ctx_for(db, last_customer_message="yes")
    other = {k: (v.format(id="ORD-70001") if isinstance(v, str) else v) for k, v in template.items()}
    missing = {k: (v.format(id="ORD-99999") if isinstance(v, str) else v) for k, v in template.items()}
    a, b = await run_tool(name, other, ctx), await run_tool(name, missing, ctx)
    assert (a.status, b.status) == ("error", "error")
    assert a.error == "Order ORD-70001 was not found for this customer."
    assert b.error == "Order ORD-99999 was not found for this customer."
    assert ctx.state.proposal is None


@pytest.mark.parametrize(
    "name,arguments,needle",
    [
        ("lookup_order", {}, "order_id: Field required"),
        ("lookup_order", "{not json", "not valid JSON"),
        ("lookup_order", "[1, 2]", "must be a JSON object"),
        ("list_orders", {"status": "lost"}, "status"),
        ("list_orders", {"limit": "many"}, "limit"),
        ("issue_refund", {"order_id": "ORD-67890", "amount": -5, "reason": "x"}, "amount"),
        ("create_return", {"order_id": "ORD-67891", "reason": "x", "kind": "gift"}, "kind"),
        ("update_account", {"field": "password", "value": "x"}, "field"),
        ("get_product", {}, "give product_id or name"),
        ("teleport_order", {}, "Unknown tool 'teleport_order'"),
    ],
)
async def test_bad_input_is_an_error_not_an_exception(db, name, arguments, needle):
    outcome = await run_tool(name, arguments, ctx_for(db))
    assert outcome.status == "error" and needle in outcome.error


async def test_json_string_arguments_and_stray_keys_are_accepted(db):
    outcome = await run_tool("lookup_order", '{"order_id": "ORD-67891", "customer_id": "cust_23456"}', ctx_for(db))
    assert outcome.status == "ok" and outcome.result["order"]["order_id"] == "ORD-67891"
    assert (await run_tool("get_account", "", ctx_for(db))).status == "ok"


async def test_a_database_fault_becomes_an_error(db):
    await db.close()
    outcome = await run_tool("lookup_order", {"order_id": "ORD-67890"}, ctx_for(db))
    assert outcome.status == "error" and "failed unexpectedly" in outcome.error
