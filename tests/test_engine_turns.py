"""The engine end to end through the offline model: the five seed scenarios and multi-turn cases."""

from __future__ import annotations

from datetime import date

import pytest

from support_tui.core.events import (
    EscalationRaised,
    HandoffMade,
    KnowledgeRetrieved,
    ReplyCompleted,
    RouteDecided,
    SentimentScored,
    ToolCallFinished,
    ToolCallRequested,
    TurnCompleted,
    TurnStarted,
)
from support_tui.core.turn.summary import summarise_turn
from tests.conftest import run

SARAH = "cust_12345"


async def _turn(engine, conv_id, text, **kw):
    events = await run(engine, conv_id, text, **kw)
    return events, summarise_turn(events).to_json()  # the ``ask --json`` object these tests read


async def test_event_sequence_of_a_tracking_turn(engine):
    conv = await engine.open_conversation(SARAH, new=True)
    events, s = await _turn(engine, conv.id, "Hi, I need to track my order #ORD-67890. When will it arrive?")
    kinds = [e.kind for e in events]
    assert isinstance(events[0], TurnStarted) and isinstance(events[-1], TurnCompleted)
    # The order of stages is the contract every view relies on.
    order = ["turn_started", "sentiment_scored", "route_decided", "knowledge_retrieved", "model_called", "reply_completed", "turn_completed"]
    positions = [kinds.index(k) for k in order]
    assert positions == sorted(positions)
    requested = {e.call_id for e in events if isinstance(e, ToolCallRequested)}
    finished = {e.call_id for e in events if isinstance(e, ToolCallFinished)}
    assert requested == finished and requested
    assert s["route"]["agent"] == "order_tracking"
    assert set(s["route"]["scores"]) >= {"order_tracking", "returns_refunds", "product_info", "billing_payment", "technical_support", "account_management"}
    assert any(c["name"] in ("track_shipment", "lookup_order") and c["arguments"].get("order_id") == "ORD-67890" for c in s["tool_calls"])
    assert "1Z999AA10123456784" in s["reply"]
    track = next(c for c in s["tool_calls"] if c["name"] == "track_shipment")
    eta = date.fromisoformat(track["result"]["estimated_delivery"][:10])
    assert f"{eta:%A} {eta.day} {eta:%B}" in s["reply"]  # the day as a customer reads it
    assert "2026-" not in s["reply"]
    assert s["model"] == "offline/support-agent" and s["fallbacks"] == []
    assert s["status"] == "completed"
    # The trace is stored: the same events come back.
    stored = await engine.trace(conv.id)
    assert [e.kind for e in stored] == kinds


async def test_customer_message_is_stored_before_events(engine):
    conv = await engine.open_conversation(SARAH, new=True)
    stream = engine.run_turn(conv.id, "Where is my parcel?")
    first = await stream.__anext__()
    assert isinstance(first, TurnStarted)
    messages = await engine.messages(conv.id)
    assert [m.text for m in messages if m.role == "customer"] == ["Where is my parcel?"]
    await stream.aclose()  # cancelled mid-turn: the message stays, the turn is marked
    turns = await engine.store.turns(conv.id)
    assert turns[-1].status == "cancelled"
    assert len([m for m in await engine.messages(conv.id) if m.role == "customer"]) == 1


async def test_defective_phone_case_return_needs_a_yes_then_creates_rma(engine):
    conv = await engine.open_conversation(SARAH, new=True)
    _, s = await _turn(engine, conv.id, "I received a defective phone case and want to return it for a refund")
    assert s["route"]["agent"] == "returns_refunds"
    names = [c["name"] for c in s["tool_calls"]]
    assert "check_return_eligibility" in names
    eligibility = next(c for c in s["tool_calls"] if c["name"] == "check_return_eligibility")
    assert eligibility["arguments"]["order_id"] == "ORD-67891" and eligibility["result"]["eligible"] is True
    created = [c for c in s["tool_calls"] if c["name"] == "create_return" and c["status"] == "ok"]
    if not created:
        blocked = [c for c in s["tool_calls"] if c["name"] == "create_return"]
        assert blocked and blocked[-1]["rule"] == "customer_confirmation"
        _, s = await _turn(engine, conv.id, "yes")
        created = [c for c in s["tool_calls"] if c["name"] == "create_return" and c["status"] == "ok"]
    assert created, s["tool_calls"]
    rma = created[0]["result"]["rma_id"]
    assert rma in s["reply"]
    row = await engine.shop.db.fetchone("SELECT order_id, status FROM returns WHERE rma_id = ?", (rma,))
    assert row["order_id"] == "ORD-67891"


