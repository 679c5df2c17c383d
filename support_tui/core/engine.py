"""The ``SupportEngine`` Protocol every view codes against, and ``Engine``, built from its parts."""

from __future__ import annotations

import asyncio
import gc
import logging
from contextlib import aclosing
from datetime import datetime
from pathlib import Path
from typing import Any, AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping, Protocol, Sequence, runtime_checkable

from support_tui.core.events import ChangeKind, ConversationChanged, Event
from support_tui.core.metrics.figures import Metrics, compute_metrics
from support_tui.core.paths import DataPaths, kb_source_dir
from support_tui.core.settings import Settings
from support_tui.core.shop import CallContext, CustomerCard, CustomerSummary, Shop, ToolOutcome
from support_tui.core.specialists import Team, default_team
from support_tui.core.state import ConversationState
from support_tui.core.store.protocol import SupportStore
from support_tui.core.store.queue.jobs import QueuedMessage, TurnJob
from support_tui.core.store.records.values import ConversationInfo, MemoryEntry, PendingToolCall, StoredMessage, utcnow
from support_tui.core.team import CallDecided, ChangeFollower, ConversationHeld, WaitingCall, waiting_calls
from support_tui.core.textsafety import CleanText, clean_message
from support_tui.core.turn.compare import Comparison, Side, compare_turn
from support_tui.core.turn.fork import ForkRun, conversation_parts, fork_turn
from support_tui.core.turn.lifecycle import TurnRunner
from support_tui.core.turn.parts import TurnParts
from support_tui.core.turn.tools import ENGINE_RULES, ToolRunner

