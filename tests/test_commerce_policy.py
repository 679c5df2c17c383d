"""Store policies: return window, cancellation, refund cap, customer confirmation and human approval."""

from __future__ import annotations

import pytest

from support_tui.core.language import is_affirmative
from support_tui.core.turn.tools import ENGINE_RULES
from support_tui.shops.northwind.policy import RULES
from tests.northwind_harness import Conversation

CASE_RETURN = {"order_id": "ORD-67891", "reason": "The case cracked", "kind": "refund", "skus": ["PC-9002-BLK"]}


async def count(db, table: str) -> int:
    return await db.scalar(f"SELECT COUNT(*) FROM {table}")


def test_every_rule_has_a_name_and_one_line():
    rules = {**RULES, **ENGINE_RULES}
    assert set(rules) >= {"return_window", "cancel_before_shipping", "refund_cap", "human_approval", "customer_confirmation"}
    assert all(text and "\n" not in text for text in rules.values())


@pytest.mark.parametrize("text", ["yes", "Yes please", "yes, please do", "go ahead", "Confirm", "please do",
                                  "ok do it", "Sure!", "OK", "yep that's right", "That's fine, go ahead", "I confirm"])
def test_affirmatives(text):
    assert is_affirmative(text)


@pytest.mark.parametrize("text", ["no", "No thanks", "don't do that", "yes... actually no", "wait", "hmm, not sure",
                                  "what is the refund amount?", "can you check if it's ok", "", "I want a refund"])
def test_not_affirmatives(text):
    assert not is_affirmative(text)


async def test_confirmation_flow(db):
    conv = Conversation(db, message="My phone case arrived cracked, I want my money back")
    first = await conv.call("create_return", CASE_RETURN)
    assert (first.status, first.rule) == ("blocked", "customer_confirmation")
    assert "ask them to confirm" in first.error
    proposal = conv.state.proposal
    assert proposal is not None and proposal.call.tool == "create_return"
    assert proposal.call.arguments["order_id"] == "ORD-67891"
    # The quote names the product, not its SKU, and its amount is what the return will refund.
    assert proposal.quote.amount == 32.39 and "ArmorFlex" in proposal.quote.summary and "PC-9002" not in proposal.quote.summary
    assert first.result == {"proposal": proposal.quote.model_dump(mode="json")}
    assert await count(db, "returns") == 22 and await count(db, "refunds") == 36

    conv.message = "no, not yet"
    refused = await conv.call("create_return", CASE_RETURN)
    assert (refused.status, refused.rule) == ("blocked", "customer_confirmation")
    assert await count(db, "returns") == 22

    conv.message = "yes please"
    done = await conv.call("create_return", CASE_RETURN)
    assert done.status == "ok" and done.result["amount"] == proposal.quote.amount
    assert conv.state.proposal is None and await count(db, "returns") == 23


ADDRESS = {"street": "9 Elm St", "city": "Austin", "state": "TX", "postal_code": "78702", "country": "US"}
CONFIRMED_VS_RUN = [
    ("create_return", "cust_12345", CASE_RETURN, CASE_RETURN | {"kind": "exchange", "exchange_sku": "PC-9002-CLR"}),
    ("create_return", "cust_12345", CASE_RETURN, {k: v for k, v in CASE_RETURN.items() if k != "skus"}),
    ("issue_refund", "cust_12345", {"order_id": "ORD-67890", "amount": 20, "reason": "x"},
     {"order_id": "ORD-67890", "amount": 19.99, "reason": "x"}),
    ("cancel_order", "cust_45678", {"order_id": "ORD-70031", "reason": "x"}, {"order_id": "ORD-70030", "reason": "x"}),
    ("change_shipping_address", "cust_45678", {"order_id": "ORD-70031", **ADDRESS},
     {"order_id": "ORD-70031", **ADDRESS, "street": "10 Elm St"}),
    ("update_account", "cust_12345", {"field": "email", "value": "a@example.org"}, {"field": "email", "value": "b@example.org"}),
]


@pytest.mark.parametrize("tool,customer,proposed,run", CONFIRMED_VS_RUN, ids=lambda v: v if isinstance(v, str) else "")
async def test_a_write_that_differs_from_the_confirmed_proposal_is_blocked(db, tool, customer, proposed, run):
    """A customer agrees to exactly what runs: any other arguments need a new proposal and a new yes."""
    conv = Conversation(db, customer, message="please do that", turn_id="turn_1")
    assert (await conv.call(tool, proposed)).rule == "customer_confirmation"
    conv.message, conv.turn_id = "yes", "turn_2"
    other = await conv.call(tool, run)
    assert (other.status, other.rule) == ("blocked", "customer_confirmation")
    assert conv.state.proposal is not None and conv.state.proposal.call.arguments != proposed
    conv.turn_id = "turn_3"
    # The same yes again confirms the new proposal (the one the customer was just told about).
    assert (await conv.call(tool, run)).status == "ok"


