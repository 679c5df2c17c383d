"""The state of one turn while it runs, and how it is stored when it ends."""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING, Any

from support_tui.core import memory
from support_tui.shops.northwind.tools import ToolContext
from support_tui.core.events import Event, TurnCompleted, Usage
from support_tui.core.store.support import ConversationInfo

if TYPE_CHECKING:
    from support_tui.core.engine import Engine


class Turn:
    """The state of one turn while it runs; ``events`` is the trace that gets stored."""

    def __init__(self, engine: "Engine", conversation: ConversationInfo, actor: str) -> None:
        self.engine = engine
        self.conv = conversation
        self.actor = actor
        self.turn_id = f"turn_{uuid.uuid4().hex[:12]}"
        self.events: list[Event] = []
        self.state: dict[str, Any] = dict(conversation.state)
        self.timings: dict[str, float] = {}
        self.usage = Usage()
        self.agent: str | None = self.state.get("agent")
        self.model: str | None = None
        self.status = "completed"
        self.error: str | None = None
        self.started = time.perf_counter()
        self.escalated = conversation.status == "escalated"

    def make(self, cls: type, **fields: Any) -> Event:
        event = cls(turn_id=self.turn_id, conversation_id=self.conv.id, **fields)
        self.events.append(event)
        return event

    def stage(self, name: str, since: float) -> float:
        now = time.perf_counter()
        self.timings[name] = round(self.timings.get(name, 0.0) + (now - since) * 1000, 3)
        return now

    async def customer(self) -> dict[str, Any]:
        return await self.engine.customer_brief(self.conv.customer_id)

    def tool_context(self, last_customer_message: str) -> ToolContext:
        return ToolContext(
            db=self.engine.db,
            customer_id=self.conv.customer_id,
            conversation_id=self.conv.id,
            settings=self.engine.settings,
            escalated=self.escalated,
            last_customer_message=last_customer_message,
            state=self.state,
            turn_id=self.turn_id,
        )

    async def finish(self) -> TurnCompleted:
        """Persist state, memory and the trace; always runs, even when the turn was cancelled."""
        persist_started = time.perf_counter()
        store = self.engine.store
        fields: dict[str, Any] = {"state": self.state}
        if self.agent:
            fields["agent"] = self.agent
        await store.update_conversation(self.conv.id, **fields)
        if self.status not in ("cancelled", "failed"):
            messages = await store.messages(self.conv.id)
            earlier = await store.events(self.conv.id)
            status = "escalated" if self.escalated else self.conv.status
            summary = memory.memory_summary(messages, [*earlier, *self.events], self.agent, status)
            await store.remember(self.conv.customer_id, self.conv.id, summary)
        now = time.perf_counter()
        self.timings["persist"] = round((now - persist_started) * 1000, 3)
        self.timings["total"] = round((now - self.started) * 1000, 3)
        done = self.make(
            TurnCompleted, status=self.status, error=self.error, timings_ms=dict(self.timings), usage=self.usage
        )
        # The trace write itself is the last step, so it is not inside the figures it stores.
        await store.finish_turn(
            self.turn_id,
            status=self.status,
            events=self.events,
            agent=self.agent,
            model=self.model,
            error=self.error,
            timings=self.timings,
            usage=self.usage,
        )
        return done  # type: ignore[return-value]
