"""A cold ``support-tui ask --json`` as a ratio to the import floor of what it loads, measured in the same run.

``ask`` runs in a fresh process, start to exit. Its floor is a fresh process that only imports, in the
same order, every module that ``ask`` ended up loading: ``ask_cold_ratio`` is what ``ask`` costs beyond
loading its code. Loading less code lowers both, so the run also reports how many modules ``ask`` loaded
and whether the heavy libraries were among them (counts, not times: the same on a busy machine).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import support_tui.core.offline_env  # noqa: E402,F401

from common import CACHE, demo_home, percentile  # noqa: E402

ASK_SCRIPT = r"""
import sys
from support_tui.cli import main
code = main(["ask", "Hi, I need to track my order #ORD-67890. When will it arrive?", "--customer", "cust_12345", "--json"])
with open(sys.argv[1], "w") as out:
    out.write("\n".join(name for name in list(sys.modules) if name != "__main__"))
sys.exit(code)
"""

FLOOR_SCRIPT = r"""
import importlib, sys
for name in open(sys.argv[1]).read().split():
    try:
        importlib.import_module(name)
    except Exception:
        pass
"""

HEAVY = ("torch", "transformers", "sentence_transformers", "sklearn", "scipy", "litellm", "lancedb")
"""Libraries whose import costs seconds; each is reported as loaded (1) or not (0)."""


def _timed(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    out = subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        raise RuntimeError(f"{args[:2]} failed: {out.stderr[-800:]}")
    return time.perf_counter() - started


def _ask_cold(home: Path, runs: int = 3) -> tuple[list[float], list[float], list[str]]:
    """Cold ``ask --json`` runs and, alternating with them, runs of its import floor; and what it loaded."""
    asks, floors = [], []
    modules = CACHE / "ask-modules.txt"
    # A cold process, not a cold data directory: one untimed ask fills what a data directory keeps
    # between runs (the router's exemplar vectors), as it would after a user's first ask.
    prepared = CACHE / "cli-ask-prepared"
    shutil.rmtree(prepared, ignore_errors=True)
    shutil.copytree(home, prepared)
    _timed(["-c", ASK_SCRIPT, str(modules)], dict(os.environ, SUPPORT_TUI_HOME=str(prepared)))
    work = CACHE / "cli-ask"
    for _ in range(runs):
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(prepared, work)
        env = dict(os.environ, SUPPORT_TUI_HOME=str(work))
        asks.append(_timed(["-c", ASK_SCRIPT, str(modules)], env))
        floors.append(_timed(["-c", FLOOR_SCRIPT, str(modules)], env))
    loaded = modules.read_text().split()
    for folder in (work, prepared):
        shutil.rmtree(folder, ignore_errors=True)
    return asks, floors, loaded


def _home() -> Path:
    from support_tui.core.kb.embedder import Embedder

    embedder = Embedder()
    embedder.load()
    return asyncio.run(demo_home("console-template", embedder))


def run() -> dict[str, float]:
    """``cli``: a cold ``support-tui ask --json`` against the import floor of what it loads."""
    asks, floors, loaded = _ask_cold(_home())
    ask, floor = percentile(asks, 50), percentile(floors, 50)
    tops = {name.split(".")[0] for name in loaded}
    return {
        "ask_cold_p50_ms": round(ask * 1000, 1),
        "ask_import_floor_p50_ms": round(floor * 1000, 1),
        "ask_cold_ratio": round(ask / floor, 2),
        "ask_modules_loaded": float(len(loaded)),
        **{f"ask_loads_{name}": float(name in tops) for name in HEAVY},
    }


if __name__ == "__main__":
    from common import main

    main("cli", run)
