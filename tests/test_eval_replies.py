"""``support-tui eval replies``: each rule of core/reply_checks catches the bad reply it names, and the
suite's own cases come out clean through the real command (a handful here; ``make eval`` runs them all)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from support_tui.cli import main
from support_tui.core.evaluation.replies import (
    RULES,
    ReplyTurn,
    Violation,
    check_reply,
    load_reply_cases,
    rule_counts,
    TurnReport,
)
from support_tui.core.turn.summary import TurnSummary

TODAY = date(2026, 11, 26)
CASE_RESULT = {"order_id": "ORD-67891", "status": "delivered", "delivered_at": "2026-11-23T16:05:00", "total": 46.42,
               "items": [{"sku": "PC-9002-BLK", "name": "ArmorFlex MagSafe Case", "quantity": 1, "price": 29.99}]}


def summary(reply: str, *calls: dict[str, Any], kb: tuple[dict[str, str], ...] = ()) -> TurnSummary:
    snippets = [{"doc_id": "doc", "chunk_id": "doc#0", "title": "Doc", "score": 1.0, **k} for k in kb]
    return TurnSummary.model_validate({"status": "completed", "reply": reply, "tool_calls": list(calls), "kb": snippets,
                                       "error": None})


def call(name: str, result: Any, arguments: dict[str, Any] | None = None, status: str = "ok") -> dict[str, Any]:
    return {"call_id": f"call_{name}", "name": name, "arguments": arguments or {}, "status": status, "result": result,
            "error": None, "rule": None}


LOOKUP = call("lookup_order", {"order": CASE_RESULT}, {"order_id": "ORD-67891"})


def rules(turn: ReplyTurn, s: TurnSummary, previous: str | None = None) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for v in check_reply(turn, s, previous, TODAY):
        out.setdefault(v.rule, []).append(v.detail)
    return out


def test_a_good_reply_breaks_no_rule() -> None:
    reply = ("Your order ORD-67891 (ArmorFlex MagSafe Case) was delivered on Monday 23 November. "
             "Is there anything else I can help with?")
    assert rules(ReplyTurn("Where is ORD-67891?", must_mention=(("delivered",),)), summary(reply, LOOKUP)) == {}


@pytest.mark.parametrize(("reply", "says"), [
    ("It was delivered on 2026-11-23T16:05:00.", "raw date or timestamp 2026-11-23T16:05:00"),
    ("Your return is label_sent.", "snake_case value 'label_sent'"),
    ("Your order has items PC-9002-BLK.", "SKU PC-9002-BLK without its product name"),
    ("It was cancelled with None, tracking None.", "Python value None"),
    ("Noise cancelling: True.", "Python value True"),
    ("I found 6 charge(s) on your card.", "a '(s)' plural"),
    ("The Northwind AeroSound Wireless Headphones headphones are here.", "word repeated"),
])
def test_raw_values_are_caught(reply: str, says: str) -> None:
    found = rules(ReplyTurn("Where is my order?"), summary(reply, LOOKUP))
    assert any(says in detail for detail in found.get("raw_values", [])), found


def test_a_sku_next_to_its_product_name_is_fine() -> None:
    reply = "Your order holds the ArmorFlex MagSafe Case (PC-9002-BLK)."
    assert "raw_values" not in rules(ReplyTurn("What did I order?"), summary(reply, LOOKUP))


@pytest.mark.parametrize(("reply", "says"), [
    # a KB sentence started in its middle
    ("Good news: free when the item is defective, arrived damaged, or we sent the wrong thing, and for exchanges.",
     "part of a KB sentence"),
    # a heading run into the sentence under it
    ("30-day window You can return most items within 30 days of delivery.", "heading glued to a sentence"),
    # a sentence that promises text that never follows
    ("Most parcels arrive on time, but carriers do lose or delay some. Here is what to do and what we will do.",
     "announcing text that is not quoted"),
])
def test_knowledge_base_fragments_are_caught(reply: str, says: str) -> None:
    found = rules(ReplyTurn("How do returns work?"), summary(reply))
    assert any(says in detail for detail in found.get("kb_quoting", [])), found


def test_a_whole_kb_answer_is_fine() -> None:
    reply = ("Return labels are free when the item is defective, arrived damaged, or we sent the wrong thing, and for "
             "exchanges.")
    assert "kb_quoting" not in rules(ReplyTurn("Do I pay for return labels?"), summary(reply))


def test_an_amount_id_or_date_in_no_tool_result_is_caught() -> None:
    reply = "Order ORD-99999 was refunded $99.00 on Friday 4 December."
    found = rules(ReplyTurn("Where is ORD-67891?"), summary(reply, LOOKUP))["grounded"]
    assert any("$99.00" in d for d in found) and any("ORD-99999" in d for d in found)
    assert any("4 December" in d for d in found)


def test_a_wrong_weekday_is_caught() -> None:
    found = rules(ReplyTurn("When did it arrive?"), summary("It was delivered on Sunday 23 November.", LOOKUP))
    assert any("wrong day of the week" in d for d in found["grounded"])


def test_order_details_in_a_general_answer_are_caught() -> None:
    reply = "Your order ORD-67891 was delivered. You can return most items within 30 days of delivery."
    found = rules(ReplyTurn("What's your return policy?", general=True), summary(reply, LOOKUP))
    assert any("read the customer's records: lookup_order" in d for d in found["no_order_details"])
    assert any("shows order details: ORD-67891" in d for d in found["no_order_details"])


def test_a_request_left_unanswered_is_caught() -> None:
    turn = ReplyTurn("Do you ship to Canada, and how long do I have to return something?",
                     must_mention=(("Canada",), ("30 days",)), must_not_mention=("tracking number",))
    found = rules(turn, summary("We ship to Canada; your tracking number is 1Z999.", ))
    assert found["answered"] == ["says none of ['30 days']", "says 'tracking number'"]


def test_a_confirmed_write_must_move_the_quoted_amount() -> None:
    executed = call("create_return", {"rma_id": "RMA-1", "amount": 32.39}, {"order_id": "ORD-67891"})
    wrong = rules(ReplyTurn("yes"), summary("Done.", executed), previous="The refundable amount is $46.42. Shall I?")
    assert wrong["confirmed_amount"] == ["quoted $46.42; $32.39 was executed"]
    right = rules(ReplyTurn("yes"), summary("Done.", executed), previous="$32.39 goes back to your card. Shall I?")
    assert "confirmed_amount" not in right


def test_no_reply_is_its_own_rule() -> None:
    assert rules(ReplyTurn("hi"), TurnSummary(status="failed", error="boom", reply="")) == {
        "replied": ["no reply (status failed: boom)"]}


def test_rule_counts_count_each_reply_once_per_rule() -> None:
    reports = [TurnReport("a", 1, "x", "y", [Violation("grounded", "1"), Violation("grounded", "2")]),
               TurnReport("b", 1, "x", "y", [])]
    assert rule_counts(reports) == {rule: int(rule == "grounded") for rule in RULES}


def test_the_suite_has_enough_varied_cases() -> None:
    cases = load_reply_cases()
    assert sum(len(c.turns) for c in cases) >= 60
    assert len({c.customer for c in cases}) >= 30 and any(len(c.turns) > 1 for c in cases)


SAMPLE = ["seed-defective-case-return", "multi-track-and-policy", "greeting-hi", "offtopic-weather", "human-calm",
          "late-and-double-charge"]
"""A handful of the suite's cases (a confirmed write, an own question and a policy question at once, a
greeting, off-topic, a calm request for a person, two requests about one's own orders): CI plays these,
``make eval`` plays all."""


def test_eval_replies_json_and_a_sample_of_the_suite_is_clean(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("SUPPORT_TUI_HOME", str(tmp_path / "home"))
    code = main(["eval", "replies", "--json", *[a for case in SAMPLE for a in ("--only", case)]])
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {"cases", "replies", "clean", "clean_share", "rules", "seconds", "turns"}
    assert set(report["rules"]) == set(RULES)
    assert set(report["turns"][0]) == {"case", "turn", "text", "reply", "clean", "violations"}
    dirty = [t for t in report["turns"] if not t["clean"]]
    assert dirty == [] and code == 0
    assert report["cases"] == len(SAMPLE) and report["clean_share"] == 1.0
