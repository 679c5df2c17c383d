"""The help screen (F1 or ?): every key of the console, by area, from the bindings themselves."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
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
        return "+".join(p.upper() if len(p) == 1 or p[0] == "f" and p[1:].isdigit() else p.capitalize() for p in k.split("+"))

    return " / ".join(one(k.strip()) for k in key.split(","))


def help_sections() -> list[tuple[str, list[Binding]]]:
    """Every area's bindings, in the order a person meets them."""
    from support_tui.tui.app import APP_BINDINGS
    from support_tui.tui.screens.actions import CONSOLE_BINDINGS
    from support_tui.tui.screens.trace import TraceDialog
    from support_tui.tui.widgets.conversation import ReplyBubble
    from support_tui.tui.widgets.queue import ConversationQueue
    from support_tui.tui.widgets.tools import ToolCallCard

    def shown(bindings: list) -> list[Binding]:
        return [b for b in bindings if isinstance(b, Binding) and b.description]

    return [
        ("Console", shown(CONSOLE_BINDINGS)),
        ("A tool call waiting for approval (Tools panel)", shown(ToolCallCard.BINDINGS)),
        ("A draft reply (supervised mode)", shown(ReplyBubble.BINDINGS)),
        ("Queue", [*shown(ConversationQueue.BINDINGS), Binding("enter", "", "Open the highlighted conversation")]),
        ("Trace (F6)", shown(TraceDialog.BINDINGS)),
        ("Everywhere", shown(APP_BINDINGS)),
    ]


def help_text() -> Content:
    lines: list[Content] = []
    for title, bindings in help_sections():
        lines.append(Content.styled(title, "bold underline $text-primary"))
        for b in bindings:
            lines.append(Content.assemble((f"  {key_label(b.key):<18}", "bold $text-accent"), b.tooltip or b.description))
        lines.append(Content(""))
    return Content("\n").join(lines)


class HelpScreen(Dialog):
    """Every key by area; Esc, F1 or ? closes."""

    BINDINGS = [Binding("f1,question_mark,q", "cancel", "Close", show=False)]

    def __init__(self) -> None:
        super().__init__("Keys")

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box -wide", id="help-box"):
            with VerticalScroll():
                yield Static(help_text(), id="help-text")
            yield Static(Content("↑↓ scroll · Esc closes"), classes="dialog-help")
