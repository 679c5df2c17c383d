"""Forks on the demo shop: turn N runs again on a sandbox rebuilt from the parent's calls; the parent and the live shop stay as they were."""

from __future__ import annotations

import pytest

from support_tui.core.events import Notice, ReplyCompleted, RouteDecided, ToolCallFinished, TurnStarted
from support_tui.core.turn.fork import ForkError

SARAH = "cust_12345"
RETURN = "I received a defective phone case and want to return it for a refund"


async def _turn(engine, conv_id, text, **kw):
    return [e async for e in engine.run_turn(conv_id, text, **kw)]


async def _returns(engine) -> list:
    outcome = await engine.read_shop(SARAH, "list_returns", {})
    assert outcome.status == "ok", outcome.error
    return outcome.result["returns"]


async def _snapshot(engine, conv_id):
    conv = await engine.get_conversation(conv_id)
    messages = [m.model_dump() for m in await engine.messages(conv_id)]
    trace = [e.model_dump() for e in await engine.trace(conv_id)]
    return conv.model_dump(exclude={"updated_at"}), messages, trace


@pytest.fixture
async def returned(engine):
    """Sarah asks to return the case (a proposal) and says yes (create_return runs on the live shop)."""
    conv = await engine.open_conversation(SARAH, new=True)
    first = await _turn(engine, conv.id, RETURN)
    assert any(isinstance(e, ToolCallFinished) and e.rule == "customer_confirmation" for e in first)
    second = await _turn(engine, conv.id, "yes")
    assert any(isinstance(e, ToolCallFinished) and e.name == "create_return" and e.status == "ok" for e in second)
    return conv


async def test_a_fork_of_the_yes_runs_the_return_on_a_sandbox_and_leaves_parent_and_shop_untouched(engine, returned):
    live_before = await _returns(engine)
    parent_before = await _snapshot(engine, returned.id)

    fork = await engine.fork(returned.id, turn=2)

    # turn 2 ran again: the rebuilt state held turn 1's proposal, so the yes ran the same return
    finished = [e for e in fork.events if isinstance(e, ToolCallFinished) and e.name == "create_return"]
    assert finished and finished[-1].status == "ok", [e for e in fork.events if isinstance(e, ToolCallFinished)]
    original = next(e for e in await engine.trace(returned.id) if isinstance(e, ToolCallFinished)
                    and e.name == "create_return" and e.status == "ok")
    assert finished[-1].arguments == original.arguments
    assert fork.replayed and all(r.status == "ok" for r in fork.replayed)
    assert not any(r.writes for r in fork.replayed), "turn 1 only read and proposed; nothing written to replay"

    # the parent conversation and the live shop are exactly as they were
    assert await _snapshot(engine, returned.id) == parent_before
    assert await _returns(engine) == live_before

    # the fork is a linked conversation with the messages before turn 2, then turn 2 again
    conv = await engine.get_conversation(fork.conversation_id)
    assert (conv.parent_id, conv.forked_at_turn) == (returned.id, 2)
    parent_messages = await engine.messages(returned.id)
    fork_messages = await engine.messages(fork.conversation_id)
    cut = next(i for i, m in enumerate(parent_messages) if m.role == "customer" and m.text == "yes")
    assert [(m.role, m.text) for m in fork_messages[:cut]] == [(m.role, m.text) for m in parent_messages[:cut]]
    assert fork_messages[cut].text == "yes" and fork_messages[cut].role == "customer"
    trace = await engine.trace(fork.conversation_id)
    notice = next(e for e in trace if isinstance(e, Notice))
    assert notice.code == "forked" and returned.id in notice.message and "turn 2" in notice.message
    assert any(isinstance(e, TurnStarted) and e.text == "yes" for e in trace)
    # a fork is not a customer contact: it leaves the customer's memory and the metrics alone
    assert all(m.conversation_id != fork.conversation_id for m in await engine.memories(SARAH))


async def test_a_second_fork_of_the_same_turn_sees_the_same_state(engine, returned):
    """Each fork starts from a fresh copy: the first fork's return is not in the second one's shop."""
    one = await engine.fork(returned.id, turn=2)
    two = await engine.fork(returned.id, turn=2)
    statuses = [[e.status for e in f.events if isinstance(e, ToolCallFinished) and e.name == "create_return"] for f in (one, two)]
    assert statuses[0] == statuses[1] and statuses[0][-1] == "ok"


async def test_a_fork_of_turn_1_with_another_specialist(engine, returned):
    fork = await engine.fork(returned.id, turn=1, route="order_tracking")
    route = next(e for e in fork.events if isinstance(e, RouteDecided))
    assert (route.agent, route.method) == ("order_tracking", "override")
    reply = next(e for e in fork.events if isinstance(e, ReplyCompleted))
    assert reply.conversation_id == fork.conversation_id
    assert fork.replayed == [] and (await engine.messages(fork.conversation_id))[0].text == RETURN


async def test_a_fork_of_a_turn_that_does_not_exist_says_so(engine, returned):
    with pytest.raises(ForkError, match="has 2 customer turns"):
        await engine.fork(returned.id, turn=3)
    with pytest.raises(LookupError, match="no conversation"):
        await engine.fork("conv_nope", turn=1)
    with pytest.raises(ValueError, match="unknown specialist"):
        await engine.fork(returned.id, turn=1, route="nobody")


async def test_later_messages_in_a_fork_run_on_its_sandbox_never_the_live_shop(engine, returned):
    fork = await engine.fork(returned.id, turn=1)  # the proposal again, on a sandbox
    live_before = await _returns(engine)
    events = await _turn(engine, fork.conversation_id, "yes")
    ran = [e for e in events if isinstance(e, ToolCallFinished) and e.name == "create_return"]
    assert ran and ran[-1].status == "ok"  # the fork's yes ran its return...
    assert await _returns(engine) == live_before  # ...on the fork's sandbox, not the live shop