async def test_a_yes_to_another_proposal_does_not_count(db):
    conv = Conversation(db, "cust_45678", message="please cancel ORD-70031")
    await conv.call("cancel_order", {"order_id": "ORD-70031", "reason": "x"})
    conv.message = "yes"
    other_order = await conv.call("cancel_order", {"order_id": "ORD-70030", "reason": "changed mind"})
    assert other_order.rule == "customer_confirmation"
    assert conv.state.proposal is not None and conv.state.proposal.call.arguments["order_id"] == "ORD-70030"
    other_tool = await conv.call("change_shipping_address", {"order_id": "ORD-70030", "street": "1 Main St",
                                                            "city": "Austin", "postal_code": "78701", "country": "US"})
    assert other_tool.rule == "customer_confirmation"


async def test_a_refund_other_than_the_one_agreed_is_not_confirmed(db):
    conv = Conversation(db, message="refund me 20")
    await conv.call("issue_refund", {"order_id": "ORD-67890", "amount": 20, "reason": "x"})
    conv.message = "yes"
    for amount in (150, 10):
        assert (await conv.call("issue_refund", {"order_id": "ORD-67890", "amount": amount, "reason": "x"})).rule == "customer_confirmation"


async def test_with_turn_ids_the_yes_must_come_in_a_later_turn(db):
    conv = Conversation(db, message="yes", turn_id="turn_1")
    refund = {"order_id": "ORD-67890", "amount": 161.99, "reason": "dup"}
    assert (await conv.call("issue_refund", refund)).rule == "customer_confirmation"
    assert (await conv.call("issue_refund", refund)).rule == "customer_confirmation"
    conv.turn_id = "turn_2"
    assert (await conv.call("issue_refund", refund)).status == "ok"


async def test_return_window(db):
    conv = Conversation(db, message="yes")
    old = await conv.call("create_return", {"order_id": "ORD-54321", "reason": "leaks", "kind": "refund"})
    assert (old.status, old.rule) == ("blocked", "return_window") and "65 days" in old.error
    shipped = await conv.call("create_return", {"order_id": "ORD-67890", "reason": "late", "kind": "refund"})
    assert (shipped.status, shipped.rule) == ("blocked", "return_window")
    assert conv.state.proposal is None  # hard rules come before confirmation
    assert (await Conversation(db, window_days=3).call("create_return", CASE_RETURN)).rule == "return_window"
    assert (await Conversation(db).confirmed("create_return", CASE_RETURN)).status == "ok"


async def test_cancel_before_shipping(db):
    conv = Conversation(db, "cust_45678")
    shipped = await conv.confirmed("cancel_order", {"order_id": "ORD-70032", "reason": "too slow"})
    assert (shipped.status, shipped.rule) == ("blocked", "cancel_before_shipping")
    done = await conv.confirmed("cancel_order", {"order_id": "ORD-70030", "reason": "ordered by mistake"})
    assert done.status == "ok" and done.result["status"] == "cancelled" and done.result["voided_authorizations"] == 1
    assert await db.scalar("SELECT status FROM orders WHERE id = 'ORD-70030'") == "cancelled"
    assert await db.scalar("SELECT status FROM charges WHERE order_id = 'ORD-70030'") == "voided"
    conv = Conversation(db, "cust_45678")
    processing = await conv.confirmed("cancel_order", {"order_id": "ORD-70031", "reason": "found it cheaper"})
    assert processing.status == "ok" and processing.result["refund_amount"] == 57.81


async def test_cancel_quote_is_the_refund_that_moves(db):
    conv = Conversation(db, "cust_45678")
    await conv.call("cancel_order", {"order_id": "ORD-70031", "reason": "x"})
    quote = conv.state.proposal.quote
    conv.message = "yes"
    done = await conv.call("cancel_order", {"order_id": "ORD-70031", "reason": "x"})
    assert quote.amount == done.result["refund_amount"] == 57.81


async def test_address_change_only_before_shipping(db):
    conv = Conversation(db, "cust_45678")
    assert (await conv.confirmed("change_shipping_address", {"order_id": "ORD-70032", **ADDRESS})).rule == "address_before_shipping"
    conv = Conversation(db, "cust_45678")
    done = await conv.confirmed("change_shipping_address", {"order_id": "ORD-70031", **ADDRESS})
    assert done.status == "ok" and done.result["shipping_address"]["street"] == "9 Elm St"
    looked = await conv.call("lookup_order", {"order_id": "ORD-70031"})
    assert looked.result["order"]["shipping_address"]["postal_code"] == "78702"


