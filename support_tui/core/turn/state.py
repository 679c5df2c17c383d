"""The state of one turn while it runs: ids, the events so far, the conversation's state, timings."""

from __future__ import annotations

import time
import uuid
from typing import Any, TypeVar

from support_tui.core.events import (
    ConversationChanged, EscalationRaised, Event, HandoffMade, IntentReading, KnowledgeRetrieved, ModelCalled, ModelFailed,
    Notice, ReplyCompleted, ReplyDelta, ReplyReset, RouteDecided, SentimentScored, ToolCallFinished, ToolCallRequested,
    TurnCompleted, TurnStarted, TurnStatus, Usage,
)
from support_tui.core.shop import CallContext
from support_tui.core.state import ConversationState
from support_tui.core.store.records.values import ConversationInfo

E = TypeVar(
    "E", TurnStarted, Notice, SentimentScored, RouteDecided, HandoffMade, EscalationRaised, KnowledgeRetrieved, ModelCalled,
    ModelFailed, ToolCallRequested, ToolCallFinished, ReplyDelta, ReplyReset, ReplyCompleted, ConversationChanged, TurnCompleted,
)
"""One of the event types (``Event``'s members): what ``Turn.make`` builds is also an ``Event``."""


class Turn:
    """One turn in flight; ``events`` is the trace that gets stored when it ends."""

    def __init__(
        self, conversation: ConversationInfo, actor: str, *, turn_id: str | None = None, queued_message: int | None = None
    ) -> None:
        self.conv = conversation
        self.actor = actor
        self.turn_id = turn_id or f"turn_{uuid.uuid4().hex[:12]}"
        self.queued_message = queued_message
        """The customer's message this queued turn answers (a worker's claim); its reply is stored as the one reply to it."""
        self.message_id: int | None = queued_message
        """The customer's message the turn answers: the history it reads ends there."""
        self.rerun_of: int | None = None
        """A re-run's customer message (its history is not cut there): its calls' effects are that message's."""
        self.events: list[Event] = []
        self.state = ConversationState.load(conversation.state)
        self.timings: dict[str, float] = {}
        self.usage = Usage()
        self.agent: str | None = self.state.agent
        self.model: str | None = None
        self.status: TurnStatus = "completed"
        self.error: str | None = None
        self.started = time.perf_counter()
        self.escalated = conversation.status == "escalated"
        self.internal_notes: list[str] = []
        """A person's words for the model only (deny reasons): they must not reach the customer."""
        self.intent: IntentReading | None = None
        """What the customer's message asks, as the shop's intent classifier read it (the prompt carries it)."""

    def make(self, cls: type[E], **fields: Any) -> E:
        event = cls(turn_id=self.turn_id, conversation_id=self.conv.id, **fields)
        self.events.append(event)
        return event

    def stage(self, name: str, since: float) -> float:
        now = time.perf_counter()
        self.timings[name] = round(self.timings.get(name, 0.0) + (now - since) * 1000, 3)
        return now

    def add_timing(self, name: str, ms: float) -> None:
        self.timings[name] = round(self.timings.get(name, 0.0) + ms, 3)

    def call_context(self) -> CallContext:
        return CallContext(
            customer_id=self.conv.customer_id, conversation_id=self.conv.id, turn_id=self.turn_id, escalated=self.escalated,
            message_id=self.message_id if self.message_id is not None else self.rerun_of,
        )
