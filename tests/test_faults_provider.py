"""Provider faults injected through the engine and the CLI: every turn still ends with a reply from the next model."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
import time

import pytest

import support_tui.core.llm  # noqa: F401  (LiteLLM's environment before anything imports it)
from fake_provider import Behaviour, closed_port, cut, empty, error, fake_provider, hang, text, tool_call  # noqa: F401
from support_tui.core.events import FallbackAttempt, ModelFailed, ReplyCompleted, ReplyReset, TurnCompleted
from support_tui.core.factory import open_engine
from support_tui.core.paths import DataPaths
from support_tui.core.settings import OFFLINE_MODEL, Settings

pytestmark = pytest.mark.filterwarnings("ignore:.*ReadOnly. qualifier:UserWarning")

OPENAI_KEY = "sk-faults-openai-5d1c0ffee0123456789"
ANTHROPIC_KEY = "sk-ant-faults-5d1c0ffee0123456789"
GPT, CLAUDE = "openai/gpt-4o", "anthropic/claude-sonnet-4-5"
SARAH = "cust_12345"
QUESTION = "Hi, where is my order ORD-67890?"
CLAUDE_SAYS = "Claude here: ORD-67890 is on its way."
TIMEOUT_S = 1.0
# Bounds are loose on purpose: the machine is shared with other test runs. What they catch is a
# retry storm or a second timeout, which costs whole seconds more.
QUICK_S = 3.0

_warm: list[bool] = []


@pytest.fixture(scope="session")
def router_cache(tmp_path_factory):
    """One cache of the router's exemplar vectors for every engine of the run (else each re-embeds them)."""
    return tmp_path_factory.getbasetemp() / "router-cache"


@pytest.fixture
async def remote(engine_home, shared_embedder, fake_provider, router_cache, monkeypatch):
    """An engine whose conversation model is openai/gpt-4o on the fake server, Claude next, offline last."""
    monkeypatch.setenv("SUPPORT_TUI_CACHE", str(router_cache))
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
    monkeypatch.setenv("OPENAI_API_BASE", fake_provider.openai_base)
    monkeypatch.setenv("ANTHROPIC_API_KEY", ANTHROPIC_KEY)
    monkeypatch.setenv("ANTHROPIC_API_BASE", fake_provider.anthropic_base)
    settings = Settings(fallback_models=[CLAUDE], model_timeout_s=TIMEOUT_S)
    engine = await open_engine(DataPaths(engine_home), settings, embedder=shared_embedder)
    if not _warm:
        # LiteLLM's first call per provider imports its code (about a second): pay it before timing.
        for model in (GPT, CLAUDE):
            async for _ in engine.parts.models.stream([model], [{"role": "user", "content": "hi"}], None):
                pass
        _warm.append(True)
    fake_provider.requests.clear()
    try:
        yield engine, fake_provider
    finally:
        await engine.close()


async def _turn(engine, text=QUESTION):
    conv = await engine.open_conversation(SARAH, new=True)
    await engine.set_model(conv.id, GPT)
    started = time.perf_counter()
    events = [e async for e in engine.run_turn(conv.id, text)]
    return conv, events, time.perf_counter() - started


async def _stored_once(engine, conv_id, text=QUESTION):
    messages = await engine.messages(conv_id)
    customer = [m for m in messages if m.role == "customer"]
    assert [m.text for m in customer] == [text], "the customer's message is stored exactly once"
    return messages


FAULTS: dict[str, tuple[Behaviour | None, str]] = {
    "http_500": (error(500), "HTTP 500 from openai/gpt-4o"),
    "http_503": (error(503), "HTTP 503 from openai/gpt-4o"),
    "http_429_retry_after_5s": (error(429, retry_after=5), "HTTP 429 from openai/gpt-4o (retry after 5 s)"),
    "http_429_no_retry_after": (error(429), "HTTP 429 from openai/gpt-4o"),
    "hang_past_timeout": (hang(), f"timed out after {TIMEOUT_S:.1f} s"),
    "connection_refused": (None, "connection refused by openai/gpt-4o"),
    "malformed_tool_json": (tool_call("lookup_order", '{"order_id": "ORD-678'), "malformed tool-call arguments"),
    "tool_args_not_object": (tool_call("lookup_order", '["ORD-67890"]'), "malformed tool-call arguments"),
    "unknown_tool": (tool_call("wipe_database", {"confirm": True}), "unknown tool 'wipe_database'"),
    "tool_not_offered": (tool_call("issue_refund", {"order_id": "ORD-67890", "amount": 5, "reason": "x"}),
                         "unknown tool 'issue_refund'"),
    "empty_reply": (empty(), "empty reply"),
}


