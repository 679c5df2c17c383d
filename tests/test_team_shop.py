"""One shop for a team: with a database_url the shop's tables live in PostgreSQL beside the support records,
every engine on that database serves the same shop, and money-moving writes hold row locks."""

from __future__ import annotations

import asyncio
import json
from contextlib import asynccontextmanager

import pytest

from support_tui.core.shop import CallContext, ShopError
from support_tui.core.store import Database, PostgresShopDatabase, SQLSupportStore
from support_tui.shops.northwind import NorthwindShop
from support_tui.shops.northwind import args as a
from tests.conftest import STORE_DAY
from tests.pg import BACKENDS, shop_database

ORDER = "ORD-70001"
"""cust_23456's delivered laptop order: paid in full, nothing refunded (demo_customers.json)."""
PENDING = "ORD-70030"
"""cust_45678's pending order (only authorised, nothing captured yet), still cancellable."""
SHIPPABLE = "ORD-10026"
"""A generated order of cust_60040's in processing, paid $409.31 (the seed and STORE_DAY make it)."""


def ctx(customer_id: str) -> CallContext:
    return CallContext(customer_id=customer_id, conversation_id="conv-team")


async def two_connections(backend: str, request, tmp_path) -> tuple[object, object]:
    """Two databases onto one shop, as two machines have: two SQLite connections to one file, or two pools."""
    async with shop_database(backend, request, tmp_path, day=STORE_DAY) as first:
        location = first.location
    if backend == "sqlite":
        return await Database.open(location), await Database.open(location)
    url = first.url
    return PostgresShopDatabase(url), PostgresShopDatabase(url)


class HeldOpen:
    """A ``ShopDatabase`` that keeps its write transaction open after a chosen statement until released:
    the first of two machines paused mid-write, so the second's write provably runs while the first's is open."""

    def __init__(self, db, after: str) -> None:
        self._db, self._after = db, after
        self.reached, self.release = asyncio.Event(), asyncio.Event()

    def __getattr__(self, name):
        return getattr(self._db, name)

    @asynccontextmanager
    async def transaction(self):
        async with self._db.transaction() as tx:
            yield Paused(tx, self)


class Paused:
    def __init__(self, tx, held: HeldOpen) -> None:
        self._tx, self._held = tx, held

    def __getattr__(self, name):
        return getattr(self._tx, name)

    async def write(self, sql, params=()):
        touched = await self._tx.write(sql, params)
        if sql.startswith(self._held._after):
            self._held.reached.set()
            await self._held.release.wait()
        return touched


async def race(first, second, tool: str, args, customer: str) -> list:
    """``first`` stops inside its transaction right after its write; ``second`` runs meanwhile. Returns both
    outcomes (a result or the ShopError) after checking that the second waited for the first to commit."""
    one = asyncio.create_task(first.run(tool, args, ctx(customer)))
    await asyncio.wait_for(first.db.reached.wait(), 10)
    two = asyncio.create_task(second.run(tool, args, ctx(customer)))
    await asyncio.sleep(0.5)
    waited = not two.done()  # blocked on the order's row lock (PostgreSQL) or the write lock (SQLite)
    first.db.release.set()
    outcomes = await asyncio.gather(one, two, return_exceptions=True)
    assert waited, outcomes
    return outcomes


@pytest.mark.parametrize("backend", BACKENDS)
async def test_two_refunds_at_once_never_exceed_what_was_paid(backend, request, tmp_path):
    one, two = await two_connections(backend, request, tmp_path)
    try:
        first = NorthwindShop(HeldOpen(one, "INSERT INTO refunds"), today=STORE_DAY)
        second = NorthwindShop(two, today=STORE_DAY)
        paid = await one.scalar("SELECT SUM(amount) FROM charges WHERE order_id = ? AND status IN ('captured', 'settled')",
                                (ORDER,))
        refund = a.IssueRefund(order_id=ORDER, amount=round(paid * 0.6, 2), reason="goodwill")
        # Both pass the refund cap first (each sees nothing refunded), as two consoles approving at once would.
        assert [await shop.check("issue_refund", refund, ctx("cust_23456")) for shop in (first, second)] == [None, None]
        done, refused = await race(first, second, "issue_refund", refund, "cust_23456")
        assert done["status"] == "processed" and isinstance(refused, ShopError), refused
        assert "nothing was refunded" in str(refused)
        refunded = await two.scalar("SELECT SUM(amount) FROM refunds WHERE order_id = ?", (ORDER,))
        assert refunded == refund.amount <= paid
    finally:
        await one.close()
        await two.close()


@pytest.mark.parametrize("backend", BACKENDS)
async def test_two_cancels_at_once_cancel_and_refund_once(backend, request, tmp_path):
    one, two = await two_connections(backend, request, tmp_path)
    try:
        first = NorthwindShop(HeldOpen(one, "UPDATE orders SET status = 'cancelled'"), today=STORE_DAY)
        second = NorthwindShop(two, today=STORE_DAY)
        done, refused = await race(first, second, "cancel_order", a.CancelOrder(order_id=SHIPPABLE, reason="no"),
                                   "cust_60040")
        assert done["status"] == "cancelled" and isinstance(refused, ShopError) and "nothing changed" in str(refused)
        assert done["refund_amount"] > 0
        assert await two.scalar("SELECT COUNT(*) FROM refunds WHERE order_id = ?", (SHIPPABLE,)) == 1
    finally:
        await one.close()
        await two.close()


