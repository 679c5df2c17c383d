"""Test doubles for the console: the scripted engine (canned events, recorded calls) and an app factory."""

from __future__ import annotations

from support_tui.core.settings import Settings
from support_tui.tui.app import SupportConsole
from support_tui.tui.scripted import CUSTOMERS, ScriptedEngine

__all__ = ["CUSTOMERS", "ScriptedEngine", "make_console"]


def make_console(
    engine: ScriptedEngine | None = None, *, customer_id: str | None = "cus_ada", demo: bool = True, mode: str = "auto"
) -> tuple[SupportConsole, ScriptedEngine]:
    """A console over a scripted engine, cursor blink off so frames are deterministic."""
    engine = engine or ScriptedEngine(Settings(mode=mode))  # type: ignore[arg-type]
    app = SupportConsole(engine, engine.settings, customer_id=customer_id, demo=demo)
    app.cursor_blink = False
    return app, engine
