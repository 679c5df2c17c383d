"""The command line with odd input: one clear line on stderr, no traceback, the documented exit code."""

from __future__ import annotations

import io
import re

import pytest

from support_tui.cli import main
from support_tui.cli._common import StderrProgress


def test_progress_writes_nothing_to_a_piped_stderr(capsys):
    progress = StderrProgress()
    for stage, done, total in (("fixtures", 0, 0), ("kb", 3, 36), ("ready", 0, 0)):
        progress(stage, done, total)
    assert capsys.readouterr().err == ""


@pytest.fixture
def home(engine_home, monkeypatch):
    """The CLI on a private copy of the fixture store."""
    monkeypatch.setenv("SUPPORT_TUI_HOME", str(engine_home))
    return engine_home


@pytest.mark.parametrize("query", ["", "   ", "\x1b[2J", "\x01\x02"])
def test_kb_search_with_nothing_to_look_for_is_bad_usage(home, capsys, query):
    assert main(["kb", "search", query]) == 2
    err = capsys.readouterr().err
    assert err == "support-tui: the query is empty; write what to look for\n"


def test_ask_says_on_stderr_that_an_oversized_message_was_cut(home, capsys):
    assert main(["ask", "x" * 100_000, "--customer", "cust_12345"]) == 0
    err = capsys.readouterr().err
    assert "note: The message was 100,000 characters; only the first 4,000 were kept." in err


def test_chat_skips_a_line_of_control_characters(home, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("\x01\x02\nwhere is my order ORD-67890?\n"))
    assert main(["chat", "--customer", "cust_12345"]) == 0
    captured = capsys.readouterr()
    assert "nothing to send" in captured.err and "Traceback" not in captured.err
    assert "1Z999AA10123456784" in captured.out


def test_chat_with_piped_input_echoes_each_line_and_labels_each_reply(home, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("where is my order ORD-67890?\n"))
    assert main(["chat", "--customer", "cust_12345"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == "you> where is my order ORD-67890?"
    assert lines[1].startswith("order_tracking> ") and "1Z999AA10123456784" in out


def test_trace_without_an_id_shows_the_latest_conversation(home, capsys):
    assert main(["ask", "where is my order ORD-67890?", "--customer", "cust_12345"]) == 0
    conversation = re.search(r"\(conversation (\S+)\)", capsys.readouterr().err).group(1)
    assert main(["trace"]) == 0
    captured = capsys.readouterr()
    assert f"latest conversation {conversation}" in captured.err
    assert "turn_started" in captured.out and "turn_completed" in captured.out


@pytest.mark.parametrize("argv, says", [
    (["conversations", "--status", "bogus"], "invalid choice: 'bogus'"),
    (["serve-metrics", "--port", "99999"], "a port is 0-65535, not 99999"),
    (["serve-metrics", "--port", "http"], "not a port number: 'http'"),
])
def test_bad_options_are_usage_errors(capsys, argv, says):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err


@pytest.mark.parametrize("argv, says", [
    (["router", "route", "  "], "the message is empty"),
    (["router", "route", "\x1b[31m"], "the message is empty"),
    (["router", "route", "hi", "--current", "sales"], "unknown specialist 'sales'"),
])
def test_router_route_refuses_what_it_cannot_route(capsys, argv, says):
    assert main(argv) == 2
    assert says in capsys.readouterr().err
