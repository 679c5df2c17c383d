"""tau-bench tasks run by the engine against a simulated user: the real turn lifecycle on the retail shop, the
agent model played by the loopback fake provider, a scripted user, and tau-bench's reward."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from fake_provider import fake_provider, text, tool_call  # noqa: F401
from support_tui.core.evaluation.tau_model import (
    TauTask, eval_settings, evaluate_tasks, model_summary, policy_team, said_outputs,
)
from support_tui.core.evaluation.tau_user import STOP, ModelUser, ScriptedUser
from support_tui.core.settings import Settings
from support_tui.core.store.sql.sqlite import Database
from support_tui.shops.taubench_retail import DEV_TASKS, RetailData, open_taubench_shop
from support_tui.shops.taubench_retail.replay import load_tasks

AGENT = "openai/gpt-4o"
ORDER = "#W5442520"
"""Dev task 0: Olivia Ito (zip 80218) wants her pending order cancelled because she no longer needs it."""


@pytest.fixture(scope="module")
def data() -> RetailData:
    return RetailData.load()  # the data shipped with the shop


@pytest.fixture
async def tau_engine(tmp_path, retail_kb_index, shared_embedder):
    """A ready engine on the tau-bench shop (the retail knowledge base index, copied), evaluation settings."""
    from support_tui.core.factory import open_engine
    from support_tui.core.paths import DataPaths

    home = tmp_path / "tau-home"
    home.mkdir()
    shutil.copytree(retail_kb_index, home / retail_kb_index.name)
    engine = await open_engine(DataPaths(home), eval_settings(Settings(shop="taubench-retail")), embedder=shared_embedder)
    try:
        yield engine
    finally:
        await engine.close()


@pytest.fixture
async def base(data):
    db = await Database.in_memory()
    try:
        yield await open_taubench_shop(db, data=data, require_lookup=True)
    finally:
        await db.close()


def task_zero(**update) -> TauTask:
    task = TauTask.model_validate(load_tasks(DEV_TASKS)[0])
    assert task.user_id == "olivia_ito_3591" and task.actions[0].arguments["order_id"] == ORDER
    return task.model_copy(update=update)


def script_agent(fake, reason: str) -> None:
    """The agent model's moves: find the user, read the order, propose the cancel; after the yes, cancel."""
    cancel = {"order_id": ORDER, "reason": reason}
    fake.scripts["gpt-4o"].clear()
    fake.script(
        "gpt-4o",
        tool_call("find_user_id_by_name_zip", {"first_name": "Olivia", "last_name": "Ito", "zip": "80218"}),
        tool_call("get_order_details", {"order_id": ORDER}),
        tool_call("cancel_pending_order", cancel),
        text(f"I can cancel order {ORDER} ({reason}); the full amount goes back to your payment method. Shall I go ahead?"),
        tool_call("cancel_pending_order", cancel),
        text(f"Done: order {ORDER} is cancelled and your refund is on its way."),
    )


USER_LINES = [f"Hi, I'm Olivia Ito, zip 80218. Please cancel my order {ORDER}, I won't need it.", "Yes, please go ahead."]


async def run(tau_engine, base, fake, monkeypatch, task: TauTask, reason: str):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-tau")
    monkeypatch.setenv("OPENAI_API_BASE", fake.openai_base)
    script_agent(fake, reason)
    users: list[ScriptedUser] = []

    def user_for(t: TauTask) -> ScriptedUser:
        users.append(ScriptedUser(USER_LINES))
        return users[-1]

    parts = replace(tau_engine.parts, team=policy_team(tau_engine.parts.team, RetailData.load().policy()))
    (result,) = await evaluate_tasks([task], parts=parts, base=base, agent=AGENT, users=user_for)
    return result, users[0]


async def test_a_correct_run_earns_reward_one(tau_engine, base, fake_provider, monkeypatch):
    task = task_zero(outputs=[f"order {ORDER} is cancelled"])
    result, user = await run(tau_engine, base, fake_provider, monkeypatch, task, "no longer needed")
    assert result.ended == "user_stop" and result.user_turns == 2 and result.error is None
    # The cancel was proposed first (the engine's confirmation rule), then ran after the user's yes.
    statuses = [(c.name, c.status, c.rule) for c in result.calls]
    assert statuses == [("find_user_id_by_name_zip", "ok", None), ("get_order_details", "ok", None),
                        ("cancel_pending_order", "blocked", "customer_confirmation"), ("cancel_pending_order", "ok", None)]
    assert result.calls[0].output == "olivia_ito_3591"
    assert json.loads(result.calls[-1].output)["status"] == "cancelled"
    assert result.state_matches and result.changed == result.gold_changed
    assert list(result.changed["orders"]) == [ORDER] and result.outputs == {f"order {ORDER} is cancelled": True}
    assert result.reward == 1.0 and result.answered_by == [AGENT, AGENT]
    assert user.heard[-1].startswith("Done: order") and result.agent_usage.prompt_tokens > 0
    # Every specialist prompt carries the shop's written policy; the agent model saw it and the look-up tools.
    sent = [r.body for r in fake_provider.calls("gpt-4o")]
    assert len(sent) == 6 and "## Policy" in sent[0]["messages"][0]["content"]
    assert "## Knowledge base" not in sent[0]["messages"][0]["content"]  # the demo shop's documents stay out
    assert {"find_user_id_by_email", "cancel_pending_order"} <= {t["function"]["name"] for t in sent[0]["tools"]}
    out = result.to_dict()
    assert out["blocked"] == [] and out["actions"][-1] == {"name": "cancel_pending_order", "arguments": task.actions[0].arguments}
    summary = model_summary([result], 1.0, AGENT, "scripted")
    assert summary["pass^1"] == 1.0 and summary["tasks"] == 1 and summary["fallback_replies"] == 0


