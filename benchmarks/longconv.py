"""One conversation of 500 customer messages through the engine (offline model): does a turn's cost grow?

Prints the per-stage medians of turns 1-20 and 481-500 and ``ratio_last_to_first`` (median total of
the last 20 over the first 20) and the same ratio per stage. The goal is <= 1.2 for every one. Turns
481-500 run alternately with turns 1-20 of a fresh conversation, so both see the same machine.
"""

from __future__ import annotations

import asyncio
import shutil
import statistics
import tempfile
from pathlib import Path
from typing import Any

from common import demo_home, main

TURNS = 500
WINDOW = 20
MESSAGES = (
    "Where is my order ORD-67890?",
    "ok thanks",
    "What is your return window?",
    "Are the wireless headphones compatible with iPhone?",
    "Which payment methods do I have on file?",
    "How long does a refund take to reach my card?",
    "thanks, that helps",
    "Can you check when ORD-67891 was delivered?",
)
STAGES = ("sentiment", "embed", "route", "escalate", "retrieve", "model", "tools", "persist", "total")


async def _turn(engine: Any, conversation_id: str, turn: int) -> dict[str, float]:
    from support_tui.core.events import TurnCompleted

    done = None
    async for event in engine.run_turn(conversation_id, MESSAGES[turn % len(MESSAGES)]):
        if isinstance(event, TurnCompleted):
            done = event
    assert done is not None and done.status == "completed", done
    return done.timings_ms


async def measure() -> dict[str, float]:
    from support_tui.core.factory import open_engine
    from support_tui.core.kb.embedder import Embedder
    from support_tui.core.paths import DataPaths

    embedder = Embedder()
    await embedder.aload()
    template = await demo_home("longconv", embedder)
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        shutil.copytree(template, home)
        engine = await open_engine(DataPaths(home), embedder=embedder)
        try:
            # Warm caches and code paths on another customer first, so turn 1 is not paying for them.
            warm = await engine.open_conversation("cust_23456", new=True)
            for turn in range(WINDOW):
                await _turn(engine, warm.id, turn)
            long = await engine.open_conversation("cust_12345", new=True)
            for turn in range(TURNS - WINDOW):
                await _turn(engine, long.id, turn)
            # The last 20 turns of the long conversation and the first 20 of a fresh one, taken in
            # turns, so both windows see the same machine (it is shared and noisy): the ratio then
            # shows what the conversation's length costs, not what else ran meanwhile.
            fresh = await engine.open_conversation("cust_12345", new=True)
            first, last = [], []
            for turn in range(WINDOW):
                first.append(await _turn(engine, fresh.id, turn))
                last.append(await _turn(engine, long.id, TURNS - WINDOW + turn))
        finally:
            await engine.close()
    out: dict[str, float] = {"turns": float(TURNS)}
    for stage in STAGES:
        a = statistics.median(t.get(stage, 0.0) for t in first)
        b = statistics.median(t.get(stage, 0.0) for t in last)
        out[f"{stage}_first_ms"] = round(a, 2)
        out[f"{stage}_last_ms"] = round(b, 2)
        out[f"{stage}_ratio"] = round(b / a, 3) if a > 0.05 else 1.0
    out["ratio_last_to_first"] = out["total_ratio"]
    return out


def run() -> dict[str, float]:
    return asyncio.run(measure())


if __name__ == "__main__":
    main("longconv", run)
