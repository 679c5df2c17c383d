"""A conversation saved as a scenario passes ``eval scenarios`` on a fresh store, and fails once the engine behaves otherwise."""

from __future__ import annotations

import json

from support_tui.core.scenarios.model import CustomerStep, load_scenario
from support_tui.core.scenarios.run import run_scenarios
from support_tui.core.scenarios.save import reply_facts, scenario_from_conversation, write_scenario
from support_tui.core.settings import Settings

SARAH = "cust_12345"
RETURN = "I received a defective phone case and want to return it for a refund"


async def _saved(engine, tmp_path, **kw):
    conv = await engine.open_conversation(SARAH, new=True)
    for text in (RETURN, "yes"):
        [e async for e in engine.run_turn(conv.id, text)]
    scenario = await scenario_from_conversation(engine, conv.id, name="saved return", **kw)
    path = write_scenario(scenario, tmp_path / "scenarios")
    return load_scenario(path), path


async def test_a_saved_return_passes_and_fails_when_the_engine_changes(engine, tmp_path, template_home, shared_embedder):
    scenario, path = await _saved(engine, tmp_path)
    assert path.name == "saved-return.json" and scenario.id == "saved-return"
    first, yes = scenario.steps
    assert isinstance(first, CustomerStep) and first.expect.route == "returns_refunds"
    assert first.expect.blocked_rule == "customer_confirmation" and "$32.39" in first.expect.reply_contains
    assert yes.expect.tool_status == {"create_return": "ok"}
    assert yes.expect.tool_args["create_return"]["skus"] == ["PC-9002-BLK"]
    assert not any(f.startswith("RMA-") for s in scenario.steps for f in s.expect.reply_contains), "generated ids are not checked"
    reads = {(c.read.tool, c.read.path, c.pick): c.equals for c in scenario.expect_final.shop}
    assert reads[("list_returns", "refunds", "amount")] == [32.39]
    assert reads[("list_returns", "returns", "status")] == ["label_sent"]

    [same] = await run_scenarios([scenario], settings=Settings(), embedder=shared_embedder, template=template_home)
    assert same.passed, same.failures

    # the engine's behaviour changes: a refund this size now waits for a person
    [changed] = await run_scenarios([scenario], settings=Settings(approval_threshold=5.0), embedder=shared_embedder,
                                    template=template_home)
    assert not changed.passed
    assert any("create_return" in f and "pending_approval" in f for f in changed.failures), changed.failures
    assert any(f.startswith("final:") and "refunds" in f for f in changed.failures), changed.failures


async def test_a_persons_expected_reply_becomes_the_last_steps_check(engine, tmp_path, template_home, shared_embedder):
    scenario, path = await _saved(engine, tmp_path, expected_reply="Your refund of $30.00 for ORD-67891 is on its way.")
    assert scenario.steps[-1].expect.reply_contains == ["$30.00", "ORD-67891"]
    assert "expected reply" in json.loads(path.read_text())["description"]
    [result] = await run_scenarios([scenario], settings=Settings(), embedder=shared_embedder, template=template_home)
    assert [f for f in result.failures if "$30.00" in f], result.failures  # the engine says $32.39: the check catches it


def test_reply_facts_keep_amounts_and_ids():
    assert reply_facts("Order ORD-67890 ($1,402.92) and RMA-123ABC, $5 and again ORD-67890.") == [
        "ORD-67890", "$1,402.92", "RMA-123ABC", "$5"]
