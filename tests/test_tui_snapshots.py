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
    "Shipping times" as used; Tools lists two get_order_status calls; the status line counts 2 turns."""
    app, _ = make_console()
    assert snap_compare(app, terminal_size=(160, 48), run_before=two_turns)


def test_main_screen_narrow(snap_compare):
    """80x24, same moment: the side panels collapse into tabs (Conversation active); the conversation,
    the status line, the composer and the footer fit without overlapping."""
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
    refund_over_threshold and Approve/Edit/Deny buttons; the conversation has the waiting notice."""
    app, _ = make_console()

    async def run_before(pilot) -> None:
        await settle(pilot)
        await say(pilot, "I want a refund for the blender")
        await pilot.press("ctrl+g")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(160, 48), run_before=run_before)