log = logging.getLogger("support_tui.engine")
Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)`` while the engine gets ready."""
Loader = Callable[[], Awaitable[tuple[Any, Any, Any, Any, Any, Any]]]
"""Builds (kb, embedder, router, models, human-request detector, intent classifier) off the critical path:
heavy imports live there."""

OUTCOMES = ("resolved", "abandoned", "escalated")
"""How a person can close a conversation: solved, the customer left, or handed to another team."""
PRIORITY_RANK = {"urgent": 0, "high": 1, "normal": 2, "low": 3}


@runtime_checkable
class SupportEngine(Protocol):
    """What the console, the CLI and the scenario runner may ask of the engine; nothing else."""

    settings: Settings

    @property
    def ready(self) -> bool:
        """The models, router and knowledge base are loaded."""
        ...

    def start_background(self, progress: Progress | None = None) -> None:
        """Start loading the heavy parts without blocking the caller."""
        ...

    async def wait_ready(self) -> None:
        """Wait for the heavy parts; raises RuntimeError when they could not load."""
        ...

    async def close(self) -> None:
        """Stop loading and close the store."""
        ...

    # customers and conversations
    async def customers(self) -> list[CustomerSummary]:
        """Every customer of the shop."""
        ...

    async def customer_brief(self, customer_id: str) -> CustomerSummary:
        """One customer (LookupError when unknown)."""
        ...

    async def customer_card(self, customer_id: str) -> CustomerCard:
        """The customer card: the shop's view plus open tickets and memory."""
        ...

    async def open_conversation(self, customer_id: str, *, new: bool = False, mode: str | None = None) -> ConversationInfo:
        """Resume the customer's latest open conversation, or start one."""
        ...

    async def get_conversation(self, conversation_id: str) -> ConversationInfo:
        """One conversation (LookupError when unknown)."""
        ...

    async def conversations(self, statuses: list[str] | None = None) -> list[ConversationInfo]:
        """The queue: open and escalated by default, escalated first by priority, then the most recent."""
        ...

    async def messages(self, conversation_id: str) -> list[StoredMessage]:
        """Every message of a conversation, drafts included (views decide what to show)."""
        ...

    async def trace(self, conversation_id: str) -> list[Event]:
        """Every stored event of a conversation, in order."""
        ...

    async def pending_tool_calls(self, conversation_id: str) -> list[PendingToolCall]:
        """Calls waiting for a person's decision."""
        ...

    def rules(self) -> Mapping[str, str]:
        """Every policy rule by name (the shop's and the engine's), with its one line."""
        ...

    def available_models(self) -> list[str]:
        """Models a person can switch to (keys set or not)."""
        ...

    async def read_shop(self, customer_id: str, tool: str, arguments: Mapping[str, Any]) -> ToolOutcome:
        """Run one of the shop's read tools for a customer (writes are refused)."""
        ...

    # turns
    def run_turn(
        self, conversation_id: str, text: str, *, actor: str = "customer", route_override: str | None = None
    ) -> AsyncIterator[Event]:
        """A customer's message (or a person's, ``actor="human"``) and everything it causes."""
        ...

    def rerun_turn(self, conversation_id: str, *, route_override: str | None = None) -> AsyncIterator[Event]:
        """The customer's last real request again, perhaps with another specialist."""
        ...

    async def submit_message(self, conversation_id: str, text: str) -> QueuedMessage:
        """A customer's message from the channel, cleaned, stored and its turn queued for a worker in one write.

        ``LookupError`` for an unknown conversation, ``EmptyMessage`` (a ``ValueError``) for an empty
        one; nothing is stored then.
        """
        ...

    def run_queued_turn(self, job: TurnJob) -> AsyncIterator[Event]:
        """The turn of a queued message that a worker claimed (the message is stored already)."""
        ...

    def resolve_tool_call(
        self, conversation_id: str, call_id: str, *, approve: bool, arguments: dict[str, Any] | None = None,
        reason: str | None = None, by: str | None = None,
    ) -> AsyncIterator[Event]:
        """A person's approval or denial of a waiting call, and the agent's reply to the customer."""
        ...

    async def check_tool_arguments(self, conversation_id: str, call_id: str, arguments: dict[str, Any]) -> list[str]:
        """Why edited arguments for a waiting call could not run (empty when they could)."""
        ...

    # a person's actions
    async def approve_draft(self, message_id: int, text: str | None = None, *, by: str | None = None) -> None:
        """Send a draft reply, perhaps edited."""
        ...

    async def reject_draft(self, message_id: int, reason: str | None = None, *, by: str | None = None) -> None:
        """Withdraw a draft reply."""
        ...

    async def send_human_message(self, conversation_id: str, text: str, *, by: str | None = None) -> int:
        """A person writes to the customer."""
        ...

    async def take_over(self, conversation_id: str, *, by: str | None = None) -> None:
        """A person handles the conversation and claims it in the store; the AI stops replying.
        ``ConversationHeld`` (nothing changes) when another person's claim holds it."""
        ...

    async def hand_back(self, conversation_id: str, *, by: str | None = None) -> None:
        """The AI team handles the conversation again and the claim is released.
        ``ConversationHeld`` (nothing changes) when another person's claim holds it."""
        ...

    async def approvals(self) -> list[WaitingCall]:
        """Every call waiting for a person, across conversations, oldest first, with its quote."""
        ...

    async def pending_call(self, call_id: str) -> PendingToolCall | None:
        """One call that waited for a person, whatever its status now (None: no such call)."""
        ...

    async def escalate(self, conversation_id: str, reason: str, *, priority: str = "high", by: str | None = None) -> Event:
        """Put the conversation in the human queue with a packet."""
        ...

    async def set_model(self, conversation_id: str, model: str | None) -> None:
        """The model for this conversation (None: each specialist's default)."""
        ...

    async def set_mode(self, conversation_id: str, mode: str) -> None:
        """auto or supervised."""
        ...

    async def rate(self, conversation_id: str, score: int, comment: str | None = None) -> None:
        """The customer's rating, 1-5."""
        ...

    async def close_conversation(self, conversation_id: str, outcome: str = "resolved", *, by: str | None = None) -> None:
        """Close with an outcome: resolved, abandoned or escalated (to another team)."""
        ...

    async def memories(self, customer_id: str, limit: int = 50) -> list[MemoryEntry]:
        """What is remembered of a customer's earlier conversations, newest first."""
        ...

    async def forget_customer(self, customer_id: str) -> int:
        """Delete what is remembered about a customer; returns how many entries went."""
        ...

    async def metrics(
        self, *, since: datetime | None = None, until: datetime | None = None, include_fixture: bool = True
    ) -> Metrics:
        """Support metrics of conversations created in [since, until)."""
        ...

    # debugging agents
    async def fork(self, conversation_id: str, *, turn: int, model: str | None = None, route: str | None = None) -> ForkRun:
        """Turn ``turn`` (the N-th customer message, from 1) run again as a new conversation linked to this one,
        on a sandbox of the shop rebuilt as it was then, with another model or specialist (``core.turn.fork``).
        LookupError for an unknown conversation or turn; ValueError for an unknown specialist."""
        ...

    async def compare(
        self, conversation_id: str, *, turn: int, models: Sequence[str | None] | None = None,
        routes: Sequence[str | None] | None = None,
    ) -> Comparison:
        """Turn ``turn`` run once per model (or specialist; both lists pair up) on copies of the same rebuilt state;
        nothing is stored (``core.turn.compare``)."""
        ...

    def subscribe(self) -> "asyncio.Queue[Event]":
        """A queue that receives every event the engine emits from now on, and a ``ConversationChanged`` of
        kind ``synced`` for each write the store reports (another console's, a worker's, this engine's own)."""
        ...

    def unsubscribe(self, queue: "asyncio.Queue[Event]") -> None:
        """Stop delivering to a queue from ``subscribe``."""
        ...


