"""The Routing, Sentiment and Knowledge panels: why this specialist, how the customer feels, what was read."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import Static

from support_tui.tui.text import clip, drawable
from support_tui.tui.widgets.panel import InsightPanel, set_subtitle

if TYPE_CHECKING:
    from support_tui.core.events import HandoffPacket, RouteDecided, SentimentScored, Snippet

BAR_WIDTH = 14
SPARK = "▁▂▃▄▅▆▇█"


def bar(fraction: float, width: int = BAR_WIDTH) -> str:
    """A horizontal bar of ``width`` cells filled to ``fraction`` (eighths for the last cell)."""
    fraction = min(max(fraction, 0.0), 1.0)
    eighths = round(fraction * width * 8)
    full, rest = divmod(eighths, 8)
    partial = " ▏▎▍▌▋▊▉"[rest] if rest else ""
    return ("█" * full + partial).ljust(width, "·")


class RoutingPanel(InsightPanel):
    """Scores of all six specialists, the choice with confidence and margin, the reason and hand-offs."""

    SCOPED_CSS = False
    DEFAULT_CSS = """
    #route-bars, #route-active, #route-reason {
        margin-bottom: 1;
    }
    """
    """Parsed when the first one mounts (after the console's first frame), not with app.tcss before it."""

    def compose(self) -> ComposeResult:
        yield Static(Content("No turn yet."), id="route-active")
        yield Static(id="route-bars")
        yield Static(id="route-reason")
        yield Static(id="route-history")

    def on_mount(self) -> None:
        self.border_title = "Routing"
        self.handoffs: list[HandoffPacket] = []
        # The specialists' names come with the engine's modules: drawn after the first frame.
        self.call_after_refresh(self.show_scores, {}, None)

    def clear(self) -> None:
        self.handoffs = []
        self.query_one("#route-active", Static).update(Content("No turn yet."))
        self.show_scores({}, None)
        self.query_one("#route-reason", Static).update("")
        self.query_one("#route-history", Static).update("")

    def show_scores(self, scores: dict[str, float], active: str | None) -> None:
        from support_tui.core.specialists import ROUTABLE

        lines = []
        for name in ROUTABLE:
            score = scores.get(name, 0.0)
            style = "bold $accent" if name == active else "$text-muted"
            lines.append(Content.assemble((f"{name[:18]:<18} ", style), (bar(score), style), f" {score:.2f}"))
        self.query_one("#route-bars", Static).update(Content("\n").join(lines))

    def show(self, event: RouteDecided) -> None:
        self.query_one("#route-active", Static).update(Content.assemble(
            ("▶ ", "$accent"), (event.agent, "bold"),
            f"  conf {event.confidence:.2f} · margin {event.margin:+.2f}",
            ("  ask to clarify" if event.clarify else "", "$warning"),
        ))
        self.show_scores(event.scores, event.agent)
        lines = [Content.assemble(("why ", "dim"), clip(event.reason, 110), (f"  ({event.method})", "dim"))]
        for ev in event.evidence[:2]:
            lines.append(Content.assemble(("  ≈ ", "dim"), f"{ev.similarity:.2f} ", clip(ev.text, 34)))
        if event.intent is not None and event.intent.top:
            # What the message asks, and which exemplar drove it: the one to add next to when it goes wrong.
            reading = event.intent
            tops = " · ".join(f"{t.intent} {t.score:.2f}" for t in reading.top)
            lines.append(Content.assemble(("intent ", "dim"), (reading.decision, "bold"), f"  {clip(tops, 96)}"))
            lines.append(Content.assemble(("  rule ", "dim"), clip(reading.rule, 100)))
            for ex in reading.evidence[:1]:
                lines.append(Content.assemble(("  ≈ ", "dim"), f"{ex.similarity:.2f} ", clip(ex.text, 60), (f"  ({ex.intent})", "dim")))
        self.query_one("#route-reason", Static).update(Content("\n").join(lines))

    def add_handoff(self, packet: HandoffPacket) -> None:
        self.handoffs.append(packet)
        lines = [Content.styled("Hand-offs", "bold underline")]
        for p in self.handoffs:
            lines.append(Content.assemble(f"{p.from_agent or '—'} → ", (p.to_agent, "bold"), ("  " + p.reason, "dim")))
        self.query_one("#route-history", Static).update(Content("\n").join(lines))


class SentimentPanel(InsightPanel):
    """A gauge of the current compound score with the escalation threshold, and the trend as a sparkline."""

    SCOPED_CSS = False
    DEFAULT_CSS = """
    #sentiment-gauge {
        margin-bottom: 1;
    }
    """

    def __init__(self, threshold: float | None, **kwargs: Any) -> None:
        """``threshold`` None: the console has no settings yet (the store opens after the first frame)."""
        super().__init__(**kwargs)
        self.threshold = threshold

    def compose(self) -> ComposeResult:
        yield Static(id="sentiment-label")
        yield Static(id="sentiment-gauge")
        yield Static(id="sentiment-trend")

    def on_mount(self) -> None:
        self.border_title = "Sentiment"
        self.clear()

    def clear(self) -> None:
        self.query_one("#sentiment-label", Static).update(Content("No messages scored yet."))
        self.query_one("#sentiment-gauge", Static).update(self.gauge(None))
        self.query_one("#sentiment-trend", Static).update("")

    def gauge(self, compound: float | None, width: int = 31) -> Content:
        """-1 .. 1 left to right; ● is the score, ┃ the escalation threshold."""
        def cell(value: float) -> int:
            return round((min(max(value, -1.0), 1.0) + 1) / 2 * (width - 1))

        threshold = -2.0 if self.threshold is None else self.threshold
        mark = cell(threshold) if self.threshold is not None else -1
        parts: list[tuple[str, str]] = []
        for i in range(width):
            value = -1 + 2 * i / (width - 1)
            style = "$error" if value <= threshold else ("$success" if value > 0.05 else "$text-muted")
            char = "┃" if i == mark else "─"
            if compound is not None and i == cell(compound):
                char, style = "●", f"bold {style}"
            parts.append((char, style))
        return Content.assemble("-1 ", *parts, " +1")

    def show(self, event: SentimentScored) -> None:
        threshold = -2.0 if self.threshold is None else self.threshold  # no settings yet: nothing is below it
        style = "$error" if event.compound <= threshold else ("$success" if event.compound > 0.05 else "")
        self.query_one("#sentiment-label", Static).update(Content.assemble(
            (f"{event.compound:+.2f} ", f"bold {style}".strip()), (event.label.replace("_", " "), style),
            ("  " + ", ".join(event.signals) if event.signals else "", "$warning"),
        ))
        self.query_one("#sentiment-gauge", Static).update(self.gauge(event.compound))
        spark = [
            (SPARK[min(7, int((v + 1) / 2 * 8))], "$error" if v <= threshold else "$accent")
            for v in event.history[-30:]
        ]
        self.query_one("#sentiment-trend", Static).update(Content.assemble(
            ("trend ", "dim"), *spark, f"  {event.trend} ({event.trend_compound:+.2f})",
            ("\nescalates at ≤ ", "dim"), (f"{self.threshold:+.2f}", "$error"),
        ))


class SnippetCard(Static):
    """One retrieved snippet: title, score, excerpt; marked when the reply used it."""

    def __init__(self, snippet: Snippet) -> None:
        self.snippet = snippet
        super().__init__(self.describe(False), classes="snippet")

    def describe(self, used: bool) -> Content:
        excerpt = " ".join(drawable(self.snippet.text).split())
        if len(excerpt) > 180:
            excerpt = excerpt[:179] + "…"
        return Content.assemble(
            ("✓ used  " if used else "", "bold $success"), (drawable(self.snippet.title), "bold"),
            (f"  {self.snippet.score:.2f}", "$accent"), ("  " + self.snippet.chunk_id, "dim"), "\n", excerpt,
        )

    @property
    def used(self) -> bool:
        return self.has_class("-used")

    def show(self, snippet: Snippet, used: bool = False) -> None:
        """Show another snippet in this card (the panel reuses its cards from turn to turn)."""
        self.snippet = snippet
        self.set_class(used, "-used")
        self.update(self.describe(used))

    def mark_used(self, used: bool) -> None:
        if used != self.used:  # an unchanged card is not laid out and drawn again
            self.show(self.snippet, used)


class KnowledgePanel(InsightPanel):
    """Snippets retrieved for the latest turn."""

    SCOPED_CSS = False
    DEFAULT_CSS = """
    .snippet {
        margin-bottom: 1;
        color: $text-muted;
    }

    .snippet.-used {
        color: $foreground;
        border-left: outer $success;
        padding-left: 1;
    }
    """
    """Parsed when the first one mounts (after the console's first frame), not with app.tcss before it."""

    def on_mount(self) -> None:
        self.border_title = "Knowledge"

    async def show(self, query: str, snippets: list[Snippet]) -> None:
        # The cards already there show the new snippets: removing and mounting six cards each turn styled,
        # laid out and drew the whole column anew inside the turn's frames (console benchmark).
        cards = list(self.query_children(SnippetCard))
        if not snippets or len(cards) != len(self.children):  # a placeholder goes, or comes
            await self.remove_children()
            cards = []
        if not snippets:
            await self.mount(Static(Content("Nothing retrieved."), classes="placeholder"))
        for card, snippet in zip(cards, snippets):
            card.show(snippet)
        if len(cards) > len(snippets):
            await self.remove_children(cards[len(snippets):])
        await self.mount_all([SnippetCard(s) for s in snippets[len(cards):]])
        if cards:
            self.scroll_home(animate=False)  # a new turn's snippets read from the first, as fresh cards did
        set_subtitle(self, f"{len(snippets)} snippets")

    def mark_used(self, chunk_ids: list[str]) -> None:
        for card in self.query(SnippetCard):
            card.mark_used(card.snippet.chunk_id in chunk_ids)

    async def clear(self) -> None:
        await self.remove_children()
        self.border_subtitle = ""
