"""One turn: store the message, sentiment, route, escalate?, retrieve, the specialist's loop, the reply."""

from __future__ import annotations

import asyncio
import logging
import time
from contextlib import aclosing
from dataclasses import replace
from typing import TYPE_CHECKING, Any, AsyncIterator

from support_tui.core.turn.agent_loop import AgentLoop
from support_tui.shops.northwind.policy import is_affirmative
from support_tui.core.escalation import EscalationSignals, evaluate
from support_tui.core.events import (
    Event,
    KnowledgeRetrieved,
    Notice,
    ReplyCompleted,
    RouteDecided,
    SentimentScored,
    ToolCallFinished,
    TurnStarted,
)
from support_tui.core.turn.handoffs import escalate, gather_case_facts, hand_off
from support_tui.core.turn.prompts import history_messages, system_prompt
from support_tui.core.routing import RoutingContext
from support_tui.core.sentiment import SentimentTrend, label_for, score_message
from support_tui.core.specialists import ESCALATION_MANAGER
from support_tui.core.store.support import PendingToolCall, utcnow
from support_tui.core.turn.helpers import snippets_used
from support_tui.core.turn.state import Turn

if TYPE_CHECKING:
    from support_tui.core.engine import Engine

log = logging.getLogger("support_tui.turn")

FOLLOW_UP_WORDS = 3
"""A message this short is read with the one before it when searching the knowledge base."""


async def run_turn(
    engine: "Engine", conversation_id: str, text: str, *, route_override: str | None = None
) -> AsyncIterator[Event]:
    """Run one customer turn and yield its events; the message is stored before anything can fail."""
    conv = await engine.get_conversation(conversation_id)
    cleaned = engine.clean(text)
    turn = Turn(engine, conv, "customer")
    message_id = await engine.store.add_message(conv.id, "customer", cleaned.text, turn_id=turn.turn_id)
    async with aclosing(drive(turn, message_id, cleaned.text, cleaned.notices, route_override)) as events:
        async for event in events:
            yield event


async def rerun_turn(engine: "Engine", conversation_id: str, *, route_override: str | None = None) -> AsyncIterator[Event]:
    """Run the last customer message again (after a cancel, a crash, or to send it elsewhere)."""
    conv = await engine.get_conversation(conversation_id)
    messages = await engine.store.messages(conv.id)
    last = next((m for m in reversed(messages) if m.role == "customer"), None)
    if last is None:
        raise LookupError("this conversation has no customer message to re-run")
    for m in messages:
        if m.id > last.id and m.role == "ai" and m.status in ("sent", "draft"):
            await engine.store.set_message(m.id, status="superseded")
    turn = Turn(engine, conv, "customer")
    notice = ("rerun", "Re-running the last customer message" + (f" with {route_override}." if route_override else "."))
    async with aclosing(drive(turn, last.id, last.text, [notice], route_override)) as events:
        async for event in events:
            yield event


async def drive(
    turn: Turn, message_id: int, text: str, notices: list[tuple[str, str]], route_override: str | None
) -> AsyncIterator[Event]:
    """The turn's frame: start, the stages, and a stored end whatever happens."""
    conv = turn.conv
    await turn.engine.store.start_turn(turn.turn_id, conv.id, message_id)
    try:
        yield turn.make(
            TurnStarted, customer_id=conv.customer_id, message_id=message_id, text=text, actor="customer",
            mode=conv.mode,  # type: ignore[arg-type]
        )
        for code, message in notices:
            yield turn.make(Notice, level="warning" if code != "rerun" else "info", code=code, message=message)
        await turn.engine.wait_ready()
        async with aclosing(_customer_turn(turn, text, route_override)) as stages:
            async for event in stages:
                yield event
    except (asyncio.CancelledError, GeneratorExit):
        turn.status = "cancelled"
        raise
    except Exception as exc:  # the turn fails; the message is already safe
        log.exception("turn %s failed", turn.turn_id)
        turn.status, turn.error = "failed", f"{type(exc).__name__}: {exc}"
    finally:
        done = await asyncio.shield(turn.finish())
    if turn.status != "cancelled":
        yield done


