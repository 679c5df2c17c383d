"""Money moves once: a worker killed at each step of a confirming turn, then another worker, on SQLite and PostgreSQL.

For a refund, a return and a cancellation the customer asks, the agent proposes, and the customer's
"yes" is queued as the HTTP channel queues it. A worker process (tests/crash_harness.py) claims it
and is SIGKILLed at one named step (``support_tui.core.crashpoints``): before the write, after the
write committed, after the model's reply, before and after the reply is stored. Another worker then
takes the lapsed claim over. Whatever the step, the order shows exactly one effect, the shop one
stored effect, and the customer exactly one reply to the "yes", and it says what was done.

Each (database, action) prepares its conversation once and copies it for the five crash points,
whose workers run side by side.
"""

from __future__ import annotations

import asyncio
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Awaitable, Callable

import pytest

from support_tui.core.crashpoints import CRASH_POINTS
from support_tui.core.events import ToolCallFinished
from support_tui.core.paths import PROJECT_ROOT
from tests.crash_harness import open_engine

LEASE_S = 0.6
"""The workers' lease: the next worker takes a killed one's claim over this soon after the kill."""


@dataclass(frozen=True)
class Case:
    customer: str
    agent: str
    ask: str
    order: str
    tool: str
    moved: str
    """SQL counting the rows the action makes on the order (one ``?``: the order id)."""
    done_words: str
    """What the one reply says, in any case."""


CASES = {
    "refund": Case("cust_12345", "billing_payment", "I think I was charged twice for order ORD-67890, can you check?",
                   "ORD-67890", "issue_refund", "SELECT COUNT(*) FROM refunds WHERE order_id = ?", "refund"),
    "return": Case("cust_12345", "returns_refunds", "I received a defective phone case and want to return it for a refund",
                   "ORD-67891", "create_return", "SELECT COUNT(*) FROM returns WHERE order_id = ?", "return"),
    "cancel": Case("cust_45678", "order_tracking", "Please cancel my order ORD-70030", "ORD-70030", "cancel_order",
                   "SELECT COUNT(*) FROM orders WHERE id = ? AND status = 'cancelled'", "cancel"),
}


@dataclass(frozen=True)
class Prepared:
    conversation_id: str
    yes_id: int
    moved_before: int


