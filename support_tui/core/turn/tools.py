"""Running a tool call under policy: validate, the shop's hard rules, the customer's yes, a person's approval.

The engine owns two rules every shop gets: ``customer_confirmation`` (a consequential call runs only
with exactly the arguments of the proposal the customer said yes to) and ``human_approval`` (money
that moves above the threshold, or on an escalated case, waits for a person).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from typing import Any, Mapping

from pydantic import BaseModel, ValidationError

from support_tui.core.shop import (
    CallContext,
    Proposal,
    RecordedEffect,
    RuleVerdict,
    Shop,
    ShopError,
    ShopTool,
    ToolCall,
    ToolOutcome,
    canonical_arguments,
    effect_key,
)
from support_tui.core import crashpoints
from support_tui.core.state import ConversationState
from support_tui.core.language import is_affirmative
from support_tui.core.turn.meta_tools import META_TOOLS

log = logging.getLogger(__name__)

ENGINE_RULES: dict[str, str] = {
    "customer_confirmation": "A consequential write runs only with exactly the arguments the customer confirmed.",
    "human_approval": "Money that moves above the approval threshold, or on an escalated case, needs a person's approval.",
    "human_denied": "A person declined the call.",
}
"""The rules the engine applies to every shop, with the one line the console shows."""

CONFIRMED_KEPT = 9


def money(amount: float, currency: str = "USD") -> str:
    return f"${amount:,.2f}" if currency == "USD" else f"{amount:,.2f} {currency}"


def parse_arguments(arguments: Mapping[str, Any] | str | None) -> dict[str, Any]:
    """Arguments as a dict; a model's JSON text is parsed (ShopError when it is not an object)."""
    if arguments is None or arguments == "":
        return {}
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except json.JSONDecodeError as exc:
            raise ShopError(f"The arguments are not valid JSON ({exc.msg} at position {exc.pos}).") from None
    if not isinstance(arguments, Mapping):
        raise ShopError("The arguments must be a JSON object.")
    return dict(arguments)


def unknown_keys(spec: ShopTool, arguments: Mapping[str, Any]) -> list[str]:
    """Keys the tool's arguments do not have (by field name or alias): validation would drop them silently."""
    known = set(spec.args.model_fields) | {f.alias for f in spec.args.model_fields.values() if f.alias}
    return [k for k in arguments if k not in known]


def explain(name: str, exc: ValidationError) -> str:
    problems = []
    for err in exc.errors(include_url=False):
        where = ".".join(str(p) for p in err["loc"]) or "arguments"
        problems.append(f"{where}: {err['msg']}")
    return f"Invalid arguments for {name}: " + "; ".join(problems)


@dataclass
class Ran:
    """One call's arguments as run (canonical once valid) and its outcome."""

    arguments: dict[str, Any]
    outcome: ToolOutcome


