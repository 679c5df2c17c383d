"""Opening the store after the console's first frame: the engine arrives later, and what is typed meanwhile waits."""

from __future__ import annotations

from typing import TYPE_CHECKING, Awaitable, Callable

from textual.widget import Widget

if TYPE_CHECKING:
    from support_tui.core.engine import SupportEngine

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


class StartupProblem(Exception):
    """The console cannot start on this data directory: leave with ``code`` and say ``problem`` after the screen."""

    def __init__(self, code: int, problem: str) -> None:
        super().__init__(problem)
        self.code = code
        self.problem = problem


class EngineHolder:
    """Owned by the console screen: holds the engine, or opens it once the first frame is on screen.

    It knows nothing of the screen: ``open`` returns the engine (or raises ``StartupProblem``) and the
    screen draws what that means."""

    def __init__(self, engine: SupportEngine | None, opener: EngineOpener | None) -> None:
        if (engine is None) == (opener is None):
            raise ValueError("give the console an engine or a way to open one, not both")
        self._engine = engine
        self._opener = opener

    @property
    def engine(self) -> SupportEngine:
        if self._engine is None:
            raise StoreNotOpen("the store is still opening; try again in a moment")
        return self._engine

    @property
    def is_open(self) -> bool:
        return self._engine is not None

    @property
    def opens_later(self) -> bool:
        """Started from the command line: the store opens after the first frame."""
        return self._opener is not None and self._engine is None

    def allows(self, action: str) -> bool | None:
        """For ``check_action``: None (shown dimmed in the footer and not run) until the store is open, but for the
        keys that need no engine (a picker with no store behind it would fail)."""
        return True if self._engine is not None or action in WITHOUT_ENGINE else None

    async def open(self, start_customer: str | None) -> SupportEngine:
        """Open the store (and check the customer the console starts with)."""
        assert self._opener is not None
        try:
            engine = await self._opener()
        except Exception as exc:  # a broken data directory: say so and leave (no traceback on screen)
            raise StartupProblem(1, f"the store could not open: {exc}") from exc
        if start_customer is not None:
            try:
                await engine.customer_brief(start_customer)
            except LookupError:
                raise StartupProblem(2, f"unknown customer {start_customer!r} (see `support-tui customers`)") from None
        self._engine = engine
        return engine
