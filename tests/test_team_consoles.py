"""Many consoles on one store: claims, decisions taken once, the live change feed, and who did what in the trace."""

from __future__ import annotations

import asyncio
import shutil
from contextlib import asynccontextmanager

import pytest

from support_tui.core.events import ConversationChanged, ToolCallFinished
from support_tui.core.settings import Settings, agent_identity
from support_tui.core.store import Database, PendingToolCall, PostgresShopDatabase, SQLSupportStore, postgres_support_store, utcnow
from support_tui.core.team import CallDecided, ConversationHeld
from tests.pg import BACKENDS, support_store

REFUND = "Please refund 1402.92 for order ORD-70001, I don't want the laptop"


@pytest.fixture(params=BACKENDS)
async def store(request, tmp_path):
    async with support_store(request.param, request, tmp_path) as store:
        yield store


@asynccontextmanager
async def second_store(store, tmp_path):
    """Another connection to the same store, as a second machine would have."""
    if isinstance(store.db, PostgresShopDatabase):
        other = postgres_support_store(store.db.url)
        try:
            yield other
        finally:
            await other.close()
    else:
        db = await Database.open(tmp_path / "support.db")
        try:
            yield SQLSupportStore(db)
        finally:
            await db.close()


def _call(conversation_id: str, call_id: str = "call_1") -> PendingToolCall:
    return PendingToolCall(call_id=call_id, conversation_id=conversation_id, turn_id="turn_1", agent="returns_refunds",
                           name="issue_refund", arguments={"order_id": "ORD-1", "amount": 300.0}, rule="human_approval",
                           reason="Refund worth $300.00 needs a person's approval because it is over the $200.00 limit."
                           " Tell the customer it is waiting.", status="pending", note=None, created_at=utcnow())


# the store --------------------------------------------------------------------------------------------


async def test_a_claim_is_one_conditional_write_and_only_its_holder_releases_it(store):
    conv = await store.create_conversation("cust_1")
    assert await store.claim_conversation(conv.id, "alice") == "alice"
    assert await store.claim_conversation(conv.id, "alice") == "alice"  # claiming again is harmless
    assert await store.claim_conversation(conv.id, "bob") == "alice"
    assert (await store.get_conversation(conv.id)).held_by == "alice"
    assert not await store.release_conversation(conv.id, "bob")
    assert await store.release_conversation(conv.id, "alice")
    assert await store.claim_conversation(conv.id, "bob") == "bob"
    assert await store.claim_conversation("conv_nope", "bob") is None


async def test_two_claims_at_once_have_one_winner(store, tmp_path):
    conv = await store.create_conversation("cust_1")
    async with second_store(store, tmp_path) as other:
        results = await asyncio.gather(*(s.claim_conversation(conv.id, who) for s, who in
                                         ((store, "alice"), (other, "bob"), (store, "carol"), (other, "dave"))))
    assert len(set(results)) == 1 and results[0] in ("alice", "bob", "carol", "dave")


async def test_a_call_is_decided_once_and_says_by_whom(store):
    conv = await store.create_conversation("cust_1")
    await store.add_pending_call(_call(conv.id))
    assert (await store.get_pending_call("call_1")).decided_by is None
    assert await store.decide_pending_call("call_1", "approved", "alice", None)
    assert not await store.decide_pending_call("call_1", "denied", "bob", "no")
    decided = await store.get_pending_call("call_1")
    assert (decided.status, decided.decided_by, decided.note) == ("approved", "alice", None)
    assert await store.pending_calls() == [] and await store.get_pending_call("call_nope") is None


