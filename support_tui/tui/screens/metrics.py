"""The metrics screen: resolution, FCR, escalations, reply times, CSAT, usage and sentiment over a chosen period."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Button, DataTable, Footer, Sparkline, Static
from rich.text import Text

from support_tui.core.metrics.figures import Metrics, day_end, duration, percent, period_start
from support_tui.tui.widgets.sidebar import tokens

PERIODS: tuple[tuple[str, int | None], ...] = (("7 days", 7), ("30 days", 30), ("90 days", 90), ("All", None))
"""Period buttons: label and number of days ending today (None: all time)."""


def bars(rows: list[tuple[str, int]], *, width: int = 24, style: str = "$accent") -> Content:
    """A horizontal bar per row, scaled to the largest; labels are shown literally."""
    if not rows:
        return Content("No data in this period.")
    label_width = max(len(label) for label, _ in rows)
    top = max((n for _, n in rows), default=0) or 1
    lines = []
    for label, n in rows:
        eighths = round(n / top * width * 8)
        bar = "█" * (eighths // 8) + ("", "▏", "▎", "▍", "▌", "▋", "▊", "▉")[eighths % 8]
        lines.append(Content.assemble(label.ljust(label_width) + " ", (bar.ljust(width + 1), style), f"{n:>5}"))
    return Content("\n").join(lines)


class Tile(Static):
    """One headline figure with a caption."""

    def show(self, value: str, caption: str, detail: str) -> None:
        self.update(Content.assemble((value, "bold"), "\n", caption, "\n", (detail, "$text-muted")))


class MetricsScreen(Screen[None]):
    """Support metrics for the last 7, 30 or 90 days or all time, from the engine's database."""

    DEFAULT_CSS = """
    MetricsScreen { layout: vertical; }
    MetricsScreen #metrics-bar { height: 1; padding: 0 1; background: $panel; }
    MetricsScreen #metrics-title { width: auto; padding: 0 2 0 0; text-style: bold; color: $text-primary; }
    MetricsScreen #metrics-bar Button { width: auto; min-width: 0; margin: 0 1 0 0; }
    MetricsScreen #metrics-bar Button.-active { background: $primary; color: $text; text-style: bold; }
    MetricsScreen #metrics-fixture { width: 1fr; color: $text-warning; text-wrap: nowrap; display: none; }
    MetricsScreen #metrics-fixture.-shown { display: block; }
    MetricsScreen #metrics-body { padding: 0 1; }
    MetricsScreen #metrics-tiles { layout: grid; grid-size: 8; height: auto; }
    MetricsScreen.-narrow #metrics-tiles { grid-size: 4; }
    MetricsScreen Tile { height: 5; padding: 0 1; border: round $primary 50%; text-wrap: nowrap; text-overflow: ellipsis; }
    MetricsScreen .metrics-row { height: auto; }
    MetricsScreen.-narrow .metrics-row { layout: vertical; }
    MetricsScreen .metrics-panel { width: 1fr; height: auto; padding: 0 1; border: round $primary 50%;
                                   border-title-color: $text-primary; border-subtitle-color: $text-muted; }
    MetricsScreen .metrics-panel.-bars { width: auto; }
    MetricsScreen .metrics-panel.-bars Static { width: auto; }
    MetricsScreen.-narrow .metrics-panel.-bars { width: 1fr; }
    MetricsScreen .metrics-panel Static { text-wrap: nowrap; text-overflow: ellipsis; }
    MetricsScreen .spark-label { color: $text-muted; }
    MetricsScreen Sparkline { margin-bottom: 1; }
    MetricsScreen #spark-escalations > .sparkline--max-color { color: $warning; }
    MetricsScreen #spark-escalations > .sparkline--min-color { color: $warning 30%; }
    MetricsScreen #spark-csat > .sparkline--max-color { color: $success; }
    MetricsScreen #spark-csat > .sparkline--min-color { color: $success 30%; }
    MetricsScreen DataTable { height: auto; }
    """

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("1", "period(7)", "7 days"),
        Binding("2", "period(30)", "30 days"),
        Binding("3", "period(90)", "90 days"),
        Binding("4", "period(0)", "All"),
        Binding("f", "toggle_fixture", "Fixture data"),
        Binding("r", "reload", "Refresh"),
    ]

    days: reactive[int | None] = reactive(30, init=False)
    """Length of the period in days ending today; None for all time."""
    include_fixture: reactive[bool] = reactive(True, init=False)
    """Count the generated fixture history too."""
    figures: reactive[Metrics | None] = reactive(None, init=False)
    """The latest computed figures."""

    def __init__(self, engine: Any, *, today: date | None = None, days: int | None = 30) -> None:
        super().__init__(id="metrics-screen")
        self.engine = engine
        self.today = today or datetime.now(timezone.utc).date()
        self.set_reactive(MetricsScreen.days, days)

    def compose(self) -> ComposeResult:
        with Horizontal(id="metrics-bar"):
            yield Static(Content("Metrics"), id="metrics-title")
            for label, days in PERIODS:
                yield Button(label, id=f"period-{days or 'all'}", compact=True)
            yield Static(id="metrics-fixture")
        with VerticalScroll(id="metrics-body"):
            with Vertical(id="metrics-tiles"):
                for name in ("conversations", "resolution", "fcr", "escalation", "first-reply", "resolution-time", "csat", "cost"):
                    yield Tile(id=f"tile-{name}")
            with Horizontal(classes="metrics-row"):
                with Vertical(classes="metrics-panel", id="panel-daily"):
                    for key, label in (("volume", "Conversations"), ("escalations", "Escalations"), ("csat", "CSAT (% rated 4-5)")):
                        yield Static(Content(label), classes="spark-label", id=f"label-{key}")
                        yield Sparkline([], id=f"spark-{key}")
                with Vertical(classes="metrics-panel -bars", id="panel-escalations"):
                    yield Static(id="bars-escalations")
                with Vertical(classes="metrics-panel -bars", id="panel-sentiment"):
                    yield Static(id="bars-sentiment")
                with Vertical(classes="metrics-panel -bars", id="panel-outcomes"):
                    yield Static(id="bars-outcomes")
            with Horizontal(classes="metrics-row"):
                with Vertical(classes="metrics-panel", id="panel-specialists"):
                    yield DataTable(id="table-specialists", cursor_type="none", zebra_stripes=True)
                with Vertical(classes="metrics-panel", id="panel-models"):
                    yield DataTable(id="table-models", cursor_type="none", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        titles = {"daily": "Daily", "escalations": "Escalations by rule", "sentiment": "Customer sentiment",
                  "outcomes": "Outcomes", "specialists": "By specialist", "models": "By model"}
        for key, title in titles.items():
            self.query_one(f"#panel-{key}").border_title = title
        for table in self.query(DataTable):
            table.add_columns("name", "convs", "res.", "rate", "esc.", "tokens", "cost $")
        self._mark_period()
        self.reload()

    # state -------------------------------------------------------------------------------

    def watch_days(self) -> None:
        self._mark_period()
        self.reload()

    def watch_include_fixture(self) -> None:
        self.reload()

    def watch_figures(self, figures: Metrics | None) -> None:
        if figures is not None:
            self._show(figures)

    def _mark_period(self) -> None:
        for button in self.query("#metrics-bar Button").results(Button):
            button.set_class(button.id == f"period-{self.days or 'all'}", "-active")

    @work(exclusive=True, group="metrics", exit_on_error=False)
    async def reload(self) -> None:
        """Compute the figures of the chosen period from the database (async reads on the app's loop)."""
        since = period_start(self.days, self.today) if self.days else None
        self.figures = await self.engine.metrics(since=since, until=day_end(self.today), include_fixture=self.include_fixture)

    def on_worker_state_changed(self, event: Any) -> None:
        if event.worker.group == "metrics" and event.state.name == "ERROR":
            self.notify(f"Could not compute metrics: {event.worker.error}", severity="error")

    # actions -----------------------------------------------------------------------------

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        key = (event.button.id or "").removeprefix("period-")
        self.days = None if key == "all" else int(key)

    def action_period(self, days: int) -> None:
        self.days = days or None

    def action_toggle_fixture(self) -> None:
        self.include_fixture = not self.include_fixture

    def action_reload(self) -> None:
        self.reload()

    def action_close(self) -> None:
        self.dismiss()

    # drawing -----------------------------------------------------------------------------

    def _show(self, m: Metrics) -> None:
        fixture = self.query_one("#metrics-fixture", Static)
        fixture.set_class(m.fixture_conversations > 0, "-shown")
        fixture.update(Content(f"▲ fixture data included ({m.fixture_conversations})"))
        mean = "—" if m.mean_rating is None else f"{m.mean_rating:.2f}"
        tiles = {
            "conversations": (str(m.conversations), "conversations", f"{m.ended} ended"),
            "resolution": (percent(m.resolution_rate), "resolved", f"{m.reopened} reopened"),
            "fcr": (percent(m.fcr_rate), "first contact", f"{m.first_contact_resolved} convs"),
            "escalation": (percent(m.escalation_rate), "escalated", f"{m.escalated} convs"),
            "first-reply": (duration(m.first_reply.median_s, compact=True), "first reply", f"p95 {duration(m.first_reply.p95_s, compact=True)}"),
            "resolution-time": (duration(m.resolution_time.median_s, compact=True), "to resolve", f"p95 {duration(m.resolution_time.p95_s, compact=True)}"),
            "csat": (percent(m.csat), "CSAT", f"mean {mean} · {m.ratings}"),
            "cost": (f"${m.cost_usd:.2f}", "cost", f"{tokens(m.prompt_tokens + m.completion_tokens)} tokens"),
        }
        for name, (value, caption, detail) in tiles.items():
            self.query_one(f"#tile-{name}", Tile).show(value, caption, detail)
        series = {
            "volume": [float(d.conversations) for d in m.daily],
            "escalations": [float(d.escalations) for d in m.daily],
            "csat": [d.csat * 100 if d.csat is not None else 0.0 for d in m.daily],
        }
        first = m.daily[0].day.isoformat() if m.daily else "—"
        last = m.daily[-1].day.isoformat() if m.daily else "—"
        for key, values in series.items():
            self.query_one(f"#spark-{key}", Sparkline).data = values or [0.0]
        self.query_one("#panel-daily").border_subtitle = f"{first} → {last}"
        self.query_one("#bars-escalations", Static).update(
            bars(list(m.escalation_reasons.items()), width=12, style="$warning")
        )
        self.query_one("#bars-sentiment", Static).update(
            bars([(k.replace("_", " "), n) for k, n in m.sentiment.items()], width=12)
        )
        self.query_one("#bars-outcomes", Static).update(
            bars([*m.outcomes.items(), ("first contact", m.first_contact_resolved)], width=12, style="$primary")
        )
        for table_id, groups in (("#table-specialists", m.by_specialist), ("#table-models", m.by_model)):
            table = self.query_one(table_id, DataTable)
            table.clear()
            for g in groups:
                # The store groups conversations no model answered (a person only, or no turn yet) under "none":
                # read as a model called "none".
                label = Text("no AI reply", style="italic") if table_id == "#table-models" and g.name == "none" else Text(g.name)
                table.add_row(
                    label, *(Text(v, justify="right") for v in (
                        str(g.conversations), str(g.resolved), percent(g.resolution_rate), str(g.escalated),
                        tokens(g.prompt_tokens + g.completion_tokens), f"{g.cost_usd:.3f}",
                    ))
                )