async def test_refund_cap(db):
    over = await Conversation(db).confirmed("issue_refund", {"order_id": "ORD-67891", "amount": 60, "reason": "defective"})
    assert (over.status, over.rule) == ("blocked", "refund_cap") and "$52.41" in over.error
    full = await Conversation(db).confirmed("issue_refund", {"order_id": "ORD-67891", "amount": 52.41, "reason": "defective"})
    assert full.status == "ok" and full.result["status"] == "processed"
    more = await Conversation(db).confirmed("issue_refund", {"order_id": "ORD-67891", "amount": 1, "reason": "goodwill"})
    assert more.rule == "refund_cap" and "$0.00 can be refunded" in more.error
    unpaid = await Conversation(db, "cust_45678").confirmed("issue_refund", {"order_id": "ORD-70030", "amount": 5, "reason": "x"})
    assert unpaid.rule == "refund_cap"


async def test_the_double_charge_can_be_refunded_and_then_shows_as_refunded(db):
    conv = Conversation(db)
    refund = await conv.confirmed("issue_refund", {"order_id": "ORD-67890", "amount": 161.99, "reason": "duplicate charge"})
    assert refund.status == "ok"
    charges = await conv.call("explain_charges", {"order_id": "ORD-67890"})
    assert charges.result["duplicates"][0]["refunded"] is True


async def test_human_approval_over_the_threshold(db):
    conv = Conversation(db, "cust_23456")
    laptop = {"order_id": "ORD-70001", "reason": "screen flickers", "kind": "refund"}
    before = await count(db, "returns")
    pending = await conv.confirmed("create_return", laptop)
    assert (pending.status, pending.rule) == ("pending_approval", "human_approval") and "$200.00 limit" in pending.error
    assert await count(db, "returns") == before
    conv.message = "so when will I hear back?"  # the approval arrives later
    approved = await conv.call("create_return", laptop, approved=True)
    assert approved.status == "ok" and approved.result["amount"] == 1402.92
    assert conv.state.confirmed == [] and conv.state.proposal is None
    refund = await Conversation(db).confirmed("issue_refund", {"order_id": "ORD-67890", "amount": 200.01, "reason": "x"})
    assert refund.rule == "human_approval"
    at_limit = await Conversation(db).confirmed("issue_refund", {"order_id": "ORD-67890", "amount": 161.99, "reason": "x"})
    assert at_limit.status == "ok"


async def test_escalated_conversations_need_approval_for_any_refund(db):
    conv = Conversation(db, escalated=True)
    small = await conv.confirmed("issue_refund", {"order_id": "ORD-67891", "amount": 5, "reason": "sorry"})
    assert (small.status, small.rule) == ("pending_approval", "human_approval") and "escalated" in small.error
    assert (await conv.call("issue_refund", {"order_id": "ORD-67891", "amount": 5, "reason": "sorry"}, approved=True)).status == "ok"


async def test_approval_does_not_waive_hard_rules_or_confirmation(db):
    conv = Conversation(db, message="hello")
    old = await conv.call("create_return", {"order_id": "ORD-54321", "reason": "x", "kind": "refund"}, approved=True)
    assert old.rule == "return_window"
    unconfirmed = await conv.call("issue_refund", {"order_id": "ORD-67891", "amount": 5, "reason": "x"}, approved=True)
    assert unconfirmed.rule == "customer_confirmation"


async def test_exchange_checks_the_wanted_variant(db):
    exchange = {"order_id": "ORD-67891", "reason": "wrong colour", "kind": "exchange", "skus": ["PC-9002-BLK"]}
    unknown = await Conversation(db).confirmed("create_return", exchange | {"exchange_sku": "NOPE-1"})
    assert unknown.status == "error" and "No item with SKU NOPE-1" in unknown.error
    conv = Conversation(db)
    done = await conv.confirmed("create_return", exchange | {"exchange_sku": "PC-9002-CLR"})
    assert done.status == "ok" and done.result["kind"] == "exchange" and done.result["amount"] == 0


async def test_update_account(db):
    bad = await Conversation(db).confirmed("update_account", {"field": "email", "value": "not-an-email"})
    assert bad.status == "error" and "not a valid email" in bad.error
    good = await Conversation(db).confirmed("update_account", {"field": "email", "value": "sarah.j@example.org"})
    assert good.status == "ok"
    assert await db.scalar("SELECT email FROM customers WHERE id = 'cust_12345'") == "sarah.j@example.org"
    moved = await Conversation(db).confirmed("update_account", {"field": "address", "value": "1 Pine St, Eugene, OR, 97401, US"})
    account = await Conversation(db).call("get_account", {})
    assert moved.status == "ok" and account.result["customer"]["addresses"][0]["city"] == "Eugene"
