"""Scripted scenarios: the shipped files load and cover the product, the checker names each miss, and every
scenario passes on the real engine with the offline model."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from support_tui.core.events import ReplyCompleted, RouteDecided, ToolCallFinished, TurnCompleted, TurnStarted
from support_tui.core.scenarios import (
    FinalExpect,
    ReadCheck,
    Scenario,
    ScenarioError,
    TurnExpect,
    check_read,
    check_turn,
    load_scenario,
    load_scenarios,
    run_scenario,
    scenarios_dir,
)
from support_tui.core.specialists import ROUTABLE
from support_tui.core.turn.summary import TurnSummary

SHIPPED = load_scenarios()

KNOWN_ENGINE_BUGS: dict[str, str] = {}
"""Scenarios that fail because of the engine or the offline model, not the scenario; owners are told."""


# the shipped files ---------------------------------------------------------------------------------


def test_shipped_scenarios_load_and_are_named_by_their_files():
    stems = sorted(p.stem for p in scenarios_dir().glob("*.json"))
    assert sorted(s.id for s in SHIPPED) == stems
    assert len(SHIPPED) >= 60


def test_the_five_seed_scenarios_are_there_word_for_word():
    first = {s.steps[0].customer for s in SHIPPED if s.customer_id == "cust_12345"}
    for text in (
        "Hi, I need to track my order #ORD-67890. When will it arrive?",
        "I received a defective phone case and want to return it for a refund",
        "Can you tell me if the wireless headphones are compatible with iPhone?",
        "I'm very upset! I was charged twice for my order and nobody is helping me!",
        "The mobile app keeps crashing when I try to log in",
    ):
        assert text in first


def test_shipped_scenarios_cover_every_specialist_rule_and_supervisor_action():
    expects = [step.expect for s in SHIPPED for step in s.steps]
    assert {e.route for e in expects} >= set(ROUTABLE)
    assert {e.handoff_to for e in expects} - {None}, "some scenario hands a conversation over"
    assert {e.escalation_rule for e in expects} >= {
        "legal_or_safety", "human_requested", "vip_negative", "negative_sentiment", "repeated_failure", "policy_blocked",
    }
    assert {e.blocked_rule for e in expects} >= {
        "customer_confirmation", "cancel_before_shipping", "address_before_shipping", "refund_cap", "human_approval",
        "human_denied",
    }
    kinds = {type(step).__name__ for s in SHIPPED for step in s.steps}
    assert kinds == {"CustomerStep", "ApproveStep", "DenyStep"}
    assert any(len(s.steps) > 1 for s in SHIPPED) and any(s.mode == "supervised" for s in SHIPPED)
    assert all(s.expect_final != FinalExpect() or any(step.expect != TurnExpect() for step in s.steps) for s in SHIPPED)


def test_shipped_scenarios_check_outcomes_through_the_shop_not_sql():
    assert [s.id for s in SHIPPED if s.expect_final.store] == []
    assert sum(len(s.expect_final.shop) for s in SHIPPED) >= 25


# the loader ----------------------------------------------------------------------------------------


def _write(folder: Path, name: str, data: object) -> Path:
    path = folder / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


GOOD = {"id": "ok", "title": "Fine", "customer_id": "cust_12345", "steps": [{"customer": "hello"}]}


def test_bad_json_is_reported_with_the_file_and_position(tmp_path):
    path = _write(tmp_path, "broken.json", '{"id": "x",\n  "steps": [}')
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert str(path) in str(err.value) and "line 2" in str(err.value)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"steps": [{"customer": "hi", "expect": {"rout": "order_tracking"}}]}, "steps.0.customer.expect.rout"),
        ({"steps": [{"customer": "hi", "expect": {"route": "shipping"}}]}, "unknown specialist 'shipping'"),
        ({"steps": [{"customer": "hi", "expect": {"tools_called": ["track_order"]}}]}, "unknown tool 'track_order'"),
        ({"steps": [{"customer": "hi", "expect": {"blocked_rule": "return_windw"}}]}, "unknown policy rule 'return_windw'"),
        ({"steps": [{"customer": "hi", "expect": {"escalation_rule": "angry"}}]}, "unknown escalation rule 'angry'"),
        ({"steps": [{"say": "hi"}]}, "a step needs one of: customer, approve_pending, deny_pending"),
        ({"steps": []}, "steps"),
        ({"expect_final": {"store": [{"sql": "DELETE FROM orders", "equals": 0}]}}, "single SELECT"),
        ({"expect_final": {"shop": [{"read": {"tool": "cancel_order"}, "count": 0}]}}, "checks use read tools only"),
        ({"expect_final": {"shop": [{"read": {"tool": "get_acount"}, "equals": 1}]}}, "unknown tool 'get_acount'"),
        ({"expect_final": {"shop": [{"read": {"tool": "get_account"}}]}}, "exactly one of equals or count"),
        ({"expect_final": {"shop": [{"read": {"tool": "get_account"}, "equals": 1, "count": 1}]}}, "exactly one of"),
        ({"expect_final": {"handoffs": ["shipping"]}}, "unknown specialist 'shipping'"),
    ],
)
def test_invalid_scenarios_are_refused_with_a_pointed_message(tmp_path, change, words):
    path = _write(tmp_path, "bad.json", GOOD | change)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert str(path) in str(err.value) and words in str(err.value)


def test_every_bad_file_in_a_folder_is_reported_at_once(tmp_path):
    _write(tmp_path, "a.json", "not json")
    _write(tmp_path, "b.json", GOOD | {"title": ""})
    _write(tmp_path, "c.json", GOOD)
    _write(tmp_path, "d.json", GOOD)
    with pytest.raises(ScenarioError) as err:
        load_scenarios(tmp_path)
    message = str(err.value)
    assert "a.json" in message and "b.json" in message and "id 'ok' is used by 2 files" in message


# the checker ---------------------------------------------------------------------------------------


def _summary(**over) -> TurnSummary:
    base = {
        "status": "completed", "agent": "order_tracking",
        "route": {"agent": "order_tracking", "method": "embedding", "confidence": 0.9, "margin": 0.5, "scores": {},
                  "reason": "", "clarify": False},
        "handoff": None, "escalation": {"escalated": False, "rule": None, "packet": None}, "kb": [], "draft": False,
        "tool_calls": [{"call_id": "c1", "name": "track_shipment", "arguments": {"order_id": "ORD-67890"}, "status": "ok",
                        "rule": None, "error": None, "result": {"tracking_number": "1Z999AA10123456784", "carrier": "UPS"}}],
        "reply": "It is with UPS, tracking number 1Z999AA10123456784.", "error": None,
    }
    return TurnSummary.model_validate(base | over)


def test_a_turn_that_meets_its_expectations_has_no_failures():
    expect = TurnExpect(
        route="order_tracking", tools_called=["track_shipment"], tool_status={"track_shipment": "ok"},
        tool_args={"track_shipment": {"order_id": "ORD-67890"}}, tool_results={"track_shipment": {"carrier": "UPS"}},
        reply_contains=["1z999aa10123456784"], reply_cites=["track_shipment.tracking_number"], escalated=False,
        handoff=False, status="completed",
    )
    assert check_turn(expect, _summary()) == []


def test_a_cited_date_counts_as_a_customer_reads_it_not_only_as_a_raw_iso_date():
    calls = [{"call_id": "c1", "name": "track_shipment", "arguments": {"order_id": "ORD-67890"}, "status": "ok", "rule": None,
              "error": None, "result": {"estimated_delivery": "2026-12-02"}}]
    expect = TurnExpect(reply_cites=["track_shipment.estimated_delivery"])
    for reply in ("It should arrive on Wednesday 2 December.", "It should arrive on December 2.", "ETA 2026-12-02"):
        assert check_turn(expect, _summary(tool_calls=calls, reply=reply)) == [], reply
    (miss,) = check_turn(expect, _summary(tool_calls=calls, reply="It should arrive on Thursday 3 December."))
    assert "does not cite track_shipment.estimated_delivery" in miss


def test_shipped_scenarios_cover_the_conversations_customers_have():
    """Greetings, off-topic and general questions, several requests at once, answers to a clarifying
    question, calm and upset requests for a person, a person's denial, and multi-turn conversations."""
    tags = {t for s in SHIPPED for t in s.tags}
    assert tags >= {"conversation", "general", "multi-request", "clarify", "escalation", "approval"}
    assert sum(len(s.steps) > 1 for s in SHIPPED) >= 20


