"""Secrets and privacy: keys never reach logs, traces, `trace --json`, exports or error text; PII is redacted on the wire only."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

import support_tui.core.llm  # noqa: F401  (LiteLLM's environment first)
from fake_provider import error, fake_provider, text, tool_call  # noqa: F401
from support_tui.core.events import ReplyCompleted, ToolCallFinished, TurnStarted
from support_tui.core.factory import open_engine
from support_tui.core.llm.client import describe_error
from support_tui.core.llm.redact import scrub_secrets
from support_tui.core.paths import DataPaths
from support_tui.core.settings import Settings

pytestmark = pytest.mark.filterwarnings("ignore:.*ReadOnly. qualifier:UserWarning")

OPENAI_KEY = "sk-proj-SECRETcanary-9f8e7d6c5b4a3210"
ODD_KEY = "AbCdEfGhIjKlMnOp0123456789"  # a key in no known shape: only the value itself can find it
SARAH = "cust_12345"
EMAIL, PHONE, CARD = "jane.doe+orders@example.org", "+1 (415) 555-0199", "4111 1111 1111 1111"
PII_MESSAGE = f"Hi, I'm Jane, email {EMAIL}, phone {PHONE}, my card {CARD} was charged twice for ORD-67890."


@pytest.fixture
async def wired(engine_home, shared_embedder, fake_provider, monkeypatch, tmp_path_factory):
    """Returns a function opening an engine on the fake provider with given settings."""
    monkeypatch.setenv("SUPPORT_TUI_CACHE", str(tmp_path_factory.getbasetemp() / "router-cache"))
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
    monkeypatch.setenv("OPENAI_API_BASE", fake_provider.openai_base)
    engines = []

    async def make(**settings):
        engine = await open_engine(DataPaths(engine_home), Settings(fallback_models=[], model_timeout_s=2.0, **settings),
                                   embedder=shared_embedder)
        engines.append(engine)
        return engine

    try:
        yield make, fake_provider
    finally:
        for engine in engines:
            await engine.close()


async def _turn(engine, message, route=None, model="openai/gpt-4o"):
    conv = await engine.open_conversation(SARAH, new=True)
    await engine.set_model(conv.id, model)
    events = [e async for e in engine.run_turn(conv.id, message, route_override=route)]
    return conv, events


# --- keys ------------------------------------------------------------------------------------------


async def test_key_echoed_by_a_provider_reaches_no_log_trace_or_export(wired, caplog):
    from support_tui.tui.screens.trace import trace_json

    make, fake = wired
    caplog.set_level(logging.DEBUG)
    engine = await make()
    fake.script("gpt-4o", error(401))  # the body says "scripted failure for key sk-proj-..."
    conv, events = await _turn(engine, "Where is my order ORD-67890?")
    reply = next(e for e in events if isinstance(e, ReplyCompleted))
    assert reply.fallbacks[0].error == "HTTP 401 from openai/gpt-4o"
    assert fake.requests and OPENAI_KEY in json.dumps(fake.requests[0].headers), "the key did go on the wire"

    stored = await engine.trace(conv.id)
    turns = await engine.store.turns(conv.id)
    rows = await engine.shop.db.fetchall("SELECT data FROM events WHERE conversation_id = ?", (conv.id,))
    places = {
        "live events": "".join(e.model_dump_json() for e in events),
        "stored trace": "".join(r["data"] for r in rows) + "".join(e.model_dump_json() for e in stored),
        "turn rows": json.dumps(turns, default=str),
        "messages": "".join(m.text for m in await engine.messages(conv.id)),
        "export": trace_json(stored),
        "logs": caplog.text + "".join(str(r.args) for r in caplog.records),
    }
    assert {where for where, blob in places.items() if OPENAI_KEY in blob} == set()


def test_trace_json_command_shows_no_key(engine_home, shared_embedder, monkeypatch, capsys, tmp_path_factory):
    """`support-tui trace CONV --json` on a conversation whose provider echoed the key."""
    from support_tui.cli import main

    monkeypatch.setenv("SUPPORT_TUI_HOME", str(engine_home))
    monkeypatch.setenv("SUPPORT_TUI_CACHE", str(tmp_path_factory.getbasetemp() / "router-cache"))
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
    from fake_provider import closed_port

    monkeypatch.setenv("OPENAI_API_BASE", f"http://user:{OPENAI_KEY}@127.0.0.1:{closed_port()}/v1")

    async def make_conversation() -> str:
        engine = await open_engine(DataPaths(engine_home), Settings(fallback_models=[]), embedder=shared_embedder)
        try:
            conv, events = await _turn(engine, "Where is my order ORD-67890?")
            assert next(e for e in events if isinstance(e, ReplyCompleted)).fallbacks
            return conv.id
        finally:
            await engine.close()

    conv_id = asyncio.run(make_conversation())
    capsys.readouterr()
    assert main(["trace", conv_id, "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out) and "model_failed" in out
    assert OPENAI_KEY not in out + err
    assert main(["trace", conv_id]) == 0
    out, err = capsys.readouterr()
    assert OPENAI_KEY not in out + err


def test_error_strings_are_scrubbed(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
    monkeypatch.setenv("MISTRAL_API_KEY", ODD_KEY)
    raised = [
        RuntimeError(f"Incorrect API key provided: {OPENAI_KEY}. You can find your key at ..."),
        RuntimeError(f"upstream said: Authorization: Bearer {ODD_KEY}"),
        ValueError(f"request failed: {{'api_key': '{ODD_KEY}', 'model': 'x'}}"),
        KeyError(f"x-api-key={ODD_KEY}"),
    ]
    for exc in raised:
        message = describe_error(exc, "openai/gpt-4o", 2.0)
        assert OPENAI_KEY not in message and ODD_KEY not in message, message
        assert message.startswith(type(exc).__name__)
    chained = RuntimeError("wrapper")
    chained.__cause__ = ConnectionError(f"proxy rejected key {ODD_KEY}")
    assert ODD_KEY not in describe_error(chained, "openai/gpt-4o", 2.0)
    assert scrub_secrets(f"a {OPENAI_KEY} b {ODD_KEY} c") == "a [key] b [key] c"


# --- personal data on the wire ----------------------------------------------------------------------


def _wire(fake) -> str:
    return json.dumps([r.body for r in fake.requests], ensure_ascii=False)


async def test_redact_pii_strips_the_wire_but_not_the_store(wired):
    make, fake = wired
    engine = await make(redact_pii=True)
    fake.script("gpt-4o", tool_call("get_account", {}), text("Thanks, I have your account details."))
    conv, events = await _turn(engine, PII_MESSAGE, route="account_management")
    account = next(e for e in events if isinstance(e, ToolCallFinished) and e.name == "get_account")
    assert account.status == "ok"
    sarah_email, sarah_phone = account.result["customer"]["email"], account.result["customer"]["phone"]

    wire = _wire(fake)
    assert len(fake.requests) == 2, "the second request carries the tool result back"
    for secret in (EMAIL, PHONE, CARD, sarah_email, sarah_phone):
        assert secret not in wire, f"{secret} was sent to the provider"
    assert "[email]" in wire and "[phone]" in wire and "[card]" in wire
    assert "ORD-67890" in wire, "order numbers are not personal data and still reach the model"

    # The local store keeps what the customer wrote, byte for byte, and the tool result in full.
    messages = await engine.messages(conv.id)
    assert [m.text for m in messages if m.role == "customer"] == [PII_MESSAGE]
    stored = await engine.trace(conv.id)
    started = [e for e in stored if isinstance(e, TurnStarted) and e.actor == "customer"]
    assert [e.text for e in started] == [PII_MESSAGE]
    stored_call = next(e for e in stored if isinstance(e, ToolCallFinished) and e.name == "get_account")
    assert stored_call.result["customer"]["email"] == sarah_email


async def test_without_redaction_the_wire_carries_the_text(wired):
    """The control: the same turn with redact_pii off does send the personal data."""
    make, fake = wired
    engine = await make(redact_pii=False)
    fake.script("gpt-4o", text("Thanks."))
    await _turn(engine, PII_MESSAGE)
    wire = _wire(fake)
    assert EMAIL in wire and CARD in wire
