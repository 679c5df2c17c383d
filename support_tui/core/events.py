"""The typed events one customer turn emits: the contract between the engine and every view."""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

AgentName = str
"""A specialist's name, e.g. ``order_tracking``, or ``escalation_manager``/``human``."""

ToolStatus = Literal["ok", "error", "blocked", "pending_approval"]

TurnStatus = Literal["completed", "cancelled", "failed", "awaiting_approval", "human_active"]
"""How a turn ended (``TurnCompleted.status``, ``ask --json``'s ``status``)."""


def now_ms() -> float:
    """Wall-clock milliseconds since the epoch (events carry it as ``at``)."""
    return time.time() * 1000.0


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Usage(Model):
    """Tokens and cost of model calls."""

    prompt_tokens: int = 0
    """Tokens sent to the model."""
    completion_tokens: int = 0
    """Tokens the model wrote."""
    cost_usd: float = 0.0
    """Cost as LiteLLM prices it; 0 for the offline model."""

    def __add__(self, other: "Usage") -> "Usage":
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            cost_usd=round(self.cost_usd + other.cost_usd, 8),
        )


IntentDecisionKind = Literal["answer", "ask", "rephrase", "decline", "follow_up", "several"]
"""What the reply does about the message's intent: act on it, ask which of two is meant, ask for more words,
decline it as off-topic, (a bare follow-up like "ORD-123") continue the conversation's question, or (its
requests read as different intents) answer each request on its own."""


class IntentScore(Model):
    """One likely intent, with its topic's probability."""

    intent: str
    score: float
    topic: str
    label: str
    """How a clarifying question names it to the customer."""


class IntentEvidence(Model):
    """An exemplar close to the message: the nearest ones say why an intent won, and which to add."""

    intent: str
    text: str
    similarity: float


class IntentReading(Model):
    """What the message asks, learned from the shop's exemplars, and what the reply should do about it."""

    decision: IntentDecisionKind
    intent: str | None = None
    """The best intent (when asking: the first of the two named)."""
    kind: Literal["article", "flow", "decline", "unclear"] | None = None
    article: str | None = None
    """The knowledge-base article that answers it (file stem), for an article intent."""
    flow: str | None = None
    """The shop flow that answers it, for a flow intent."""
    topic_flow: str | None = None
    """For an article intent: the flow of the same topic, which answers the question for the customer's own
    order, refund or account ("how do address changes work" vs "can I change the address on my order")."""
    specialist: AgentName | None = None
    top: list[IntentScore] = Field(default_factory=list)
    """The best intent of each of the likeliest topics, with the topic's probability, best first."""
    evidence: list[IntentEvidence] = Field(default_factory=list)
    rule: str = ""
    """Which threshold decided, as a developer reads it ("delivery 0.81 >= answer 0.65")."""

    @property
    def options(self) -> list[IntentScore]:
        """The two intents a clarifying question names."""
        return self.top[:2] if self.decision == "ask" else []

    @property
    def shop_request(self) -> bool:
        """The message makes a request of the shop: one its answer acts on, or one of two it asks between.
        Its negative words are then what it is about ("wrong colour", "payment failed"), not distress."""
        return self.decision in ("answer", "ask") and self.kind in ("article", "flow")


class RouteEvidence(Model):
    """One exemplar message close to the customer's text."""

    agent: AgentName
    text: str
    similarity: float


class Snippet(Model):
    """One knowledge-base chunk retrieved for the turn."""

    doc_id: str
    """The document's id (its file stem under kb/)."""
    chunk_id: str
    title: str
    score: float
    """Hybrid relevance score (higher is better)."""
    text: str


class HandoffPacket(Model):
    """What travels with a conversation when it changes hands, so nobody asks twice."""

    from_agent: AgentName | None
    to_agent: AgentName
    reason: str
    summary: str
    """A few sentences on what the customer wants and what happened so far."""
    customer: dict[str, Any] = Field(default_factory=dict)
    """Customer context: id, name, tier, lifetime value, open orders."""
    facts: list[str] = Field(default_factory=list)
    """Facts found by tools (order status, tracking numbers, charges)."""
    actions: list[str] = Field(default_factory=list)
    """Actions taken (returns created, refunds issued, blocked attempts)."""
    dropped: list[str] = Field(default_factory=list)
    """What the previous specialist left unfinished."""
    sentiment: dict[str, Any] = Field(default_factory=dict)


