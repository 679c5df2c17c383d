"""The ``SupportStore`` Protocol: every read and write of support records, whatever database holds them.

One implementation (``records.support_store.SQLSupportStore``, on SQLite and PostgreSQL alike) implements
every method here and keeps its SQL to itself. Callers hand over and get back the typed records of
``support_tui.core.store.records.values``; ids and timestamps are text, as the records describe.

Reads that a turn makes are bounded (``recent_messages``, ``customer_messages``, ``events`` of one
turn), and an adapter backs each with an index, so a turn costs the same at message 5 and 500.
"""

from __future__ import annotations

from datetime import datetime
from contextlib import AbstractAsyncContextManager
from typing import Any, AsyncGenerator, Callable, Protocol, Sequence, runtime_checkable

from support_tui.core.events import Event
from support_tui.core.store.queue.jobs import DEFAULT_MAX_ATTEMPTS, QueuedMessage, TurnJob
from support_tui.core.store.records.values import (
    ConversationInfo,
    FixtureHistory,
    MemoryEntry,
    MetricRecords,
    PendingToolCall,
    Rating,
    StoreChange,
    StoredMessage,
    TurnRecord,
)


@runtime_checkable
class SupportStore(Protocol):
    """Conversations, messages, turns and their event trace, approvals, ratings, memory and metrics."""

    # set-up --------------------------------------------------------------------------------------

    async def migrate(self) -> int:
        """Bring the schema up to date (a no-op when it is) and return its version.

        Every other method calls it on first use, so a fresh database sets itself up; calling it
        first only moves that moment.
        """
        ...

    async def close(self) -> None:
        """Release what the store holds of its own (a connection pool); a shared database is closed by its owner."""
        ...

    # conversations -------------------------------------------------------------------------------

    async def create_conversation(
        self, customer_id: str, *, mode: str = "auto", model: str | None = None, conversation_id: str | None = None
    ) -> ConversationInfo:
        """A new open conversation of ``customer_id`` (a fresh id unless ``conversation_id`` is given)."""
        ...

    async def get_conversation(self, conversation_id: str) -> ConversationInfo | None:
        """One conversation, or None when there is no such conversation."""
        ...

    async def list_conversations(
        self, *, customer_id: str | None = None, statuses: Sequence[str] | None = None, limit: int = 200
    ) -> list[ConversationInfo]:
        """Conversations, most recently updated first, optionally of one customer and/or in these statuses."""
        ...

    async def update_conversation(self, conversation_id: str, **fields: Any) -> None:
        """Set these columns of a conversation (``state`` is stored as JSON) and stamp ``updated_at``.

        Field names are ``ConversationInfo``'s; an unknown name raises ``ValueError``.
        """
        ...

    # messages ------------------------------------------------------------------------------------

    async def add_message(
        self,
        conversation_id: str,
        role: str,
        text: str,
        *,
        turn_id: str | None = None,
        agent: str | None = None,
        model: str | None = None,
        status: str = "sent",
        reply_to: int | None = None,
    ) -> int:
        """Store a message (and touch the conversation's ``updated_at``); returns its id.

        Ids grow with every message, so ordering by id is ordering by arrival. ``reply_to`` marks a
        queued turn's reply with the customer's message it answers: a message keeps one reply, so a
        second one (a turn run again after its worker was thought dead) is not stored and the first
        one's id is returned.
        """
        ...

    async def set_message(self, message_id: int, *, text: str | None = None, status: str | None = None) -> None:
        """Change a message's text and/or status (a draft sent, edited or rejected)."""
        ...

    async def get_message(self, message_id: int) -> StoredMessage | None:
        """One message, or None."""
        ...

    async def messages(self, conversation_id: str) -> list[StoredMessage]:
        """Every message of a conversation, oldest first (unbounded: for views and exports, not for turns)."""
        ...

    async def recent_messages(self, conversation_id: str, limit: int) -> list[StoredMessage]:
        """The last ``limit`` messages of a conversation, oldest first."""
        ...

    async def customer_messages(self, conversation_id: str, limit: int) -> list[StoredMessage]:
        """The last ``limit`` messages the customer wrote in a conversation, oldest first."""
        ...

    async def messages_after(
        self, conversation_id: str, after: int, limit: int, *, roles: Sequence[str], status: str = "sent"
    ) -> list[StoredMessage]:
        """A page: the first ``limit`` messages with an id above ``after``, by one of ``roles`` and in
        ``status``, oldest first (the next page starts after the last one's id)."""
        ...

    async def ping(self) -> None:
        """Reach the database with one round trip; raises when it cannot be reached."""
        ...

    # turns and the trace -------------------------------------------------------------------------

    async def start_turn(self, turn_id: str, conversation_id: str, message_id: int | None) -> None:
        """Record that a turn is running (a process killed now leaves it ``running``)."""
        ...

    async def append_events(self, events: Sequence[Event]) -> None:
        """Append events to the trace (each carries its conversation and turn); never rewrites earlier ones."""
        ...

    async def finish_turn(
        self,
        turn_id: str,
        *,
        status: str,
        events: Sequence[Event],
        agent: str | None = None,
        model: str | None = None,
        error: str | None = None,
        timings: dict[str, float] | None = None,
        usage: Any = None,
    ) -> None:
        """Store the turn's outcome and append ``events`` (those not appended yet) in one transaction.

        ``usage`` is anything with ``prompt_tokens``, ``completion_tokens`` and ``cost_usd``.
        """
        ...

    async def mark_interrupted_turns(self, *, grace_s: float = 0.0) -> int:
        """Turns left ``running`` by a killed process become ``interrupted`` (they can be re-run); returns how many.

        A turn a worker runs under a live queue lease is never touched (another machine is running
        it). ``grace_s`` leaves alone turns that started less than that many seconds ago: on a store
        shared by several machines a console's turn has no lease, so only an old one is known dead.
        """
        ...

    async def turns(self, conversation_id: str) -> list[TurnRecord]:
        """Every turn of a conversation, in the order they started."""
        ...

    async def events(self, conversation_id: str, turn_id: str | None = None) -> list[Event]:
        """The trace of a conversation (or of one of its turns), in the order it was written."""
        ...

    # approvals -----------------------------------------------------------------------------------

    async def add_pending_call(self, call: PendingToolCall) -> None:
        """Store a call that waits for a person (replacing an earlier record with the same ``call_id``)."""
        ...

    async def pending_calls(self, conversation_id: str | None = None) -> list[PendingToolCall]:
        """Calls still ``pending``, oldest first: of one conversation, or all of them."""
        ...

    async def resolve_pending_call(self, call_id: str, status: str, note: str | None) -> None:
        """A person decided: set the call's status (approved, denied ...) and note."""
        ...

    # ratings and memory --------------------------------------------------------------------------

    async def rate(self, conversation_id: str, score: int, comment: str | None = None) -> None:
        """The customer's 1-5 rating of a conversation (a later rating replaces it); ``ValueError`` outside 1-5."""
        ...

    async def rating(self, conversation_id: str) -> Rating | None:
        """A conversation's rating, or None."""
        ...

    async def remember(self, customer_id: str, conversation_id: str, summary: str) -> None:
        """Remember a conversation in a sentence or two (a later summary of it replaces the earlier one)."""
        ...

    async def memories(self, customer_id: str, limit: int = 5) -> list[MemoryEntry]:
        """What is remembered of the customer's conversations, newest first."""
        ...

    async def forget(self, customer_id: str) -> int:
        """Forget everything remembered of a customer; returns how many entries went."""
        ...

    # metrics and fixture data --------------------------------------------------------------------

    async def metric_records(self, since: datetime | None, include_fixture: bool) -> MetricRecords:
        """What metrics need about conversations created at or after ``since`` (None: all)."""
        ...

    async def fixture_history_loaded(self) -> bool:
        """True once a generated history (``is_fixture`` conversations) is in the store."""
        ...

    async def add_fixture_history(self, build: Callable[[int], FixtureHistory]) -> int:
        """Write a generated history in one transaction; returns how many conversations it added.

        ``build(first_message_id)`` makes the records (its message ids start at the first free id).
        A no-op returning 0 when the history's first conversation is already stored.
        """
        ...

    # a team on one store: claims, decisions, the change feed ----------------------------------------

    async def claim_conversation(self, conversation_id: str, holder: str) -> str | None:
        """Claim the conversation for ``holder`` in one conditional write (it succeeds when nobody holds it,
        or ``holder`` already does); returns who holds it afterwards (None: no such conversation)."""
        ...

    async def release_conversation(self, conversation_id: str, holder: str) -> bool:
        """Drop ``holder``'s claim (a conditional write); False when ``holder`` did not hold it."""
        ...

    async def get_pending_call(self, call_id: str) -> PendingToolCall | None:
        """One call that waited for a person, whatever its status now, or None."""
        ...

    async def decide_pending_call(self, call_id: str, status: str, by: str, note: str | None = None) -> bool:
        """Record a person's decision on a call still ``pending``, in one conditional write; False when it
        was no longer pending (another person decided first), and then nothing changes."""
        ...

    def changes(self, poll_s: float = 1.0) -> AsyncGenerator[StoreChange, None]:
        """Every committed write to a conversation, its messages or its pending calls, by any process, as it
        happens (PostgreSQL: LISTEN/NOTIFY; SQLite: a change counter polled every ``poll_s``). Runs until
        closed (``aclose``); changes made before it started are not replayed."""
        ...

    # queued turns (the customer channel and its workers) ------------------------------------------

    async def enqueue_customer_message(self, conversation_id: str, text: str) -> QueuedMessage:
        """Store a customer's message and queue its turn in one transaction (``LookupError``, nothing
        written, when there is no such conversation)."""
        ...

    async def claim_turn_job(
        self, worker: str, lease_s: float, *, max_attempts: int = DEFAULT_MAX_ATTEMPTS
    ) -> TurnJob | None:
        """Claim the oldest queued message of a conversation with no turn running (or whose claim lapsed)
        for ``worker`` for ``lease_s`` seconds, with a fresh ``turn_id``; None when nothing waits.

        Claims that lapsed ``max_attempts`` times are marked failed instead, and the customer gets one
        ``system`` reply saying so (``GAVE_UP_REPLY``). A claim lapses when its lease ends or when the
        worker holding it showed its presence and is gone. Two workers never hold
        one conversation at once, and a conversation's messages are claimed in the order they arrived.
        """
        ...

    def worker_presence(self, worker: str) -> AbstractAsyncContextManager[None]:
        """While the block runs, ``worker`` is known alive, and the claims it makes meanwhile are taken over
        as soon as it dies, not when their lease lapses (PostgreSQL: a session-level advisory lock held on
        a connection of its own; SQLite: the worker's process id, checked by workers on the same host)."""
        ...

    async def renew_turn_job(self, job: TurnJob, lease_s: float) -> bool:
        """Extend this claim's lease to ``lease_s`` seconds from now; False when the claim is no longer this one's."""
        ...

    async def finish_turn_job(self, job: TurnJob, status: str, error: str | None = None) -> bool:
        """End this claim ``done`` or ``failed``; False (and nothing changes) when the claim is no longer this one's."""
        ...

    async def release_turn_job(self, job: TurnJob) -> bool:
        """Give this claim back unfinished (a worker stopping): the message waits for the next claim."""
        ...

    async def turn_jobs(self, conversation_id: str | None = None, *, statuses: tuple[str, ...] = ()) -> list[TurnJob]:
        """Queued turns, oldest message first: of one conversation or all, optionally in these statuses."""
        ...
