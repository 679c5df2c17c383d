"""Opening the store after the console's first frame: the engine arrives later, and what is typed meanwhile waits."""

from __future__ import annotations

from typing import TYPE_CHECKING, Awaitable, Callable

from textual import work
from textual.widget import Widget

from support_tui.tui.heap import collect_from_now
from support_tui.tui.widgets.insight import SentimentPanel

if TYPE_CHECKING:
    from support_tui.core.engine import SupportEngine
    from support_tui.tui.screens.console import ConsoleScreen

EngineOpener = Callable[[], Awaitable["SupportEngine"]]
"""Opens the data directory's engine (the store now, the heavy parts when asked): the console calls it
after its first frame, so neither the engine's imports nor its start-up delay what a person first sees."""

WITHOUT_ENGINE = frozenset({"help", "toggle_speaker", "next_tab", "focus_pending", "cancel_turn", "quit", "command_palette"})
"""Keys that work while the store is still opening; the others are shown dimmed until it is open."""


class StoreNotOpen(RuntimeError):
    """The console was asked for the engine before the store had opened."""


class MountLater(Widget):
    """A part of the screen mounted just after the first frame (like Textual's ``Lazy``, but a console that
    closes before then simply leaves it unmounted)."""

    DEFAULT_CSS = "MountLater { display: none; }"

    def __init__(self, widget: Widget) -> None:
        self._widget = widget
        super().__init__()

    def compose_add_child(self, widget: Widget) -> None:
        self._widget.compose_add_child(widget)

    async def mount_composed_widgets(self, widgets: list[Widget]) -> None:
        self.call_after_refresh(self._mount_now)

    async def _mount_now(self) -> None:
        parent = self.parent
        if isinstance(parent, Widget) and parent.is_attached and self.is_attached:
            await parent.mount(self._widget, after=self)
            await self.remove()


class EngineStartup:
    """Mixed into ConsoleScreen: holds the engine, or opens it once the first frame is on screen."""

    _engine: SupportEngine | None = None
    _opener: EngineOpener | None = None
    early: list[str]
    """Customer messages typed before the store was open, sent in order once the conversation is."""
    startup_problem: str | None = None
    """Why the console left before its store opened (the command line prints it after the screen is gone)."""

    @property
    def engine(self) -> SupportEngine:
        if self._engine is None:
            raise StoreNotOpen("the store is still opening; try again in a moment")
        return self._engine

    @property
    def store_open(self) -> bool:
        return self._engine is not None

    def check_action(self: ConsoleScreen, action: str, parameters: tuple[object, ...]) -> bool | None:
        # None: shown dimmed in the footer and not run (a picker with no store behind it would fail).
        return True if self._engine is not None or action in WITHOUT_ENGINE else None

    @staticmethod
    def mount_later(widget: Widget) -> Widget:
        return MountLater(widget)

    def import_after_first_frame(self: ConsoleScreen) -> None:
        # Markdown (and its parser) is first needed by the first AI reply: imported on the loop there, it
        # stalled that turn's first frame by 100 ms (console benchmark); on a thread now, while nothing waits.
        self.call_after_refresh(self._import_reply_widgets)
        self.call_after_refresh(collect_from_now)

    @work(thread=True, group="startup-imports", exit_on_error=False)
    def _import_reply_widgets(self: ConsoleScreen) -> None:
        import textual.widgets._markdown  # noqa: F401

    def open_after_first_frame(self: ConsoleScreen) -> None:
        # After the first refresh: importing and opening the engine must not compete with the first paint.
        self.call_after_refresh(self.open_store)

    @work(group="startup", exit_on_error=False)
    async def open_store(self: ConsoleScreen) -> None:
        assert self._opener is not None
        try:
            engine = await self._opener()
        except Exception as exc:  # a broken data directory: say so and leave (no traceback on screen)
            self.leave(1, f"the store could not open: {exc}")
            return
        if self.start_customer is not None:
            try:
                await engine.customer_brief(self.start_customer)
            except LookupError:
                self.leave(2, f"unknown customer {self.start_customer!r} (see `support-tui customers`)")
                return
        self._engine = engine
        self.settings = engine.settings
        sentiment = self.query_one(SentimentPanel)
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

    def leave(self: ConsoleScreen, code: int, problem: str) -> None:
        self.startup_problem = problem
        self.app.exit(return_code=code)

    async def hold_until_open(self: ConsoleScreen, text: str) -> None:
        """A customer message typed before the store is open: shown as queued, sent when the conversation is."""
        self.early.append(text)
        await self.chat.add_message("customer", text, status="queued")
        self.status.queued = len(self.early)
        self.notify("Queued: sent when the store is open.")
