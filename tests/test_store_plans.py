"""A turn's store queries use indexes (EXPLAIN), and their cost does not grow with the conversation: both backends."""

from __future__ import annotations

from typing import Any

import pytest

from support_tui.core.events import ReplyCompleted, TurnStarted
from support_tui.core.store import Database, PendingToolCall, PostgresShopDatabase, SupportStore, utcnow
from tests.pg import BACKENDS, counters, support_store

CUSTOMER = "cust_1"


@pytest.fixture(params=BACKENDS)
async def store(request, tmp_path):
    async with support_store(request.param, request, tmp_path) as store:
        await store.migrate()
        # Other conversations and customers around, so an unindexed query would have something to scan.
        for n in range(30):
            other = await store.create_conversation(f"cust_other_{n}")
            await store.add_message(other.id, "customer", "noise")
            await store.remember(f"cust_other_{n}", other.id, "noise")
        yield store


async def a_turn(store: SupportStore, conversation_id: str, n: int) -> None:
    """What a turn asks of the store, through the bounded methods (the shape the engine's turn takes)."""
    turn_id = f"t{n}"
    await store.get_conversation(conversation_id)
    await store.list_conversations(customer_id=CUSTOMER, statuses=["open", "escalated"], limit=1)
    message_id = await store.add_message(conversation_id, "customer", f"question {n}", turn_id=turn_id)
    await store.start_turn(turn_id, conversation_id, message_id)
    await store.append_events([TurnStarted(turn_id=turn_id, conversation_id=conversation_id, customer_id=CUSTOMER,
                                           message_id=message_id, text=f"question {n}")])
    await store.customer_messages(conversation_id, 5)
    await store.recent_messages(conversation_id, 10)
    await store.memories(CUSTOMER)
    await store.pending_calls(conversation_id)
    await store.events(conversation_id, turn_id=turn_id)
    reply_id = await store.add_message(conversation_id, "ai", f"answer {n}", turn_id=turn_id, agent="a", model="m")
    await store.add_pending_call(PendingToolCall(
        call_id=f"call_{n}", conversation_id=conversation_id, turn_id=turn_id, agent="a", name="tool", arguments={},
        rule=None, reason=None, status="pending", note=None, created_at=utcnow()))
    await store.resolve_pending_call(f"call_{n}", "approved", None)
    await store.get_message(reply_id)
    await store.set_message(reply_id, status="sent")
    await store.update_conversation(conversation_id, agent="a")
    await store.remember(CUSTOMER, conversation_id, f"summary after {n}")
    await store.finish_turn(turn_id, status="completed", events=[ReplyCompleted(
        turn_id=turn_id, conversation_id=conversation_id, message_id=reply_id, text=f"answer {n}", agent="a", model="m")])


async def test_every_query_of_a_turn_uses_an_index(store):
    conv = await store.create_conversation(CUSTOMER)
    for n in range(3):
        await a_turn(store, conv.id, n)
    if isinstance(store.db, PostgresShopDatabase):
        return await _postgres_plans_use_indexes(store, conv.id)
    statements: list[str] = []
    await store.db.conn.set_trace_callback(statements.append)
    try:
        await a_turn(store, conv.id, 3)
        # Whole-conversation reads (views, the trace, hand-off packets) use the same indexes.
        await store.turns(conv.id)
        await store.events(conv.id)
        await store.messages(conv.id)
        await store.mark_interrupted_turns()
    finally:
        await store.db.conn.set_trace_callback(None)
    queries = [s for s in statements if s.split()[0].upper() in ("SELECT", "UPDATE", "DELETE")]
    assert len(queries) >= 16
    scans = {}
    for sql in queries:
        plan = [row[-1] for row in await store.db.fetchall("EXPLAIN QUERY PLAN " + sql)]
        full = [line for line in plan if line.startswith("SCAN ") and not line.startswith("SCAN CONSTANT")]
        if full:
            scans[sql] = plan
    assert scans == {}


async def _postgres_plans_use_indexes(store: Any, conversation_id: str) -> None:
    """PostgreSQL's planner prefers a sequential scan of tables this small, so forbid it: a query that
    still scans a table with ``enable_seqscan`` off has no index that could serve it."""
    statements: list[tuple[str, tuple]] = []
    store.db.trace = lambda sql, args: statements.append((sql, args))
    try:
        await a_turn(store, conversation_id, 3)
        await store.turns(conversation_id)
        await store.events(conversation_id)
        await store.messages(conversation_id)
        await store.mark_interrupted_turns()
    finally:
        store.db.trace = None
    queries = [(sql, args) for sql, args in statements if sql.split()[0].upper() in ("SELECT", "UPDATE", "DELETE")]
    assert len(queries) >= 16
    scans = {}
    async with store.db.connection() as conn:
        await conn.execute("SET enable_seqscan = off")
        for sql, args in queries:
            plan = [row[0] for row in await conn.fetch("EXPLAIN " + sql, *args)]
            if any("Seq Scan" in line for line in plan):
                scans[sql] = plan
        await conn.execute("RESET enable_seqscan")
    assert scans == {}


async def test_a_turn_costs_the_same_statements_at_turn_5_and_turn_50_and_reads_a_bounded_window(store):
    conv = await store.create_conversation(CUSTOMER)
    statements, rows = {}, {}
    for n in range(1, 51):
        before = counters(store)
        await a_turn(store, conv.id, n)
        after = counters(store)
        statements[n], rows[n] = after[0] - before[0], after[1] - before[1]
    assert statements[5] == statements[50]
    assert rows[10] == rows[50]  # once the windows (5 customer messages, 10 recent ones) are full
    assert len(await store.messages(conv.id)) == 100


async def test_the_statement_counter_counts_reads_writes_and_transaction_statements(tmp_path):
    db = await Database.open(tmp_path / "count.db")
    try:
        assert (db.statements, db.rows_read) == (0, 0)
        await db.write("CREATE TABLE t (x INTEGER)")
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO t VALUES (1)")
            await tx.executemany("INSERT INTO t VALUES (?)", [(2,), (3,)])
            assert len(await tx.execute_fetchall("SELECT x FROM t")) == 3
        assert await db.scalar("SELECT COUNT(*) FROM t") == 3
        assert (db.statements, db.rows_read) == (5, 4)
    finally:
        await db.close()