class Zygote:
    """``python -m tests.crash_harness`` and a reader thread over its lines."""

    def __init__(self) -> None:
        env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONPATH=str(PROJECT_ROOT))
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.crash_harness"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=PROJECT_ROOT, env=env)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.expect("ready", 120)

    def _read(self) -> None:
        for line in self.proc.stdout:  # type: ignore[union-attr]
            self.lines.put(line.rstrip("\n"))

    def send(self, command: str) -> None:
        self.proc.stdin.write(command + "\n")  # type: ignore[union-attr]
        self.proc.stdin.flush()  # type: ignore[union-attr]

    def expect(self, prefix: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                raise AssertionError(f"no {prefix!r} line within {timeout} s") from None
            if line.startswith(prefix):
                return line

    def workers(self, runs: list[tuple[str, str, str, str]]) -> list[int]:
        """Start one worker per (backend, location, agent, crash point or "-"); the exit code of each, in order."""
        pids = []
        for backend, location, agent, point in runs:
            self.send(f"run {backend} {location} {agent} {point} {LEASE_S}")
            pids.append(int(self.expect("pid ", 30).split()[1]))
        codes = []
        for pid in pids:
            self.send(f"reap {pid}")
            codes.append(int(self.expect(f"reaped {pid} ", 120).split()[2]))
        return codes

    def close(self) -> None:
        self.proc.stdin.close()  # type: ignore[union-attr]
        self.proc.wait(timeout=30)


@pytest.fixture(scope="module")
def zygote():
    made = Zygote()
    yield made
    made.close()


async def prepare(backend: str, location: str, case: Case) -> Prepared:
    """The shop loaded, the customer's request answered with a proposal, and their "yes" queued."""
    engine = await open_engine(backend, location, case.agent, load=True)
    try:
        conv = await engine.open_conversation(case.customer, new=True)
        events = [e async for e in engine.run_turn(conv.id, case.ask)]
        proposed = [e for e in events if isinstance(e, ToolCallFinished) and e.name == case.tool]
        assert proposed and proposed[-1].rule == "customer_confirmation", [(e.name, e.status) for e in proposed]
        moved = int(await engine.shop.db.scalar(case.moved, (case.order,)))  # type: ignore[attr-defined]
        queued = await engine.submit_message(conv.id, "yes")
        return Prepared(conv.id, queued.message_id, moved)
    finally:
        await engine.close()


async def outcome(backend: str, location: str, case: Case, prepared: Prepared) -> dict[str, Any]:
    """What the order, the shop's effects and the customer's messages show after the workers."""
    from support_tui.core.store import Database, PostgresShopDatabase

    db: Any = await Database.open(location) if backend == "sqlite" else PostgresShopDatabase(location)
    try:
        after = await db.fetchall(
            "SELECT role, text, reply_to FROM messages WHERE conversation_id = ? AND id > ? ORDER BY id",
            (prepared.conversation_id, prepared.yes_id))
        return {
            "moved": int(await db.scalar(case.moved, (case.order,))) - prepared.moved_before,
            "effects": int(await db.scalar("SELECT COUNT(*) FROM shop_effects WHERE conversation_id = ?",
                                           (prepared.conversation_id,))),
            "replies": [(r["role"], r["reply_to"]) for r in after],
            "said": [r["text"] for r in after],
            "job": await db.scalar("SELECT status FROM turn_jobs WHERE message_id = ?", (prepared.yes_id,)),
        }
    finally:
        await db.close()


async def copies(backend: str, case: Case, tmp_path: Path, request: Any) -> tuple[Prepared, list[str]]:
    """One prepared conversation, copied once per crash point (a file copy, or a PostgreSQL template's clone)."""
    if backend == "sqlite":
        source = tmp_path / "prepared.db"
        prepared = await prepare(backend, str(source), case)
        locations = []
        for point in CRASH_POINTS:
            target = tmp_path / f"{point}.db"
            shutil.copy(source, target)
            locations.append(str(target))
        return prepared, locations
    cluster = request.getfixturevalue("pg_cluster")
    made: list[Prepared] = []

    async def build(url: str) -> None:
        made.append(await prepare(backend, url, case))

    build_once: Callable[[str], Awaitable[None]] = build
    locations = [await cluster.copy_of(f"crash_{case.tool}", build_once) for _ in CRASH_POINTS]
    return made[0], locations


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
@pytest.mark.parametrize("action", list(CASES))
async def test_a_worker_killed_at_any_step_leaves_one_effect_and_one_reply(backend, action, zygote, tmp_path, request):
    case = CASES[action]
    prepared, locations = await copies(backend, case, tmp_path, request)

    killed = await asyncio.to_thread(zygote.workers, [(backend, loc, case.agent, point) for loc, point in zip(locations, CRASH_POINTS)])
    assert killed == [-9] * len(CRASH_POINTS), dict(zip(CRASH_POINTS, killed))  # each worker died at its step
    again = await asyncio.to_thread(zygote.workers, [(backend, loc, case.agent, "-") for loc in locations])
    assert again == [0] * len(CRASH_POINTS)

    for point, location in zip(CRASH_POINTS, locations):
        seen = await outcome(backend, location, case, prepared)
        where = f"{backend}, {action}, killed {point}: {seen}"
        assert seen["moved"] == 1, where
        assert seen["effects"] == 1, where
        assert seen["replies"] == [("ai", prepared.yes_id)], where
        assert case.done_words in seen["said"][0].lower(), where
        assert "no longer" not in seen["said"][0].lower(), where
        assert seen["job"] == "done", where
