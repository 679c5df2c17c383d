"""``support-tui approvals``, ``approve`` and ``deny``: waiting calls from the command line, decided once, as a person."""

from __future__ import annotations

import asyncio
import json

import pytest

from support_tui.cli import main

REFUND = "Please refund 1402.92 for order ORD-70001, I don't want the laptop"


async def _waiting_refunds(home, embedder, count: int) -> list[tuple[str, str, dict]]:
    """``count`` conversations whose refund waits for a person: (conversation id, call id, arguments)."""
    from support_tui.core.factory import open_engine
    from support_tui.core.paths import DataPaths

    engine = await open_engine(DataPaths(home), embedder=embedder)
    try:
        waiting = []
        for _ in range(count):
            conv = await engine.open_conversation("cust_23456", new=True)
            [e async for e in engine.run_turn(conv.id, REFUND, route_override="returns_refunds")]
            if not await engine.pending_tool_calls(conv.id):
                [e async for e in engine.run_turn(conv.id, "yes")]
            [call] = await engine.pending_tool_calls(conv.id)
            waiting.append((conv.id, call.call_id, call.arguments))
        return waiting
    finally:
        await engine.close()


async def _trace_changes(home, conversation_id: str) -> list[tuple[str, str | None, str]]:
    from support_tui.core.events import ConversationChanged
    from support_tui.core.factory import open_engine
    from support_tui.core.paths import DataPaths

    engine = await open_engine(DataPaths(home), wait=False)
    try:
        return [(e.change, e.by, e.detail) for e in await engine.trace(conversation_id) if isinstance(e, ConversationChanged)]
    finally:
        await engine.close()


@pytest.fixture
def home(engine_home, monkeypatch):
    monkeypatch.setenv("SUPPORT_TUI_HOME", str(engine_home))
    monkeypatch.delenv("SUPPORT_TUI_AGENT", raising=False)
    return engine_home


def _json(capsys):
    return json.loads(capsys.readouterr().out)


def test_approvals_list_what_waits_and_approve_decides_once_as_the_person(home, shared_embedder, capsys):
    (cid, call_id, arguments), (cid2, call_id2, _) = asyncio.run(_waiting_refunds(home, shared_embedder, 2))

    assert main(["approvals", "--json"]) == 0
    listed = {item["id"]: item for item in _json(capsys)}
    assert set(listed) == {call_id, call_id2}
    item = listed[call_id]
    assert (item["conversation_id"], item["customer_id"], item["tool"]) == (cid, "cust_23456", "issue_refund")
    assert item["arguments"] == arguments and item["amount"] == pytest.approx(float(arguments["amount"]))
    assert "approval" in item["why"] and item["customer"] and item["age_s"] >= 0 and item["held_by"] is None
    assert main(["approvals"]) == 0
    text = capsys.readouterr().out
    assert call_id in text and cid in text and "why:" in text and "2 waiting" in text

    assert main(["approve", call_id, "--agent", "alice", "--json"]) == 0
    outcome = _json(capsys)
    assert (outcome["decision"], outcome["by"], outcome["status"]) == ("approved", "alice", "ok")
    assert outcome["reply"]
    assert ("call_approved", "alice", "issue_refund") in asyncio.run(_trace_changes(home, cid))

    assert main(["approve", call_id, "--agent", "bob"]) == 2
    assert f"tool call {call_id!r} was already approved by alice; nothing changed" in capsys.readouterr().err
    assert main(["deny", call_id, "--reason", "too late"]) == 2
    assert "already approved by alice" in capsys.readouterr().err
    assert main(["approvals", "--json"]) == 0
    assert [item["id"] for item in _json(capsys)] == [call_id2]


def test_approve_checks_edited_arguments_like_the_console_and_refuses_bad_input(home, shared_embedder, capsys):
    [(cid, call_id, arguments)] = asyncio.run(_waiting_refunds(home, shared_embedder, 1))
    for argv, message in (
        (["approve", "call_nope"], "no tool call 'call_nope' (see `support-tui approvals`)"),
        (["approve", call_id, "--args", "{amount: 1"], "--args is not valid JSON"),
        (["approve", call_id, "--args", "[1, 2]"], "--args must be a JSON object"),
        (["approve", call_id, "--args", json.dumps(dict(arguments, amount="lots"))], "the edited arguments cannot run"),
        (["deny", call_id, "--reason", "   "], "--reason must say why"),
    ):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err, (argv, err)
    assert main(["approvals", "--json"]) == 0
    assert [item["id"] for item in _json(capsys)] == [call_id]  # nothing was decided

    (home / "config.toml").write_text('agent_id = "carol"\n')
    edited = dict(arguments, amount=round(float(arguments["amount"]) - 100, 2))
    assert main(["approve", call_id, "--args", json.dumps(edited), "--json"]) == 0
    outcome = _json(capsys)
    assert (outcome["decision"], outcome["by"]) == ("approved", "carol") and outcome["arguments"] == edited
    changes = asyncio.run(_trace_changes(home, cid))
    assert any(c == "call_approved" and by == "carol" and "edited arguments" in detail for c, by, detail in changes)


def test_deny_records_the_person_and_the_reason_stays_internal(home, shared_embedder, capsys, monkeypatch):
    [(cid, call_id, _)] = asyncio.run(_waiting_refunds(home, shared_embedder, 1))
    monkeypatch.setenv("SUPPORT_TUI_AGENT", "dana")
    reason = "the laptop has not come back to the warehouse yet"
    assert main(["deny", call_id, "--reason", reason, "--json"]) == 0
    outcome = _json(capsys)
    assert (outcome["decision"], outcome["by"], outcome["status"]) == ("denied", "dana", "blocked")
    assert reason not in (outcome["reply"] or "")
    assert ("call_denied", "dana", f"issue_refund: {reason}") in asyncio.run(_trace_changes(home, cid))
    assert main(["approve", call_id]) == 2
    assert "already denied by dana" in capsys.readouterr().err
