"""The intent layer: a catalogue learned from exemplars, its four decisions, the prompt lines, and the offline
model acting on them (answer from the article, run the flow, ask between two, decline)."""

from __future__ import annotations

import json
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from support_tui.core.events import IntentReading, IntentScore
from support_tui.core.llm.offline.provider import decide as offline_decide
from support_tui.core.shop import CustomerSummary
from support_tui.core.specialists import default_team
from support_tui.core.turn.prompts import intent_lines, system_prompt
from support_tui.core.understanding.catalog import load_catalog
from support_tui.core.understanding.classifier import IntentClassifier
from support_tui.shops.northwind.tools import SPECIALIST_TOOLS, TOOLS

CATALOG = """
[intents.track_order]
flow = "track_order"
specialist = "order_tracking"
topic = "delivery"
label = "where your order is"
exemplars = ["where is my order", "my parcel has not arrived", "when will my package come"]

[intents.gift-cards]
article = "gift-cards"
specialist = "billing_payment"
topic = "gift cards"
label = "gift cards"
exemplars = ["do gift cards expire", "gift card balance", "lost my gift card"]

[intents.off_topic]
decline = true
topic = "off topic"
label = "something else"
exemplars = ["write me a poem", "weather tomorrow", "tell me a joke"]
"""

UNCLEAR = """
[intents.unclear]
unclear = true
topic = "unclear"
label = "something else"
exemplars = ["i have a question", "can you help me", "i need some help please"]
"""


class WordHashEncoder:
    """Deterministic bag-of-words vectors: texts sharing words are close, others are not."""

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), 64), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().replace("?", " ").split():
                out[row, zlib.crc32(word.encode()) % 64] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return np.asarray(out / np.maximum(norms, 1e-9), dtype=np.float32)


@pytest.fixture
def classifier(tmp_path: Path) -> IntentClassifier:
    return prepared(tmp_path, CATALOG)


def prepared(tmp_path: Path, catalog_text: str) -> IntentClassifier:
    catalog_file = tmp_path / "intents.toml"
    catalog_file.write_text(catalog_text)
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "gift-cards.md").write_text("# Gift cards\n\n## Answer\n\nThey never expire.\n\n## Balance and expiry\n\nSee it.\n")
    catalog = load_catalog(catalog_file, kb)
    found = IntentClassifier(catalog, WordHashEncoder(), model_id="words", cache_dir=tmp_path / "cache")
    found.prepare_sync()
    return found


def read(classifier: IntentClassifier, text: str) -> IntentReading:
    return classifier.read(WordHashEncoder().encode([text])[0])


def test_an_article_s_title_and_headings_become_exemplars(classifier: IntentClassifier) -> None:
    texts = [t for t, label in zip(classifier.catalog.texts, classifier.catalog.labels) if label == "gift-cards"]
    assert "Gift cards" in texts and "Gift cards: balance and expiry" in texts
    assert not any(t.endswith(": answer") for t in texts)


def test_unknown_intents_in_extra_exemplars_are_refused(tmp_path: Path) -> None:
    (tmp_path / "intents.toml").write_text(CATALOG)
    (tmp_path / "extra.jsonl").write_text(json.dumps({"text": "hello", "intent": "nope"}) + "\n")
    with pytest.raises(ValueError, match="unknown intent 'nope'"):
        load_catalog(tmp_path / "intents.toml", None, tmp_path / "extra.jsonl")


def test_a_clear_message_is_answered_with_its_intent_and_the_evidence(classifier: IntentClassifier) -> None:
    reading = read(classifier, "where is my order")
    assert reading.decision == "answer" and reading.intent == "track_order" and reading.flow == "track_order"
    assert reading.specialist == "order_tracking" and reading.top[0].intent == "track_order"
    assert reading.evidence[0].text == "where is my order" and "answer" in reading.rule


def test_off_topic_is_declined_and_nothing_close_asks_for_more(classifier: IntentClassifier) -> None:
    assert read(classifier, "tell me a joke").decision == "decline"
    vague = read(classifier, "zzz qqq")
    assert vague.decision in ("rephrase", "decline") and "near" in vague.rule


def test_an_opening_that_names_no_request_asks_what_it_is(tmp_path: Path) -> None:
    classifier = prepared(tmp_path, CATALOG + UNCLEAR)
    reading = read(classifier, "hi can you help me i have a question")
    assert reading.kind == "unclear" and reading.decision == "rephrase" and "names no request" in reading.rule
    assert reading.specialist is None
    classifier.answer = 0.99  # nor is it one of two to choose between
    assert read(classifier, "hi can you help me i have a question").decision == "rephrase"
    # Less than sure it names no request: the shop topics are weighed alone, without the unclear share.
    classifier.answer = 0.55
    mixed = read(classifier, "can you help me, my parcel has not arrived")
    assert mixed.decision == "answer" and mixed.intent == "track_order", mixed
    assert "unclear" not in {s.topic for s in mixed.top}


