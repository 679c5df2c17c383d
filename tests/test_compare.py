"""Compare on the demo shop: two models on the loopback provider each give their own events; nothing is stored."""

from __future__ import annotations

import pytest

import support_tui.core.llm  # noqa: F401  (LiteLLM's environment before anything imports it)
from fake_provider import fake_provider, text, tool_call  # noqa: F401
from support_tui.core.events import ModelCalled, ReplyCompleted
from support_tui.core.factory import open_engine
from support_tui.core.paths import DataPaths
from support_tui.core.settings import OFFLINE_MODEL, Settings
from support_tui.core.turn.compare import aspects, call_differs, differences
from support_tui.core.turn.summary import TurnSummary

pytestmark = pytest.mark.filterwarnings("ignore:.*ReadOnly. qualifier:UserWarning")

GPT, CLAUDE = "openai/gpt-4o", "anthropic/claude-sonnet-4-5"
SARAH = "cust_12345"
QUESTION = "Hi, I need to track my order #ORD-67890. When will it arrive?"


@pytest.fixture
async def remote(engine_home, shared_embedder, fake_provider, monkeypatch):
    """An engine whose models are the fake server's; the parent conversation runs on the offline model."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-compare-openai-0123456789")
    monkeypatch.setenv("OPENAI_API_BASE", fake_provider.openai_base)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-compare-0123456789")
    monkeypatch.setenv("ANTHROPIC_API_BASE", fake_provider.anthropic_base)
    engine = await open_engine(DataPaths(engine_home), Settings(fallback_models=[], model_timeout_s=10.0),
                               embedder=shared_embedder)
    try:
        yield engine, fake_provider
    finally:
        await engine.close()


async def test_two_models_give_their_own_events_on_copies_of_the_same_state(remote):
    engine, fake = remote
    conv = await engine.open_conversation(SARAH, new=True)
    await engine.set_model(conv.id, OFFLINE_MODEL)
    [e async for e in engine.run_turn(conv.id, QUESTION)]
    trace_before = [e.model_dump() for e in await engine.trace(conv.id)]
    queue_before = {c.id for c in await engine.conversations(["open", "escalated", "closed"])}

    fake.script("gpt-4o", tool_call("lookup_order", {"order_id": "ORD-67890"}), text("GPT here: ORD-67890 is on its way."))
    fake.script("claude-sonnet-4-5", text("Claude here: could you tell me the order number again?"))
    comparison = await engine.compare(conv.id, turn=1, models=[GPT, CLAUDE])

    gpt, claude = comparison.runs
    assert (gpt.summary.model, claude.summary.model) == (GPT, CLAUDE)
    assert gpt.summary.reply == "GPT here: ORD-67890 is on its way."
    assert (claude.summary.reply or "").startswith("Claude here")
    assert [(c.name, c.status) for c in gpt.summary.tool_calls] == [("lookup_order", "ok")]
    assert gpt.summary.tool_calls[0].result["order"]["order_id"] == "ORD-67890"
    assert claude.summary.tool_calls == []
    assert {e.model for e in gpt.events if isinstance(e, ModelCalled)} == {GPT}
    assert {e.model for e in claude.events if isinstance(e, ModelCalled)} == {CLAUDE}
    assert fake.calls("gpt-4o") and fake.calls("claude-sonnet-4-5")
    assert {"model", "reply", "tool_calls", "tool_results"} <= set(comparison.differences)
    assert "route" not in comparison.differences
    assert call_differs(comparison.runs, 0)
    data = comparison.to_dict()
    assert [s["model"] for s in data["sides"]] == [GPT, CLAUDE] and data["differences"] == comparison.differences
    assert data["sides"][0]["latency_ms"] > 0

    # nothing was stored: the parent's trace and the queue are as they were
    assert [e.model_dump() for e in await engine.trace(conv.id)] == trace_before
    assert {c.id for c in await engine.conversations(["open", "escalated", "closed"])} == queue_before


async def test_two_specialists_on_the_offline_model(engine):
    conv = await engine.open_conversation(SARAH, new=True)
    [e async for e in engine.run_turn(conv.id, QUESTION)]
    comparison = await engine.compare(conv.id, turn=1, routes=["order_tracking", "billing_payment"])
    routes = [r.summary.route.agent for r in comparison.runs if r.summary.route]
    assert routes == ["order_tracking", "billing_payment"]
    assert "route" in comparison.differences  # (billing may hand the tracking question back: agent and reply can agree)
    assert all(any(isinstance(e, ReplyCompleted) for e in r.events) for r in comparison.runs)


def test_differences_name_each_aspect_that_differs():
    call = {"call_id": "c1", "name": "lookup_order", "arguments": {"order_id": "A"}, "status": "ok", "result": {"x": 1}, "error": None, "rule": None}
    route = {"agent": "order_tracking", "confidence": 1.0, "margin": 1.0, "scores": {}, "reason": "", "method": "embedding",
             "clarify": False}
    base = {"route": route, "agent": "order_tracking", "model": OFFLINE_MODEL, "tool_calls": [call],
            "reply": "hi", "usage": {"prompt_tokens": 10, "completion_tokens": 5, "cost_usd": 0.0}, "escalation": {}}
    blocked = {**call, "status": "blocked", "rule": "return_window", "error": "too late", "result": None}
    other = {**base, "tool_calls": [blocked], "usage": {"prompt_tokens": 10, "completion_tokens": 7, "cost_usd": 0.001}}
    one, two = TurnSummary.model_validate(base), TurnSummary.model_validate(other)
    assert differences([one, TurnSummary.model_validate(base)]) == []
    assert differences([one, two]) == ["tool_calls", "tool_results", "policy", "tokens", "cost"]
    assert aspects(two)["policy"] == [{"name": "lookup_order", "status": "blocked", "rule": "return_window"}]