async def test_headphones_compatibility_answered_from_product_data(engine):
    conv = await engine.open_conversation(SARAH, new=True)
    _, s = await _turn(engine, conv.id, "Can you tell me if the wireless headphones are compatible with iPhone?")
    assert s["route"]["agent"] == "product_info"
    product = next(c for c in s["tool_calls"] if c["name"] == "get_product" and c["status"] == "ok")
    compat = product["result"]["product"]["compatibility"]
    assert any("iPhone" in c or "iOS" in c for c in compat)
    assert "iPhone" in s["reply"]
    assert product["result"]["product"]["name"].split(" (")[0] in s["reply"]


async def test_angry_double_charge_escalates_with_packet(engine):
    conv = await engine.open_conversation(SARAH, new=True)
    events, s = await _turn(engine, conv.id, "I'm very upset! I was charged twice for my order and nobody is helping me!")
    esc = s["escalation"]
    assert esc["escalated"] is True and esc["reason"] and esc["priority"] in ("high", "urgent")
    packet = esc["packet"]
    assert any("Duplicate charge" in f and "ORD-67890" in f for f in packet["facts"]), packet["facts"]
    assert packet["customer"]["id"] == SARAH
    conv = await engine.get_conversation(conv.id)
    assert conv.status == "escalated"
    queue = await engine.conversations()
    assert queue[0].id == conv.id
    sentiment = next(e for e in events if isinstance(e, SentimentScored))
    assert sentiment.label in ("negative", "very_negative")
    assert s["agent"] == "escalation_manager"


async def test_app_crash_gets_troubleshooting_from_kb(engine):
    conv = await engine.open_conversation(SARAH, new=True)
    events, s = await _turn(engine, conv.id, "The mobile app keeps crashing when I try to log in")
    assert s["route"]["agent"] == "technical_support"
    assert s["kb"] and any("app" in k["doc_id"] for k in s["kb"])
    done = next(e for e in events if isinstance(e, ReplyCompleted))
    assert done.used_snippets, "the reply should draw on a retrieved snippet"
    assert any(k["chunk_id"] in done.used_snippets for k in s["kb"])


async def test_return_then_refund_question_then_anger_escalates_with_packet(engine):
    conv = await engine.open_conversation(SARAH, new=True)
    await _turn(engine, conv.id, "I received a defective phone case and want to return it for a refund")
    await _turn(engine, conv.id, "yes")
    _, s = await _turn(engine, conv.id, "When will my refund arrive?")
    assert s["route"]["agent"] == "returns_refunds"
    _, s = await _turn(engine, conv.id, "This is ridiculous, I want my money NOW! Let me talk to a manager!")
    assert s["escalation"]["escalated"]
    actions = s["escalation"]["packet"]["actions"]
    assert any("Return" in a and "RMA-" in a for a in actions), actions


async def test_order_then_product_question_hands_off_with_context(engine):
    conv = await engine.open_conversation(SARAH, new=True)
    await _turn(engine, conv.id, "Hi, I need to track my order #ORD-67890. When will it arrive?")
    events, s = await _turn(engine, conv.id, "Can you tell me if the wireless headphones are compatible with iPhone?")
    handoff = next(e for e in events if isinstance(e, HandoffMade))
    assert handoff.packet.from_agent == "order_tracking" and handoff.packet.to_agent == "product_info"
    assert any("1Z999AA10123456784" in f for f in handoff.packet.facts)
    conv = await engine.get_conversation(conv.id)
    assert conv.state["handoffs"][-1]["to_agent"] == "product_info"


async def test_follow_up_stays_with_current_specialist(engine):
    conv = await engine.open_conversation(SARAH, new=True)
    await _turn(engine, conv.id, "Hi, I need to track my order #ORD-67890. When will it arrive?")
    events, s = await _turn(engine, conv.id, "ok, thanks")
    assert s["route"]["agent"] == "order_tracking"
    assert not any(isinstance(e, HandoffMade) for e in events)


async def test_refund_over_limit_waits_for_approval_then_runs(engine):
    conv = await engine.open_conversation("cust_23456", new=True)
    _, s = await _turn(engine, conv.id, "Please refund 1402.92 for order ORD-70001, I don't want the laptop", route_override="returns_refunds")
    refund = [c for c in s["tool_calls"] if c["name"] == "issue_refund"]
    if refund and refund[-1]["rule"] == "customer_confirmation":
        _, s = await _turn(engine, conv.id, "yes")
        refund = [c for c in s["tool_calls"] if c["name"] == "issue_refund"]
    assert refund and refund[-1]["status"] == "pending_approval" and refund[-1]["rule"] == "human_approval"
    assert s["status"] == "awaiting_approval"
    pending = await engine.pending_tool_calls(conv.id)
    assert len(pending) == 1
    assert await engine.shop.db.scalar("SELECT COUNT(*) FROM refunds WHERE order_id='ORD-70001'") == 0
    events = [e async for e in engine.resolve_tool_call(conv.id, pending[0].call_id, approve=True)]
    finished = [e for e in events if isinstance(e, ToolCallFinished)]
    assert finished[0].status == "ok"
    assert await engine.shop.db.scalar("SELECT COUNT(*) FROM refunds WHERE order_id='ORD-70001'") == 1
    assert await engine.pending_tool_calls(conv.id) == []
    assert any(isinstance(e, ReplyCompleted) for e in events)


