"""Changes of hands inside a turn: a hand-off between specialists, an escalation to a person."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, AsyncIterator

from support_tui.core import memory
from support_tui.core.turn.agent_loop import finished_event, new_call_id
from support_tui.shops.northwind.tools import run_tool
from support_tui.core.events import EscalationRaised, Event, HandoffMade, HandoffPacket, ToolCallRequested
from support_tui.core.specialists import ESCALATION_MANAGER
from support_tui.core.turn.helpers import CASE_FACT_TOOLS

if TYPE_CHECKING:
    from support_tui.core.turn.state import Turn


async def hand_off(turn: Turn, from_agent: str, to_agent: str, reason: str, customer: dict, sentiment) -> HandoffMade:
    packet = await _packet(turn, from_agent, to_agent, reason, customer, sentiment)
    handoffs = list(turn.state.get("handoffs", []))
    handoffs.append({"from": from_agent, "to": to_agent, "reason": reason, "turn_id": turn.turn_id})
    turn.state["handoffs"] = handoffs
    turn.state.pop("proposal", None)  # a proposal belongs to the agent that made it
    return turn.make(HandoffMade, packet=packet)  # type: ignore[return-value]


async def gather_case_facts(turn: Turn, agent: str, text: str) -> AsyncIterator[Event]:
    """Before a case goes to a person, look up what the routed specialist would have (read-only)."""
    ctx = turn.tool_context(text)
    for name, args in CASE_FACT_TOOLS(agent, text):
        call_id = new_call_id("case")
        yield turn.make(ToolCallRequested, call_id=call_id, name=name, arguments=args)
        started = time.perf_counter()
        outcome = await run_tool(name, args, ctx)
        yield finished_event(turn.make, call_id, name, args, outcome, started)


async def escalate(turn: Turn, rule: str, reason: str, priority: str, customer: dict, sentiment) -> EscalationRaised:
    store = turn.engine.store
    packet = await _packet(turn, turn.agent, "human", reason, customer, sentiment)
    turn.escalated = True
    turn.agent = ESCALATION_MANAGER
    turn.state["agent"] = ESCALATION_MANAGER
    turn.state["escalation"] = {"rule": rule, "reason": reason, "priority": priority}
    await store.update_conversation(turn.conv.id, status="escalated", priority=priority, escalation_reason=reason)
    return turn.make(EscalationRaised, rule=rule, reason=reason, priority=priority, packet=packet)  # type: ignore[return-value]


async def _packet(turn: Turn, from_agent: str | None, to_agent: str, reason: str, customer: dict, sentiment) -> HandoffPacket:
    """The packet from everything stored of the conversation plus this turn's events so far."""
    store = turn.engine.store
    return memory.build_packet(
        from_agent=from_agent,
        to_agent=to_agent,
        reason=reason,
        messages=await store.messages(turn.conv.id),
        events=[*await store.events(turn.conv.id), *turn.events],
        customer=customer,
        sentiment={"compound": sentiment.compound, "label": sentiment.label, "trend": sentiment.trend},
        proposal=turn.state.get("proposal"),
    )
