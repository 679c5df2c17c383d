"""Load: 100 and 1,000 concurrent conversations through one engine with the offline model.

Every conversation sends one customer message at the same moment (asyncio.gather); a second
round sends a follow-up in each. Reported: turns per second, p50/p95 turn latency (from the
call to the last event), peak resident memory, how many encode batches served the embeddings,
and the count of lost or duplicated customer messages, read back from the database (must be 0).
"""

from __future__ import annotations

import asyncio
import resource
import shutil
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import support_tui.core.offline_env  # noqa: E402,F401

from common import CACHE, demo_home, percentile  # noqa: E402

OPENERS = [
    "Where is my order? It has been a week.",
    "I want to return the jacket I bought, it doesn't fit",
    "Do you have the running shoes in size 10?",
    "Why was I charged a fee on my last bill?",
    "I can't log in to the app, it says my password is wrong",
    "Please update the phone number on my account",
]
FOLLOW_UPS = ["ok, thanks", "Can you check again please?", "And how long will that take?"]


async def _prepare(embedder: Any) -> Path:
    return await demo_home("load-template", embedder)


async def _one_turn(engine: Any, conv_id: str, text: str) -> float:
    started = time.perf_counter()
    async for _ in engine.run_turn(conv_id, text):
        pass
    return time.perf_counter() - started


async def _bench(n: int, embedder: Any) -> dict[str, float]:
    from support_tui.core.factory import open_engine
    from support_tui.core.paths import DataPaths

    template = await _prepare(embedder)
    work = CACHE / f"load-{n}"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(template, work)
    engine = await open_engine(DataPaths(work), embedder=embedder)
    try:
        customers = [c["id"] for c in await engine.customers()]
        convs = [await engine.open_conversation(customers[i % len(customers)], new=True) for i in range(n)]
        sent: dict[str, list[str]] = {c.id: [] for c in convs}
        batches_before = embedder.batches
        latencies: list[float] = []
        started = time.perf_counter()
        for round_no, texts in enumerate((OPENERS, FOLLOW_UPS)):
            jobs = []
            for i, conv in enumerate(convs):
                text = f"{texts[i % len(texts)]} (#{i}.{round_no})"
                sent[conv.id].append(text)
                jobs.append(_one_turn(engine, conv.id, text))
            latencies += await asyncio.gather(*jobs)
        elapsed = time.perf_counter() - started
        lost = duplicated = 0
        for conv in convs:
            stored = [m.text for m in await engine.messages(conv.id) if m.role == "customer"]
            lost += sum(1 for t in sent[conv.id] if t not in stored)
            duplicated += len(stored) - len(set(stored))
        turns = len(latencies)
        return {
            "conversations": float(n),
            "turns": float(turns),
            "turns_per_s": round(turns / elapsed, 1),
            "p50_ms": round(percentile(latencies, 50) * 1000, 1),
            "p95_ms": round(percentile(latencies, 95) * 1000, 1),
            "encode_batches": float(embedder.batches - batches_before),
            "lost_messages": float(lost),
            "duplicated_messages": float(duplicated),
        }
    finally:
        await engine.close()
        shutil.rmtree(work, ignore_errors=True)


def run(sizes: tuple[int, ...] = (100, 1000)) -> dict[str, float]:
    from support_tui.core.kb.embedder import Embedder

    embedder = Embedder()
    embedder.load()
    out: dict[str, float] = {}
    for n in sizes:
        result = asyncio.run(_bench(n, embedder))
        out.update({f"{n}.{k}": v for k, v in result.items()})
    # ru_maxrss is in KiB on Linux: the peak of the whole run, model included.
    out["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return out


if __name__ == "__main__":
    from common import main

    main("load", run)
