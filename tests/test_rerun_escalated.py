"""F3 on an escalated case (issue 21): the chosen specialist answers, and no reply the customer saw is superseded."""

from __future__ import annotations

from support_tui.core.events import Notice, ReplyCompleted, RouteDecided

SARAH = "cust_12345"


async def test_rerun_on_an_escalated_case_uses_the_chosen_specialist_and_keeps_sent_replies(engine):
    conv = await engine.open_conversation(SARAH, new=True)
    [e async for e in engine.run_turn(conv.id, "Where is my order ORD-67890?")]
    await engine.escalate(conv.id, "VIP", priority="high")
    [e async for e in engine.run_turn(conv.id, "any news on ORD-67890?")]
    seen = [m.id for m in await engine.messages(conv.id) if m.role == "ai" and m.status == "sent"]
    assert len(seen) == 2

    events = [e async for e in engine.rerun_turn(conv.id, route_override="order_tracking")]
    route = next(e for e in events if isinstance(e, RouteDecided))
    assert route.agent == "order_tracking" and route.method == "override"
    reply = next(e for e in events if isinstance(e, ReplyCompleted))
    assert reply.agent == "order_tracking"
    assert sum(isinstance(e, Notice) and e.code == "rerun" for e in events) == 1
    after = {m.id: m.status for m in await engine.messages(conv.id)}
    assert [after[i] for i in seen] == ["sent", "sent"]  # the customer saw them: never marked superseded
