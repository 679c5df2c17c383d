"""Shift+F6 in the console: pick a turn of the open conversation, then compare it with another specialist side
by side (the compare screen) or fork it into a new conversation linked to its parent (real engine, offline)."""

from __future__ import annotations

from fakes import say, settle
from support_tui.core.specialists import ROUTABLE
from support_tui.tui.app import SupportConsole
from support_tui.tui.screens.compare import CompareScreen
from support_tui.tui.screens.dialogs import PickerDialog

TRACK = "Hi, I need to track my order #ORD-67890. When will it arrive?"


def console(engine, tmp_path) -> SupportConsole:
    app = SupportConsole(engine, engine.settings, customer_id="cust_12345", demo=True, person="sam", export_dir=tmp_path)
    app.cursor_blink = False
    return app


async def pick(pilot, title_part: str, downs: int = 0) -> None:
    """In the open picker (its title names ``title_part``), move down ``downs`` times and press Enter."""
    await pilot.pause()
    assert isinstance(pilot.app.screen, PickerDialog) and title_part in pilot.app.screen.dialog_title
    for _ in range(downs):
        await pilot.press("down")
    await pilot.press("enter")
    await pilot.pause()


async def test_shift_f6_compares_a_turn_with_another_specialist(engine, tmp_path):
    app = console(engine, tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await say(pilot, TRACK)
        parent = app.screen.conversation.id
        await pilot.press("shift+f6")
        await pick(pilot, "which turn")
        await pick(pilot, "Turn 1")  # the first way: compare with another specialist
        await pick(pilot, "specialist", downs=ROUTABLE.index("billing_payment"))
        assert isinstance(app.screen, CompareScreen)
        await settle(pilot)
        comparison = app.screen.comparison
        assert comparison is not None and comparison.parent_id == parent and comparison.turn == 1
        assert [r.side.route for r in comparison.runs] == [None, "billing_payment"]
        assert "route" in comparison.differences
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, CompareScreen)
    assert len([m for m in await engine.messages(parent) if m.role == "customer"]) == 1  # the parent is untouched


async def test_shift_f6_forks_a_turn_into_a_linked_conversation(engine, tmp_path):
    app = console(engine, tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await say(pilot, TRACK)
        parent = app.screen.conversation.id
        await pilot.press("shift+f6")
        await pick(pilot, "which turn")
        await pick(pilot, "Turn 1", downs=2)  # fork with another specialist
        await pick(pilot, "specialist", downs=ROUTABLE.index("returns_refunds"))
        await settle(pilot)
        fork = app.screen.conversation
        assert fork.id != parent and fork.parent_id == parent and fork.forked_at_turn == 1
    trace = await engine.trace(fork.id)
    assert any(e.kind == "notice" and e.code == "forked" for e in trace)
    assert next(e for e in trace if e.kind == "route_decided").agent == "returns_refunds"  # the chosen specialist
    assert [m.text for m in await engine.messages(fork.id) if m.role == "customer"] == [TRACK]