async def test_a_wrong_write_earns_zero(tau_engine, base, fake_provider, monkeypatch):
    result, _ = await run(tau_engine, base, fake_provider, monkeypatch, task_zero(), "ordered by mistake")
    assert [c.status for c in result.calls][-1] == "ok"  # the write ran, with the wrong reason
    assert not result.state_matches and result.reward == 0.0
    assert result.changed["orders"][ORDER]["status"] == "cancelled"
    assert result.changed != result.gold_changed


async def test_a_missing_output_earns_zero(tau_engine, base, fake_provider, monkeypatch):
    task = task_zero(outputs=["5-7 business days"])
    result, _ = await run(tau_engine, base, fake_provider, monkeypatch, task, "no longer needed")
    assert result.state_matches and result.outputs == {"5-7 business days": False} and result.reward == 0.0


def test_outputs_are_matched_as_tau_bench_does():
    assert said_outputs(["1,000.50", "Blue"], ["It costs 1000.50 in blue."]) == {"1,000.50": False, "Blue": True}
    assert said_outputs(["1000.50"], ["It costs $1,000.50."]) == {"1000.50": True}


async def test_the_model_user_plays_the_instruction_and_stops(fake_provider, monkeypatch):
    from support_tui.core.llm import ModelClient

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-tau")
    monkeypatch.setenv("OPENAI_API_BASE", fake_provider.openai_base)
    fake_provider.script("gpt-4o-mini", text("I need to cancel an order."), text(f"Thanks! {STOP}"))
    user = ModelUser(ModelClient(Settings()), "openai/gpt-4o-mini", "You want to cancel order #W1.")
    assert await user.opening() == "I need to cancel an order."
    assert STOP in await user.reply("Done, it is cancelled.")
    first, second = (r.body["messages"] for r in fake_provider.calls("gpt-4o-mini"))
    assert first[0]["role"] == "system" and "You want to cancel order #W1." in first[0]["content"]
    assert first[1] == {"role": "user", "content": "Hi! How can I help you today?"}
    assert second[-2:] == [{"role": "assistant", "content": "I need to cancel an order."},
                           {"role": "user", "content": "Done, it is cancelled."}]
    assert user.usage.prompt_tokens == 22


def test_cli_refuses_a_model_without_its_key(capsys):
    from support_tui.cli import main

    tasks = str(DEV_TASKS)
    assert main(["eval", "tau", "--tasks", tasks, "--agent", "openai/gpt-4o"]) == 2
    assert "OPENAI_API_KEY not set" in capsys.readouterr().err
    assert main(["eval", "tau", "--tasks", tasks, "--agent", "openai/gpt-4o", "--user-model", "offline/support-agent"]) == 2
    assert "cannot play a customer" in capsys.readouterr().err


async def test_cli_runs_the_model_path_end_to_end(fake_provider, monkeypatch, retail_kb_index, capsys):
    """``eval tau --agent openai/gpt-4o --user-model openai/gpt-4o-mini --json`` with both models on the loopback
    server: the gold JSON shape plus reward, pass^1 and usage."""
    import os

    from support_tui.cli import build_parser

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-tau")
    monkeypatch.setenv("OPENAI_API_BASE", fake_provider.openai_base)
    home = Path(os.environ["SUPPORT_TUI_HOME"]) / "shops" / "taubench-retail"
    home.mkdir(parents=True)
    shutil.copytree(retail_kb_index, home / retail_kb_index.name)  # no re-indexing of the knowledge base
    script_agent(fake_provider, "no longer needed")
    fake_provider.script("gpt-4o-mini", *(text(line) for line in USER_LINES), text(STOP))
    args = build_parser().parse_args(["eval", "tau", "--tasks", str(DEV_TASKS), "--limit", "1",
                                      "--agent", AGENT, "--user-model", "openai/gpt-4o-mini", "--json"])
    assert await args.func(args) == 0
    out = json.loads(capsys.readouterr().out)
    (task,) = out["tasks"]
    assert {"task_id", "results", "blocked", "changed"} <= set(task) and task["reward"] == 1.0
    assert task["conversation"][0] == {"role": "user", "text": USER_LINES[0]} and task["ended"] == "user_stop"
    assert out["summary"]["pass^1"] == 1.0 and out["summary"]["user_usage"]["prompt_tokens"] == 33
    assert out["summary"]["agent"] == AGENT and out["summary"]["tasks"] == 1


