"""The values that cross the store interface: support records as typed, frozen pydantic models.

Every adapter (SQLite today, PostgreSQL later) reads and writes these and nothing else: no rows, no
dicts with string keys. Timestamps are ISO-8601 UTC text (``utcnow()``), the form every adapter
stores and compares, so a record reads back exactly as it was written.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from support_tui.core.events import Event

ConversationStatus = Literal["open", "escalated", "resolved", "abandoned", "closed"]


def utcnow() -> str:
    """ISO-8601 UTC timestamp used in every stored date."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def stored_time(moment: datetime) -> str:
    """A datetime in the form records store (naive ones are taken as UTC), so dates compare as text."""
    aware = moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)
    return aware.isoformat(timespec="milliseconds")


def new_id(prefix: str) -> str:
    """A fresh random id such as ``conv_1a2b3c4d5e6f``."""
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


class Record(BaseModel):
    """Base of every store record: frozen, unknown fields refused.

    ``record["field"]`` and ``record.get("field")`` still work for code written when ``turns()`` and
    ``memories()`` returned dicts; new code uses attributes.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    def __getitem__(self, name: str) -> Any:  # transitional: dict-style callers
        try:
            return getattr(self, name)
        except AttributeError:
            raise KeyError(name) from None

    def get(self, name: str, default: Any = None) -> Any:  # transitional: dict-style callers
        return getattr(self, name, default)


class ConversationInfo(Record):
    """A conversation as views list it."""

    id: str
    customer_id: str
    status: str
    """open, escalated, resolved, abandoned or closed."""
    handled_by: str
    """``ai`` or ``human`` (a person took over)."""
    agent: str | None
    mode: str
    model: str | None
    """The model chosen for this conversation (None: each specialist's default)."""
    priority: str | None
    escalation_reason: str | None
    outcome: str | None
    summary: str | None
    state: dict[str, Any]
    """The engine's conversation state, stored as JSON. To become ``core.state.ConversationState``
    (owned by the engine); the store keeps it opaque."""
    is_fixture: bool
    created_at: str
    updated_at: str
    closed_at: str | None
    parent_id: str | None = None
    """The conversation this one was forked from (None: a customer's own conversation)."""
    forked_at_turn: int | None = None
    """The parent's customer turn (1-based) this fork re-ran, when ``parent_id`` is set."""
    held_by: str | None = None
    """The person (agent id) whose claim holds the conversation after a take-over (None: nobody's).
    Set and cleared only by ``claim_conversation`` / ``release_conversation``, atomically in the store."""


class StoredMessage(Record):
    """One message of a conversation as stored."""

    id: int
    conversation_id: str
    turn_id: str | None
    role: str
    """customer, ai, human or system."""
    text: str
    agent: str | None
    model: str | None
    status: str
    """sent, draft, rejected or superseded."""
    created_at: str
    reply_to: int | None = None
    """For a queued turn's reply: the customer's message it answers (the store keeps one reply per message)."""


class PendingToolCall(Record):
    """A sensitive tool call waiting for a person."""

    call_id: str
    conversation_id: str
    turn_id: str
    agent: str
    name: str
    arguments: dict[str, Any]
    """The exact arguments the call runs with (the tool's own JSON)."""
    rule: str | None
    reason: str | None
    status: str
    """pending, approved, denied ..."""
    note: str | None
    created_at: str
    decided_by: str | None = None
    """The person whose decision (``decide_pending_call``) ended the wait; None while it waits."""


class TurnRecord(Record):
    """One turn's bookkeeping: status, who answered, timings and usage."""

    id: str
    conversation_id: str
    message_id: int | None
    status: str
    """running, completed, cancelled, failed, awaiting_approval, human_active or interrupted."""
    agent: str | None
    model: str | None
    error: str | None
    timings: dict[str, float]
    """Milliseconds per stage."""
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    started_at: str
    ended_at: str | None


class StoreChange(Record):
    """A committed write to a conversation, its messages or its pending calls, by any process on the store."""

    conversation_id: str


class MemoryEntry(Record):
    """What is remembered of one earlier conversation of a customer."""

    customer_id: str
    conversation_id: str
    summary: str
    created_at: str


class Rating(Record):
    """A customer's satisfaction score for one conversation."""

    conversation_id: str
    score: int
    """1 to 5."""
    comment: str | None = None
    created_at: str


# metrics -------------------------------------------------------------------------------------------


class MetricConversation(Record):
    """The conversation columns metrics judge (no state, no summary)."""

    id: str
    customer_id: str
    status: str
    handled_by: str
    agent: str | None
    escalation_reason: str | None
    outcome: str | None
    is_fixture: bool
    created_at: str
    updated_at: str
    closed_at: str | None


class MetricMessage(Record):
    """A message as metrics see it (who, when, sent or not)."""

    conversation_id: str
    id: int
    role: str
    status: str
    text: str
    created_at: str


class TurnUsage(Record):
    """Tokens and cost of one turn, by the model that answered it."""

    conversation_id: str
    model: str | None
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float


METRIC_EVENT_KINDS = ("route_decided", "escalation_raised", "tool_call_finished", "reply_completed", "sentiment_scored")
"""The event kinds metrics read; the store returns only these."""


@dataclass(frozen=True)
class MetricRecords:
    """Everything metrics need about conversations created since a moment, each list oldest first.

    ``conversations`` is in creation order; the others are grouped by conversation, in the order
    they happened. ``events`` holds only ``METRIC_EVENT_KINDS``.
    """

    conversations: list[MetricConversation] = field(default_factory=list)
    messages: list[MetricMessage] = field(default_factory=list)
    turns: list[TurnUsage] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    ratings: list[Rating] = field(default_factory=list)


@dataclass(frozen=True)
class FixtureHistory:
    """A generated history of past conversations (``is_fixture``), written in one go by ``add_fixture_history``.

    Message ids are given (events refer to them); the store hands the builder the first free id.
    """

    conversations: list[ConversationInfo] = field(default_factory=list)
    messages: list[StoredMessage] = field(default_factory=list)
    turns: list[TurnRecord] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    ratings: list[Rating] = field(default_factory=list)
