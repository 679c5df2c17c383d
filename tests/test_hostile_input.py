"""Hostile input, generated with hypothesis: customer text, tool arguments, knowledge-base files, fixture JSON."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support_tui.core.shop import CallContext, ToolOutcome
from support_tui.core.state import ConversationState
from support_tui.core.turn.tools import ToolRunner
from support_tui.shops.northwind.tools import TOOL_NAMES
from support_tui.core.events import Notice, TurnCompleted, TurnStarted
from support_tui.core.factory import open_engine
from support_tui.core.paths import DataPaths
from support_tui.core.settings import Settings
from support_tui.core.textsafety import EmptyMessage, clean_message

SARAH = "cust_12345"
MAX_CHARS = 300
TRIED: dict[str, int] = {}
"""Inputs tried per property, for the reliability figures."""

FAST = settings(max_examples=600, deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
SLOW = settings(max_examples=50, deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture])
TOOLS = settings(SLOW, max_examples=400)

NASTY = [
    "\x1b[31m", "\x1b[2J", "\x1b]8;;https://evil.example/\x07click\x1b]8;;\x07", "\x1b]0;pwned\x1b\\", "\x1bP+q\x1b\\",
    "\x9b31m", "\x07", "\x00", "\x08", "\x7f", "\r\n", "\r", "\t", "\u202e", "\u200b", "\ufeff", "\ud800", "\udfff",
    "[bold red]", "[/]", "[link=https://x]", "[@click=app.quit]", "[$accent]", "{{", "%s", "';--", "🙂", "e\u0301",
]
any_char = st.characters(blacklist_categories=())  # surrogates and controls included
hostile_text = st.one_of(
    st.text(any_char, max_size=80),
    st.lists(st.one_of(st.sampled_from(NASTY), st.text(any_char, max_size=8)), max_size=25).map("".join),
    st.tuples(st.sampled_from(NASTY + ["a", "word "]), st.integers(1, 3000)).map(lambda p: p[0] * p[1]),
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


# --- the message path --------------------------------------------------------------------------------


@FAST
@given(hostile_text)
def test_clean_gives_safe_bounded_text_or_says_empty(text):
    TRIED["clean_message"] = TRIED.get("clean_message", 0) + 1
    try:
        cleaned = clean_message(text, MAX_CHARS)
    except EmptyMessage:
        return
    assert cleaned.text and cleaned.text == cleaned.text.strip()
    assert len(cleaned.text) <= MAX_CHARS
    assert not _CONTROL.search(cleaned.text), "no escape or control characters survive"
    cleaned.text.encode("utf-8")  # storable: no lone surrogates
    if "message_truncated" in [code for code, _ in cleaned.notices]:
        assert len(text) > MAX_CHARS


def test_huge_message_is_truncated_with_a_notice():
    cleaned = clean_message("x" * 2_000_000, MAX_CHARS)
    assert cleaned.text == "x" * MAX_CHARS
    assert [c for c, _ in cleaned.notices] == ["message_truncated"]
    assert "2,000,000" in cleaned.notices[0][1]


@pytest.fixture(scope="module")
def loop_engine(template_home, shared_embedder, tmp_path_factory):
    """A ready engine on its own event loop, so synchronous hypothesis tests can drive it."""
    home = tmp_path_factory.mktemp("hostile") / "home"
    shutil.copytree(template_home, home)
    loop = asyncio.new_event_loop()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SUPPORT_TUI_CACHE", str(tmp_path_factory.getbasetemp() / "router-cache"))
        engine = loop.run_until_complete(
            open_engine(DataPaths(home), Settings(max_message_chars=MAX_CHARS), embedder=shared_embedder)
        )
    try:
        yield loop, engine
    finally:
        loop.run_until_complete(engine.close())
        loop.close()


async def _turn_or_empty(engine, text):
    conv = await engine.open_conversation(SARAH, new=True)
    try:
        events = [e async for e in engine.run_turn(conv.id, text)]
    except EmptyMessage:
        assert await engine.messages(conv.id) == [], "an empty message stores nothing"
        return conv, None
    return conv, events


@SLOW
@given(hostile_text)
def test_any_text_gives_a_clean_turn_or_an_empty_message_error(loop_engine, text):
    TRIED["run_turn"] = TRIED.get("run_turn", 0) + 1
    loop, engine = loop_engine
    conv, events = loop.run_until_complete(_turn_or_empty(engine, text))
    if events is None:
        with pytest.raises(EmptyMessage):
            clean_message(text, MAX_CHARS)
        return
    started, done = events[0], events[-1]
    assert isinstance(started, TurnStarted) and isinstance(done, TurnCompleted)
    assert done.status != "failed", done.error
    stored = loop.run_until_complete(engine.messages(conv.id))
    customer = [m for m in stored if m.role == "customer"]
    assert [m.text for m in customer] == [started.text] == [clean_message(text, MAX_CHARS).text]
    truncated = [e for e in events if isinstance(e, Notice) and e.code == "message_truncated"]
    assert bool(truncated) == ("message_truncated" in [c for c, _ in clean_message(text, MAX_CHARS).notices])


def test_markup_looking_text_is_stored_and_returned_byte_for_byte(loop_engine):
    """Rich/Textual markup is only text to the engine; the views decide how to show it."""
    loop, engine = loop_engine
    text = "[bold red]refund[/] [link=https://evil.example]here[/link] [@click=app.quit]x[/] [$accent] \\[escaped] [/]"
    conv, events = loop.run_until_complete(_turn_or_empty(engine, text))
    assert events[0].text == text
    stored = loop.run_until_complete(engine.messages(conv.id))
    assert stored[0].text == text and stored[0].text.encode() == text.encode()
    trace = loop.run_until_complete(engine.trace(conv.id))
    assert trace[0].text == text


# --- tool arguments ----------------------------------------------------------------------------------

FIELDS = ["order_id", "amount", "reason", "kind", "skus", "sku", "field", "value", "query", "limit", "status",
          "product_id", "name", "street", "city", "postal_code", "country", "agent", "priority", "customer_id"]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(any_char, max_size=20)
    | st.sampled_from(["ORD-67890", "ORD-70001", "67891", "#ORD-54321", "cust_23456", "refund", "email", "1e309", "NaN"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
arguments = st.one_of(
    st.dictionaries(st.one_of(st.sampled_from(FIELDS), st.text(any_char, max_size=8)), json_values, max_size=6),
    st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=6).map(json.dumps),
    st.text(any_char, max_size=60),
    st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=4).map(lambda d: json.dumps(d)[:-1]),
    st.sampled_from(["", "null", "[]", "[1,2]", "42", '"text"', "{", "{}", '{"order_id": NaN}', "\x00"]),
    json_values,
)
WRITE_TABLES = ("refunds", "returns", "orders", "customers", "addresses", "charges")


async def _snapshot(db) -> list:
    return [tuple(tuple(r) for r in await db.fetchall(f"SELECT * FROM {t} ORDER BY rowid")) for t in WRITE_TABLES]


@TOOLS
@given(st.one_of(st.sampled_from(TOOL_NAMES), st.text(any_char, max_size=12)), arguments, st.booleans())
def test_any_tool_arguments_give_an_outcome_never_an_exception(loop_engine, name, args, escalated):
    TRIED["run_tool"] = TRIED.get("run_tool", 0) + 1
    loop, engine = loop_engine
    ctx = CallContext(customer_id=SARAH, conversation_id="conv_fuzz", turn_id="turn_fuzz", escalated=escalated)
    runner = ToolRunner(engine.shop, ConversationState(), ctx, approval_threshold=engine.settings.approval_threshold)

    async def call():
        before = await _snapshot(engine.shop.db)
        outcome = (await runner.run(name, args)).outcome
        assert await _snapshot(engine.shop.db) == before, "no write without the customer's yes"
        return outcome

    outcome = loop.run_until_complete(call())
    assert isinstance(outcome, ToolOutcome)
    json.loads(outcome.model_dump_json())  # it can be stored in the trace and shown
    if outcome.status != "ok":
        assert outcome.error
    assert "Traceback" not in (outcome.error or "")


# --- knowledge-base files and fixtures -------------------------------------------------------------------


async def test_kb_ingest_survives_broken_files(tmp_path, shared_embedder):
    from support_tui.core.kb.store import KnowledgeBase

    source = tmp_path / "kb"
    source.mkdir()
    (source / "good.md").write_text("# Returns\n\nReturns are accepted within 30 days of delivery.\n", encoding="utf-8")
    (source / "latin1.md").write_bytes("# Café hours\n\nOpen 9\xa0to 5, crème brûlée.\n".encode("latin-1"))
    (source / "garbage.md").write_bytes(b"# Broken \xff\xfe\xfa\n\n\x80\x81 bytes \xc3\x28 and \xed\xa0\x80 surrogate\n")
    (source / "empty.md").write_bytes(b"")
    (source / "nul.md").write_bytes(b"\x00" * 64)
    (source / "bom-crlf.md").write_bytes("\ufeff# Shipping\r\n\r\nWe ship in two days.\r\n".encode("utf-8"))
    (source / "one-long-line.md").write_text("# Long\n\n" + "word" * 20_000, encoding="utf-8")
    kb = KnowledgeBase(tmp_path / "kb.lance", shared_embedder)
    await kb.open()
    report = await kb.ingest(source)
    stored = await kb.doc_hashes()
    assert {"good", "bom-crlf", "latin1", "garbage"} <= set(stored)
    hits = await kb.search("crème brûlée café hours", k=3)
    assert hits and all("\udcff" not in h.text for h in hits)
    titles = {h.doc_id: h.title for h in await kb.search("Shipping two days", k=7)}
    assert titles.get("bom-crlf") == "Shipping"
    assert report.added == 7  # every file was read; the empty one simply has no chunks


def test_malformed_demo_json_is_a_clear_error(tmp_path):
    from support_tui.shops.northwind.fixtures import read_demo

    for name, content in {"truncated.json": b'{"customers": [', "binary.json": b"\xff\xfe{}", "list.json": b"[1, 2]"}.items():
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(ValueError) as caught:
            read_demo(path)
        assert name in str(caught.value), f"the error names the file: {caught.value}"


def test_malformed_scenarios_are_skipped(tmp_path):
    from support_tui.tui.screens.actions import load_scenarios

    (tmp_path / "good.json").write_text(json.dumps({"id": "good", "steps": [{"customer": "Where is my order?"}]}))
    for name, content in {
        "truncated.json": b'{"steps": [', "binary.json": b"\xff\xfe\x00", "list.json": b"[1, 2]",
        "steps-not-list.json": b'{"steps": 5}', "null.json": b"null", "step-text.json": b'{"steps": ["hello"]}',
    }.items():
        (tmp_path / name).write_bytes(content)
    assert [s["id"] for s in load_scenarios(tmp_path)] == ["good"]


def test_zz_report_inputs_tried():
    """Prints how many generated inputs each property saw (for the README's reliability figures)."""
    print(f"\nhypothesis inputs tried: {TRIED} (total {sum(TRIED.values())})")