async def test_the_change_feed_reports_another_connections_writes(store, tmp_path):
    conv = await store.create_conversation("cust_1")
    async with second_store(store, tmp_path) as other:
        arrived: asyncio.Queue[str] = asyncio.Queue()

        async def read() -> None:
            async for change in other.changes(poll_s=0.05):
                arrived.put_nowait(change.conversation_id)

        reader = asyncio.create_task(read())
        try:
            await asyncio.sleep(0.3)  # the listener (or the poll's starting counter) is in place
            assert arrived.empty()  # nothing replayed from before it started
            for write in (lambda: store.add_message(conv.id, "customer", "hello"),
                          lambda: store.claim_conversation(conv.id, "alice"),
                          lambda: store.add_pending_call(_call(conv.id)),
                          lambda: store.decide_pending_call("call_1", "approved", "alice")):
                await write()
                assert await asyncio.wait_for(arrived.get(), 5) == conv.id
                await asyncio.sleep(0.2)
                while not arrived.empty():  # one write can touch two rows (a message and its conversation)
                    assert arrived.get_nowait() == conv.id
            await asyncio.sleep(0.3)
            assert arrived.empty()  # reads are not changes
            await other.get_conversation(conv.id)
            await asyncio.sleep(0.3)
            assert arrived.empty()
        finally:
            reader.cancel()
            with pytest.raises(asyncio.CancelledError):
                await reader


def test_the_agent_identity_is_flag_then_config_then_environment_then_login(monkeypatch):
    import getpass

    monkeypatch.setenv("SUPPORT_TUI_AGENT", "env-person")
    assert agent_identity(Settings(agent_id="config-person"), "flag-person") == "flag-person"
    assert agent_identity(Settings(agent_id="config-person")) == "config-person"
    assert agent_identity(Settings()) == "env-person"
    monkeypatch.delenv("SUPPORT_TUI_AGENT")
    assert agent_identity(Settings()) == getpass.getuser()


# the engine -------------------------------------------------------------------------------------------


async def _waiting_refund(engine) -> tuple[str, PendingToolCall]:
    """A conversation whose refund (over the approval limit) waits for a person."""
    conv = await engine.open_conversation("cust_23456", new=True)
    events = [e async for e in engine.run_turn(conv.id, REFUND, route_override="returns_refunds")]
    if not await engine.pending_tool_calls(conv.id):
        events = [e async for e in engine.run_turn(conv.id, "yes")]
    pending = await engine.pending_tool_calls(conv.id)
    assert len(pending) == 1 and pending[0].name == "issue_refund", events
    return conv.id, pending[0]


def _changes(trace) -> list[tuple[str, str | None]]:
    return [(e.change, e.by) for e in trace if isinstance(e, ConversationChanged)]


async def test_every_decision_records_the_person_in_the_trace(engine):
    cid, call = await _waiting_refund(engine)
    edited = dict(call.arguments, amount=round(float(call.arguments["amount"]) - 100, 2))
    [e async for e in engine.resolve_tool_call(cid, call.call_id, approve=True, arguments=edited, by="alice")]
    assert (await engine.pending_call(call.call_id)).decided_by == "alice"
    assert ("call_approved", "alice") in _changes(await engine.trace(cid))
    assert "edited arguments" in next(e.detail for e in await engine.trace(cid) if isinstance(e, ConversationChanged)
                                      and e.change == "call_approved")

    cid2, call2 = await _waiting_refund(engine)
    [e async for e in engine.resolve_tool_call(cid2, call2.call_id, approve=False, reason="not returned yet", by="bob")]
    assert (await engine.pending_call(call2.call_id)).decided_by == "bob"
    assert ("call_denied", "bob") in _changes(await engine.trace(cid2))

    conv = await engine.open_conversation("cust_12345", new=True, mode="supervised")
    drafts = []
    for text in ("Where is my order ORD-67890?", "And when will it arrive?", "Thanks, where is it now?"):
        [e async for e in engine.run_turn(conv.id, text)]
        drafts.append(next(m for m in reversed(await engine.messages(conv.id)) if m.status == "draft").id)
    await engine.approve_draft(drafts[0], by="carol")
    await engine.approve_draft(drafts[1], "It arrives on Tuesday.", by="dana")
    await engine.reject_draft(drafts[2], "wrong order", by="erin")
    await engine.take_over(conv.id, by="frank")
    await engine.hand_back(conv.id, by="frank")
    await engine.escalate(conv.id, "needs a supervisor", priority="urgent", by="gina")
    await engine.close_conversation(conv.id, "resolved", by="hank")
    assert [c for c in _changes(await engine.trace(conv.id)) if c[0] != "reopened"] == [
        ("draft_sent", "carol"), ("draft_edited", "dana"), ("draft_rejected", "erin"),
        ("taken_over", "frank"), ("handed_back", "frank"), ("escalated", "gina"), ("closed", "hank"),
    ]


