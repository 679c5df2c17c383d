"""The scenario file format (pydantic models) and its loader, with errors that name the file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationError, field_validator, model_validator

from support_tui.core.paths import fixtures_dir

AGENTS = ("order_tracking", "returns_refunds", "product_info", "billing_payment", "technical_support",
          "account_management", "escalation_manager")


class ScenarioError(ValueError):
    """A scenario file that cannot be used; the message names the file and the problem."""


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TurnExpect(_Strict):
    """What a correct engine must do in one turn. Every field is optional; unset fields are not checked."""

    route: str | None = None
    """The router's (or the override's) specialist."""
    route_method: str | None = None
    """``embedding``, ``sticky``, ``override`` ..."""
    agent: str | None = None
    """The specialist that wrote the reply (``escalation_manager`` once escalated)."""
    handoff_to: str | None = None
    """A hand-off to this specialist happened in the turn."""
    handoff: bool | None = None
    """Whether any hand-off happened (``false``: the follow-up stayed where it was)."""
    tools_called: list[str] = Field(default_factory=list)
    """Each of these tools was called at least once."""
    tools_not_called: list[str] = Field(default_factory=list)
    tool_status: dict[str, Literal["ok", "error", "blocked", "pending_approval"]] = Field(default_factory=dict)
    """The last call of each named tool ended with this status."""
    tool_args: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """Some call of each named tool had (at least) these arguments."""
    tool_results: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """The last successful call of each named tool returned these values (keys are dotted paths)."""
    blocked_rule: str | None = None
    """Some call was blocked, or sent for approval, by this policy rule."""
    escalated: bool | None = None
    """Whether the case was escalated in this turn."""
    escalation_rule: str | None = None
    packet_mentions: list[str] = Field(default_factory=list)
    """Each string appears in the escalation packet (facts, actions, summary; case-insensitive)."""
    handoff_mentions: list[str] = Field(default_factory=list)
    """Each string appears in the hand-off packet (case-insensitive)."""
    reply_contains: list[str] = Field(default_factory=list)
    """Each string appears in the reply (case-insensitive)."""
    reply_excludes: list[str] = Field(default_factory=list)
    reply_cites: list[str] = Field(default_factory=list)
    """``tool.field`` (or ``tool.a.b``): that result value of the tool's last successful call appears in the reply."""
    draft: bool | None = None
    """Whether the reply is a draft waiting for a person (supervised mode)."""
    kb_docs: list[str] = Field(default_factory=list)
    """Each of these knowledge-base documents was retrieved."""
    kb_used: bool | None = None
    """Whether the reply drew on a retrieved snippet."""
    status: Literal["completed", "cancelled", "failed", "awaiting_approval", "human_active"] | None = None

    @field_validator("reply_cites")
    @classmethod
    def _dotted(cls, value: list[str]) -> list[str]:
        for item in value:
            if "." not in item.strip("."):
                raise ValueError(f"{item!r} is not tool.field")
        return value


class CustomerStep(_Strict):
    """The customer says something."""

    customer: str = Field(min_length=1)
    route_override: str | None = None
    """Send the message to this specialist, as a person in the console would."""
    expect: TurnExpect = TurnExpect()


class ApproveStep(_Strict):
    """A person approves the call that waits for approval."""

    approve_pending: Literal[True]
    expect: TurnExpect = TurnExpect()


class DenyStep(_Strict):
    """A person denies the call that waits for approval, with this reason."""

    deny_pending: str = Field(min_length=1)
    expect: TurnExpect = TurnExpect()


def _step_kind(value: Any) -> str | None:
    if isinstance(value, dict):
        return next((k for k in ("customer", "approve_pending", "deny_pending") if k in value), None)
    return {CustomerStep: "customer", ApproveStep: "approve_pending", DenyStep: "deny_pending"}.get(type(value))


Step = Annotated[
    Union[Annotated[CustomerStep, Tag("customer")], Annotated[ApproveStep, Tag("approve_pending")],
          Annotated[DenyStep, Tag("deny_pending")]],
    Discriminator(_step_kind, custom_error_type="step_kind",
                  custom_error_message="a step needs one of: customer, approve_pending, deny_pending"),
]


