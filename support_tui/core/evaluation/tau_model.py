"""tau-bench tasks run by the engine against a simulated user, scored as tau-bench scores them.

Each task gets a fresh copy of the retail data (nobody identified: the agent must find the user by
email or name and zip), an empty support store in memory, a conversation that starts with an
unidentified visitor and is bound to the user its first successful look-up finds (not to the task's
``user_id`` field, which the agent never sees: the customer says who they are), and the engine's own turn lifecycle with
the agent model on every specialist (and no knowledge-base snippets: the agent knows the written
policy, as tau-bench's does). The simulated user opens, the engine answers, and so on until
the user writes the stop token or the turn limit is reached; the user's yes to a proposal goes
through the engine's ``customer_confirmation`` rule like any customer's. Reward is 1 when the
orders and users the conversation changed equal those the task's gold actions change, and every
string of the task's ``outputs`` appears in what the agent said (case-insensitive, commas ignored,
as tau-bench checks it); else 0.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any, Callable, Sequence

from pydantic import BaseModel, ConfigDict, Field

from support_tui.core.evaluation.tau_user import STOP, SimulatedUser, UserSimulationError
from support_tui.core.events import Event, ReplyCompleted, Snippet, ToolCallFinished, TurnCompleted, Usage
from support_tui.core.settings import Settings
from support_tui.core.specialists import Specialist, Team
from support_tui.core.store.protocol import SupportStore
from support_tui.core.store.records.support_store import scratch_support_store
from support_tui.core.turn.lifecycle import TurnRunner
from support_tui.core.turn.meta_tools import META_TOOLS
from support_tui.core.turn.parts import TurnParts
from support_tui.shops.taubench_retail import UNIDENTIFIED, RetailData, TauRetailShop
from support_tui.shops.taubench_retail.replay import replay_tasks

MAX_USER_TURNS = 20
"""Customer messages per task before the conversation is cut off (tau-bench bounds its steps too)."""

TRANSFER = "transfer_to_human_agents"
"""The shop's hand-over tool: as in tau-bench, the conversation ends once it ran."""

PASS_RULES = ("customer_confirmation",)
"""Stops that are a step of the normal path, not a block: every write is first proposed and confirmed."""


class GoldAction(BaseModel):
    """One of a task's gold tool calls."""

    model_config = ConfigDict(frozen=True)

    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)


class TauTask(BaseModel):
    """A task in the shared tasks' format."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    task_id: Any
    user_id: str
    instruction: str = ""
    """What the simulated user wants, in the second person."""
    actions: list[GoldAction] = Field(default_factory=list)
    outputs: list[str] = Field(default_factory=list)
    """Facts the agent must tell the user."""


class AgentCall(BaseModel):
    """A shop tool call the agent made, as it ended."""

    model_config = ConfigDict(frozen=True)

    name: str
    arguments: dict[str, Any]
    status: str
    rule: str | None = None
    output: str
    """The tool's result text when it ran, else the error or the reason it was stopped."""


class Said(BaseModel):
    """One message of the conversation."""

    model_config = ConfigDict(frozen=True)

    role: str
    """``user`` (the simulated customer) or ``agent``."""
    text: str


class TauTaskRun(BaseModel):
    """One task run by the agent: what it did, what changed, and the reward."""

    task_id: Any
    user_id: str | None = None
    """The user the conversation was bound to: the one its first successful look-up found (None: nobody was found)."""
    task_user_id: str | None = None
    """The task's own ``user_id`` field, for comparison (the run never uses it)."""
    calls: list[AgentCall] = Field(default_factory=list)
    changed: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """``{"orders": {id: record}, "users": {id: record}}`` that differ from the data files afterwards."""
    gold_changed: dict[str, dict[str, Any]] = Field(default_factory=dict)
    state_matches: bool = False
    outputs: dict[str, bool] = Field(default_factory=dict)
    """Each required output string, and whether the agent said it."""
    reward: float = 0.0
    conversation: list[Said] = Field(default_factory=list)
    user_turns: int = 0
    ended: str = "user_stop"
    """``user_stop``, ``transferred`` (the agent handed the user to a person), ``max_turns`` or ``error``."""
    error: str | None = None
    agent_usage: Usage = Field(default_factory=Usage)
    user_usage: Usage = Field(default_factory=Usage)
    answered_by: list[str] = Field(default_factory=list)
    """The model that wrote each agent reply (another model than the agent's means a fallback answered)."""
    waiting_for_person: int = 0
    """Calls left waiting for a person's approval (nobody approves them in an evaluation)."""

    def to_dict(self) -> dict[str, Any]:
        """The gold replay's JSON shape (task_id, results, blocked, changed) plus the model run's fields."""
        ran = [c for c in self.calls if c.status in ("ok", "error")]
        return {
            "task_id": self.task_id,
            "user_id": self.user_id,
            "task_user_id": self.task_user_id,
            "results": [c.output for c in ran],
            "blocked": [{"name": c.name, "rule": c.rule} for c in self.calls
                        if c.status == "blocked" and c.rule not in PASS_RULES],
            "changed": self.changed,
            "actions": [{"name": c.name, "arguments": c.arguments} for c in ran],
            "calls": [c.model_dump() for c in self.calls],
            "gold_changed": self.gold_changed,
            "state_matches": self.state_matches,
            "outputs": self.outputs,
            "reward": self.reward,
            "user_turns": self.user_turns,
            "ended": self.ended,
            "error": self.error,
            "waiting_for_person": self.waiting_for_person,
            "answered_by": self.answered_by,
            "usage": {"agent": self.agent_usage.model_dump(), "user": self.user_usage.model_dump(),
                      "cost_usd": round(self.agent_usage.cost_usd + self.user_usage.cost_usd, 8)},
            "conversation": [s.model_dump() for s in self.conversation],
        }


