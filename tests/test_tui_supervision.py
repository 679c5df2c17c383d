"""The console as a daily tool (issue 13) and its contract with the engine (issue 9), against the scripted engine."""

from __future__ import annotations

import inspect
import json

from textual.widgets import Input, TextArea

from support_tui.core.engine import SupportEngine
from support_tui.core.escalation import RULES as ESCALATION_RULES
from support_tui.core.events import EscalationRaised, ToolCallFinished, ToolCallRequested
from support_tui.shops.northwind.tools import TOOLS
from support_tui.tui.screens.dialogs import ConfirmDialog, JsonEditDialog, PickerDialog, ReasonDialog, TextEditDialog
from support_tui.tui.screens.help import HelpScreen, help_plain
from support_tui.tui.screens.trace import summarize
from support_tui.tui.widgets.conversation import MessageBubble, ReplyBubble, SystemLine
from support_tui.tui.widgets.tools import ToolCallCard, TurnSeparator
from fakes import ScriptedEngine, make_console, say, settle, text_of


# the double's contract ----------------------------------------------------------------------------


def test_scripted_engine_has_every_method_of_the_protocol_with_the_same_parameters():
    engine = ScriptedEngine()
    assert isinstance(engine, SupportEngine)
    members = [n for n, v in vars(SupportEngine).items() if callable(v) and not n.startswith("_")]
    assert len(members) > 25
    for name in members:
        wanted = inspect.signature(getattr(SupportEngine, name))
        got = inspect.signature(getattr(ScriptedEngine, name))
        assert list(got.parameters) == list(wanted.parameters), name
        for param in wanted.parameters.values():
            assert got.parameters[param.name].kind == param.kind, (name, param.name)


async def test_scripted_engine_names_only_the_real_shops_tools_and_the_real_rules():
    engine = ScriptedEngine()
    conv = await engine.open_conversation("cus_ada")
    for text in ("where is my order?", "I want a refund", "I want to return the blender", "please cancel ORD-1002",
                 "I was charged twice", "This is ridiculous, I am angry"):
        [e async for e in engine.run_turn(conv.id, text)]
    refund, ret = (p.call_id for p in await engine.pending_tool_calls(conv.id))
    for call_id, approve in ((refund, True), (ret, False)):
        [e async for e in engine.resolve_tool_call(conv.id, call_id, approve=approve, reason=None if approve else "no")]
    await engine.escalate(conv.id, "VIP")
    events = engine.emitted()
    tools = {e.name for e in events if isinstance(e, (ToolCallRequested, ToolCallFinished))}
    assert tools == {"lookup_order", "issue_refund", "create_return", "cancel_order"} and tools <= set(TOOLS)
    rules = {e.rule for e in events if isinstance(e, ToolCallFinished) and e.rule}
    assert rules == {"human_approval", "human_denied"} and rules <= set(engine.rules())
    escalations = {e.rule for e in events if isinstance(e, EscalationRaised)}
    assert escalations <= {r.name for r in ESCALATION_RULES} | {"manual"}


# decisions ---------------------------------------------------------------------------------------


async def pending(pilot, text: str = "I want to return the blender") -> ToolCallCard:
    await settle(pilot)
    await say(pilot, text)
    await pilot.press("ctrl+g")
    await pilot.pause()
    assert isinstance(pilot.app.focused, ToolCallCard)
    return pilot.app.focused


async def test_edited_arguments_that_fail_the_schema_cannot_be_approved():
    app, engine = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        card = await pending(pilot)
        assert card.tool_name == "create_return"
        await pilot.press("e")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, JsonEditDialog)
        dialog.query_one(TextArea).text = json.dumps({**card.arguments, "kind": "gift"})
        await pilot.press("ctrl+s")
        await pilot.pause(0.2)  # not settle(): the dialog's worker waits while the dialog stays open
        assert app.screen is dialog  # still open: nothing was approved
        shown = text_of(dialog.query_one("#json-error"))
        assert "cannot be approved" in shown and "kind" in shown and "'refund' or 'exchange'" in shown
        assert engine.called("check_tool_arguments") and not engine.called("resolve_tool_call")
        dialog.query_one(TextArea).text = json.dumps({**card.arguments, "kind": "exchange"})
        await pilot.press("ctrl+s")
        await settle(pilot)
        (_, kwargs), = engine.called("resolve_tool_call")
        assert kwargs["arguments"]["kind"] == "exchange"


