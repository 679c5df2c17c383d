"""The engine's contracts end to end: what a customer confirms is what runs, a person's words stay internal,
closed means closed, escalated cases say who answers, and the engine runs on any shop."""

from __future__ import annotations

import re

import pytest

from support_tui.core.engine import Engine, SupportEngine
from support_tui.core.events import (
    ConversationChanged,
    ReplyCompleted,
    RouteDecided,
    ToolCallFinished,
)
from support_tui.core.settings import Settings
from support_tui.core.state import ConversationState
from support_tui.core.store.sql.sqlite import Database
from support_tui.core.store.records.support_store import SQLSupportStore
from support_tui.core.turn.reply import quotes_internal
from tests.conftest import run
from tests.tiny_shop import CafeShop, ScriptedWaiter, Stand

SARAH = "cust_12345"
MONEY = re.compile(r"\$\d[\d,]*\.\d\d")


def _calls(events, name: str) -> list[ToolCallFinished]:
    return [e for e in events if isinstance(e, ToolCallFinished) and e.name == name]


def _reply(events) -> ReplyCompleted:
    return next(e for e in events if isinstance(e, ReplyCompleted))


async def test_the_engine_satisfies_its_protocol(engine):
    assert isinstance(engine, SupportEngine)


async def test_seed_return_quotes_the_product_by_name_and_the_amount_that_runs(engine):
    conv = await engine.open_conversation(SARAH, new=True)
    first = await run(engine, conv.id, "I received a defective phone case and want to return it for a refund")
    blocked = _calls(first, "create_return")
    assert blocked and blocked[-1].rule == "customer_confirmation"
    quote = blocked[-1].result["proposal"]
    reply = _reply(first).text
    assert "ArmorFlex" in reply and "PC-9002" not in reply
    assert MONEY.findall(reply) == [f"${quote['amount']:,.2f}"], reply  # one amount: the quote's
    second = await run(engine, conv.id, "yes")
    created = [c for c in _calls(second, "create_return") if c.status == "ok"]
    assert created and created[0].arguments == blocked[-1].arguments
    assert created[0].result["amount"] == quote["amount"]


async def _waiting_refund(engine) -> tuple[str, str]:
    conv = await engine.open_conversation("cust_23456", new=True)
    events = await run(engine, conv.id, "Please refund 1402.92 for order ORD-70001", route_override="returns_refunds")
    if any(c.rule == "customer_confirmation" for c in _calls(events, "issue_refund")):
        await run(engine, conv.id, "yes")
    pending = await engine.pending_tool_calls(conv.id)
    assert pending and pending[0].name == "issue_refund"
    return conv.id, pending[0].call_id


REASON = "Scratches are cosmetic damage, not covered by warranty; offer a $50 goodwill credit instead"


async def test_a_deny_reason_reaches_the_trace_and_the_model_never_the_customer(engine):
    conv_id, call_id = await _waiting_refund(engine)
    events = [e async for e in engine.resolve_tool_call(conv_id, call_id, approve=False, reason=REASON, by="sam")]
    reply = _reply(events).text
    assert "cosmetic" not in reply.lower() and "goodwill" not in reply.lower() and "$50" not in reply
    customer_sees = " ".join(m.text for m in await engine.messages(conv_id) if m.role != "customer")
    assert "cosmetic" not in customer_sees.lower()
    trace = await engine.trace(conv_id)
    decided = [e for e in trace if isinstance(e, ConversationChanged) and e.change == "call_denied"]
    assert decided and REASON in decided[-1].detail and decided[-1].by == "sam"
    denied = [e for e in trace if isinstance(e, ToolCallFinished) and e.rule == "human_denied"]
    assert denied and REASON in (denied[-1].error or "")


def test_a_reply_that_repeats_a_persons_note_is_caught():
    assert quotes_internal("We can't: scratches are cosmetic damage, not covered by warranty.", [REASON])
    assert not quotes_internal("I'm sorry, we can't refund this one. Is there anything else?", [REASON])