class StoreCheck(_Strict):
    """A read-only query on the store whose single value must equal ``equals``.

    ``:conversation_id`` and ``:customer_id`` in the query stand for this scenario's conversation and customer.
    """

    sql: str
    equals: Any

    @field_validator("sql")
    @classmethod
    def _read_only(cls, value: str) -> str:
        if not value.lstrip().upper().startswith("SELECT") or ";" in value.rstrip().rstrip(";"):
            raise ValueError("store checks are single SELECT statements")
        return value


class FinalExpect(_Strict):
    """The state after the last step."""

    store: list[StoreCheck] = Field(default_factory=list)
    conversation_status: Literal["open", "escalated", "closed"] | None = None
    pending_approvals: int | None = None
    """How many tool calls still wait for a person."""


class Scenario(_Strict):
    """One scripted conversation with one customer, and what must happen."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    title: str = Field(min_length=1)
    description: str = ""
    customer_id: str
    mode: Literal["auto", "supervised"] = "auto"
    tags: list[str] = Field(default_factory=list)
    """What the scenario covers (specialists, features), for reports."""
    steps: list[Step] = Field(min_length=1)
    expect_final: FinalExpect = FinalExpect()

    @model_validator(mode="after")
    def _known_names(self) -> "Scenario":
        from support_tui.shops.northwind.policy import RULES as POLICY_RULES
        from support_tui.shops.northwind.tools import TOOL_NAMES
        from support_tui.core.escalation import RULES as ESCALATION_RULES

        policy = {*POLICY_RULES, "human_denied"}
        escalation = {r.name for r in ESCALATION_RULES} | {"agent_requested", "manual"}
        for n, step in enumerate(self.steps, 1):
            e = step.expect
            agents = [e.route, e.agent, e.handoff_to, getattr(step, "route_override", None)]
            for name in filter(None, agents):
                if name not in AGENTS:
                    raise ValueError(f"step {n}: unknown specialist {name!r}")
            tools = [*e.tools_called, *e.tools_not_called, *e.tool_status, *e.tool_args, *e.tool_results,
                     *(c.split(".")[0] for c in e.reply_cites)]
            for name in tools:
                if name not in TOOL_NAMES:
                    raise ValueError(f"step {n}: unknown tool {name!r}")
            if e.blocked_rule and e.blocked_rule not in policy:
                raise ValueError(f"step {n}: unknown policy rule {e.blocked_rule!r} (one of {', '.join(sorted(policy))})")
            if e.escalation_rule and e.escalation_rule not in escalation:
                raise ValueError(f"step {n}: unknown escalation rule {e.escalation_rule!r} (one of {', '.join(sorted(escalation))})")
        return self


def scenarios_dir() -> Path:
    return fixtures_dir() / "scenarios"


def load_scenarios(folder: Path | None = None) -> list[Scenario]:
    """Every ``*.json`` scenario in the folder, by file name; all problems are reported together."""
    folder = folder or scenarios_dir()
    if not folder.is_dir():
        raise ScenarioError(f"{folder}: no such scenario folder")
    scenarios: list[Scenario] = []
    problems: list[str] = []
    for path in sorted(folder.glob("*.json")):
        try:
            scenarios.append(load_scenario(path))
        except ScenarioError as exc:
            problems.append(str(exc))
    seen: dict[str, int] = {}
    for s in scenarios:
        seen[s.id] = seen.get(s.id, 0) + 1
    problems += [f"{folder}: scenario id {i!r} is used by {n} files" for i, n in seen.items() if n > 1]
    if problems:
        raise ScenarioError("\n".join(problems))
    return scenarios


def load_scenario(path: Path) -> Scenario:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ScenarioError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: cannot be read ({exc})") from None
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        lines = [f"{'.'.join(str(p) for p in err['loc']) or 'scenario'}: {err['msg']}" for err in exc.errors(include_url=False)]
        raise ScenarioError(f"{path}: " + "; ".join(lines)) from None
