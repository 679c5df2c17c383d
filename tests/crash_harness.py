"""The crash-point harness: a worker process killed at a named step of a confirming turn, then another worker.

``python -m tests.crash_harness`` is a zygote: it imports the engine once, then on each ``run`` line
forks a child that opens the data (SQLite file or PostgreSQL URL) as a fresh worker process would
and runs the real ``TurnWorker`` until the queue is empty. With a crash point named, the child sets
``$SUPPORT_TUI_CRASH_AT`` and ``support_tui.core.crashpoints`` SIGKILLs it at that step; the next
child finds the claim lapsed (a short lease) and answers the message again.

The children use the real database, store, queue, worker, turn and offline model; the embedder and
the knowledge base are empty stand-ins and the router sends every message to one specialist, since
what is under test is what reaches the database, not who answers.
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

import numpy as np

import support_tui.core.offline_env  # noqa: F401  (the offline model: no keys, no network)
from support_tui.core.crashpoints import CRASH_ENV
from support_tui.core.engine import Engine
from support_tui.core.routing.decision import RouteDecision, RoutingContext
from support_tui.core.settings import Settings


class FlatEmbedder:
    async def aload(self) -> None:
        pass

    async def aencode(self, texts: list[str]) -> Any:
        return np.zeros((len(texts), 8), dtype=np.float32)


class NoKnowledge:
    async def is_empty(self) -> bool:
        return False

    async def search(self, *args: Any, **kwargs: Any) -> list[Any]:
        return []

    async def document(self, *args: Any, **kwargs: Any) -> list[Any]:
        return []


class OneSpecialist:
    """Every message goes to ``agent``, sure of it."""

    def __init__(self, agent: str) -> None:
        self.agent = agent

    async def prepare(self) -> None:
        pass

    def route_vector(self, vector: Any, text: str, context: RoutingContext) -> RouteDecision:
        return RouteDecision(agent=self.agent, confidence=1.0, margin=1.0, scores={self.agent: 1.0},
                             reason="the harness routes here", evidence=[], method="keyword", clarify=False)


async def open_engine(backend: str, location: str, agent: str, *, load: bool = False) -> Engine:
    """An engine on the data at ``location`` (``sqlite``: a file; ``postgres``: a URL); ``load``: migrate and load the shop."""
    from support_tui.core.llm import ModelClient
    from support_tui.core.store import Database, PostgresShopDatabase, SQLSupportStore
    from support_tui.shops.northwind import NorthwindShop

    settings = Settings(fallback_models=[])
    db: Any
    store: Any
    if backend == "sqlite":
        db = await Database.open(location)
        store = SQLSupportStore(db)
    else:
        db = PostgresShopDatabase(location)
        store = SQLSupportStore(db)
    if load:
        await store.migrate()
        shop = await NorthwindShop.open(db)
    else:
        shop = NorthwindShop(db)

    async def close() -> None:
        if backend != "sqlite":
            await store.close()
        await db.close()

    return Engine(settings=settings, store=store, shop=shop, kb=NoKnowledge(), embedder=FlatEmbedder(),
                  router=OneSpecialist(agent), models=ModelClient(settings), on_close=close)


async def work(backend: str, location: str, agent: str, lease_s: float) -> None:
    """One worker process: answer every queued message, then stop."""
    from support_tui.server.worker import TurnWorker

    engine = await open_engine(backend, location, agent)
    worker = TurnWorker(engine, engine.store, name=f"harness:{os.getpid()}", concurrency=1, lease_s=lease_s,
                        poll_s=0.05, grace_s=5.0)
    running = asyncio.create_task(worker.run())
    try:
        while not running.done():
            if not await engine.store.turn_jobs(statuses=("queued", "running")):
                break
            await asyncio.sleep(0.05)
    finally:
        worker.stop()
        await running
        await engine.close()


async def _warm_up() -> None:
    from support_tui.core.llm import ModelClient
    from support_tui.core.settings import OFFLINE_MODEL
    from support_tui.shops.northwind.tools import TOOLS

    client = ModelClient(Settings())
    for offered in (None, [TOOLS["lookup_order"].schema()]):
        async for _ in client.stream([OFFLINE_MODEL], [{"role": "user", "content": "hello"}], offered):
            pass


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def serve() -> None:
    """The zygote's loop: ``run BACKEND LOCATION AGENT CRASH_POINT|- LEASE`` forks a worker; ``reap PID`` waits for it."""
    asyncio.run(_warm_up())
    _say("ready")
    for line in iter(sys.stdin.readline, ""):
        words = line.split()
        if words[0] == "run":
            backend, location, agent, point, lease = words[1:6]
            pid = os.fork()
            if pid == 0:
                code = 1
                try:
                    if point != "-":
                        os.environ[CRASH_ENV] = point
                    asyncio.run(work(backend, location, agent, float(lease)))
                    code = 0
                finally:
                    os._exit(code)
            _say(f"pid {pid}")
        elif words[0] == "reap":
            _, status = os.waitpid(int(words[1]), 0)
            _say(f"reaped {words[1]} {os.waitstatus_to_exitcode(status)}")


if __name__ == "__main__":
    serve()
