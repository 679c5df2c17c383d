"""What the side columns' widgets share: a titled, rounded panel, and a row of buttons shown only while a
person can press them."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widget import Widget
from textual.widgets import Button


def set_subtitle(widget: Widget, text: str) -> None:
    """Set a border subtitle only when it changes: Textual repaints the whole widget whenever one is set, and the
    tools panel's was set to the same text at every event of a turn (its column was redrawn in each frame)."""
    if (widget.border_subtitle or "") != text:
        widget.border_subtitle = text


class InsightPanel(VerticalScroll):
    """Routing, Sentiment, Knowledge and Tools: the same frame around each."""

    SCOPED_CSS = False
    DEFAULT_CSS = """
    InsightPanel {
        border: round $primary 50%;
        border-title-color: $text-primary;
        border-title-style: bold;
        padding: 0 1;
        scrollbar-size-vertical: 1;
    }
    """
    """Parsed when the first panel mounts (after the console's first frame), not with app.tcss before it."""


class ButtonRow(Horizontal):
    """A decision's buttons: ``BUTTONS`` as (label, variant, id). Mounted only while the decision is open, so
    the frames of a turn do not lay out rows nobody can press."""

    BUTTONS: ClassVar[tuple[tuple[str, str, str], ...]] = ()
    ROW_CLASS: ClassVar[str] = ""

    def __init__(self) -> None:
        super().__init__(classes=self.ROW_CLASS)

    def compose(self) -> ComposeResult:
        for label, variant, button_id in self.BUTTONS:
            yield Button(label, variant=variant, id=button_id, compact=True)  # type: ignore[arg-type]

    @classmethod
    def show_in(cls, parent: Widget, shown: bool) -> None:
        """Mount one row under ``parent`` while ``shown``, remove it otherwise."""
        rows = parent.query(cls)
        if shown and not rows:
            parent.mount(cls())
        elif not shown:
            rows.remove()
