"""The main console screen: owns the conversation state and turns engine events into it (one match)."""

from __future__ import annotations

from typing import Any, AsyncIterator

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.reactive import reactive, var
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Tab, Tabs
from textual.worker import Worker, WorkerState

from support_tui.core.events import (
    EscalationRaised, Event, HandoffMade, KnowledgeRetrieved, ModelCalled, ModelFailed, Notice, ReplyCompleted,
    ReplyDelta, ReplyReset, RouteDecided, SentimentScored, ToolCallFinished, ToolCallRequested, TurnCompleted,
    TurnStarted,
)
from support_tui.core.store.support import ConversationInfo
from support_tui.tui.messages import EngineEvent
from support_tui.tui.screens.actions import CONSOLE_BINDINGS, ConsoleActions
from support_tui.tui.screens.dialogs import settle_cursor
from support_tui.tui.screens.opening import ConversationLoader
from support_tui.tui.widgets.conversation import ConversationView, MessageBubble, ReplyBubble
from support_tui.tui.widgets.insight import KnowledgePanel, RoutingPanel, SentimentPanel
from support_tui.tui.widgets.sidebar import ConversationQueue, CustomerCard, StatusLine
from support_tui.tui.widgets.tools import ToolsPanel


class ConsoleScreen(ConsoleActions, ConversationLoader, Screen):
    """Customer and queue on the left, the conversation in the centre, the four insight panels on the right."""

    BINDINGS = CONSOLE_BINDINGS
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]

    ready: reactive[bool] = reactive(False)
    """The engine's knowledge base and embedding model are loaded."""
    busy: reactive[bool] = reactive(False)
    """A turn (or a tool-call resolution) is running."""
    speaker: reactive[str] = reactive("customer")
    """Who the composer speaks as: ``customer`` (demo) or ``agent`` (a human agent)."""
    conversation: var[ConversationInfo | None] = var(None)
    model_in_use: var[str | None] = var(None)
    """The model of the latest call or reply (which model answered)."""

    def __init__(self, engine: Any, settings: Any, *, customer_id: str | None = None, demo: bool = False) -> None:
        super().__init__()
        self.engine = engine
        self.settings = settings
        self.start_customer = customer_id
        self.demo = demo
        self.names: dict[str, str] = {}
        self.active_agent: str | None = None
        self.reply: ReplyBubble | None = None
        self.turn_bubble: MessageBubble | None = None
        self.turn_text: str | None = None
        self.queued_text: str | None = None
        self.scenario: dict | None = None
        self.scenario_step = 0
        self.set_reactive(ConsoleScreen.speaker, "customer" if demo else "agent")

    def compose(self) -> ComposeResult:
        yield Header()
        yield Tabs(Tab("Conversation", id="tab-chat"), Tab("Customer & queue", id="tab-customer"),
                   Tab("Insight", id="tab-insight"), id="narrow-tabs")
        with Horizontal(id="main"):
            with Vertical(id="left-column"):
                yield CustomerCard(id="customer-card")
                yield ConversationQueue(id="queue")
            with Vertical(id="center-column"):
                yield ConversationView(id="conversation")
                yield StatusLine(id="status-line").data_bind(ConsoleScreen.ready, ConsoleScreen.busy, ConsoleScreen.speaker)
                yield Input(placeholder="Type a message and press Enter", id="composer")
            with VerticalScroll(id="right-column"):
                yield RoutingPanel(id="routing")
                yield SentimentPanel(self.settings.escalation_sentiment, id="sentiment")
                yield KnowledgePanel(id="knowledge")
                yield ToolsPanel(id="tools")
        yield Footer(compact=True)

    # shortcuts to the parts ----------------------------------------------------------------------

    @property
    def chat(self) -> ConversationView:
        return self.query_one(ConversationView)

    @property
    def tools(self) -> ToolsPanel:
        return self.query_one(ToolsPanel)

    @property
    def composer(self) -> Input:
        return self.query_one("#composer", Input)

    @property
    def status(self) -> StatusLine:
        return self.query_one(StatusLine)

    async def on_mount(self) -> None:
        settle_cursor(self)
        self.add_class("-show-chat")
        self.watch_speaker(self.speaker)
        self.update_header()
        self.composer.focus()
        self.ready = bool(getattr(self.engine, "ready", False))
        if not self.ready:
            self.await_ready()
        self.names = {c["id"]: str(c.get("name", c["id"])) for c in await self.engine.customers()}
        await self.refresh_queue()
        if self.start_customer:
            self.open_customer(self.start_customer)
        elif self.demo:
            self.action_pick_customer()

    # state -> view -------------------------------------------------------------------------------

    def watch_speaker(self, speaker: str) -> None:
        self.composer.border_title = "as customer (Ctrl+T: agent)" if speaker == "customer" else "as human agent (Ctrl+T: customer)"
        self.composer.set_class(speaker == "agent", "-agent")

    def watch_busy(self, busy: bool) -> None:
        # On the status line, not the screen: a class on the screen restyles every widget
        # below it (measured: 0.25 s of blocked event loop per toggle mid-conversation).
        self.status.set_class(busy, "-busy")

    def watch_conversation(self, conversation: ConversationInfo | None) -> None:
        # On the widgets that show them, not the screen: a class on the screen restyles every
        # widget below it (measured: a 0.5 s re-layout when a conversation became escalated).
        card = self.query_one(CustomerCard)
        card.set_class(conversation is not None and conversation.status == "escalated", "-escalated")
        self.composer.set_class(conversation is not None and conversation.handled_by == "human", "-human-active")
        self.update_header()

    def watch_model_in_use(self) -> None:
        self.update_header()

    def update_header(self) -> None:
        conv = self.conversation
        model = self.model_in_use or (conv.model if conv else None) or "specialist default"
        mode = conv.mode if conv else self.settings.mode
        who = self.names.get(conv.customer_id, conv.customer_id) if conv else "no conversation"
        self.title = "Support console"
        step = ""
        if self.scenario is not None:
            step = f" · {self.scenario['id']} step {self.scenario_step}/{len(self.scenario['customer_texts'])}"
        self.sub_title = f"{who} · model {model} · mode {mode}{step}"

    def on_tabs_tab_activated(self, event: Tabs.TabActivated) -> None:
        for name in ("chat", "customer", "insight"):
            self.set_class(event.tab.id == f"tab-{name}", f"-show-{name}")

    async def refresh_queue(self) -> None:
        conversations = await self.engine.conversations(["open", "escalated"])
        current = self.conversation.id if self.conversation else None
        self.query_one(ConversationQueue).show(conversations, self.names, current)

    async def reload_conversation(self) -> None:
        if self.conversation is not None:
            self.conversation = await self.engine.get_conversation(self.conversation.id)
            await self.refresh_queue()

    # turns ------------------------------------------------------------------------------------------

    @on(Input.Submitted, "#composer")
    async def submit(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            return
        if self.conversation is None:
            self.notify("Pick a customer first (Ctrl+O).", severity="warning")
            return
        event.input.clear()
        if self.speaker == "agent":
            message_id = await self.engine.send_human_message(self.conversation.id, text)
            await self.chat.add_message("human", text, message_id=message_id)
            return
        if self.busy:
            event.input.value = text
            self.notify("A turn is running; Esc cancels it.", severity="warning")
            return
        await self.start_turn(text)

    async def start_turn(self, text: str) -> None:
        assert self.conversation is not None
        if not self.ready:
            self.queued_text = text
            self.turn_bubble = await self.chat.add_message("customer", text, status="queued")
            self.notify("Queued: it is sent when the knowledge base is loaded.")
            return
        self.turn_bubble = self.turn_bubble if self.queued_text else await self.chat.add_message("customer", text)
        self.queued_text, self.turn_text = None, text
        self.busy = True
        self.consume(self.engine.run_turn(self.conversation.id, text, actor="customer"))

    @work(exclusive=True, group="turn", exit_on_error=False)
    async def consume(self, events: AsyncIterator[Event]) -> None:
        """Relay a turn's events to the screen, one message each, in order."""
        async for event in events:
            self.post_message(EngineEvent(event))

    @work(group="ready", exit_on_error=False)
    async def await_ready(self) -> None:
        await self.engine.wait_ready()
        self.ready = True
        if self.queued_text and self.conversation is not None:
            if self.turn_bubble is not None:
                self.turn_bubble.remove_class("-queued")
                self.turn_bubble.set_status("sent")
            await self.start_turn(self.queued_text)

    async def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place where a worker's end is handled: clear busy, report failures, keep the text."""
        worker = event.worker
        if event.state not in (WorkerState.ERROR, WorkerState.CANCELLED) and not (
            worker.group == "turn" and event.state == WorkerState.SUCCESS
        ):
            return
        if worker.group == "turn":
            self.busy = False
        if event.state == WorkerState.CANCELLED and worker.group == "turn":
            await self.interrupt_turn("cancelled", "Turn cancelled. The customer's message is kept.")
        elif event.state == WorkerState.ERROR:
            self.notify(f"{worker.group} failed: {worker.error}", title="Engine error", severity="error")
            if worker.group == "turn":
                await self.interrupt_turn("failed", f"Turn failed: {worker.error}")
                if self.turn_text and not self.composer.value:
                    self.composer.value = self.turn_text

    async def interrupt_turn(self, status: str, line: str) -> None:
        if self.reply is not None:
            await self.reply.interrupt(status)
            self.reply = None
        if self.turn_bubble is not None:
            self.turn_bubble.add_class(f"-{status}")
        await self.chat.add_system(line, "warning" if status == "cancelled" else "error")

    async def on_engine_event(self, message: EngineEvent) -> None:
        await self.apply_event(message.event)

    async def apply_event(self, event: Event, *, replayed: bool = False) -> None:
        """Turn one engine event into state. Replayed (stored) events update the panels only."""
        if self.conversation is None or event.conversation_id != self.conversation.id:
            return
        live = not replayed
        match event:
            case TurnStarted():
                if live and self.turn_bubble is not None and event.text != self.turn_bubble.text:
                    self.turn_bubble.set_text(event.text)
            case SentimentScored():
                self.query_one(SentimentPanel).show(event)
            case RouteDecided():
                self.active_agent = event.agent
                self.query_one(RoutingPanel).show(event)
            case HandoffMade(packet=packet):
                self.query_one(RoutingPanel).add_handoff(packet)
                if live:
                    await self.chat.add_system(f"Handed off {packet.from_agent or '—'} → {packet.to_agent}: {packet.reason}", "handoff")
            case EscalationRaised(packet=packet):
                self.query_one(RoutingPanel).add_handoff(packet)
                if live:
                    await self.chat.add_system(f"Escalated to a person ({event.priority}, rule {event.rule}): {event.reason}", "error")
                    await self.reload_conversation()
            case KnowledgeRetrieved():
                await self.query_one(KnowledgePanel).show(event.query, event.snippets)
            case ModelCalled():
                self.model_in_use = event.model
            case ModelFailed() if live:
                await self.chat.add_system(f"{event.model} failed ({event.error}); trying {event.next_model or 'nothing else'}", "warning")
            case ToolCallRequested():
                await self.tools.requested(event)
            case ToolCallFinished():
                await self.tools.finished(event)
                if live and event.status == "pending_approval":
                    await self.chat.add_system(f"{event.name} waits for approval (rule {event.rule}). Ctrl+G to decide.", "warning")
            case ReplyDelta() if live:
                if self.reply is None:
                    self.reply = await self.chat.start_reply(self.active_agent, event.model)
                at_end = self.chat.is_vertical_scroll_end
                await self.reply.append(event.text)
                self.chat.follow(at_end)
            case ReplyReset() if live and self.reply is not None:
                await self.reply.reset()
            case ReplyCompleted():
                self.model_in_use = event.model
                self.query_one(KnowledgePanel).mark_used(event.used_snippets)
                if live:
                    reply = self.reply or await self.chat.start_reply(event.agent, event.model)
                    await reply.complete(event.text, message_id=event.message_id, agent=event.agent, model=event.model, draft=event.draft)
                    self.reply = None
            case Notice() if live:
                await self.chat.add_system(event.message, event.level)
            case TurnCompleted():
                self.status.usage = self.status.usage + event.usage
                self.status.latency_ms = event.timings_ms.get("total", 0.0)
                self.status.turns += 1
                if live:
                    self.busy = False
                    if event.status in ("cancelled", "failed"):
                        await self.interrupt_turn(event.status, f"Turn {event.status}{': ' + event.error if event.error else ''}")
                    self.turn_bubble = None
                    await self.reload_conversation()
