"""The console's footer: Textual's Footer, rebuilt only when the keys it shows change.

Textual's Footer recomposes (removes and mounts a widget per key, about sixteen here) every time any widget
asks for a bindings refresh. During a turn the tool cards and the streamed reply ask several times (a card
finishing, a reply becoming a draft) while the focus stays in the composer, so the footer showed the same
keys and the frame paid for a new footer each time (console benchmark: the largest frames of a turn).
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer

KeyRow = tuple[str, str, str, bool, str]
"""What the footer shows of one binding: key, action, description, enabled, tooltip."""


def shown_keys(screen: Screen[Any], *, palette: bool) -> tuple[KeyRow, ...]:
    """The bindings the footer would draw for ``screen`` now, in order (``palette``: the command palette's key too)."""
    rows = tuple((binding.key, binding.action, binding.description, enabled, tooltip)
                 for (_node, binding, enabled, tooltip) in screen.active_bindings.values() if binding.show)
    if palette:
        entry = screen.active_bindings.get(screen.app.COMMAND_PALETTE_BINDING)
        if entry is not None:
            _node, binding, enabled, tooltip = entry
            rows += ((binding.key, binding.action, binding.description, enabled, tooltip),)
    return rows


class KeyFooter(Footer):
    """A Footer that skips the rebuild when the keys it would show are the ones it shows."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._keys: tuple[KeyRow, ...] | None = None
        """The keys of the last rebuild, read when it ran (None before the first)."""

    def _shown_now(self, screen: Screen[Any]) -> tuple[KeyRow, ...]:
        return shown_keys(screen, palette=self.show_command_palette and screen.app.ENABLE_COMMAND_PALETTE)

    def compose(self) -> ComposeResult:
        # What is drawn is what the screen's bindings are as the rebuild runs (it runs after a refresh).
        self._keys = self._shown_now(self.screen) if self._bindings_ready else None
        yield from super().compose()

    def bindings_changed(self, screen: Screen[Any]) -> None:
        if self._keys is not None and self.is_attached and screen is self.screen and screen.app.app_focus \
                and self._shown_now(screen) == self._keys:
            return  # the same keys: a rebuild would mount the same footer again
        super().bindings_changed(screen)