class FallbackAttempt(Model):
    """A model that failed before the one that answered."""

    model: str
    error: str


class _Event(Model):
    turn_id: str
    """The turn this event belongs to."""
    conversation_id: str
    at: float = Field(default_factory=now_ms)
    """Milliseconds since the epoch when the event was made."""


EventBase = _Event
"""What every event has: ``turn_id``, ``conversation_id`` and ``at``."""


class TurnStarted(_Event):
    """A turn began; the customer's message is already stored."""

    kind: Literal["turn_started"] = "turn_started"
    customer_id: str
    message_id: int | None
    """Row id of the stored customer message (None for a supervisor-driven turn)."""
    text: str
    """The text as stored (after sanitising and truncation)."""
    actor: Literal["customer", "human", "supervisor"] = "customer"
    mode: Literal["auto", "supervised"] = "auto"


class Notice(_Event):
    """Something a person should know that is not an error of the turn (truncation, offline model)."""

    kind: Literal["notice"] = "notice"
    level: Literal["info", "warning", "error"] = "info"
    code: str
    """Stable machine name: ``message_truncated``, ``offline_model``, ``human_active`` ..."""
    message: str


class SentimentScored(_Event):
    """VADER sentiment of this message and the conversation trend."""

    kind: Literal["sentiment_scored"] = "sentiment_scored"
    compound: float
    """VADER compound score of this message, -1..1."""
    label: Literal["very_negative", "negative", "neutral", "positive", "very_positive"]
    trend: Literal["improving", "steady", "worsening", "negative", "positive"]
    """The conversation's mood, with hysteresis so one message does not flip it."""
    trend_compound: float
    """Smoothed compound over the conversation."""
    history: list[float] = Field(default_factory=list)
    """Compound of the most recent customer messages (at most 20), oldest first."""
    signals: list[str] = Field(default_factory=list)
    """Frustration signals: ``shouting``, ``repeated_contact``, ``exclamations``, ``profanity``."""


class RouteDecided(_Event):
    """Which specialist takes the turn, and why."""

    kind: Literal["route_decided"] = "route_decided"
    agent: AgentName
    confidence: float
    """Calibrated probability of the chosen specialist, 0..1."""
    margin: float
    """Score of the choice minus the runner-up's."""
    scores: dict[AgentName, float]
    reason: str
    evidence: list[RouteEvidence] = Field(default_factory=list)
    previous_agent: AgentName | None = None
    method: str = "embedding"
    """``embedding``, ``sticky`` (follow-up kept), ``override`` (a person chose), ``keyword`` ..."""
    clarify: bool = False
    """True when the top two are too close and the agent should ask a clarifying question."""
    intent: IntentReading | None = None
    """What the message asks (shops with an intent catalogue), read from the same vector."""


class HandoffMade(_Event):
    """The conversation moved from one specialist to another."""

    kind: Literal["handoff_made"] = "handoff_made"
    packet: HandoffPacket


class EscalationRaised(_Event):
    """The case needs a human; it joins the human queue with a packet."""

    kind: Literal["escalation_raised"] = "escalation_raised"
    rule: str
    """Name of the escalation rule that fired."""
    reason: str
    priority: Literal["low", "normal", "high", "urgent"]
    packet: HandoffPacket


class KnowledgeRetrieved(_Event):
    """Knowledge-base snippets retrieved for the specialist."""

    kind: Literal["knowledge_retrieved"] = "knowledge_retrieved"
    query: str
    snippets: list[Snippet]


class ModelCalled(_Event):
    """A model call is about to be made."""

    kind: Literal["model_called"] = "model_called"
    model: str
    step: int
    """Round of the agent loop, from 1."""


class ModelFailed(_Event):
    """A model failed; the next one in the chain is tried."""

    kind: Literal["model_failed"] = "model_failed"
    model: str
    error: str
    next_model: str | None


