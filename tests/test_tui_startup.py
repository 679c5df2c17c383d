"""The console from the command line draws before the engine exists: the entry imports none of the engine's
modules, the store opens after the first frame, and what is typed meanwhile is sent once it is open."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
from pathlib import Path

from fakes import ScriptedEngine, settle
from support_tui.core.settings import Settings
from support_tui.tui.app import SupportConsole
from support_tui.tui.screens.startup import StoreNotOpen

HEAVY = ("litellm", "lancedb", "torch", "sentence_transformers", "transformers", "numpy", "asyncpg", "aiosqlite", "pydantic")
WIDE = ("support_tui.core.engine", "support_tui.core.factory", "support_tui.core.store", "support_tui.core.events",
        "support_tui.core.settings", "support_tui.core.turn", "support_tui.core.metrics")


def _loaded_after(code: str) -> set[str]:
    probe = code + "\nimport sys\nprint('\\n'.join(sys.modules))\n"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return set(out.stdout.split())


def test_the_console_entry_imports_nothing_of_the_engine_before_its_first_frame():
    # What `support-tui demo` imports before the app runs: the command line, its console command and the app.
    loaded = _loaded_after("from support_tui.cli import build_parser\nbuild_parser('console')\nimport support_tui.tui.app")
    assert "support_tui.tui.screens.console" in loaded  # the probe did import the console
    assert sorted(m for m in loaded if m.split(".")[0] in HEAVY) == []
    assert sorted(m for m in loaded if m.startswith(WIDE)) == []


def test_ask_imports_only_its_own_command_module():
    loaded = _loaded_after("from support_tui.cli import build_parser\nbuild_parser('turns')")
    others = {m for m in loaded if m.startswith("support_tui.cli.")} - {"support_tui.cli._common", "support_tui.cli.turns"}
    assert others == set()


class GatedOpener:
    """Opens a scripted engine when the test says so (the store takes its time)."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.engine = ScriptedEngine(Settings(mode="supervised"))  # type: ignore[arg-type]
        self.calls = 0

    async def open(self) -> ScriptedEngine:
        self.calls += 1
        await self.gate.wait()
        return self.engine


def _console(opener: GatedOpener, customer_id: str | None = "cus_ada") -> SupportConsole:
    app = SupportConsole(None, None, customer_id=customer_id, demo=True, person="sam", open_engine=opener.open,
                         export_dir=Path(tempfile.mkdtemp(prefix="support-tui-exports-")))
    app.cursor_blink = False
    return app


async def test_a_message_typed_before_the_store_opens_is_queued_then_sent():
    opener = GatedOpener()
    app = _console(opener)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        screen = app.console_screen
        assert opener.calls == 1 and not screen.store_open
        assert app.screen.title == "SUPPORT CONSOLE"  # no settings yet: the mode comes with the store
        screen.composer.value = "Where is my order?"
        await pilot.press("enter")
        assert screen.early == ["Where is my order?"]
        assert screen.status.queued == 1
        assert opener.engine.called("run_turn") == []
        opener.gate.set()
        for _ in range(50):
            await settle(pilot)
            if opener.engine.called("run_turn"):
                break
        assert screen.store_open and screen.early == []
        (args, _), = opener.engine.called("run_turn")
        assert args[1] == "Where is my order?"
        assert app.screen.title == "SUPERVISED"
        assert screen.query_one("SentimentPanel").threshold == opener.engine.settings.escalation_sentiment


async def test_keys_that_need_the_store_wait_for_it():
    opener = GatedOpener()
    app = _console(opener)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        screen = app.console_screen
        assert screen.check_action("pick_customer", ()) is None  # shown dimmed, not run
        assert screen.check_action("help", ()) is True
        assert app.check_action("metrics", ()) is None
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert app.screen is screen  # no picker over a store that is not open
        try:
            screen.engine
        except StoreNotOpen:
            pass
        else:
            raise AssertionError("the engine was there before the store opened")
        opener.gate.set()
        await settle(pilot)
        assert screen.check_action("pick_customer", ()) is True


async def test_an_unknown_customer_leaves_with_a_problem_to_print():
    opener = GatedOpener()
    opener.gate.set()
    app = _console(opener, customer_id="cus_nobody")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
    assert app.return_code == 2
    assert "unknown customer 'cus_nobody'" in (app.console_screen.startup_problem or "")


async def test_the_collector_the_command_line_turned_off_is_back_on_after_the_first_frame():
    import gc

    opener = GatedOpener()
    app = _console(opener)
    gc.disable()  # as cli.main starts the console
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            await pilot.pause()
            await pilot.pause()
            assert gc.isenabled()  # the store is not even open: only the first frame had to be drawn
            assert not app.console_screen.store_open
    finally:
        gc.enable()


def test_every_other_command_runs_with_the_collector_on(capsys):
    import gc

    from support_tui.cli import main

    seen = []
    import support_tui.cli.turns as turns

    def probe(args):
        seen.append(gc.isenabled())
        return 0

    original = turns.trace_command if hasattr(turns, "trace_command") else None
    assert original is not None
    turns.trace_command = probe  # the parser looks the command up when it is built
    try:
        assert main(["trace", "conv_x"]) == 0
    finally:
        turns.trace_command = original
    assert seen == [True] and gc.isenabled()
