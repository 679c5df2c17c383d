"""The adapters of the SupportStore Protocol (SQLite, PostgreSQL): every method, typed records back, bounded reads."""

from __future__ import annotations

import asyncio
import importlib
from datetime import date

import pytest

from support_tui.core.events import ReplyCompleted, TurnStarted, Usage
from support_tui.core.state import ConversationState
from support_tui.core.store import (
    ConversationInfo,
    MemoryEntry,
    PendingToolCall,
    Rating,
    SQLSupportStore,
    StoredMessage,
    SupportStore,
    TurnRecord,
    utcnow,
)
from support_tui.core.store import PostgresShopDatabase, postgres_support_store
from tests.pg import BACKENDS, support_store


@pytest.fixture(params=BACKENDS)
async def store(request, tmp_path):
    async with support_store(request.param, request, tmp_path) as store:
        yield store


def test_the_one_store_satisfies_the_protocol_and_the_shim_is_gone():
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("support_tui.core.store.support")
    protocol_methods = {n for n in dir(SupportStore) if not n.startswith("_")}
    assert protocol_methods <= set(dir(SQLSupportStore))
    assert isinstance(postgres_support_store("postgresql://nobody@127.0.0.1:1/none"), SupportStore)  # connects lazily
    for name in protocol_methods:
        assert getattr(SupportStore, name).__doc__, f"SupportStore.{name} has no docstring"


async def test_conversations_round_trip(store):
    assert isinstance(store, SupportStore)
    conv = await store.create_conversation("cust_1", mode="supervised", model="offline/support-agent")
    assert isinstance(conv, ConversationInfo) and conv.status == "open" and conv.state == {} and not conv.is_fixture
    state = ConversationState()
    await store.update_conversation(conv.id, status="escalated", priority="high", state=state)
    again = await store.get_conversation(conv.id)
    assert again is not None and (again.status, again.priority) == ("escalated", "high")
    assert ConversationState.model_validate(again.state) == state
    await store.update_conversation(conv.id, state={"plain": "dict"})
    assert (await store.get_conversation(conv.id)).state == {"plain": "dict"}
    with pytest.raises(ValueError, match="no field"):
        await store.update_conversation(conv.id, **{"status = 'x', id": "y"})
    other = await store.create_conversation("cust_2")
    assert [c.id for c in await store.list_conversations(customer_id="cust_1")] == [conv.id]
    assert [c.id for c in await store.list_conversations(statuses=["open"])] == [other.id]
    assert await store.get_conversation("nope") is None
    fork = await store.create_conversation("cust_1")
    await store.update_conversation(fork.id, parent_id=conv.id, forked_at_turn=2)
    again = await store.get_conversation(fork.id)
    assert again is not None and (again.parent_id, again.forked_at_turn) == (conv.id, 2)
    assert fork.id not in {c.id for c in (await store.metric_records(None, True)).conversations}  # forks stay out


async def test_messages_and_the_bounded_reads(store):
    conv = await store.create_conversation("cust_1")
    ids = []
    for n in range(12):
        role = "customer" if n % 2 == 0 else "ai"
        ids.append(await store.add_message(conv.id, role, f"m{n}", turn_id=f"t{n // 2}"))
    assert ids == sorted(ids)
    everything = await store.messages(conv.id)
    assert all(isinstance(m, StoredMessage) for m in everything) and [m.text for m in everything] == [f"m{n}" for n in range(12)]
    assert [m.text for m in await store.recent_messages(conv.id, 3)] == ["m9", "m10", "m11"]
    assert [m.text for m in await store.customer_messages(conv.id, 2)] == ["m8", "m10"]
    assert await store.recent_messages(conv.id, 0) == [] and len(await store.recent_messages(conv.id, 100)) == 12
    await store.set_message(ids[1], text="edited", status="draft")
    got = await store.get_message(ids[1])
    assert got is not None and (got.text, got.status) == ("edited", "draft")


