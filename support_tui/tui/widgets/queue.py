"""The conversation queue: one two-line row per open or escalated conversation; sortable and filterable."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from support_tui.tui.messages import ConversationPicked
from support_tui.tui.text import clip, drawable
from support_tui.tui.widgets.panel import set_subtitle
from support_tui.tui.widgets.sidebar import PRIORITY_STYLE

if TYPE_CHECKING:
    from support_tui.core.store.records.values import ConversationInfo, PendingToolCall, StoredMessage

SORTS = ("priority", "recent", "waiting")
"""priority: escalated first, by priority (the engine's order); recent: newest message first;
waiting: conversations with a decision waiting first."""


@dataclass(frozen=True)
class QueueRow:
    """What one queue row says about a conversation."""

    conversation_id: str
    customer: str
    status: str
    priority: str | None
    last_at: str
    """ISO time of the newest message (or the conversation's last change)."""
    subject: str
    """The customer's first request, or the specialist when there is none yet."""
    unread: bool
    """A customer message arrived since a person last had this conversation open."""
    waiting: int
    """Tool calls and drafts waiting for a person's decision."""
    human: bool
    """A person took the conversation over."""
    rank: int
    """Position in the engine's order (escalated first, by priority)."""
    held_by: str | None = None
    """The person whose claim holds the conversation (a take-over on any console)."""
    waiting_since: str | None = None
    """ISO time the oldest of its waiting decisions began waiting (Ctrl+G goes to the oldest in the queue)."""

    def matches(self, words: list[str]) -> bool:
        hay = f"{self.conversation_id} {self.customer} {self.status} {self.priority or ''} {self.subject}".lower()
        return all(w in hay for w in words)


def short_id(conversation_id: str) -> str:
    """The last 6 characters are enough to tell conversations apart on screen."""
    return conversation_id.removeprefix("conv_")[-6:]


def clock(iso: str, today: str) -> str:
    """``2026-11-26T09:14:03...`` → ``09:14`` on ``today`` (a date), else ``11-26``."""
    if len(iso) < 16:
        return iso
    return iso[11:16] if iso[:10] == today else iso[5:10]


class ConversationQueue(Vertical):
    """Open and escalated conversations. ``/`` filters, ``s`` changes the order, Enter opens."""

    SCOPED_CSS = False
    DEFAULT_CSS = """
    ConversationQueue {
        height: 1fr;
        border: round $primary 50%;
        border-title-color: $text-primary;
    }
    #queue-options {
        height: 1fr;
        border: none;
        background: transparent;
        /* The scrollbar's column is kept from the start: rows cut to the width before it appeared wrapped. */
        scrollbar-gutter: stable;
    }
    #queue-filter {
        margin: 0 1;
    }
    """
    """Parsed when the first one mounts (after the console's first frame), not with app.tcss before it."""

    BINDINGS = [
        Binding("slash", "filter", "Filter"),
        Binding("s", "sort", "Sort"),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rows: list[QueueRow] = []
        self.current: str | None = None
        self.sort = SORTS[0]
        self.has_drawn = False
        """The rows are on screen (the first ``show`` draws even an empty queue and its subtitle)."""

    def compose(self) -> ComposeResult:
        yield Input(placeholder="filter: id, name, subject, status", id="queue-filter", compact=True)
        yield OptionList(id="queue-options")

    def on_mount(self) -> None:
        self.border_title = "Queue"
        self.query_one("#queue-filter").display = False

    @property
    def options(self) -> OptionList:
        return self.query_one("#queue-options", OptionList)

    def show(self, rows: list[QueueRow], current: str | None) -> None:
        if self.has_drawn and rows == self.rows and current == self.current:
            return  # nothing a row shows has changed: a rebuild would re-render the column mid-turn for nothing
        self.rows, self.current = rows, current
        self._redraw()

    def _ordered(self) -> list[QueueRow]:
        words = self.query_one("#queue-filter", Input).value.lower().split()
        rows = [r for r in self.rows if r.matches(words)]
        if self.sort == "recent":
            rows.sort(key=lambda r: r.last_at, reverse=True)
        elif self.sort == "waiting":
            rows.sort(key=lambda r: (-r.waiting, not r.unread, r.rank))
        else:
            rows.sort(key=lambda r: r.rank)
        return rows

    def _prompt(self, row: QueueRow) -> Content:
        active = row.conversation_id == self.current
        flags = Content.assemble(
            ("▶" if active else " ", "bold $accent"),
            ("⚑" if row.status == "escalated" else " ", "bold $error"),
            ("●" if row.unread else " ", "bold $accent"),
            (f"◆{row.waiting}" if row.waiting else "  ", "bold $warning"),
        )
        name_style = "bold $text-accent" if active else "bold"
        today = max((r.last_at[:10] for r in self.rows), default="")
        # Each of the two lines fits the column, cut with an ellipsis: a line that wrapped put the time on a
        # line of its own, and rows whose subjects were cut read as identical conversations.
        width = self.options.scrollable_content_region.width or 34
        time = " " + clock(row.last_at, today)
        name_room = max(width - flags.cell_length - 1 - len(time), 4)
        first = Content.assemble(flags, " ", (clip(row.customer, name_room).ljust(min(22, name_room)), name_style),
                                 (time, "dim"))
        second = Content.assemble(
            "  ", (short_id(row.conversation_id), "dim"), " ", (row.status, "italic"),
            (f" {row.priority}" if row.priority else "", PRIORITY_STYLE.get(row.priority or "", "")),
            (f" held by {clip(row.held_by, 14)}" if row.held_by else " human" if row.human else "", "$warning"),
        )
        room = width - second.cell_length - 2
        if room >= 8:
            second = Content.assemble(second, "  ", clip(row.subject, room))
        lines = [line.truncate(width, ellipsis=True) if line.cell_length > width else line for line in (first, second)]
        return Content("\n").join(lines)

    def _redraw(self) -> None:
        self.has_drawn = True
        options = self.options
        highlighted = options.highlighted_option.id if options.highlighted_option else None
        options.clear_options()
        rows = self._ordered()
        options.add_options([Option(self._prompt(r), id=r.conversation_id) for r in rows])
        # Decisions, not conversations: the same count as the tab badges and Ctrl+Q's question.
        set_subtitle(self, f"{len(self.rows)} open · {self.waiting()} waiting · by {self.sort}")
        ids = [r.conversation_id for r in rows]
        for wanted in (highlighted, self.current):
            if wanted in ids:
                options.highlighted = ids.index(wanted)
                break

    def waiting(self, *, besides: str | None = None) -> int:
        """Decisions waiting in the queue's conversations (all, or all but ``besides``)."""
        return sum(r.waiting for r in self.rows if r.conversation_id != besides)

    def action_filter(self) -> None:
        box = self.query_one("#queue-filter", Input)
        box.display = True
        box.focus()

    def on_resize(self) -> None:
        if self.has_drawn:
            # The rows are cut to the list's width, which is known only once the new size is laid out:
            # redrawn at once, they kept the old width and wrapped (the time on a line of its own).
            self.call_after_refresh(self._redraw)

    def on_key(self, event: events.Key) -> None:
        """Esc in the filter closes it (and shows every row again); it reached the screen's cancel before."""
        box = self.query_one("#queue-filter", Input)
        if event.key == "escape" and box.has_focus:
            event.stop()
            event.prevent_default()
            box.value = ""
            box.display = False
            self._redraw()
            self.options.focus()

    def action_sort(self) -> None:
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]
        self._redraw()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._redraw()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not event.value:
            event.input.display = False
        self.options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.post_message(ConversationPicked(event.option.id))

    def row_text(self, index: int) -> str:
        """The plain text of the row shown at ``index`` (for tests and screen readers)."""
        return str(self.options.get_option_at_index(index).prompt)


def queue_row(conv: ConversationInfo, customer: str, messages: Sequence[StoredMessage], pending: Sequence[PendingToolCall],
              seen: int | None, rank: int) -> QueueRow:
    """Build a row from a conversation, its messages and its waiting tool calls (``seen``: last message id read)."""
    customer_messages = [m for m in messages if m.role == "customer"]
    draft_times = [m.created_at for m in messages if m.status == "draft"]
    since = min([*draft_times, *(p.created_at for p in pending)], default=None)
    subject = customer_messages[0].text if customer_messages else (f"with {conv.agent}" if conv.agent else "no message yet")
    last = messages[-1].created_at if messages else conv.updated_at
    unread = bool(customer_messages) and (seen is None or customer_messages[-1].id > seen)
    return QueueRow(conversation_id=conv.id, customer=drawable(customer), status=conv.status, priority=conv.priority,
                    last_at=last, subject=drawable(subject), unread=unread, waiting=len(pending) + len(draft_times),
                    human=conv.handled_by == "human", rank=rank, held_by=drawable(conv.held_by) if conv.held_by else None,
                    waiting_since=since)


def iso_ms(iso: str | None) -> float:
    """An ISO time as milliseconds since the epoch (the events' clock); unreadable: never the oldest."""
    from datetime import datetime

    try:
        return datetime.fromisoformat(iso or "").timestamp() * 1000
    except ValueError:
        return float("inf")
