"""Escalation by meaning: the human-request detector, swearing versus abuse, and ``eval escalation``."""

from __future__ import annotations

import json

import pytest

from support_tui.core.events import IntentReading
from support_tui.cli import main
from support_tui.core.escalation import EscalationSignals, assess_opening, evaluate
from support_tui.core.human_request import HumanRequestDetector, rule_says_request

REQUESTS = [
    "how do i contact a human agent",
    "I need help speaking with somebody",
    "speek to a humen",
    "could somebody from your team ring me back this afternoon",
    "could i possibly have a word with one of your staff",
    "I've tried the reset steps twice and it still fails, I'd really like a real person to look at it",
    "pls get me a rep",
]
ORDINARY = [
    "I want to return my headphones",
    "can a person pick up the order at a store?",
    "my son placed this order",
    "is there a human-readable invoice",
    "Where is my order ORD-70032?",
    "Thanks, the agent on the phone yesterday already fixed it",
    "Can I update the phone number on my account?",
]
CONTACT = [
    "what's your phone number",
    "Is there a number I can ring to sort this out?",
    "what hours is customer service open on saturday",
    "what's your support email address",
    "can I call you instead?",
]
"""Questions about how to reach us: the contact article answers them (it says how to ask for a person)."""
NEGATIVE_WORDS = [
    "I bought some boots but they are the wrong colour",
    "the jacket doesn't fit",
    "my kettle arrived broken, what are my options",
]


@pytest.fixture(scope="module")
def detector(shared_embedder, tmp_path_factory):
    found = HumanRequestDetector(shared_embedder, cache_dir=tmp_path_factory.mktemp("hr-cache"))
    found.prepare_sync()
    return found


async def test_recognises_requests_and_rejects_ordinary_messages(detector) -> None:
    for text in REQUESTS:
        assert await detector.detect(text), text
    for text in ORDINARY:
        assert not await detector.detect(text), text


async def test_questions_about_how_to_reach_us_are_not_requests_for_a_person(detector) -> None:
    for text in CONTACT:
        assert not await detector.detect(text), text
        assert assess_opening(text, human_request=await detector.detect(text)) is None, text


async def test_negative_words_in_an_ordinary_request_are_not_a_hand_over(detector) -> None:
    for text in NEGATIVE_WORDS:
        assert assess_opening(text, human_request=await detector.detect(text)) is None, text


async def test_the_head_reads_the_turns_vector_without_encoding_again(detector, shared_embedder, monkeypatch) -> None:
    vector = shared_embedder.encode(["i need a real person on this, the chat isn't getting it"])[0]

    async def no_encode(texts):  # one encode per message: the turn's
        raise AssertionError(f"encoded again: {texts}")

    monkeypatch.setattr(detector.embedder, "aencode", no_encode)
    assert await detector.detect("i need a real person on this, the chat isn't getting it", vector)
    assert detector.probability(vector) >= detector.threshold


def test_router_messages_worded_as_requests_are_not_counter_examples(detector) -> None:
    # "I'd like to talk to someone about a charge" is a billing exemplar of the router and a request for a
    # person: the head is fitted without it as a counter-example, so it reads as a request.
    assert "Hello, I'd like to talk to someone about a charge" in detector.extra_ordinary
    vector = detector.embedder.encode(["Hello, I'd like to talk to someone about a charge"])[0]
    assert detector.probability(vector) >= 0.5


async def test_the_verdict_names_the_rule_and_calm_openings_stay_with_the_ai(detector) -> None:
    verdict = assess_opening("speak with an operator please", human_request=await detector.detect("speak with an operator please"))
    assert verdict is not None and verdict.rule == "human_requested" and verdict.reason == "the customer asked to speak to a person"
    for text in ORDINARY:
        assert assess_opening(text, human_request=await detector.detect(text)) is None, text


def test_doubting_anyone_is_there_and_a_request_in_one_sentence_ask_for_a_person() -> None:
    for text in ("Is anyone actually there?", "is somebody even reading these messages",
                 "im done with the bot. human. now.", "I'm fed up of talking to a chatbot"):
        assert rule_says_request(text), text
    # A plain greeting, a complaint about a delivery, someone's manager, or where to write a complaint are not.
    for text in ("hello, anyone there?", "I want to complain about my delivery", "my manager ordered this. where is it?",
                 "Where do I send a letter to your complaints manager?", "what's your customer service number?"):
        assert not rule_says_request(text), text


