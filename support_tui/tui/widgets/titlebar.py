"""The console's title line: the mode first, then the model, the customer and the conversation's state.

One line of text in place of Textual's Header (four widgets, a fifth of the first frame's own work by
function calls); the command palette is on Ctrl+P, shown in the footer.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static


class TitleBar(Static):
    """``MODE — model · customer · status``; at 80 columns the right end is cut, never the mode."""

    DEFAULT_CSS = """
    TitleBar { height: 1; width: 1fr; background: $panel; color: $foreground; content-align: center middle; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._shown: tuple[str, str] = ("", "")

    def show(self, title: str, sub_title: str) -> None:
        if (title, sub_title) != self._shown:  # an equal text would still lay the screen out again
            self._shown = (title, sub_title)
            self.update(Content.assemble((title, "bold"), (" — ", "dim"), sub_title) if sub_title else Content(title))