async def test_open_store_puts_the_shop_and_the_support_records_in_postgres(tmp_path, pg_cluster, monkeypatch):
    from support_tui.core.factory import open_store
    from support_tui.core.paths import DataPaths
    from support_tui.core.settings import Settings

    url = await pg_cluster.new_database()
    paths = DataPaths(tmp_path / "home")
    db, store, shop = await open_store(paths, Settings(database_url=url))  # config.toml's field, no variable
    try:
        assert isinstance(db, PostgresShopDatabase) and isinstance(store, SQLSupportStore) and store.db is db
        assert await store.fixture_history_loaded() and len(await shop.customers()) > 50
        assert await db.scalar("SELECT COUNT(*) FROM orders") == 330
        assert await db.scalar("SELECT COUNT(*) FROM schema_version WHERE component IN ('support', 'northwind')") >= 2
    finally:
        await store.close()
        await db.close()
    assert not paths.database.exists()  # nothing of the shop or the records in the data directory


async def test_a_fresh_database_opened_by_several_at_once_is_set_up_once(tmp_path, pg_cluster):
    from support_tui.core.factory import open_store
    from support_tui.core.paths import DataPaths
    from support_tui.core.settings import Settings

    url = await pg_cluster.new_database()
    settings = Settings(database_url=url)
    # Four openers, each with its own pools (own server sessions, as four processes would have).
    opened = await asyncio.gather(*(open_store(DataPaths(tmp_path / f"home{n}"), settings) for n in range(4)))
    try:
        db = opened[0][0]
        assert await db.scalar("SELECT COUNT(*) FROM orders") == 330
        assert await db.scalar("SELECT COUNT(*) FROM customers WHERE id = 'cust_12345'") == 1
        # Each of the shop's migrations was applied once, by one of the four.
        assert await db.scalar("SELECT COUNT(*) FROM schema_version WHERE component = 'northwind'") == \
            await db.scalar("SELECT COUNT(DISTINCT version) FROM schema_version WHERE component = 'northwind'") == 2
        assert await db.scalar("SELECT COUNT(*) FROM alembic_version_northwind") == 1
        fixtures = await db.scalar("SELECT COUNT(*) FROM conversations WHERE is_fixture")
        single = await pg_cluster.new_database()
        alone = await open_store(DataPaths(tmp_path / "alone"), Settings(database_url=single))
        try:
            assert fixtures == await alone[0].scalar("SELECT COUNT(*) FROM conversations WHERE is_fixture") > 0
        finally:
            await alone[1].close()
            await alone[0].close()
    finally:
        for db, store, _shop in opened:
            await store.close()
            await db.close()


async def test_two_engines_on_one_database_serve_one_shop(tmp_path, template_home, pg_cluster, shared_embedder):
    """Two "machines" (two data directories, two engines) on one PostgreSQL database: a cancellation the
    customer confirms in a conversation on one is what the other's look-up reports, and the
    conversation itself is in the other's queue."""
    import shutil

    from support_tui.core.events import ToolCallFinished
    from support_tui.core.factory import open_engine
    from support_tui.core.paths import DataPaths
    from support_tui.core.settings import Settings

    settings = Settings(database_url=await pg_cluster.new_database())
    homes = [tmp_path / "m1", tmp_path / "m2"]
    for home in homes:
        shutil.copytree(template_home, home)  # each machine's own knowledge base; the shop is the database's
    first, second = [await open_engine(DataPaths(h), settings, embedder=shared_embedder) for h in homes]
    try:
        seen = await second.read_shop("cust_45678", "lookup_order", {"order_id": PENDING})
        assert seen.result["order"]["status"] == "pending"
        conv = await first.open_conversation("cust_45678", new=True)
        [e async for e in first.run_turn(conv.id, f"Please cancel my order {PENDING}")]
        yes = [e async for e in first.run_turn(conv.id, "yes")]
        assert any(isinstance(e, ToolCallFinished) and e.name == "cancel_order" and e.status == "ok" for e in yes)
        seen = await second.read_shop("cust_45678", "lookup_order", {"order_id": PENDING})
        assert seen.status == "ok" and seen.result["order"]["status"] == "cancelled"
        assert conv.id in {c.id for c in await second.conversations(["open", "escalated", "closed"])}
    finally:
        await first.close()
        await second.close()


