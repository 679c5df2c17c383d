"""Store policies: return window, cancellation, refund cap, customer confirmation and human approval."""

from __future__ import annotations

from datetime import date

import pytest

from tests.conftest import STORE_DAY

from support_tui.shops.northwind.policy import RULES, is_affirmative
from support_tui.shops.northwind.tools import ToolContext, run_tool
from support_tui.core.settings import Settings

TODAY = STORE_DAY
CASE_RETURN = {"order_id": "ORD-67891", "reason": "The case cracked", "kind": "refund", "skus": ["PC-9002-BLK"]}


def ctx_for(db, customer_id: str = "cust_12345", **kw) -> ToolContext:
    kw.setdefault("settings", Settings())
    return ToolContext(db=db, customer_id=customer_id, conversation_id="conv_test", **kw)


async def confirmed(name: str, arguments: dict, ctx: ToolContext, *, approved: bool = False):
    """Propose the call, have the customer say yes, call again."""
    first = await run_tool(name, arguments, ctx, approved=approved)
    if first.rule != "customer_confirmation":
        return first
    ctx.last_customer_message = "Yes please, go ahead"
    return await run_tool(name, arguments, ctx, approved=approved)


async def count(db, table: str) -> int:
    return await db.scalar(f"SELECT COUNT(*) FROM {table}")


def test_every_rule_has_a_name_and_one_line():
    assert set(RULES) >= {"return_window", "cancel_before_shipping", "refund_cap", "human_approval", "customer_confirmation"}
    assert all(text and "\n" not in text for text in RULES.values())


@pytest.mark.parametrize("text", ["yes", "Yes please", "yes, please do", "go ahead", "Confirm", "please do",
                                  "ok do it", "Sure!", "OK", "yep that's right", "That's fine, go ahead", "I confirm"])
def test_affirmatives(text):
    assert is_affirmative(text)


@pytest.mark.parametrize("text", ["no", "No thanks", "don't do that", "yes... actually no", "wait", "hmm, not sure",
                                  "what is the refund amount?", "can you check if it's ok", "", "I want a refund"])
def test_not_affirmatives(text):
    assert not is_affirmative(text)


async def test_confirmation_flow(db):
    ctx = ctx_for(db, last_customer_message="My phone case arrived cracked, I want my money back")
    first = await run_tool("create_return", CASE_RETURN, ctx)
    assert (first.status, first.rule) == ("blocked", "customer_confirmation")
    assert "ask the customer to confirm" in first.error
    assert ctx.state["proposal"]["name"] == "create_return"
    assert ctx.state["proposal"]["arguments"]["order_id"] == "ORD-67891"
    assert await count(db, "returns") == 22 and await count(db, "refunds") == 36

    ctx.last_customer_message = "no, not yet"
    refused = await run_tool("create_return", CASE_RETURN, ctx)
    assert (refused.status, refused.rule) == ("blocked", "customer_confirmation")
    assert await count(db, "returns") == 22

    ctx.last_customer_message = "yes please"
    done = await run_tool("create_return", CASE_RETURN, ctx)
    assert done.status == "ok" and done.result["amount"] == 32.39
    assert "proposal" not in ctx.state and await count(db, "returns") == 23


async def test_a_yes_to_another_proposal_does_not_count(db):
    ctx = ctx_for(db, "cust_45678", last_customer_message="yes")
    ctx.state["proposal"] = {"name": "cancel_order", "arguments": {"order_id": "ORD-70031", "reason": "x"}}
    other_order = await run_tool("cancel_order", {"order_id": "ORD-70030", "reason": "changed mind"}, ctx)
    assert other_order.rule == "customer_confirmation"
    assert ctx.state["proposal"]["arguments"]["order_id"] == "ORD-70030"
    other_tool = await run_tool("change_shipping_address", {"order_id": "ORD-70030", "street": "1 Main St",
                                                            "city": "Austin", "postal_code": "78701", "country": "US"}, ctx)
    assert other_tool.rule == "customer_confirmation"


async def test_a_refund_bigger_than_the_one_agreed_is_not_confirmed(db):
    ctx = ctx_for(db, last_customer_message="yes")
    ctx.state["proposal"] = {"name": "issue_refund", "arguments": {"order_id": "ORD-67890", "amount": 20, "reason": "x"}}
    bigger = await run_tool("issue_refund", {"order_id": "ORD-67890", "amount": 150, "reason": "x"}, ctx)
    assert bigger.rule == "customer_confirmation"