UserFactory = Callable[[TauTask], SimulatedUser]
"""Makes the simulated user for a task (a fresh one per task)."""


def said_outputs(outputs: Sequence[str], agent_messages: Sequence[str]) -> dict[str, bool]:
    """Whether each output appears in some agent message, as tau-bench checks it (lower case, commas removed)."""
    said = [m.lower().replace(",", "") for m in agent_messages]
    return {out: any(out.lower() in m for m in said) for out in outputs}


def eval_settings(base: Settings) -> Settings:
    """The engine's settings for an evaluation: replies go out, only the agent answers (the offline model last),
    with a minute per model call (the policy makes long prompts).

    tau-bench has no person to approve a refund, so no amount waits for one; on an escalated case money
    still waits (the engine's ``human_approval``), and such calls are counted as ``waiting_for_person``.
    """
    return base.model_copy(update={"shop": "taubench-retail", "mode": "auto", "fallback_models": [],
                                   "approval_threshold": float("inf"),
                                   "model_timeout_s": max(base.model_timeout_s, 60.0),
                                   "max_tool_rounds": max(base.max_tool_rounds, 10), "redact_pii": False})


def policy_team(team: Team, policy: str) -> Team:
    """Every specialist's prompt followed by the shop's written policy (tau-bench gives its agent policy.md)."""
    if not policy.strip():
        return team
    escaped = policy.replace("{", "{{").replace("}", "}}")
    members: dict[str, Specialist] = {
        name: s.model_copy(update={"prompt": f"{s.prompt.rstrip()}\n\n## Policy\n\n{escaped}"})
        for name, s in team.members.items()
    }
    return Team(members=members)


class NoKnowledge:
    """A knowledge base with nothing in it: tau-bench's agent knows only the written policy (the shop's own
    articles, which the console shows, are left out so the run stays the benchmark's)."""

    async def search(self, query: str, k: int = 4, *, vector: Any = None) -> list[Snippet]:
        return []

    async def document(self, doc_id: str, limit: int = 2) -> list[Snippet]:
        return []


def _calls(events: Sequence[Event]) -> list[AgentCall]:
    out = []
    for e in events:
        if isinstance(e, ToolCallFinished) and e.name not in META_TOOLS:
            text = e.result if isinstance(e.result, str) else ("" if e.result is None else str(e.result))
            out.append(AgentCall(name=e.name, arguments=e.arguments, status=e.status, rule=e.rule,
                                 output=text if e.status == "ok" else (e.error or "")))
    return out


async def _ready() -> None:
    return None


async def bind_to_identified(store: SupportStore, shop: TauRetailShop, conversation_id: str) -> str | None:
    """Bind the conversation to the user a look-up in it found, if one has: from its next turn on, the prompt
    and the customer card are that user's. Later look-ups cannot move it (``one_user_per_conversation``)."""
    found = await shop.store.identified(conversation_id)
    if found is not None:
        await store.update_conversation(conversation_id, customer_id=found)
    return found


