"""``support-tui eval answers``: the classifier on hand-written replies, and the command end to end on four lines."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest

from support_tui.cli import main
from support_tui.core.evaluation import DatasetError
from support_tui.core.evaluation.answers import (
    AnswerLine,
    ToolKey,
    ToolRun,
    TurnSeen,
    article_sentences,
    classify,
    is_decline,
    load_answer_lines,
    load_articles,
    normalise,
)
from support_tui.core.paths import kb_source_dir

REFUNDS = """# Checking your refund status

## Answer

You can follow a refund in **Account > Orders**, and we email you at each step.

1. Open the order page and choose the order you returned.
2. Short step.
"""
SHIPPING = """# Shipping options

Standard shipping takes 3-5 business days and is free on orders over $50.
"""
ARTICLES = {"refund-status": article_sentences(REFUNDS), "shipping-options": article_sentences(SHIPPING)}

REFUND_LINE = AnswerLine("Where is my refund?", "refund_status", accept_articles=("refund-status",),
                         accept_tools=(ToolKey("list_returns"), ToolKey.parse("list_orders~return")))
OFF_TOPIC = AnswerLine("What's the weather in Paris?", "off_topic")
DECLINE = "I'm sorry, Sarah, I can't help with that here — I can help with your orders and deliveries."


def outcome(reply: str, *tools: str, line: AnswerLine = REFUND_LINE, escalated: bool = False, failed: tuple[str, ...] = ()) -> str:
    runs = tuple(ToolRun(t, True) for t in tools) + tuple(ToolRun(t, False) for t in failed)
    return classify(line, TurnSeen(reply, runs, escalated), ARTICLES).outcome


def test_article_sentences_keep_whole_sentences_of_eight_words_without_markdown() -> None:
    assert ARTICLES["refund-status"] == {
        "you can follow a refund in account > orders, and we email you at each step",
        "open the order page and choose the order you returned",
    }
    assert normalise("1. **You CAN  follow** it!\n") == "you can follow it"
    assert normalise("## Where\n- `Account` \u2019s\n") == "where account 's"


def test_a_quoted_sentence_of_an_accepted_article_is_right_whatever_the_markdown() -> None:
    assert outcome("Hi. You can follow a refund in Account > Orders, and we email you at each step. Anything else?") == "right"
    assert outcome("Here's how:\n1. **Open the order page** and choose the order you returned.") == "right"


def test_a_fragment_under_eight_words_is_not_a_quote() -> None:
    assert outcome("You can follow a refund in Account. Is there anything else I can help with?") == "wrong"


def test_an_accepted_tool_that_ran_is_right_and_one_that_failed_is_not() -> None:
    assert outcome("I don't see any returns or refunds on your account yet.", "list_returns") == "right"
    assert outcome("Something went wrong looking that up.", failed=("list_returns",)) == "wrong"


def test_tool_with_a_word_needs_the_word_in_the_reply() -> None:
    assert outcome("Your order ORD-1 can be sent back as a Return within 30 days.", "list_orders") == "right"
    assert outcome("Your order ORD-1 was delivered on Monday 2 March.", "list_orders") == "wrong"


def test_quoting_another_article_makes_an_accepted_tool_wrong() -> None:
    reply = "No returns yet. Standard shipping takes 3-5 business days and is free on orders over $50."
    assert outcome(reply, "list_returns") == "wrong"


def test_an_unrelated_record_dump_is_wrong() -> None:
    assert outcome("Your order ORD-1 (a case) was delivered on Monday 2 March.", "lookup_order") == "wrong"


def test_a_question_with_no_facts_or_asking_which_order_is_clarify() -> None:
    assert outcome("Hi. Could you tell me a little more about what you need?") == "clarify"
    assert outcome("You have ORD-1 and ORD-2. Which of these is it about?", "lookup_order") == "clarify"
    # the stock closing question is not a clarification
    assert outcome("Hi. Is there anything else I can help with?") == "wrong"


def test_the_off_topic_decline_is_refused_on_a_shop_question() -> None:
    assert is_decline(DECLINE.replace("'", "\u2019").upper())
    assert outcome(DECLINE) == "refused"


def test_a_hand_over_is_escalated_before_anything_else() -> None:
    reply = "You can follow a refund in Account > Orders, and we email you at each step. A colleague will take over."
    assert outcome(reply, "list_returns", escalated=True) == "escalated"


def test_off_topic_is_right_only_as_the_bare_decline() -> None:
    assert outcome(DECLINE, line=OFF_TOPIC) == "right"
    assert outcome(DECLINE, "list_orders", line=OFF_TOPIC) == "wrong"
    assert outcome(DECLINE + " Standard shipping takes 3-5 business days and is free on orders over $50.",
                   line=OFF_TOPIC) == "wrong"
    assert outcome("Which order is it about?", line=OFF_TOPIC) == "wrong"
    assert outcome(DECLINE, line=OFF_TOPIC, escalated=True) == "escalated"


def test_the_real_knowledge_base_has_quotable_sentences_in_every_article() -> None:
    articles = load_articles(kb_source_dir())
    assert len(articles) >= 30 and all(len(s) >= 3 for s in articles.values())


def test_a_line_without_intent_is_a_dataset_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "hi", "accept_articles": []}\n', encoding="utf-8")
    with pytest.raises(DatasetError, match="bad.jsonl:1"):
        load_answer_lines(bad)


@pytest.mark.parametrize("content", [None, "not json\n", '{"text": "hi", "intent": "x", "accept_tools": "list_orders"}\n'])
def test_a_missing_or_malformed_file_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                              content: str | None) -> None:
    data = tmp_path / "answers.jsonl"
    if content is not None:
        data.write_text(content, encoding="utf-8")
    assert main(["eval", "answers", "--data", str(data)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("support-tui: ") and "answers.jsonl" in err and "\n" not in err


LINES = [
    {"text": "I'm hoping to check in on the status of my refund", "intent": "refund_status",
     "accept_articles": ["refund-status", "refunds"], "accept_tools": ["list_returns"]},
    {"text": "Hi I need to check the status of my shipped order.", "intent": "status",
     "accept_articles": ["tracking-an-order"], "accept_tools": ["track_shipment", "lookup_order"]},
    {"text": "What's the weather like in Paris tomorrow?", "intent": "off_topic", "accept_articles": [], "accept_tools": []},
    {"text": "How long does a refund take to show on my card?", "intent": "refund_status",
     "accept_articles": ["refund-status", "refunds"], "accept_tools": []},
]


def test_eval_answers_json_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                      shared_embedder: object) -> None:
    import support_tui.cli.answers as answers

    monkeypatch.setattr(answers, "play_answer_lines", functools.partial(answers.play_answer_lines, embedder=shared_embedder))
    data = tmp_path / "answers.jsonl"
    data.write_text("".join(json.dumps(line) + "\n" for line in LINES), encoding="utf-8")
    assert main(["eval", "answers", "--data", str(data), "--json", "--show", "not-right"]) == 0
    report = json.loads(capsys.readouterr().out)
    shares = ("right", "clarify", "wrong", "refused", "escalated")
    assert set(report) == {"n", *shares, "per_intent"}
    assert report["n"] == 4 and sum(report[s] for s in shares) == pytest.approx(1.0, abs=0.002)
    assert set(report["per_intent"]) == {"refund_status", "status", "off_topic"}
    assert report["per_intent"]["refund_status"]["n"] == 2
    for intent in report["per_intent"].values():
        assert set(intent) == {"n", *shares} and sum(intent[s] for s in shares) == pytest.approx(1.0, abs=0.002)
    # The shipped order is tracked by the offline model: at least that line is right.
    assert report["per_intent"]["status"]["right"] == 1.0