async def _customer_turn(turn: Turn, text: str, route_override: str | None) -> AsyncIterator[Event]:
    engine, conv = turn.engine, turn.conv
    t = time.perf_counter()
    # Sentiment
    compound, signals = score_message(text)
    trend = SentimentTrend.from_state(turn.state.get("sentiment"))
    trend.update(compound)
    turn.state["sentiment"] = trend.to_state()
    sentiment = turn.make(
        SentimentScored,
        compound=compound,
        label=label_for(compound),
        trend=trend.label,
        trend_compound=round(trend.smoothed, 4),
        history=list(trend.history),
        signals=signals,
    )
    yield sentiment
    t = turn.stage("sentiment", t)

    if conv.handled_by == "human":
        turn.status = "human_active"
        yield turn.make(Notice, code="human_active", message="A person is handling this conversation; no AI reply.")
        return

    # Route and retrieve from one encode call. A bare follow-up ("yes", "ok thanks") says nothing
    # to search the KB with, so retrieval uses it together with the customer's previous message.
    query = await _retrieval_query(turn, text)
    if query == text:
        vector = query_vector = await engine.embed(text)
    else:
        vector, query_vector = await engine.embedder.aencode([text, query])
    t = turn.stage("embed", t)
    # Retrieval needs only the vector: it runs while routing and escalation are decided.
    search = asyncio.ensure_future(engine.kb.search(query, k=engine.settings.kb_top_k, vector=query_vector))
    try:
        async with aclosing(_decide_and_reply(turn, text, vector, (query, search), route_override, sentiment, trend, t)) as events:
            async for event in events:
                yield event
    finally:
        if not search.done():
            search.cancel()
        elif not search.cancelled():
            search.exception()  # retrieved, so a failure the turn never reached is not logged as lost


async def _retrieval_query(turn: Turn, text: str) -> str:
    if len(text.split()) > FOLLOW_UP_WORDS:
        return text
    earlier = [m.text for m in await turn.engine.store.messages(turn.conv.id) if m.role == "customer"][:-1]
    return f"{earlier[-1]} {text}" if earlier else text


async def _decide_and_reply(
    turn: Turn, text: str, vector: Any, retrieval: "tuple[str, asyncio.Future]", route_override: str | None, sentiment: Any,
    trend: Any,
    t: float,
) -> AsyncIterator[Event]:
    engine, conv = turn.engine, turn.conv
    compound, signals = sentiment.compound, sentiment.signals
    previous = [m.text for m in await engine.store.messages(conv.id) if m.role == "customer"][:-1]
    current = turn.state.get("agent")
    decision = engine.router.route_vector(vector, text, RoutingContext(current_agent=current, previous_texts=previous))
    proposal = turn.state.get("proposal")
    if proposal and current and not route_override and is_affirmative(text) and decision.agent != current:
        # A yes to a proposed action belongs to the specialist that proposed it, whatever else
        # the words resemble ("yes please refund the duplicate" reads like a returns request).
        decision = replace(
            decision, agent=current, method="sticky", clarify=False,
            reason=f"confirms the {proposal.get('name')} that {current} proposed (router said {decision.agent})",
        )
    if route_override:
        decision = replace(
            decision, agent=route_override, method="override", clarify=False,
            reason=f"a person sent this to {route_override} (router said {decision.agent})",
        )
    route = turn.make(
        RouteDecided,
        agent=decision.agent,
        confidence=round(decision.confidence, 4),
        margin=round(decision.margin, 4),
        scores={k: round(v, 4) for k, v in decision.scores.items()},
        reason=decision.reason,
        evidence=decision.evidence,
        previous_agent=current,
        method=decision.method,
        clarify=decision.clarify,
    )
    yield route
    low = int(turn.state.get("low_confidence_turns", 0))
    turn.state["low_confidence_turns"] = low + 1 if decision.clarify else 0
    t = turn.stage("route", t)

    customer = await turn.customer()
    agent = ESCALATION_MANAGER if turn.escalated else decision.agent
    if current and agent != current and not turn.escalated:
        yield await hand_off(turn, current, agent, f"routed: {decision.reason}", customer, sentiment)
    turn.agent = agent
    turn.state["agent"] = agent

    # Escalation
    escalation = None
    if not turn.escalated:
        verdict = evaluate(
            EscalationSignals(
                text=text,
                compound=compound,
                trend_compound=trend.smoothed,
                trend_label=trend.label,
                signals=tuple(signals),
                tier=str(customer.get("tier", "")),
                route_confidence=decision.confidence,
                low_confidence_turns=turn.state["low_confidence_turns"],
                failed_tool_calls=int(turn.state.get("failed_tool_calls", 0)),
                policy_blocked=bool(turn.state.get("policy_blocked")),
                sentiment_threshold=engine.settings.escalation_sentiment,
            )
        )
        if verdict:
            async for event in gather_case_facts(turn, decision.agent, text):
                yield event
            escalation = await escalate(turn, verdict.rule, verdict.reason, verdict.priority, customer, sentiment)
            yield escalation
    t = turn.stage("escalate", t)

    # Retrieval (started above; "retrieve" is the time still waited for it here)
    query, search = retrieval
    snippets = await search
    yield turn.make(KnowledgeRetrieved, query=query, snippets=snippets)
    t = turn.stage("retrieve", t)

    # An escalated case is waiting for a person: asking which specialist it is for helps nobody.
    clarify = _clarify_options(decision) if decision.clarify and not turn.escalated else ()
    async for event in _reply(turn, text, customer, snippets, clarify, escalation):
        yield event


