"""One turn's events folded into the plain object that ``ask --json`` prints and scenarios check."""

from __future__ import annotations

from typing import Any, Iterable

from support_tui.core.events import (
    EscalationRaised,
    Event,
    HandoffMade,
    KnowledgeRetrieved,
    Notice,
    ReplyCompleted,
    RouteDecided,
    SentimentScored,
    ToolCallFinished,
    TurnCompleted,
    TurnStarted,
)


def summarise_turn(events: Iterable[Event]) -> dict[str, Any]:
    """The turn as one JSON-ready object (the command line's contract)."""
    out: dict[str, Any] = {
        "conversation_id": None,
        "turn_id": None,
        "customer_id": None,
        "status": None,
        "route": None,
        "handoff": None,
        "sentiment": None,
        "escalation": {"escalated": False, "reason": None, "priority": None, "rule": None, "packet": None},
        "kb": [],
        "tool_calls": [],
        "reply": None,
        "draft": False,
        "agent": None,
        "model": None,
        "fallbacks": [],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "cost_usd": 0.0},
        "timings_ms": {},
        "notices": [],
        "error": None,
    }
    for e in events:
        out["conversation_id"] = e.conversation_id
        out["turn_id"] = e.turn_id
        match e:
            case TurnStarted():
                out["customer_id"] = e.customer_id
            case SentimentScored():
                out["sentiment"] = {"compound": e.compound, "label": e.label, "trend": e.trend, "signals": e.signals}
            case RouteDecided():
                out["route"] = {
                    "agent": e.agent,
                    "confidence": e.confidence,
                    "margin": e.margin,
                    "scores": e.scores,
                    "reason": e.reason,
                    "method": e.method,
                    "clarify": e.clarify,
                }
                if e.intent is not None:  # what the message asks, when the shop has an intent catalogue
                    out["route"]["intent"] = e.intent.model_dump(mode="json")
            case HandoffMade():
                out["handoff"] = e.packet.model_dump()
            case EscalationRaised():
                out["escalation"] = {
                    "escalated": True,
                    "reason": e.reason,
                    "priority": e.priority,
                    "rule": e.rule,
                    "packet": e.packet.model_dump(),
                }
            case KnowledgeRetrieved():
                out["kb"] = [
                    {"doc_id": s.doc_id, "chunk_id": s.chunk_id, "title": s.title, "score": s.score, "text": s.text}
                    for s in e.snippets
                ]
            case ToolCallFinished():
                out["tool_calls"].append(
                    {
                        "call_id": e.call_id,
                        "name": e.name,
                        "arguments": e.arguments,
                        "status": e.status,
                        "result": e.result,
                        "error": e.error,
                        "rule": e.rule,
                        "duration_ms": e.duration_ms,
                    }
                )
            case ReplyCompleted():
                out.update(reply=e.text, draft=e.draft, agent=e.agent, model=e.model)
                out["fallbacks"] = [f.model_dump() for f in e.fallbacks]
            case Notice():
                out["notices"].append({"code": e.code, "level": e.level, "message": e.message})
            case TurnCompleted():
                out["status"] = e.status
                out["error"] = e.error
                out["usage"] = e.usage.model_dump()
                out["timings_ms"] = e.timings_ms
    return out
