"""Console and CLI start-up, each as a ratio to its floor measured in the same run, and the longest
event-loop stall while a turn runs.

First frame: a fresh Python process runs ``support-tui demo`` headless on a prepared data
directory; the clock starts before the interpreter starts and stops when the console has
painted its first screen (measured inside the app, so imports and engine start count). Its floor
is a bare Textual app's first frame, measured the same way: ``first_frame_ratio`` is the part of
start-up that is the console's own.

Cold ``ask``: ``support-tui ask --json`` in a fresh process, start to exit. Its floor is a fresh
process that only imports, in the same order, every module that ``ask`` ended up loading:
``ask_cold_ratio`` is what ``ask`` costs beyond loading its code.

Stall: in-process, over the real engine; a probe task wakes every 5 ms while a turn of the
seed scenarios runs through the console, and the largest lateness is the longest time the UI
could not respond.
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

FIRST_FRAME_SCRIPT = r"""
import sys, time
from support_tui.cli import main
from support_tui.tui.app import SupportConsole

def _ready(self):
    # The first screen has been laid out and painted: report and leave.
    sys.stdout.write(f"FIRST_FRAME {time.time():.6f}\n")
    sys.stdout.flush()
    self.exit()

_original = SupportConsole.on_mount if hasattr(SupportConsole, "on_mount") else None
def on_mount(self):
    if _original:
        _original(self)
    self.call_after_refresh(_ready, self)
SupportConsole.on_mount = on_mount
_run_async = SupportConsole.run_async
async def run_async(self, *args, **kwargs):
    kwargs["headless"] = True
    return await _run_async(self, *args, **kwargs)
SupportConsole.run_async = run_async
sys.exit(main(["demo", "--customer", "cust_12345"]))
"""

BARE_SCRIPT = r"""
import sys, time
from textual.app import App
from textual.widgets import Static

class Bare(App):
    def compose(self):
        yield Static("hello")

    def on_mount(self):
        self.call_after_refresh(self._ready)

    def _ready(self):
        sys.stdout.write(f"FIRST_FRAME {time.time():.6f}\n")
        sys.stdout.flush()
        self.exit()

Bare().run(headless=True)
"""

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

TURNS = [
    "Hi, I need to track my order #ORD-67890. When will it arrive?",
    "I received a defective phone case and want to return it for a refund",
    "Can you tell me if the wireless headphones are compatible with iPhone?",
    "I'm very upset! I was charged twice for my order and nobody is helping me!",
    "The mobile app keeps crashing when I try to log in",
]


async def _template(embedder) -> Path:
    return await demo_home("console-template", embedder)


def _first_frame(home: Path, runs: int = 5, script: str = FIRST_FRAME_SCRIPT) -> list[float]:
    samples = []
    for i in range(runs):
        work = CACHE / "console-first-frame"
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(home, work)
        env = dict(os.environ, SUPPORT_TUI_HOME=str(work))
        started = time.time()
        out = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
        )
        line = next((ln for ln in out.stdout.splitlines() if ln.startswith("FIRST_FRAME")), None)
        if line is None:
            raise RuntimeError(f"the console did not draw: {out.stderr[-800:]}")
        samples.append(float(line.split()[1]) - started)
    return samples


async def _stalls(home: Path, embedder) -> list[float]:
    from support_tui.core.factory import open_engine
    from support_tui.core.paths import DataPaths
    from support_tui.tui.app import SupportConsole

    work = CACHE / "console-stall"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(home, work)
    engine = await open_engine(DataPaths(work), embedder=embedder)
    stalls: list[float] = []
    try:
        app = SupportConsole(engine, engine.settings, customer_id="cust_12345", demo=True)
        app.cursor_blink = False
        async with app.run_test(size=(160, 48)) as pilot:
            await pilot.pause(0.5)
            for text in TURNS:
                worst = 0.0
                running = True

                async def probe() -> None:
                    nonlocal worst
                    while running:
                        before = time.perf_counter()
                        await asyncio.sleep(0.005)
                        worst = max(worst, time.perf_counter() - before - 0.005)

                task = asyncio.create_task(probe())
                composer = app.screen.query_one("#composer")
                composer.value = text
                await pilot.press("enter")
                # Wait for the turn to finish: the console clears its busy flag.
                for _ in range(600):
                    await pilot.pause(0.05)
                    if not getattr(app.screen, "busy", False):
                        break
                running = False
                await task
                stalls.append(worst)
    finally:
        await engine.close()
        shutil.rmtree(work, ignore_errors=True)
    return stalls


def _timed(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    out = subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        raise RuntimeError(f"{args[:2]} failed: {out.stderr[-800:]}")
    return time.perf_counter() - started


def _ask_cold(home: Path, runs: int = 3) -> tuple[list[float], list[float]]:
    """Cold ``ask --json`` runs and, alternating with them, runs of its import floor."""
    asks, floors = [], []
    modules = CACHE / "ask-modules.txt"
    # A cold process, not a cold data directory: one untimed ask fills what a data directory keeps
    # between runs (the router's exemplar vectors), as it would after a user's first ask.
    prepared = CACHE / "cli-ask-prepared"
    shutil.rmtree(prepared, ignore_errors=True)
    shutil.copytree(home, prepared)
    _timed(["-c", ASK_SCRIPT, str(modules)], dict(os.environ, SUPPORT_TUI_HOME=str(prepared)))
    for _ in range(runs):
        work = CACHE / "cli-ask"
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(prepared, work)
        env = dict(os.environ, SUPPORT_TUI_HOME=str(work))
        asks.append(_timed(["-c", ASK_SCRIPT, str(modules)], env))
        floors.append(_timed(["-c", FLOOR_SCRIPT, str(modules)], env))
    for folder in (work, prepared):
        shutil.rmtree(folder, ignore_errors=True)
    return asks, floors


def _home() -> Path:
    from support_tui.core.kb.embedder import Embedder

    embedder = Embedder()
    embedder.load()
    return asyncio.run(_template(embedder))


def run_cli() -> dict[str, float]:
    """``cli``: a cold ``support-tui ask --json`` against the import floor of what it loads."""
    asks, floors = _ask_cold(_home())
    ask, floor = percentile(asks, 50), percentile(floors, 50)
    return {
        "ask_cold_p50_ms": round(ask * 1000, 1),
        "ask_import_floor_p50_ms": round(floor * 1000, 1),
        "ask_cold_ratio": round(ask / floor, 2),
    }


def run() -> dict[str, float]:
    from support_tui.core.kb.embedder import Embedder

    embedder = Embedder()
    embedder.load()
    home = asyncio.run(_template(embedder))
    frames, bare = [], []
    for _ in range(5):  # alternating, so both see the same machine
        frames += _first_frame(home, 1)
        bare += _first_frame(home, 1, BARE_SCRIPT)
    stalls = asyncio.run(_stalls(home, embedder))
    return {
        "first_frame_p50_ms": round(percentile(frames, 50) * 1000, 1),
        "bare_textual_first_frame_p50_ms": round(percentile(bare, 50) * 1000, 1),
        "first_frame_ratio": round(percentile(frames, 50) / percentile(bare, 50), 2),
        "first_frame_max_ms": round(max(frames) * 1000, 1),
        "turn_stall_max_ms": round(max(stalls) * 1000, 1),
        "turn_stall_p50_ms": round(percentile(stalls, 50) * 1000, 1),
        "turns": float(len(stalls)),
    }


if __name__ == "__main__":
    from common import main

    main("console", run)
