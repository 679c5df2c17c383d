"""Running scenarios: each on its own conversation, and in ``run_scenarios`` on its own copy of a fresh store."""

from __future__ import annotations

import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from support_tui.core.events import Event, ReplyCompleted
from support_tui.core.paths import DataPaths
from support_tui.core.scenarios.check import check_turn
from support_tui.core.scenarios.model import ApproveStep, CustomerStep, FinalExpect, Scenario
from support_tui.core.turn.summary import summarise_turn

if TYPE_CHECKING:
    from support_tui.core.engine import Engine
    from support_tui.core.settings import Settings

_PLACEHOLDER = re.compile(r":(conversation_id|customer_id)\b")


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


def _record(index: int, said: str, events: list[Event]) -> tuple[StepResult, dict[str, Any]]:
    summary = summarise_turn(events)
    reply = next((e for e in reversed(events) if isinstance(e, ReplyCompleted)), None)
    summary["used_snippets"] = list(reply.used_snippets) if reply else []
    step = StepResult(
        index=index, said=said, route=(summary["route"] or {}).get("agent"), agent=summary["agent"],
        status=summary["status"], tools=[f"{c['name']}:{c['status']}" for c in summary["tool_calls"]],
        escalation_rule=summary["escalation"]["rule"], reply=summary["reply"],
    )
    return step, summary


async def run_scenario(engine: "Engine", scenario: Scenario) -> ScenarioResult:
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
                said = "approve" if approve else f"deny: {step.deny_pending}"
                pending = await engine.pending_tool_calls(conv.id)
                if not pending:
                    result.steps.append(StepResult(index, said, failures=["no tool call was waiting for approval"]))
                    continue
                events = [e async for e in engine.resolve_tool_call(
                    conv.id, pending[0].call_id, approve=approve, reason=None if approve else step.deny_pending)]
        except Exception as exc:  # a crash is a failed scenario, not a crashed run
            result.steps.append(StepResult(index, getattr(step, "customer", ""), failures=[f"raised {type(exc).__name__}: {exc}"]))
            break
        record, summary = _record(index, said, events)
        record.failures = check_turn(step.expect, summary)
        result.steps.append(record)
    result.final_failures = await check_final(engine, conv.id, scenario.customer_id, scenario.expect_final)
    result.seconds = time.perf_counter() - started
    return result


async def check_final(engine: "Engine", conversation_id: str, customer_id: str, expect: FinalExpect) -> list[str]:
    """Failed expectations of the state after the last step."""
    out: list[str] = []
    names = {"conversation_id": conversation_id, "customer_id": customer_id}
    for check in expect.store:
        params: list[str] = []
        sql = _PLACEHOLDER.sub(lambda m: params.append(names[m.group(1)]) or "?", check.sql)
        try:
            value = await engine.db.scalar(sql, params)
        except Exception as exc:
            out.append(f"store query failed ({type(exc).__name__}: {exc}): {check.sql}")
            continue
        if value != check.equals:
            out.append(f"store: {check.sql} gave {value!r}, expected {check.equals!r}")
    if expect.conversation_status is not None:
        status = (await engine.get_conversation(conversation_id)).status
        if status != expect.conversation_status:
            out.append(f"conversation status was {status!r}, expected {expect.conversation_status!r}")
    if expect.pending_approvals is not None:
        waiting = len(await engine.pending_tool_calls(conversation_id))
        if waiting != expect.pending_approvals:
            out.append(f"{waiting} tool calls wait for approval, expected {expect.pending_approvals}")
    return out


async def build_template(home: Path, settings: "Settings", embedder: Any = None) -> Any:
    """A fresh data directory (demo store, ingested KB); returns the embedder it loaded, for reuse."""
    from support_tui.core.factory import open_engine

    engine = await open_engine(DataPaths(home), settings, embedder=embedder)
    try:
        return engine.embedder
    finally:
        await engine.close()


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
            embedder = embedder or engine.embedder
            try:
                result = await run_scenario(engine, scenario)
            finally:
                await engine.close()
                shutil.rmtree(home, ignore_errors=True)
            results.append(result)
            if on_result:
                on_result(result)
    return results
