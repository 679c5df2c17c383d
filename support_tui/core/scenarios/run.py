"""Running scenarios: each on its own conversation, and in ``run_scenarios`` on its own copy of a fresh store."""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from support_tui.core.events import Event, HandoffMade, ReplyCompleted
from support_tui.core.paths import DataPaths
from support_tui.core.scenarios.check import check_read, check_turn
from support_tui.core.scenarios.model import ApproveStep, CustomerStep, FinalExpect, Scenario
from support_tui.core.turn.summary import TurnSummary, summarise_turn

if TYPE_CHECKING:
    from support_tui.core.engine import SupportEngine
    from support_tui.core.settings import Settings


@dataclass
class StepResult:
    """What one step did, in brief, and what it got wrong."""

    index: int
    said: str
    """The customer's text, or ``approve``/``deny: reason``."""
    route: str | None = None
    agent: str | None = None
    status: str | None = None
    tools: list[str] = field(default_factory=list)
    """``name:status`` of every tool call, in order."""
    escalation_rule: str | None = None
    reply: str | None = None
    failures: list[str] = field(default_factory=list)


@dataclass
class ScenarioResult:
    """One scenario's outcome: failures of every step and of the final state."""

    id: str
    title: str
    steps: list[StepResult] = field(default_factory=list)
    final_failures: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failures(self) -> list[str]:
        per_step = [f"step {s.index}: {f}" for s in self.steps for f in s.failures]
        return per_step + [f"final: {f}" for f in self.final_failures]

    @property
    def passed(self) -> bool:
        return not self.failures

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "title": self.title, "passed": self.passed, "failures": self.failures,
            "seconds": round(self.seconds, 3),
            "steps": [s.__dict__ for s in self.steps],
        }


def _record(index: int, said: str, events: list[Event]) -> tuple[StepResult, TurnSummary, list[str]]:
    summary = summarise_turn(events)
    reply = next((e for e in reversed(events) if isinstance(e, ReplyCompleted)), None)
    used = list(reply.used_snippets) if reply else []
    step = StepResult(
        index=index, said=said, route=summary.route.agent if summary.route else None, agent=summary.agent,
        status=summary.status, tools=[f"{c.name}:{c.status}" for c in summary.tool_calls],
        escalation_rule=summary.escalation.rule, reply=summary.reply,
    )
    return step, summary, used


async def run_scenario(engine: "SupportEngine", scenario: Scenario) -> ScenarioResult:
    """Play the scenario on a new conversation of ``engine`` and check every expectation."""
    started = time.perf_counter()
    result = ScenarioResult(scenario.id, scenario.title)
    conv = await engine.open_conversation(scenario.customer_id, new=True, mode=scenario.mode)
    for index, step in enumerate(scenario.steps, 1):
        try:
            if isinstance(step, CustomerStep):
                said = step.customer
                events = [e async for e in engine.run_turn(conv.id, step.customer, route_override=step.route_override)]
            else:
                approve = isinstance(step, ApproveStep)
                reason = None if isinstance(step, ApproveStep) else step.deny_pending
                said = "approve" if reason is None else f"deny: {reason}"
                pending = await engine.pending_tool_calls(conv.id)
                if not pending:
                    result.steps.append(StepResult(index, said, failures=["no tool call was waiting for approval"]))
                    continue
                events = [e async for e in engine.resolve_tool_call(
                    conv.id, pending[0].call_id, approve=approve, reason=reason)]
        except Exception as exc:  # a crash is a failed scenario, not a crashed run
            result.steps.append(StepResult(index, getattr(step, "customer", ""), failures=[f"raised {type(exc).__name__}: {exc}"]))
            break
        record, summary, used = _record(index, said, events)
        record.failures = check_turn(step.expect, summary, used)
        result.steps.append(record)
    result.final_failures = await check_final(engine, conv.id, scenario.customer_id, scenario.expect_final)
    result.seconds = time.perf_counter() - started
    return result


async def check_final(engine: "SupportEngine", conversation_id: str, customer_id: str, expect: FinalExpect) -> list[str]:
    """Failed expectations of the state after the last step (read through the engine: its shop and its records)."""
    out: list[str] = []
    for check in expect.shop:
        outcome = await engine.read_shop(check.read.customer_id or customer_id, check.read.tool, check.read.arguments)
        if outcome.status != "ok":
            out.append(f"{check.describe()}: the shop said {outcome.status}: {outcome.error}")
            continue
        failure = check_read(check, outcome.result)
        if failure:
            out.append(failure)
    for stale in expect.store:
        out.append(f"store checks (raw SQL) are no longer run; write it as a shop check or a named check: {stale.sql}")
    if expect.conversation_status is not None or expect.priority is not None:
        conv = await engine.get_conversation(conversation_id)
        if expect.conversation_status is not None and conv.status != expect.conversation_status:
            out.append(f"conversation status was {conv.status!r}, expected {expect.conversation_status!r}")
        if expect.priority is not None and conv.priority != expect.priority:
            out.append(f"priority was {conv.priority!r}, expected {expect.priority!r}")
    if expect.pending_approvals is not None:
        waiting = len(await engine.pending_tool_calls(conversation_id))
        if waiting != expect.pending_approvals:
            out.append(f"{waiting} tool calls wait for approval, expected {expect.pending_approvals}")
    if expect.drafts is not None:
        drafts = sum(1 for m in await engine.messages(conversation_id) if m.role == "ai" and m.status == "draft")
        if drafts != expect.drafts:
            out.append(f"{drafts} AI replies wait as drafts, expected {expect.drafts}")
    if expect.handoffs is not None:
        handoffs = [e.packet.to_agent for e in await engine.trace(conversation_id) if isinstance(e, HandoffMade)]
        if handoffs != expect.handoffs:
            out.append(f"hand-offs went to {handoffs}, expected {expect.handoffs}")
    return out


async def build_template(home: Path, settings: "Settings", embedder: Any = None) -> Any:
    """A fresh data directory (demo store, ingested KB); returns the embedder it loaded, for reuse."""
    from support_tui.core.factory import open_engine
    from support_tui.core.kb.embedder import Embedder

    # One embedding model serves every scenario's engine (loading it costs seconds).
    embedder = embedder or Embedder()
    engine = await open_engine(DataPaths(home), settings, embedder=embedder)
    await engine.close()
    return embedder


async def run_scenarios(
    scenarios: list[Scenario],
    *,
    settings: "Settings | None" = None,
    embedder: Any = None,
    template: Path | None = None,
    on_result: Callable[[ScenarioResult], None] | None = None,
) -> list[ScenarioResult]:
    """Run each scenario with its own engine on its own copy of ``template`` (built fresh when None)."""
    from support_tui.core.factory import open_engine
    from support_tui.core.settings import Settings

    settings = settings or Settings()
    results: list[ScenarioResult] = []
    with tempfile.TemporaryDirectory(prefix="support-tui-scenarios-") as tmp:
        if template is None:
            template = Path(tmp) / "template"
            embedder = await build_template(template, settings, embedder)
        for scenario in scenarios:
            home = Path(tmp) / f"run-{scenario.id}"
            shutil.copytree(template, home)
            engine = await open_engine(DataPaths(home), settings, embedder=embedder)
            try:
                result = await run_scenario(engine, scenario)
            finally:
                await engine.close()
                shutil.rmtree(home, ignore_errors=True)
            results.append(result)
            if on_result:
                on_result(result)
    return results