async def test_with_turn_ids_the_yes_must_come_in_a_later_turn(db):
    ctx = ctx_for(db, last_customer_message="yes", turn_id="turn_1")
    assert (await run_tool("issue_refund", {"order_id": "ORD-67890", "amount": 161.99, "reason": "dup"}, ctx)).rule == "customer_confirmation"
    same_turn = await run_tool("issue_refund", {"order_id": "ORD-67890", "amount": 161.99, "reason": "dup"}, ctx)
    assert same_turn.rule == "customer_confirmation"
    ctx.turn_id = "turn_2"
    assert (await run_tool("issue_refund", {"order_id": "ORD-67890", "amount": 161.99, "reason": "dup"}, ctx)).status == "ok"


async def test_return_window(db):
    ctx = ctx_for(db, last_customer_message="yes")
    old = await run_tool("create_return", {"order_id": "ORD-54321", "reason": "leaks", "kind": "refund"}, ctx)
    assert (old.status, old.rule) == ("blocked", "return_window") and "65 days" in old.error
    shipped = await run_tool("create_return", {"order_id": "ORD-67890", "reason": "late", "kind": "refund"}, ctx)
    assert (shipped.status, shipped.rule) == ("blocked", "return_window")
    assert "proposal" not in ctx.state  # hard rules come before confirmation
    narrow = ctx_for(db, settings=Settings(return_window_days=3))
    assert (await run_tool("create_return", CASE_RETURN, narrow)).rule == "return_window"
    assert (await confirmed("create_return", CASE_RETURN, ctx_for(db))).status == "ok"


async def test_cancel_before_shipping(db):
    ctx = ctx_for(db, "cust_45678")
    shipped = await confirmed("cancel_order", {"order_id": "ORD-70032", "reason": "too slow"}, ctx)
    assert (shipped.status, shipped.rule) == ("blocked", "cancel_before_shipping")
    done = await confirmed("cancel_order", {"order_id": "ORD-70030", "reason": "ordered by mistake"}, ctx)
    assert done.status == "ok" and done.result["status"] == "cancelled" and done.result["voided_authorizations"] == 1
    assert await db.scalar("SELECT status FROM orders WHERE id = 'ORD-70030'") == "cancelled"
    assert await db.scalar("SELECT status FROM charges WHERE order_id = 'ORD-70030'") == "voided"
    processing = await confirmed("cancel_order", {"order_id": "ORD-70031", "reason": "found it cheaper"}, ctx)
    assert processing.status == "ok" and processing.result["refund_amount"] == 57.81


async def test_address_change_only_before_shipping(db):
    address = {"street": "9 Elm St", "city": "Austin", "state": "TX", "postal_code": "78702", "country": "US"}
    ctx = ctx_for(db, "cust_45678")
    assert (await confirmed("change_shipping_address", {"order_id": "ORD-70032", **address}, ctx)).rule == "address_before_shipping"
    done = await confirmed("change_shipping_address", {"order_id": "ORD-70031", **address}, ctx)
    assert done.status == "ok" and done.result["shipping_address"]["street"] == "9 Elm St"
    looked = await run_tool("lookup_order", {"order_id": "ORD-70031"}, ctx)
    assert looked.result["order"]["shipping_address"]["postal_code"] == "78702"


async def test_refund_cap(db):
    ctx = ctx_for(db)
    over = await confirmed("issue_refund", {"order_id": "ORD-67891", "amount": 60, "reason": "defective"}, ctx)
    assert (over.status, over.rule) == ("blocked", "refund_cap") and "$52.41" in over.error
    full = await confirmed("issue_refund", {"order_id": "ORD-67891", "amount": 52.41, "reason": "defective"}, ctx)
    assert full.status == "ok" and full.result["status"] == "processed"
    more = await confirmed("issue_refund", {"order_id": "ORD-67891", "amount": 1, "reason": "goodwill"}, ctx)
    assert more.rule == "refund_cap" and "$0.00 can be refunded" in more.error
    unpaid = await confirmed("issue_refund", {"order_id": "ORD-70030", "amount": 5, "reason": "x"}, ctx_for(db, "cust_45678"))
    assert unpaid.rule == "refund_cap"