def test_each_wrong_expectation_is_named_with_what_happened():
    expect = TurnExpect(
        route="product_info", tool_status={"track_shipment": "blocked", "create_return": "ok"},
        tool_args={"track_shipment": {"order_id": "ORD-1"}}, blocked_rule="return_window", escalated=True,
        escalation_rule="vip_negative", reply_contains=["RMA-"], reply_excludes=["UPS"], handoff_to="product_info",
        kb_docs=["returns-policy"], status="awaiting_approval",
    )
    failures = check_turn(expect, _summary())
    assert "route was 'order_tracking', expected 'product_info'" in failures
    assert "track_shipment ended 'ok', expected 'blocked'" in failures
    assert any(f.startswith("create_return was not called") and "track_shipment:ok" in f for f in failures)
    assert any(f.startswith("no track_shipment call with {'order_id': 'ORD-1'}") for f in failures)
    assert any(f.startswith("nothing was stopped by 'return_window'") for f in failures)
    assert "escalated was False, expected True" in failures
    assert "escalation rule was None, expected 'vip_negative'" in failures
    assert any(f.startswith("the reply does not contain 'RMA-'") for f in failures)
    assert any(f.startswith("the reply contains 'UPS'") for f in failures)
    assert "hand-off to was None, expected 'product_info'" in failures
    assert any("'returns-policy' was not retrieved" in f for f in failures)
    assert "turn status was 'completed', expected 'awaiting_approval'" in failures
    assert len(failures) == 12