async def test_a_sandbox_of_a_postgres_shop_is_private_sqlite(request, tmp_path):
    async with shop_database("postgres", request, tmp_path, day=STORE_DAY) as db:
        live = NorthwindShop(db, today=STORE_DAY)
        await live.run("cancel_order", a.CancelOrder(order_id=PENDING, reason="x"), ctx("cust_45678"))
        async with live.sandbox() as copy:  # the shop as it is now
            assert isinstance(copy.db, Database)
            assert await copy.db.scalar("SELECT status FROM orders WHERE id = ?", (PENDING,)) == "cancelled"
            assert await copy.db.scalar("SELECT COUNT(*) FROM orders") == 330
            await copy.run("issue_refund", a.IssueRefund(order_id=ORDER, amount=5.0, reason="y"), ctx("cust_23456"))
        async with live.sandbox(fresh=True) as first_state:  # the fixtures as loaded
            assert await first_state.db.scalar("SELECT status FROM orders WHERE id = ?", (PENDING,)) == "pending"
        assert await db.scalar("SELECT COUNT(*) FROM refunds WHERE order_id = ?", (ORDER,)) == 0


def test_cli_store_reset_and_status_on_the_configured_database(tmp_path, monkeypatch, capsys, pg_cluster):
    from support_tui.cli import main

    url = asyncio.run(pg_cluster.new_database())
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text(f'database_url = "{url}"\n')
    monkeypatch.setenv("SUPPORT_TUI_HOME", str(home))
    monkeypatch.delenv("SUPPORT_TUI_DATABASE_URL", raising=False)
    assert main(["store", "reset", "--today", "2026-03-15"]) == 0
    out = capsys.readouterr().out
    assert "330 orders" in out and "127.0.0.1" in out
    assert main(["store", "status"]) == 0
    assert "2026-03-15" in capsys.readouterr().out
    assert main(["metrics", "--json"]) == 0  # config.toml's database_url, no environment variable
    assert json.loads(capsys.readouterr().out)["conversations"] > 0
    assert not (home / "support.db").exists()


def test_cli_store_names_an_unreachable_database(tmp_path, monkeypatch, capsys):
    from support_tui.cli import main

    monkeypatch.setenv("SUPPORT_TUI_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SUPPORT_TUI_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    assert main(["store", "status"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("support-tui: cannot open the store at postgresql://nobody@127.0.0.1:1/none") and "Traceback" not in err
    monkeypatch.setenv("SUPPORT_TUI_DATABASE_URL", "postgresql://nobody:s3cret@127.0.0.1:1/none")
    assert main(["metrics"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("support-tui: cannot open the records at postgresql://nobody:***@127.0.0.1:1/none")
    assert "s3cret" not in err


async def test_serve_metrics_reads_the_configured_postgres(tmp_path, pg_cluster):
    from support_tui.core.factory import open_store
    from support_tui.core.paths import DataPaths
    from support_tui.core.settings import Settings
    from support_tui.core.store.records.metric_readers import metric_reader_for

    settings = Settings(database_url=await pg_cluster.new_database())
    db, store, _shop = await open_store(DataPaths(tmp_path / "home"), settings)
    expected = len((await store.metric_records(None, True)).conversations)
    await store.close()
    await db.close()
    read = metric_reader_for(settings, tmp_path / "home" / "support.db")
    records = await asyncio.to_thread(read, None, True)  # the exporter calls it from its own thread
    assert len(records.conversations) == expected > 0


@pytest.fixture
async def pg_engine(engine_home, pg_cluster, shared_embedder):
    """A ready engine (the knowledge base already ingested in its data directory) whose shop and support
    records are in a fresh PostgreSQL database."""
    from support_tui.core.factory import open_engine
    from support_tui.core.paths import DataPaths
    from support_tui.core.settings import Settings

    settings = Settings(database_url=await pg_cluster.new_database())
    engine = await open_engine(DataPaths(engine_home), settings, embedder=shared_embedder)
    try:
        yield engine
    finally:
        await engine.close()


async def test_fork_and_compare_on_a_postgres_shop_run_on_sandboxes(pg_engine):
    from support_tui.core.events import ReplyCompleted, ToolCallFinished

    engine = pg_engine
    assert isinstance(engine.shop.db, PostgresShopDatabase)
    conv = await engine.open_conversation("cust_12345", new=True)
    [e async for e in engine.run_turn(conv.id, "I received a defective phone case and want to return it for a refund")]
    second = [e async for e in engine.run_turn(conv.id, "yes")]
    assert any(isinstance(e, ToolCallFinished) and e.name == "create_return" and e.status == "ok" for e in second)
    live = await engine.shop.db.scalar("SELECT COUNT(*) FROM returns WHERE customer_id = 'cust_12345'")

    fork = await engine.fork(conv.id, turn=2)
    assert any(isinstance(e, ToolCallFinished) and e.name == "create_return" and e.status == "ok" for e in fork.events)
    assert await engine.shop.db.scalar("SELECT COUNT(*) FROM returns WHERE customer_id = 'cust_12345'") == live

    comparison = await engine.compare(conv.id, turn=1, routes=["order_tracking", "billing_payment"])
    assert [r.summary.route.agent for r in comparison.runs if r.summary.route] == ["order_tracking", "billing_payment"]
    assert all(any(isinstance(e, ReplyCompleted) for e in r.events) for r in comparison.runs)
    assert await engine.shop.db.scalar("SELECT COUNT(*) FROM returns WHERE customer_id = 'cust_12345'") == live
