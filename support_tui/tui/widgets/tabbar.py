"""The narrow layout's tab bar: Conversation, Customer & queue, Insight, with a badge when a decision waits.

One line of text, not Textual's Tabs: that widget (a tab widget per label, an animated underline and a
scrolling container) was a fifth of the work before the console's first frame (measured by function calls:
about 130,000 of 720,000), for a bar that only the narrow layout shows.
"""

from __future__ import annotations

from textual.content import Content
from textual.events import Click
from textual.message import Message
from textual.reactive import var
from textual.widget import Widget

SEPARATOR = " │ "


class TabBar(Widget):
    """Tabs by id, one active; a click or ``active = id`` activates one (and posts ``Activated``)."""

    DEFAULT_CSS = """
    TabBar { height: 1; width: 1fr; padding: 0 1; background: $panel; }
    """

    active: var[str] = var("")

    class Activated(Message):
        """A tab became the active one."""

        def __init__(self, tab_id: str) -> None:
            self.tab_id = tab_id
            super().__init__()

    def __init__(self, tabs: dict[str, str], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._labels = dict(tabs)
        self.set_reactive(TabBar.active, next(iter(self._labels)))

    def label(self, tab_id: str) -> str:
        return self._labels[tab_id]

    def set_label(self, tab_id: str, text: str) -> None:
        if self._labels[tab_id] != text:
            self._labels[tab_id] = text
            self.refresh()

    def watch_active(self, active: str) -> None:
        # A ``var`` does not repaint: F10 changed the content while the highlight stayed on the first tab.
        self.refresh()
        self.post_message(self.Activated(active))

    def _spans(self) -> list[tuple[str, str, int, int]]:
        """Each tab as (id, label, first column, column after it), in order, separators between."""
        spans, start = [], 0
        for tab_id, text in self._labels.items():
            end = start + Content(text).cell_length
            spans.append((tab_id, text, start, end))
            start = end + len(SEPARATOR)
        return spans

    def render(self) -> Content:
        parts: list[str | tuple[str, str]] = []
        for tab_id, text, _, _ in self._spans():
            if parts:
                parts.append((SEPARATOR, "dim"))
            parts.append((text, "bold reverse $accent" if tab_id == self.active else "$text-muted"))
        return Content.assemble(*parts)

    def tab_at(self, x: int) -> str | None:
        """The tab whose label is drawn at column ``x`` of the content."""
        return next((tab_id for tab_id, _, start, end in self._spans() if start <= x < end), None)

    def on_click(self, event: Click) -> None:
        tab_id = self.tab_at(event.x - self.styles.padding.left)
        if tab_id is not None:
            self.active = tab_id