async def test_a_held_conversation_refuses_a_second_person_and_nothing_changes(engine):
    conv = await engine.open_conversation("cust_12345", new=True)
    await engine.take_over(conv.id, by="alice")
    before = (await engine.get_conversation(conv.id), await engine.messages(conv.id), await engine.trace(conv.id))
    for attempt in (engine.take_over, engine.hand_back):
        with pytest.raises(ConversationHeld) as held:
            await attempt(conv.id, by="bob")
        assert held.value.holder == "alice"
    after = (await engine.get_conversation(conv.id), await engine.messages(conv.id), await engine.trace(conv.id))
    assert after == before and after[0].held_by == "alice" and after[0].handled_by == "human"
    await engine.hand_back(conv.id, by="alice")
    assert (await engine.get_conversation(conv.id)).held_by is None
    await engine.take_over(conv.id, by="bob")
    assert (await engine.get_conversation(conv.id)).held_by == "bob"


async def test_approvals_list_calls_waiting_across_conversations_with_their_quote(engine):
    cid, call = await _waiting_refund(engine)
    waiting = await engine.approvals()
    assert [w.call.call_id for w in waiting] == [call.call_id]
    item = waiting[0]
    assert item.customer_id == "cust_23456" and item.customer and item.call.conversation_id == cid
    assert item.quote is not None and item.quote.amount == pytest.approx(float(call.arguments["amount"]))
    assert "approval" in item.why and "Tell the customer" not in item.why


# two machines on one PostgreSQL store ---------------------------------------------------------------------


@asynccontextmanager
async def two_machines(tmp_path, template_home, shared_embedder, pg_cluster, monkeypatch, **settings):
    """Two engines, each with its own data directory (its own copy of the shop), on one PostgreSQL store."""
    from support_tui.core.factory import open_engine
    from support_tui.core.paths import DataPaths

    monkeypatch.setenv("SUPPORT_TUI_DATABASE_URL", await pg_cluster.new_database())
    engines = []
    try:
        for name in ("machine_a", "machine_b"):
            shutil.copytree(template_home, tmp_path / name)
            engines.append(await open_engine(DataPaths(tmp_path / name), Settings(change_poll_s=0.1, **settings),
                                             embedder=shared_embedder))
        yield engines
    finally:
        for engine in engines:
            await engine.close()


async def test_two_people_approving_one_call_on_two_machines_run_it_once(tmp_path, template_home, shared_embedder,
                                                                        pg_cluster, monkeypatch):
    async with two_machines(tmp_path, template_home, shared_embedder, pg_cluster, monkeypatch) as (a, b):
        cid, call = await _waiting_refund(a)

        async def approve(engine, who):
            try:
                return [e async for e in engine.resolve_tool_call(cid, call.call_id, approve=True, by=who)]
            except CallDecided as exc:
                return exc

        outcomes = await asyncio.gather(approve(a, "alice"), approve(b, "bob"))
        refused = [o for o in outcomes if isinstance(o, CallDecided)]
        assert len(refused) == 1 and "already approved by" in str(refused[0])
        ran = [e for o in outcomes if isinstance(o, list) for e in o
               if isinstance(e, ToolCallFinished) and e.name == "issue_refund" and e.status == "ok"]
        assert len(ran) == 1
        # One refund, whether each machine keeps its own copy of the shop or both share it in PostgreSQL.
        refunds = [await e.shop.db.scalar("SELECT COUNT(*) FROM refunds WHERE order_id='ORD-70001'") for e in (a, b)]
        assert max(refunds) == 1 and sum(refunds) in (1, 2) and (sum(refunds) == 1 or a.shop.db.dialect == "postgresql")
        winner = (await a.pending_call(call.call_id)).decided_by
        assert winner in ("alice", "bob") and [c for c in _changes(await b.trace(cid)) if c[0] == "call_approved"] == [
            ("call_approved", winner)]


