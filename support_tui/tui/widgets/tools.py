"""The Tools panel: each tool call with its arguments, status, duration and result; approvals stand out."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.events import Click
from textual.widgets import Button, Static

from support_tui.tui.messages import ToolDecision
from support_tui.tui.text import literal
from support_tui.tui.widgets.panel import ButtonRow, InsightPanel, set_subtitle

if TYPE_CHECKING:
    from support_tui.core.events import ToolCallFinished, ToolCallRequested

STATUS_STYLE = {"ok": "$success", "error": "$error", "blocked": "$error", "pending_approval": "bold $warning", "running": "$accent",
                "cancelled": "$text-muted"}


def pretty(value: Any) -> Content:
    """Pretty JSON for a tool's arguments or result (repr for what JSON cannot hold), shown literally."""
    try:
        return literal(json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str))
    except (TypeError, ValueError):
        return literal(repr(value))


class ApprovalActions(ButtonRow):
    """Approve, Edit arguments, Deny: mounted while the call waits for a person, removed once decided."""

    BUTTONS = (("Approve (a)", "success", "tool-approve"), ("Edit (e)", "primary", "tool-edit"),
               ("Deny (d)", "error", "tool-deny"))
    ROW_CLASS = "approval-actions"


class ToolCallCard(Vertical):
    """One call, one Tab stop (Enter or a click on the title opens or folds it). Pending approval: Approve (a),
    Edit arguments (e), Deny (d).

    Two lines of text and, only while the call waits, three buttons: a conversation's calls pile up in the
    panel, and every widget in it is laid out and drawn again on each frame a turn paints (a folding widget
    and hidden buttons per card made a card eight widgets; the frames of a long turn grew with them).
    """

    can_focus = True
    BINDINGS = [
        Binding("a", "decide('approve')", "Approve"),
        Binding("e", "decide('edit')", "Edit args"),
        Binding("d", "decide('deny')", "Deny"),
        Binding("enter", "open_or_fold", "Open/fold", show=False),
    ]

    def __init__(self, call_id: str, name: str, arguments: dict[str, Any], turn_id: str = "") -> None:
        super().__init__(classes="tool-call -running")
        self.call_id = call_id
        self.tool_name = name
        self.arguments = arguments
        self.turn_id = turn_id
        self.status = "running"
        self.duration_ms = 0.0
        self.waiting_since = 0.0
        """When the call began waiting for a person (event time, ms): Ctrl+G goes to the oldest first."""
        self.detail: Content = Content.assemble(("arguments ", "dim"), pretty(arguments))
        self.is_open = False
        """The arguments and result are shown (folded, only the title line is)."""

    def title(self) -> Content:
        status = self.status.replace("_", " ")
        duration = f"  {self.duration_ms:.0f} ms" if self.duration_ms else ""
        return Content.assemble(("▼ " if self.is_open else "▶ ", "dim"), (self.tool_name, "bold"), "  ",
                                (status, STATUS_STYLE.get(self.status, "")), (duration, "dim"))

    def compose(self) -> ComposeResult:
        yield Static(self.title(), classes="tool-title")
        yield Static(self.detail, classes="tool-detail")

    def set_open(self, is_open: bool) -> None:
        self.is_open = is_open
        self.set_class(is_open, "-open")
        self._refresh_title()

    def action_open_or_fold(self) -> None:
        self.set_open(not self.is_open)

    def on_click(self, event: Click) -> None:
        if isinstance(event.widget, Static) and event.widget.has_class("tool-title"):
            self.action_open_or_fold()

    def _refresh_title(self) -> None:
        self.query_one(".tool-title", Static).update(self.title())

    def finish(self, event: ToolCallFinished) -> None:
        self.remove_class(f"-{self.status.replace('_', '-')}")
        self.status = event.status
        self.arguments = event.arguments
        self.duration_ms = event.duration_ms
        self.add_class(f"-{event.status.replace('_', '-')}")
        self.waiting_since = event.at if event.status == "pending_approval" else 0.0
        parts: list[str | Content | tuple[str, str]] = [("arguments ", "dim"), pretty(event.arguments)]
        if event.rule:
            parts += ["\n", ("rule ", "dim"), (event.rule, "bold $warning")]
        if event.error:
            parts += ["\n", ("why ", "dim"), literal(event.error)]
        if event.result is not None:
            parts += ["\n", ("result ", "dim"), pretty(event.result)]
        self.detail = Content.assemble(*parts)
        self.query_one(".tool-detail", Static).update(self.detail)
        ApprovalActions.show_in(self, event.status == "pending_approval")
        self.refresh_bindings()
        self.set_open(self.is_open or event.status in ("pending_approval", "blocked", "error"))

    def resolved(self) -> None:
        """A person decided; the engine's next events carry the outcome."""
        self.set_running("running")

    def set_running(self, status: str) -> None:
        """Show the card as ``running`` (decided, outcome to come) or ``cancelled`` (its turn ended first)."""
        self.remove_class("-pending-approval", "-running", "-cancelled")
        self.status = status
        self.add_class(f"-{status}")
        ApprovalActions.show_in(self, False)
        self.refresh_bindings()
        self._refresh_title()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Approve/Edit/Deny exist only while the call waits: a finished card offered them in the footer."""
        if action == "decide":
            return self.status == "pending_approval"
        return True

    def action_decide(self, action: str) -> None:
        if self.status == "pending_approval":
            self.post_message(ToolDecision(self.call_id, action))  # type: ignore[arg-type]

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_decide((event.button.id or "").removeprefix("tool-"))


class TurnSeparator(Static):
    """A rule between the calls of one turn and the next."""

    def __init__(self, turn_id: str, label: str) -> None:
        super().__init__(Content.assemble(("── ", "dim"), (label, "dim italic"), (" ──", "dim")), classes="turn-separator")
        self.turn_id = turn_id


class ToolsPanel(InsightPanel):
    """Every tool call of the conversation, newest last, one separator per turn."""

    SCOPED_CSS = False
    DEFAULT_CSS = """
    ToolsPanel.-pending-approval {
        border: heavy $warning;
        border-subtitle-color: $text-warning;
    }

    .tool-call {
        height: auto;
        margin-bottom: 1;
    }

    .tool-call .tool-detail {
        display: none;
        padding: 0 0 0 2;
    }

    .tool-call.-open .tool-detail {
        display: block;
    }

    .tool-call.-pending-approval {
        border: tall $warning;
        background: $warning 10%;
    }

    .tool-call.-blocked, .tool-call.-error {
        border-left: outer $error;
    }

    .tool-call:focus {
        background: $boost;
    }

    .approval-actions {
        height: auto;
    }

    .approval-actions Button {
        min-width: 0;
        width: auto;
    }

    .turn-separator {
        color: $text-muted;
        margin-bottom: 1;
    }

    .tool-call.-cancelled {
        opacity: 70%;
    }

    .approval-actions Button {
        margin-right: 1;
    }
    """
    """Parsed when the first one mounts (after the console's first frame), not with app.tcss before it."""

    def on_mount(self) -> None:
        self.border_title = "Tools"
        self.turns = 0

    async def _mount_card(self, event: ToolCallRequested | ToolCallFinished) -> ToolCallCard:
        cards = list(self.query(ToolCallCard))
        if not cards or cards[-1].turn_id != event.turn_id:
            self.turns += 1
            await self.mount(TurnSeparator(event.turn_id, f"turn {self.turns}"))
        card = ToolCallCard(event.call_id, event.name, event.arguments, event.turn_id)
        await self.mount(card)
        return card

    def cancel_running(self) -> None:
        """The turn ended (cancelled or failed) before these calls reported back."""
        for card in self.query(ToolCallCard):
            if card.status == "running":
                card.set_running("cancelled")

    def card(self, call_id: str) -> ToolCallCard | None:
        for card in self.query(ToolCallCard):
            if card.call_id == call_id:
                return card
        return None

    async def requested(self, event: ToolCallRequested) -> None:
        if self.card(event.call_id) is None:
            card = await self._mount_card(event)
            self.call_after_refresh(card.scroll_visible, animate=False)

    async def finished(self, event: ToolCallFinished) -> None:
        card = self.card(event.call_id)
        if card is None:
            card = await self._mount_card(event)
        card.finish(event)
        self.update_subtitle()

    def pending(self) -> list[ToolCallCard]:
        return [c for c in self.query(ToolCallCard) if c.status == "pending_approval"]

    def update_subtitle(self) -> None:
        waiting = len(self.pending())
        set_subtitle(self, f"{waiting} awaiting approval" if waiting else "")
        self.set_class(bool(waiting), "-pending-approval")

    async def clear(self) -> None:
        await self.remove_children()
        self.turns = 0
        self.update_subtitle()