async def test_turns_events_appended_and_read_per_turn(store):
    conv = await store.create_conversation("cust_1")
    mid = await store.add_message(conv.id, "customer", "hello")
    await store.start_turn("t1", conv.id, mid)
    started = TurnStarted(turn_id="t1", conversation_id=conv.id, customer_id="cust_1", message_id=mid, text="hello")
    await store.append_events([started])
    await store.append_events([])
    reply = ReplyCompleted(turn_id="t1", conversation_id=conv.id, message_id=mid + 1, text="hi", agent="a", model="m")
    await store.finish_turn("t1", status="completed", events=[reply], agent="a", model="m", timings={"total": 3.5},
                            usage=Usage(prompt_tokens=10, completion_tokens=2, cost_usd=0.01))
    await store.start_turn("t2", conv.id, None)
    assert await store.mark_interrupted_turns() == 1
    turns = await store.turns(conv.id)
    assert all(isinstance(t, TurnRecord) for t in turns)
    assert [(t.id, t.status) for t in turns] == [("t1", "completed"), ("t2", "interrupted")]
    assert turns[0].timings == {"total": 3.5} and turns[0].prompt_tokens == 10
    assert turns[0]["status"] == "completed" and turns[0].get("model") == "m"  # the old dict-style access
    assert [e.kind for e in await store.events(conv.id)] == ["turn_started", "reply_completed"]
    assert [e.kind for e in await store.events(conv.id, turn_id="t1")] == ["turn_started", "reply_completed"]
    assert await store.events(conv.id, turn_id="t2") == []


async def test_pending_calls_ratings_and_memory(store):
    conv = await store.create_conversation("cust_1")
    call = PendingToolCall(call_id="c1", conversation_id=conv.id, turn_id="t1", agent="returns_refunds", name="issue_refund",
                           arguments={"order_id": "ORD-1", "amount": 300.0}, rule="human_approval", reason="over",
                           status="pending", note=None, created_at=utcnow())
    await store.add_pending_call(call)
    await store.add_pending_call(call.model_copy(update={"reason": "again"}))
    assert await store.pending_calls(conv.id) == [call.model_copy(update={"reason": "again"})]
    assert len(await store.pending_calls()) == 1
    await store.resolve_pending_call("c1", "denied", "no")
    assert await store.pending_calls(conv.id) == []

    await store.rate(conv.id, 2)
    await store.rate(conv.id, 5, "great")
    rating = await store.rating(conv.id)
    assert isinstance(rating, Rating) and (rating.score, rating.comment) == (5, "great")
    with pytest.raises(ValueError):
        await store.rate(conv.id, 6)
    assert await store.rating("nope") is None

    await store.remember("cust_1", conv.id, "first")
    await store.remember("cust_1", conv.id, "second")
    await store.remember("cust_1", "conv_other", "other")
    memories = await store.memories("cust_1")
    assert all(isinstance(m, MemoryEntry) for m in memories)
    assert sorted(m.summary for m in memories) == ["other", "second"] and memories[0]["conversation_id"]
    assert len(await store.memories("cust_1", limit=1)) == 1
    assert await store.forget("cust_1") == 2 and await store.memories("cust_1") == []


async def test_records_are_frozen_and_refuse_unknown_fields():
    with pytest.raises(Exception):
        MemoryEntry(customer_id="c", conversation_id="x", summary="s", created_at="t", extra=1)
    entry = MemoryEntry(customer_id="c", conversation_id="x", summary="s", created_at="t")
    with pytest.raises(Exception):
        entry.summary = "changed"  # type: ignore[misc]
    with pytest.raises(KeyError):
        entry["nope"]


# both backends alike, and what only PostgreSQL has ---------------------------------------------------