async def test_a_transfer_to_a_person_ends_the_conversation(tau_engine, base, fake_provider, monkeypatch):
    from support_tui.cli.tau import task_line

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-tau")
    monkeypatch.setenv("OPENAI_API_BASE", fake_provider.openai_base)
    fake_provider.script("gpt-4o", tool_call("transfer_to_human_agents", {"summary": "wants a cancellation"}),
                         text("A colleague will take it from here."))
    user = ScriptedUser(USER_LINES)
    (result,) = await evaluate_tasks([task_zero()], parts=tau_engine.parts, base=base, agent=AGENT, users=lambda t: user)
    assert result.ended == "transferred" and result.user_turns == 1 and user.heard == []  # not asked to answer
    assert result.calls[0].output == "Transfer successful" and result.reward == 0.0  # the cancel never happened
    assert task_line(result) == ("task 0: reward 0 (state differs from the gold replay, outputs 0/0), 1 customer message, "
                                 f"1 tool call, ended transferred, ${result.agent_usage.cost_usd:.4f}")
    assert result.agent_usage.cost_usd > 0  # LiteLLM prices gpt-4o's tokens
    assert model_summary([result], 2.0, AGENT, "scripted")["transferred"] == 1


SOMEONE_ELSE = "noah_brown_6181"
"""A real user who is not the task's customer: a task's ``user_id`` field can name another user than the one the
customer's own details find. None of the 520 shipped tasks does (their instructions' emails and names with zip
codes, their orders' owners and their user_id arguments all agree with the field), so the tests build one from
dev task 0 with the field changed."""


def disagreeing_task(**update) -> TauTask:
    """Dev task 0 with its user_id field naming someone else, its gold actions starting with the look-up."""
    task = task_zero(user_id=SOMEONE_ELSE, **update)
    find = {"name": "find_user_id_by_name_zip", "arguments": {"first_name": "Olivia", "last_name": "Ito", "zip": "80218"}}
    return TauTask.model_validate({**task.model_dump(), "actions": [find] + [a.model_dump() for a in task.actions]})


async def test_a_conversation_is_bound_to_the_user_its_look_up_finds(tau_engine, base, fake_provider, monkeypatch):
    task = disagreeing_task(outputs=[f"order {ORDER} is cancelled"])
    result, _ = await run(tau_engine, base, fake_provider, monkeypatch, task, "no longer needed")
    assert result.user_id == "olivia_ito_3591" and result.task_user_id == SOMEONE_ELSE
    assert [c.status for c in result.calls] == ["ok", "ok", "blocked", "ok"]  # the proposal, then the cancel
    assert result.state_matches and list(result.gold_changed["orders"]) == [ORDER] and result.reward == 1.0
    prompts = [r.body["messages"][0]["content"] for r in fake_provider.calls("gpt-4o")]
    # Before the look-up the agent knows nobody; from the next turn on the prompt is the found user's.
    assert "customer_id: unidentified" in prompts[0]
    assert "customer_id: olivia_ito_3591" in prompts[4] and "Olivia Ito" in prompts[4]
    assert not any(SOMEONE_ELSE in p or "Noah Brown" in p for p in prompts)
    assert result.to_dict()["user_id"] == "olivia_ito_3591"


async def test_the_gold_replay_binds_to_the_first_look_up_too(data):
    from support_tui.shops.taubench_retail.replay import replay_tasks

    looked_up = disagreeing_task().model_dump()
    (replay,) = await replay_tasks([looked_up], data=data)
    assert replay.blocked == [] and replay.results[0] == "olivia_ito_3591" and list(replay.changed["orders"]) == [ORDER]
    # Without a look-up the task's user_id is all there is, and the policy still keeps to that one user.
    (bare,) = await replay_tasks([task_zero(user_id=SOMEONE_ELSE).model_dump()], data=data)
    assert bare.blocked == [{"name": "cancel_pending_order", "rule": "one_user_per_conversation"}]
    # A look-up that finds another user than the first one is refused.
    second = {"name": "find_user_id_by_email", "arguments": {"email": "noah.brown7922@example.com"}}
    (twice,) = await replay_tasks([{**looked_up, "actions": looked_up["actions"][:1] + [second]}], data=data)
    assert twice.blocked == [{"name": "find_user_id_by_email", "rule": "one_user_per_conversation"}]