async def test_the_double_charge_can_be_refunded_and_then_shows_as_refunded(db):
    ctx = ctx_for(db)
    refund = await confirmed("issue_refund", {"order_id": "ORD-67890", "amount": 161.99, "reason": "duplicate charge"}, ctx)
    assert refund.status == "ok"
    charges = await run_tool("explain_charges", {"order_id": "ORD-67890"}, ctx)
    assert charges.result["duplicates"][0]["refunded"] is True


async def test_human_approval_over_the_threshold(db):
    ctx = ctx_for(db, "cust_23456")
    laptop = {"order_id": "ORD-70001", "reason": "screen flickers", "kind": "refund"}
    before = await count(db, "returns")
    pending = await confirmed("create_return", laptop, ctx)
    assert (pending.status, pending.rule) == ("pending_approval", "human_approval") and "$200.00 limit" in pending.error
    assert await count(db, "returns") == before
    ctx.last_customer_message = "so when will I hear back?"  # the approval arrives later
    approved = await run_tool("create_return", laptop, ctx, approved=True)
    assert approved.status == "ok" and approved.result["amount"] == 1402.92
    assert "confirmed" not in ctx.state and "proposal" not in ctx.state
    refund = await confirmed("issue_refund", {"order_id": "ORD-67890", "amount": 200.01, "reason": "x"}, ctx_for(db))
    assert refund.rule == "human_approval"
    at_limit = await confirmed("issue_refund", {"order_id": "ORD-67890", "amount": 161.99, "reason": "x"}, ctx_for(db))
    assert at_limit.status == "ok"


async def test_escalated_conversations_need_approval_for_any_refund(db):
    ctx = ctx_for(db, escalated=True)
    small = await confirmed("issue_refund", {"order_id": "ORD-67891", "amount": 5, "reason": "sorry"}, ctx)
    assert (small.status, small.rule) == ("pending_approval", "human_approval") and "escalated" in small.error
    assert (await run_tool("issue_refund", {"order_id": "ORD-67891", "amount": 5, "reason": "sorry"}, ctx, approved=True)).status == "ok"


async def test_approval_does_not_waive_hard_rules_or_confirmation(db):
    ctx = ctx_for(db, last_customer_message="hello")
    old = await run_tool("create_return", {"order_id": "ORD-54321", "reason": "x", "kind": "refund"}, ctx, approved=True)
    assert old.rule == "return_window"
    unconfirmed = await run_tool("issue_refund", {"order_id": "ORD-67891", "amount": 5, "reason": "x"}, ctx, approved=True)
    assert unconfirmed.rule == "customer_confirmation"


async def test_exchange_checks_the_wanted_variant(db):
    ctx = ctx_for(db)
    exchange = {"order_id": "ORD-67891", "reason": "wrong colour", "kind": "exchange", "skus": ["PC-9002-BLK"]}
    unknown = await confirmed("create_return", exchange | {"exchange_sku": "NOPE-1"}, ctx)
    assert unknown.status == "error" and "No item with SKU NOPE-1" in unknown.error
    done = await confirmed("create_return", exchange | {"exchange_sku": "PC-9002-CLR"}, ctx_for(db))
    assert done.status == "ok" and done.result["kind"] == "exchange" and done.result["amount"] == 0


async def test_update_account(db):
    ctx = ctx_for(db)
    bad = await confirmed("update_account", {"field": "email", "value": "not-an-email"}, ctx)
    assert bad.status == "error" and "not a valid email" in bad.error
    good = await confirmed("update_account", {"field": "email", "value": "sarah.j@example.org"}, ctx_for(db))
    assert good.status == "ok"
    assert await db.scalar("SELECT email FROM customers WHERE id = 'cust_12345'") == "sarah.j@example.org"
    moved = await confirmed("update_account", {"field": "address", "value": "1 Pine St, Eugene, OR, 97401, US"}, ctx_for(db))
    account = await run_tool("get_account", {}, ctx_for(db))
    assert moved.status == "ok" and account.result["customer"]["addresses"][0]["city"] == "Eugene"
