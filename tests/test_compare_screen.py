"""The compare screen at 160x48: two models on the same message, side by side, with the differing blocks marked."""

from __future__ import annotations

from support_tui.core.turn.compare import Comparison, Side, SideRun, differences
from support_tui.core.turn.fork import ReplayedCall
from support_tui.core.turn.summary import TurnSummary
from support_tui.tui.screens.compare import CompareApp, CompareScreen

CALL = {"call_id": "c1", "name": "create_return", "arguments": {"order_id": "ORD-67891", "kind": "refund", "reason": "defective",
        "skus": ["PC-9002-BLK"]}, "duration_ms": 1.0}


def _summary(model: str, reply: str, calls: list[dict], tokens: tuple[int, int], cost: float, ms: float) -> TurnSummary:
    return TurnSummary.model_validate({
        "route": {"agent": "returns_refunds", "confidence": 0.97, "method": "sticky", "margin": 0.9, "scores": {},
                  "reason": "", "clarify": False},
        "agent": "returns_refunds",
        "model": model, "tool_calls": calls, "reply": reply, "escalation": {"escalated": False},
        "usage": {"prompt_tokens": tokens[0], "completion_tokens": tokens[1], "cost_usd": cost},
        "timings_ms": {"total": ms}, "status": "completed",
    })


def comparison() -> Comparison:
    ok = {**CALL, "status": "ok", "result": {"rma_id": "RMA-4821", "status": "label_sent", "amount": 32.39}, "error": None, "rule": None}
    pending = {**CALL, "status": "pending_approval", "result": None, "rule": "human_approval",
               "error": "Return for a refund worth $32.39 needs a person's approval because this case is escalated."}
    gpt = _summary("openai/gpt-4o", "Done — your return of the ArmorFlex case is started (RMA-4821); $32.39 comes back "
                   "once it arrives. [bold]Label[/] attached.", [ok], (4533, 105), 0.0124, 1840.0)
    claude = _summary("anthropic/claude-sonnet-4-5", "Thanks — a colleague needs to approve the $32.39 refund; "
                      "I'll let you know as soon as they have.", [pending], (4610, 88), 0.0151, 2310.0)
    runs = [SideRun(side=Side(model="openai/gpt-4o"), summary=gpt), SideRun(side=Side(model="anthropic/claude-sonnet-4-5"), summary=claude)]
    replayed = [ReplayedCall(tool=t, arguments={}, turn_id="turn_1", writes=False, status="ok", same_result=True)
                for t in ("list_orders", "check_return_eligibility")]
    return Comparison(parent_id="conv_4a71a7a61821", turn=2, text="yes", replayed=replayed, runs=runs,
                      differences=differences([gpt, claude]))


def test_compare_screen_wide(snap_compare):
    """160x48: the head names turn 2 of the conversation ("yes"), the two replayed calls and "Differs: model,
    tool_calls, tool_results, policy, reply, tokens, cost". Two columns, GPT-4o left and Claude right; Route
    blocks plain (both returns_refunds, sticky); Model, Tool calls, Policy decisions, Reply and Tokens blocks
    have heavy warning borders titled with ≠; the create_return row is marked ≠ with its arguments, ok and the
    RMA result on the left, pending_approval and the approval message on the right; "[bold]Label[/]" in the
    left reply is shown literally; latencies 1840 ms and 2310 ms are shown but not marked."""
    app = CompareApp(CompareScreen(comparison=comparison()))
    assert snap_compare(app, terminal_size=(160, 48))


async def test_escape_closes_the_screen():
    app = CompareApp(CompareScreen(comparison=comparison()))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        blocks = app.screen.query(".compare-block.-differs")
        assert len(blocks) == 10  # model, tool calls, policy, reply, tokens on each side
        await pilot.press("escape")
        await pilot.pause()
    assert app.return_code == 0