@pytest.mark.parametrize("fault", FAULTS)
async def test_fault_on_primary_is_answered_by_the_next_model(remote, fault, monkeypatch):
    engine, fake = remote
    behaviour, message = FAULTS[fault]
    if behaviour is None:
        monkeypatch.setenv("OPENAI_API_BASE", f"http://127.0.0.1:{closed_port()}/v1")
    else:
        fake.script("gpt-4o", behaviour)
    fake.script("claude-sonnet-4-5", text(CLAUDE_SAYS))
    conv, events, elapsed = await _turn(engine)

    failed = [e for e in events if isinstance(e, ModelFailed)]
    assert [(e.model, e.error, e.next_model) for e in failed] == [(GPT, message, CLAUDE)]
    reply = next(e for e in events if isinstance(e, ReplyCompleted))
    assert (reply.model, reply.text) == (CLAUDE, CLAUDE_SAYS)
    assert reply.fallbacks == [FallbackAttempt(model=GPT, error=message)]
    assert events[-1].kind == "turn_completed" and events[-1].status == "completed"
    limit = TIMEOUT_S + QUICK_S if fault == "hang_past_timeout" else QUICK_S
    assert elapsed < limit, f"{fault}: the turn took {elapsed:.2f} s"
    if fault == "hang_past_timeout":
        assert elapsed >= TIMEOUT_S * 0.9
    # One attempt at the failing model: no hidden retries (a 429 asking for 5 s is not waited for).
    expected_calls = 0 if behaviour is None else 1
    assert len(fake.calls("gpt-4o")) == expected_calls

    messages = await _stored_once(engine, conv.id)
    ai = [m for m in messages if m.role == "ai"]
    assert [(m.text, m.model) for m in ai] == [(CLAUDE_SAYS, CLAUDE)]
    # The customer's turn (switching the model is a person's change, recorded as its own short turn).
    turns = [t for t in await engine.store.turns(conv.id) if t.message_id is not None]
    assert [(t["status"], t["model"]) for t in turns] == [("completed", CLAUDE)]
    stored = [e for e in await engine.trace(conv.id) if e.turn_id == events[0].turn_id]
    assert [e.kind for e in stored] == [e.kind for e in events]
    assert [e for e in stored if isinstance(e, ModelFailed)] == failed


async def test_short_retry_after_is_waited_for_once(remote):
    engine, fake = remote
    fake.script("gpt-4o", error(429, retry_after=0.2), text("Sorry for the wait: ORD-67890 is on its way."))
    conv, events, elapsed = await _turn(engine)
    reply = next(e for e in events if isinstance(e, ReplyCompleted))
    assert reply.model == GPT and reply.fallbacks == []
    assert not any(isinstance(e, ModelFailed) for e in events)
    assert len(fake.calls("gpt-4o")) == 2
    assert 0.2 <= elapsed < QUICK_S
    await _stored_once(engine, conv.id)


async def test_stream_cut_mid_reply_resets_the_text(remote):
    engine, fake = remote
    fake.script("gpt-4o", cut("Your refund of two hundred"))
    fake.script("claude-sonnet-4-5", text(CLAUDE_SAYS))
    conv, events, elapsed = await _turn(engine)
    kinds = [e.kind for e in events]
    assert kinds.index("reply_delta") < kinds.index("model_failed") < kinds.index("reply_reset")
    reset = next(e for e in events if isinstance(e, ReplyReset))
    assert reset.model == GPT
    reply = next(e for e in events if isinstance(e, ReplyCompleted))
    assert reply.text == CLAUDE_SAYS and "refund" not in reply.text
    assert reply.fallbacks == [FallbackAttempt(model=GPT, error=f"timed out after {TIMEOUT_S:.1f} s")]
    assert elapsed < TIMEOUT_S + QUICK_S
    await _stored_once(engine, conv.id)


