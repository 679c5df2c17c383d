"""Crash safety: turns driven in child processes that are SIGKILLed at random points, and concurrent writers.

A "zygote" process imports the engine once, then forks one child per run; each child opens the data
directory like a fresh console would, drives turns and prints the id of each customer message as
soon as ``TurnStarted`` says it is stored. The test kills children at seeded random moments and,
at the end, reopens the directory with ``open_engine`` and checks nothing acknowledged was lost or
doubled. Children use the real database, store, orchestrator and offline model; the embedder, the
knowledge base and the router are cheap stand-ins, since what is under test is what reaches disk.
"""

from __future__ import annotations

import asyncio
import os
import queue
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from support_tui.core.events import ReplyCompleted, TurnCompleted
from support_tui.core.factory import open_engine
from support_tui.core.paths import PROJECT_ROOT, DataPaths
from support_tui.core.settings import Settings

pytestmark = pytest.mark.filterwarnings("ignore:.*ReadOnly. qualifier:UserWarning")

KILLS = 25
SEED = 20261118
CUSTOMERS = ("cust_12345", "cust_23456", "cust_34567", "cust_45678")

ZYGOTE = r'''
import asyncio, os, random, sys, threading
import numpy as np
import support_tui.core.offline_env
import support_tui.core.llm
from support_tui.core.store.sql.sqlite import Database
from support_tui.core.store.records.support_store import SQLSupportStore
from support_tui.shops.northwind import NorthwindShop
from support_tui.core.engine import Engine
from support_tui.core.llm import ModelClient
from support_tui.core.routing.keyword import KeywordRouter
from support_tui.core.settings import OFFLINE_MODEL, Settings

TEXTS = (
    "Where is my order? I need it tracked",
    "I want to return my order for a refund, it arrived defective",
    "yes please",
    "Can you tell me about the product specifications?",
    "Why was I charged on my billing statement?",
    "ok thanks",
)

class FlatEmbedder:
    async def aload(self): pass
    async def aencode(self, texts): return np.zeros((len(texts), 8), dtype=np.float32)

class NoKnowledge:
    async def is_empty(self): return False
    async def search(self, *args, **kwargs): return []
    async def document(self, *args, **kwargs): return []

class Keywords:
    def __init__(self): self.router = KeywordRouter()
    async def prepare(self): pass
    def route_vector(self, vector, text, context): return self.router.route_text(text)

def say(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()

async def drive(db_path, tag, seed, limit):
    rng = random.Random(seed)
    settings = Settings(fallback_models=[])
    db = await Database.open(db_path)
    store = SQLSupportStore(db)
    shop = await NorthwindShop.open(db, load=False)
    engine = Engine(settings=settings, store=store, shop=shop, kb=NoKnowledge(), embedder=FlatEmbedder(), router=Keywords(),
                    models=ModelClient(settings), on_close=db.close)
    say(f"opened {tag} {await store.mark_interrupted_turns()}")
    row = await db.fetchone("SELECT conversation_id FROM turns WHERE status='interrupted' ORDER BY started_at DESC LIMIT 1")
    if row is not None and rng.random() < 0.5:
        async for event in engine.rerun_turn(row["conversation_id"]):
            if event.kind == "turn_completed":
                say(f"rerun {row['conversation_id']} {event.status}")
    for i in range(limit):
        customer = rng.choice(sys.argv[1].split(","))
        conv = await engine.open_conversation(customer, new=rng.random() < 0.3)
        token = f"{tag}-{i}"
        text = f"{rng.choice(TEXTS)} [{token}]"
        try:
            async for event in engine.run_turn(conv.id, text):
                if event.kind == "turn_started":
                    say(f"ack {event.message_id} {token}")
                elif event.kind == "turn_completed":
                    say(f"done {token} {event.status} {event.error or ''}".rstrip())
        except Exception as exc:
            say(f"error {token} {type(exc).__name__}: {exc}")
    say(f"finished {tag}")
    await engine.close()

async def warm_up():
    from support_tui.shops.northwind.tools import TOOLS
    client = ModelClient(Settings())
    tools = [TOOLS["lookup_order"].schema()]
    for offered in (None, tools):
        async for _ in client.stream([OFFLINE_MODEL], [{"role": "user", "content": "hello"}], offered):
            pass

asyncio.run(warm_up())
say(f"ready {threading.active_count()}")
for line in iter(sys.stdin.readline, ""):
    words = line.split()
    if words[0] == "run":
        tag, seed, limit, db_path = words[1], int(words[2]), int(words[3]), words[4]
        pid = os.fork()
        if pid == 0:
            try:
                asyncio.run(drive(db_path, tag, seed, limit))
            finally:
                os._exit(0)
        say(f"pid {pid}")
    elif words[0] == "reap":
        _, status = os.waitpid(int(words[1]), 0)
        say(f"reaped {words[1]} {status}")
'''


