"""A customer turn's stages: sentiment, route, escalation, retrieval, then the specialist's reply."""

from __future__ import annotations

import asyncio
import time
from contextlib import aclosing
from dataclasses import replace
from typing import AsyncGenerator, Any, AsyncIterator, Sequence

from support_tui.core.escalation import EscalationSignals, evaluate
from support_tui.core.events import (
    ConversationChanged,
    Event,
    IntentReading,
    KnowledgeRetrieved,
    Notice,
    RouteDecided,
    SentimentScored,
    Snippet,
)
from support_tui.core.routing.decision import RouteDecision, RoutingContext
from support_tui.core.sentiment import SentimentTrend, label_for, score_message
from support_tui.core.specialists import ESCALATION_MANAGER
from support_tui.core.state import SentimentState
from support_tui.core.language import is_affirmative
from support_tui.core.store.records.values import StoredMessage
from support_tui.core.turn.handoffs import Handoffs
from support_tui.core.turn.parts import TurnParts
from support_tui.core.turn.prompts import HISTORY_LIMIT
from support_tui.core.turn.reply import ReplyWriter
from support_tui.core.turn.retrieval import FOLLOW_UP_WORDS, embed, retrieve, search_query
from support_tui.core.turn.state import Turn



class CustomerTurn:
    """The stages of one customer message, after it was stored and the turn started."""

    def __init__(self, parts: TurnParts, turn: Turn) -> None:
        self.parts = parts
        self.turn = turn

    async def run(self, text: str, route_override: str | None) -> AsyncGenerator[Event, None]:
        parts, turn = self.parts, self.turn
        t = time.perf_counter()
        sentiment, trend = self._sentiment(text)
        yield sentiment
        t = turn.stage("sentiment", t)

        if turn.conv.handled_by == "human":
            turn.status = "human_active"
            yield turn.make(Notice, code="human_active", message="A person is handling this conversation; no AI reply.")
            return

        kb, embedder, router, _ = parts.loaded()
        # One bounded read of the conversation serves retrieval, routing and the prompt's history.
        messages = await parts.store.recent_messages(turn.conv.id, HISTORY_LIMIT)
        if turn.message_id is not None:  # messages queued after this one wait for their own turns
            messages = [m for m in messages if m.id <= turn.message_id]
        earlier = [m.text for m in messages if m.role == "customer" and m.turn_id != turn.turn_id and m.id != turn.message_id]
        query = search_query(text, earlier)
        vector, queries, query_vectors = await embed(embedder, text, query)
        t = turn.stage("embed", t)
        # Retrieval needs only the vectors: it runs while routing and escalation are decided.
        search = asyncio.ensure_future(retrieve(kb, queries, query_vectors, parts.settings.kb_top_k))
        turn.intent = self._read_intent(vector, text, earlier, query_vectors if len(queries) > 1 else [])
        try:
            decision = self._route(router.route_vector(vector, text, RoutingContext(current_agent=turn.state.agent, previous_texts=earlier)), text, route_override)
            async with aclosing(self._decide_and_reply(text, vector, decision, messages, sentiment, trend, query, search, t)) as events:
                async for event in events:
                    yield event
        finally:
            if not search.done():
                search.cancel()
            elif not search.cancelled():
                search.exception()  # retrieved, so a failure the turn never reached is not logged as lost

    async def _with_article(self, snippets: list[Snippet]) -> list[Snippet]:
        """An article intent quotes its article: its first chunks lead the snippets, retrieved or not."""
        reading, kb = self.turn.intent, self.parts.kb
        if reading is None or reading.decision != "answer" or not reading.article or kb is None:
            return snippets
        return _article_first(snippets, await kb.document(reading.article))

    def _sentiment(self, text: str) -> tuple[SentimentScored, SentimentTrend]:
        turn = self.turn
        compound, signals = score_message(text)
        trend = SentimentTrend.from_state(turn.state.sentiment.model_dump())
        trend.update(compound)
        turn.state.sentiment = SentimentState.model_validate(trend.to_state())
        event = turn.make(
            SentimentScored, compound=compound, label=label_for(compound), trend=trend.label,
            trend_compound=round(trend.smoothed, 4), history=list(trend.history), signals=signals,
        )
        return event, trend

    def _read_intent(self, vector: Any, text: str, earlier: Sequence[str], requests: Sequence[Any] = ()) -> IntentReading | None:
        """What the message asks, from the vector routing uses; a bare follow-up ("ORD-123", "yes") continues
        the question before it rather than being read on its own. ``requests``: the vectors of the message's
        separate requests (retrieval encoded them in the same call); two that read as different topics make
        a message of several requests, each answered on its own."""
        intents, state = self.parts.intents, self.turn.state
        if intents is None:
            return None
        if earlier and (len(text.split()) <= FOLLOW_UP_WORDS or state.proposal is not None and is_affirmative(text)):
            return IntentReading(decision="follow_up", rule=f"a follow-up of {len(text.split())} words continues the question before it")
        reading = intents.read(vector)
        topics = {r.top[0].topic for r in (intents.read(v) for v in requests) if r.decision == "answer" and r.top}
        # Each request's topic must also be among the likely readings of the whole message: "I'm trying to
        # buy a laptop and my bank rejects my card" has a clause that reads as a product question on its
        # own, but the message as a whole is about the card alone.
        topics &= {score.topic for score in reading.top}
        if len(topics) >= 2:
            return reading.model_copy(update={"decision": "several", "rule": f"its requests read as {' and '.join(sorted(topics))}"})
        return reading

    def _route(self, decision: RouteDecision, text: str, route_override: str | None) -> RouteDecision:
        state = self.turn.state
        current = state.agent
        reading = self.turn.intent
        if reading is not None and reading.decision not in ("follow_up", "several"):
            # The router and the intent layer read one vector; the intent is the finer reading, so the
            # specialist who answers the intent takes the message, and the intent decides whether to ask.
            # A message of several requests keeps the router's choice: the model reads each request.
            decision = replace(decision, clarify=False)
            if reading.decision == "answer" and reading.specialist and reading.specialist != decision.agent \
                    and reading.specialist in decision.scores:
                decision = replace(decision, agent=reading.specialist, method="intent",
                                   reason=f"reads as {reading.intent} ({reading.top[0].score:.2f}), which "
                                          f"{reading.specialist} answers; the router said {decision.agent}")
        if state.proposal is not None and current and not route_override and is_affirmative(text) and decision.agent != current:
            # A yes to a proposed action belongs to the specialist that proposed it, whatever else
            # the words resemble ("yes please refund the duplicate" reads like a returns request).
            decision = replace(decision, agent=current, method="sticky", clarify=False,
                               reason=f"confirms the {state.proposal.quote.action} that {current} proposed (router said {decision.agent})")
        if route_override:
            decision = replace(decision, agent=route_override, method="override", clarify=False,
                               reason=f"a person sent this to {route_override} (router said {decision.agent})")
        if self.turn.escalated and not route_override:
            # Whoever the words suggest, an escalated case is answered by the escalation manager
            # until a person picks it up: the routing panel says so. A person's choice of specialist
            # (F3) wins: it was ignored, and the customer was told "passing you to a colleague" again.
            held = state.escalation.reason if state.escalation else "escalated"
            decision = replace(decision, agent=ESCALATION_MANAGER, method="escalated", clarify=False,
                               reason=f"the case waits for a person ({held}); the router suggested {decision.agent}"
                                      f" ({decision.confidence:.2f})")
        return decision

    async def _decide_and_reply(
        self, text: str, vector: Any, decision: RouteDecision, messages: Sequence[StoredMessage],
        sentiment: SentimentScored, trend: SentimentTrend, query: str, search: "asyncio.Future[list[Snippet]]", t: float,
    ) -> AsyncGenerator[Event, None]:
        parts, turn = self.parts, self.turn
        current = turn.state.agent
        yield turn.make(
            RouteDecided, agent=decision.agent, confidence=round(decision.confidence, 4), margin=round(decision.margin, 4),
            scores={k: round(v, 4) for k, v in decision.scores.items()}, reason=decision.reason, evidence=decision.evidence,
            previous_agent=current, method=decision.method, clarify=decision.clarify, intent=turn.intent,
        )
        turn.state.low_confidence_turns = turn.state.low_confidence_turns + 1 if decision.clarify else 0
        t = turn.stage("route", t)

        customer = await parts.shop.customer(turn.conv.customer_id)
        if customer is None:
            raise LookupError(f"no customer {turn.conv.customer_id!r}")
        handoffs = Handoffs(parts, turn, customer, messages)
        writer = ReplyWriter(parts, turn, customer=customer, messages=messages, handoffs=handoffs)
        if turn.escalated:
            escalation = turn.state.escalation
            if escalation is not None:
                escalation.add_follow_up(text)
                turn.state.escalation = escalation
            yield turn.make(ConversationChanged, change="case_updated", status="escalated", detail=text)
        elif current and decision.agent != current:
            yield await handoffs.hand_off(current, decision.agent, f"routed: {decision.reason}", sentiment)
        turn.agent = turn.state.agent = decision.agent

        escalated_now = None
        if not turn.escalated:
            human = await parts.human_requests.detect(text, vector) if parts.human_requests is not None else None
            verdict = evaluate(EscalationSignals(
                text=text, compound=sentiment.compound, trend_compound=trend.smoothed, trend_label=trend.label,
                signals=tuple(sentiment.signals), tier=customer.tier, route_confidence=decision.confidence,
                low_confidence_turns=turn.state.low_confidence_turns, failed_tool_calls=turn.state.failed_tool_calls,
                policy_blocked=turn.state.policy_blocked, sentiment_threshold=parts.settings.escalation_sentiment,
                human_request=human, trend_messages=trend.count,
                ordinary_request=turn.intent is not None and turn.intent.shop_request,
            ))
            if verdict:
                async for event in handoffs.gather_case_facts(decision.agent, text, writer.runner(text)):
                    yield event
                priority = verdict.priority if verdict.priority in ("low", "normal", "high", "urgent") else "high"
                escalated_now = await handoffs.escalate(verdict.rule, verdict.reason, priority, sentiment)  # type: ignore[arg-type]
                yield escalated_now
        t = turn.stage("escalate", t)

        snippets = await self._with_article(await search)
        yield turn.make(KnowledgeRetrieved, query=query, snippets=snippets)
        turn.stage("retrieve", t)

        # An escalated case is waiting for a person: asking which specialist it is for helps nobody.
        clarify = _clarify_options(decision) if decision.clarify and not turn.escalated else ()
        async with aclosing(writer.reply(text, snippets, clarify, escalated_now is not None)) as events:
            async for event in events:
                yield event


def _article_first(snippets: Sequence[Snippet], article: Sequence[Snippet]) -> list[Snippet]:
    """The article the intent names first, then the rest of what retrieval found."""
    ids = {s.chunk_id for s in article}
    return [*article, *(s for s in snippets if s.chunk_id not in ids)]


def _clarify_options(decision: RouteDecision) -> tuple[str, ...]:
    ranked = sorted(decision.scores.items(), key=lambda kv: -kv[1])
    return tuple(name for name, _ in ranked[:2])