# two consoles ---------------------------------------------------------------------------------------------


def _console(engine, person: str):
    from support_tui.tui.app import SupportConsole

    app = SupportConsole(engine, engine.settings, customer_id="cust_12345", person=person,
                         export_dir=engine.paths.home / "exports")
    app.cursor_blink = False
    return app


async def _until(pilot, condition, timeout: float = 10.0) -> bool:
    """Let the app run until ``condition()`` holds (the feed's news arrives in its own time)."""
    for _ in range(int(timeout / 0.1)):
        await pilot.pause(0.1)
        if condition():
            return True
    return condition()


def _row_of(app, conversation_id: str) -> str:
    queue = app.screen.query_one("#queue")
    ids = [r.conversation_id for r in queue._ordered()]
    return queue.row_text(ids.index(conversation_id)) if conversation_id in ids else ""


async def test_two_consoles_on_postgres_a_take_over_shows_as_held_in_the_other_which_cannot_take_it(
    tmp_path, template_home, shared_embedder, pg_cluster, monkeypatch
):
    from tests.fakes import settle

    async with two_machines(tmp_path, template_home, shared_embedder, pg_cluster, monkeypatch) as (a, b):
        conv = await a.open_conversation("cust_12345", new=True)
        alice, bob = _console(a, "alice"), _console(b, "bob")
        async with alice.run_test(size=(160, 48)) as pa, bob.run_test(size=(160, 48)) as pb:
            await settle(pa)
            await settle(pb)
            assert alice.screen.conversation.id == bob.screen.conversation.id == conv.id
            assert "held by" not in _row_of(bob, conv.id)

            await pa.press("f5")  # alice takes over on machine A
            await settle(pa)
            assert alice.screen.conversation.held_by == "alice" and alice.screen.speaker == "agent"
            # Machine B hears of it through LISTEN/NOTIFY: queue row, header and composer follow.
            assert await _until(pb, lambda: "held by alice" in _row_of(bob, conv.id))
            assert await _until(pb, lambda: "held by alice" in bob.screen.sub_title)
            assert bob.screen.conversation.held_by == "alice" and bob.screen.composer.has_class("-human-active")

            before = await b.trace(conv.id)
            await pb.press("f5")  # bob tries to take it too
            await settle(pb)
            notes = [n.message for n in bob._notifications]
            assert any("alice holds this conversation; nothing changed" in m for m in notes), notes
            assert (await b.get_conversation(conv.id)).held_by == "alice"
            assert await b.trace(conv.id) == before

            # Bob's view was stale (it had not heard yet): the store's claim still refuses him.
            bob.screen.conversation = bob.screen.conversation.model_copy(update={"held_by": None, "handled_by": "ai"})
            await pb.press("f5")
            await settle(pb)
            assert (await b.get_conversation(conv.id)).held_by == "alice"
            assert [e.by for e in await b.trace(conv.id) if isinstance(e, ConversationChanged)] == ["alice"]

            await pa.press("f5")  # alice hands back: the claim is released everywhere
            await settle(pa)
            assert await _until(pb, lambda: "held by" not in _row_of(bob, conv.id) and bob.screen.conversation.held_by is None)
            await pb.press("f5")
            await settle(pb)
            assert (await a.get_conversation(conv.id)).held_by == "bob"
            assert await _until(pa, lambda: "held by bob" in _row_of(alice, conv.id))


