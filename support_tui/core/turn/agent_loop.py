"""The specialist's loop: model -> tool calls under policy -> model, bounded, streaming the reply."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import AsyncGenerator, TYPE_CHECKING, Any, AsyncIterator, Callable, Mapping, Sequence

from support_tui.core.events import (
    Event,
    FallbackAttempt,
    ModelCalled,
    ModelFailed,
    ReplyDelta,
    ReplyReset,
    ToolCallFinished,
    ToolCallRequested,
    Usage,
)
from support_tui.core import crashpoints
from support_tui.core.shop import ToolCall, ToolOutcome
from support_tui.core.turn.meta_tools import ESCALATE, TRANSFER, EscalateToHuman, TransferToSpecialist
from support_tui.core.turn.prompts import assistant_tool_calls, tool_result_message
from support_tui.core.turn.tools import ToolRunner

if TYPE_CHECKING:
    from support_tui.core.llm.client import ModelClient

MakeEvent = Callable[..., Any]


@dataclass
class LoopResult:
    """What the loop produced for the turn."""

    text: str = ""
    model: str = ""
    fallbacks: list[FallbackAttempt] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    tool_events: list[ToolCallFinished] = field(default_factory=list)
    transfer: TransferToSpecialist | None = None
    """Set when the agent asked to hand the case to another specialist."""
    escalate: EscalateToHuman | None = None
    """Set when the agent asked for a person."""
    pending_approval: bool = False
    model_ms: float = 0.0
    tools_ms: float = 0.0


class AgentLoop:
    """Runs one specialist against the model chain with its tools, emitting events as it goes."""

    def __init__(
        self,
        client: "ModelClient",
        chain: list[str],
        runner: ToolRunner,
        offered: Sequence[str],
        make_event: MakeEvent,
        *,
        max_rounds: int,
    ) -> None:
        self.client = client
        self.chain = chain
        self.runner = runner
        self.offered = tuple(offered)
        self.make = make_event
        self.max_rounds = max_rounds
        self.result = LoopResult()

    def schemas(self) -> list[dict[str, Any]]:
        specs = [self.runner.spec(name) for name in self.offered]
        return [spec.schema() for spec in specs if spec is not None]

    async def run(self, messages: list[dict[str, Any]]) -> AsyncGenerator[Event, None]:
        from support_tui.core.llm.client import ReplyDone

        tools = self.schemas() or None
        for step in range(1, self.max_rounds + 2):
            # The last round offers no tools, so the loop always ends with words for the customer.
            offered = tools if step <= self.max_rounds else None
            reply = None
            started = time.perf_counter()
            async for event_or_reply in self._call_model(step, messages, offered):
                if isinstance(event_or_reply, ReplyDone):
                    reply = event_or_reply.reply
                else:
                    yield event_or_reply
            self.result.model_ms += (time.perf_counter() - started) * 1000
            assert reply is not None
            self.result.model = reply.model
            self.result.usage = self.result.usage + reply.usage
            self.result.fallbacks.extend(reply.fallbacks)
            if not reply.tool_calls:
                self.result.text = reply.text.strip()
                crashpoints.reached("after_model_reply")
                return
            # Providers' ids need only be unique within one reply (the offline model counts from
            # call_1 each turn); the trace, approvals and views need them unique everywhere.
            calls = [(new_call_id(), ToolCall(tool=c.name, arguments=dict(c.arguments))) for c in reply.tool_calls]
            messages.append(assistant_tool_calls(calls))
            for call_id, call in calls:
                async for event in self.run_tool_call(call_id, call.tool, call.arguments, messages):
                    yield event
            if self.result.transfer or self.result.escalate:
                # The engine decides what happens next; the reply comes from the next agent.
                return

    async def _call_model(self, step: int, messages: list[dict[str, Any]], tools: Any) -> AsyncIterator[Any]:
        from support_tui.core.llm.client import ModelFailure, ReplyDone, TextDelta

        yield self.make(ModelCalled, model=self.chain[0], step=step)
        async for item in self.client.stream(self.chain, messages, tools):
            if isinstance(item, TextDelta):
                yield self.make(ReplyDelta, text=item.text, model=item.model)
            elif isinstance(item, ModelFailure):
                if item.next_model is not None:
                    # A model that failed sits out the rest of this turn's rounds: a dead provider
                    # costs one timeout per turn, not one per round.
                    self.chain = [m for m in self.chain if m != item.model]
                yield self.make(ModelFailed, model=item.model, error=item.error, next_model=item.next_model)
                if item.partial_text:
                    yield self.make(ReplyReset, model=item.model)
            elif isinstance(item, ReplyDone):
                yield item

    async def run_tool_call(
        self,
        call_id: str,
        name: str,
        arguments: Mapping[str, Any],
        messages: list[dict[str, Any]],
        *,
        approved: bool = False,
        denied: str | None = None,
    ) -> AsyncGenerator[Event, None]:
        """Run one call under policy (or record a person's denial) and feed the outcome back.

        ``denied`` is a person's reason: it reaches the model as an internal note, never the customer.
        """
        yield self.make(ToolCallRequested, call_id=call_id, name=name, arguments=dict(arguments))
        started = time.perf_counter()
        if denied is not None:
            ran_args, outcome = dict(arguments), ToolOutcome(
                status="blocked", rule="human_denied",
                error="A person declined this action. Internal note, for you only (never quote it to the customer): "
                + denied,
            )
        elif name not in self.offered and not approved:
            ran_args, outcome = dict(arguments), ToolOutcome(status="error", error=f"The tool '{name}' is not available here.")
        else:
            ran = await self.runner.run(name, arguments, approved=approved)
            ran_args, outcome = ran.arguments, ran.outcome
        finished = finished_event(self.make, call_id, name, ran_args, outcome, started)
        self.result.tools_ms += finished.duration_ms
        self.result.tool_events.append(finished)
        if outcome.status == "pending_approval":
            self.result.pending_approval = True
        if outcome.status == "ok" and name == TRANSFER.name:
            self.result.transfer = TransferToSpecialist.model_validate(ran_args)
        elif outcome.status == "ok" and name == ESCALATE.name:
            self.result.escalate = EscalateToHuman.model_validate(ran_args)
        messages.append(tool_result_message(call_id, name, outcome))
        yield finished


def finished_event(
    make: MakeEvent, call_id: str, name: str, arguments: Mapping[str, Any], outcome: ToolOutcome, started: float
) -> ToolCallFinished:
    """The ``ToolCallFinished`` for an outcome, timed from ``started`` (a perf_counter reading)."""
    event: ToolCallFinished = make(
        ToolCallFinished,
        call_id=call_id,
        name=name,
        arguments=dict(arguments),
        status=outcome.status,
        result=outcome.result,
        error=outcome.error,
        rule=outcome.rule,
        duration_ms=round((time.perf_counter() - started) * 1000, 3),
    )
    return event


def new_call_id(prefix: str = "call") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"
