"""The conversation: customer, AI and human messages, a streamed reply, drafts and inline system lines."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.reactive import var
from textual.widgets import Button, Static

from support_tui.tui.messages import DraftDecision
from support_tui.tui.text import drawable, literal
from support_tui.tui.widgets.panel import ButtonRow

if TYPE_CHECKING:
    from textual.widgets import Markdown
    from textual.widgets.markdown import MarkdownStream

ROLE_TITLES = {"customer": "Customer", "ai": "AI", "human": "Agent", "system": "System"}


def message_header(role: str, agent: str | None, model: str | None, status: str, *,
                   edited_by: str | None = None, stale: bool = False, note: str | None = None) -> Content:
    """Who wrote a message: role, for the AI which specialist and model, and a person's edit."""
    parts: list[str | tuple[str, str]] = [(ROLE_TITLES.get(role, role), "bold")]
    if edited_by:
        parts = [("AI draft edited by ", "bold"), (drawable(edited_by), "bold $text-success")]
    if agent:
        parts += [" · ", (drawable(agent), "italic")]
    if model:
        parts += [" · ", (drawable(model), "dim")]
    if status != "sent":
        parts += ["  ", (f"[{status}]", "bold reverse")]
    if stale and status == "draft":
        parts += ["  ", ("[stale: the customer wrote since]", "bold $text-warning")]
    if note:
        parts += ["  ", (f"[{note}]", "bold $text-warning")]
    return Content.assemble(*parts)


class MessageBubble(Vertical):
    """One message. Customer and human text is shown literally; AI text is Markdown."""

    SCOPED_CSS = False
    DEFAULT_CSS = """
    .bubble {
        height: auto;
        margin: 1 0 0 0;
        padding: 0 1;
        border-left: outer $panel;
    }

    .bubble-header {
        color: $text-muted;
    }

    .bubble > Markdown {
        margin: 0;
        padding: 0;
        background: transparent;
    }

    .bubble > Markdown > MarkdownParagraph {
        margin: 0;
    }

    .bubble.-customer {
        border-left: outer $secondary;
        background: $secondary 10%;
        margin-right: 8;
    }

    .bubble.-ai {
        border-left: outer $primary;
        background: $primary 8%;
        margin-left: 4;
    }

    .bubble.-human {
        border-left: outer $success;
        background: $success 10%;
        margin-left: 4;
    }

    .bubble.-draft {
        border-left: outer $warning;
        background: $warning 10%;
    }

    .bubble.-rejected, .bubble.-cancelled, .bubble.-failed {
        opacity: 60%;
    }

    .bubble.-rejected .bubble-body, .bubble.-cancelled .bubble-header, .bubble.-failed .bubble-header {
        text-style: strike;
    }

    .bubble.-queued {
        border-left: outer $warning 50%;
    }

    .bubble:focus {
        background: $boost;
        border-left: outer $accent;
    }

    .draft-actions {
        height: auto;
    }

    .draft-actions Button {
        margin-right: 1;
        min-width: 0;
        width: auto;
    }

    .bubble.-draft.-stale {
        border-left: outer $error;
    }
    """
    """Parsed with the first message, not with app.tcss before the console's first frame."""

    def __init__(
        self,
        role: str,
        text: str,
        *,
        agent: str | None = None,
        model: str | None = None,
        status: str = "sent",
        message_id: int | None = None,
    ) -> None:
        super().__init__(classes=f"bubble -{role}")
        self.role = role
        self.text = text
        self.agent = agent
        self.model = model
        self.status = status
        self.message_id = message_id
        self.edited_by: str | None = None
        """The person who edited this AI draft before it was sent."""
        self.stale = False
        """A draft the customer wrote after: it is not sent without a look."""
        self.note: str | None = None
        """What became of a customer message with no answer (cancelled, held by a person), with the key."""

    def header(self) -> Content:
        return message_header(self.role, self.agent, self.model, self.status, edited_by=self.edited_by, stale=self.stale,
                              note=self.note)

    def set_note(self, note: str | None) -> None:
        self.note = note
        if self.is_mounted:
            self.refresh_header()

    def compose(self) -> ComposeResult:
        yield Static(self.header(), classes="bubble-header")
        if self.role == "ai":
            # Imported with the first AI message: Markdown's parser is not needed for the console's first frame.
            from textual.widgets import Markdown

            yield Markdown(drawable(self.text), classes="bubble-body")
        else:
            yield Static(literal(self.text), classes="bubble-body")

    STATUS_CLASSES = ("-draft", "-rejected", "-queued", "-streaming", "-cancelled", "-failed")

    def set_status(self, status: str) -> None:
        self.status = status
        self.remove_class(*self.STATUS_CLASSES)
        self.set_class(status != "sent", f"-{status}")
        self.refresh_header()

    def refresh_header(self) -> None:
        self.set_class(self.stale and self.status == "draft", "-stale")
        self.query_one(".bubble-header", Static).update(self.header())

    def set_text(self, text: str) -> None:
        """Replace literal text (a customer message as the engine stored it)."""
        self.text = text
        if self.role != "ai":
            self.query_one(".bubble-body", Static).update(literal(text))


