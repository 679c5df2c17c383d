"""The help screen (F1): every key of the console, by area, from the bindings themselves."""

from __future__ import annotations

import io
from typing import Sequence

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Static

from support_tui.tui.screens.dialogs import Dialog


def key_label(key: str) -> str:
    """``ctrl+o`` → ``Ctrl+O``, ``f12`` → ``F12``, ``question_mark`` → ``?``; alternatives joined by " / "."""
    names = {"question_mark": "?", "slash": "/", "escape": "Esc", "enter": "Enter", "tab": "Tab"}

    def one(k: str) -> str:
        if k in names:
            return names[k]
        if len(k) == 1:
            return k  # a, e, d: what the person presses
        return "+".join(p.upper() if len(p) == 1 or p[0] == "f" and p[1:].isdigit() else p.capitalize() for p in k.split("+"))

    return " / ".join(one(k.strip()) for k in key.split(","))


def help_sections() -> list[tuple[str, list[Binding]]]:
    """Every area's bindings, in the order a person meets them."""
    from support_tui.tui.keys import APP_BINDINGS, CONSOLE_BINDINGS
    from support_tui.tui.screens.trace import TraceDialog
    from support_tui.tui.widgets.composer import Composer
    from support_tui.tui.widgets.conversation import ReplyBubble
    from support_tui.tui.widgets.queue import ConversationQueue
    from support_tui.tui.widgets.tools import ToolCallCard

    def shown(bindings: Sequence[BindingType]) -> list[Binding]:
        return [b for b in bindings if isinstance(b, Binding) and b.description]

    return [
        ("Console", shown(CONSOLE_BINDINGS)),
        ("Composer", [Binding("enter", "", "Send", tooltip="send what is in the box, once (typing on goes into the next message)"),
                      *shown(Composer.BINDINGS)]),
        ("A tool call waiting for approval (Tools panel)", shown(ToolCallCard.BINDINGS)),
        ("A draft reply (supervised mode)", shown(ReplyBubble.BINDINGS)),
        ("Queue", [*shown(ConversationQueue.BINDINGS), Binding("enter", "", "Open the highlighted conversation")]),
        ("Trace (F6)", shown(TraceDialog.BINDINGS)),
        ("Everywhere", shown(APP_BINDINGS)),
    ]


def help_table() -> Group:
    """Keys and what they do, by area; descriptions wrap under themselves, not under the keys. Our own text only."""
    parts: list[Text | Table] = []
    for title, bindings in help_sections():
        table = Table.grid(padding=(0, 2))
        table.add_column(no_wrap=True, style="bold", width=12)
        table.add_column()
        for b in bindings:
            table.add_row(Text(key_label(b.key)), Text(b.tooltip or b.description))
        parts += [Text(title, style="bold underline"), table, Text("")]
    return Group(*parts)


def help_plain(width: int = 100) -> str:
    """The help as plain text (for tests and ``--help``-like uses)."""
    console = Console(width=width, record=True, file=io.StringIO())
    console.print(help_table())
    return console.export_text()


class HelpScreen(Dialog):
    """Every key by area; Esc, F1, ? or q closes."""

    BINDINGS = [Binding("f1,question_mark,q", "cancel", "Close", show=False)]

    def __init__(self) -> None:
        super().__init__("Keys")

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box -wide", id="help-box"):
            with VerticalScroll():
                yield Static(help_table(), id="help-text")
            yield Static(Content("↑↓ scroll · Esc closes"), classes="dialog-help")
