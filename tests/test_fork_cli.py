"""The command line of forks and comparisons, and ``demo --shop``: argument handling and rendering, no engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from support_tui.cli import build_parser, main
from support_tui.cli.console import shop_home
from support_tui.cli.fork import render_comparison
from support_tui.core.turn.compare import Comparison, Side, SideRun
from support_tui.core.turn.summary import TurnSummary


def test_demo_shop_keeps_its_data_apart(monkeypatch, tmp_path):
    monkeypatch.setenv("SUPPORT_TUI_HOME", str(tmp_path))
    paths, settings = shop_home(None)
    assert (paths.home, settings.shop) == (tmp_path, "northwind")
    paths, settings = shop_home("taubench-retail")
    assert (paths.home, settings.shop) == (tmp_path / "shops" / "taubench-retail", "taubench-retail")
    (tmp_path / "config.toml").write_text('shop = "taubench-retail"\n')
    paths, settings = shop_home("taubench-retail")
    assert (paths.home, settings.shop) == (tmp_path, "taubench-retail"), "the configured shop stays in the home"
    args = build_parser().parse_args(["demo", "--shop", "taubench-retail", "--customer", "mia_li_3668"])
    assert (args.shop, args.customer, args.demo) == ("taubench-retail", "mia_li_3668", True)


@pytest.mark.parametrize("argv, message", [
    (["compare", "conv_x", "--turn", "1"], "compare needs --models A,B or --routes A,B"),
    (["compare", "conv_x", "--turn", "1", "--models", "openai/gpt-4o"], "--models takes two names"),
    (["compare", "conv_x", "--turn", "1", "--models", "gpt,claude"], "a model is provider/name"),
])
def test_compare_refuses_bad_sides_before_opening_anything(argv, message, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_the_side_by_side_print_marks_what_differs():
    def side(model: str, reply: str, status: str) -> SideRun:
        call = {"call_id": "c1", "name": "create_return", "arguments": {"order_id": "ORD-1"}, "status": status,
                "result": {"rma": "R"}, "error": None if status == "ok" else "needs approval",
                "rule": None if status == "ok" else "human_approval"}
        route = {"agent": "returns_refunds", "confidence": 0.9, "margin": 0.5, "scores": {}, "reason": "",
                 "method": "embedding", "clarify": False}
        turn = TurnSummary.model_validate({
            "route": route, "agent": "returns_refunds", "model": model, "tool_calls": [call], "reply": reply,
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "cost_usd": 0.0}, "timings_ms": {"total": 12.0}})
        return SideRun(side=Side(model=model), summary=turn)

    data = Comparison(parent_id="conv_p", turn=2, text="yes", replayed=[],
                      runs=[side("a/one", "Done.", "ok"), side("b/two", "Waiting.", "pending_approval")],
                      differences=["model", "tool_calls", "policy", "reply"])
    lines = render_comparison(data, width=120).splitlines()
    marked = {line.split()[1] for line in lines if line.startswith("≠")}
    assert marked == {"model", "tool", "policy", "reply"}
    assert any(line.startswith("  route") for line in lines) and any(line.startswith("  latency") for line in lines)
    assert lines[-1] == "differences: model, tool_calls, policy, reply"
