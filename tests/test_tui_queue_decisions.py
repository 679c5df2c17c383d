"""Decisions across the whole queue (issue 21): Ctrl+G opens the oldest anywhere, Ctrl+Q counts them all, badges agree."""

from __future__ import annotations

from support_tui.tui.screens.dialogs import ConfirmDialog
from support_tui.tui.widgets.tabbar import TabBar
from support_tui.tui.widgets.tools import ToolCallCard
from fakes import make_console, say, settle, text_of


async def refund_waiting_then_a_new_conversation(pilot) -> None:
    await settle(pilot)
    await say(pilot, "I want a refund")  # conv_001: a $249.99 refund waits for approval
    await pilot.press("ctrl+n")
    await settle(pilot)
    assert pilot.app.screen.conversation.id == "conv_002"


async def test_ctrl_g_opens_the_conversation_where_the_oldest_decision_waits():
    app, engine = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        await refund_waiting_then_a_new_conversation(pilot)
        assert not app.screen.tools.pending()
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert app.screen.conversation.id == "conv_001"
        assert isinstance(app.focused, ToolCallCard) and app.focused.tool_name == "issue_refund"
        assert not any("Nothing waits" in str(n.message) for n in app._notifications)


async def test_ctrl_q_counts_the_decisions_of_other_conversations():
    app, engine = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        await refund_waiting_then_a_new_conversation(pilot)
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert "1 decision waits in other conversations" in app.screen.question
        await pilot.press("n")
        await pilot.pause()
        assert app.is_running


async def test_badges_agree_with_the_queue_at_80x24():
    app, engine = make_console()
    async with app.run_test(size=(80, 24)) as pilot:
        await refund_waiting_then_a_new_conversation(pilot)
        tabs = app.screen.query_one("#narrow-tabs", TabBar)
        assert tabs.label("tab-customer") == "Customer & queue ◆1"
        assert tabs.label("tab-insight") == "Insight" and tabs.label("tab-chat") == "Conversation"
        assert "2 open · 1 waiting" in str(app.screen.query_one("#queue").border_subtitle)