BOTH_DOWN = {
    "500_then_empty": (error(500), "HTTP 500 from openai/gpt-4o", empty(), "empty reply"),
    "429_then_unknown_tool": (error(429, retry_after=30), "HTTP 429 from openai/gpt-4o (retry after 30 s)",
                              tool_call("drop_tables", {}), "unknown tool 'drop_tables'"),
    "malformed_then_500": (tool_call("track_shipment", "{order_id: ORD-67890}"), "malformed tool-call arguments",
                           error(500), "HTTP 500 from anthropic/claude-sonnet-4-5"),
    "hang_then_refused": (hang(), f"timed out after {TIMEOUT_S:.1f} s", None,
                          "connection refused by anthropic/claude-sonnet-4-5"),
}


@pytest.mark.parametrize("case", BOTH_DOWN)
async def test_every_remote_model_down_ends_at_the_offline_model(remote, case, monkeypatch):
    engine, fake = remote
    gpt_fault, gpt_error, claude_fault, claude_error = BOTH_DOWN[case]
    fake.script("gpt-4o", gpt_fault)
    if claude_fault is None:
        monkeypatch.setenv("ANTHROPIC_API_BASE", f"http://127.0.0.1:{closed_port()}")
    else:
        fake.script("claude-sonnet-4-5", claude_fault)
    conv, events, elapsed = await _turn(engine)

    reply = next(e for e in events if isinstance(e, ReplyCompleted))
    assert reply.model == OFFLINE_MODEL
    assert "1Z999AA10123456784" in reply.text, "the offline model still answers from the store"
    assert reply.fallbacks == [FallbackAttempt(model=GPT, error=gpt_error), FallbackAttempt(model=CLAUDE, error=claude_error)]
    failed = [(e.model, e.next_model) for e in events if isinstance(e, ModelFailed)]
    assert failed == [(GPT, CLAUDE), (CLAUDE, OFFLINE_MODEL)], "a failed model sits out the turn's later rounds"
    called = [e.model for e in events if e.kind == "model_called"]
    assert len(called) >= 2 and called[0] == GPT and set(called[1:]) == {OFFLINE_MODEL}
    hung = TIMEOUT_S if case.startswith("hang") else 0.0
    assert elapsed < hung + QUICK_S, f"{case}: {elapsed:.2f} s"
    done = events[-1]
    assert isinstance(done, TurnCompleted) and done.status == "completed"
    await _stored_once(engine, conv.id)


async def test_provider_error_text_never_carries_the_key(remote):
    """The fake provider echoes the caller's key in its error body, as some gateways do."""
    engine, fake = remote
    fake.script("gpt-4o", error(401))
    fake.script("claude-sonnet-4-5", error(500))
    conv, events, _ = await _turn(engine)
    dumped = "".join(e.model_dump_json() for e in events) + "".join(e.model_dump_json() for e in await engine.trace(conv.id))
    assert OPENAI_KEY not in dumped and ANTHROPIC_KEY not in dumped
    assert "HTTP 401 from openai/gpt-4o" in dumped


# --- the command line ------------------------------------------------------------------------------


async def test_cli_ask_falls_back_and_says_why(template_home, tmp_path, fake_provider, router_cache):
    """`ask --json` with a primary answering 500: exit 0, the fallback's answer, the failure listed, no key."""
    home = tmp_path / "cli-home"
    shutil.copytree(template_home, home)
    fake_provider.script("gpt-4o", error(500))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "ANTHROPIC_"))}
    env |= {"SUPPORT_TUI_HOME": str(home), "SUPPORT_TUI_CACHE": str(router_cache), "OPENAI_API_KEY": OPENAI_KEY, "OPENAI_API_BASE": fake_provider.openai_base}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "support_tui", "ask", "Where is my order ORD-67890?", "--customer", SARAH,
        "--model", GPT, "--json", env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 150)
    assert proc.returncode == 0, err.decode()
    summary = json.loads(out)
    assert summary["model"] == OFFLINE_MODEL
    assert summary["fallbacks"][0] == {"model": GPT, "error": "HTTP 500 from openai/gpt-4o"}
    assert {f["model"] for f in summary["fallbacks"]} == {GPT}
    assert summary["status"] == "completed" and "1Z999AA10123456784" in summary["reply"]
    # Claude has no key here: skipped with a notice, never called.
    assert any(n["code"] == "offline_model" and "ANTHROPIC_API_KEY" in n["message"] for n in summary["notices"])
    assert len(fake_provider.calls("gpt-4o")) >= 1 and not fake_provider.calls("claude-sonnet-4-5")
    assert OPENAI_KEY not in out.decode() + err.decode()
