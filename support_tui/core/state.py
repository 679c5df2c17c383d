"""A conversation's typed state: who has it, what was proposed and confirmed, escalation, mood, counters.

Stored with the conversation after every turn. Everything in it is bounded, so storing it costs the
same at turn 5 and turn 500.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from support_tui.core.shop.protocol import Proposal, ToolCall

Priority = Literal["low", "normal", "high", "urgent"]
FOLLOW_UPS_KEPT = 10
HANDOFFS_KEPT = 10
SENTIMENT_WINDOW = 20


class _State(BaseModel):
    model_config = ConfigDict(extra="ignore", validate_assignment=True)


class EscalationState(_State):
    """Why the case waits for a person, and who holds it."""

    rule: str
    reason: str
    priority: Priority = "normal"
    holder: str | None = None
    """The person who took the case (None: waiting in the human queue)."""
    follow_ups: list[str] = Field(default_factory=list)
    """Customer questions that arrived after the escalation, added to the packet (the latest few)."""

    def add_follow_up(self, text: str) -> None:
        self.follow_ups = [*self.follow_ups, text][-FOLLOW_UPS_KEPT:]


class SentimentState(_State):
    """The conversation's mood: a smoothed score, how many messages, and a bounded window of recent scores."""

    smoothed: float = 0.0
    count: int = 0
    label: str = "steady"
    recent: list[float] = Field(default_factory=list)

    @field_validator("recent")
    @classmethod
    def _bounded(cls, value: list[float]) -> list[float]:
        return value[-SENTIMENT_WINDOW:]


class HandoffRecord(_State):
    """One change of specialist."""

    from_agent: str
    to_agent: str
    reason: str
    turn_id: str


NOTES_KEPT = 12


class CaseNotes(_State):
    """What the conversation found and did so far, kept as it happens (never rebuilt from the trace)."""

    first_request: str = ""
    """The customer's first message, shortened."""
    facts: list[str] = Field(default_factory=list)
    """Facts tools found, in words (the latest few)."""
    actions: list[str] = Field(default_factory=list)
    """Writes done or refused, in words (the latest few)."""
    waiting: dict[str, str] = Field(default_factory=dict)
    """Calls waiting for a person's approval: call id -> what they would do."""

    def note_fact(self, line: str) -> None:
        if line not in self.facts:
            self.facts = [*self.facts, line][-NOTES_KEPT:]

    def note_action(self, line: str) -> None:
        if line not in self.actions:
            self.actions = [*self.actions, line][-NOTES_KEPT:]


class ConversationState(_State):
    """Everything about a conversation the engine carries from one turn to the next."""

    agent: str | None = None
    """The specialist who has the conversation."""
    proposal: Proposal | None = None
    """The consequential call last put to the customer, waiting for their yes."""
    confirmed: list[Proposal] = Field(default_factory=list)
    """Calls the customer said yes to that wait for a person's approval."""
    approved: list[ToolCall] = Field(default_factory=list)
    """Calls a person approved (exact arguments); they pass the approval rule once."""
    escalation: EscalationState | None = None
    taken_over_by: str | None = None
    """The person handling the conversation themselves (None: the AI team)."""
    reopened: int = 0
    """How many times a customer message reopened the conversation after it was closed."""
    sentiment: SentimentState = Field(default_factory=SentimentState)
    low_confidence_turns: int = 0
    """Consecutive turns the router was unsure."""
    failed_tool_calls: int = 0
    """Tool calls that errored or were refused by a hard rule, over the conversation."""
    policy_blocked: bool = False
    """A write the customer wanted was refused by a hard policy rule."""
    offline_noticed: bool = False
    """The customer-facing model chain notice was shown once."""
    handoffs: list[HandoffRecord] = Field(default_factory=list)
    notes: CaseNotes = Field(default_factory=CaseNotes)

    @classmethod
    def load(cls, raw: dict[str, Any] | None) -> "ConversationState":
        """State as stored; older shapes (a plain proposal dict, the old sentiment history) are read leniently."""
        data = dict(raw or {})
        if not isinstance(data.get("proposal"), dict) or "call" not in data["proposal"]:
            data.pop("proposal", None)
        data["confirmed"] = [p for p in data.get("confirmed") or [] if isinstance(p, dict) and "call" in p]
        sentiment = data.get("sentiment")
        if isinstance(sentiment, dict) and "recent" not in sentiment:
            history = [float(x) for x in sentiment.get("history") or [] if isinstance(x, (int, float))]
            data["sentiment"] = {
                "smoothed": float(sentiment.get("smoothed", 0.0) or 0.0),
                "count": int(sentiment.get("count", len(history)) or 0),
                "label": str(sentiment.get("label", "steady")),
                "recent": history[-SENTIMENT_WINDOW:],
            }
        return cls.model_validate(data)

    def dump(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_defaults=True)

    def record_handoff(self, record: HandoffRecord) -> None:
        self.handoffs = [*self.handoffs, record][-HANDOFFS_KEPT:]