async def run_task(
    task: TauTask, *, parts: TurnParts, base: TauRetailShop, agent: str, user: SimulatedUser,
    gold_changed: dict[str, dict[str, Any]], max_user_turns: int = MAX_USER_TURNS,
) -> TauTaskRun:
    """One conversation between the engine (``agent`` on every specialist) and the simulated user, then the reward."""
    run = TauTaskRun(task_id=task.task_id, task_user_id=task.user_id, gold_changed=gold_changed)
    async with base.sandbox(fresh=True) as shop, scratch_support_store() as store:
        runner = TurnRunner(replace(parts, store=store, shop=shop, memory=None, kb=NoKnowledge()), _ready)
        conv = await store.create_conversation(UNIDENTIFIED, mode="auto", model=agent)
        try:
            message = await user.opening()
            while True:
                if STOP in message:
                    break
                if run.user_turns >= max_user_turns:
                    run.ended = "max_turns"
                    break
                run.user_turns += 1
                run.conversation.append(Said(role="user", text=message))
                events = [e async for e in runner.customer_message(conv.id, message)]
                run.calls += _calls(events)
                reply = next((e for e in reversed(events) if isinstance(e, ReplyCompleted)), None)
                done = next((e for e in reversed(events) if isinstance(e, TurnCompleted)), None)
                if done is not None:
                    run.agent_usage = run.agent_usage + done.usage
                    if done.status == "failed":
                        raise RuntimeError(f"the turn failed: {done.error}")
                run.user_id = run.user_id or await bind_to_identified(store, shop, conv.id)
                text = reply.text if reply is not None else ""
                if reply is not None:
                    run.answered_by.append(reply.model)
                run.conversation.append(Said(role="agent", text=text))
                if any(c.name == TRANSFER and c.status == "ok" for c in _calls(events)):
                    run.ended = "transferred"
                    break
                message = await user.reply(text)
        except (UserSimulationError, RuntimeError) as exc:
            run.ended, run.error = "error", str(exc)
        run.user_usage = user.usage
        run.changed = await shop.store.changed()
        run.waiting_for_person = len(await store.pending_calls(conv.id))
    run.state_matches = run.changed == gold_changed
    run.outputs = said_outputs(task.outputs, [s.text for s in run.conversation if s.role == "agent"])
    run.reward = 1.0 if run.state_matches and all(run.outputs.values()) else 0.0
    return run


async def gold_changes(tasks: Sequence[TauTask], data: RetailData) -> list[dict[str, dict[str, Any]]]:
    """What each task's gold actions change, replayed on fresh copies of the data."""
    replays = await replay_tasks([t.model_dump() for t in tasks], data=data)
    return [r.changed for r in replays]


async def evaluate_tasks(
    tasks: Sequence[TauTask], *, parts: TurnParts, base: TauRetailShop, agent: str, users: UserFactory,
    max_user_turns: int = MAX_USER_TURNS, on_result: Callable[[TauTaskRun], None] | None = None,
) -> list[TauTaskRun]:
    """Run every task in order (``parts``: a ready engine's, with ``eval_settings`` and ``policy_team`` applied)."""
    golds = await gold_changes(tasks, base.store.data)
    runs = []
    for task, gold in zip(tasks, golds):
        run = await run_task(task, parts=parts, base=base, agent=agent, user=users(task), gold_changed=gold,
                             max_user_turns=max_user_turns)
        if on_result is not None:
            on_result(run)
        runs.append(run)
    return runs


def model_summary(runs: Sequence[TauTaskRun], seconds: float, agent: str, user_model: str | None) -> dict[str, Any]:
    """Totals: tasks, reward, pass^1, tokens and cost (agent and user), turns, errors."""
    agent_usage = sum((r.agent_usage for r in runs), Usage())
    user_usage = sum((r.user_usage for r in runs), Usage())
    return {
        "agent": agent,
        "user_model": user_model,
        "tasks": len(runs),
        "reward": sum(r.reward for r in runs),
        "pass^1": round(sum(r.reward for r in runs) / len(runs), 4) if runs else 0.0,
        "state_matches": sum(r.state_matches for r in runs),
        "user_turns": sum(r.user_turns for r in runs),
        "blocked": sum(len(r.to_dict()["blocked"]) for r in runs),
        "errors": sum(r.ended == "error" for r in runs),
        "max_turns": sum(r.ended == "max_turns" for r in runs),
        "transferred": sum(r.ended == "transferred" for r in runs),
        "fallback_replies": sum(m != agent for r in runs for m in r.answered_by),
        "agent_usage": agent_usage.model_dump(),
        "user_usage": user_usage.model_dump(),
        "cost_usd": round(agent_usage.cost_usd + user_usage.cost_usd, 6),
        "seconds": round(seconds, 3),
    }


def timer() -> Callable[[], float]:
    """Seconds since the call."""
    started = time.perf_counter()
    return lambda: time.perf_counter() - started