class _ScriptedEngine:
    """Just enough of an engine to play a scenario: canned events per turn, and a shop that answers reads."""

    def __init__(self, turns: list[list]) -> None:
        self.turns = turns
        self.reads: list[tuple[str, str, dict]] = []

    async def read_shop(self, customer_id, tool, arguments):
        from support_tui.core.shop import ToolOutcome

        self.reads.append((customer_id, tool, dict(arguments)))
        if tool == "get_account":
            return ToolOutcome(status="ok", result={"customer": {"email": "old@example.org"}})
        return ToolOutcome(status="error", error="No order ORD-1 on this account.")

    async def open_conversation(self, customer_id, *, new=False, mode=None):
        return SimpleNamespace(id="conv_1")

    async def get_conversation(self, conversation_id):
        return SimpleNamespace(status="open", priority=None)

    async def pending_tool_calls(self, conversation_id):
        return []

    async def messages(self, conversation_id):
        return [SimpleNamespace(role="ai", status="draft")]

    async def trace(self, conversation_id):
        return []

    async def run_turn(self, conversation_id, text, route_override=None):
        for event in self.turns.pop(0):
            yield event


def _events(agent: str, tool_status: str) -> list:
    ids = {"turn_id": "t1", "conversation_id": "conv_1"}
    return [
        TurnStarted(**ids, customer_id="cust_12345", message_id=1, text="hi"),
        RouteDecided(**ids, agent=agent, confidence=0.9, margin=0.5, scores={agent: 0.9}, reason="near"),
        ToolCallFinished(**ids, call_id="c1", name="cancel_order", arguments={"order_id": "ORD-70030"}, status=tool_status,
                         rule="customer_confirmation" if tool_status == "blocked" else None),
        ReplyCompleted(**ids, message_id=2, text="Done.", agent=agent, model="offline/support-agent"),
        TurnCompleted(**ids, status="completed"),
    ]


async def test_a_scenario_collects_failures_by_step_and_final_state():
    scenario = Scenario.model_validate({
        "id": "cancel", "title": "Cancel", "customer_id": "cust_45678",
        "steps": [
            {"customer": "cancel ORD-70030", "expect": {"route": "order_tracking", "blocked_rule": "customer_confirmation"}},
            {"customer": "yes", "expect": {"route": "order_tracking", "tool_status": {"cancel_order": "ok"}}},
            {"approve_pending": True},
        ],
        "expect_final": {
            "shop": [
                {"read": {"tool": "get_account", "path": "customer.email"}, "equals": "new@example.org"},
                {"read": {"tool": "lookup_order", "arguments": {"order_id": "ORD-1"}, "path": "order.status",
                          "customer_id": "cust_34567"}, "equals": "cancelled"},
            ],
            "store": [{"sql": "SELECT COUNT(*) FROM refunds", "equals": 1}],
            "conversation_status": "open", "priority": "high", "drafts": 1, "handoffs": ["product_info"],
        },
    })
    engine = _ScriptedEngine([_events("order_tracking", "blocked"), _events("billing_payment", "error")])
    result = await run_scenario(engine, scenario)
    assert not result.passed
    assert result.failures == [
        "step 2: route was 'billing_payment', expected 'order_tracking'",
        "step 2: cancel_order ended 'error', expected 'ok'",
        "step 3: no tool call was waiting for approval",
        "final: get_account().customer.email was 'old@example.org', expected 'new@example.org'",
        "final: lookup_order(order_id='ORD-1').order.status: the shop said error: No order ORD-1 on this account.",
        "final: store checks (raw SQL) are no longer run; write it as a shop check or a named check: SELECT COUNT(*) FROM refunds",
        "final: priority was None, expected 'high'",
        "final: hand-offs went to [], expected ['product_info']",
    ]
    assert engine.reads == [("cust_45678", "get_account", {}), ("cust_34567", "lookup_order", {"order_id": "ORD-1"})]
    report = result.to_dict()
    assert report["passed"] is False and [s["index"] for s in report["steps"]] == [1, 2, 3]
    assert report["steps"][0]["tools"] == ["cancel_order:blocked"]


RETURNS = {"returns": [{"rma_id": "RMA-1", "kind": "refund", "items": [{"sku": "PC-9002-BLK"}, {"sku": "CB-9003"}]},
                       {"rma_id": "RMA-2", "kind": "exchange", "items": []}],
           "refunds": [{"amount": 32.39, "status": "pending_receipt"}]}


