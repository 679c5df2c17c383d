"""Modal dialogs: pick one of a list, give a reason, edit a draft or tool arguments (JSON), rate a conversation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Awaitable, Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option


def settle_cursor(root: Any) -> None:
    """Follow the app's cursor_blink switch (off in tests and screenshots, so frames are deterministic)."""
    blink = getattr(root.app, "cursor_blink", True)
    for widget in root.query("Input, TextArea"):
        widget.cursor_blink = blink


class Dialog(ModalScreen[Any]):
    """A modal with a title; Esc dismisses with None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    CSS_PATH = str(Path(__file__).with_name("dialogs.tcss"))
    """Read when the first dialog opens (the console's first frame does without it)."""

    def __init__(self, title: str) -> None:
        super().__init__(classes="dialog")
        self.dialog_title = title

    def on_mount(self) -> None:
        self.query_one(".dialog-box").border_title = self.dialog_title
        settle_cursor(self)

    def action_cancel(self) -> None:
        self.dismiss(None)


class PickerDialog(Dialog):
    """Choose one item; returns its id. A long list gets a filter: type a few letters, Enter picks."""

    FILTER_FROM = 9
    """Lists this long open with a filter line focused (55 customers, 47 scenarios)."""

    BINDINGS = [
        Binding("down", "move(1)", show=False),
        Binding("up", "move(-1)", show=False),
    ]

    def __init__(self, title: str, items: list[tuple[str, Content]], *, empty: str = "Nothing to pick.") -> None:
        super().__init__(title)
        self.items = items
        self.empty = empty

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            filtered = len(self.items) >= self.FILTER_FROM
            if filtered:
                yield Input(placeholder="Type to filter", id="picker-filter")
            if self.items:
                yield OptionList(*self._options(""), id="picker-options")
                yield Static("", id="picker-no-match", classes="placeholder")
            else:
                yield Static(Content(self.empty), classes="placeholder")
            help_text = "Type to filter · ↑↓ moves · Enter picks · Esc cancels" if filtered else "Enter picks · Esc cancels"
            yield Static(Content(help_text), classes="dialog-help")

    def on_mount(self) -> None:
        super().on_mount()
        for hint in self.query("#picker-no-match"):
            hint.display = False
        if self.query("#picker-filter"):
            self.query_one("#picker-filter", Input).focus()

    def _options(self, query: str) -> list[Option]:
        words = query.lower().split()
        return [Option(prompt, id=item_id) for item_id, prompt in self.items
                if all(w in f"{item_id} {prompt.plain}".lower() for w in words)]

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        options = self.query_one("#picker-options", OptionList)
        options.clear_options()
        options.add_options(self._options(event.value))
        if options.option_count:
            options.highlighted = 0
        hint = self.query_one("#picker-no-match", Static)
        hint.display = not options.option_count
        options.display = bool(options.option_count)
        hint.update(Content(f"Nothing matches {event.value!r}. Backspace widens the search; Esc cancels."))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        options = self.query_one("#picker-options", OptionList)
        if options.highlighted is not None and options.option_count:
            self.dismiss(options.get_option_at_index(options.highlighted).id)

    def action_move(self, step: int) -> None:
        for options in self.query("#picker-options").results(OptionList):
            options.action_cursor_down() if step > 0 else options.action_cursor_up()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)


class ReasonDialog(Dialog):
    """Ask for a one-line reason (deny a tool call, reject a draft, escalate)."""

    def __init__(self, title: str, placeholder: str = "Reason", initial: str = "") -> None:
        super().__init__(title)
        self.placeholder = placeholder
        self.initial = initial

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Input(self.initial, placeholder=self.placeholder, id="reason-input")
            yield Static(Content("Enter confirms · Esc cancels"), classes="dialog-help")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip())


class TextEditDialog(Dialog):
    """Edit a longer text (an AI draft before sending it). Ctrl+S sends."""

    BINDINGS = [Binding("ctrl+s", "save", "Send", priority=True)]

    def __init__(self, title: str, text: str) -> None:
        super().__init__(title)
        self.text = text

    def compose(self) -> ComposeResult:
        from textual.widgets import TextArea  # with the first edit: not needed for the console's first frame

        with Vertical(classes="dialog-box -tall"):
            yield TextArea(self.text, soft_wrap=True, id="edit-text")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Send (Ctrl+S)", variant="success", id="edit-save", compact=True)
                yield Button("Cancel (Esc)", id="edit-cancel", compact=True)

    def edited_text(self) -> str:
        from textual.widgets import TextArea

        return self.query_one("#edit-text", TextArea).text

    async def action_save(self) -> None:
        self.dismiss(self.edited_text())

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "edit-save":
            await self.action_save()
        else:
            self.dismiss(None)


ArgumentCheck = Callable[[dict[str, Any]], Awaitable[list[str]]]
"""Why edited arguments could not run (the engine's schema and policy check); empty when they could."""


class JsonEditDialog(TextEditDialog):
    """Edit a tool call's arguments as JSON; approval needs a JSON object that passes the engine's check."""

    def __init__(self, title: str, arguments: dict[str, Any], check: ArgumentCheck | None = None) -> None:
        super().__init__(title, json.dumps(arguments, indent=2, ensure_ascii=False, sort_keys=True))
        self.check = check

    def compose(self) -> ComposeResult:
        from textual.widgets import TextArea

        with Vertical(classes="dialog-box -tall"):
            yield TextArea(self.text, show_line_numbers=True, id="edit-text")
            yield Static("", id="json-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Approve with these (Ctrl+S)", variant="success", id="edit-save", compact=True)
                yield Button("Cancel (Esc)", id="edit-cancel", compact=True)

    async def action_save(self) -> None:
        error = self.query_one("#json-error", Static)
        try:
            value = json.loads(self.edited_text())
        except json.JSONDecodeError as exc:
            error.update(Content(f"Invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"))
            return
        if not isinstance(value, dict):
            error.update(Content("Arguments must be a JSON object."))
            return
        problems = await self.check(value) if self.check is not None else []
        if problems:
            # Nothing runs: the person fixes the arguments here or cancels.
            error.update(Content("These arguments cannot run, so they cannot be approved:\n" + "\n".join(f"• {p}" for p in problems)))
            return
        self.dismiss(value)


class ConfirmDialog(Dialog):
    """A yes/no question; y or Enter confirms, n or Esc declines."""

    BINDINGS = [Binding("y", "answer(True)", "Yes"), Binding("n", "answer(False)", "No")]

    def __init__(self, title: str, question: str, yes: str = "Yes (y)", no: str = "No (n)") -> None:
        super().__init__(title)
        self.question, self.yes, self.no = question, yes, no

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(Content(self.question))
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.yes, variant="error", id="confirm-yes", compact=True)
                yield Button(self.no, id="confirm-no", compact=True)

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#confirm-no", Button).focus()

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm-yes")


class RatingDialog(Dialog):
    """How did we do? 1-5 by key or button; Esc skips."""

    BINDINGS = [Binding(str(n), f"rate({n})", str(n), show=False) for n in range(1, 6)]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(Content("How satisfied is the customer? Press 1 (poor) to 5 (excellent)."))
            with Horizontal(classes="dialog-buttons", id="rating-buttons"):
                for n in range(1, 6):
                    yield Button("★" * n, id=f"rate-{n}", compact=True)
            yield Static(Content("Esc skips"), classes="dialog-help")

    def action_rate(self, score: int) -> None:
        self.dismiss(score)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(int((event.button.id or "rate-0").removeprefix("rate-")))