async def test_edited_arguments_that_fail_the_schema_cannot_be_approved(engine):
    conv_id, call_id = await _waiting_refund(engine)
    problems = await engine.check_tool_arguments(conv_id, call_id, {"order_id": "ORD-70001", "amount": "lots", "reason": "x"})
    assert problems and "amount" in problems[0]
    with pytest.raises(ValueError):
        [e async for e in engine.resolve_tool_call(conv_id, call_id, approve=True,
                                                   arguments={"order_id": "ORD-70001", "amount": -1, "reason": "x"})]
    assert await engine.pending_tool_calls(conv_id)  # nothing ran, it still waits
    assert await engine.shop.db.scalar("SELECT COUNT(*) FROM refunds WHERE order_id='ORD-70001'") == 0


async def test_an_edited_approval_needs_the_customers_yes_to_the_new_amount(engine):
    conv_id, call_id = await _waiting_refund(engine)
    edited = {"order_id": "ORD-70001", "amount": 500.0, "reason": "partial refund agreed"}
    events = [e async for e in engine.resolve_tool_call(conv_id, call_id, approve=True, arguments=edited)]
    ran = _calls(events, "issue_refund")
    assert [(c.status, c.rule) for c in ran] == [("blocked", "customer_confirmation")]
    assert "$500.00" in _reply(events).text
    assert await engine.shop.db.scalar("SELECT COUNT(*) FROM refunds WHERE order_id='ORD-70001'") == 0
    after_yes = await run(engine, conv_id, "yes")
    done = [c for c in _calls(after_yes, "issue_refund") if c.status == "ok"]
    assert done and done[0].arguments["amount"] == 500.0  # the person's approval stands; no second wait
    assert await engine.shop.db.scalar("SELECT SUM(amount) FROM refunds WHERE order_id='ORD-70001'") == 500.0


async def test_a_customer_message_reopens_a_closed_conversation_everywhere(engine):
    conv = await engine.open_conversation(SARAH, new=True)
    await run(engine, conv.id, "Where is my order ORD-67890?")
    await engine.close_conversation(conv.id, "resolved", by="sam")
    await engine.rate(conv.id, 5)
    assert conv.id not in [c.id for c in await engine.conversations()]
    open_before = (await engine.metrics()).outcomes["open"]
    events = await run(engine, conv.id, "Actually, one more thing: can I change the delivery address?")
    reopened = [e for e in events if isinstance(e, ConversationChanged) and e.change == "reopened"]
    assert reopened and reopened[0].status == "open"
    assert any(isinstance(e, ReplyCompleted) for e in events)
    stored = await engine.get_conversation(conv.id)
    assert stored.status == "open" and stored.outcome is None and stored.closed_at is None
    assert ConversationState.load(stored.state).reopened == 1
    assert conv.id in [c.id for c in await engine.conversations()]
    card = await engine.customer_card(SARAH)
    assert conv.id in [t["conversation_id"] for t in card.open_tickets]
    assert (await engine.metrics()).outcomes["open"] == open_before + 1
    assert [e.change for e in await engine.trace(conv.id) if isinstance(e, ConversationChanged)] == ["closed", "rated", "reopened"]


async def test_closing_takes_an_outcome(engine):
    conv = await engine.open_conversation(SARAH, new=True)
    with pytest.raises(ValueError):
        await engine.close_conversation(conv.id, "fixed")
    await engine.close_conversation(conv.id, "abandoned")
    assert (await engine.get_conversation(conv.id)).outcome == "abandoned"


async def test_an_escalated_case_shows_who_answers_and_keeps_the_new_question(engine):
    conv = await engine.open_conversation(SARAH, new=True)
    await run(engine, conv.id, "I was charged twice for ORD-67890 and I want to speak to a manager now")
    assert (await engine.get_conversation(conv.id)).status == "escalated"
    events = await run(engine, conv.id, "The mobile app keeps crashing when I try to log in")
    route = next(e for e in events if isinstance(e, RouteDecided))
    reply = _reply(events)
    assert route.agent == reply.agent == "escalation_manager" and route.method == "escalated"
    assert "technical_support" in route.reason
    added = [e for e in events if isinstance(e, ConversationChanged) and e.change == "case_updated"]
    assert added and "crashing" in added[0].detail
    state = ConversationState.load((await engine.get_conversation(conv.id)).state)
    assert state.escalation is not None and any("crashing" in q for q in state.escalation.follow_ups)