def test_swearing_in_a_polite_request_is_not_an_escalation() -> None:
    assert assess_opening("Where the hell is my parcel? Could you check please, thanks", human_request=False) is None
    abusive = assess_opening("you're a useless bot, shut up and find my parcel", human_request=False)
    assert abusive is not None and abusive.rule == "abusive"
    assert assess_opening("this shit service, where is my damn parcel", human_request=False) is not None


def test_existing_call_sites_without_the_detector_still_work() -> None:
    base = dict(compound=0.0, trend_compound=0.0, trend_label="steady", signals=(), tier="standard",
                route_confidence=0.9, low_confidence_turns=0, failed_tool_calls=0, policy_blocked=False)
    verdict = evaluate(EscalationSignals(text="Can I speak to a real person please?", **base))
    assert verdict is not None and verdict.rule == "human_requested"
    assert evaluate(EscalationSignals(text="Can I speak to a real person please?", human_request=False, **base)) is None
    # A single sad opening is not a conversation going badly; the same level over two messages is.
    sad = {**base, "compound": -0.6, "trend_compound": -0.6}
    assert evaluate(EscalationSignals(text="my return was rejected", trend_messages=1, **sad)) is None
    assert evaluate(EscalationSignals(text="my return was rejected", trend_messages=2, **sad)).rule == "negative_sentiment"


def test_eval_escalation_json(tmp_path, capsys) -> None:
    rows = [{"text": t, "escalate": True} for t in REQUESTS[:3]] + [{"text": t, "escalate": False} for t in ORDINARY[:4]]
    path = tmp_path / "esc.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    assert main(["eval", "escalation", "--data", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"n", "precision", "recall", "f1", "false_positive_rate", "misses"} <= set(data)
    assert data["n"] == 7 and data["recall"] == 1.0 and data["false_positive_rate"] == 0.0 and data["misses"] == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        ('{"text": "hi", "escalate": false}\nnot json\n', ":2: not JSON"),
        ('{"text": "hi", "escalate": "yes"}\n', "'escalate' must be true or false"),
        ('{"escalate": true}\n', "missing or empty 'text'"),
    ],
)
def test_eval_escalation_bad_input(tmp_path, capsys, content, message) -> None:
    path = tmp_path / "bad.jsonl"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    assert main(["eval", "escalation", "--data", str(path), "--json"]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and "Traceback" not in captured.err and captured.out == ""


def test_eval_escalation_for_a_vip_reads_ordinary_requests_with_the_intent_layer(tmp_path, capsys) -> None:
    rows = [{"text": "I bought some boots but they are the wrong colour", "escalate": False},
            {"text": "I'm furious, this is the third time the order is wrong and nobody helps", "escalate": True}]
    path = tmp_path / "vip.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    assert main(["eval", "escalation", "--data", str(path), "--tier", "vip", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["counts"] == {"tp": 1, "fp": 0, "fn": 0, "tn": 1}, data["misses"]
    # Without the intent layer's reading the same wrong-colour message would hand a VIP over.
    verdict = assess_opening(rows[0]["text"], human_request=False, tier="vip")
    assert verdict is not None and verdict.rule == "vip_negative"
    assert assess_opening(rows[0]["text"], human_request=False, tier="vip", ordinary_request=True) is None


def test_a_request_asked_between_two_shop_topics_is_still_an_ordinary_request() -> None:
    # "my plus payment failed, what happens now": membership or a declined card, either way a request of the
    # shop, so its negative words are what it is about; an unclear or off-topic reading is not.
    def reading(decision: str, kind: str) -> IntentReading:
        return IntentReading.model_validate({"decision": decision, "kind": kind, "intent": "x"})

    assert reading("ask", "article").shop_request and reading("answer", "flow").shop_request
    assert not reading("rephrase", "unclear").shop_request and not reading("decline", "decline").shop_request
    assert not reading("rephrase", "flow").shop_request
