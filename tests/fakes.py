"""Test doubles for the console: the scripted engine (canned events, recorded calls) and an app factory."""

from __future__ import annotations

import tempfile
from pathlib import Path

from support_tui.core.settings import Settings
from support_tui.tui.app import SupportConsole
from support_tui.tui.scripted import CUSTOMERS, ScriptedEngine

__all__ = ["CUSTOMERS", "ScriptedEngine", "make_console", "say", "settle", "text_of"]


def make_console(
    engine: ScriptedEngine | None = None, *, customer_id: str | None = "cus_ada", demo: bool = True, mode: str = "auto",
    export_dir: Path | None = None,
) -> tuple[SupportConsole, ScriptedEngine]:
    """A console over a scripted engine, as the person "sam", cursor blink off so frames are deterministic."""
    engine = engine or ScriptedEngine(Settings(mode=mode))  # type: ignore[arg-type]
    app = SupportConsole(engine, engine.settings, customer_id=customer_id, demo=demo, person="sam",
                         export_dir=export_dir or Path(tempfile.mkdtemp(prefix="support-tui-exports-")))
    app.cursor_blink = False
    return app, engine


def text_of(widget) -> str:
    """The plain text a Static shows (markup, if any had been parsed, would be gone)."""
    return str(widget.render())


async def settle(pilot) -> None:
    """Let running workers finish and the screen catch up."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def say(pilot, text: str, *, wait: bool = True) -> None:
    """Type into the composer and press Enter."""
    composer = pilot.app.screen.query_one("#composer")
    composer.focus()
    composer.value = text
    await pilot.press("enter")
    if wait:
        await settle(pilot)