async def test_deny_says_the_reason_stays_internal_and_focus_returns_to_the_composer():
    app, engine = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        await pending(pilot)
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ReasonDialog)
        placeholder = app.screen.query_one("#reason-input", Input).placeholder
        assert "agent and the trace" in placeholder and "customer never sees" in placeholder
        app.screen.query_one("#reason-input", Input).value = "cosmetic damage"
        await pilot.press("enter")
        await settle(pilot)
        assert app.focused is app.screen.composer
        assert any("denied create_return" in text_of(line) for line in app.screen.query(SystemLine))


async def test_focus_returns_to_the_composer_after_an_approval():
    app, engine = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        await pending(pilot, "I want a refund")
        await pilot.press("a")
        await settle(pilot)
        assert app.focused is app.screen.composer
        await pilot.press(*"thanks")
        assert app.screen.composer.value == "thanks"


async def test_ctrl_g_at_80x24_goes_straight_to_the_oldest_pending_item():
    app, engine = make_console(mode="supervised")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await say(pilot, "I want a refund")  # a pending call and a draft; the call came first
        tabs = app.screen.query_one("#narrow-tabs")
        assert "◆1" in tabs.label("tab-insight")
        assert "◆1" in tabs.label("tab-chat")
        await pilot.press("ctrl+g")
        await pilot.pause()
        assert isinstance(app.focused, ToolCallCard) and tabs.active == "tab-insight"
        assert app.screen.query_one("#right-column").display
        await pilot.press("f10")
        await pilot.pause()
        assert tabs.active == "tab-chat" and app.screen.query_one("#center-column").display
        await pilot.press("f10", "f10")
        await pilot.pause()
        assert tabs.active == "tab-insight"


async def test_the_help_lists_every_key_and_f12_and_the_80x24_header_keeps_mode_and_model():
    app, engine = make_console()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        header = app.screen.query_one("#title-bar")
        assert str(header.render()).startswith("AUTO —")
        assert "specialist default" in str(header.render())
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        shown = help_plain()
        for key in ("F12", "Ctrl+G", "Ctrl+Q", "F9", "F10", "Esc", "Ctrl+S"):
            assert key in shown, key
        await pilot.press("escape")
        app.screen.query_one("#queue-options").focus()
        await pilot.press("question_mark")  # help is F1; "?" outside a text box is typed into the composer
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen) and app.screen.composer.value == "?"


async def test_the_footer_shows_the_keys_of_the_focused_card():
    app, engine = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        card = await pending(pilot, "I want a refund")
        keys = {b.binding.key for b in app.active_bindings.values() if b.binding.show and b.node is card}
        assert keys == {"a", "e", "d"}


async def test_edited_draft_is_labelled_as_a_persons_and_the_trace_keeps_edits_and_rejections():
    app, engine = make_console(mode="supervised")
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await say(pilot, "where is my order?")
        await pilot.press("ctrl+g", "e")
        await pilot.pause()
        app.screen.query_one(TextArea).text = "It ships tomorrow, Ada."
        await pilot.press("ctrl+s")
        await settle(pilot)
        draft = app.screen.query(ReplyBubble).first()
        assert "AI draft edited by sam" in text_of(draft.query_one(".bubble-header"))
        await say(pilot, "and my other order?")
        await pilot.press("ctrl+g", "r")
        await pilot.pause()
        app.screen.query_one("#reason-input").value = "too vague"
        await pilot.press("enter")
        await settle(pilot)
        lines = [summarize(e) for e in engine.events["conv_001"] if e.kind == "conversation_changed"]
        assert any("draft_edited by sam" in line and "It ships tomorrow, Ada." in line for line in lines)
        assert any("draft_rejected by sam" in line and "too vague" in line for line in lines)


