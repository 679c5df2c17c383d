"""Console start-up as a ratio to its floor measured in the same run, and the longest event-loop stall
while a turn runs (the cold ``ask`` is benchmarks/cli.py).

First frame: a fresh Python process runs ``support-tui demo`` headless on a prepared data
directory, in a terminal of 160x48 (``first_frame_ratio``) and of 80x24 (``first_frame_ratio_80x24``)
given from the start, as a real terminal's size is (left to itself the headless driver says 80x25 and
the app 80x24, and the screen is laid out twice more); the clock starts before the interpreter starts and stops when the console has
painted its first screen (measured inside the app, so imports and engine start count). Its floor
is a bare Textual app's first frame, measured the same way: ``first_frame_ratio`` is the part of
start-up that is the console's own. ``first_frame_modules`` counts the modules loaded by then. Both run
with the package's bytecode compiled first, as an installed tool has it (with PYTHONDONTWRITEBYTECODE set,
as on this machine, an uncompiled checkout compiled every console module on every start: about 100 ms).

Stall: in-process, over the real engine; a probe task wakes every 5 ms while a turn of the
seed scenarios runs through the console, and the largest lateness is the longest time the UI
could not respond. On a shared machine that lateness includes time the OS gave other processes;
``turn_stall_cpu_max_ms`` is the main thread's CPU time in that longest gap's worst case (the
loop's own work, what the code can change), reported beside it, not instead of it. A turn runs from
Enter to the moment the console clears its busy flag; the full garbage collection the console runs at
a quiet moment after a turn (support_tui/tui/heap.py) is reported as ``between_turns_collect_ms``.

Stall floor: the same probe in a bare Textual app at 160x48, in the same run, right after the console's
turns and for as long as each of them took, repainting its one full-screen widget with new text every 20 ms
(``bare_turn_stall_max_ms``, ``bare_turn_stall_p50_ms``): what a frame of that terminal costs Textual on this
machine at this moment. ``turn_stall_ratio_max`` and ``turn_stall_ratio_p50`` divide the console's by it, so
runs on a busy and a quiet machine compare.
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
import support_tui.cli.console as console_cli
from support_tui.cli import main

def _ready(self):
    # The first screen has been laid out and painted: report and leave.
    sys.stdout.write(f"FIRST_FRAME {time.time():.6f}\n")
    sys.stdout.write(f"MODULES {len(sys.modules)}\n")
    sys.stdout.flush()
    self.exit()

_command = console_cli.console_command
async def console_command(args):
    # The app's module is imported where the command imports it (inside main, as `support-tui demo` does).
    from support_tui.tui.app import SupportConsole

    def on_mount(self):
        self.call_after_refresh(_ready, self)
    SupportConsole.on_mount = on_mount
    _run_async = SupportConsole.run_async
    async def run_async(self, *args, **kwargs):
        kwargs["headless"] = True
        kwargs["size"] = tuple(int(n) for n in sys.argv[1].split("x"))  # a terminal's size, known from the start
        return await _run_async(self, *args, **kwargs)
    SupportConsole.run_async = run_async
    return await _command(args)
console_cli.console_command = console_command
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
        self.call_after_refresh(self._report)

    def _report(self):
        # Not ``_ready``: that is App's own hook, run once mounted but before the first paint.
        sys.stdout.write(f"FIRST_FRAME {time.time():.6f}\n")
        sys.stdout.flush()
        self.exit()

Bare().run(headless=True, size=tuple(int(n) for n in sys.argv[1].split("x")))
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


def compile_package() -> None:
    """Bytecode for support_tui, as an installed package has (pip compiles a wheel's modules; ``make setup``
    compiles the checkout's): the floor's Textual is compiled, so the console must not pay for compiling."""
    import compileall

    compileall.compile_dir(str(Path(__file__).resolve().parents[1] / "support_tui"), quiet=1)


def _first_frame(home: Path, runs: int = 5, script: str = FIRST_FRAME_SCRIPT, modules: list[int] | None = None,
                 size: str = "160x48") -> list[float]:
    samples = []
    for i in range(runs):
        work = CACHE / "console-first-frame"
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(home, work)
        env = dict(os.environ, SUPPORT_TUI_HOME=str(work))
        started = time.time()
        out = subprocess.run(
            [sys.executable, "-c", script, size], env=env, capture_output=True, text=True, timeout=120
        )
        line = next((ln for ln in out.stdout.splitlines() if ln.startswith("FIRST_FRAME")), None)
        if line is None:
            raise RuntimeError(f"the console did not draw: {out.stderr[-800:]}")
        samples.append(float(line.split()[1]) - started)
        count = next((ln for ln in out.stdout.splitlines() if ln.startswith("MODULES")), None)
        if modules is not None and count is not None:
            modules.append(int(count.split()[1]))
    return samples


QUIET_WAIT_S = 2.0
"""After the last turn, the idle time the benchmark leaves the console (its quiet-moment collection runs 1 s after a turn)."""


BARE_STEP_S = 0.02
"""How often the bare app's floor repaints (a streamed reply's pace)."""


async def _bare_stalls(durations: list[float]) -> list[float]:
    """The longest probe lateness in a bare Textual app at 160x48 repainting one full-screen widget, once per
    duration (each console turn's length): 48 lines that fit, so the floor is painting, not wrapping text."""
    from textual.app import App
    from textual.widgets import Static

    class Bare(App[None]):
        def compose(self):
            yield Static(id="page")

    app = Bare()
    stalls: list[float] = []
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause(0.3)
        page = app.query_one("#page", Static)
        for turn, duration in enumerate(durations):
            worst = 0.0
            running = True

            async def probe() -> None:
                nonlocal worst
                while running:
                    before = time.perf_counter()
                    await asyncio.sleep(0.005)
                    worst = max(worst, time.perf_counter() - before - 0.005)

            task = asyncio.create_task(probe())
            end, step = time.perf_counter() + duration, 0
            while time.perf_counter() < end:
                step += 1
                lines = (f"turn {turn} step {step} line {row} ".ljust(150, ".") for row in range(48))
                page.update("\n".join(lines))  # every line of the screen changes: a full repaint
                await asyncio.sleep(BARE_STEP_S)
            running = False
            await task
            stalls.append(worst)
    return stalls


async def _stalls(home: Path, embedder, collections: list[float] | None = None,
                  durations: list[float] | None = None) -> tuple[list[float], list[float]]:
    from support_tui.core.factory import open_engine
    from support_tui.core.paths import DataPaths
    from support_tui.tui.app import SupportConsole

    work = CACHE / "console-stall"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(home, work)
    engine = await open_engine(DataPaths(work), embedder=embedder)
    stalls: list[float] = []
    cpu: list[float] = []
    collections = [] if collections is None else collections
    durations = [] if durations is None else durations
    try:
        app = SupportConsole(engine, engine.settings, customer_id="cust_12345", demo=True)
        app.cursor_blink = False
        async with app.run_test(size=(160, 48)) as pilot:
            await pilot.pause(0.5)
            screen = app.screen
            turn = {"on": False}
            # The turn is from Enter to the moment the console clears its busy flag (a watcher, so the
            # end is exact: the pause the console takes between turns is not the turn's).
            screen.watch(screen, "busy", lambda busy: turn.update(on=turn["on"] and busy), init=False)
            for text in TURNS:
                worst = worst_cpu = 0.0
                running = True

                async def probe() -> None:
                    nonlocal worst, worst_cpu
                    while running:
                        counted = turn["on"]
                        before, before_cpu = time.perf_counter(), time.thread_time()
                        await asyncio.sleep(0.005)
                        if counted:
                            worst = max(worst, time.perf_counter() - before - 0.005)
                            worst_cpu = max(worst_cpu, time.thread_time() - before_cpu)

                task = asyncio.create_task(probe())
                started = time.perf_counter()
                composer = screen.query_one("#composer")
                composer.value = text
                turn["on"] = True
                await pilot.press("enter")
                # Wait for the turn to finish: the console clears its busy flag.
                for _ in range(600):
                    await pilot.pause(0.05)
                    if not turn["on"]:
                        break
                durations.append(time.perf_counter() - started)
                running = False
                await task
                stalls.append(worst)
                cpu.append(worst_cpu)
            # The console's full garbage collection waits for a quiet moment after a turn (tui/heap.py):
            # give it that moment and report how long it took, so the pause is measured, not hidden.
            await pilot.pause(QUIET_WAIT_S)
            collections.append(app.screen.heap.longest_ms / 1000)
    finally:
        await engine.close()
        shutil.rmtree(work, ignore_errors=True)
    return stalls, cpu


def stall_run() -> dict[str, float]:
    """The stall part alone (``--stall-only``): the console's turns and the bare app's floor, same run."""
    from support_tui.core.kb.embedder import Embedder

    embedder = Embedder()
    embedder.load()
    home = asyncio.run(_template(embedder))
    durations: list[float] = []
    stalls, cpu = asyncio.run(_stalls(home, embedder, None, durations))
    floor = asyncio.run(_bare_stalls(durations))
    return {**_stall_figures(stalls, cpu, floor), "turns": float(len(stalls))}


def _stall_figures(stalls: list[float], cpu: list[float], floor: list[float]) -> dict[str, float]:
    """The turn's worst and median frame, its CPU, and both as ratios to the bare app's in the same run."""
    return {
        "turn_stall_max_ms": round(max(stalls) * 1000, 1),
        "turn_stall_p50_ms": round(percentile(stalls, 50) * 1000, 1),
        "turn_stall_cpu_max_ms": round(max(cpu) * 1000, 1),
        "bare_turn_stall_max_ms": round(max(floor) * 1000, 1),
        "bare_turn_stall_p50_ms": round(percentile(floor, 50) * 1000, 1),
        "turn_stall_ratio_max": round(max(stalls) / max(floor), 2),
        "turn_stall_ratio_p50": round(percentile(stalls, 50) / percentile(floor, 50), 2),
    }


def run() -> dict[str, float]:
    from support_tui.core.kb.embedder import Embedder

    embedder = Embedder()
    embedder.load()
    home = asyncio.run(_template(embedder))
    compile_package()
    frames, bare, modules = [], [], []
    narrow, narrow_bare = [], []
    for _ in range(9):  # alternating, so both see the same machine
        frames += _first_frame(home, 1, modules=modules)
        bare += _first_frame(home, 1, BARE_SCRIPT)
        narrow += _first_frame(home, 1, size="80x24")
        narrow_bare += _first_frame(home, 1, BARE_SCRIPT, size="80x24")
    collections: list[float] = []
    durations: list[float] = []
    stalls, cpu = asyncio.run(_stalls(home, embedder, collections, durations))
    floor = asyncio.run(_bare_stalls(durations))
    return {
        "first_frame_p50_ms": round(percentile(frames, 50) * 1000, 1),
        "bare_textual_first_frame_p50_ms": round(percentile(bare, 50) * 1000, 1),
        "first_frame_ratio": round(percentile(frames, 50) / percentile(bare, 50), 2),
        "first_frame_max_ms": round(max(frames) * 1000, 1),
        "first_frame_80x24_p50_ms": round(percentile(narrow, 50) * 1000, 1),
        "first_frame_ratio_80x24": round(percentile(narrow, 50) / percentile(narrow_bare, 50), 2),
        **_stall_figures(stalls, cpu, floor),
        "between_turns_collect_ms": round(max(collections, default=0.0) * 1000, 1),
        "first_frame_modules": float(max(modules)) if modules else 0.0,
        "turns": float(len(stalls)),
    }


if __name__ == "__main__":
    from common import main

    if "--stall-only" in sys.argv:
        sys.argv.remove("--stall-only")
        main("console", stall_run)
    else:
        main("console", run)
