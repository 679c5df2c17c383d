"""Changes of hands inside a turn: a hand-off between specialists, an escalation to a person, the packet."""

from __future__ import annotations

import time
from typing import AsyncGenerator, AsyncIterator, Sequence

from support_tui.core import memory
from support_tui.core.events import EscalationRaised, Event, HandoffMade, HandoffPacket, SentimentScored, ToolCallRequested
from support_tui.core.shop import CustomerSummary
from support_tui.core.specialists import ESCALATION_MANAGER
from support_tui.core.state import EscalationState, HandoffRecord, Priority
from support_tui.core.store.records.values import StoredMessage
from support_tui.core.turn.agent_loop import finished_event, new_call_id
from support_tui.core.turn.parts import TurnParts
from support_tui.core.turn.state import Turn
from support_tui.core.turn.tools import ToolRunner


def mood(sentiment: SentimentScored | None) -> dict[str, object]:
    if sentiment is None:
        return {}
    return {"compound": sentiment.compound, "label": sentiment.label, "trend": sentiment.trend}


class Handoffs:
    """Builds packets from the stored conversation plus the turn so far, and moves the case."""

    def __init__(self, parts: TurnParts, turn: Turn, customer: CustomerSummary, messages: Sequence[StoredMessage]) -> None:
        self.parts = parts
        self.turn = turn
        self.customer = customer
        self.messages = messages

    async def packet(self, from_agent: str | None, to_agent: str, reason: str, sentiment: SentimentScored | None) -> HandoffPacket:
        turn = self.turn
        escalation = turn.state.escalation
        # The notes hold earlier turns; this turn's events so far are added to a copy.
        notes = memory.absorb(turn.state.notes, turn.events, self.parts.shop)
        return memory.build_packet(
            from_agent=from_agent,
            to_agent=to_agent,
            reason=reason,
            notes=notes,
            recent=self.messages,
            customer=self.customer.model_dump(),
            sentiment=mood(sentiment) or {"trend": turn.state.sentiment.label, "trend_compound": turn.state.sentiment.smoothed},
            proposal=turn.state.proposal,
            follow_ups=escalation.follow_ups if escalation else (),
        )

    async def hand_off(self, from_agent: str, to_agent: str, reason: str, sentiment: SentimentScored | None) -> HandoffMade:
        turn = self.turn
        packet = await self.packet(from_agent, to_agent, reason, sentiment)
        turn.state.record_handoff(HandoffRecord(from_agent=from_agent, to_agent=to_agent, reason=reason, turn_id=turn.turn_id))
        turn.state.proposal = None  # a proposal belongs to the agent that made it
        turn.agent = turn.state.agent = to_agent
        return turn.make(HandoffMade, packet=packet)

    async def escalate(
        self, rule: str, reason: str, priority: Priority, sentiment: SentimentScored | None, *, by: str | None = None
    ) -> EscalationRaised:
        turn = self.turn
        packet = await self.packet(turn.agent, "human", reason, sentiment)
        turn.escalated = True
        turn.agent = turn.state.agent = ESCALATION_MANAGER
        turn.state.escalation = EscalationState(rule=rule, reason=reason, priority=priority)
        await self.parts.store.update_conversation(turn.conv.id, status="escalated", priority=priority, escalation_reason=reason)
        return turn.make(EscalationRaised, rule=rule, reason=reason, priority=priority, packet=packet)

    async def gather_case_facts(self, specialist: str, text: str, runner: ToolRunner) -> AsyncGenerator[Event, None]:
        """Before a case goes to a person, make the read-only look-ups the shop suggests."""
        tools = self.parts.shop.tools()
        for call in self.parts.shop.case_facts(specialist, text):
            if call.tool not in tools or tools[call.tool].writes:
                continue
            call_id = new_call_id("case")
            yield self.turn.make(ToolCallRequested, call_id=call_id, name=call.tool, arguments=call.arguments)
            started = time.perf_counter()
            ran = await runner.run(call.tool, call.arguments)
            yield finished_event(self.turn.make, call_id, call.tool, ran.arguments, ran.outcome, started)
