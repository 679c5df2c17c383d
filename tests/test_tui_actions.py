"""What a person does in the console: drafts, take-over, tool approvals, route override, escalation, model,
trace, scenarios and rating, each driven by keys against the scripted engine."""

from __future__ import annotations

import json

from textual.widgets import DataTable, TextArea

from support_tui.tui.screens.dialogs import JsonEditDialog, PickerDialog, RatingDialog, ReasonDialog, TextEditDialog
from support_tui.tui.screens.trace import TraceDialog
from support_tui.tui.widgets.conversation import ReplyBubble, SystemLine
from support_tui.tui.widgets.tools import ToolCallCard
from fakes import make_console, say, settle, text_of


async def answer(pilot, text: str) -> None:
    """Fill the open one-line dialog and confirm it."""
    pilot.app.screen.query_one("#reason-input").value = text
    await pilot.press("enter")


async def supervised_draft(pilot, engine) -> ReplyBubble:
    await settle(pilot)
    await pilot.press("ctrl+s")
    await settle(pilot)
    assert engine.called("set_mode")[0][0] == ("conv_001", "supervised")
    assert pilot.app.screen.title == "SUPERVISED"
    await say(pilot, "where is my order?")
    draft = pilot.app.screen.query_one(ReplyBubble)
    assert draft.status == "draft" and draft.has_class("-draft")
    await pilot.press("ctrl+g")
    await pilot.pause()
    assert pilot.app.focused is draft
    return draft


async def test_supervised_draft_is_approved_as_is():
    app, engine = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        draft = await supervised_draft(pilot, engine)
        await pilot.press("a")
        await settle(pilot)
        assert engine.called("approve_draft") == [((draft.message_id,), {"text": None, "by": "sam"})]
        assert draft.status == "sent" and not draft.has_class("-draft")


async def test_supervised_draft_is_edited_then_sent():
    app, engine = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        draft = await supervised_draft(pilot, engine)
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, TextEditDialog)
        app.screen.query_one(TextArea).text = "Edited: it ships tomorrow."
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert engine.called("approve_draft") == [((draft.message_id,), {"text": "Edited: it ships tomorrow.", "by": "sam"})]
        assert draft.text == "Edited: it ships tomorrow." and draft.status == "sent"


async def test_supervised_draft_is_rejected_with_a_reason():
    app, engine = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        draft = await supervised_draft(pilot, engine)
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, ReasonDialog)
        await answer(pilot, "wrong order")
        await settle(pilot)
        assert engine.called("reject_draft") == [((draft.message_id,), {"reason": "wrong order", "by": "sam"})]
        assert draft.status == "rejected"
        assert app.focused is app.screen.query_one("#composer")
        # A decided reply offers no draft keys: they are gone from the footer and do nothing.
        draft.focus()
        await pilot.pause()
        assert not any(ab.binding.action.startswith("decide") for ab in app.active_bindings.values() if ab.node is draft)
        await pilot.press("a")
        await settle(pilot)
        assert not engine.called("approve_draft")


async def test_take_over_and_hand_back():
    app, engine = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        assert engine.called("take_over") and app.screen.composer.has_class("-human-active")
        assert app.screen.speaker == "agent"
        await pilot.press("f5")
        await settle(pilot)
        assert engine.called("hand_back") and not app.screen.composer.has_class("-human-active")
        assert app.screen.speaker == "customer"


async def pending_card(pilot) -> ToolCallCard:
    await settle(pilot)
    await say(pilot, "I want a refund")
    card = pilot.app.screen.query_one(ToolCallCard)
    assert card.has_class("-pending-approval") and pilot.app.screen.query_one("#tools").has_class("-pending-approval")
    await pilot.press("ctrl+g")
    await pilot.pause()
    assert pilot.app.focused is card
    return card


async def test_pending_tool_call_is_approved():
    app, engine = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        card = await pending_card(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert engine.called("resolve_tool_call") == [(("conv_001", card.call_id), {"approve": True, "arguments": None, "reason": None, "by": "sam"})]
        assert card.has_class("-ok") and not card.has_class("-pending-approval")
        assert "refund of $249.99 has been issued" in app.screen.query(ReplyBubble).last().text


async def test_pending_tool_call_arguments_are_edited_and_validated():
    app, engine = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        await pending_card(pilot)
        await pilot.press("e")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, JsonEditDialog)
        dialog.query_one(TextArea).text = '{"amount": 150, '
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is dialog and "Invalid JSON" in text_of(dialog.query_one("#json-error"))
        dialog.query_one(TextArea).text = "[1, 2]"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "must be a JSON object" in text_of(dialog.query_one("#json-error"))
        edited = {"order_id": "ORD-0990", "amount": 150, "reason": "arrived broken"}
        dialog.query_one(TextArea).text = json.dumps(edited)
        await pilot.press("ctrl+s")
        await settle(pilot)
        (args, kwargs), = engine.called("resolve_tool_call")
        assert kwargs == {"approve": True, "arguments": edited, "reason": None, "by": "sam"}


async def test_pending_tool_call_is_denied_with_a_reason():
    app, engine = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        card = await pending_card(pilot)
        await pilot.press("d")
        await pilot.pause()
        await answer(pilot, "outside policy")
        await settle(pilot)
        (args, kwargs), = engine.called("resolve_tool_call")
        assert kwargs == {"approve": False, "arguments": None, "reason": "outside policy", "by": "sam"}
        assert card.has_class("-blocked") and "human_denied" in text_of(card.query_one(".tool-detail"))