async def test_a_generated_history_reads_back_the_same_from_both_backends_and_ids_go_on_after_it(tmp_path, request):
    from support_tui.core.metrics.history import load_history

    orders = {"cust_1": ["ORD-1", "ORD-2"], "cust_2": [], "cust_3": ["ORD-3"]}
    records = {}
    for backend in ("sqlite", "postgres"):
        async with support_store(backend, request, tmp_path / backend) as store:
            builds, add = [], store.add_fixture_history
            store.add_fixture_history = lambda build: builds.append(build) or add(build)
            loaded = await load_history(store, today=date(2026, 3, 15), orders=orders)
            assert loaded > 20 and await store.fixture_history_loaded()
            assert await add(builds[0]) == 0  # the same history again adds nothing
            records[backend] = await store.metric_records(None, True)
            last = max(m.id for m in records[backend].messages)
            conv = await store.create_conversation("cust_1")
            assert await store.add_message(conv.id, "customer", "after the history") == last + 1
            assert (await store.metric_records(None, False)).conversations == [
                c for c in (await store.metric_records(None, True)).conversations if not c.is_fixture]
    assert records["sqlite"] == records["postgres"]


async def test_postgres_finish_turn_writes_the_trace_and_the_turn_in_one_transaction(pg_cluster):
    store = postgres_support_store(await pg_cluster.new_database())
    try:
        conv = await store.create_conversation("cust_1")
        await store.start_turn("t1", conv.id, None)
        reply = ReplyCompleted(turn_id="t1", conversation_id=conv.id, message_id=1, text="hi\x00there", agent="a", model="m")
        with pytest.raises(Exception, match="out of int32 range"):  # the turn row's UPDATE fails after the events' INSERT
            await store.finish_turn("t1", status="completed", events=[reply],
                                    usage=Usage(prompt_tokens=2**40, completion_tokens=0, cost_usd=0.0))
        assert await store.events(conv.id) == [] and (await store.turns(conv.id))[0].status == "running"
        await store.finish_turn("t1", status="completed", events=[reply])
        assert [e.text for e in await store.events(conv.id)] == ["hi\x00there"]  # the trace keeps any text
    finally:
        await store.close()


async def test_postgres_loads_a_history_once_when_two_processes_race(pg_cluster):
    from support_tui.core.metrics.history import load_history

    url = await pg_cluster.new_database()
    one, two = postgres_support_store(url), postgres_support_store(url)
    try:
        loaded = await asyncio.gather(*(load_history(s, today=date(2026, 3, 15), orders={"cust_1": ["ORD-1"]})
                                        for s in (one, two)))
        assert sorted(loaded)[0] == 0 and sorted(loaded)[1] > 0
        conversations = (await one.metric_records(None, True)).conversations
        assert len(conversations) == max(loaded) == len({c.id for c in conversations})
    finally:
        await one.close()
        await two.close()


def test_the_settings_or_the_environment_choose_the_backend(tmp_path, monkeypatch):
    from support_tui.core.settings import Settings
    from support_tui.core.store import DATABASE_URL_ENV, Database, database_url, open_support_store

    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    db = Database(None, tmp_path / "unused.db")  # type: ignore[arg-type]  # never touched: nothing connects here
    assert isinstance(open_support_store(Settings(), db), SQLSupportStore)
    configured = Settings(database_url="postgresql://team@db.example:5432/support")
    pg = PostgresShopDatabase(configured.database_url or "")
    store = open_support_store(configured, pg)
    assert isinstance(store, SQLSupportStore) and store.db is pg
    monkeypatch.setenv(DATABASE_URL_ENV, "postgresql://ops:s3cret@other:5433/support")
    assert database_url(configured) == "postgresql://ops:s3cret@other:5433/support"
    assert "s3cret" not in repr(open_support_store(configured, PostgresShopDatabase(database_url(configured) or "")))
    monkeypatch.setenv(DATABASE_URL_ENV, "mysql://x@y/z")
    with pytest.raises(ValueError, match="postgresql://"):
        open_support_store(Settings(), db)
