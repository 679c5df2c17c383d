"""One turn's events folded into the typed object that ``ask --json`` prints and scenarios check.

Every reader (compare, scenarios, evaluation, the command line, the compare screen) reads it by
attribute; ``TurnSummary.to_json()`` is the documented ``ask --json`` shape, key for key.
"""

from __future__ import annotations

from typing import Any, Iterable, Literal

from pydantic import BaseModel, ConfigDict, Field

from support_tui.core.events import (
    EscalationRaised,
    Event,
    FallbackAttempt,
    HandoffMade,
    HandoffPacket,
    IntentReading,
    KnowledgeRetrieved,
    Notice,
    ReplyCompleted,
    RouteDecided,
    SentimentScored,
    ToolCallFinished,
    ToolStatus,
    TurnCompleted,
    TurnStarted,
    TurnStatus,
    Usage,
)


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True)


class RouteSummary(_Part):
    """Where the router sent the message, and why."""

    agent: str
    confidence: float
    margin: float
    scores: dict[str, float]
    reason: str
    method: str
    clarify: bool
    intent: IntentReading | None = None
    """What the message asks, when the shop has an intent catalogue (absent from the JSON otherwise)."""


class SentimentSummary(_Part):
    compound: float
    label: str
    trend: str
    signals: list[str] = Field(default_factory=list)


class EscalationSummary(_Part):
    escalated: bool = False
    reason: str | None = None
    priority: str | None = None
    rule: str | None = None
    packet: HandoffPacket | None = None


class SnippetSummary(_Part):
    doc_id: str
    chunk_id: str
    title: str
    score: float
    text: str


class ToolCallSummary(_Part):
    call_id: str
    name: str
    arguments: dict[str, Any]
    status: ToolStatus
    result: Any = None
    error: str | None = None
    rule: str | None = None
    duration_ms: float = 0.0


class NoticeSummary(_Part):
    code: str
    level: Literal["info", "warning", "error"]
    message: str


class TurnSummary(_Part):
    """The turn as one object (the command line's contract); the field order is the JSON's key order."""

    conversation_id: str | None = None
    turn_id: str | None = None
    customer_id: str | None = None
    status: TurnStatus | None = None
    route: RouteSummary | None = None
    handoff: HandoffPacket | None = None
    sentiment: SentimentSummary | None = None
    escalation: EscalationSummary = Field(default_factory=EscalationSummary)
    kb: list[SnippetSummary] = Field(default_factory=list)
    tool_calls: list[ToolCallSummary] = Field(default_factory=list)
    reply: str | None = None
    draft: bool = False
    agent: str | None = None
    model: str | None = None
    fallbacks: list[FallbackAttempt] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)
    timings_ms: dict[str, float] = Field(default_factory=dict)
    notices: list[NoticeSummary] = Field(default_factory=list)
    error: str | None = None

    @property
    def latency_ms(self) -> float:
        return float(self.timings_ms.get("total", 0.0))

    def to_json(self) -> dict[str, Any]:
        """The ``ask --json`` object: the route's ``intent`` appears only when there is one."""
        out = self.model_dump()
        if self.route is not None and self.route.intent is None:
            del out["route"]["intent"]
        return out


def summarise_turn(events: Iterable[Event]) -> TurnSummary:
    """Fold a turn's events into its summary."""
    ids: dict[str, Any] = {}
    fields: dict[str, Any] = {}
    calls: list[ToolCallSummary] = []
    notices: list[NoticeSummary] = []
    for e in events:
        ids["conversation_id"], ids["turn_id"] = e.conversation_id, e.turn_id
        match e:
            case TurnStarted():
                fields["customer_id"] = e.customer_id
            case SentimentScored():
                fields["sentiment"] = SentimentSummary(compound=e.compound, label=e.label, trend=e.trend, signals=e.signals)
            case RouteDecided():
                fields["route"] = RouteSummary(agent=e.agent, confidence=e.confidence, margin=e.margin, scores=e.scores,
                                               reason=e.reason, method=e.method, clarify=e.clarify, intent=e.intent)
            case HandoffMade():
                fields["handoff"] = e.packet
            case EscalationRaised():
                fields["escalation"] = EscalationSummary(escalated=True, reason=e.reason, priority=e.priority, rule=e.rule,
                                                         packet=e.packet)
            case KnowledgeRetrieved():
                fields["kb"] = [SnippetSummary(doc_id=s.doc_id, chunk_id=s.chunk_id, title=s.title, score=s.score, text=s.text)
                                for s in e.snippets]
            case ToolCallFinished():
                calls.append(ToolCallSummary(call_id=e.call_id, name=e.name, arguments=e.arguments, status=e.status,
                                             result=e.result, error=e.error, rule=e.rule, duration_ms=e.duration_ms))
            case ReplyCompleted():
                fields.update(reply=e.text, draft=e.draft, agent=e.agent, model=e.model, fallbacks=list(e.fallbacks))
            case Notice():
                notices.append(NoticeSummary(code=e.code, level=e.level, message=e.message))
            case TurnCompleted():
                fields.update(status=e.status, error=e.error, usage=e.usage, timings_ms=e.timings_ms)
    return TurnSummary(**ids, **fields, tool_calls=calls, notices=notices)