async def test_a_draft_made_stale_by_a_newer_message_opens_for_a_look_instead_of_sending():
    app, engine = make_console(mode="supervised")
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await say(pilot, "where is my order?")
        await say(pilot, "actually I was charged twice")
        old, new = list(app.screen.query(ReplyBubble))
        assert old.stale and not new.stale and "stale" in text_of(old.query_one(".bubble-header"))
        await pilot.press("ctrl+g")
        await pilot.pause()
        assert app.focused is old
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, TextEditDialog) and "wrote since" in app.screen.dialog_title
        assert not engine.called("approve_draft")


# state follows the store -------------------------------------------------------------------------


async def test_a_closed_conversation_that_the_customer_reopens_shows_as_open_in_queue_and_card():
    app, engine = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await say(pilot, "where is my order?")
        await pilot.press("f9")
        await pilot.pause()
        await pilot.press("enter")  # resolved
        await pilot.pause()
        await pilot.press("escape")  # no rating
        await settle(pilot)
        assert app.screen.conversation.status == "closed"
        assert app.screen.query_one("#queue-options").option_count == 0
        assert "conv_001" not in text_of(app.screen.query_one("#card-body"))
        await say(pilot, "one more thing: where is it now?")
        assert app.screen.conversation.status == "open"
        assert "conv_001  open" in text_of(app.screen.query_one("#card-body"))
        assert app.screen.query_one("#queue").row_text(0).startswith("▶")
        assert any("Reopened" in text_of(line) for line in app.screen.query(SystemLine))


async def test_the_customer_card_follows_a_cancelled_order():
    app, engine = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        assert "ORD-1002  being packed" in text_of(app.screen.query_one("#card-body"))
        await say(pilot, "please cancel ORD-1002")
        assert "ORD-1002  cancelled" in text_of(app.screen.query_one("#card-body"))


async def test_a_take_over_by_another_view_reaches_this_console():
    app, engine = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await engine.take_over("conv_001", by="lee")  # not through this console
        await settle(pilot)
        assert app.screen.conversation.handled_by == "human" and app.screen.composer.has_class("-human-active")
        assert "lee took over" in text_of(app.screen.query(SystemLine).last())
        assert "held by lee" in app.screen.query_one("#queue").row_text(0)
        assert "held by lee" in app.screen.sub_title


async def test_queue_rows_say_who_when_what_and_what_waits():
    app, engine = make_console(customer_id="cus_bob")
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await say(pilot, "I want a refund")
        other = await engine.open_conversation("cus_ada")
        [e async for e in engine.run_turn(other.id, "This is ridiculous, I am angry")]
        await settle(pilot)
        queue = app.screen.query_one("#queue")
        first, second = queue.row_text(0), queue.row_text(1)
        assert first.startswith(" ⚑●") and "Ada Lovelace" in first and "09:00" in first
        assert "002 escalated high" in first and "This is r" in first  # the subject, cut to the row
        assert second.startswith("▶ ") and "◆1" in second and "●" not in second[:4]
        assert "Bob Stone" in second and "001 open" in second and "I want a refund" in second
        await pilot.click("#queue-options")
        await pilot.press("s")  # recent, then waiting first
        await pilot.press("s")
        assert queue.sort == "waiting" and queue.row_text(0).startswith("▶")
        await pilot.press("slash", *"ada")
        await pilot.pause()
        assert queue.options.option_count == 1 and "Ada" in queue.row_text(0)


# smaller things ----------------------------------------------------------------------------------


async def test_f3_reruns_once_and_header_and_bars_agree():
    app, engine = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await say(pilot, "I want a refund")
        await say(pilot, "yes")
        await pilot.press("f3")
        await pilot.pause()
        await pilot.press("down", "down", "down", "enter")
        await settle(pilot)
        assert engine.called("rerun_turn") == [(("conv_001",), {"route_override": "billing_payment"})]
        assert sum("Re-running" in text_of(line) for line in app.screen.query(SystemLine)) == 1
        active = text_of(app.screen.query_one("#route-active"))
        assert "billing_payment" in active
        assert app.screen.query(MessageBubble).filter(".-customer").last().text == "yes"
        assert engine.calls[-1][0] == "rerun_turn" and engine.events["conv_001"][-1].kind == "turn_completed"
        started = [e for e in engine.events["conv_001"] if e.kind == "turn_started"]
        assert started[-1].text == "I want a refund"  # the last real request, not "yes"


