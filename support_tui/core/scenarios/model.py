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
    kinds: dict[type, str] = {CustomerStep: "customer", ApproveStep: "approve_pending", DenyStep: "deny_pending"}
    return kinds.get(type(value))


Step = Annotated[
    Union[Annotated[CustomerStep, Tag("customer")], Annotated[ApproveStep, Tag("approve_pending")],
          Annotated[DenyStep, Tag("deny_pending")]],
    Discriminator(_step_kind, custom_error_type="step_kind",
                  custom_error_message="a step needs one of: customer, approve_pending, deny_pending"),
]


class StoreCheck(_Strict):
    """DEPRECATED (raw SQL on the database; the runner no longer has a database to run it on).

    Kept so older files still load; use ``shop`` checks or the named checks of ``FinalExpect``.
    """

    sql: str
    equals: Any

    @field_validator("sql")
    @classmethod
    def _read_only(cls, value: str) -> str:
        if not value.lstrip().upper().startswith("SELECT") or ";" in value.rstrip().rstrip(";"):
            raise ValueError("store checks are single SELECT statements")
        return value


class ShopRead(_Strict):
    """One call of a read-only shop tool, as the customer's own agent would make it."""

    tool: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    path: str = ""
    """Where in the tool's result to look: dotted keys, list indexes (``items.0.sku``) and ``*`` for
    every item of a list (``returns.*.kind``); empty for the whole result."""
    customer_id: str | None = None
    """Whose view of the shop (default: the scenario's customer), e.g. to see another customer's order."""


class ReadCheck(_Strict):
    """A value the shop shows after the last step, read through one of its read tools.

    The value at ``read.path``; then, when ``where`` is given, only the items of that list whose
    fields (dotted paths) equal these values; then, when ``pick`` is given, that path of each item.
    Exactly one of ``equals`` (the value, compared exactly) or ``count`` (the list's length) is given::

        {"read": {"tool": "get_account", "path": "customer.email"}, "equals": "sarah.j@example.org"}
        {"read": {"tool": "list_returns", "arguments": {"order_id": "ORD-70001"}, "path": "refunds"},
         "pick": "amount", "equals": [1402.92]}
        {"read": {"tool": "get_account", "path": "customer.addresses"}, "where": {"is_default": true},
         "pick": "street", "equals": ["12 Pine St"]}
        {"read": {"tool": "list_returns", "arguments": {"order_id": "ORD-54321"}, "path": "returns"}, "count": 0}
    """

    read: ShopRead
    where: dict[str, Any] = Field(default_factory=dict)
    pick: str | None = None
    equals: Any = None
    count: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _one_comparison(self) -> "ReadCheck":
        if ("equals" in self.model_fields_set) == (self.count is not None):
            raise ValueError("a shop check needs exactly one of equals or count")
        return self

    def describe(self) -> str:
        """The check in one line, for failure messages."""
        args = ", ".join(f"{k}={v!r}" for k, v in self.read.arguments.items())
        text = f"{self.read.tool}({args})" + (f".{self.read.path}" if self.read.path else "")
        if self.where:
            text += " where " + ", ".join(f"{k}={v!r}" for k, v in self.where.items())
        if self.pick:
            text += f" -> {self.pick}"
        return text


class FinalExpect(_Strict):
    """The state after the last step. Every field is optional; unset fields are not checked."""

    shop: list[ReadCheck] = Field(default_factory=list)
    """Outcomes in the shop (orders, returns, refunds, accounts), through its read tools."""
    conversation_status: Literal["open", "escalated", "closed"] | None = None
    priority: Literal["low", "normal", "high", "urgent"] | None = None
    """The conversation's priority (set when it is escalated)."""
    pending_approvals: int | None = None
    """How many tool calls still wait for a person."""
    drafts: int | None = None
    """How many AI replies wait as drafts for a person (supervised mode)."""
    handoffs: list[str] | None = None
    """The specialists the conversation was handed to, in order (from the trace's hand-offs)."""
    store: list[StoreCheck] = Field(default_factory=list)
    """DEPRECATED: raw SQL checks; they now fail with a message saying what to write instead."""


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
        from support_tui.shops.northwind.tools import TOOL_NAMES, TOOLS
        from support_tui.core.escalation import RULES as ESCALATION_RULES

        from support_tui.core.turn.tools import ENGINE_RULES

        policy = {*POLICY_RULES, *ENGINE_RULES}
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
        for check in self.expect_final.shop:
            if check.read.tool not in TOOL_NAMES:
                raise ValueError(f"expect_final: unknown tool {check.read.tool!r}")
            if TOOLS[check.read.tool].writes:
                raise ValueError(f"expect_final: {check.read.tool!r} changes the shop; checks use read tools only")
        for name in self.expect_final.handoffs or ():
            if name not in AGENTS:
                raise ValueError(f"expect_final: unknown specialist {name!r}")
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
