"""SupportConsole: the Textual app over an engine; the console screen does the work."""

from __future__ import annotations

from functools import partial
from typing import Any

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider

from support_tui.tui.screens.console import ConsoleScreen


class ModelCommands(Provider):
    """Command palette: switch the conversation's model."""

    def _models(self) -> list[str | None]:
        console = getattr(self.app, "console_screen", None)
        if console is None or console.conversation is None:
            return []
        return [None, *console.engine.available_models()]

    def _run(self, model: str | None) -> None:
        self.app.console_screen.run_worker(self.app.console_screen.set_model(model), group="action", exit_on_error=False)

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


class SupportConsole(App):
    """A console for supervising AI customer support: conversation, routing, sentiment, knowledge, tools."""

    CSS_PATH = "app.tcss"
    TITLE = "Support console"
    COMMANDS = App.COMMANDS | {ModelCommands}
    BINDINGS = [Binding("f12", "metrics", "Metrics", show=False)]

    cursor_blink: bool = True
    """Cursor blink of every text input; tests and screenshots turn it off for stable frames."""

    def __init__(self, engine: Any, settings: Any, *, customer_id: str | None = None, demo: bool = False) -> None:
        super().__init__()
        self.engine = engine
        self.settings = settings
        self.customer_id = customer_id
        self.demo = demo
        self.console_screen = ConsoleScreen(engine, settings, customer_id=customer_id, demo=demo)

    def get_default_screen(self) -> ConsoleScreen:
        return self.console_screen

    def action_metrics(self) -> None:
        """Open the support metrics over the engine's database."""
        if getattr(self.engine, "db", None) is None:
            self.notify("Metrics need the engine's database; this engine has none.", severity="warning")
            return
        from support_tui.tui.screens.metrics import MetricsScreen

        self.push_screen(MetricsScreen(self.engine))

    def get_system_commands(self, screen):  # type: ignore[override]
        yield from super().get_system_commands(screen)
        yield SystemCommand("Metrics", "Support metrics: resolution, escalation, CSAT, response time, cost (F12)", self.action_metrics)
