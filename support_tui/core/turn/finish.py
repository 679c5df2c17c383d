"""A turn's stored end: the conversation's state, the customer's memory line and the trace, always."""

from __future__ import annotations

import time

from support_tui.core import memory
from support_tui.core.events import TurnCompleted
from support_tui.core.turn.parts import TurnParts
from support_tui.core.turn.state import Turn


async def finish_turn(parts: TurnParts, turn: Turn) -> TurnCompleted:
    """Persist state, memory and the trace; runs even when the turn was cancelled or failed."""
    persist_started = time.perf_counter()
    store = parts.store
    # Only this turn's events are read: the notes carry everything before it.
    turn.state.notes = memory.absorb(turn.state.notes, turn.events, parts.shop)
    fields: dict[str, object] = {"state": turn.state.dump()}
    if turn.agent:
        fields["agent"] = turn.agent
    await store.update_conversation(turn.conv.id, **fields)
    if turn.status not in ("cancelled", "failed") and turn.actor == "customer":
        status = "escalated" if turn.escalated else turn.conv.status
        await parts.remembered.remember(turn.conv.customer_id, turn.conv.id, memory.memory_summary(turn.state.notes, turn.agent, status))
    now = time.perf_counter()
    turn.timings["persist"] = round((now - persist_started) * 1000, 3)
    turn.timings["total"] = round((now - turn.started) * 1000, 3)
    done = turn.make(
        TurnCompleted, status=turn.status, error=turn.error, timings_ms=dict(turn.timings), usage=turn.usage
    )
    # The trace write itself is the last step, so it is not inside the figures it stores.
    await store.finish_turn(
        turn.turn_id, status=turn.status, events=turn.events, agent=turn.agent, model=turn.model,
        error=turn.error, timings=turn.timings, usage=turn.usage,
    )
    return done