async def test_the_engine_runs_on_a_tiny_second_shop(tmp_path):
    db = await Database.open(tmp_path / "cafe.db")
    store = SQLSupportStore(db)
    shop = CafeShop()
    stand = Stand()
    engine = Engine(settings=Settings(fallback_models=[]), store=store, shop=shop, kb=stand, embedder=stand,
                    router=stand, models=ScriptedWaiter(), on_close=db.close)
    try:
        conv = await engine.open_conversation("guest_1", new=True)
        late = await run(engine, conv.id, "A table at 23 please")
        assert [(c.name, c.status, c.rule) for c in _calls(late, "book_table")] == [("book_table", "blocked", "opening_hours")]
        asked = await run(engine, conv.id, "A table at 19 please")
        assert _calls(asked, "book_table")[-1].rule == "customer_confirmation"
        assert "I'll book a table for 2 at 19:00 tonight." in _reply(asked).text
        assert shop.bookings == {}
        booked = await run(engine, conv.id, "yes")
        assert [c.status for c in _calls(booked, "book_table")] == ["ok"]
        assert shop.bookings == {"B1": {"hour": 19, "guests": 2}}
        assert "Done: booking B1." in _reply(booked).text
        assert set(engine.rules()) >= {"opening_hours", "customer_confirmation", "human_approval"}
        card = await engine.customer_card("guest_1")
        assert [o.order_id for o in card.recent_orders] == ["B1"]
    finally:
        await engine.close()


async def test_edited_arguments_with_a_key_the_tool_does_not_have_are_refused(engine):
    conv_id, call_id = await _waiting_refund(engine)
    pending = (await engine.pending_tool_calls(conv_id))[0]
    smuggled = dict(pending.arguments, amout=9999)
    problems = await engine.check_tool_arguments(conv_id, call_id, smuggled)
    assert problems and "'amout'" in problems[0] and "nothing ran" in problems[0]
    with pytest.raises(ValueError, match="amout"):
        [e async for e in engine.resolve_tool_call(conv_id, call_id, approve=True, arguments=smuggled)]
    assert await engine.pending_tool_calls(conv_id)  # nothing ran, it still waits
    assert await engine.shop.db.scalar("SELECT COUNT(*) FROM refunds WHERE order_id='ORD-70001'") == 0


async def test_the_trace_records_the_edited_arguments_as_they_ran(engine):
    conv_id, call_id = await _waiting_refund(engine)
    edited = {"order_id": "ORD-70001", "amount": 300, "reason": "partial refund agreed"}  # an int, run as 300.0
    events = [e async for e in engine.resolve_tool_call(conv_id, call_id, approve=True, arguments=edited)]
    decided = next(e for e in events if isinstance(e, ConversationChanged) and e.change == "call_approved")
    ran = _calls(events, "issue_refund")[0]
    assert ran.arguments == {"order_id": "ORD-70001", "amount": 300.0, "reason": "partial refund agreed"}
    assert f"with edited arguments {ran.arguments}" in decided.detail


async def test_after_a_partial_refund_the_duplicate_charge_proposal_is_what_is_left(engine):
    await engine.shop.db.write(  # a person approved $150 of the $161.99 duplicate earlier
        "INSERT INTO refunds (id, order_id, customer_id, amount, reason, status, created_at)"
        " VALUES ('rf_partial', 'ORD-67890', 'cust_12345', 150.0, 'duplicate charge', 'processed', '2026-03-15T10:00:00')")
    conv = await engine.open_conversation("cust_12345", new=True)
    events = await run(engine, conv.id, "I think I was charged twice for order ORD-67890, can you check?")
    proposed = _calls(events, "issue_refund")
    assert proposed and proposed[-1].rule == "customer_confirmation"
    assert proposed[-1].arguments["amount"] == 11.99
    reply = _reply(events).text
    assert "$11.99" in reply and "$161.99 for" not in reply
