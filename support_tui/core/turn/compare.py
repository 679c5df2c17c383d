"""Comparisons: one customer message run by two models (or two specialists) on two copies of the same state.

The state of turn N is rebuilt once, as a fork does it (``fork.py``: a fresh sandbox of the shop with
the parent's calls replayed, the conversation's state from its trace). Each side then gets its own
copy of that sandbox and its own scratch support store in memory, so the sides cannot see each
other and nothing reaches the live shop or the parent conversation; the customer's memory is read
as it was before turn N. The sides run one after the other, so their latencies are not measured
against each other's load.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any, Sequence

from pydantic import BaseModel, ConfigDict, Field

from support_tui.core.events import Event
from support_tui.core.shop import CallContext
from support_tui.core.store.records.values import new_id
from support_tui.core.store.records.support_store import scratch_support_store
from support_tui.core.turn.fork import (
    ReplayedCall, Ready, copy_conversation, fork_memory, fork_point, replay_calls, run_again, state_before,
)
from support_tui.core.turn.parts import TurnParts
from support_tui.core.turn.summary import TurnSummary, summarise_turn

ASPECTS = ("route", "agent", "model", "tool_calls", "tool_results", "policy", "escalation", "reply", "tokens", "cost")
"""What a comparison marks when the sides differ. Latency is shown but never marked: it always differs."""


class Side(BaseModel):
    """What one side runs with: a model, a specialist, or both (None: what the conversation would use)."""

    model_config = ConfigDict(frozen=True)

    model: str | None = None
    route: str | None = None

    @property
    def label(self) -> str:
        return " · ".join(filter(None, [self.model, self.route])) or "as recorded"


class SideRun(BaseModel):
    """One side's turn: its events and the ``ask --json`` object folded from them."""

    model_config = ConfigDict(frozen=True)

    side: Side
    events: list[Event] = Field(default_factory=list)
    summary: TurnSummary = Field(default_factory=TurnSummary)

    @property
    def latency_ms(self) -> float:
        return self.summary.latency_ms


class Comparison(BaseModel):
    """Two (or more) runs of turn N side by side, and the aspects in which they differ."""

    model_config = ConfigDict(frozen=True)

    parent_id: str
    turn: int
    text: str
    replayed: list[ReplayedCall] = Field(default_factory=list)
    runs: list[SideRun] = Field(default_factory=list)
    differences: list[str] = Field(default_factory=list)
    """Names from ``ASPECTS`` in which not every side agrees."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON ``compare --json`` prints: each side's turn object, plus the differences."""
        return {
            "parent_id": self.parent_id, "turn": self.turn, "text": self.text,
            "replayed": [r.model_dump() for r in self.replayed],
            "sides": [{"model": r.side.model, "route": r.side.route, "label": r.side.label, **aspects(r.summary),
                       "latency_ms": r.latency_ms, "turn": r.summary.to_json()} for r in self.runs],
            "differences": self.differences,
        }


def _canon(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def aspects(summary: TurnSummary) -> dict[str, Any]:
    """The compared values of one side's turn, by aspect (the keys of ``ASPECTS``, as ``compare --json`` prints them)."""
    calls = summary.tool_calls
    usage = summary.usage
    escalation = summary.escalation
    return {
        "route": summary.route.agent if summary.route else None,
        "agent": summary.agent,
        "model": summary.model,
        "tool_calls": [{"name": c.name, "arguments": c.arguments, "status": c.status} for c in calls],
        "tool_results": [c.result if c.status == "ok" else c.error for c in calls],
        "policy": [{"name": c.name, "status": c.status, "rule": c.rule} for c in calls if c.rule],
        "escalation": escalation.rule if escalation.escalated else None,
        "reply": summary.reply,
        "tokens": [usage.prompt_tokens, usage.completion_tokens],
        "cost": usage.cost_usd,
    }


def differences(summaries: Sequence[TurnSummary]) -> list[str]:
    """The aspects in which the sides' turns are not all equal."""
    values = [aspects(s) for s in summaries]
    return [name for name in ASPECTS if len({_canon(v[name]) for v in values}) > 1]


def call_differs(runs: Sequence[SideRun], index: int) -> bool:
    """Whether the sides' ``index``-th tool calls differ (name, arguments, status or result), or one lacks it."""
    rows = [r.summary.tool_calls[index:index + 1] for r in runs]
    return len({_canon([c.model_dump(include={"name", "arguments", "status", "result", "error", "rule"}) for c in row])
                for row in rows}) > 1


async def compare_turn(parts: TurnParts, conversation_id: str, turn: int, sides: Sequence[Side], *, ready: Ready) -> Comparison:
    """Run turn ``turn`` of the conversation once per side, each on its own copy of the same rebuilt state."""
    if len(sides) < 2:
        raise ValueError("a comparison needs two sides (two models or two specialists)")
    point = await fork_point(parts.store, conversation_id, turn)
    state = state_before(point.prior, parts.shop)
    # One id for every side: each side's records live in its own scratch store, and a shop that keeps
    # something per conversation (who a look-up identified) finds it under the same id in each copy.
    conversation = new_id("cmp")
    runs: list[SideRun] = []
    async with parts.shop.sandbox(fresh=True) as base:
        ctx = CallContext(customer_id=point.parent.customer_id, conversation_id=conversation)
        replayed = await replay_calls(base, point.prior, ctx)
        for side in sides:
            async with base.sandbox() as shop, scratch_support_store() as scratch:
                conv = await copy_conversation(scratch, point, state, model=side.model, conversation_id=conversation,
                                               linked=False)
                side_parts = replace(parts, store=scratch, memory=fork_memory(parts.store, point), shop=shop)
                route = side.route or point.original_override
                events = [e async for e in run_again(side_parts, conv.id, point, route, ready)]
            runs.append(SideRun(side=side, events=events, summary=summarise_turn(events)))
    return Comparison(parent_id=point.parent.id, turn=turn, text=point.message.text, replayed=replayed, runs=runs,
                      differences=differences([r.summary for r in runs]))
