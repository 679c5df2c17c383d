"""Messages that travel up the console: engine events and people's decisions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from textual.message import Message

if TYPE_CHECKING:  # the console draws its first frame before the engine's modules load
    from support_tui.core.events import Event


class EngineEvent(Message):
    """One engine event, delivered to the screen in the order the engine emitted it."""

    def __init__(self, event: Event, *, replayed: bool = False) -> None:
        super().__init__()
        self.event = event
        self.replayed = replayed
        """True when rebuilt from a stored trace: panels update, the conversation is not redrawn."""


class ToolDecision(Message):
    """A person decided on a pending tool call."""

    def __init__(self, call_id: str, action: Literal["approve", "edit", "deny"]) -> None:
        super().__init__()
        self.call_id = call_id
        self.action = action


class DraftDecision(Message):
    """A person decided on an AI draft (supervised mode)."""

    def __init__(self, message_id: int, action: Literal["send", "edit", "reject"]) -> None:
        super().__init__()
        self.message_id = message_id
        self.action = action


class ConversationPicked(Message):
    """A conversation was chosen from the queue."""

    def __init__(self, conversation_id: str) -> None:
        super().__init__()
        self.conversation_id = conversation_id


class StoreChanged(Message):
    """An event from the engine's subscription: something in the store changed (any view, any turn)."""

    def __init__(self, event: Event) -> None:
        super().__init__()
        self.event = event
