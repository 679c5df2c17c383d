"""Metrics from a small hand-made history checked exactly; the fixture history; the CLI; the Prometheus exposition."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from datetime import date, datetime, timedelta, timezone

import pytest

from support_tui.core.events import EscalationRaised, HandoffPacket, RouteDecided, SentimentScored, ToolCallFinished
from support_tui.core.metrics.facts import conversation_facts, read_records
from support_tui.core.metrics.figures import compute_metrics, compute_metrics_sync, day_end, period_start
from support_tui.core.store import (
    ConversationInfo,
    Database,
    FixtureHistory,
    Rating,
    SQLSupportStore,
    StoredMessage,
    TurnRecord,
    stored_time,
)
from support_tui.core.store.records.metric_queries import metric_reader
from support_tui.shops.northwind.tools import TOOLS

T = datetime(2025, 6, 10, 9, 0, tzinfo=timezone.utc)
WRITES = frozenset(n for n, t in TOOLS.items() if t.writes)


def _at(seconds: float) -> str:
    return stored_time(T + timedelta(seconds=seconds))


class Known:
    """Conversations written through the store's ``add_fixture_history`` (records keep their own ``is_fixture``)."""

    def __init__(self) -> None:
        self.specs: list[dict] = []

    def add(self, cid: str, customer: str, agent: str, created: float, *, closed: float | None = None,
            outcome: str | None = None, status: str = "closed", handled_by: str = "ai", fixture: bool = False,
            messages: tuple = (), events: tuple = (), rating: int | None = None, turns: tuple = ()) -> None:
        """One conversation with times in seconds after ``T``; events get a RouteDecided to ``agent`` first."""
        self.specs.append(dict(cid=cid, customer=customer, agent=agent, created=created, closed=closed, outcome=outcome,
                               status=status, handled_by=handled_by, fixture=fixture, messages=messages, events=events,
                               rating=rating, turns=turns))

    def build(self, first_message_id: int) -> FixtureHistory:
        history = FixtureHistory()
        mid = first_message_id
        for s in self.specs:
            cid, created, closed = s["cid"], s["created"], s["closed"]
            history.conversations.append(ConversationInfo(
                id=cid, customer_id=s["customer"], status=s["status"], handled_by=s["handled_by"], agent=s["agent"],
                mode="auto", model=None, priority=None, escalation_reason=None, outcome=s["outcome"], summary=None,
                state={}, is_fixture=s["fixture"], created_at=_at(created), updated_at=_at(closed or created),
                closed_at=_at(closed) if closed is not None else None))
            for role, offset, text, state in s["messages"]:
                history.messages.append(StoredMessage(
                    id=mid, conversation_id=cid, turn_id=None, role=role, text=text, agent=None, model=None, status=state,
                    created_at=_at(created + offset)))
                mid += 1
            route = RouteDecided(turn_id=f"{cid}_t", conversation_id=cid, agent=s["agent"], confidence=0.9, margin=0.5,
                                 scores={}, reason="test")
            history.events.extend((route, *s["events"]))
            for n, (model, prompt, completion, cost) in enumerate(s["turns"]):
                history.turns.append(TurnRecord(
                    id=f"{cid}_t{n}", conversation_id=cid, message_id=None, status="completed", agent=None, model=model,
                    error=None, timings={}, prompt_tokens=prompt, completion_tokens=completion, cost_usd=cost,
                    started_at=_at(created), ended_at=None))
            if s["rating"] is not None:
                history.ratings.append(Rating(conversation_id=cid, score=s["rating"], created_at=_at((closed or created) + 60)))
        return history


def call(cid: str, name: str, status: str, order: str | None = None, rule: str | None = None) -> ToolCallFinished:
    args = {"order_id": order} if order else {}
    return ToolCallFinished(turn_id=f"{cid}_t", conversation_id=cid, call_id=f"call_{cid}_{name}", name=name,
                            arguments=args, status=status, rule=rule)


def escalation(cid: str, rule: str) -> EscalationRaised:
    packet = HandoffPacket(from_agent=None, to_agent="human", reason=rule, summary="")
    return EscalationRaised(turn_id=f"{cid}_t", conversation_id=cid, rule=rule, reason=rule, priority="high", packet=packet)


def mood(cid: str, compound: float, label: str) -> SentimentScored:
    return SentimentScored(turn_id=f"{cid}_t", conversation_id=cid, compound=compound, label=label, trend="steady", trend_compound=compound)


def chat(first_reply: float | None, customer: str = "hello") -> tuple:
    msgs = [("customer", 0, customer, "sent")]
    if first_reply is not None:
        msgs.append(("ai", first_reply, "an answer", "sent"))
    return tuple(msgs)