@pytest.mark.parametrize(("check", "failure"), [
    ({"path": "refunds", "count": 1}, None),
    ({"path": "refunds", "count": 0}, "list_returns().refunds: 1 item(s), expected 0"),
    ({"path": "refunds", "pick": "amount", "equals": [32.39]}, None),
    ({"path": "refunds.0.status", "equals": "pending_receipt"}, None),
    ({"path": "returns", "where": {"kind": "exchange"}, "pick": "rma_id", "equals": ["RMA-2"]}, None),
    ({"path": "returns.*.items.*.sku", "equals": [["PC-9002-BLK", "CB-9003"], []]}, None),
    ({"path": "returns", "where": {"kind": "refund"}, "pick": "items.*.sku", "equals": [["PC-9002-BLK"]]},
     "list_returns().returns where kind='refund' -> items.*.sku was [['PC-9002-BLK', 'CB-9003']], expected [['PC-9002-BLK']]"),
    ({"path": "refunds.3.amount", "equals": 1}, "list_returns().refunds.3.amount: the result has no 'refunds.3.amount'"),
    ({"path": "refunds.0", "pick": "amount", "equals": 1}, "list_returns().refunds.0 -> amount: 'refunds.0' is not a list"),
])
def test_shop_checks_select_filter_pick_and_compare(check, failure):
    path = check.pop("path")
    parsed = ReadCheck.model_validate({"read": {"tool": "list_returns", "path": path}, **check})
    got = check_read(parsed, RETURNS)
    assert (got is None) if failure is None else (got is not None and got.startswith(failure)), got


# the command line ----------------------------------------------------------------------------------


def test_cli_refuses_an_unknown_scenario_id_before_starting_anything(capsys):
    from support_tui.cli import main

    assert main(["eval", "scenarios", "--only", "no-such-scenario"]) == 2
    assert "no scenario 'no-such-scenario'" in capsys.readouterr().err


def test_cli_reports_unusable_scenario_files(tmp_path, capsys):
    from support_tui.cli import main

    _write(tmp_path, "broken.json", "{")
    assert main(["eval", "scenarios", "--dir", str(tmp_path)]) == 2
    assert "broken.json: not valid JSON" in capsys.readouterr().err


def test_cli_json_report_and_exit_status(monkeypatch, capsys):
    import support_tui.core.scenarios as scenarios
    from support_tui.cli import main
    from support_tui.core.scenarios import ScenarioResult, StepResult

    async def fake_run(chosen, on_result=None, **kwargs):
        results = []
        for s in chosen:
            failures = ["route was 'x', expected 'y'"] if s.id == "seed-01-track-order" else []
            results.append(ScenarioResult(s.id, s.title, steps=[StepResult(1, "hi", failures=failures)]))
            if on_result:
                on_result(results[-1])
        return results

    monkeypatch.setattr(scenarios, "run_scenarios", fake_run)
    ids = ["seed-01-track-order", "seed-05-app-crash"]
    assert main(["eval", "scenarios", "--json", "--only", ids[0], "--only", ids[1]]) == 1
    report = json.loads(capsys.readouterr().out)
    assert (report["n"], report["passed"], report["pass_rate"]) == (2, 1, 0.5)
    assert [s["id"] for s in report["scenarios"]] == ids
    assert report["scenarios"][0]["failures"] == ["step 1: route was 'x', expected 'y'"]
    assert set(report["scenarios"][0]) >= {"id", "title", "passed", "failures", "steps"}

    assert main(["eval", "scenarios", "--only", ids[1]]) == 0
    out = capsys.readouterr().out
    assert "PASS  seed-05-app-crash" in out and "1/1 scenarios passed (100.0%)" in out


# the real engine -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped_results(template_home, shared_embedder) -> dict:
    """Every shipped scenario played once, each with its own engine on a copy of the template store.

    One event loop for all of them: the first model call on a new loop costs seconds, so a fresh
    ``engine`` fixture per scenario would take minutes.
    """
    from support_tui.core.scenarios import run_scenarios
    from support_tui.core.settings import Settings

    results = asyncio.run(run_scenarios(SHIPPED, settings=Settings(), embedder=shared_embedder, template=template_home))
    return {r.id: r for r in results}


def _param(scenario: Scenario):
    bug = KNOWN_ENGINE_BUGS.get(scenario.id)
    marks = [pytest.mark.xfail(reason=bug, strict=False)] if bug else []
    return pytest.param(scenario.id, id=scenario.id, marks=marks)


@pytest.mark.parametrize("scenario_id", [_param(s) for s in SHIPPED])
def test_shipped_scenario_passes_on_the_engine(shipped_results, scenario_id):
    result = shipped_results[scenario_id]
    assert result.passed, f"{scenario_id}:\n  " + "\n  ".join(result.failures)
