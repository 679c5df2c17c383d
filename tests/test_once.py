"""Money moves once: idempotency keys on Northwind's writes, replays of re-run turns, and exact money state.

On SQLite and PostgreSQL (the ``db`` fixture). The crash-point harness (test_crash_points.py) kills
real worker processes; these tests pin the rules it relies on, one call at a time.
"""

from __future__ import annotations

from typing import Any

from support_tui.core.shop import CallContext
from support_tui.core.state import ConversationState
from support_tui.core.turn.tools import ToolRunner
from support_tui.shops.northwind import NorthwindShop
from tests.conftest import STORE_DAY
from tests.northwind_harness import Conversation

REFUND = {"order_id": "ORD-67890", "amount": 161.99, "reason": "duplicate charge"}


def runner(shop: NorthwindShop, state: ConversationState, message_id: int, said: str, turn: str) -> ToolRunner:
    """One turn's runner: the customer's message ``message_id`` saying ``said``."""
    ctx = CallContext(customer_id="cust_12345", conversation_id="conv_once", turn_id=turn, message_id=message_id)
    return ToolRunner(shop, state, ctx, approval_threshold=200.0, last_customer_message=said)


async def count(db: Any, sql: str, *params: Any) -> int:
    return int(await db.scalar(sql, params))


async def test_a_yes_turn_run_again_replays_the_refund_instead_of_making_another(db):
    shop = NorthwindShop(db, today=STORE_DAY)
    state = ConversationState()
    proposed = await runner(shop, state, 1, "I was charged twice for ORD-67890", "turn_1").run("issue_refund", REFUND)
    assert proposed.outcome.rule == "customer_confirmation" and state.proposal and state.proposal.message_id == 1
    before = state.model_copy(deep=True)  # what a turn killed after the write still has stored

    done = await runner(shop, state, 2, "yes", "turn_2").run("issue_refund", REFUND)
    again = await runner(shop, before, 2, "yes", "turn_2b").run("issue_refund", REFUND)  # a re-claim of the yes

    assert done.outcome.status == again.outcome.status == "ok"
    assert again.outcome.result == done.outcome.result  # the recorded result, refund id and all
    assert await count(db, "SELECT COUNT(*) FROM refunds WHERE order_id = ? AND amount = 161.99", "ORD-67890") == 1
    assert await count(db, "SELECT COUNT(*) FROM shop_effects WHERE conversation_id = 'conv_once'") == 1
    assert before.proposal is None  # the replay consumed the confirmation, as the run did


async def test_re_running_the_request_replays_what_its_proposal_did(db):
    shop = NorthwindShop(db, today=STORE_DAY)
    state = ConversationState()
    await runner(shop, state, 1, "I was charged twice for ORD-67890", "turn_1").run("issue_refund", REFUND)
    await runner(shop, state, 2, "yes", "turn_2").run("issue_refund", REFUND)
    # F3 re-runs message 1: the same call for the same message is the effect already made, not a new proposal.
    rerun = await runner(shop, state, 1, "I was charged twice for ORD-67890", "turn_3").run("issue_refund", REFUND)
    assert rerun.outcome.status == "ok" and state.proposal is None
    assert await count(db, "SELECT COUNT(*) FROM refunds WHERE order_id = ? AND amount = 161.99", "ORD-67890") == 1
    # A new request (a later message) is a new effect: it needs its own yes, and the refund cap counts the first.
    fresh = await runner(shop, state, 3, "refund it again", "turn_4").run("issue_refund", REFUND)
    assert fresh.outcome.rule == "refund_cap"


async def test_a_partly_refunded_duplicate_offers_only_what_is_left(db):
    talk = Conversation(db)
    charges = await talk.call("explain_charges", {"order_id": "ORD-67890"})
    assert charges.result["duplicates"][0]["left_to_refund"] == 161.99
    partial = await talk.confirmed("issue_refund", {"order_id": "ORD-67890", "amount": 150.0, "reason": "duplicate charge"})
    assert partial.status == "ok"

    charges = await talk.call("explain_charges", {"order_id": "ORD-67890"})
    dup = charges.result["duplicates"][0]
    assert (dup["refunded"], dup["refunded_amount"], dup["left_to_refund"]) == (False, 150.0, 11.99)
    assert "at most $11.99 is left to refund" in charges.result["summary"]
    assert any("$11.99 left" in line for line in talk.shop.fact_lines("explain_charges", charges.result))

    again = await talk.call("issue_refund", {"order_id": "ORD-67890", "amount": 161.99, "reason": "duplicate charge"})
    assert again.status == "blocked" and again.rule == "refund_cap" and "$11.99" in (again.error or "")
    rest = await talk.confirmed("issue_refund", {"order_id": "ORD-67890", "amount": 11.99, "reason": "duplicate charge"})
    assert rest.status == "ok"
    dup = (await talk.call("explain_charges", {"order_id": "ORD-67890"})).result["duplicates"][0]
    assert dup["refunded"] and dup["left_to_refund"] == 0.0