async def build_known_history(store: SQLSupportStore) -> None:
    """Nine conversations whose every figure is worked out in the test below."""
    known = Known()
    day = 86400
    # c1: a cancellation that went through -> resolved (write), first contact. Reply 10 s, closed at 600 s.
    known.add("c1", "cust_a", "order_tracking", 0, closed=600, outcome="resolved", rating=5,
                           messages=chat(10, "Cancel ORD-70001 please"),
                           events=(mood("c1", 0.4, "positive"), call("c1", "cancel_order", "blocked", "ORD-70001", "customer_confirmation"),
                                   call("c1", "cancel_order", "ok", "ORD-70001")),
                           turns=(("openai/gpt-4o", 1000, 100, 0.0125),))
    # c2: a product question answered by a read -> resolved (read), first contact.
    known.add("c2", "cust_b", "product_info", 10, closed=1210, outcome="resolved", rating=4,
                           messages=chat(20), events=(call("c2", "get_product", "ok"),),
                           turns=(("offline/support-agent", 500, 50, 0.0),))
    # c3: claimed resolved but the return never got the customer's yes -> unresolved.
    known.add("c3", "cust_c", "returns_refunds", 20, closed=900, outcome="resolved", rating=2,
                           messages=chat(30), events=(call("c3", "check_return_eligibility", "ok", "ORD-70003"),
                                                      call("c3", "create_return", "blocked", "ORD-70003", "customer_confirmation")))
    # c4: same customer as c1 but another topic (not a reopen); escalated, a person resolved it.
    known.add("c4", "cust_a", "billing_payment", 1000, closed=4600, outcome="resolved", handled_by="human",
                           rating=3, messages=(*chat(40), ("human", 900, "sorted", "sent")),
                           events=(mood("c4", -0.8, "very_negative"), escalation("c4", "negative_sentiment")))
    # c5: answered by a read, but the customer is back an hour after it closed about the same order -> reopened.
    known.add("c5", "cust_d", "order_tracking", 30, closed=330, outcome="resolved",
                           messages=chat(5, "Where is ORD-70005?"), events=(call("c5", "track_shipment", "ok", "ORD-70005"),))
    # c6: the reopen; nobody answered and it was abandoned.
    known.add("c6", "cust_d", "order_tracking", 3930, closed=9000, outcome="abandoned",
                           messages=chat(None, "Still no sign of ORD-70005"))
    # c7: escalated on request and still waiting in the human queue.
    known.add("c7", "cust_e", "order_tracking", 50, status="escalated", messages=chat(50),
                           events=(mood("c7", -0.3, "negative"), escalation("c7", "human_requested")))
    # c8: fixture data; abandoned without a reply.
    known.add("c8", "cust_f", "product_info", 60, closed=7200, outcome="abandoned", fixture=True,
                           messages=chat(None))
    # c9: cust_b again, same specialist as c2 but four days later (outside the 72 h window) -> resolved.
    known.add("c9", "cust_b", "product_info", 4 * day, closed=4 * day + 900, outcome="resolved", rating=5,
                           messages=chat(15), events=(call("c9", "search_products", "ok"),))
    assert await store.add_fixture_history(known.build) == 9


@pytest.fixture
async def known_db(tmp_path):
    db = await Database.open(tmp_path / "support.db")
    store = SQLSupportStore(db)
    await build_known_history(store)
    yield store
    await db.close()


