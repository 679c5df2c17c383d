"""A team on one store: claims on conversations, calls waiting for a person, and the live change feed."""

from __future__ import annotations

import asyncio
import logging
from contextlib import aclosing
from typing import Callable

from pydantic import BaseModel, ConfigDict

from support_tui.core.events import ConversationChanged, Event
from support_tui.core.shop import CallContext, Quote, Shop, ShopError
from support_tui.core.state import ConversationState
from support_tui.core.store.protocol import SupportStore
from support_tui.core.store.records.values import PendingToolCall

log = logging.getLogger("support_tui.team")

FEED_TURN = "store_feed"
"""The ``turn_id`` of the events the change feed publishes (they are never stored)."""
DEBOUNCE_S = 0.05
"""How long the feed gathers writes before publishing: a turn's several writes make one refresh."""


class ConversationHeld(Exception):
    """Another person's claim holds the conversation: nothing was changed."""

    def __init__(self, conversation_id: str, holder: str) -> None:
        super().__init__(f"{holder} holds this conversation; only {holder} can hand it back")
        self.conversation_id = conversation_id
        self.holder = holder
        """The person whose claim holds it."""


class CallDecided(LookupError):
    """The call no longer waits: a person (perhaps on another console) decided it first."""

    def __init__(self, call: PendingToolCall) -> None:
        who = f" by {call.decided_by}" if call.decided_by else ""
        super().__init__(f"tool call {call.call_id} was already {call.status}{who}")
        self.call = call


class WaitingCall(BaseModel):
    """A call waiting for a person, with what they need to decide it from anywhere (``support-tui approvals``)."""

    model_config = ConfigDict(frozen=True)

    call: PendingToolCall
    customer_id: str
    customer: str
    """The customer's name as the shop knows it."""
    quote: Quote | None
    """What the call would do, quoted by the shop from exactly these arguments (None: the shop cannot quote it)."""
    why: str
    """Why it waits for a person (the policy's words, without the instructions to the agent)."""
    held_by: str | None
    """Who holds the conversation, if anyone."""


def why_it_waits(call: PendingToolCall) -> str:
    """The reason a call waits, without the sentence that tells the agent what to say."""
    reason = (call.reason or "").split(" Tell the customer", 1)[0].strip()
    return reason or f"rule {call.rule or 'human_approval'}"


async def waiting_calls(store: SupportStore, shop: Shop) -> list[WaitingCall]:
    """Every call waiting for a person, across conversations, oldest first."""
    waiting = []
    names: dict[str, str] = {}
    for call in await store.pending_calls():
        conv = await store.get_conversation(call.conversation_id)
        if conv is None:
            continue
        if conv.customer_id not in names:
            customer = await shop.customer(conv.customer_id)
            names[conv.customer_id] = customer.name if customer else conv.customer_id
        waiting.append(WaitingCall(call=call, customer_id=conv.customer_id, customer=names[conv.customer_id],
                                   quote=await _quote(shop, call, conv.customer_id, ConversationState.load(conv.state)),
                                   why=why_it_waits(call), held_by=conv.held_by))
    return waiting


async def _quote(shop: Shop, call: PendingToolCall, customer_id: str, state: ConversationState) -> Quote | None:
    for proposal in state.confirmed:
        if proposal.call.tool == call.name and proposal.call.arguments == call.arguments:
            return proposal.quote
    spec = shop.tools().get(call.name)
    if spec is None:
        return None
    try:
        args = spec.args.model_validate(call.arguments)
        return await shop.quote(call.name, args, CallContext(customer_id=customer_id, conversation_id=call.conversation_id))
    except (ShopError, ValueError, LookupError):
        return None


class ChangeFollower:
    """Turns the store's change feed into ``ConversationChanged(change="synced")`` events on the engine's
    subscription, so a view refreshes from another console's (or worker's) writes the way it does from its own."""

    def __init__(self, store: SupportStore, publish: Callable[[Event], None], poll_s: float) -> None:
        self.store = store
        self.publish = publish
        self.poll_s = poll_s
        self._arrived: asyncio.Queue[str] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def running(self) -> bool:
        return bool(self._tasks)

    def start(self) -> None:
        """Follow the feed from now on (a no-op when already following or outside an event loop)."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        if not self._tasks:
            self._tasks = [asyncio.create_task(self._read()), asyncio.create_task(self._relay())]

    async def stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            try:
                await task
            except (asyncio.CancelledError, Exception):
                pass

    async def _read(self) -> None:
        try:
            async with aclosing(self.store.changes(self.poll_s)) as feed:
                async for change in feed:
                    self._arrived.put_nowait(change.conversation_id)
        except asyncio.CancelledError:
            raise
        except Exception:  # the console goes on without live updates; its own changes still show
            log.exception("the store's change feed stopped")

    async def _relay(self) -> None:
        while True:
            first = await self._arrived.get()
            await asyncio.sleep(DEBOUNCE_S)
            changed = [first]
            while not self._arrived.empty():
                changed.append(self._arrived.get_nowait())
            for conversation_id in dict.fromkeys(changed):
                conv = await self.store.get_conversation(conversation_id)
                if conv is not None:
                    self.publish(ConversationChanged(turn_id=FEED_TURN, conversation_id=conv.id, change="synced",
                                                     status=conv.status, detail="written to the store"))
