"""The main console screen: owns the conversation state and turns engine events into it (one match)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable, ClassVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.reactive import Reactive, var
from textual.screen import Screen
from textual.widget import Widget
from textual.worker import Worker, WorkerState

from support_tui.tui.heap import QuietCollector
from support_tui.tui.messages import EngineEvent, StoreChanged
from support_tui.tui.heap import collect_from_now
from support_tui.tui.keys import CONSOLE_BINDINGS
from support_tui.tui.messages import ConversationPicked, DraftDecision, ToolDecision
from support_tui.tui.screens.actions import ConsoleActions
from support_tui.tui.screens.debugging import ForkCompare
from support_tui.tui.screens.decisions import Decisions
from support_tui.tui.screens.dialogs import settle_cursor
from support_tui.tui.screens.opening import ConversationLoader
from support_tui.tui.screens.startup import EngineHolder, EngineOpener, MountLater, StartupProblem
from support_tui.tui.text import drawable
from support_tui.tui.widgets.composer import Composer
from support_tui.tui.widgets.conversation import ConversationView, MessageBubble, NewMessagesMark, ReplyBubble
from support_tui.tui.widgets.insight import KnowledgePanel, RoutingPanel, SentimentPanel
from support_tui.tui.widgets.keyfooter import KeyFooter
from support_tui.tui.widgets.queue import ConversationQueue
from support_tui.tui.widgets.sidebar import CustomerCard, StatusLine
from support_tui.tui.widgets.tabbar import TabBar
from support_tui.tui.widgets.titlebar import TitleBar
from support_tui.tui.widgets.tools import ToolsPanel

if TYPE_CHECKING:  # the console draws its first frame before the engine's modules load
    from support_tui.core.engine import SupportEngine
    from support_tui.core.events import ConversationChanged, Event
    from support_tui.core.settings import Settings
    from support_tui.core.store.records.values import ConversationInfo

REFRESHING = {"conversation_changed", "escalation_raised", "turn_started", "reply_completed", "turn_completed"}
"""Events after which the store holds something the card, the title or the queue show."""

CHANGE_LINES = {
    "reopened": ("Reopened: the customer wrote again.", "warning"),
    "closed": ("Closed ({detail}) by {by}.", "info"),
    "taken_over": ("{by} took over; the AI stays quiet until handed back (F5).", "handoff"),
    "handed_back": ("{by} handed the conversation back to the AI team.", "handoff"),
    "call_approved": ("{by} approved {detail}.", "handoff"),
    "call_denied": ("{by} denied {detail} (the reason goes to the agent and the trace only).", "handoff"),
    "draft_edited": ("{by} edited the draft, then sent it.", "handoff"),
    "draft_rejected": ("{by} rejected the draft.", "handoff"),
    "case_updated": ("The case was updated: {detail}", "info"),
}
"""What a ConversationChanged says in the conversation (the rest only change state)."""

QUIET_AFTER_TURN_S = 1.0
"""A full garbage collection runs this long after a turn ends, if no other turn has started."""
QUIET_COLLECT_S = 60.0
"""And at this interval when no turn runs; after three intervals of turns back to back it runs regardless."""


class ConsoleScreen(Screen[None]):
    """Customer and queue on the left, the conversation in the centre, the four insight panels on the right.

    The screen owns the state and the widgets; its parts are small objects it owns and calls: ``startup``
    (the engine, or opening it after the first frame), ``loader`` (drawing a conversation, following the
    store), ``actions`` (the keys' pickers and toggles, the scenario played), ``decisions`` (tool calls,
    drafts, escalation, closing) and ``debugging`` (fork and compare). They see the screen as ``ConsoleHost``
    (host.py) and import none of its files."""

    BINDINGS: ClassVar[list[BindingType]] = [*CONSOLE_BINDINGS]
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]

    title: Reactive[str | None] = Reactive(None, compute=False, repaint=False)
    """The mode, shown by the title bar (Screen's own title repainted the whole screen on a change)."""
    sub_title: Reactive[str | None] = Reactive(None, compute=False, repaint=False)
    """Model, customer, status and scenario step, shown by the title bar (a new model each turn was a full frame)."""
    # ``var``, not ``reactive``: the status line and the composer show these, so a change repaints them; a
    # reactive of the screen repainted the whole screen as well (a full frame, 40-70 ms at 160x48, each turn).
    ready: var[bool] = var(False)
    """The engine's knowledge base and embedding model are loaded."""
    busy: var[bool] = var(False)
    """A turn (or a tool-call resolution) is running."""
    speaker: var[str] = var("customer")
    """Who the composer speaks as: ``customer`` (demo) or ``agent`` (a human agent)."""
    conversation: var[ConversationInfo | None] = var(None)
    model_in_use: var[str | None] = var(None)
    """The model of the latest call or reply (which model answered)."""

    def __init__(self, engine: SupportEngine | None, settings: Settings | None, *, customer_id: str | None = None,
                 demo: bool = False, person: str | None = None, export_dir: Path | None = None,
                 open_engine: EngineOpener | None = None) -> None:
        """``engine`` and its ``settings``, or None, None and ``open_engine``: the console draws first, then
        opens the store (and reads the settings) after its first frame."""
        # The narrow layout's first tab is a class from the start: added on mount it restyled every widget.
        super().__init__(classes="-show-chat")
        self.startup = EngineHolder(engine, open_engine)
        self.early: list[str] = []
        """Customer messages typed before the store was open, sent in order once the conversation is."""
        self.startup_problem: str | None = None
        """Why the console left before its store opened (the command line prints it after the screen is gone)."""
        self._follow: asyncio.Task[None] | None = None
        self.settings = settings
        self.start_customer = customer_id
        self.demo = demo
        self.person_override = person
        """``--agent`` (or a test's person): wins over the settings' ``agent_id``."""
        if export_dir is None:
            from support_tui.core.paths import data_home

            export_dir = data_home() / "exports"
        self.export_dir: Path = export_dir
        """Where F6's trace exports go: the data directory's exports/, never wherever the console was started."""
        self.names: dict[str, str] = {}
        self.active_agent: str | None = None
        self.reply: ReplyBubble | None = None
        self.turn_bubble: MessageBubble | None = None
        self.turn_text: str | None = None
        self.queued: list[tuple[str, MessageBubble]] = []
        """Messages typed before the engine was ready or while a turn ran, sent in order."""
        self.heap = QuietCollector()
        """Full garbage collections wait for the end of a turn or a quiet minute (see tui/heap.py)."""
        self.set_reactive(ConsoleScreen.speaker, "customer" if demo else "agent")
        self.loader = ConversationLoader(self)
        self.actions = ConsoleActions(self)
        self.decisions = Decisions(self)
        self.debugging = ForkCompare(self)

    def compose(self) -> ComposeResult:
        # From the command line the side columns mount just after the first frame (they start hidden in the
        # narrow layout); with an engine given (tests, screenshots) everything mounts at once.
        later: Callable[[Widget], Widget] = MountLater if self.startup.opens_later else (lambda widget: widget)
        yield TitleBar(id="title-bar")
        yield TabBar({"tab-chat": "Conversation", "tab-customer": "Customer & queue", "tab-insight": "Insight"},
                     id="narrow-tabs")
        with Horizontal(id="main"):
            with later(Vertical(id="left-column")):
                yield CustomerCard(id="customer-card")
                yield ConversationQueue(id="queue")
            with Vertical(id="center-column"):
                yield ConversationView(id="conversation")
                yield NewMessagesMark(id="new-below")
                yield StatusLine(id="status-line").data_bind(ConsoleScreen.ready, ConsoleScreen.busy, ConsoleScreen.speaker)
                yield Composer(placeholder="Type a message and press Enter", id="composer")
            with later(VerticalScroll(id="right-column")):
                yield RoutingPanel(id="routing")
                yield SentimentPanel(self.settings.escalation_sentiment if self.settings else None, id="sentiment")
                yield KnowledgePanel(id="knowledge")
                yield ToolsPanel(id="tools")
        yield KeyFooter(compact=True)

    @property
    def person(self) -> str:
        """The supervising person's agent id, who decisions are recorded as: ``--agent``, else config
        ``agent_id``, else ``$SUPPORT_TUI_AGENT``, else the login name (read when first needed)."""
        from support_tui.core.settings import agent_identity

        return agent_identity(self.settings, self.person_override)

    # shortcuts to the parts ----------------------------------------------------------------------

    @property
    def chat(self) -> ConversationView:
        return self.query_one(ConversationView)

    @property
    def tools(self) -> ToolsPanel:
        return self.query_one(ToolsPanel)

    @property
    def composer(self) -> Composer:
        return self.query_one("#composer", Composer)

    @property
    def status(self) -> StatusLine:
        return self.query_one(StatusLine)

    @property
    def routing(self) -> RoutingPanel:
        return self.query_one(RoutingPanel)

    @property
    def sentiment(self) -> SentimentPanel:
        return self.query_one(SentimentPanel)

    @property
    def knowledge(self) -> KnowledgePanel:
        return self.query_one(KnowledgePanel)

    @property
    def card(self) -> CustomerCard | None:
        cards = self.query(CustomerCard)
        return cards.first() if cards else None

    @property
    def queue(self) -> ConversationQueue | None:
        queues = self.query(ConversationQueue)
        return queues.first() if queues else None

    def active_tab(self) -> str:
        return self.query_one("#narrow-tabs", TabBar).active

    # the engine, and opening it after the first frame -------------------------------------------------

    @property
    def engine(self) -> SupportEngine:
        return self.startup.engine

    @property
    def store_open(self) -> bool:
        return self.startup.is_open

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.startup.allows(action)

    def import_after_first_frame(self) -> None:
        # Markdown (and its parser) is first needed by the first AI reply: imported on the loop there, it
        # stalled that turn's first frame by 100 ms (console benchmark); on a thread now, while nothing waits.
        self.call_after_refresh(self._import_reply_widgets)
        self.call_after_refresh(collect_from_now)

    @work(thread=True, group="startup-imports", exit_on_error=False)
    def _import_reply_widgets(self) -> None:
        import textual.widgets._markdown  # noqa: F401

    def open_after_first_frame(self) -> None:
        # After the first refresh: importing and opening the engine must not compete with the first paint.
        self.call_after_refresh(self.open_store)

    @work(group="startup", exit_on_error=False)
    async def open_store(self) -> None:
        try:
            engine = await self.startup.open(self.start_customer)
        except StartupProblem as problem:  # a broken data directory, an unknown customer: say so and leave
            self.leave(problem.code, problem.problem)
            return
        self.settings = engine.settings
        sentiment = self.sentiment
        sentiment.threshold = engine.settings.escalation_sentiment
        sentiment.clear()
        self.update_header()
        self.refresh_bindings()
        await self.follow_store()
        if self.start_customer is not None:
            await self.show_conversation(await engine.open_conversation(self.start_customer))
            early, self.early = self.early, []
            for text in early:
                await self.start_turn(text)
        elif self.demo:
            self.action_pick_customer()

    def leave(self, code: int, problem: str) -> None:
        self.startup_problem = problem
        self.app.exit(return_code=code)

    async def hold_until_open(self, text: str) -> None:
        """A customer message typed before the store is open: shown as queued, sent when the conversation is."""
        self.early.append(text)
        await self.chat.add_message("customer", text, status="queued")
        self.status.queued = len(self.early)
        self.notify("Queued: sent when the store is open.")

    async def on_mount(self) -> None:
        self.heap.hold()
        self.set_interval(QUIET_COLLECT_S, self.collect_when_quiet)
        self.import_after_first_frame()
        settle_cursor(self)
        self.watch_speaker(self.speaker)
        self.update_header()
        self.composer.focus()
        if not self.startup.is_open:
            self.open_after_first_frame()
            return
        await self.follow_store()
        if self.start_customer:
            self.open_customer(self.start_customer)
        elif self.demo:
            self.action_pick_customer()

    async def follow_store(self) -> None:
        """Follow the engine's events, start its heavy parts loading, and fill the queue."""
        self._follow = asyncio.create_task(self.follow_engine(self.engine.subscribe()))
        self.ready = self.engine.ready
        if not self.ready:
            self.await_ready()
        self.names = {c.id: c.name for c in await self.engine.customers()}
        await self.refresh_queue()

    # state -> view -------------------------------------------------------------------------------

    def watch_speaker(self, speaker: str) -> None:
        self.composer.border_title = "as customer (Ctrl+T: agent)" if speaker == "customer" else "as human agent (Ctrl+T: customer)"
        self.composer.set_class(speaker == "agent", "-agent")

    def watch_busy(self, busy: bool) -> None:
        # On the status line, not the screen: a class on the screen restyles every widget
        # below it (measured: 0.25 s of blocked event loop per toggle mid-conversation).
        self.status.set_class(busy, "-busy")
        if not busy:
            # A moment after the turn's last frames (and not if the next turn has started by then).
            self.set_timer(QUIET_AFTER_TURN_S, self.collect_after_turn)
            self.call_after_refresh(self.keep_input)  # a widget the turn removed or hid had the focus
            if self.queued:
                self.call_after_refresh(self.send_queued)

    def watch_ready(self, ready: bool) -> None:
        if ready and self.queued:
            self.call_after_refresh(self.send_queued)

    def watch_conversation(self, conversation: ConversationInfo | None) -> None:
        # On the widgets that show them, not the screen: a class on the screen restyles every
        # widget below it (measured: a 0.5 s re-layout when a conversation became escalated).
        # A query, not query_one: from the command line the card mounts just after the first frame.
        self.query(CustomerCard).set_class(conversation is not None and conversation.status == "escalated", "-escalated")
        self.composer.set_class(conversation is not None and conversation.handled_by == "human", "-human-active")
        self.update_header()

    def watch_model_in_use(self) -> None:
        self.update_header()

    def update_header(self) -> None:
        """Mode and model first: at 80 columns the header cuts from the right."""
        conv = self.conversation
        model = self.model_in_use or (conv.model if conv else None) or "specialist default"
        mode = conv.mode if conv else (self.settings.mode if self.settings else "support console")
        who = drawable(self.names.get(conv.customer_id, conv.customer_id)) if conv else "no conversation"
        status = f" · {conv.status}" if conv and conv.status != "open" else ""
        if conv and conv.held_by:
            status += f" · held by {drawable(conv.held_by)}"
        step = self.actions.scenario_tag()
        self.title = mode.upper()
        self.sub_title = f"{model} · {who}{status}{step}"
        self.query_one(TitleBar).show(self.title, self.sub_title)

    def show_tab(self, tab: str) -> None:
        """In the narrow layout, show one of the three areas (the classes change now, not on the next message)."""
        self.query_one("#narrow-tabs", TabBar).active = tab
        for name in ("chat", "customer", "insight"):
            self.set_class(tab == f"tab-{name}", f"-show-{name}")
        if tab == "tab-chat" and self.focused is not self.composer and self.has_class("-narrow"):
            self.set_focus(self.composer)  # the conversation's tab: typing goes to the box
        else:
            self.call_after_refresh(self.keep_input)

    def on_conversation_view_new_below(self, event: ConversationView.NewBelow) -> None:
        self.query_one(NewMessagesMark).display = event.unseen

    def on_new_messages_mark_pressed(self, event: NewMessagesMark.Pressed) -> None:
        self.chat.jump_to_end()

    def on_tab_bar_activated(self, event: TabBar.Activated) -> None:
        self.show_tab(event.tab_id)

    # input is never lost ---------------------------------------------------------------------------

    def on_key(self, event: events.Key) -> None:
        """A printable key that nothing focused takes (no text box has the focus, no key of the focused area
        is bound to it) goes to the composer, and the conversation shows. Before, it went nowhere: on the
        Customer & queue tab, or after a resize, a typed message was lost."""
        # Not "is a text box focused now": keys a terminal delivers at once were forwarded to the widget that
        # had the focus before the first of them moved it here, and reach this handler after (a text box
        # stops the printable keys it takes, so none of those arrive).
        if not event.is_printable or event.character is None:
            return
        if any(key in self.active_bindings for key in event.aliases):
            return  # the queue's / and s, a tool card's a / e / d, a draft's a / e / r
        event.stop()
        event.prevent_default()
        self.type_into_composer(event.character)

    def type_into_composer(self, character: str) -> None:
        if self.has_class("-narrow") and not self.has_class("-show-chat"):
            self.show_tab("tab-chat")
        # At once, not on the next refresh (``focus()``): the keys typed next must find the composer.
        self.set_focus(self.composer)
        self.composer.type_key(character)

    def keep_input(self, tab_follows_focus: bool = False) -> None:
        """After a layout change (a resize, a tab, a dialog closed, a turn ended): when the focused widget is
        no longer shown, or nothing has the focus, the composer gets it if it shows, else the shown area's
        first stop. The focus stayed on hidden widgets before, and the next message typed was lost."""
        if self.app.screen is not self or not self.is_mounted:
            return
        chain = self.focus_chain
        focused = self.focused
        if focused is not None and focused in chain:
            return
        if tab_follows_focus and focused is not None and self.has_class("-narrow"):
            # Back to the narrow layout with the focus in a column its tab hides: show that tab.
            columns = {"center-column": "tab-chat", "left-column": "tab-customer", "right-column": "tab-insight"}
            tab = next((columns[n.id] for n in focused.ancestors if n.id in columns), None)
            if tab is not None and not self.has_class(f"-show-{tab.removeprefix('tab-')}"):
                self.show_tab(tab)
                return
        if self.composer in chain:
            self.set_focus(self.composer)
        elif chain:
            self.set_focus(chain[0])

    def on_resize(self, event: events.Resize) -> None:
        self.call_after_refresh(self.keep_input, True)

    def on_screen_resume(self) -> None:
        self.call_after_refresh(self.keep_input)

    def waiting_here(self) -> int:
        """Decisions waiting in the open conversation (as drawn: the newest this console knows)."""
        return len(self.tools.pending()) + len(self.chat.drafts())

    def waiting_elsewhere(self) -> int:
        """Decisions waiting in the queue's other conversations (as of the queue's last refresh)."""
        queue = self.queue
        return queue.waiting(besides=self.conversation.id if self.conversation else None) if queue is not None else 0

    def waiting_decisions(self) -> int:
        """Every waiting decision: this conversation's and the whole queue's (Ctrl+Q counted this one's only)."""
        return self.waiting_here() + self.waiting_elsewhere()

    def update_badges(self) -> None:
        """Pending decisions on the narrow tabs: drafts on Conversation, tool calls on Insight, the other
        conversations' on Customer & queue (so the badges add up to the queue's count)."""
        drafts, calls, others = len(self.chat.drafts()), len(self.tools.pending()), self.waiting_elsewhere()
        tabs = self.query_one("#narrow-tabs", TabBar)
        tabs.set_label("tab-chat", f"Conversation ◆{drafts}" if drafts else "Conversation")
        tabs.set_label("tab-customer", f"Customer & queue ◆{others}" if others else "Customer & queue")
        tabs.set_label("tab-insight", f"Insight ◆{calls}" if calls else "Insight")
        self.tools.update_subtitle()

    # turns ------------------------------------------------------------------------------------------

    @on(Composer.Sent)
    async def submit(self, event: Composer.Sent) -> None:
        # The box was emptied when Enter was pressed: what is typed since is the next message.
        text = event.text
        if self.conversation is None:
            if not self.store_open and self.start_customer and self.speaker == "customer":
                await self.hold_until_open(text)
                return
            event.composer.restore(text)
            self.notify("Pick a customer first (Ctrl+O).", severity="warning")
            return
        if self.speaker == "agent":
            message_id = await self.engine.send_human_message(self.conversation.id, text, by=self.person)
            self.loader.saw(message_id)
            await self.chat.add_message("human", text, message_id=message_id, agent=self.person)
            return
        await self.start_turn(text)

    async def start_turn(self, text: str, bubble: MessageBubble | None = None) -> None:
        if self.conversation is None:
            return
        if bubble is None:
            self.chat.jump_to_end()  # a new message: the person wants to see it and its answer
        if not self.ready or self.busy:
            self.queued.append((text, await self.chat.add_message("customer", text, status="queued")))
            self.status.queued = len(self.queued)
            self.notify("Queued: sent when the knowledge base is loaded." if not self.ready else "Queued: sent when this turn ends.")
            return
        self.turn_bubble = bubble or await self.chat.add_message("customer", text)
        self.chat.mark_stale_drafts()
        self.update_badges()
        self.run_events(self.engine.run_turn(self.conversation.id, text, actor="customer"), text=text)

    def run_events(self, events: AsyncIterator[Event], *, text: str | None = None) -> None:
        """Run a turn (or a decision's resumption): busy until its last event; ``text`` is given back if it fails."""
        self.turn_text = text
        self.busy = True
        self.consume(events)

    def cancel_turn(self) -> None:
        self.workers.cancel_group(self, "turn")

    async def send_queued(self) -> None:
        if not self.queued or not self.ready or self.busy or self.conversation is None:
            return
        text, bubble = self.queued.pop(0)
        self.status.queued = len(self.queued)
        bubble.remove_class("-queued")
        bubble.set_status("sent")
        await self.start_turn(text, bubble)

    @work(exclusive=True, group="turn", exit_on_error=False)
    async def consume(self, events: AsyncIterator[Event]) -> None:
        """Relay a turn's events to the screen, one message each, in order."""
        async for event in events:
            self.post_message(EngineEvent(event))

    async def follow_engine(self, queue: asyncio.Queue[Event]) -> None:
        """Every event the engine emits, from any view or turn: the one source of refreshes.

        A task for the screen's lifetime, not a worker: workers are what tests and screenshots wait to finish.
        """
        try:
            while True:
                self.post_message(StoreChanged(await queue.get()))
        finally:
            self.engine.unsubscribe(queue)

    def on_unmount(self) -> None:
        if self._follow is not None:
            self._follow.cancel()
        self.heap.release()

    def collect_after_turn(self) -> None:
        if not self.busy:
            self.heap.collect()

    def collect_when_quiet(self) -> None:
        self.heap.collect(quiet=not self.busy)

    @work(group="ready", exit_on_error=False)
    async def await_ready(self) -> None:
        await self.engine.wait_ready()
        self.ready = True

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
        if self.turn_bubble is not None and self.turn_bubble.role == "customer":
            # The message stays unanswered: it says so, with the key that answers it.
            self.turn_bubble.set_note(f"{status}: not answered · F3 answers it")
            self.turn_bubble.add_class(f"-{status}")
        self.tools.cancel_running()
        await self.chat.add_system(line, "warning" if status == "cancelled" else "error")
        self.refresh_state()

    async def on_engine_event(self, message: EngineEvent) -> None:
        await self.apply_event(message.event)

    async def on_store_changed(self, message: StoreChanged) -> None:
        """Any view's change reaches the store and then this screen: state lines, then one refresh."""
        event = message.event
        current = self.conversation
        if event.kind == "conversation_changed" and current is not None and event.conversation_id == current.id:
            line = CHANGE_LINES.get(event.change)
            if line is not None:
                text, level = line
                await self.chat.add_system(text.format(by=event.by or "A person", detail=event.detail or event.change), level)
            self.apply_change(event)
            if event.change == "handed_back":
                await self.offer_unanswered()
            if event.change == "synced":  # the store's feed: perhaps another console's or a worker's write
                self.catch_up()
        if event.kind == "conversation_changed" and event.change == "synced":
            self.refresh_for_feed()
        elif event.kind in REFRESHING:
            self.refresh_state()

    async def offer_unanswered(self) -> None:
        """Back with the AI team: a customer message written while a person held the conversation, and not
        answered by them, would wait for ever (the AI answers only new messages). Say so, with the key."""
        bubbles = list(self.chat.query(MessageBubble))
        last_customer = max((i for i, b in enumerate(bubbles) if b.role == "customer"), default=-1)
        if last_customer >= 0 and not any(b.role in ("ai", "human") and b.status == "sent" for b in bubbles[last_customer + 1:]):
            bubbles[last_customer].set_note("not answered · F3 answers it")
            await self.chat.add_system("The customer's last message has no answer yet: F3 has a specialist answer it.", "warning")

    def apply_change(self, event: ConversationChanged) -> None:
        """What a change means for bubbles already drawn (idempotent: live and replayed alike)."""
        if event.change in ("draft_edited", "draft_sent", "draft_rejected") and event.message_id is not None:
            bubble = self.chat.draft(event.message_id)
            if bubble is not None:
                if event.change == "draft_edited":
                    bubble.edited_by = event.by or "a person"
                bubble.refresh_header()

    async def apply_event(self, event: Event, *, replayed: bool = False) -> None:
        """Turn one engine event into state. Replayed (stored) events update the panels only."""
        # Imported here: events arrive only once the engine (and with it this module) has loaded.
        from support_tui.core.events import (
            ConversationChanged, EscalationRaised, HandoffMade, KnowledgeRetrieved, ModelCalled, ModelFailed, Notice,
            ReplyCompleted, ReplyDelta, ReplyReset, RouteDecided, SentimentScored, ToolCallFinished, ToolCallRequested,
            TurnCompleted, TurnStarted,
        )

        if self.conversation is None or event.conversation_id != self.conversation.id:
            return
        live = not replayed
        match event:
            case TurnStarted():
                self.loader.saw(event.message_id)
                if live and self.turn_bubble is None:  # a re-run (F3): the message it answers
                    self.turn_bubble = next((b for b in reversed(self.chat.query(MessageBubble))
                                             if b.role == "customer" and b.text == event.text), None)
                if live and self.turn_bubble is not None and event.text != self.turn_bubble.text:
                    self.turn_bubble.set_text(event.text)
                if live and self.turn_bubble is not None:
                    self.turn_bubble.set_note(None)
            case SentimentScored():
                self.sentiment.show(event)
            case RouteDecided():
                self.active_agent = event.agent
                self.routing.show(event)
            case HandoffMade(packet=packet):
                self.routing.add_handoff(packet)
                if live:
                    await self.chat.add_system(f"Handed off {packet.from_agent or '—'} → {packet.to_agent}: {packet.reason}", "handoff")
            case EscalationRaised(packet=packet):
                self.routing.add_handoff(packet)
                if live:
                    await self.chat.add_system(f"Escalated to a person ({event.priority}, rule {event.rule}): {event.reason}", "error")
            case KnowledgeRetrieved():
                await self.knowledge.show(event.query, event.snippets)
            case ModelCalled():
                self.model_in_use = event.model
            case ModelFailed() if live:
                await self.chat.add_system(f"{event.model} failed ({event.error}); trying {event.next_model or 'nothing else'}", "warning")
            case ToolCallRequested():
                await self.tools.requested(event)
            case ToolCallFinished():
                await self.tools.finished(event)
                self.update_badges()
                if live and event.status == "pending_approval":
                    await self.chat.add_system(f"{event.name} waits for approval (rule {event.rule}). Ctrl+G to decide.", "warning")
            case ReplyDelta() if live:
                if self.reply is None:
                    self.reply = await self.chat.start_reply(self.active_agent, event.model)
                await self.reply.append(event.text)
                self.chat.follow()
            case ReplyReset() if live and self.reply is not None:
                await self.reply.reset()
            case ReplyCompleted():
                self.loader.saw(event.message_id)
                self.model_in_use = event.model
                self.knowledge.mark_used(event.used_snippets)
                if live:
                    reply = self.reply or await self.chat.start_reply(event.agent, event.model)
                    await reply.complete(event.text, message_id=event.message_id, agent=event.agent, model=event.model, draft=event.draft)
                    self.reply = None
                if (bubble := self.chat.draft(event.message_id)) is not None:
                    bubble.waiting_since = event.at
                self.update_badges()
            case ConversationChanged():
                self.apply_change(event)
            case Notice() if live:
                await self.chat.add_system(event.message, event.level)
            case TurnCompleted():
                self.status.usage = event.usage if self.status.usage is None else self.status.usage + event.usage
                self.status.latency_ms = event.timings_ms.get("total", 0.0)
                self.status.turns += 1
                if live:
                    if event.status in ("cancelled", "failed"):
                        await self.interrupt_turn(event.status, f"Turn {event.status}{': ' + event.error if event.error else ''}")
                    elif event.status == "human_active" and self.turn_bubble is not None:
                        holder = self.conversation.held_by if self.conversation else None
                        self.turn_bubble.set_note(f"for {drawable(holder)} to answer" if holder else "for a person to answer")
                    self.turn_bubble = None
                    self.busy = False

    # opening conversations, following the store (the loader draws) -------------------------------------

    @work(exclusive=True, group="open", exit_on_error=False)
    async def open_customer(self, customer_id: str, new: bool = False) -> None:
        await self.show_conversation(await self.engine.open_conversation(customer_id, new=new))

    @work(exclusive=True, group="open", exit_on_error=False)
    async def open_conversation(self, conversation_id: str, *, then_land: bool = False) -> None:
        """Open a conversation by id; ``then_land``: on the oldest decision waiting in it (Ctrl+G)."""
        await self.show_conversation(await self.engine.get_conversation(conversation_id))
        if then_land:
            self.actions.land_on_pending()

    def on_conversation_picked(self, message: ConversationPicked) -> None:
        self.open_conversation(message.conversation_id)

    async def show_conversation(self, conv: ConversationInfo) -> None:
        """Forget the open conversation's turn, then draw ``conv`` from the store."""
        self.actions.opening(conv.customer_id)
        self.active_agent, self.reply, self.turn_bubble, self.queued = None, None, None, []
        await self.loader.show_conversation(conv)

    @work(exclusive=True, group="refresh", exit_on_error=False)
    async def refresh_state(self) -> None:
        """Re-read the open conversation, its customer card and the queue (several events make one refresh)."""
        await self.loader.refresh_now()

    async def refresh_queue(self) -> None:
        await self.loader.refresh_queue()

    def refresh_for_feed(self) -> None:
        if self.loader.feed_refresh_wanted():
            self.run_worker(self.loader.refresh_for_feed(), group="feed-refresh", exit_on_error=False)

    @work(exclusive=True, group="catch-up", exit_on_error=False)
    async def catch_up(self) -> None:
        await self.loader.catch_up()

    # the keys' actions (the parts do the work; a dialog's runs as a worker) ---------------------------

    @property
    def scenario(self) -> dict[str, Any] | None:
        """The scenario being played (F7), if any."""
        return self.actions.scenario

    def action_help(self) -> None:
        self.actions.help()

    @work(group="dialog", exit_on_error=False)
    async def action_pick_customer(self) -> None:
        await self.actions.pick_customer()

    def action_new_conversation(self) -> None:
        self.actions.new_conversation()

    def action_toggle_speaker(self) -> None:
        self.actions.toggle_speaker()

    @work(group="action", exit_on_error=False)
    async def action_toggle_mode(self) -> None:
        await self.actions.toggle_mode()

    @work(group="action", exit_on_error=False)
    async def action_toggle_takeover(self) -> None:
        await self.actions.toggle_takeover()

    def action_focus_pending(self) -> None:
        self.actions.focus_pending()

    def action_next_tab(self, step: int = 1) -> None:
        self.actions.next_tab(step)

    def action_cancel_turn(self) -> None:
        if self.busy:
            self.cancel_turn()

    @work(group="dialog", exit_on_error=False)
    async def action_pick_model(self) -> None:
        await self.actions.pick_model()

    @work(group="dialog", exclusive=True, exit_on_error=False)
    async def action_pick_route(self) -> None:
        await self.actions.pick_route()

    @work(group="dialog", exit_on_error=False)
    async def action_show_trace(self) -> None:
        await self.actions.show_trace()

    @work(group="dialog", exit_on_error=False)
    async def action_pick_scenario(self) -> None:
        await self.actions.pick_scenario()

    async def action_next_step(self) -> None:
        await self.actions.next_step()

    @work(group="dialog", exclusive=True, exit_on_error=False)
    async def action_fork_or_compare(self) -> None:
        await self.debugging.fork_or_compare()

    @work(group="dialog", exit_on_error=False)
    async def on_tool_decision(self, message: ToolDecision) -> None:
        await self.decisions.tool_decision(message)

    @work(group="dialog", exit_on_error=False)
    async def on_draft_decision(self, message: DraftDecision) -> None:
        await self.decisions.draft_decision(message)

    @work(group="dialog", exit_on_error=False)
    async def action_escalate(self) -> None:
        await self.decisions.escalate()

    @work(group="dialog", exit_on_error=False)
    async def action_close_conversation(self) -> None:
        await self.decisions.close_conversation()
