"""The model client: the fallback chain, each fault mode, 429 handling, redaction, usage, quiet calls."""

import time

import support_tui.core.llm  # noqa: F401  (environment before litellm)
import litellm
import pytest

pytestmark = pytest.mark.filterwarnings("ignore:.*ReadOnly. qualifier:UserWarning")

from fake_provider import closed_port, cut, empty, error, fake_provider, hang, text, tool_call  # noqa: F401
from support_tui.core.events import FallbackAttempt
from support_tui.core.llm import (
    ModelChainExhausted,
    ModelClient,
    ModelFailure,
    ReplyDone,
    TextDelta,
    available_models,
    model_chain,
    redact_pii,
)
from support_tui.core.llm.redact import scrub_secrets
from support_tui.core.settings import OFFLINE_MODEL, Settings

OPENAI_KEY = "sk-test-openai-0123456789abcdef"
ANTHROPIC_KEY = "sk-ant-test-0123456789abcdef"
GPT, MINI, CLAUDE = "openai/gpt-4o", "openai/gpt-4o-mini", "anthropic/claude-sonnet-4-5"
TOOLS = [{"type": "function", "function": {"name": "lookup_order", "parameters": {"type": "object", "properties": {}}}}]
HELLO = [{"role": "user", "content": "Where is my order?"}]

_warm: list[bool] = []


async def warm_up(fake):
    """Pay LiteLLM's first streamed call per provider (a second or two of imports) before timing anything."""
    if not _warm:
        fake.script("gpt-4o", tool_call("lookup_order", {}))
        fake.script("claude-sonnet-4-5", tool_call("lookup_order", {}))
        for model in (GPT, CLAUDE, OFFLINE_MODEL):
            await run([model], tools=TOOLS)
        _warm.append(True)
    fake.requests.clear()
    fake.scripts.clear()