class Zygote:
    """The forking parent process and a reader thread over its (and its children's) output."""

    def __init__(self, customers: tuple[str, ...] = CUSTOMERS) -> None:
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(
            [sys.executable, "-c", ZYGOTE, ",".join(customers)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=PROJECT_ROOT, env=env,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.log: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        self.expect("ready", timeout=90)

    def _read(self) -> None:
        for line in self.proc.stdout:  # type: ignore[union-attr]
            self.lines.put(line.rstrip("\n"))

    def send(self, command: str) -> None:
        self.proc.stdin.write(command + "\n")  # type: ignore[union-attr]
        self.proc.stdin.flush()  # type: ignore[union-attr]

    def next(self, timeout: float) -> str | None:
        try:
            line = self.lines.get(timeout=max(timeout, 0.0))
        except queue.Empty:
            return None
        self.log.append(line)
        return line

    def expect(self, prefix: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while (line := self.next(deadline - time.monotonic())) is not None:
            if line.startswith(prefix):
                return line
        raise AssertionError(f"no {prefix!r} line within {timeout} s; last lines: {self.log[-5:]}")

    def drain(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while self.next(deadline - time.monotonic()) is not None:
            pass

    def close(self) -> None:
        self.proc.stdin.close()  # type: ignore[union-attr]
        self.proc.wait(timeout=10)


def _acks(log: list[str]) -> dict[int, str]:
    acks: dict[int, str] = {}
    for line in log:
        if line.startswith("ack "):
            _, message_id, token = line.split()
            acks[int(message_id)] = token
    return acks


def _check_database(db_path: Path, acks: dict[int, str]) -> dict[str, int]:
    """Integrity, and every acknowledged message exactly once (read with plain sqlite3, as a second opinion)."""
    conn = sqlite3.connect(db_path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        rows = conn.execute("SELECT id, role, text FROM messages WHERE role = 'customer'").fetchall()
        tokens = Counter(text.rsplit("[", 1)[-1].rstrip("]") for _, _, text in rows if text.endswith("]"))
        by_id = {mid: text for mid, _, text in rows}
        for message_id, token in acks.items():
            assert by_id.get(message_id, "").endswith(f"[{token}]"), f"acknowledged message {message_id} ({token}) lost"
        doubled = [t for t, n in tokens.items() if n > 1]
        assert not doubled, f"messages stored twice: {doubled}"
        dangling = conn.execute(
            "SELECT COUNT(*) FROM turns t LEFT JOIN messages m ON m.id = t.message_id WHERE m.id IS NULL"
        ).fetchone()[0]
        assert dangling == 0
        statuses = dict(conn.execute("SELECT status, COUNT(*) FROM turns GROUP BY status").fetchall())
        return statuses
    finally:
        conn.close()


def _turn_statuses(db_path: Path) -> dict[str, int]:
    with sqlite3.connect(db_path) as conn:
        return dict(conn.execute("SELECT status, COUNT(*) FROM turns GROUP BY status").fetchall())


def _minus(counts: dict[str, int], baseline: dict[str, int]) -> dict[str, int]:
    """Turn counts of this run only (the fixture store ships with past conversations)."""
    return {k: n - baseline.get(k, 0) for k, n in counts.items() if n - baseline.get(k, 0)}


@pytest.fixture(scope="module")
def zygote():
    """One forking parent for the module (its imports cost seconds; a fork costs milliseconds)."""
    parent = Zygote()
    try:
        yield parent
    finally:
        parent.close()


@pytest.fixture
def crash_home(engine_home: Path, tmp_path_factory, monkeypatch) -> Path:
    monkeypatch.setenv("SUPPORT_TUI_CACHE", str(tmp_path_factory.getbasetemp() / "router-cache"))
    return engine_home


def test_sigkill_at_random_points_loses_no_acknowledged_message(zygote, crash_home, shared_embedder):
    db_path = DataPaths(crash_home).database
    rng = random.Random(SEED)
    baseline = _turn_statuses(db_path)
    started = time.monotonic()
    killed_mid_turn = 0
    first = len(zygote.log)
    for run in range(KILLS):
        mark = len(zygote.log)
        zygote.send(f"run k{run} {rng.randrange(10**6)} 1000 {db_path}")
        pid = int(zygote.expect("pid ", timeout=10).split()[1])
        # The child may print "opened" before the parent prints "pid" (its set-up is a couple of reads).
        if not any(line.startswith(f"opened k{run} ") for line in zygote.log[mark:]):
            zygote.expect(f"opened k{run} ", timeout=15)
        zygote.drain(rng.uniform(0.0, 0.7))
        os.kill(pid, signal.SIGKILL)
        zygote.send(f"reap {pid}")
        status = int(zygote.expect(f"reaped {pid} ", timeout=10).split()[2])
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
        run_lines = zygote.log[mark:]  # this child's lines (the one before was reaped), whatever came first
        acked = {line.split()[2] for line in run_lines if line.startswith("ack ")}
        done = {line.split()[1] for line in run_lines if line.startswith("done ")}
        killed_mid_turn += bool(acked - done)
    elapsed = time.monotonic() - started
    log = zygote.log[first:]
    reruns = [line for line in log if line.startswith("rerun ")]
    assert not [line for line in log if line.startswith("error ")], [line for line in log if line.startswith("error ")]
    assert not [line for line in log if line.startswith(("done ", "rerun ")) and " failed" in line]
    acks = _acks(log)
    assert len(acks) >= KILLS, "the children should have stored a fair number of messages"
    assert killed_mid_turn >= KILLS // 4, f"only {killed_mid_turn} kills landed inside a turn"

    statuses = _check_database(db_path, acks)

    async def reopen() -> dict[str, int]:
        engine = await open_engine(DataPaths(crash_home), Settings(), embedder=shared_embedder)
        try:
            rows = await engine.store.db.fetchall("SELECT status, COUNT(*) AS n FROM turns GROUP BY status")
            after = {r["status"]: r["n"] for r in rows}
            assert "running" not in after, "open_engine marks turns left running as interrupted"
            interrupted = await engine.store.db.fetchone(
                "SELECT conversation_id FROM turns WHERE status = 'interrupted' ORDER BY started_at DESC LIMIT 1"
            )
            assert interrupted is not None
            conv_id = interrupted["conversation_id"]
            before = [m.id for m in await engine.messages(conv_id) if m.role == "customer"]
            events = [e async for e in engine.rerun_turn(conv_id)]
            assert isinstance(events[-1], TurnCompleted) and events[-1].status in ("completed", "awaiting_approval")
            assert any(isinstance(e, ReplyCompleted) for e in events)
            assert [m.id for m in await engine.messages(conv_id) if m.role == "customer"] == before
            # Every stored trace still parses into typed events.
            for (cid,) in [tuple(r) for r in await engine.store.db.fetchall("SELECT DISTINCT conversation_id FROM events")]:
                await engine.trace(cid)
            return after
        finally:
            await engine.close()

    after = asyncio.run(reopen())
    _check_database(db_path, acks)
    statuses, after = _minus(statuses, baseline), _minus(after, baseline)
    assert after.get("interrupted", 0) >= killed_mid_turn - len(reruns)
    print(
        f"\n{KILLS} SIGKILLs ({killed_mid_turn} inside a turn, {len(reruns)} re-runs after a kill) in {elapsed:.1f} s:"
        f" {len(acks)} acknowledged messages,"
        f" none lost or doubled; turns before reopen {statuses}, after {after}"
    )


def test_two_processes_writing_turns_at_once(zygote, crash_home):
    """A console and a CLI on the same data directory: no 'database is locked', no lost message."""
    db_path = DataPaths(crash_home).database
    first = len(zygote.log)
    zygote.send(f"run a 1 12 {db_path}")
    zygote.expect("pid ", timeout=10)
    zygote.send(f"run b 2 12 {db_path}")
    zygote.expect("pid ", timeout=10)
    zygote.expect("finished", timeout=90)
    zygote.expect("finished", timeout=90)
    for line in zygote.log[first:]:
        if line.startswith("pid "):
            zygote.send(f"reap {line.split()[1]}")
            zygote.expect(f"reaped {line.split()[1]} ", timeout=10)
    log = zygote.log[first:]
    problems = [line for line in log if line.startswith("error ") or (line.startswith("done ") and "completed" not in line
                                                                      and "awaiting_approval" not in line)]
    assert not problems, problems
    assert not [line for line in log if "locked" in line]
    acks = _acks(log)
    assert len(acks) == 24 and len([line for line in log if line.startswith("done ")]) == 24
    statuses = _check_database(db_path, acks)
    assert "running" not in statuses


async def test_two_engines_in_one_process_share_the_file(crash_home, shared_embedder):
    """Two engines on one file, one of them also polled like the console polls its queue while a turn runs."""
    paths = DataPaths(crash_home)
    first = await open_engine(paths, Settings(), embedder=shared_embedder)
    second = await open_engine(paths, Settings(), embedder=shared_embedder)
    talking = 3
    try:

        async def talk(engine, customer: str, tag: str) -> list[tuple[int, str]]:
            nonlocal talking
            conv = await engine.open_conversation(customer, new=True)
            out = []
            try:
                for i, text in enumerate(["Where is my order?", "I want to return something", "ok thanks"] * 3):
                    events = [e async for e in engine.run_turn(conv.id, f"{text} [{tag}-{i}]")]
                    assert events[-1].status != "failed", events[-1].error
                    out.append((events[0].message_id, f"{tag}-{i}"))
            finally:
                talking -= 1
            return out

        async def poll(engine) -> int:
            reads = 0
            while talking:
                await engine.conversations()
                await engine.customer_card("cust_12345")
                reads += 1
                await asyncio.sleep(0)
            return reads

        *results, reads = await asyncio.gather(
            talk(first, "cust_12345", "one"), talk(second, "cust_23456", "two"), talk(first, "cust_34567", "three"),
            poll(first),
        )
    finally:
        await first.close()
        await second.close()
    assert reads > 0
    acks = {mid: token for pairs in results for mid, token in pairs}
    assert len(acks) == 27
    _check_database(paths.database, acks)