async def test_figures_of_a_known_history(known_db):
    m = await compute_metrics(known_db, TOOLS, since=None)
    assert m.conversations == 9 and m.ended == 9 and m.fixture_conversations == 1
    assert m.outcomes == {"resolved": 4, "escalated": 1, "unresolved": 2, "abandoned": 2, "open": 0}
    assert m.claimed_resolved == 6 and m.reopened == 1
    assert m.resolution_rate == round(4 / 9, 4) and m.first_contact_resolved == 3 and m.fcr_rate == round(3 / 9, 4)
    assert m.escalated == 2 and m.escalation_rate == round(2 / 9, 4)
    assert m.escalation_reasons == {"negative_sentiment": 1, "human_requested": 1}
    # first replies 10, 20, 30, 40, 5, 50, 15 s (c6 and c8 never got one)
    assert (m.first_reply.median_s, m.first_reply.p95_s, m.first_reply.count) == (20.0, 50.0, 7)
    # resolved: c1 600 s, c9 900 s, c2 1200 s, c4 3600 s: median (900 + 1200) / 2, p95 the 4th of 4
    assert (m.resolution_time.median_s, m.resolution_time.p95_s, m.resolution_time.count) == (1050.0, 3600.0, 4)
    assert m.ratings == 5 and m.csat == 0.6 and m.mean_rating == 3.8
    assert m.rating_counts == {1: 0, 2: 1, 3: 1, 4: 1, 5: 2}
    by_specialist = {g.name: (g.conversations, g.resolved, g.escalated) for g in m.by_specialist}
    assert by_specialist == {"order_tracking": (4, 1, 1), "product_info": (3, 2, 0), "returns_refunds": (1, 0, 0), "billing_payment": (1, 1, 1)}
    by_model = {g.name: (g.conversations, g.prompt_tokens, g.completion_tokens, g.cost_usd) for g in m.by_model}
    assert by_model == {"none": (7, 0, 0, 0.0), "openai/gpt-4o": (1, 1000, 100, 0.0125), "offline/support-agent": (1, 500, 50, 0.0)}
    assert (m.prompt_tokens, m.completion_tokens, m.cost_usd) == (1500, 150, 0.0125)
    assert m.tokens_per_conversation == round(1650 / 9, 1)
    assert m.sentiment == {"very_negative": 1, "negative": 1, "neutral": 0, "positive": 1, "very_positive": 0}


async def test_reopen_and_evidence_rules(known_db):
    facts = {f.id: f for f in conversation_facts(await read_records(known_db, None, True), WRITES)}
    assert facts["c5"].reopened_by == "c6" and facts["c5"].outcome == "unresolved"
    assert facts["c1"].reopened_by is None  # c4 is the same customer within 72 h, but another topic
    assert facts["c2"].reopened_by is None  # c9 is the same topic, but four days later
    assert [facts[c].evidence for c in ("c1", "c2", "c3", "c4", "c9")] == ["write", "read", None, "person", "read"]
    assert [c for c, f in facts.items() if f.fcr] == ["c1", "c2", "c9"]
    assert facts["c4"].outcome == "resolved" and facts["c4"].escalated and not facts["c4"].fcr


async def test_period_fixture_filter_and_daily_series(known_db):
    m = await compute_metrics(known_db, TOOLS, since=period_start(1, date(2025, 6, 12)))
    assert m.conversations == 1 and m.outcomes["resolved"] == 1
    m = await compute_metrics(known_db, TOOLS, since=None, until=day_end(date(2025, 6, 10)), include_fixture=False)
    assert m.conversations == 7 and m.fixture_conversations == 0
    m = await compute_metrics(known_db, TOOLS, since=period_start(5, date(2025, 6, 14)), until=day_end(date(2025, 6, 14)))
    assert [(d.day.day, d.conversations, d.escalations, d.ratings, d.csat) for d in m.daily] == [
        (10, 8, 2, 4, 0.5), (11, 0, 0, 0, None), (12, 0, 0, 0, None), (13, 0, 0, 0, None), (14, 1, 0, 1, 1.0)]
    read = metric_reader(known_db.db.path)
    assert compute_metrics_sync(read, TOOLS, since=None) == await compute_metrics(known_db, TOOLS, since=None)


# the fixture history ---------------------------------------------------------------------------

TODAY = date(2025, 6, 16)


async def demo_orders(db: Database) -> dict[str, list[str]]:
    """Every demo customer and their order ids (read from the demo shop's tables, as the factory does)."""
    orders: dict[str, list[str]] = {r["id"]: [] for r in await db.fetchall("SELECT id FROM customers")}
    for row in await db.fetchall("SELECT id, customer_id FROM orders"):
        orders[row["customer_id"]].append(row["id"])
    return orders


async def history_db(path, today: date = TODAY) -> tuple[Database, SQLSupportStore, dict[str, list[str]]]:
    """A database with the demo shop for ``today``, its support store, and the shop's orders by customer."""
    from support_tui.shops.northwind.fixtures import load_fixtures
    from support_tui.shops.northwind.shop import NorthwindShop

    db = await Database.open(path)
    await NorthwindShop.open(db, load=False)
    await load_fixtures(db, today=today)
    return db, SQLSupportStore(db), await demo_orders(db)


async def _dump(db: Database) -> list:
    tables = ("conversations", "messages", "turns", "events", "ratings")
    return [[tuple(r) for r in await db.fetchall(f"SELECT * FROM {t} ORDER BY 1, 2")] for t in tables]


