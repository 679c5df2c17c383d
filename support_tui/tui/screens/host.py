"""What the console screen's parts see of it: the one typed surface its controllers talk to.

The controllers (actions.py, decisions.py, debugging.py, opening.py) import this Protocol, never the screen, so
the screen's files form no import circle; the screen (console.py) owns them and satisfies it (mypy checks that
where it hands itself over).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable, Protocol

if TYPE_CHECKING:
    from textual.app import App
    from textual.notifications import SeverityLevel

    from support_tui.core.engine import SupportEngine
    from support_tui.core.events import Event
    from support_tui.core.settings import Settings
    from support_tui.core.store.records.values import ConversationInfo
    from support_tui.tui.widgets.composer import Composer
    from support_tui.tui.widgets.conversation import ConversationView
    from support_tui.tui.widgets.insight import KnowledgePanel, RoutingPanel, SentimentPanel
    from support_tui.tui.widgets.queue import ConversationQueue
    from support_tui.tui.widgets.sidebar import CustomerCard, StatusLine
    from support_tui.tui.widgets.tools import ToolsPanel


class ConsoleHost(Protocol):
    """The console screen as its controllers use it: state to read and set, parts to draw on, a few verbs."""

    # state -------------------------------------------------------------------------------------------
    conversation: ConversationInfo | None
    busy: bool
    speaker: str
    model_in_use: str | None
    turn_text: str | None
    """The customer message the running turn answers (given back to the composer if the turn fails)."""
    names: dict[str, str]
    """Customer names by id (the queue, the header)."""
    demo: bool
    export_dir: Path

    @property
    def engine(self) -> SupportEngine: ...
    @property
    def settings(self) -> Settings | None: ...
    @property
    def person(self) -> str: ...
    @property
    def app(self) -> App[object]: ...

    # parts -------------------------------------------------------------------------------------------
    @property
    def chat(self) -> ConversationView: ...
    @property
    def tools(self) -> ToolsPanel: ...
    @property
    def composer(self) -> Composer: ...
    @property
    def status(self) -> StatusLine: ...
    @property
    def routing(self) -> RoutingPanel: ...
    @property
    def sentiment(self) -> SentimentPanel: ...
    @property
    def knowledge(self) -> KnowledgePanel: ...
    @property
    def card(self) -> CustomerCard | None:
        """None until the left column has mounted (from the command line, just after the first frame)."""
    @property
    def queue(self) -> ConversationQueue | None:
        """None until the left column has mounted."""

    # verbs -------------------------------------------------------------------------------------------
    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = True) -> None: ...
    def call_after_refresh(self, callback: Callable[..., Any], *args: Any, **kwargs: Any) -> bool: ...
    def update_header(self) -> None: ...
    def update_badges(self) -> None: ...
    def show_tab(self, tab: str) -> None: ...
    def active_tab(self) -> str: ...
    def cancel_turn(self) -> None: ...
    def run_events(self, events: AsyncIterator[Event], *, text: str | None = None) -> None:
        """Run a turn (or a decision's resumption) on the screen: busy until its last event."""
    async def start_turn(self, text: str) -> None: ...
    async def apply_event(self, event: Event, *, replayed: bool = False) -> None: ...
    def refresh_state(self) -> object: ...
    def open_customer(self, customer_id: str, new: bool = False) -> object: ...
    # (these three run as workers on the screen: what they return is the worker, not needed here)
    def open_conversation(self, conversation_id: str, *, then_land: bool = False) -> object: ...
    async def show_conversation(self, conv: ConversationInfo) -> None: ...


def conversation_or_warn(host: ConsoleHost) -> str | None:
    """The open conversation's id, or a warning that none is open."""
    if host.conversation is None:
        host.notify("No conversation open: Ctrl+O picks a customer.", severity="warning")
        return None
    return host.conversation.id


def idle_or_warn(host: ConsoleHost) -> bool:
    """No turn runs now, or a warning that one does."""
    if host.busy:
        host.notify("A turn is running; Esc cancels it.", severity="warning")
    return not host.busy