class DraftActions(ButtonRow):
    """Send, Edit, Reject under a draft reply (only a draft carries them)."""

    BUTTONS = (("Send (a)", "success", "draft-send"), ("Edit (e)", "primary", "draft-edit"),
               ("Reject (r)", "error", "draft-reject"))
    ROW_CLASS = "draft-actions"


class ReplyBubble(MessageBubble):
    """An AI reply: streamed token by token into one Markdown widget; a draft carries Send/Edit/Reject."""

    can_focus = True
    BINDINGS = [
        Binding("a", "decide('send')", "Send draft"),
        Binding("e", "decide('edit')", "Edit draft"),
        Binding("r", "decide('reject')", "Reject draft"),
    ]

    def __init__(self, *, agent: str | None, model: str | None, text: str = "", status: str = "streaming",
                 message_id: int | None = None) -> None:
        super().__init__("ai", text, agent=agent, model=model, status=status, message_id=message_id)
        self._stream: MarkdownStream | None = None
        self.waiting_since = 0.0
        """When the draft began waiting for a person (event time, ms): Ctrl+G goes to the oldest first."""
        self.add_class(f"-{status}")

    def compose(self) -> ComposeResult:
        yield from super().compose()
        if self.status == "draft":
            yield DraftActions()

    @property
    def markdown(self) -> Markdown:
        from textual.widgets import Markdown

        return self.query_one(Markdown)

    async def append(self, fragment: str) -> None:
        if self._stream is None:
            markdown = self.markdown
            self._stream = type(markdown).get_stream(markdown)
        self.text += fragment
        await self._stream.write(drawable(fragment))

    async def reset(self) -> None:
        """The model failed mid-stream: what was streamed is void."""
        await self._stop()
        self.text = ""
        await self.markdown.update("")

    async def _stop(self) -> None:
        if self._stream is not None:
            await self._stream.stop()
            self._stream = None

    async def complete(self, text: str, *, message_id: int, agent: str, model: str, draft: bool) -> None:
        await self._stop()
        self.agent, self.model, self.message_id = agent, model, message_id
        self.remove_class("-streaming")
        if text != self.text:
            self.text = text
            await self.markdown.update(drawable(text))
        self.set_status("draft" if draft else "sent")

    async def replace_text(self, text: str) -> None:
        """A person's edit of the draft."""
        self.text = text
        await self.markdown.update(drawable(text))

    async def interrupt(self, status: str) -> None:
        """The turn was cancelled or failed while this reply streamed."""
        await self._stop()
        self.remove_class("-streaming")
        self.set_status(status)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Send/Edit/Reject exist only while the reply is a draft (the footer shows them only then)."""
        if action == "decide":
            return self.status == "draft" and self.message_id is not None
        return True

    def set_status(self, status: str) -> None:
        super().set_status(status)
        if self.is_mounted:
            DraftActions.show_in(self, status == "draft")
        self.refresh_bindings()

    def action_decide(self, action: str) -> None:
        if self.status == "draft" and self.message_id is not None:
            if action == "send" and self.stale:
                action = "edit"  # the customer wrote since: the person sees the text before it goes
            self.post_message(DraftDecision(self.message_id, action))  # type: ignore[arg-type]

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_decide((event.button.id or "").removeprefix("draft-"))


class SystemLine(Static):
    """A hand-off, an escalation or a notice, inline in the conversation."""

    SCOPED_CSS = False
    DEFAULT_CSS = """
    .system-line {
        color: $text-muted;
        margin: 1 0 0 2;
    }

    .system-line.-handoff {
        color: $text-accent;
    }

    .system-line.-warning {
        color: $text-warning;
    }

    .system-line.-error {
        color: $text-error;
        text-style: bold;
    }
    """
    """Parsed with the first system line."""

    def __init__(self, text: str, level: str = "info") -> None:
        super().__init__(Content.assemble(("── ", "dim"), literal(text)), classes=f"system-line -{level}")


class NewMessagesMark(Static):
    """Under the conversation while new messages arrived below where the reader scrolled; a click follows again."""

    class Pressed(Message):
        """The mark was clicked."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(Content("▼ new messages below (click, or End in the conversation)"), id=id)

    def on_click(self) -> None:
        self.post_message(self.Pressed())


