"""SupportConsole: the Textual app over an engine; the console screen does the work."""

from __future__ import annotations

import os
import sys
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Iterable

from textual.app import App, SystemCommand
from textual.binding import BindingType
from textual.screen import Screen
from textual.command import DiscoveryHit, Hit, Hits, Provider

from support_tui.tui.keys import APP_BINDINGS
from support_tui.tui.screens.console import ConsoleScreen
from support_tui.tui.screens.startup import EngineOpener

if TYPE_CHECKING:
    from support_tui.core.engine import SupportEngine
    from support_tui.core.settings import Settings



class ModelCommands(Provider):
    """Command palette: switch the conversation's model."""

    @property
    def console(self) -> ConsoleScreen:
        return self.app.console_screen  # type: ignore[attr-defined, no-any-return]

    def _models(self) -> list[str | None]:
        if self.console.conversation is None:
            return []
        return [None, *self.console.engine.available_models()]

    def _run(self, model: str | None) -> None:
        self.console.run_worker(self.console.actions.set_model(model), group="action", exit_on_error=False)

    async def discover(self) -> Hits:
        for model in self._models():
            yield DiscoveryHit(f"Use model: {model or 'specialist default'}", partial(self._run, model),
                               help="Switch the model of this conversation")

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for model in self._models():
            text = f"Use model: {model or 'specialist default'}"
            if (score := matcher.match(text)) > 0:
                yield Hit(score, matcher.highlight(text), partial(self._run, model), help="Switch the model of this conversation")


TERMINAL_CHECK_S = 2.0
"""How often the console checks that its terminal is still there."""


def controlling_terminal() -> int | None:
    """The file descriptor of the terminal the console draws on, or None when it runs without one."""
    for stream in (sys.__stdout__, sys.__stdin__):
        try:
            if stream is not None and os.isatty(stream.fileno()):
                return stream.fileno()
        except (OSError, ValueError):
            continue
    return None


def terminal_alive(fd: int) -> bool:
    """Whether the terminal on ``fd`` is still open: a hung-up one is no longer a terminal."""
    return os.isatty(fd)


class SupportConsole(App[None]):
    """A console for supervising AI customer support: conversation, routing, sentiment, knowledge, tools."""

    CSS_PATH = "app.tcss"
    TITLE = "Support console"
    COMMANDS = App.COMMANDS | {ModelCommands}
    BINDINGS: ClassVar[list[BindingType]] = [*APP_BINDINGS]

    cursor_blink: bool = True
    """Cursor blink of every text input; tests and screenshots turn it off for stable frames."""

    def __init__(self, engine: SupportEngine | None, settings: Settings | None, *, customer_id: str | None = None,
                 demo: bool = False, person: str | None = None, export_dir: Path | None = None,
                 open_engine: EngineOpener | None = None) -> None:
        """With ``engine`` and ``settings`` None, ``open_engine`` opens the store after the first frame (the command
        line does: neither the engine's imports nor its start-up delay what a person first sees)."""
        super().__init__()
        self.settings = settings
        self.customer_id = customer_id
        self.demo = demo
        self.console_screen = ConsoleScreen(engine, settings, customer_id=customer_id, demo=demo,
                                            person=person, export_dir=export_dir,
                                            open_engine=open_engine)

    def on_mount(self) -> None:
        # A terminal closed under a parent that does not pass its hang-up on (``make demo``: make waits for
        # the console) leaves the console reading a dead terminal, which spun a core at 80-100%: it exits.
        terminal = controlling_terminal()
        if terminal is not None and not self.is_headless:
            self.set_interval(TERMINAL_CHECK_S, partial(self._exit_without, terminal))

    def _exit_without(self, terminal: int) -> None:
        if not terminal_alive(terminal):
            self.exit()

    def get_default_screen(self) -> ConsoleScreen:
        # The layout's breakpoint class from the start (the terminal's size is known by now): added by the
        # first resize, it restyled every widget once more before the first frame.
        width = self.size.width
        for floor, name in sorted(ConsoleScreen.HORIZONTAL_BREAKPOINTS, reverse=True):
            if width >= floor:
                self.console_screen.set_class(True, name, update=False)  # styled by the first pass
                break
        return self.console_screen

    @property
    def engine(self) -> SupportEngine:
        """The console's engine (``StoreNotOpen`` while the store is still opening)."""
        return self.console_screen.engine

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return None if action == "metrics" and not self.console_screen.store_open else True

    def action_metrics(self) -> None:
        """Open the support metrics."""
        from support_tui.tui.screens.metrics import MetricsScreen

        if not self.console_screen.store_open:
            self.notify("The store is still opening; try again in a moment.", severity="warning")
            return
        self.push_screen(MetricsScreen(self.engine))

    async def action_quit(self) -> None:
        """Quit; while a turn runs or a decision waits, ask first."""
        console = self.console_screen
        if console.store_open:
            try:  # the whole queue as the store has it now, not as of the last refresh
                await console.refresh_queue()
            except Exception:  # noqa: BLE001 - a store that fails now must not keep a person from quitting
                pass
        here, elsewhere = console.waiting_here(), console.waiting_elsewhere()
        waiting = here + elsewhere
        if not console.busy and not waiting:
            self.exit()
            return
        from support_tui.tui.screens.dialogs import ConfirmDialog

        where = f" ({here} here, {elsewhere} in other conversations)" if here and elsewhere else (
            " in other conversations" if elsewhere else "")
        what = [w for w in ("a turn is running" if console.busy else "",
                            f"{waiting} decision{'s' if waiting != 1 else ''} wait{'s' if waiting == 1 else ''}{where}" if waiting else "") if w]
        question = f"{' and '.join(what).capitalize()}. Quit anyway? (A running turn is cancelled; waiting decisions stay in the store.)"

        def answered(yes: bool | None) -> None:
            if yes:
                self.exit()

        self.push_screen(ConfirmDialog("Quit?", question, yes="Quit (y)", no="Stay (n)"), answered)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Metrics", "Support metrics: resolution, escalation, CSAT, response time, cost (F12)", self.action_metrics)
        yield SystemCommand("Keys", "Every key of the console, by area (F1)", self.console_screen.action_help)