async def test_route_override_reruns_the_last_message():
    app, engine = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await say(pilot, "where is my order?")
        await pilot.press("f3")
        await pilot.pause()
        await pilot.press("down", "down", "down", "enter")
        await settle(pilot)
        assert engine.called("rerun_turn") == [(("conv_001",), {"route_override": "billing_payment"})]
        assert "billing_payment" in text_of(app.screen.query_one("#route-active"))
        assert "(override)" in text_of(app.screen.query_one("#route-reason"))
        assert app.screen.query(ReplyBubble).last().agent == "billing_payment"


async def test_escalate_by_hand_flags_the_queue():
    app, engine = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await pilot.pause()
        await answer(pilot, "VIP wants a manager")
        await pilot.pause()
        await pilot.press("enter")  # urgent, high, normal, low: the most pressing first
        await settle(pilot)
        assert engine.called("escalate") == [(("conv_001", "VIP wants a manager"), {"priority": "urgent", "by": "sam"})]
        assert "VIP wants a manager" in text_of(app.screen.query(SystemLine).last())
        assert app.screen.query_one("#customer-card").has_class("-escalated")
        row = app.screen.query_one("#queue").row_text(0)
        assert row[1] == "⚑" and "urgent" in row


async def test_switch_model_by_binding_and_by_command_palette():
    app, engine = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("f2")
        await pilot.pause()
        await pilot.press("down", "down", "enter")  # (default), gpt-4o, claude
        await settle(pilot)
        assert engine.called("set_model") == [(("conv_001", "anthropic/claude-sonnet-4-5"), {})]
        await say(pilot, "where is my order?")
        reply = app.screen.query_one(ReplyBubble)
        assert reply.model == "anthropic/claude-sonnet-4-5"
        assert "anthropic/claude-sonnet-4-5" in app.screen.sub_title
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"offline")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert engine.called("set_model")[-1] == (("conv_001", "offline/support-agent"), {})


async def test_trace_modal_lists_every_event_and_copies_and_exports(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app, engine = make_console(export_dir=tmp_path / "home" / "exports")
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await say(pilot, "where is my order?")
        await pilot.press("f6")
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, TraceDialog)
        table = app.screen.query_one(DataTable)
        assert table.row_count == len(engine.events["conv_001"])
        assert str(table.get_row_at(0)[3]) == "turn_started"
        assert str(table.get_row_at(1)[0]) == "40"
        await pilot.press("c")
        assert json.loads(app.clipboard)[0]["kind"] == "turn_started"
        await pilot.press("x")
        exported = json.loads((tmp_path / "home" / "exports" / "trace-conv_001.json").read_text())
        assert exported[-1]["kind"] == "turn_completed"
        assert not (tmp_path / "trace-conv_001.json").exists()  # not wherever the console was started
        assert any("home/exports/trace-conv_001.json" in str(n.message) for n in app._notifications)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, TraceDialog)


async def test_scenario_is_played_step_by_step(tmp_path, monkeypatch):
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "late.json").write_text(json.dumps({
        "id": "late", "title": "Late parcel", "customer_id": "cus_bob",
        "steps": [{"customer": "where is my parcel?"}, {"customer": "this is ridiculous"}], "expect": {},
    }))
    monkeypatch.setenv("SUPPORT_TUI_FIXTURES", str(tmp_path))
    app, engine = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("f7")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        assert engine.called("open_conversation")[-1] == (("cus_bob",), {"new": True})
        await pilot.press("f8")
        await settle(pilot)
        await pilot.press("f8")
        await settle(pilot)
        texts = [args[1] for args, _ in engine.called("run_turn")]
        assert texts == ["where is my parcel?", "this is ridiculous"]
        assert "step 2/2" in app.screen.sub_title


async def test_scenario_picker_says_when_there_are_none(tmp_path, monkeypatch):
    monkeypatch.setenv("SUPPORT_TUI_FIXTURES", str(tmp_path / "missing"))
    app, engine = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("f7")
        await settle(pilot)
        assert any("No scenarios found" in str(n.message) for n in app._notifications)


async def test_closing_asks_for_the_outcome_then_in_demo_mode_a_rating():
    app, engine = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await say(pilot, "where is my order?")
        await pilot.press("f9")
        await pilot.pause()
        assert isinstance(app.screen, PickerDialog) and "how did it end" in app.screen.dialog_title
        await pilot.press("down", "enter")  # resolved, abandoned, escalated elsewhere
        await pilot.pause()
        assert isinstance(app.screen, RatingDialog)
        await pilot.press("4")
        await settle(pilot)
        assert engine.called("close_conversation") == [(("conv_001",), {"outcome": "abandoned", "by": "sam"})]
        assert "Closed (abandoned) by sam" in text_of(app.screen.query(SystemLine).last())
        assert engine.called("rate") == [(("conv_001", 4), {"comment": None})]


async def test_every_rating_button_fits_in_the_dialog():
    """The five star buttons share the row; at 160x48 the fifth one fell outside the dialog."""
    app, engine = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("f9")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        box = app.screen.query_one(".dialog-box").content_region
        for n in range(1, 6):
            button = app.screen.query_one(f"#rate-{n}").region
            assert button.width >= n + 2 and box.contains_region(button), n
        await pilot.click("#rate-5")
        await settle(pilot)
        assert engine.called("rate") == [(("conv_001", 5), {"comment": None})]