async def test_two_consoles_on_one_sqlite_file_see_the_queue_live_by_polling(engine_home, shared_embedder):
    from support_tui.core.factory import open_engine
    from support_tui.core.paths import DataPaths
    from tests.fakes import settle

    settings = Settings(change_poll_s=0.2)
    watcher = await open_engine(DataPaths(engine_home), settings, embedder=shared_embedder)
    writer = await open_engine(DataPaths(engine_home), settings, embedder=shared_embedder)  # another process, as far as SQLite knows
    try:
        app = _console(watcher, "alice")
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            shown = app.screen.conversation
            conv = await writer.open_conversation("cust_23456", new=True)
            [e async for e in writer.run_turn(conv.id, "I'm very upset! I was charged twice for my order!")]
            assert await _until(pilot, lambda: conv.id in [r.conversation_id for r in app.screen.query_one("#queue").rows])
            assert await _until(pilot, lambda: "escalated" in _row_of(app, conv.id)), _row_of(app, conv.id)

            # A message to the open conversation from elsewhere (a colleague, the customer channel) is drawn.
            await writer.send_human_message(shown.id, "Hello from the other desk", by="bob")
            assert await _until(pilot, lambda: any(b.text == "Hello from the other desk"
                                                   for b in app.screen.query("MessageBubble")))
            await writer.take_over(shown.id, by="bob")
            assert await _until(pilot, lambda: "held by bob" in app.screen.sub_title)
    finally:
        await writer.close()
        await watcher.close()


# the person, in the console ---------------------------------------------------------------------------------


async def test_the_console_records_the_person_from_agent_then_config_and_refuses_a_held_take_over(monkeypatch):
    from support_tui.cli import build_parser
    from support_tui.tui.app import SupportConsole
    from tests.fakes import ScriptedEngine, make_console, settle

    monkeypatch.setenv("SUPPORT_TUI_AGENT", "env-person")
    assert build_parser().parse_args(["console", "--agent", "zoe"]).agent == "zoe"
    assert build_parser().parse_args(["demo"]).agent is None
    configured = ScriptedEngine(Settings(agent_id="yara"))
    assert SupportConsole(configured, configured.settings).console_screen.person == "yara"
    assert SupportConsole(configured, configured.settings, person="zoe").console_screen.person == "zoe"
    plain = ScriptedEngine(Settings())
    assert SupportConsole(plain, plain.settings).console_screen.person == "env-person"

    app, engine = make_console()  # the person "sam"
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await engine.take_over("conv_001", by="lee")  # another console
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        assert [k.get("by") for _, k in engine.called("take_over")] == ["lee"] and not engine.called("hand_back")
        assert any("lee holds this conversation; nothing changed" in n.message for n in app._notifications)
        assert app.screen.conversation.held_by == "lee" and "held by lee" in app.screen.sub_title
        await engine.hand_back("conv_001", by="lee")
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        assert engine.called("take_over")[-1][1]["by"] == "sam" and app.screen.conversation.held_by == "sam"


async def test_a_burst_of_store_writes_makes_a_few_refreshes_that_finish(monkeypatch):
    from support_tui.core.team import FEED_TURN
    from tests.fakes import make_console, settle

    app, engine = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        refreshes = 0
        listed = engine.conversations

        async def counted(statuses=None):
            nonlocal refreshes
            refreshes += 1
            await asyncio.sleep(0.02)  # a refresh takes a while on a big store
            return await listed(statuses)

        monkeypatch.setattr(engine, "conversations", counted)
        other = await engine.open_conversation("cus_bob")  # written "elsewhere": no event of its own
        for _ in range(60):
            engine._publish(ConversationChanged(turn_id=FEED_TURN, conversation_id=other.id, change="synced",
                                                status="open"))
            await asyncio.sleep(0.01)
        await settle(pilot)
        await pilot.pause(0.5)
        await settle(pilot)
        assert 1 <= refreshes <= 6, refreshes  # not one per write, and not cancelled forever
        assert other.id in [r.conversation_id for r in app.screen.query_one("#queue").rows]


async def test_approving_a_call_a_colleague_decided_meanwhile_changes_nothing():
    from tests.fakes import make_console, say, settle
    from support_tui.tui.widgets.tools import ToolCallCard

    app, engine = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await say(pilot, "I want a refund")
        card = app.screen.query_one(ToolCallCard)
        # Another console approved it; this one has not heard yet.
        engine.pending[card.call_id] = engine.pending[card.call_id].model_copy(update={"status": "approved", "decided_by": "lee"})
        await pilot.press("ctrl+g")
        await pilot.pause()
        await pilot.press("a")
        await settle(pilot)
        assert not engine.called("resolve_tool_call")
        assert any("already approved by lee; nothing changed" in n.message for n in app._notifications)
        assert not card.has_class("-pending-approval")