class ToolRunner:
    """Runs one conversation's tool calls against a shop, under the shop's rules and the engine's."""

    def __init__(
        self,
        shop: Shop,
        state: ConversationState,
        ctx: CallContext,
        *,
        approval_threshold: float,
        last_customer_message: str = "",
    ) -> None:
        self.shop = shop
        self.state = state
        self.ctx = ctx
        self.approval_threshold = approval_threshold
        self.last_customer_message = last_customer_message

    def spec(self, name: str) -> ShopTool | None:
        return META_TOOLS.get(name) or self.shop.tools().get(name)

    def validate(self, name: str, arguments: Mapping[str, Any] | str | None) -> tuple[ShopTool, BaseModel]:
        """The tool and its typed arguments, or ShopError saying what is wrong."""
        spec = self.spec(name)
        if spec is None:
            raise ShopError(f"Unknown tool '{name}'. Available tools: {', '.join(self.shop.tools())}.")
        try:
            return spec, spec.args.model_validate(parse_arguments(arguments))
        except ValidationError as exc:
            raise ShopError(explain(name, exc)) from None

    async def problems(self, name: str, arguments: Mapping[str, Any] | str | None) -> list[str]:
        """Why these arguments (a person's edit) could not run: the schema, keys it does not have, then the
        shop's hard rules; empty when they could."""
        try:
            spec, args = self.validate(name, arguments)
            unknown = unknown_keys(spec, parse_arguments(arguments))
            if unknown:
                known = ", ".join(spec.args.model_fields)
                return [f"{name} has no argument {', '.join(repr(k) for k in unknown)} (its arguments: {known}); nothing ran."]
            if spec.name in META_TOOLS:
                return []
            verdict = await self.shop.check(name, args, self.ctx)
        except ShopError as exc:
            return [str(exc)]
        return [f"{verdict.rule}: {verdict.message}"] if verdict else []

    async def run(self, name: str, arguments: Mapping[str, Any] | str | None, *, approved: bool = False) -> Ran:
        """Validate, check every rule and run one call. Never raises for bad input or a failing shop.

        ``approved=True``: a person approved exactly this call, so only ``human_approval`` is passed.
        A consequential call runs under an idempotency key (``effect_key``); when the shop already
        stored that effect (the turn is run again after a crash, or re-run), its recorded result is
        returned and nothing moves again.
        """
        raw = arguments if isinstance(arguments, Mapping) else {}
        try:
            spec, args = self.validate(name, arguments)
        except ShopError as exc:
            return Ran(dict(raw), ToolOutcome(status="error", error=str(exc)))
        call = ToolCall(tool=name, arguments=canonical_arguments(args))
        if name in META_TOOLS:
            return Ran(call.arguments, ToolOutcome(status="ok", result=call.arguments))
        try:
            if spec.consequential:
                # Before the rules: once a refund ran, the refund cap would refuse the same call.
                done = await self._recorded(call)
                if done is not None:
                    self.settle(call)
                    return Ran(call.arguments, ToolOutcome(status="ok", result=done.result))
            verdict = await self.shop.check(name, args, self.ctx)
            if verdict is not None:
                return Ran(call.arguments, _stopped(verdict))
            stopped = await self._confirmation(spec, call, args) or await self._approval(spec, call, args, approved)
            if stopped is not None:
                return Ran(call.arguments, stopped)
            ctx = replace(self.ctx, effect_key=self.key(call)) if spec.consequential else self.ctx
            if spec.consequential:
                crashpoints.reached("before_call")
            result = await self.shop.run(name, args, ctx)
            if spec.consequential:
                crashpoints.reached("after_write")
        except ShopError as exc:
            return Ran(call.arguments, ToolOutcome(status="error", error=str(exc)))
        except Exception as exc:  # a bug or a database fault must not end the turn
            log.exception("tool %s failed", name)
            return Ran(call.arguments, ToolOutcome(status="error", error=f"The {name} tool failed unexpectedly ({type(exc).__name__})."))
        if spec.writes:
            self.settle(call)
        return Ran(call.arguments, ToolOutcome(status="ok", result=result))

    def _proposal_key(self, proposal: Proposal) -> str:
        answering = proposal.message_id if proposal.message_id is not None else proposal.turn_id
        return effect_key(self.ctx.conversation_id, answering, proposal.call)

    def key(self, call: ToolCall) -> str:
        """The idempotency key a consequential call runs under: the proposal the customer (and perhaps a person)
        said yes to, else what this turn answers."""
        for proposal in (*self.state.confirmed, self.state.proposal):
            if proposal is not None and proposal.call == call:
                return self._proposal_key(proposal)
        answering = self.ctx.message_id if self.ctx.message_id is not None else self.ctx.turn_id
        return effect_key(self.ctx.conversation_id, answering, call)

    async def _recorded(self, call: ToolCall) -> RecordedEffect | None:
        """The effect this call already had: under its proposal's key, or under this turn's (a re-run turn)."""
        keys = [self.key(call)]
        if self.ctx.message_id is not None:
            keys.append(effect_key(self.ctx.conversation_id, self.ctx.message_id, call))
        for key in dict.fromkeys(keys):
            done = await self.shop.recorded(key)
            if done is not None:
                return done
        return None

    async def _confirmation(self, spec: ShopTool, call: ToolCall, args: BaseModel) -> ToolOutcome | None:
        if not spec.consequential:
            return None
        if any(p.call == call for p in self.state.confirmed):
            return None
        proposal = self.state.proposal
        later = proposal is not None and (self.ctx.turn_id is None or proposal.turn_id != self.ctx.turn_id)
        if proposal is not None and proposal.call == call and later and is_affirmative(self.last_customer_message):
            return None
        quote = await self.shop.quote(call.tool, args, self.ctx)
        self.state.proposal = Proposal(call=call, quote=quote, turn_id=self.ctx.turn_id, message_id=self.ctx.message_id)
        return ToolOutcome(
            status="blocked",
            rule="customer_confirmation",
            result={"proposal": quote.model_dump(mode="json")},
            error="Not done yet. Tell the customer exactly what will happen and ask them to confirm: "
            f"{quote.summary} After their yes, call the tool again with the same arguments.",
        )

    async def _approval(self, spec: ShopTool, call: ToolCall, args: BaseModel, approved: bool) -> ToolOutcome | None:
        if not spec.moves_money:
            return None
        if approved or call in self.state.approved:
            return None
        proposal = self.state.proposal
        quote = proposal.quote if proposal is not None and proposal.call == call else await self.shop.quote(call.tool, args, self.ctx)
        amount = quote.amount or 0.0
        if self.ctx.escalated:
            why = "this case is escalated"
        elif amount > self.approval_threshold + 0.005:
            why = f"it is over the {money(self.approval_threshold, quote.currency)} limit"
        else:
            return None
        waiting = [p for p in self.state.confirmed if p.call != call]
        # It keeps the key of the proposal the customer said yes to, so the call a person approves later is that effect.
        said_yes = proposal.message_id if proposal is not None and proposal.call == call else self.ctx.message_id
        self.state.confirmed = [*waiting, Proposal(call=call, quote=quote, turn_id=self.ctx.turn_id, message_id=said_yes)][-CONFIRMED_KEPT:]
        what = f"{quote.action.capitalize()} worth {money(amount, quote.currency)}" if amount else quote.action.capitalize()
        return ToolOutcome(
            status="pending_approval",
            rule="human_approval",
            error=f"{what} needs a person's approval because {why}. Tell the customer it is waiting for approval by a"
            " colleague; do not promise the outcome.",
        )

    def settle(self, call: ToolCall) -> None:
        """After a write ran (or a person refused it): forget its proposal, confirmation and approval."""
        if self.state.proposal is not None and self.state.proposal.call == call:
            self.state.proposal = None
        self.state.confirmed = [p for p in self.state.confirmed if p.call != call]
        self.state.approved = [c for c in self.state.approved if c != call]


def _stopped(verdict: RuleVerdict) -> ToolOutcome:
    return ToolOutcome(status=verdict.status, rule=verdict.rule, error=verdict.message)