async def test_denied_tool_call_reason_goes_back_to_agent(engine):
    conv = await engine.open_conversation("cust_23456", new=True)
    _, s = await _turn(engine, conv.id, "Please refund 1402.92 for order ORD-70001", route_override="returns_refunds")
    if any(c["rule"] == "customer_confirmation" for c in s["tool_calls"]):
        await _turn(engine, conv.id, "yes")
    pending = await engine.pending_tool_calls(conv.id)
    assert pending
    events = [e async for e in engine.resolve_tool_call(conv.id, pending[0].call_id, approve=False, reason="laptop not returned yet")]
    finished = next(e for e in events if isinstance(e, ToolCallFinished))
    assert finished.status == "blocked" and finished.rule == "human_denied"
    assert "laptop not returned yet" in finished.error
    assert await engine.shop.db.scalar("SELECT COUNT(*) FROM refunds WHERE order_id='ORD-70001'") == 0


async def test_another_customers_order_is_not_found(engine):
    conv = await engine.open_conversation(SARAH, new=True)
    _, s = await _turn(engine, conv.id, "Where is my order ORD-70001?")
    lookups = [c for c in s["tool_calls"] if c["arguments"].get("order_id") == "ORD-70001"]
    assert lookups and all(c["status"] == "error" for c in lookups)
    assert all("not found for this customer" in c["error"] for c in lookups)
    assert "laptop" not in s["reply"].lower() and "Vantage" not in s["reply"]


async def test_supervised_mode_reply_is_a_draft_until_approved(engine):
    conv = await engine.open_conversation(SARAH, new=True)
    await engine.set_mode(conv.id, "supervised")
    conv = await engine.get_conversation(conv.id)
    events, s = await _turn(engine, conv.id, "Where is my order ORD-67890?")
    assert s["draft"] is True
    reply = next(e for e in events if isinstance(e, ReplyCompleted))
    assert (await engine.store.get_message(reply.message_id)).status == "draft"
    await engine.approve_draft(reply.message_id, text="Edited: it ships soon.")
    message = await engine.store.get_message(reply.message_id)
    assert (message.status, message.text) == ("sent", "Edited: it ships soon.")


async def test_take_over_stops_ai_replies_and_hand_back_resumes(engine):
    conv = await engine.open_conversation(SARAH, new=True)
    await engine.take_over(conv.id)
    _, s = await _turn(engine, conv.id, "Hello?")
    assert s["status"] == "human_active" and s["reply"] is None
    await engine.send_human_message(conv.id, "Hi Sarah, this is Sam from support.")
    await engine.hand_back(conv.id)
    _, s = await _turn(engine, conv.id, "Where is my order ORD-67890?")
    assert s["reply"] and s["status"] == "completed"


async def test_route_override_and_rerun(engine):
    conv = await engine.open_conversation(SARAH, new=True)
    await _turn(engine, conv.id, "Where is my order ORD-67890?")
    events = [e async for e in engine.rerun_turn(conv.id, route_override="billing_payment")]
    route = next(e for e in events if isinstance(e, RouteDecided))
    assert route.agent == "billing_payment" and route.method == "override"
    customer_messages = [m for m in await engine.messages(conv.id) if m.role == "customer"]
    assert len(customer_messages) == 1
    with pytest.raises(ValueError):
        engine.run_turn(conv.id, "x", route_override="nobody")


async def test_memory_of_earlier_conversation_reaches_the_next_one(engine):
    first = await engine.open_conversation(SARAH, new=True)
    await _turn(engine, first.id, "Hi, I need to track my order #ORD-67890. When will it arrive?")
    memories = await engine.store.memories(SARAH)
    assert memories and "ORD-67890" in memories[0].summary
    card = await engine.customer_card(SARAH)
    assert card.memory and card.customer.name == "Sarah Johnson" and card.customer.tier == "premium"
    assert await engine.forget_customer(SARAH) >= 1
    assert await engine.store.memories(SARAH) == []


async def test_kb_retrieval_event_has_scored_snippets(engine):
    conv = await engine.open_conversation(SARAH, new=True)
    events, _ = await _turn(engine, conv.id, "How long do refunds take to reach my card?")
    kb = next(e for e in events if isinstance(e, KnowledgeRetrieved))
    assert kb.snippets and all(s.title and s.text for s in kb.snippets)
    assert kb.snippets == sorted(kb.snippets, key=lambda s: -s.score)


async def test_manual_escalation(engine):
    conv = await engine.open_conversation(SARAH, new=True)
    await _turn(engine, conv.id, "Where is my order ORD-67890?")
    event = await engine.escalate(conv.id, "customer called in")
    assert isinstance(event, EscalationRaised) and event.rule == "manual"
    assert (await engine.get_conversation(conv.id)).status == "escalated"