def test_two_close_topics_make_a_question(classifier: IntentClassifier) -> None:
    classifier.answer = 0.99  # no topic is that sure: the best two are named
    reading = read(classifier, "where is my gift card order")
    assert reading.decision == "ask" and len(reading.options) == 2
    assert {o.topic for o in reading.options} == {"delivery", "gift cards"}


def test_the_prompt_carries_the_reading() -> None:
    ask = IntentReading(decision="ask", intent="track_order", top=[
        IntentScore(intent="track_order", score=0.5, topic="delivery", label="where your order is"),
        IntentScore(intent="gift-cards", score=0.4, topic="gift cards", label="gift cards")])
    assert intent_lines(ask) == ["intent_decision: ask", "intent: track_order",
                                 "intent_options: where your order is | gift cards"]
    assert intent_lines(IntentReading(decision="follow_up")) == ["intent_decision: follow_up"]


def decide(messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> Any:
    """The offline model's answer with Northwind's skill (the one the prompt's ``shop:`` line names)."""
    from support_tui.shops.northwind.offline import NorthwindSkill

    return offline_decide(messages, tools, NorthwindSkill())


def _messages(specialist: str, text: str, reading: IntentReading, snippets: tuple[tuple[str, str], ...] = ()) -> list[dict[str, Any]]:
    from support_tui.core.events import Snippet

    prompt = system_prompt(
        default_team()[specialist], shop_title="Northwind Goods", shop="northwind",
        customer=CustomerSummary(id="cust_1", name="Sarah Chen", email="s@example.com", tier="standard"),
        mode="auto", escalated=False, intent=reading,
        snippets=[Snippet(doc_id=cid.split("#")[0], chunk_id=cid, title="Gift cards", score=1.0, text=body)
                  for cid, body in snippets],
    )
    return [{"role": "system", "content": prompt}, {"role": "user", "content": text}]


def _tools(specialist: str) -> list[dict[str, Any]]:
    return [TOOLS[name].schema() for name in SPECIALIST_TOOLS[specialist]]


def test_the_offline_model_quotes_the_article_the_intent_names() -> None:
    reading = IntentReading(decision="answer", intent="gift-cards", kind="article", article="gift-cards",
                            specialist="billing_payment")
    answer = decide(_messages("billing_payment", "do my vouchers run out", reading, (
        ("shipping-fees#0", "## Answer Shipping is free over $50."),
        ("gift-cards#0", "## Answer Northwind gift cards never expire and carry no fees."),
    )), _tools("billing_payment"))
    assert not answer.tool_calls
    assert "Northwind gift cards never expire and carry no fees." in answer.text and "Shipping" not in answer.text


def test_the_offline_model_runs_the_flow_the_intent_names() -> None:
    reading = IntentReading(decision="answer", intent="track_order", kind="flow", flow="track_order",
                            specialist="order_tracking")
    answer = decide(_messages("order_tracking", "any news on my stuff", reading), _tools("order_tracking"))
    assert [c["function"]["name"] for c in answer.tool_calls] == ["list_orders"]


def test_the_offline_model_asks_between_two_and_declines_off_topic() -> None:
    ask = IntentReading(decision="ask", intent="track_order", top=[
        IntentScore(intent="track_order", score=0.5, topic="delivery", label="where your order is"),
        IntentScore(intent="gift-cards", score=0.4, topic="gift cards", label="gift cards")])
    asked = decide(_messages("order_tracking", "my gift thing", ask), _tools("order_tracking"))
    assert not asked.tool_calls and "where your order is or gift cards?" in asked.text
    declined = decide(_messages("order_tracking", "what about my shares",
                                IntentReading(decision="decline", intent="off_topic", kind="decline")),
                      _tools("order_tracking"))
    assert not declined.tool_calls and "can't help with that here" in declined.text


def _tools_with_meta(specialist: str) -> list[dict[str, Any]]:
    from support_tui.core.turn.meta_tools import META_TOOLS

    return [*_tools(specialist), *(META_TOOLS[name].schema() for name in ("transfer_to_specialist", "escalate_to_human"))]


def test_yes_to_our_offer_of_a_colleague_hands_over() -> None:
    offer = ("I'm sorry, I can't do that as asked. A colleague has looked at it, and I'm happy to help find another "
             "way — would you like me to pass your case to them?")
    messages = _messages("billing_payment", "yes", IntentReading(decision="follow_up"))
    messages[1:1] = [{"role": "user", "content": "refund my order please"}, {"role": "assistant", "content": offer}]
    answer = decide(messages, _tools_with_meta("billing_payment"))
    assert [c["function"]["name"] for c in answer.tool_calls] == ["escalate_to_human"]


def test_yes_to_anything_else_asks_what_and_is_not_declined() -> None:
    messages = _messages("billing_payment", "yes", IntentReading(decision="follow_up"))
    messages[1:1] = [{"role": "user", "content": "do gift cards expire"},
                     {"role": "assistant", "content": "They never expire. Is there anything else I can help with?"}]
    answer = decide(messages, _tools_with_meta("billing_payment"))
    assert not answer.tool_calls and "what can I help you with?" in answer.text
    assert "can't help with that" not in answer.text