class ConversationView(VerticalScroll):
    """The messages of the open conversation, newest at the bottom, kept in view while streaming.

    It follows new messages until the reader scrolls up, and again once they scroll back to the end;
    meanwhile ``unseen`` is set (the screen shows a "new messages" mark). Following was decided per message
    from the scroll position before it: a dialog's or a stream's layout lag left new turns below the fold.
    """

    following: var[bool] = var(True)
    """New messages scroll into view (the reader has not scrolled up)."""
    unseen: var[bool] = var(False)
    """Something was added below while the reader had scrolled up."""

    class NewBelow(Message):
        """``unseen`` changed: the screen shows or hides its mark."""

        def __init__(self, unseen: bool) -> None:
            self.unseen = unseen
            super().__init__()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        # Content that grows leaves scroll_y alone; content that shrinks clamps it to the end: only the
        # reader (keys, wheel, scrollbar, a jump to a draft) moves it above the end.
        self.following = new_value >= self.max_scroll_y - 1
        if self.following:
            self.unseen = False

    def watch_unseen(self, unseen: bool) -> None:
        self.post_message(self.NewBelow(unseen))

    def on_resize(self) -> None:
        # A new width re-wraps every bubble (and a hidden tab shown again at another size starts at the
        # top): a follower stays at the end, not wherever the old scroll offset now points.
        self._keep_end()

    def on_show(self) -> None:
        self._keep_end()

    def _keep_end(self) -> None:
        if self.following:
            self.call_after_refresh(self.scroll_end, animate=False)

    def follow(self) -> None:
        """Keep the newest message in view, unless the reader scrolled up (then mark it unseen)."""
        self._keep_end()
        if not self.following:
            self.unseen = True

    def jump_to_end(self) -> None:
        """Follow again from here (the mark clicked, or the person sent a message)."""
        self.following, self.unseen = True, False
        self.scroll_end(animate=False)

    async def clear(self) -> None:
        await self.remove_children()
        self.scroll_home(animate=False)
        self.following, self.unseen = True, False

    async def add_message(self, role: str, text: str, *, agent: str | None = None, model: str | None = None,
                          status: str = "sent", message_id: int | None = None) -> MessageBubble:
        if role == "ai":
            bubble: MessageBubble = ReplyBubble(agent=agent, model=model, text=text, status=status, message_id=message_id)
        else:
            bubble = MessageBubble(role, text, agent=agent, model=model, status=status, message_id=message_id)
            if status != "sent":
                bubble.add_class(f"-{status}")
        await self.mount(bubble)
        self.follow()
        return bubble

    async def add_system(self, text: str, level: str = "info") -> None:
        await self.mount(SystemLine(text, level))
        self.follow()

    async def start_reply(self, agent: str | None, model: str | None) -> ReplyBubble:
        bubble = ReplyBubble(agent=agent, model=model)
        await self.mount(bubble)
        self.follow()
        return bubble

    def draft(self, message_id: int) -> ReplyBubble | None:
        for bubble in self.query(ReplyBubble):
            if bubble.message_id == message_id:
                return bubble
        return None

    def last_customer(self) -> MessageBubble | None:
        bubbles = [b for b in self.query(MessageBubble) if b.role == "customer"]
        return bubbles[-1] if bubbles else None

    def drafts(self) -> list[ReplyBubble]:
        return [b for b in self.query(ReplyBubble) if b.status == "draft"]

    def mark_stale_drafts(self) -> None:
        """Drafts written before the newest customer message answer something older."""
        bubbles = list(self.query(MessageBubble))
        last_customer = max((i for i, b in enumerate(bubbles) if b.role == "customer"), default=-1)
        for i, bubble in enumerate(bubbles):
            if isinstance(bubble, ReplyBubble) and bubble.status == "draft" and i < last_customer and not bubble.stale:
                bubble.stale = True
                bubble.refresh_header()
