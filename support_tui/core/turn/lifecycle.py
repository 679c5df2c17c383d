"""One turn's lifecycle, written once: start -> stages -> a stored end, for every kind of turn.

A customer's message, a re-run, a person's decision on a waiting call and a person's change to the
conversation all go through ``TurnRunner._frame``: the turn row is started, events are yielded, and
whatever happens (an error, a cancel) the state and the trace are stored.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import aclosing
from typing import AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence

from support_tui.core.events import ConversationChanged, Event, Notice, TurnStarted
from support_tui.core.events import ChangeKind
from support_tui.core.shop import ToolCall, canonical_arguments
from support_tui.core.store.queue.jobs import TurnJob
from support_tui.core.store.records.values import ConversationInfo, PendingToolCall
from support_tui.core.team import CallDecided
from support_tui.core.textsafety import clean_message
from support_tui.core.turn.customer import CustomerTurn
from support_tui.core.turn.finish import finish_turn
from support_tui.core.turn.parts import TurnParts
from support_tui.core.turn.reply import ReplyWriter
from support_tui.core.turn.state import Turn

log = logging.getLogger("support_tui.turn")

CLOSED = ("closed", "resolved", "abandoned")
"""Statuses a customer message reopens."""

Body = Callable[[Turn], AsyncGenerator[Event, None]]


class TurnRunner:
    """Runs every kind of turn on one set of parts."""

    def __init__(self, parts: TurnParts, ready: Callable[[], Awaitable[None]]) -> None:
        self.parts = parts
        self.ready = ready

    async def conversation(self, conversation_id: str) -> ConversationInfo:
        conv = await self.parts.store.get_conversation(conversation_id)
        if conv is None:
            raise LookupError(f"no conversation {conversation_id!r}")
        return conv

    # the frame ------------------------------------------------------------------------------

    async def _frame(
        self, turn: Turn, message_id: int | None, text: str, notices: Sequence[tuple[str, str]], body: Body
    ) -> AsyncGenerator[Event, None]:
        """The turn's frame: start, the body, and a stored end whatever happens."""
        conv = turn.conv
        await self.parts.store.start_turn(turn.turn_id, conv.id, message_id)
        try:
            yield turn.make(
                TurnStarted, customer_id=conv.customer_id, message_id=message_id, text=text,
                actor="customer" if turn.actor == "customer" else "supervisor",
                mode="supervised" if conv.mode == "supervised" else "auto",
            )
            for code, message in notices:
                yield turn.make(Notice, level="info" if code == "rerun" else "warning", code=code, message=message)
            async with aclosing(body(turn)) as events:
                async for event in events:
                    yield event
        except (asyncio.CancelledError, GeneratorExit):
            turn.status = "cancelled"
            raise
        except Exception as exc:  # the turn fails; the customer's message is already safe
            log.exception("turn %s failed", turn.turn_id)
            turn.status, turn.error = "failed", f"{type(exc).__name__}: {exc}"
        finally:
            done = await asyncio.shield(finish_turn(self.parts, turn))
        if turn.status != "cancelled":
            yield done

    # customer turns -------------------------------------------------------------------------

    async def customer_message(self, conversation_id: str, text: str, *, route_override: str | None = None) -> AsyncGenerator[Event, None]:
        """Store the message first (it must survive anything), then run the turn on it."""
        conv = await self.conversation(conversation_id)
        cleaned = clean_message(text, self.parts.settings.max_message_chars)
        turn = Turn(conv, "customer")
        message_id = await self.parts.store.add_message(conv.id, "customer", cleaned.text, turn_id=turn.turn_id)
        turn.message_id = message_id
        async with aclosing(self._frame(turn, message_id, cleaned.text, cleaned.notices, self._customer_body(cleaned.text, route_override))) as events:
            async for event in events:
                yield event

    async def queued_message(self, job: TurnJob) -> AsyncGenerator[Event, None]:
        """The turn of a customer's message the channel already stored and queued, under a worker's claim.

        The turn takes the claim's ``turn_id``, and its reply is stored as the one reply to the message.
        """
        conv = await self.conversation(job.conversation_id)
        message = await self.parts.store.get_message(job.message_id)
        if message is None or message.conversation_id != conv.id or message.role != "customer":
            raise LookupError(f"no customer message {job.message_id} in conversation {conv.id!r}")
        turn = Turn(conv, "customer", turn_id=job.turn_id, queued_message=message.id)
        async with aclosing(self._frame(turn, message.id, message.text, [], self._customer_body(message.text, None))) as events:
            async for event in events:
                yield event

    async def rerun(self, conversation_id: str, *, route_override: str | None = None) -> AsyncGenerator[Event, None]:
        """Run the customer's last real request again (a bare yes or ok is not one)."""
        conv = await self.conversation(conversation_id)
        messages = await self.parts.store.messages(conv.id)
        customer = [m for m in messages if m.role == "customer"]
        if not customer:
            raise LookupError("this conversation has no customer message to re-run")
        from support_tui.core.language import is_affirmative

        last = next((m for m in reversed(customer) if not is_affirmative(m.text)), customer[-1])
        for m in messages:
            # Drafts only: a reply the customer saw stays what it was (it was marked superseded).
            if m.id > last.id and m.role == "ai" and m.status == "draft":
                await self.parts.store.set_message(m.id, status="superseded")
        turn = Turn(conv, "customer")
        turn.rerun_of = last.id  # what it answers: a call that already ran for this message is replayed, not run again
        where = f" with {route_override}" if route_override else ""
        notice = ("rerun", f"Re-running the customer's request{where}.")
        async with aclosing(self._frame(turn, last.id, last.text, [notice], self._customer_body(last.text, route_override))) as events:
            async for event in events:
                yield event

    def _customer_body(self, text: str, route_override: str | None) -> Body:
        async def body(turn: Turn) -> AsyncGenerator[Event, None]:
            if turn.conv.status in CLOSED:
                async for event in self._reopen(turn):
                    yield event
            await self.ready()
            async with aclosing(CustomerTurn(self.parts, turn).run(text, route_override)) as events:
                async for event in events:
                    yield event

        return body

    async def _reopen(self, turn: Turn) -> AsyncGenerator[Event, None]:
        """A customer who writes again reopens a closed conversation: state, queue and card follow."""
        await self.parts.store.update_conversation(turn.conv.id, status="open", outcome=None, closed_at=None)
        turn.conv = turn.conv.model_copy(update={"status": "open", "outcome": None, "closed_at": None})
        turn.state.reopened += 1
        yield turn.make(ConversationChanged, change="reopened", status="open", detail="the customer wrote again")

    # a person's decisions -------------------------------------------------------------------

    async def resolve_call(
        self,
        conversation_id: str,
        call_id: str,
        *,
        approve: bool,
        arguments: dict[str, object] | None = None,
        reason: str | None = None,
        by: str | None = None,
    ) -> AsyncGenerator[Event, None]:
        """Run (or refuse) a call that waited for a person, then let the agent tell the customer.

        Edited arguments are checked against the tool's schema and the shop's rules first: invalid
        ones raise ``ValueError`` and nothing runs.
        """
        conv = await self.conversation(conversation_id)
        pending = next((p for p in await self.parts.store.pending_calls(conv.id) if p.call_id == call_id), None)
        if pending is None:
            decided = await self.parts.store.get_pending_call(call_id)
            if decided is not None and decided.conversation_id == conv.id:
                raise CallDecided(decided)
            raise LookupError(f"no pending tool call {call_id!r} in this conversation")
        args = dict(arguments) if arguments is not None else dict(pending.arguments)
        turn = Turn(conv, "supervisor")
        turn.agent = pending.agent or turn.agent
        writer = ReplyWriter(self.parts, turn)
        if approve:
            problems = await writer.runner("").problems(pending.name, args)
            if problems:
                raise ValueError("; ".join(problems))
        verb = "approved" if approve else "denied"
        who = by or "a person"
        await self.ready()
        # One conditional write decides: two people approving at once (two consoles, the command line)
        # cannot both run the call; the second learns who was first and nothing else happens.
        if not await self.parts.store.decide_pending_call(call_id, verb, who, reason):
            raise CallDecided(await self.parts.store.get_pending_call(call_id) or pending)
        text = f"{who} {verb} {pending.name}"
        async with aclosing(self._frame(turn, None, text, [], self._resolve_body(writer, pending, args, approve, reason, by))) as events:
            async for event in events:
                yield event

    def _resolve_body(
        self, writer: ReplyWriter, pending: PendingToolCall, args: dict[str, object], approve: bool, reason: str | None, by: str | None
    ) -> Body:
        async def body(turn: Turn) -> AsyncGenerator[Event, None]:
            await self.ready()
            ran = args
            if approve:
                spec, valid = writer.runner("").validate(pending.name, args)
                # A person approved exactly this call; if it differs from what the customer agreed
                # to, the confirmation rule asks the customer again and this approval then stands.
                ran = canonical_arguments(valid)  # what runs, and so what the trace says ran
                turn.state.approved = [*turn.state.approved, ToolCall(tool=spec.name, arguments=ran)][-9:]
            else:
                turn.internal_notes.append(reason or "no reason given")
            change: ChangeKind = "call_approved" if approve else "call_denied"
            edited = "" if ran == pending.arguments else f" with edited arguments {ran}"
            yield turn.make(
                ConversationChanged, change=change, status=turn.conv.status, by=by,
                detail=f"{pending.name}{edited}" + (f": {reason}" if reason else ""),
            )
            async with aclosing(writer.after_decision(pending, ran, approve=approve, reason=reason)) as events:
                async for event in events:
                    yield event
            await self.parts.store.resolve_pending_call(pending.call_id, "approved" if approve else "denied", reason)

        return body

    async def record_change(
        self, conversation_id: str, change: ChangeKind, *, by: str | None = None, detail: str = "", status: str | None = None,
        message_id: int | None = None,
    ) -> ConversationChanged:
        """A person's change to the conversation (close, take-over, draft decision ...) as a short turn in the trace."""
        conv = await self.conversation(conversation_id)
        turn = Turn(conv, "supervisor")
        event: list[ConversationChanged] = []

        async def body(t: Turn) -> AsyncGenerator[Event, None]:
            made = t.make(ConversationChanged, change=change, status=status or conv.status, by=by, detail=detail,
                          message_id=message_id)
            event.append(made)
            yield made

        async for _ in self._frame(turn, None, f"{by or 'a person'}: {change.replace('_', ' ')}", [], body):
            pass
        return event[0]

    async def escalate_by_hand(self, conversation_id: str, reason: str, *, priority: str = "high", by: str | None = None) -> Event:
        """A person puts the conversation in the human queue; the packet carries what is known."""
        conv = await self.conversation(conversation_id)
        turn = Turn(conv, "supervisor")
        raised: list[Event] = []

        async def body(t: Turn) -> AsyncGenerator[Event, None]:
            before = len(t.events)
            raised.append(await ReplyWriter(self.parts, t).escalate_by_hand(reason, priority, by))
            for event in t.events[before:]:
                yield event

        async for _ in self._frame(turn, None, f"{by or 'a person'} escalated the case", [], body):
            pass
        if not raised:
            raise RuntimeError(f"the escalation could not be recorded ({turn.error})")
        return raised[0]
