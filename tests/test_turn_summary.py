"""The typed turn summary keeps ``ask --json``'s documented shape: its keys in order, the route's ``intent``
only when the message had one, packets and usage as plain objects."""

from __future__ import annotations

import json

from support_tui.core.events import (
    EscalationRaised, HandoffPacket, IntentReading, Notice, ReplyCompleted, RouteDecided, ToolCallFinished,
    TurnCompleted, TurnStarted, Usage,
)
from support_tui.core.turn.summary import TurnSummary, summarise_turn

IDS = {"turn_id": "turn_1", "conversation_id": "conv_1"}
KEYS = ["conversation_id", "turn_id", "customer_id", "status", "route", "handoff", "sentiment", "escalation", "kb",
        "tool_calls", "reply", "draft", "agent", "model", "fallbacks", "usage", "timings_ms", "notices", "error"]


def _events(intent: IntentReading | None = None) -> list:
    packet = HandoffPacket(from_agent="billing_payment", to_agent="human", reason="asked for a person", summary="s")
    return [
        TurnStarted(**IDS, customer_id="cust_1", message_id=7, text="hi"),
        RouteDecided(**IDS, agent="billing_payment", confidence=0.8, margin=0.3, scores={"billing_payment": 0.8},
                     reason="closest", intent=intent),
        ToolCallFinished(**IDS, call_id="c1", name="refund", arguments={"amount": 5}, status="blocked",
                         error="needs a yes", rule="customer_confirmation", duration_ms=1.5),
        EscalationRaised(**IDS, rule="human_requested", reason="asked", priority="high", packet=packet),
        Notice(**IDS, code="note", level="warning", message="cut"),
        ReplyCompleted(**IDS, message_id=8, text="A colleague will help.", agent="escalation_manager", model="m/x"),
        TurnCompleted(**IDS, status="completed", timings_ms={"total": 12.0}, usage=Usage(prompt_tokens=3)),
    ]


def test_the_json_keeps_the_documented_keys_in_order_and_reads_back_by_attribute():
    summary = summarise_turn(_events())
    data = summary.to_json()
    assert list(data) == KEYS
    assert "intent" not in data["route"]  # only when the shop read an intent
    assert data["escalation"]["packet"]["to_agent"] == "human" and data["usage"]["prompt_tokens"] == 3
    assert data["tool_calls"][0] == {"call_id": "c1", "name": "refund", "arguments": {"amount": 5}, "status": "blocked",
                                     "result": None, "error": "needs a yes", "rule": "customer_confirmation",
                                     "duration_ms": 1.5}
    assert data["notices"] == [{"code": "note", "level": "warning", "message": "cut"}]
    assert summary.status == "completed" and summary.escalation.escalated and summary.latency_ms == 12.0
    assert TurnSummary.model_validate(json.loads(json.dumps(data, default=str))) == summary


def test_the_route_carries_the_intent_when_there_is_one():
    intent = IntentReading(decision="answer", intent="refund_status", rule="sure")
    data = summarise_turn(_events(intent)).to_json()
    assert data["route"]["intent"]["intent"] == "refund_status" and list(data["route"])[-1] == "intent"