class ToolCallRequested(_Event):
    """The agent asked for a tool call."""

    kind: Literal["tool_call_requested"] = "tool_call_requested"
    call_id: str
    name: str
    arguments: dict[str, Any]


class ToolCallFinished(_Event):
    """A tool call's outcome. Pairs with ``ToolCallRequested`` by ``call_id``."""

    kind: Literal["tool_call_finished"] = "tool_call_finished"
    call_id: str
    name: str
    arguments: dict[str, Any]
    status: ToolStatus
    result: Any = None
    """Structured result when ``ok``."""
    error: str | None = None
    """What went wrong (``error``), or why it was stopped (``blocked``/``pending_approval``)."""
    rule: str | None = None
    """The policy rule that blocked it or asked for approval."""
    duration_ms: float = 0.0


class ReplyDelta(_Event):
    """A piece of the streamed reply."""

    kind: Literal["reply_delta"] = "reply_delta"
    text: str
    model: str


class ReplyReset(_Event):
    """Text streamed so far is void (the model failed mid-stream and another takes over)."""

    kind: Literal["reply_reset"] = "reply_reset"
    model: str


class ReplyCompleted(_Event):
    """The full reply. In supervised mode it is a draft awaiting a person."""

    kind: Literal["reply_completed"] = "reply_completed"
    message_id: int
    text: str
    agent: AgentName
    model: str
    """The model that answered."""
    fallbacks: list[FallbackAttempt] = Field(default_factory=list)
    draft: bool = False
    used_snippets: list[str] = Field(default_factory=list)
    """chunk_ids of snippets the reply drew on."""


ChangeKind = Literal[
    "reopened",
    "closed",
    "taken_over",
    "handed_back",
    "escalated",
    "case_updated",
    "call_approved",
    "call_denied",
    "draft_sent",
    "draft_edited",
    "draft_rejected",
    "model_changed",
    "mode_changed",
    "rated",
    "synced",
]
"""``synced``: the store reported a write to the conversation (from this process or another: a colleague's
console, a worker); published by the change feed, never stored; views re-read what they show."""


class ConversationChanged(_Event):
    """The conversation itself changed: a reopen, a close, a person's decision, a take-over.

    Every view refreshes from these; the trace keeps who did what and their words (internal).
    """

    kind: Literal["conversation_changed"] = "conversation_changed"
    change: ChangeKind
    status: str
    """The conversation's status after the change (open, escalated, closed ...)."""
    by: str | None = None
    """The person who made the change (their agent id), or None for the customer and the engine."""
    detail: str = ""
    """What changed, in words: an outcome, a reason, an edited text. Internal: never shown to the customer."""
    message_id: int | None = None
    """The draft a ``draft_sent``, ``draft_edited`` or ``draft_rejected`` change decided (views find its bubble by it)."""


class TurnCompleted(_Event):
    """The turn ended (normally, cancelled or failed). Always the last event."""

    kind: Literal["turn_completed"] = "turn_completed"
    status: TurnStatus
    error: str | None = None
    timings_ms: dict[str, float] = Field(default_factory=dict)
    """Milliseconds per stage: sentiment, route, retrieve, model, tools, persist, total."""
    usage: Usage = Field(default_factory=Usage)


Event = Annotated[
    Union[
        TurnStarted,
        Notice,
        SentimentScored,
        RouteDecided,
        HandoffMade,
        EscalationRaised,
        KnowledgeRetrieved,
        ModelCalled,
        ModelFailed,
        ToolCallRequested,
        ToolCallFinished,
        ReplyDelta,
        ReplyReset,
        ReplyCompleted,
        ConversationChanged,
        TurnCompleted,
    ],
    Field(discriminator="kind"),
]
"""Any event of a turn; ``kind`` tells which."""

event_adapter: TypeAdapter[Event] = TypeAdapter(Event)


def event_from_json(data: str | bytes | dict[str, Any]) -> Event:
    """Parse a stored or transmitted event back into its type."""
    if isinstance(data, dict):
        return event_adapter.validate_python(data)
    return event_adapter.validate_json(data)