class Engine:
    """Runs customer turns over the store, the shop, the knowledge base, the router and the models."""

    def __init__(
        self,
        *,
        settings: Settings,
        store: SupportStore,
        shop: Shop,
        kb: Any = None,
        embedder: Any = None,
        router: Any = None,
        models: Any = None,
        human_requests: Any = None,
        intents: Any = None,
        loader: Loader | None = None,
        team: Team | None = None,
        paths: DataPaths | None = None,
        on_close: Callable[[], Awaitable[None]] | None = None,
        kb_source: Path | None = None,
    ) -> None:
        self.settings = settings
        self.kb_source = kb_source or kb_source_dir()
        """The shop's knowledge-base articles, ingested when the index is empty (the shop names them)."""
        self.store = store
        self.shop = shop
        self.parts = TurnParts(settings=settings, store=store, shop=shop, team=team or default_team(), kb=kb,
                               embedder=embedder, router=router, models=models, human_requests=human_requests,
                               intents=intents)
        self.turns = TurnRunner(self.parts, self.wait_ready)
        self.paths = paths
        self._loader = loader
        self._on_close = on_close
        self._ready = asyncio.Event()
        self._ready_task: asyncio.Task[None] | None = None
        self._subscribers: list[asyncio.Queue[Event]] = []
        self._follower = ChangeFollower(store, self._publish, settings.change_poll_s)
        self.ready_error: str | None = None

    # readiness -----------------------------------------------------------------------------

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    def start_background(self, progress: Progress | None = None) -> None:
        """Load the embedding model, the router's exemplars and the KB without blocking the caller."""
        if self._ready_task is None:
            self._ready_task = asyncio.create_task(self._get_ready(progress))

    async def _get_ready(self, progress: Progress | None) -> None:
        parts = self.parts
        try:
            if progress:
                progress("model", 0, 1)
            if self._loader is not None:
                # Heavy imports (LiteLLM, LanceDB, torch) happen here, after a console's first frame.
                (parts.kb, parts.embedder, parts.router, parts.models, parts.human_requests,
                 parts.intents) = await self._loader()
            await parts.embedder.aload()  # type: ignore[union-attr]
            await parts.router.prepare()  # type: ignore[union-attr]
            if parts.human_requests is not None:
                await parts.human_requests.prepare()  # type: ignore[attr-defined]
            if parts.intents is not None:
                await parts.intents.prepare()
            await self._warm_up()
            # Torch, transformers and LiteLLM leave millions of long-lived objects; a full
            # collection that walks them all blocked the event loop for 0.5 s mid-turn (measured
            # in the console). Moving what exists now out of the collector's reach removes that.
            gc.collect()
            gc.freeze()
            if await parts.kb.is_empty():  # type: ignore[union-attr]
                await parts.kb.ingest(self.kb_source, progress=(lambda d, t, name: progress("kb", d, t)) if progress else None)  # type: ignore[union-attr]
            if progress:
                progress("ready", 1, 1)
        except Exception as exc:  # surfaced by wait_ready and the console
            log.exception("engine failed to get ready")
            self.ready_error = f"{type(exc).__name__}: {exc}"
        finally:
            self._ready.set()

    async def _warm_up(self) -> None:
        """First calls into VADER and LiteLLM cost seconds; make them before a customer's turn."""
        from support_tui.core.sentiment import score_message
        from support_tui.core.settings import OFFLINE_MODEL

        await asyncio.to_thread(score_message, "warming up")
        tools = [spec.schema() for spec in list(self.shop.tools().values())[:3]]
        for offered in (None, tools):
            async for _ in self.parts.models.stream([OFFLINE_MODEL], [{"role": "user", "content": "hello"}], offered):  # type: ignore[union-attr]
                pass

    async def wait_ready(self) -> None:
        self.start_background()
        await self._ready.wait()
        if self.ready_error:
            raise RuntimeError(f"the engine could not start: {self.ready_error}")

    async def close(self) -> None:
        await self._follower.stop()
        if self._ready_task and not self._ready_task.done():
            self._ready_task.cancel()
            try:
                await self._ready_task
            except (asyncio.CancelledError, Exception):
                pass
        if self._on_close is not None:
            await self._on_close()

    # events --------------------------------------------------------------------------------

    def subscribe(self) -> "asyncio.Queue[Event]":
        queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=10_000)
        self._subscribers.append(queue)
        # A view that follows the engine follows the store too: other consoles' and workers' writes
        # arrive as ConversationChanged("synced") on this same queue.
        self._follower.start()
        return queue

    def unsubscribe(self, queue: "asyncio.Queue[Event]") -> None:
        if queue in self._subscribers:
            self._subscribers.remove(queue)

    def _publish(self, event: Event) -> None:
        for queue in self._subscribers:
            if not queue.full():  # a subscriber that stopped reading must not stall turns
                queue.put_nowait(event)

    async def _published(self, events: AsyncGenerator[Event, None]) -> AsyncGenerator[Event, None]:
        # Closing this stream (a cancelled turn) closes the turn's own, so its end is stored now.
        async with aclosing(events) as stream:
            async for event in stream:
                self._publish(event)
                yield event

    async def _change(self, conversation_id: str, change: ChangeKind, *, by: str | None, detail: str = "",
                      message_id: int | None = None) -> None:
        conv = await self.get_conversation(conversation_id)
        self._publish(await self.turns.record_change(conversation_id, change, by=by, detail=detail, status=conv.status,
                                                     message_id=message_id))

    # pieces --------------------------------------------------------------------------------

    def clean(self, text: str) -> CleanText:
        return clean_message(text, self.settings.max_message_chars)

    def rules(self) -> Mapping[str, str]:
        return {**self.shop.rules(), **ENGINE_RULES}

    async def read_shop(self, customer_id: str, tool: str, arguments: Mapping[str, Any]) -> ToolOutcome:
        spec = self.shop.tools().get(tool)
        if spec is None or spec.writes:
            return ToolOutcome(status="error", error=f"'{tool}' is not one of the shop's read tools.")
        runner = ToolRunner(self.shop, ConversationState(), CallContext(customer_id=customer_id, conversation_id=""),
                            approval_threshold=self.settings.approval_threshold)
        return (await runner.run(tool, arguments)).outcome

    # customers and conversations -----------------------------------------------------------

    async def customers(self) -> list[CustomerSummary]:
        return await self.shop.customers()

    async def customer_brief(self, customer_id: str) -> CustomerSummary:
        customer = await self.shop.customer(customer_id)
        if customer is None:
            raise LookupError(f"no customer {customer_id!r}")
        return customer

    async def customer_card(self, customer_id: str) -> CustomerCard:
        card = await self.shop.customer_card(customer_id)
        tickets = await self.store.list_conversations(customer_id=customer_id, statuses=["open", "escalated"], limit=10)
        return card.model_copy(update={
            "open_tickets": [
                {"conversation_id": c.id, "status": c.status, "priority": c.priority, "agent": c.agent} for c in tickets
            ],
            "memory": [m.model_dump() for m in await self.store.memories(customer_id)],
        })

    async def open_conversation(self, customer_id: str, *, new: bool = False, mode: str | None = None) -> ConversationInfo:
        await self.customer_brief(customer_id)  # raises LookupError for an unknown customer
        if not new:
            existing = await self.store.list_conversations(customer_id=customer_id, statuses=["open", "escalated"], limit=1)
            if existing:
                return existing[0]
        return await self.store.create_conversation(customer_id, mode=mode or self.settings.mode)

    async def get_conversation(self, conversation_id: str) -> ConversationInfo:
        return await self.turns.conversation(conversation_id)

    async def conversations(self, statuses: list[str] | None = None) -> list[ConversationInfo]:
        convs = await self.store.list_conversations(statuses=statuses or ["open", "escalated"])
        return sorted(convs, key=lambda c: (c.status != "escalated", PRIORITY_RANK.get(c.priority or "", 4)))

    async def messages(self, conversation_id: str) -> list[StoredMessage]:
        return await self.store.messages(conversation_id)

    async def trace(self, conversation_id: str) -> list[Event]:
        return await self.store.events(conversation_id)

    async def pending_tool_calls(self, conversation_id: str) -> list[PendingToolCall]:
        return await self.store.pending_calls(conversation_id)

    # turns ---------------------------------------------------------------------------------

    def run_turn(
        self, conversation_id: str, text: str, *, actor: str = "customer", route_override: str | None = None
    ) -> AsyncIterator[Event]:
        if actor == "human":
            return self._human_turn(conversation_id, text)
        route = self._agent(route_override)
        return self._on(conversation_id, lambda turns: turns.customer_message(conversation_id, text, route_override=route))

    def rerun_turn(self, conversation_id: str, *, route_override: str | None = None) -> AsyncIterator[Event]:
        route = self._agent(route_override)
        return self._on(conversation_id, lambda turns: turns.rerun(conversation_id, route_override=route))

    async def submit_message(self, conversation_id: str, text: str) -> QueuedMessage:
        cleaned = self.clean(text)
        queued = await self.store.enqueue_customer_message(conversation_id, cleaned.text)
        return queued.model_copy(update={"notices": tuple(message for _, message in cleaned.notices)})

    def run_queued_turn(self, job: TurnJob) -> AsyncIterator[Event]:
        return self._on(job.conversation_id, lambda turns: turns.queued_message(job))

    async def _on(
        self, conversation_id: str, turn: Callable[[TurnRunner], AsyncGenerator[Event, None]]
    ) -> AsyncGenerator[Event, None]:
        """A turn on the conversation's own parts (a fork runs on its sandbox), published as it goes."""
        conv = await self.get_conversation(conversation_id)
        async with conversation_parts(self.parts, conv) as parts:
            turns = self.turns if parts is self.parts else TurnRunner(parts, self.wait_ready)
            async with aclosing(self._published(turn(turns))) as events:
                async for event in events:
                    yield event

    def resolve_tool_call(
        self, conversation_id: str, call_id: str, *, approve: bool, arguments: dict[str, Any] | None = None,
        reason: str | None = None, by: str | None = None,
    ) -> AsyncIterator[Event]:
        return self._on(conversation_id, lambda turns: turns.resolve_call(
            conversation_id, call_id, approve=approve, arguments=arguments, reason=reason, by=by))

    async def check_tool_arguments(self, conversation_id: str, call_id: str, arguments: dict[str, Any]) -> list[str]:
        conv = await self.get_conversation(conversation_id)
        pending = next((p for p in await self.store.pending_calls(conv.id) if p.call_id == call_id), None)
        if pending is None:
            return [f"no pending tool call {call_id!r} in this conversation"]
        ctx = CallContext(customer_id=conv.customer_id, conversation_id=conv.id, escalated=conv.status == "escalated")
        runner = ToolRunner(self.shop, ConversationState.load(conv.state), ctx, approval_threshold=self.settings.approval_threshold)
        return await runner.problems(pending.name, arguments)

    def _agent(self, name: str | None) -> str | None:
        team = self.parts.team
        if name is not None and (name not in team or not team[name].routable):
            raise ValueError(f"unknown specialist {name!r}")
        return name

    async def _human_turn(self, conversation_id: str, text: str) -> AsyncGenerator[Event, None]:
        message_id = await self.send_human_message(conversation_id, text)
        from support_tui.core.events import Notice

        yield Notice(turn_id=f"human_{message_id}", conversation_id=conversation_id, code="human_message", message="Sent by a person.")

    # a person's actions --------------------------------------------------------------------

    async def _draft(self, message_id: int) -> StoredMessage:
        message = await self.store.get_message(message_id)
        if message is None or message.status != "draft":
            raise LookupError(f"no draft {message_id}")
        return message

    async def approve_draft(self, message_id: int, text: str | None = None, *, by: str | None = None) -> None:
        message = await self._draft(message_id)
        cleaned = self.clean(text).text if text is not None else None
        edited = cleaned is not None and cleaned != message.text
        await self.store.set_message(message_id, text=cleaned, status="sent")
        await self._change(message.conversation_id, "draft_edited" if edited else "draft_sent", by=by,
                           detail=f"message {message_id}" + (f": {cleaned}" if edited else ""), message_id=message_id)

    async def reject_draft(self, message_id: int, reason: str | None = None, *, by: str | None = None) -> None:
        message = await self._draft(message_id)
        await self.store.set_message(message_id, status="rejected")
        await self._change(message.conversation_id, "draft_rejected", by=by,
                           detail=f"message {message_id}" + (f": {reason}" if reason else ""), message_id=message_id)

    async def send_human_message(self, conversation_id: str, text: str, *, by: str | None = None) -> int:
        await self.get_conversation(conversation_id)
        return await self.store.add_message(conversation_id, "human", self.clean(text).text, agent=by or "human")

    async def _hold(self, conversation_id: str, holder: str | None) -> None:
        """Who handles the conversation themselves (None: the AI team), in the row and the typed state."""
        conv = await self.get_conversation(conversation_id)
        state = ConversationState.load(conv.state)
        state.taken_over_by = holder
        if state.escalation is not None:
            state.escalation.holder = holder
        await self.store.update_conversation(conversation_id, handled_by="human" if holder is not None else "ai",
                                             state=state.dump())

    async def take_over(self, conversation_id: str, *, by: str | None = None) -> None:
        await self.get_conversation(conversation_id)
        who = by or "human"
        holder = await self.store.claim_conversation(conversation_id, who)  # one conditional write: one winner
        if holder != who:
            raise ConversationHeld(conversation_id, holder or "someone")
        await self._hold(conversation_id, who)
        await self.store.add_message(conversation_id, "system", "A person took over the conversation.")
        await self._change(conversation_id, "taken_over", by=by)

    async def hand_back(self, conversation_id: str, *, by: str | None = None) -> None:
        conv = await self.get_conversation(conversation_id)
        who = by or "human"
        if conv.held_by is not None and conv.held_by != who:
            raise ConversationHeld(conversation_id, conv.held_by)
        if conv.held_by is not None and not await self.store.release_conversation(conversation_id, who):
            holder = (await self.get_conversation(conversation_id)).held_by
            raise ConversationHeld(conversation_id, holder or "someone")
        await self._hold(conversation_id, None)
        await self.store.add_message(conversation_id, "system", "The conversation was handed back to the AI team.")
        await self._change(conversation_id, "handed_back", by=by)

    async def approvals(self) -> list[WaitingCall]:
        return await waiting_calls(self.store, self.shop)

    async def pending_call(self, call_id: str) -> PendingToolCall | None:
        return await self.store.get_pending_call(call_id)

    async def escalate(self, conversation_id: str, reason: str, *, priority: str = "high", by: str | None = None) -> Event:
        event = await self.turns.escalate_by_hand(conversation_id, reason, priority=priority, by=by)
        self._publish(event)
        return event

    async def set_model(self, conversation_id: str, model: str | None) -> None:
        await self.get_conversation(conversation_id)
        await self.store.update_conversation(conversation_id, model=model)
        await self._change(conversation_id, "model_changed", by=None, detail=model or "each specialist's default")

    async def set_mode(self, conversation_id: str, mode: str) -> None:
        if mode not in ("auto", "supervised"):
            raise ValueError("mode is auto or supervised")
        await self.get_conversation(conversation_id)
        await self.store.update_conversation(conversation_id, mode=mode)
        await self._change(conversation_id, "mode_changed", by=None, detail=mode)

    def available_models(self) -> list[str]:
        from support_tui.core.llm import available_models

        return available_models(self.settings)

    async def rate(self, conversation_id: str, score: int, comment: str | None = None) -> None:
        await self.get_conversation(conversation_id)
        await self.store.rate(conversation_id, score, comment)
        await self._change(conversation_id, "rated", by=None, detail=f"{score}/5" + (f": {comment}" if comment else ""))

    async def close_conversation(self, conversation_id: str, outcome: str = "resolved", *, by: str | None = None) -> None:
        if outcome not in OUTCOMES:
            raise ValueError("outcome is resolved, abandoned or escalated")
        conv = await self.get_conversation(conversation_id)
        status = "escalated" if conv.status == "escalated" and outcome == "escalated" else "closed"
        await self.store.update_conversation(conversation_id, status=status, outcome=outcome, closed_at=utcnow())
        self._publish(await self.turns.record_change(conversation_id, "closed", by=by, detail=outcome, status=status))

    async def memories(self, customer_id: str, limit: int = 50) -> list[MemoryEntry]:
        return await self.store.memories(customer_id, limit=limit)

    async def forget_customer(self, customer_id: str) -> int:
        return await self.store.forget(customer_id)

    async def fork(self, conversation_id: str, *, turn: int, model: str | None = None, route: str | None = None) -> ForkRun:
        await self.wait_ready()
        return await fork_turn(self.parts, conversation_id, turn, ready=self.wait_ready, model=model,
                               route=self._agent(route), publish=self._publish)

    async def compare(
        self, conversation_id: str, *, turn: int, models: Sequence[str | None] | None = None,
        routes: Sequence[str | None] | None = None,
    ) -> Comparison:
        models, routes = list(models or []), list(routes or [])
        count = max(len(models), len(routes))
        sides = [Side(model=models[i] if i < len(models) else None, route=self._agent(routes[i] if i < len(routes) else None))
                 for i in range(count)]
        await self.wait_ready()
        return await compare_turn(self.parts, conversation_id, turn, sides, ready=self.wait_ready)

    async def metrics(
        self, *, since: datetime | None = None, until: datetime | None = None, include_fixture: bool = True
    ) -> Metrics:
        return await compute_metrics(self.store, self.shop.tools(), since=since, until=until, include_fixture=include_fixture)


__all__ = ["CallDecided", "ConversationChanged", "ConversationHeld", "Engine", "OUTCOMES", "Progress", "SupportEngine"]
