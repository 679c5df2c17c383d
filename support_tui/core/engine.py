"""The engine facade: built from its parts, it runs turns and the supervisor's actions on conversations."""

from __future__ import annotations

import asyncio
import gc
import logging
from typing import Any, AsyncIterator, Awaitable, Callable

import numpy as np

from support_tui.core.turn import lifecycle as orchestrator
from support_tui.core.store.sqlite import Database
from support_tui.core.events import EscalationRaised, Event
from support_tui.core.paths import DataPaths, kb_source_dir
from support_tui.core.settings import Settings
from support_tui.core.specialists import Team, default_team
from support_tui.core.store.support import ConversationInfo, PendingToolCall, StoredMessage, SupportStore
from support_tui.core.textsafety import CleanText, clean_message

log = logging.getLogger("support_tui.engine")
Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)`` while the engine gets ready."""


class Engine:
    """Runs customer turns over the store, the knowledge base, the router and the models."""

    def __init__(
        self,
        *,
        settings: Settings,
        db: Database,
        kb: Any = None,
        embedder: Any = None,
        router: Any = None,
        models: Any = None,
        loader: Callable[[], Awaitable[tuple[Any, Any, Any, Any]]] | None = None,
        team: Team | None = None,
        paths: DataPaths | None = None,
    ) -> None:
        self.settings = settings
        self.db = db
        self.store = SupportStore(db)
        self.kb = kb
        self.embedder = embedder
        self.router = router
        self.models = models
        self.team = team or default_team()
        self.paths = paths
        self._loader = loader
        self._ready = asyncio.Event()
        self._ready_task: asyncio.Task | None = None
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
        try:
            if progress:
                progress("model", 0, 1)
            if self._loader is not None:
                # Heavy imports (LiteLLM, LanceDB, torch) happen here, after a console's first frame.
                self.kb, self.embedder, self.router, self.models = await self._loader()
            await self.embedder.aload()
            await self.router.prepare()
            await self._warm_up()
            # Torch, transformers and LiteLLM leave millions of long-lived objects; a full
            # collection that walks them all blocked the event loop for 0.5 s mid-turn (measured
            # in the console). Moving what exists now out of the collector's reach removes that.
            gc.collect()
            gc.freeze()
            if await self.kb.is_empty():
                source = kb_source_dir()
                await self.kb.ingest(source, progress=(lambda d, t, name: progress("kb", d, t)) if progress else None)
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
        from support_tui.shops.northwind.tools import tool_schemas

        tools = tool_schemas(self.team["order_tracking"].tools)
        for offered in (None, tools):
            async for _ in self.models.stream([OFFLINE_MODEL], [{"role": "user", "content": "hello"}], offered):
                pass

    async def wait_ready(self) -> None:
        self.start_background()
        await self._ready.wait()
        if self.ready_error:
            raise RuntimeError(f"the engine could not start: {self.ready_error}")

    async def close(self) -> None:
        if self._ready_task and not self._ready_task.done():
            self._ready_task.cancel()
            try:
                await self._ready_task
            except (asyncio.CancelledError, Exception):
                pass
        await self.db.close()

    # pieces the turn uses ------------------------------------------------------------------

    def clean(self, text: str) -> CleanText:
        return clean_message(text, self.settings.max_message_chars)

    async def embed(self, text: str) -> np.ndarray:
        return (await self.embedder.aencode([text]))[0]

    async def customer_brief(self, customer_id: str) -> dict[str, Any]:
        row = await self.db.fetchone(
            "SELECT id, name, tier, lifetime_value, email FROM customers WHERE id = ?", (customer_id,)
        )
        if row is None:
            raise LookupError(f"no customer {customer_id!r}")
        return dict(row)

    # customers and conversations -----------------------------------------------------------

    async def customers(self) -> list[dict[str, Any]]:
        rows = await self.db.fetchall("SELECT id, name, tier, lifetime_value, email FROM customers ORDER BY id")
        return [dict(r) for r in rows]

    async def customer_card(self, customer_id: str) -> dict[str, Any]:
        card = await self.customer_brief(customer_id)
        phone = await self.db.scalar("SELECT phone FROM customers WHERE id = ?", (customer_id,))
        orders = await self.db.fetchall(
            "SELECT id AS order_id, status, total, placed_at FROM orders WHERE customer_id = ?"
            " ORDER BY placed_at DESC LIMIT 5",
            (customer_id,),
        )
        tickets = await self.store.list_conversations(customer_id=customer_id, statuses=["open", "escalated"], limit=10)
        return card | {
            "phone": phone,
            "recent_orders": [dict(o) for o in orders],
            "open_tickets": [
                {"conversation_id": c.id, "status": c.status, "priority": c.priority, "agent": c.agent} for c in tickets
            ],
            "memory": await self.store.memories(customer_id),
        }

    async def open_conversation(self, customer_id: str, *, new: bool = False, mode: str | None = None) -> ConversationInfo:
        """Resume the customer's latest open conversation, or start one."""
        await self.customer_brief(customer_id)  # raises LookupError for an unknown customer
        if not new:
            existing = await self.store.list_conversations(customer_id=customer_id, statuses=["open", "escalated"], limit=1)
            if existing:
                return existing[0]
        return await self.store.create_conversation(customer_id, mode=mode or self.settings.mode)

    async def get_conversation(self, conversation_id: str) -> ConversationInfo:
        conv = await self.store.get_conversation(conversation_id)
        if conv is None:
            raise LookupError(f"no conversation {conversation_id!r}")
        return conv

    async def conversations(self, statuses: list[str] | None = None) -> list[ConversationInfo]:
        """The queue: open and escalated by default, escalated first (by priority), then the most recent."""
        convs = await self.store.list_conversations(statuses=statuses or ["open", "escalated"])
        rank = {"urgent": 0, "high": 1, "normal": 2, "low": 3}
        return sorted(convs, key=lambda c: (c.status != "escalated", rank.get(c.priority or "", 4)))

    async def messages(self, conversation_id: str) -> list[StoredMessage]:
        return await self.store.messages(conversation_id)

    async def trace(self, conversation_id: str) -> list[Event]:
        return await self.store.events(conversation_id)

    # turns ---------------------------------------------------------------------------------

    def run_turn(
        self, conversation_id: str, text: str, *, actor: str = "customer", route_override: str | None = None
    ) -> AsyncIterator[Event]:
        if actor == "human":
            return self._human_turn(conversation_id, text)
        return orchestrator.run_turn(self, conversation_id, text, route_override=self._agent(route_override))

    def rerun_turn(self, conversation_id: str, *, route_override: str | None = None) -> AsyncIterator[Event]:
        return orchestrator.rerun_turn(self, conversation_id, route_override=self._agent(route_override))

    def resolve_tool_call(
        self,
        conversation_id: str,
        call_id: str,
        *,
        approve: bool,
        arguments: dict | None = None,
        reason: str | None = None,
    ) -> AsyncIterator[Event]:
        from support_tui.core.turn.approvals import resolve_tool_call

        return resolve_tool_call(self, conversation_id, call_id, approve=approve, arguments=arguments, reason=reason)

    def _agent(self, name: str | None) -> str | None:
        if name is not None and (name not in self.team or not self.team[name].routable):
            raise ValueError(f"unknown specialist {name!r}")
        return name

    async def _human_turn(self, conversation_id: str, text: str) -> AsyncIterator[Event]:
        message_id = await self.send_human_message(conversation_id, text)
        from support_tui.core.events import Notice

        yield Notice(turn_id=f"human_{message_id}", conversation_id=conversation_id, code="human_message", message="Sent by a person.")

    # the supervisor's actions --------------------------------------------------------------

    async def pending_tool_calls(self, conversation_id: str) -> list[PendingToolCall]:
        return await self.store.pending_calls(conversation_id)

    async def approve_draft(self, message_id: int, text: str | None = None) -> None:
        message = await self.store.get_message(message_id)
        if message is None or message.status != "draft":
            raise LookupError(f"no draft {message_id}")
        cleaned = self.clean(text).text if text is not None else None
        await self.store.set_message(message_id, text=cleaned, status="sent")

    async def reject_draft(self, message_id: int, reason: str | None = None) -> None:
        message = await self.store.get_message(message_id)
        if message is None or message.status != "draft":
            raise LookupError(f"no draft {message_id}")
        await self.store.set_message(message_id, status="rejected")

    async def send_human_message(self, conversation_id: str, text: str) -> int:
        await self.get_conversation(conversation_id)
        return await self.store.add_message(conversation_id, "human", self.clean(text).text, agent="human")

    async def take_over(self, conversation_id: str) -> None:
        await self.get_conversation(conversation_id)
        await self.store.update_conversation(conversation_id, handled_by="human")
        await self.store.add_message(conversation_id, "system", "A person took over the conversation.")

    async def hand_back(self, conversation_id: str) -> None:
        await self.get_conversation(conversation_id)
        await self.store.update_conversation(conversation_id, handled_by="ai")
        await self.store.add_message(conversation_id, "system", "The conversation was handed back to the AI team.")

    async def escalate(self, conversation_id: str, reason: str) -> EscalationRaised:
        from support_tui.core.turn.approvals import escalate_by_hand

        return await escalate_by_hand(self, conversation_id, reason)

    async def set_model(self, conversation_id: str, model: str | None) -> None:
        await self.get_conversation(conversation_id)
        await self.store.update_conversation(conversation_id, model=model)

    async def set_mode(self, conversation_id: str, mode: str) -> None:
        if mode not in ("auto", "supervised"):
            raise ValueError("mode is auto or supervised")
        await self.store.update_conversation(conversation_id, mode=mode)

    def available_models(self) -> list[str]:
        from support_tui.core.llm import available_models

        return available_models(self.settings)

    async def rate(self, conversation_id: str, score: int, comment: str | None = None) -> None:
        await self.get_conversation(conversation_id)
        await self.store.rate(conversation_id, score, comment)

    async def close_conversation(self, conversation_id: str, outcome: str = "resolved") -> None:
        if outcome not in ("resolved", "abandoned", "escalated"):
            raise ValueError("outcome is resolved, abandoned or escalated")
        from support_tui.core.store.support import utcnow

        conv = await self.get_conversation(conversation_id)
        status = "escalated" if conv.status == "escalated" and outcome == "escalated" else "closed"
        await self.store.update_conversation(conversation_id, status=status, outcome=outcome, closed_at=utcnow())

    async def forget_customer(self, customer_id: str) -> int:
        return await self.store.forget(customer_id)
