"""Engine overhead per turn with the offline model, by stage, at 10k and 100k KB chunks, against its floor.

Each size gets a fresh data directory (under $TMPDIR/support-tui-bench): the fixture store and the
shipped KB, padded on the open engine with synthetic chunks (mixtures of real MiniLM vectors, as in
retrieval.py) up to the size. Turns run one at a time in fresh conversations over a fixed set
of customer messages; the figures come from each turn's own ``TurnCompleted.timings_ms``.

The physical floor of a turn is what no implementation can skip: embedding the message once,
one probe of the KB index, and one SQLite commit. The ratio says how far above it we are.
"""

from __future__ import annotations

import asyncio
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import support_tui.core.offline_env  # noqa: E402,F401
from support_tui.core.events import TurnCompleted  # noqa: E402

from common import CACHE, percentile  # noqa: E402

MESSAGES = [
    ("cust_12345", "Hi, I need to track my order #ORD-67890. When will it arrive?"),
    ("cust_12345", "Can you tell me if the wireless headphones are compatible with iPhone?"),
    ("cust_12345", "The mobile app keeps crashing when I try to log in"),
    ("cust_12345", "I received a defective phone case and want to return it for a refund"),
    ("cust_34567", "What is the warranty on my smartwatch?"),
    ("cust_45678", "Please cancel order ORD-70030"),
    ("cust_56789", "I forgot my password and can't sign in"),
    ("cust_23456", "How long does a refund take to reach my card?"),
    ("cust_34567", "I need to change the phone number on my account"),
    ("cust_12345", "Why do I have two charges on my statement?"),
]
STAGES = ("sentiment", "embed", "route", "escalate", "retrieve", "model", "tools", "persist", "total")


async def _pad(engine: Any, size: int, embedder: Any) -> None:
    """Fill the open engine's KB up to ``size`` chunks with synthetic ones.

    Done on the engine being measured, after it opened: opening syncs the index with ``kb/`` by content
    hash and drops every document without a file there, so padding written into a cached data directory
    is gone by the next open (the figures labelled 10k and 100k were taken on the KB's own chunks).
    """
    from retrieval import _base, _corpus, _rows

    have = await engine.parts.kb.count()
    if size <= have:
        return
    base, texts, _, _ = _base(embedder)
    vectors, filler = _corpus(base, texts, size - have + len(base))
    rows = _rows(vectors[len(base):], filler[len(base):])
    for row in rows:
        row["doc_id"] = "filler-" + row["doc_id"]
        row["chunk_id"] = "filler-" + row["chunk_id"]
    await engine.parts.kb.add_rows(rows)


async def _floor(engine: Any) -> dict[str, float]:
    """Median cost of the three things a turn cannot avoid."""
    embed, probe, commit = [], [], []
    for i in range(30):
        text = MESSAGES[i % len(MESSAGES)][1]
        t = time.perf_counter()
        vector = (await engine.parts.embedder.aencode([text]))[0]
        embed.append(time.perf_counter() - t)
        t = time.perf_counter()
        await engine.parts.kb.search(text, k=engine.settings.kb_top_k, vector=vector)
        probe.append(time.perf_counter() - t)
        t = time.perf_counter()
        await engine.shop.db.write("UPDATE store_meta SET value = value WHERE key = 'created_at'")
        commit.append(time.perf_counter() - t)
    out = {
        "floor_embed_ms": statistics.median(embed) * 1000,
        "floor_probe_ms": statistics.median(probe) * 1000,
        "floor_commit_ms": statistics.median(commit) * 1000,
    }
    out["floor_ms"] = sum(out.values())
    return {k: round(v, 2) for k, v in out.items()}


async def _bench_size(size: int, embedder: Any, turns: int) -> dict[str, float]:
    from support_tui.core.factory import open_engine
    from support_tui.core.paths import DataPaths
    from support_tui.core.settings import Settings

    work = CACHE / f"engine-{size}-run"
    shutil.rmtree(work, ignore_errors=True)
    engine = await open_engine(DataPaths(work), Settings(), embedder=embedder)
    try:
        await _pad(engine, size, embedder)
        samples: dict[str, list[float]] = {s: [] for s in STAGES}
        for i in range(turns + 5):
            customer, text = MESSAGES[i % len(MESSAGES)]
            conv = await engine.open_conversation(customer, new=True)
            done = [e async for e in engine.run_turn(conv.id, text) if isinstance(e, TurnCompleted)][0]
            if i < 5:
                continue  # warm-up turns
            for stage in STAGES:
                samples[stage].append(done.timings_ms.get(stage, 0.0))
        out: dict[str, float] = {"turns": float(turns), "chunks": float(await engine.parts.kb.count())}
        for stage in STAGES:
            out[f"{stage}_p50_ms"] = round(percentile(samples[stage], 50), 2)
            out[f"{stage}_p95_ms"] = round(percentile(samples[stage], 95), 2)
        out.update(await _floor(engine))
        out["ratio_p50_to_floor"] = round(out["total_p50_ms"] / out["floor_ms"], 2)
        return out
    finally:
        await engine.close()
        shutil.rmtree(work, ignore_errors=True)


def run(sizes: tuple[int, ...] = (10_000, 100_000), turns: int = 60) -> dict[str, float]:
    """Benchmark the engine at each KB size; keys like ``p95_ms_10k`` and ``10k.retrieve_p50_ms``."""
    from support_tui.core.kb.embedder import Embedder

    embedder = Embedder()
    embedder.load()
    out: dict[str, float] = {}
    for size in sizes:
        label = f"{size // 1000}k"
        result = asyncio.run(_bench_size(size, embedder, turns))
        out[f"p50_ms_{label}"] = result["total_p50_ms"]
        out[f"p95_ms_{label}"] = result["total_p95_ms"]
        out.update({f"{label}.{k}": v for k, v in result.items()})
    return out


if __name__ == "__main__":
    from common import main

    main("engine", run)
