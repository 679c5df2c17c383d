"""The embedding router on clear messages, follow-ups, intent switches and close calls; the keyword baseline."""

from __future__ import annotations

import time

import numpy as np
import pytest

from support_tui.core.routing import EmbeddingRouter, KeywordRouter, RouteDecision, RoutingContext
from support_tui.core.specialists import ROUTABLE


@pytest.fixture(scope="module")
def router(shared_embedder, tmp_path_factory) -> EmbeddingRouter:
    r = EmbeddingRouter(shared_embedder, cache_dir=tmp_path_factory.mktemp("router-cache"))
    r.prepare_sync()
    return r


def route(router: EmbeddingRouter, text: str, context: RoutingContext | None = None) -> RouteDecision:
    return router.route_vector(router.embedder.encode([text])[0], text, context)


CLEAR = {
    "order_tracking": ["My parcel was meant to come on Monday and there's still no sign of it", "can u send me the tracking code for order 5512"],
    "returns_refunds": ["The kettle I bought leaks, I'd like to send it back for my money", "still no refund for the trainers I posted back to you"],
    "product_info": ["Does the rain coat have a hood and is it fully waterproof?", "do the leather gloves come in a size small"],
    "billing_payment": ["My statement shows you took payment two times for one purchase", "what is this 4.99 fee on my invoice"],
    "technical_support": ["The app shows a blank white screen every time I open it", "reset link for my password is not arriving in my inbox"],
    "account_management": ["I've moved house, please put my new address on my profile", "please change the mobile number on my account to the new one"],
}


@pytest.mark.parametrize("agent, text", [(a, t) for a, texts in CLEAR.items() for t in texts])
def test_clear_messages_reach_their_specialist(router, agent, text):
    decision = route(router, text)
    assert decision.agent == agent, decision.reason
    assert decision.method == "embedding"
    assert not decision.clarify
    assert decision.confidence > 0.5


def test_decision_shape(router):
    decision = route(router, "where is my parcel?")
    assert set(decision.scores) == set(ROUTABLE)
    assert sum(decision.scores.values()) == pytest.approx(1.0, abs=1e-3)
    assert decision.confidence == max(decision.scores.values())
    second = sorted(decision.scores.values())[-2]
    assert decision.margin == pytest.approx(decision.confidence - second, abs=1e-3)
    assert decision.evidence and decision.evidence[0].agent == "order_tracking"
    assert decision.reason.startswith("closest to '") and "ahead of" in decision.reason


def test_async_route_matches_route_vector(router):
    import asyncio

    text = "I was charged twice"
    assert asyncio.run(router.route(text)).agent == route(router, text).agent == "billing_payment"


@pytest.mark.parametrize("text", ["yes", "ok thanks", "and when will it arrive?", "great, anything else I need to do?"])
def test_follow_up_stays_with_the_current_specialist(router, text):
    opening = "my package hasn't shown up and the tracking hasn't moved in a week"
    route(router, opening)
    decision = route(router, text, RoutingContext(current_agent="order_tracking", previous_texts=[opening]))
    assert decision.agent == "order_tracking"
    assert decision.method in {"sticky", "embedding"}
    assert not decision.clarify


def test_vague_follow_up_is_marked_sticky(router):
    decision = route(router, "ok", RoutingContext(current_agent="returns_refunds", previous_texts=["I want to return my boots"]))
    assert decision.agent == "returns_refunds"
    assert decision.method == "sticky"


def test_a_clear_new_request_moves_the_conversation(router):
    context = RoutingContext(current_agent="order_tracking", previous_texts=["where is my order?"])
    decision = route(router, "Also I can't log into the app at all, it says my password is wrong", context)
    assert decision.agent == "technical_support"
    assert decision.method == "embedding"
    assert "current" in decision.reason


def test_vague_message_asks_for_clarification(router):
    decision = route(router, "hello, is anyone there?")
    assert decision.clarify
    assert "too close to call" in decision.reason


def test_a_message_between_two_specialists_asks_for_clarification(router):
    decision = route(router, "I want a refund of the fee you charged me")
    assert {decision.agent, decision.runner_up} == {"returns_refunds", "billing_payment"}
    assert decision.margin < 0.12
    assert decision.clarify


def test_no_clarification_when_one_specialist_is_clearly_ahead(router):
    decision = route(router, "Is the refund for the jacket going to my card or store credit?")
    assert decision.agent == "returns_refunds"
    assert not decision.clarify


def test_earlier_messages_help_a_vague_one_when_nobody_holds_the_conversation(router):
    earlier = "I think somebody else's credit card was used to pay on my bill"
    route(router, earlier)
    alone = route(router, "can you look into it?")
    with_context = route(router, "can you look into it?", RoutingContext(previous_texts=[earlier]))
    assert with_context.agent == "billing_payment"
    assert with_context.scores["billing_payment"] > alone.scores["billing_payment"]


def test_confidence_is_calibrated_not_saturated(router):
    decision = route(router, "my thing broke")
    assert 0.0 < decision.confidence < 0.99


def test_route_vector_is_fast(router):
    text = "where is my order"
    vector = router.embedder.encode([text])[0]
    started = time.perf_counter()
    for _ in range(200):
        router.route_vector(vector, text)
    assert (time.perf_counter() - started) / 200 < 0.002


def test_exemplar_matrix_is_cached_on_disk(shared_embedder, tmp_path):
    first = EmbeddingRouter(shared_embedder, cache_dir=tmp_path)
    first.prepare_sync()
    cached = list(tmp_path.glob("exemplars-*.npy"))
    assert len(cached) == 1

    class NoEncoding:
        model_id = None

        def encode(self, texts):  # pragma: no cover - must not be called
            raise AssertionError("encoded despite the cache")

    second = EmbeddingRouter(shared_embedder, cache_dir=tmp_path)
    second.embedder = NoEncoding()
    second.prepare_sync()
    assert np.allclose(second._matrix, first._matrix)
    assert second.temperature == pytest.approx(first.temperature)


@pytest.mark.parametrize(
    "text, agent",
    [
        ("I want to track my parcel", "order_tracking"),
        ("When is delivery?", "order_tracking"),
        ("I need a refund", "returns_refunds"),
        ("this is defective", "returns_refunds"),
        ("is it compatible with my phone", "product_info"),
        ("there is a charge I don't know", "billing_payment"),
        ("the app crashes", "technical_support"),
        ("login fails", "technical_support"),
        ("I am happy to apply", "order_tracking"),  # "happy"/"apply" are not "app"
        ("hello", "order_tracking"),
    ],
)
def test_keyword_rules(text, agent):
    decision = KeywordRouter().route_text(text)
    assert decision.agent == agent
    assert decision.method == "keyword"


def test_keyword_rule_order_decides_and_no_match_asks():
    decision = KeywordRouter().route_text("refund the shipping charge")
    assert decision.agent == "order_tracking"  # the tracking rule comes first
    assert decision.clarify
    assert KeywordRouter().route_text("hi").clarify
