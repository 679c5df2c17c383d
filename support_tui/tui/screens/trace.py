"""The full trace of a conversation: every event of every turn with its time; copy or export as JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import DataTable, Static

from support_tui.tui.screens.dialogs import Dialog
from support_tui.tui.text import drawable

if TYPE_CHECKING:
    from support_tui.core.events import Event


def summarize(event: Event) -> str:
    """One line on what an event says."""
    match event.kind:
        case "turn_started":
            return f"{event.actor}: {event.text}"
        case "sentiment_scored":
            return f"{event.compound:+.2f} {event.label}, trend {event.trend}"
        case "route_decided":
            return f"{event.agent} conf {event.confidence:.2f} margin {event.margin:+.2f} ({event.method})"
        case "handoff_made":
            return f"{event.packet.from_agent} → {event.packet.to_agent}: {event.packet.reason}"
        case "escalation_raised":
            return f"{event.priority} · {event.rule}: {event.reason}"
        case "knowledge_retrieved":
            return ", ".join(f"{s.title} {s.score:.2f}" for s in event.snippets) or "nothing"
        case "model_called":
            return f"{event.model} step {event.step}"
        case "model_failed":
            return f"{event.model}: {event.error} → {event.next_model}"
        case "tool_call_requested":
            return f"{event.name} {json.dumps(event.arguments, default=str)}"
        case "tool_call_finished":
            return f"{event.name} {event.status} {event.duration_ms:.0f} ms {event.rule or ''}".strip()
        case "reply_delta":
            return repr(event.text)
        case "reply_reset":
            return f"reset ({event.model})"
        case "reply_completed":
            return f"{'draft ' if event.draft else ''}{event.agent} via {event.model}: {event.text}"
        case "conversation_changed":
            return f"{event.change} by {event.by or 'the customer/engine'} → {event.status}" + (f": {event.detail}" if event.detail else "")
        case "notice":
            return f"{event.level} {event.code}: {event.message}"
        case "turn_completed":
            total = event.timings_ms.get("total")
            return f"{event.status}" + (f" in {total:.0f} ms" if total is not None else "") + (f" · {event.error}" if event.error else "")
    return ""


def trace_json(events: list[Event]) -> str:
    return json.dumps([e.model_dump(mode="json") for e in events], indent=2, ensure_ascii=False)


class TraceDialog(Dialog):
    """Every event, timed relative to the first one; the selected event's JSON below."""

    BINDINGS = [
        Binding("c", "copy", "Copy JSON"),
        Binding("x", "export", "Export JSON"),
    ]

    def __init__(self, conversation_id: str, events: list[Event], export_dir: Path) -> None:
        super().__init__(f"Trace · {conversation_id} · {len(events)} events")
        self.conversation_id = conversation_id
        self.events = events
        self.export_dir = export_dir

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box -wide"):
            yield DataTable(id="trace-table", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="trace-detail-scroll"):
                yield Static(Content("Select an event."), id="trace-detail")
            yield Static(Content("↑↓ select · c copy · x export JSON · Esc close"), classes="dialog-help")

    def on_mount(self) -> None:
        super().on_mount()
        table = self.query_one(DataTable)
        table.add_columns("+ms", "Δms", "turn", "event", "detail")
        start = self.events[0].at if self.events else 0.0
        previous = start
        for index, event in enumerate(self.events):
            # Text cells: a string cell would be parsed as markup, and events carry customer text.
            table.add_row(
                Text(f"{event.at - start:.0f}", justify="right"), Text(f"{event.at - previous:.0f}", justify="right"),
                Text(event.turn_id[-10:]), Text(event.kind), Text(drawable(summarize(event))[:110]), key=str(index),
            )
            previous = event.at
        if not self.events:
            self.query_one("#trace-detail", Static).update(Content("No events recorded for this conversation yet."))
        table.focus()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is None:
            return
        chosen = self.events[int(event.row_key.value)]
        self.query_one("#trace-detail", Static).update(Content(drawable(chosen.model_dump_json(indent=2))))

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(trace_json(self.events))
        self.notify(f"Copied {len(self.events)} events to the clipboard.")

    def action_export(self) -> None:
        """Into the data directory's exports/, never wherever the console happened to be started."""
        path = self.export_dir / f"trace-{self.conversation_id}.json"
        try:
            self.export_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(trace_json(self.events), encoding="utf-8")
        except OSError as exc:
            self.notify(f"Could not write {path}: {exc}", severity="error")
            return
        self.notify(f"Trace exported to {path}", timeout=8)