def _clarify_options(decision: Any) -> tuple[str, ...]:
    ranked = sorted(decision.scores.items(), key=lambda kv: -kv[1])
    return tuple(name for name, _ in ranked[:2])


async def _reply(
    turn: Turn, text: str, customer: dict, snippets: list, clarify: tuple[str, ...], escalation: Any
) -> AsyncIterator[Event]:
    """Run the specialist (following transfers, at most two) and store its reply."""
    engine, store = turn.engine, turn.engine.store
    history = history_messages(await store.messages(turn.conv.id))
    memories = [m for m in await store.memories(turn.conv.customer_id) if m["conversation_id"] != turn.conv.id]
    from support_tui.core.llm import model_chain

    for _ in range(3):
        specialist = engine.team[turn.agent or ESCALATION_MANAGER]
        chain, skipped = model_chain(turn.conv.model or specialist.model, engine.settings)
        if skipped and not turn.state.get("offline_noticed"):
            turn.state["offline_noticed"] = True
            missing = sorted({reason.split(": ", 1)[-1].removesuffix(" not set") for reason in skipped})
            yield turn.make(
                Notice, code="offline_model",
                message=f"Models for this conversation: {' → '.join(chain)}"
                + (f" ({', '.join(missing)} not set)." if missing else "."),
            )
        prompt = system_prompt(
            specialist,
            customer=customer,
            mode=turn.conv.mode,
            escalated=turn.escalated,
            clarify_options=clarify,
            proposal=turn.state.get("proposal"),
            escalation=turn.state.get("escalation") if escalation else None,
            memories=memories,
            snippets=snippets,
        )
        messages = [{"role": "system", "content": prompt}, *history]
        loop = AgentLoop(engine.models, specialist, chain, turn.tool_context(text), turn.make, max_rounds=engine.settings.max_tool_rounds)
        async for event in loop.run(messages):
            yield event
        result = loop.result
        turn.timings["model"] = round(turn.timings.get("model", 0) + result.model_ms, 3)
        turn.timings["tools"] = round(turn.timings.get("tools", 0) + result.tools_ms, 3)
        turn.usage = turn.usage + result.usage
        turn.model = result.model
        _count_failures(turn, result.tool_events)
        if result.escalate and not turn.escalated:
            sentiment = next(e for e in turn.events if isinstance(e, SentimentScored))
            escalation = await escalate(
                turn, "agent_requested", str(result.escalate.get("reason") or "the agent asked for a person"),
                str(result.escalate.get("priority") or "normal"), customer, sentiment,
            )
            yield escalation
            continue
        target = (result.transfer or {}).get("transfer_to")
        if target and target in engine.team and target != turn.agent and not turn.escalated:
            sentiment = next(e for e in turn.events if isinstance(e, SentimentScored))
            yield await hand_off(turn, turn.agent or "", target, str(result.transfer.get("reason") or "transfer"), customer, sentiment)  # type: ignore[union-attr]
            turn.agent = target
            turn.state["agent"] = target
            continue
        break
    async for event in store_reply(turn, result, snippets):
        yield event


async def store_reply(turn: Turn, result: Any, snippets: list) -> AsyncIterator[Event]:
    """Store the agent's reply (a draft in supervised mode) and announce it."""
    if result.pending_approval:
        turn.status = "awaiting_approval"
        await _record_pending(turn, result.tool_events)
    reply_text = result.text or "I'm sorry, I couldn't put together an answer just now. A colleague will follow up."
    draft = turn.conv.mode == "supervised"
    message_id = await turn.engine.store.add_message(
        turn.conv.id, "ai", reply_text, turn_id=turn.turn_id, agent=turn.agent, model=result.model,
        status="draft" if draft else "sent",
    )
    yield turn.make(
        ReplyCompleted,
        message_id=message_id,
        text=reply_text,
        agent=turn.agent or "",
        model=result.model,
        fallbacks=result.fallbacks,
        draft=draft,
        used_snippets=snippets_used(reply_text, snippets),
    )


async def _record_pending(turn: Turn, calls: list[ToolCallFinished]) -> None:
    for call in calls:
        if call.status == "pending_approval":
            await turn.engine.store.add_pending_call(
                PendingToolCall(
                    call_id=call.call_id, conversation_id=turn.conv.id, turn_id=turn.turn_id, agent=turn.agent or "",
                    name=call.name, arguments=call.arguments, rule=call.rule, reason=call.error, status="pending",
                    note=None, created_at=utcnow(),
                )
            )


def _count_failures(turn: Turn, calls: list[ToolCallFinished]) -> None:
    failed = sum(1 for c in calls if c.status == "error" or (c.status == "blocked" and c.rule != "customer_confirmation"))
    turn.state["failed_tool_calls"] = int(turn.state.get("failed_tool_calls", 0)) + failed
    if any(c.status == "blocked" and c.rule not in ("customer_confirmation", "human_denied") for c in calls):
        turn.state["policy_blocked"] = True
