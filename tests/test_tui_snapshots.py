"""Snapshot tests of the console mid-scenario (160x48 and 80x24), the trace modal and a pending approval."""

from __future__ import annotations

from fakes import make_console, say, settle


async def two_turns(pilot) -> None:
    """Ada asks where her order is, then moves on to a billing question (a hand-off)."""
    await settle(pilot)
    await say(pilot, "Where is my order ORD-1001? It was due yesterday.")
    await say(pilot, "Also I was charged twice, please check the billing.")
    pilot.app.clear_notifications()
    await pilot.pause()


def test_main_screen_wide(snap_compare):
    """160x48, after two turns: customer card and queue on the left; the conversation with the customer's
    two messages, both AI replies labelled with specialist and model and the hand-off line between them;
    Routing shows billing_payment highlighted among six bars with confidence, margin, reason and the
    hand-off; Sentiment shows the gauge with the threshold mark and a two-point trend; Knowledge marks
    "Shipping times" as used; Tools lists two lookup_order calls under "turn 1" and "turn 2" separators;
    the queue row is marked active (▶) with id 001, status, time and the first request as subject; the
    header reads AUTO — model · customer; the status line counts 2 turns."""
    app, _ = make_console()
    assert snap_compare(app, terminal_size=(160, 48), run_before=two_turns)


def test_main_screen_narrow(snap_compare):
    """80x24, same moment: the side panels collapse into tabs (Conversation active); the header still
    shows the mode (AUTO) and the model; the conversation, the status line, the composer and the footer
    (F1 Help, Ctrl+G Pending, Ctrl+O Customer) fit without overlapping."""
    app, _ = make_console()
    assert snap_compare(app, terminal_size=(80, 24), run_before=two_turns)


def test_trace_modal(snap_compare):
    """The trace of one turn: every event in order with +ms since the first and Δms, turn id, kind and a
    summary; the first row selected and its JSON below; the customer's markup-like text shown literally."""
    app, _ = make_console()

    async def run_before(pilot) -> None:
        await settle(pilot)
        await say(pilot, "where is my order [bold]now[/]?")
        await pilot.press("f6")
        await pilot.pause()
        await pilot.pause()

    assert snap_compare(app, terminal_size=(160, 48), run_before=run_before)


def test_pending_approval(snap_compare):
    """A refund over the approval threshold: the Tools panel has a heavy warning border and
    "1 awaiting approval"; the issue_refund card is expanded, focused, shows its arguments, the rule
    human_approval and Approve/Edit/Deny buttons; the footer shows a/e/d for the focused card; the
    conversation has the waiting notice; the queue row carries the ◆1 waiting mark."""
    app, _ = make_console()

    async def run_before(pilot) -> None:
        await settle(pilot)
        await say(pilot, "I want a refund for the blender")
        await pilot.press("ctrl+g")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(160, 48), run_before=run_before)


def test_help_narrow(snap_compare):
    """80x24, F1: the Keys dialog lists the console's keys by area with descriptions wrapped under
    themselves (F1 / ?, Ctrl+G, Ctrl+O ... F10); the header behind it still shows AUTO and the model."""
    app, _ = make_console()

    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("f1")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