async def test_a_model_without_a_key_is_marked_and_choosing_it_says_what_answers(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    app, engine = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("f2")
        await pilot.pause()
        options = app.screen.query_one("#picker-options")
        assert "no key: OPENAI_API_KEY not set" in str(options.get_option_at_index(1).prompt)
        await pilot.press("down", "enter")
        await settle(pilot)
        notes = [str(n.message) for n in app._notifications]
        assert any("OPENAI_API_KEY not set" in n and "offline/support-agent answers instead" in n for n in notes)


async def test_ctrl_q_asks_while_a_decision_waits():
    app, engine = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        await pending(pilot, "I want a refund")
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog) and "1 decision waits" in text_of(app.screen.query_one("Static"))
        await pilot.press("n")
        await pilot.pause()
        assert app.is_running and not isinstance(app.screen, ConfirmDialog)
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert not app.is_running


async def test_enter_during_a_turn_queues_the_message():
    import asyncio

    app, engine = make_console()
    engine.hold = asyncio.Event()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await say(pilot, "where is my order?", wait=False)
        for _ in range(5):
            await pilot.pause()
        assert app.screen.busy
        await say(pilot, "and when will it arrive?", wait=False)
        await pilot.pause()
        assert app.screen.query(MessageBubble).last().has_class("-queued")
        assert "+1 queued" in text_of(app.screen.status)
        engine.hold.set()
        await settle(pilot)
        await settle(pilot)
        texts = [args[1] for args, _ in engine.called("run_turn")]
        assert texts == ["where is my order?", "and when will it arrive?"]


async def test_a_cancelled_turn_leaves_no_call_running_and_each_card_is_one_tab():
    import asyncio

    app, engine = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await say(pilot, "where is my order?")
        await say(pilot, "where is it now?")
        assert len(app.screen.query(TurnSeparator)) == 2
        first, second = app.screen.query(ToolCallCard)
        first.focus()
        await pilot.press("tab")
        assert app.focused is second
        await pilot.press("enter")
        assert second.is_open and second.query_one(".tool-detail").display
        engine.hold = asyncio.Event()
        await say(pilot, "where is my order?", wait=False)
        for _ in range(5):
            await pilot.pause()
        await app.screen.tools.requested(ToolCallRequested(turn_id="t9", conversation_id="conv_001", call_id="c9",
                                                           name="lookup_order", arguments={}))
        await pilot.press("escape")
        await settle(pilot)
        assert not [c for c in app.screen.query(ToolCallCard) if c.status == "running"]


async def test_a_filter_with_no_match_says_so():
    app, engine = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+o")
        await pilot.pause()
        app.screen.items = app.screen.items * 4  # long enough for a filter line
        await pilot.press("escape")
        items = [(f"c{i}", c) for i, c in enumerate(["alpha"] * 10)]
        from textual.content import Content

        app.push_screen(PickerDialog("Pick", [(i, Content(t)) for i, t in items]))
        await pilot.pause()
        await pilot.press(*"zzz")
        await pilot.pause()
        assert "Nothing matches 'zzz'" in text_of(app.screen.query_one("#picker-no-match"))


async def test_wide_characters_are_drawn_at_the_width_the_layout_counts():
    app, engine = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await say(pilot, "great 👍🏽 thanks 👨‍👩‍👧")
        body = text_of(app.screen.query(MessageBubble).first().query_one(".bubble-body"))
        assert body == "great 👍 thanks 👨👩👧"
        assert engine.called("run_turn")[0][0][1] == "great 👍🏽 thanks 👨‍👩‍👧"  # stored as written
