"""A person's decisions on the AI's work: approve or deny a pending tool call, escalate by hand."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any, AsyncIterator

from support_tui.core import memory
from support_tui.core.turn.agent_loop import AgentLoop
from support_tui.core.events import EscalationRaised, Event, SentimentScored, TurnStarted
from support_tui.core.llm import ToolCallRequest, model_chain
from support_tui.core.turn.lifecycle import store_reply
from support_tui.core.turn.state import Turn
from support_tui.core.turn.prompts import assistant_tool_calls, history_messages, system_prompt
from support_tui.core.specialists import ESCALATION_MANAGER

if TYPE_CHECKING:
    from support_tui.core.engine import Engine


async def resolve_tool_call(
    engine: "Engine",
    conversation_id: str,
    call_id: str,
    *,
    approve: bool,
    arguments: dict | None = None,
    reason: str | None = None,
) -> AsyncIterator[Event]:
    """Run (or refuse) a call that waited for a person, then let the agent tell the customer."""
    conv = await engine.get_conversation(conversation_id)
    pending = next((p for p in await engine.store.pending_calls(conv.id) if p.call_id == call_id), None)
    if pending is None:
        raise LookupError(f"no pending tool call {call_id!r} in this conversation")
    args = dict(arguments) if arguments is not None else dict(pending.arguments)
    turn = Turn(engine, conv, "supervisor")
    turn.agent = pending.agent or turn.agent
    await engine.store.start_turn(turn.turn_id, conv.id, None)
    verb = "approved" if approve else "denied"
    try:
        yield turn.make(
            TurnStarted, customer_id=conv.customer_id, message_id=None, actor="supervisor", mode=conv.mode,  # type: ignore[arg-type]
            text=f"A supervisor {verb} {pending.name}" + (f": {reason}" if reason else ""),
        )
        messages_stored = await engine.store.messages(conv.id)
        last_customer = next((m.text for m in reversed(messages_stored) if m.role == "customer"), "")
        specialist = engine.team[turn.agent or ESCALATION_MANAGER]
        chain, _ = model_chain(conv.model or specialist.model, engine.settings)
        customer = await engine.customer_brief(conv.customer_id)
        prompt = system_prompt(
            specialist, customer=customer, mode=conv.mode, escalated=conv.status == "escalated",
            proposal=turn.state.get("proposal"),
        )
        messages = [{"role": "system", "content": prompt}, *history_messages(messages_stored)]
        messages.append(assistant_tool_calls([ToolCallRequest(id=call_id, name=pending.name, arguments=args, raw_arguments="")]))
        loop = AgentLoop(
            engine.models, specialist, chain, turn.tool_context(last_customer), turn.make,
            max_rounds=engine.settings.max_tool_rounds,
        )
        started = time.perf_counter()
        async for event in loop.run_tool_call(
            call_id, pending.name, args, messages, approved=approve,
            denied_reason=None if approve else (reason or "no reason given"),
        ):
            yield event
        await engine.store.resolve_pending_call(call_id, verb, reason)
        turn.timings["tools"] = round((time.perf_counter() - started) * 1000, 3)
        # The call that ran settled the customer's proposal (perhaps with arguments a person edited):
        # a prompt still showing it as pending made the agent try the original amount again.
        messages[0] = {"role": "system", "content": system_prompt(
            specialist, customer=customer, mode=conv.mode, escalated=conv.status == "escalated",
            proposal=turn.state.get("proposal"),
        )}
        # The approved call may have been refused by a hard rule after all; the model explains either way.
        async for event in loop.run(messages):
            yield event
        turn.usage = loop.result.usage
        turn.model = loop.result.model
        async for event in store_reply(turn, loop.result, []):
            yield event
    except (asyncio.CancelledError, GeneratorExit):
        turn.status = "cancelled"
        raise
    except Exception as exc:
        turn.status, turn.error = "failed", f"{type(exc).__name__}: {exc}"
    finally:
        done = await asyncio.shield(turn.finish())
    if turn.status != "cancelled":
        yield done


async def escalate_by_hand(engine: "Engine", conversation_id: str, reason: str) -> EscalationRaised:
    """A person puts the conversation in the human queue; the packet carries what is known."""
    conv = await engine.get_conversation(conversation_id)
    turn = Turn(engine, conv, "supervisor")
    await engine.store.start_turn(turn.turn_id, conv.id, None)
    customer = await engine.customer_brief(conv.customer_id)
    trace = await engine.store.events(conv.id)
    last_sentiment = next((e for e in reversed(trace) if isinstance(e, SentimentScored)), None)
    sentiment: dict[str, Any] = (
        {"compound": last_sentiment.compound, "label": last_sentiment.label, "trend": last_sentiment.trend}
        if last_sentiment
        else {}
    )
    packet = memory.build_packet(
        from_agent=turn.agent,
        to_agent="human",
        reason=reason,
        messages=await engine.store.messages(conv.id),
        events=trace,
        customer=customer,
        sentiment=sentiment,
        proposal=turn.state.get("proposal"),
    )
    turn.state["escalation"] = {"rule": "manual", "reason": reason, "priority": "high"}
    turn.escalated = True
    await engine.store.update_conversation(conv.id, status="escalated", priority="high", escalation_reason=reason)
    event = turn.make(EscalationRaised, rule="manual", reason=reason, priority="high", packet=packet)
    await engine.store.add_message(conv.id, "system", f"Escalated by a person: {reason}")
    await turn.finish()
    return event  # type: ignore[return-value]
