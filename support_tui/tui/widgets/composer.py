"""The composer: the one box a person types messages into. Enter sends exactly what is in it, once.

An ``Input``, not a ``TextArea``: one line keeps the console's layout and first frame as they are. Line
breaks are kept all the same: a multi-line paste, or Ctrl+J (Shift+Enter where the terminal reports it),
puts a ``↵`` in the box, and the message sent has a line break there.
"""

from __future__ import annotations

from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Input

LINE_BREAK = "↵"
"""How a line break shows in the one-line box (sent as ``\\n``)."""


def as_message(value: str) -> str:
    """The message a box's value sends: line breaks back, blank edges trimmed."""
    return "\n".join(line.rstrip() for line in value.replace(LINE_BREAK, "\n").split("\n")).strip()


def as_box(text: str) -> str:
    """A message (perhaps several lines) as the box shows it."""
    return "\n".join(text.splitlines()).replace("\n", LINE_BREAK)


class Composer(Input):
    """Enter posts ``Composer.Sent`` with the box's text and empties the box in the same step, so keys
    typed straight after land in an empty box (a later clear by the screen merged and double-sent them)."""

    BINDINGS = [Binding("ctrl+j,shift+enter", "line_break", "New line", show=False,
                        tooltip="a line break in the message (shown as ↵)")]

    class Sent(Message):
        """A person pressed Enter on a message (never empty)."""

        def __init__(self, composer: Composer, text: str) -> None:
            self.composer = composer
            self.text = text
            super().__init__()

        @property
        def control(self) -> Composer:
            return self.composer

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        # Input selects all on focus: the next key typed (a key sent here from the queue tab, or typing
        # on after a dialog) replaced what was in the box.
        kwargs.setdefault("select_on_focus", False)
        super().__init__(*args, **kwargs)

    async def _on_key(self, event: events.Key) -> None:
        # Enter and Ctrl+J are handled here, in the order the keys came, not as bindings: a binding runs when
        # the key has bubbled up to the app, after the keys typed straight after it have reached the box.
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            await self.action_submit()
        elif event.key in ("ctrl+j", "shift+enter"):
            event.stop()
            event.prevent_default()
            self.action_line_break()

    async def action_submit(self) -> None:
        text = as_message(self.value)
        if not text:
            return
        self.value = ""
        self.post_message(self.Sent(self, text))

    def action_line_break(self) -> None:
        self.insert_text_at_cursor(LINE_BREAK)

    def restore(self, text: str) -> None:
        """Give an unsent message back, ahead of anything typed since."""
        typed = self.value
        self.value = as_box(text) + (" " + typed if typed else "")
        self.cursor_position = len(self.value)

    def type_key(self, character: str) -> None:
        """A printable key typed while something else had the focus."""
        self.insert_text_at_cursor(character)

    def _on_paste(self, event: events.Paste) -> None:
        # Input keeps only a paste's first line, silently; every line is kept here.
        if event.text and len(event.text.splitlines()) > 1:
            event.prevent_default()
            event.stop()
            text = as_box(event.text.strip("\r\n"))
            if self.selection.is_empty:
                self.insert_text_at_cursor(text)
            else:
                self.replace(text, *self.selection)