@pytest.fixture
async def env(fake_provider, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
    monkeypatch.setenv("OPENAI_API_BASE", fake_provider.openai_base)
    monkeypatch.setenv("ANTHROPIC_API_KEY", ANTHROPIC_KEY)
    monkeypatch.setenv("ANTHROPIC_API_BASE", fake_provider.anthropic_base)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("ANTHROPIC_BASE_URL", raising=False)
    await warm_up(fake_provider)
    return fake_provider


async def run(chain, messages=HELLO, tools=None, **settings):
    client = ModelClient(Settings(model_timeout_s=1, fallback_models=[], **settings))
    started = time.perf_counter()
    items = [item async for item in client.stream(chain, messages, tools)]
    return items, time.perf_counter() - started


def failures(items):
    return [i for i in items if isinstance(i, ModelFailure)]


# --- the chain ---------------------------------------------------------------------------------


def test_chain_with_keys_tries_primary_then_fallbacks_then_offline():
    env = {"OPENAI_API_KEY": "k", "ANTHROPIC_API_KEY": "k"}
    chain, skipped = model_chain(CLAUDE, Settings(fallback_models=[GPT, CLAUDE]), env=env)
    assert chain == [CLAUDE, GPT, OFFLINE_MODEL]
    assert skipped == []


def test_chain_skips_models_without_a_key():
    chain, skipped = model_chain(GPT, Settings(), env={"ANTHROPIC_API_KEY": "k"})
    assert chain == [CLAUDE, OFFLINE_MODEL]
    assert skipped == ["openai/gpt-4o: OPENAI_API_KEY not set"]
    chain, skipped = model_chain(GPT, Settings(), env={})
    assert chain == [OFFLINE_MODEL]
    assert skipped == ["openai/gpt-4o: OPENAI_API_KEY not set", "anthropic/claude-sonnet-4-5: ANTHROPIC_API_KEY not set"]


def test_chain_dedupes_and_keeps_offline_last():
    settings = Settings(fallback_models=[OFFLINE_MODEL, "ollama/llama3", GPT, "ollama/llama3"])
    chain, _ = model_chain(GPT, settings, env={"OPENAI_API_KEY": "k"})
    assert chain == [GPT, "ollama/llama3", OFFLINE_MODEL]
    assert model_chain(OFFLINE_MODEL, Settings(), env={}) == ([OFFLINE_MODEL], [GPT + ": OPENAI_API_KEY not set",
                                                                                CLAUDE + ": ANTHROPIC_API_KEY not set"])


def test_available_models_lists_defaults_fallbacks_then_offline():
    models = available_models(Settings(fallback_models=["groq/llama-3.1-8b", OFFLINE_MODEL, GPT]))
    assert models == [GPT, CLAUDE, "groq/llama-3.1-8b", OFFLINE_MODEL]


# --- answers -------------------------------------------------------------------------------------


async def test_streams_text_then_reply_with_usage_and_cost(env):
    env.script("gpt-4o", text("Your parcel is out for delivery."))
    items, _ = await run([GPT, OFFLINE_MODEL])
    deltas = [i.text for i in items if isinstance(i, TextDelta)]
    assert "".join(deltas) == "Your parcel is out for delivery." and len(deltas) == 6
    done = items[-1]
    assert isinstance(done, ReplyDone)
    reply = done.reply
    assert (reply.model, reply.text, reply.tool_calls, reply.fallbacks) == (GPT, "Your parcel is out for delivery.", [], [])
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (11, 7)
    assert reply.usage.cost_usd > 0
    assert env.requests[0].body["stream"] is True


async def test_tool_call_is_parsed(env):
    env.script("claude-sonnet-4-5", tool_call("lookup_order", {"order_id": "NW-1001"}))
    items, _ = await run([CLAUDE, OFFLINE_MODEL], tools=TOOLS)
    reply = items[-1].reply
    (call,) = reply.tool_calls
    assert (call.id, call.name, call.arguments) == ("toolu_1", "lookup_order", {"order_id": "NW-1001"})
    assert call.raw_arguments == '{"order_id": "NW-1001"}'
    assert reply.text == "" and reply.usage.prompt_tokens == 13


async def test_offline_model_answers_for_free():
    items, _ = await run([OFFLINE_MODEL])
    reply = items[-1].reply
    assert reply.model == OFFLINE_MODEL and reply.text and reply.usage.cost_usd == 0


# --- faults: each moves on to the next model -------------------------------------------------------

FAULTS = {
    "http_500": (error(500), "HTTP 500 from openai/gpt-4o"),
    "http_429_long_wait": (error(429, retry_after=5), "HTTP 429 from openai/gpt-4o (retry after 5 s)"),
    "malformed_arguments": (tool_call("lookup_order", '{"order_id": '), "malformed tool-call arguments"),
    "unknown_tool": (tool_call("wipe_database", {}), "unknown tool 'wipe_database'"),
    "empty_reply": (empty(), "empty reply"),
}


@pytest.mark.parametrize("fault", FAULTS)
async def test_fault_moves_on_to_the_next_model(env, fault):
    behaviour, message = FAULTS[fault]
    env.script("gpt-4o", behaviour)
    env.script("gpt-4o-mini", text("Second model here."))
    items, elapsed = await run([GPT, MINI, OFFLINE_MODEL], tools=TOOLS)
    assert failures(items) == [ModelFailure(model=GPT, error=message, next_model=MINI, partial_text=False)]
    reply = items[-1].reply
    assert (reply.model, reply.text) == (MINI, "Second model here.")
    assert reply.fallbacks == [FallbackAttempt(model=GPT, error=message)]
    assert elapsed < 0.8
    assert len(env.calls("gpt-4o")) == 1


async def test_connection_refused_moves_on_fast(env, monkeypatch):
    monkeypatch.setenv("OPENAI_API_BASE", f"http://127.0.0.1:{closed_port()}/v1")
    items, elapsed = await run([GPT, CLAUDE, OFFLINE_MODEL])
    assert failures(items)[0].error == "connection refused by openai/gpt-4o"
    assert items[-1].reply.model == CLAUDE
    assert elapsed < 0.8


async def test_anthropic_connection_refused_is_named(env, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_BASE", f"http://127.0.0.1:{closed_port()}")
    items, _ = await run([CLAUDE, OFFLINE_MODEL])
    assert failures(items)[0].error == "connection refused by anthropic/claude-sonnet-4-5"
    assert items[-1].reply.model == OFFLINE_MODEL


async def test_hang_costs_about_the_timeout(env):
    env.script("claude-sonnet-4-5", hang())
    items, elapsed = await run([CLAUDE, GPT, OFFLINE_MODEL])
    assert failures(items) == [ModelFailure(model=CLAUDE, error="timed out after 1.0 s", next_model=GPT, partial_text=False)]
    assert items[-1].reply.model == GPT
    assert 0.9 < elapsed < 2.0


async def test_stream_cut_off_mid_reply_says_the_text_is_void(env):
    env.script("gpt-4o", cut("Your refund of"))
    items, elapsed = await run([GPT, MINI])
    kinds = [type(i).__name__ for i in items]
    assert kinds[:4] == ["TextDelta"] * 3 + ["ModelFailure"]
    assert failures(items) == [ModelFailure(model=GPT, error="timed out after 1.0 s", next_model=MINI, partial_text=True)]
    assert items[-1].reply.text == "Hello from gpt-4o-mini."
    assert elapsed < 3.0


async def test_every_remote_failure_ends_at_the_offline_model(env):
    env.script("gpt-4o", error(503))
    env.script("claude-sonnet-4-5", empty())
    items, _ = await run([GPT, CLAUDE, OFFLINE_MODEL])
    reply = items[-1].reply
    assert reply.model == OFFLINE_MODEL
    assert reply.fallbacks == [FallbackAttempt(model=GPT, error="HTTP 503 from openai/gpt-4o"),
                               FallbackAttempt(model=CLAUDE, error="empty reply")]


async def test_a_chain_with_no_answer_raises(env):
    env.script("gpt-4o", error(500))
    client = ModelClient(Settings(model_timeout_s=1))
    items = []
    with pytest.raises(ModelChainExhausted, match="HTTP 500 from openai/gpt-4o"):
        async for item in client.stream([GPT], HELLO, None):
            items.append(item)
    assert items == [ModelFailure(model=GPT, error="HTTP 500 from openai/gpt-4o", next_model=None, partial_text=False)]


# --- 429 ------------------------------------------------------------------------------------------


async def test_short_retry_after_is_honoured_once(env):
    env.script("gpt-4o", error(429, retry_after=0.3), text("Back again."))
    items, elapsed = await run([GPT, OFFLINE_MODEL])
    assert failures(items) == []
    assert items[-1].reply.text == "Back again." and items[-1].reply.fallbacks == []
    assert len(env.calls("gpt-4o")) == 2
    assert 0.3 <= elapsed < 1.0


async def test_repeated_429_moves_on(env):
    env.script("gpt-4o", error(429, retry_after=0.1))
    items, _ = await run([GPT, OFFLINE_MODEL])
    assert failures(items)[0].error == "HTTP 429 from openai/gpt-4o (retry after 0.1 s)"
    assert items[-1].reply.model == OFFLINE_MODEL
    assert len(env.calls("gpt-4o")) == 2


# --- privacy and quiet ------------------------------------------------------------------------------


async def test_redaction_applies_only_to_external_models(env, monkeypatch):
    original = [{"role": "user", "content": "I'm ann@example.com, card 4111 1111 1111 1111, call +44 20 7946 0958."}]
    env.script("gpt-4o", error(500))
    sent_offline = []
    real = litellm.acompletion

    async def spy(**kwargs):
        if kwargs["model"] == OFFLINE_MODEL:
            sent_offline.append(kwargs["messages"])
        return await real(**kwargs)

    monkeypatch.setattr(litellm, "acompletion", spy)
    await run([GPT, OFFLINE_MODEL], messages=original, redact_pii=True)
    assert env.calls("gpt-4o")[0].body["messages"][0]["content"] == "I'm [email], card [card], call [phone]."
    assert sent_offline == [original]
    assert "ann@example.com" in original[0]["content"]


async def test_no_redaction_when_off(env):
    await run([GPT], messages=[{"role": "user", "content": "I'm ann@example.com"}])
    assert env.calls("gpt-4o")[0].body["messages"][0]["content"] == "I'm ann@example.com"


async def test_errors_never_carry_the_api_key(env, monkeypatch):
    env.script("gpt-4o", error(400))  # the fake echoes the key it received in its error body
    monkeypatch.setattr("support_tui.core.llm.client.describe_error", lambda exc, model, t: str(exc))
    items, _ = await run([GPT, OFFLINE_MODEL])
    assert "scripted failure for key" in failures(items)[0].error
    assert OPENAI_KEY not in failures(items)[0].error


async def test_calls_print_nothing(env, capfd):
    env.script("gpt-4o", error(500))
    env.script("claude-sonnet-4-5", tool_call("lookup_order", "{"))
    await run([GPT, CLAUDE, OFFLINE_MODEL], tools=TOOLS)
    assert capfd.readouterr() == ("", "")


# --- redaction rules --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, redacted",
    [
        ("mail me at a.b+tag@shop.co.uk please", "mail me at [email] please"),
        ("card 4111-1111-1111-1111 expires", "card [card] expires"),
        ("card 4111111111111111", "card [card]"),
        ("call (555) 123-4567 or 555.123.4567", "call [phone] or [phone]"),
        ("mobile 07700900123", "mobile [phone]"),
        ("order NW-100234 shipped 2026-11-02, tracking 1Z999AA10123456784", None),
        ("not a card 4111 1111 1111 1112", None),
        ("total $1,299.00 for 3 items", None),
    ],
)
def test_redact_pii(raw, redacted):
    assert redact_pii(raw) == (raw if redacted is None else redacted)


def test_scrub_secrets():
    env = {"OPENAI_API_KEY": "plainvalue42"}
    assert scrub_secrets("key plainvalue42 and sk-proj-abcdefghijklmnop", env) == "key [key] and [key]"
    assert scrub_secrets("Authorization: Bearer abc.def.ghi.jkl", {}) == "Authorization: [key]"