async def test_history_is_deterministic_idempotent_marked_and_fast(tmp_path):
    from support_tui.core.metrics.history import load_history

    (one, store_one, orders), (two, store_two, _) = await history_db(tmp_path / "a.db"), await history_db(tmp_path / "b.db")
    try:
        started = time.perf_counter()
        loaded = await load_history(store_one, today=TODAY, orders=orders)
        assert time.perf_counter() - started < 2.0
        assert 300 <= loaded <= 500
        assert await load_history(store_one, today=TODAY, orders=orders) == 0
        assert await load_history(store_two, today=TODAY, orders=orders) == loaded
        assert await _dump(one) == await _dump(two)
        assert await one.scalar("SELECT COUNT(*) FROM conversations WHERE is_fixture = 0") == 0
        models = {r[0] for r in await one.fetchall("SELECT DISTINCT model FROM turns")}
        assert models == {"offline/support-agent", "openai/gpt-4o", "anthropic/claude-sonnet-4-5"}
        m = await compute_metrics(store_one, TOOLS, since=None)
        assert m.conversations == loaded and m.reopened > 0 and m.outcomes["abandoned"] > 0
        assert len(m.escalation_reasons) >= 5 and 0.3 <= m.ratings / m.ended <= 0.5
        assert await one.scalar("SELECT COUNT(*) FROM conversations WHERE handled_by = 'human'") > 0
        first = date.fromisoformat(m.daily[0].day.isoformat())
        assert (TODAY - first).days == 35 and len(m.by_specialist) == 6
    finally:
        await one.close()
        await two.close()


async def test_history_events_read_back_as_the_real_event_types(tmp_path):
    from support_tui.core.metrics.history import load_history

    db, store, orders = await history_db(tmp_path / "h.db")
    try:
        await load_history(store, today=TODAY, orders=orders)
        events = await store.events("hist_0001")
        kinds = [e.kind for e in events]
        assert kinds[:3] == ["turn_started", "sentiment_scored", "route_decided"] and kinds[-1] == "turn_completed"
        assert "reply_completed" in kinds and "tool_call_finished" in kinds
    finally:
        await db.close()


# the command line and Prometheus ---------------------------------------------------------------


def _known_home() -> str:
    from support_tui.core.paths import DataPaths

    path = DataPaths.default().ensure().database

    async def build() -> None:
        db = await Database.open(path)
        await build_known_history(SQLSupportStore(db))
        await db.close()

    asyncio.run(build())
    return str(path)


def test_cli_json_is_one_object(capsys):
    from support_tui.cli import main

    _known_home()
    assert main(["metrics", "--json", "--since", "2025-06-10", "--until", "2025-06-10", "--exclude-fixture"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["conversations"] == 7 and data["since"].startswith("2025-06-10T00:00")
    for key in ("resolution_rate", "fcr_rate", "escalation_rate", "escalation_reasons", "first_reply", "resolution_time",
                "csat", "mean_rating", "by_specialist", "by_model", "prompt_tokens", "cost_usd", "sentiment", "daily"):
        assert key in data
    assert set(data["first_reply"]) == {"median_s", "p95_s", "count"}
    assert main(["metrics"]) == 0 and "First-contact resolution" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["metrics", "--since", "10/06/2025"], "--since expects a date as YYYY-MM-DD"),
    (["metrics", "--since", "2025-06-10", "--until", "2025-06-01"], "is after --until"),
])
def test_cli_bad_dates_are_user_errors(capsys, argv, message):
    from support_tui.cli import main

    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_prometheus_exposition_names_and_values():
    from prometheus_client import generate_latest

    from support_tui.core.metrics.export import METRIC_NAMES, make_registry

    text = generate_latest(make_registry(metric_reader(_known_home()), TOOLS)).decode()
    for name in METRIC_NAMES:
        assert f"\n{name}" in text or text.startswith(name) or f"# TYPE {name}" in text, name
    assert 'support_conversations_total{outcome="resolved",specialist="product_info"} 2.0' in text
    assert 'support_escalations_total{rule="negative_sentiment"} 1.0' in text
    assert 'support_first_reply_seconds_bucket{le="10.0"} 2.0' in text and "support_first_reply_seconds_count 7.0" in text
    assert 'support_tokens_total{kind="prompt",model="openai/gpt-4o"} 1000.0' in text
    assert 'support_cost_usd_total{model="openai/gpt-4o"} 0.0125' in text
    assert 'support_csat_ratings_total{score="5"} 2.0' in text
    assert "support_first_contact_resolution_ratio 0.3333" in text


def test_exporter_serves_on_loopback():
    from support_tui.core.metrics.export import serve

    server, thread = serve(metric_reader(_known_home()), TOOLS, host="127.0.0.1", port=0)
    try:
        host, port = server.server_address[:2]
        assert host == "127.0.0.1"
        body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
        assert "support_escalation_ratio 0.2222" in body
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
