"""The compare screen: one customer message as two models (or specialists) handled it, side by side, differences marked."""

from __future__ import annotations

import json
from typing import Any, Sequence

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from support_tui.core.engine import SupportEngine
from support_tui.core.turn.compare import Comparison, SideRun, aspects, call_differs
from support_tui.core.turn.summary import TurnSummary

SHOWN = ("route", "model", "tool_calls", "policy", "escalation", "reply", "usage")
"""The blocks of each side, top to bottom."""
TITLES = {"route": "Route", "model": "Model", "tool_calls": "Tool calls", "policy": "Policy decisions",
          "escalation": "Escalation", "reply": "Reply", "usage": "Tokens · cost · latency"}
MARKED = {"route": ("route", "agent"), "model": ("model",), "tool_calls": ("tool_calls", "tool_results"),
          "policy": ("policy",), "escalation": ("escalation",), "reply": ("reply",), "usage": ("tokens", "cost")}
"""Which compared aspects mark each block as differing (latency is shown, never marked)."""


def _json(value: Any, limit: int = 400) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def block_text(name: str, summary: TurnSummary, latency_ms: float, runs: Sequence[SideRun] = ()) -> Text:
    """One block of one side, as literal text (tool results and replies are never read as markup)."""
    values = aspects(summary)
    text = Text()
    if name == "route":
        route = summary.route
        text.append(str(values["route"] or "—"), "bold")
        if route:
            text.append(f"  {route.confidence:.2f} ({route.method})", "dim")
        if values["agent"] and values["agent"] != values["route"]:
            text.append(f"\nanswered by {values['agent']}")
    elif name == "model":
        text.append(str(values["model"] or "—"))
    elif name == "tool_calls":
        calls = summary.tool_calls
        for i, call in enumerate(calls):
            mark = "≠ " if runs and call_differs(runs, i) else "  "
            text.append(mark, "bold")
            text.append(call.name, "bold")
            text.append(f"({_json(call.arguments, 160)})")
            text.append(f" → {call.status}\n", "bold" if call.status == "ok" else "italic")
            text.append("    " + _json(call.result if call.status == "ok" else call.error, 240) + "\n", "dim")
        if not calls:
            text.append("no tool calls", "dim")
    elif name == "policy":
        rules = values["policy"]
        for p in rules:
            text.append(f"{p['name']}: {p['status']} by {p['rule']}\n")
        if not rules:
            text.append("no rule stopped a call", "dim")
    elif name == "escalation":
        text.append(str(values["escalation"]) if values["escalation"] else "not escalated")
    elif name == "reply":
        text.append(summary.reply or "(no reply)")
    else:
        prompt, completion = values["tokens"]
        text.append(f"{prompt} in / {completion} out · ${values['cost']:.4f} · {latency_ms:.0f} ms")
    text.rstrip()
    return text


class CompareScreen(Screen[None]):
    """Both sides of a comparison in two columns; a block whose values differ between the sides is marked ≠."""

    DEFAULT_CSS = """
    CompareScreen { layout: vertical; }
    CompareScreen #compare-head { height: auto; padding: 0 1; background: $panel; }
    CompareScreen #compare-sides { height: 1fr; padding: 0 1; }
    CompareScreen .compare-row { height: auto; }
    CompareScreen .compare-label { width: 1fr; text-style: bold; color: $text-primary; padding: 0 1; }
    CompareScreen .compare-block { width: 1fr; height: auto; padding: 0 1; border: round $primary 40%; border-title-color: $text-muted; }
    CompareScreen .compare-block.-differs { border: heavy $warning; border-title-color: $text-warning; }
    """

    BINDINGS = [Binding("escape,q", "close", "Close")]

    def __init__(
        self, engine: SupportEngine | None = None, conversation_id: str = "", turn: int = 1, *,
        models: Sequence[str | None] | None = None, routes: Sequence[str | None] | None = None,
        comparison: Comparison | None = None,
    ) -> None:
        super().__init__()
        self.engine = engine
        self.conversation_id = conversation_id
        self.turn = turn
        self.models = list(models or [])
        self.routes = list(routes or [])
        self.comparison = comparison

    def compose(self) -> ComposeResult:
        yield Static(Text(f"Comparing turn {self.turn} of {self.conversation_id}…"), id="compare-head")
        yield VerticalScroll(id="compare-sides")
        yield Footer()

    async def on_mount(self) -> None:
        if self.comparison is not None:
            await self.show(self.comparison)
        elif self.engine is not None:
            self.run_compare()

    @work(exclusive=True, group="compare", exit_on_error=False)
    async def run_compare(self) -> None:
        assert self.engine is not None
        try:
            comparison = await self.engine.compare(self.conversation_id, turn=self.turn, models=self.models or None,
                                                   routes=self.routes or None)
        except (LookupError, ValueError, RuntimeError) as exc:
            self.query_one("#compare-head", Static).update(Text(f"Cannot compare: {exc}"))
            return
        await self.show(comparison)

    async def show(self, comparison: Comparison) -> None:
        """Fill both columns from a finished comparison."""
        self.comparison = comparison
        head = Text()
        head.append(f"Turn {comparison.turn} of {comparison.parent_id}: ", "bold")
        head.append(comparison.text)
        writes = sum(1 for r in comparison.replayed if r.writes)
        head.append(f"\nEach side ran on its own copy of the shop, rebuilt by replaying {len(comparison.replayed)} earlier "
                    f"call(s) ({writes} write(s)); nothing was stored. ", "dim")
        head.append("Differs: " + (", ".join(comparison.differences) or "nothing"), "bold")
        self.query_one("#compare-head", Static).update(head)
        sides = self.query_one("#compare-sides", VerticalScroll)
        await sides.remove_children()
        differing = set(comparison.differences)
        # One row per aspect, both sides in it, so the same aspect sits at the same height on each side.
        rows = [Horizontal(*(Static(Text(run.side.label), classes="compare-label") for run in comparison.runs), classes="compare-row")]
        for name in SHOWN:
            differs = bool(differing.intersection(MARKED[name]))
            blocks = []
            for run in comparison.runs:
                block = Static(block_text(name, run.summary, run.latency_ms, comparison.runs), classes="compare-block")
                block.border_title = ("≠ " if differs else "") + TITLES[name]
                block.set_class(differs, "-differs")
                blocks.append(block)
            rows.append(Horizontal(*blocks, classes="compare-row"))
        await sides.mount(*rows)

    def action_close(self) -> None:
        if isinstance(self.app, CompareApp):
            self.app.exit()
        else:
            self.app.pop_screen()


class CompareApp(App[None]):
    """The compare screen on its own (``support-tui compare ... --view``)."""

    def __init__(self, screen: CompareScreen) -> None:
        super().__init__()
        self._compare = screen

    def on_mount(self) -> None:
        self.push_screen(self._compare)
