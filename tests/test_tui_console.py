"""Console basics against the scripted engine: loading, a streamed turn, literal text, cancel, failure, layout."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from textual.content import Content
from textual.widgets import Input, Markdown, OptionList

import support_tui.tui

from support_tui.core.events import Usage
from support_tui.core.specialists import ROUTABLE
from support_tui.tui.screens.dialogs import PickerDialog
from support_tui.tui.widgets.conversation import MessageBubble, ReplyBubble, SystemLine
from support_tui.tui.widgets.insight import SnippetCard
from support_tui.tui.widgets.sidebar import StatusLine
from support_tui.tui.widgets.tools import ToolCallCard
from fakes import ScriptedEngine, make_console, say, settle, text_of

HOSTILE = "[bold red]x[/] [@click=app.quit]y[/] [$accent]z"


async def test_first_frame_before_ready_then_queued_message_is_sent():
    engine = ScriptedEngine(ready=False)
    app, _ = make_console(engine)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        status = app.screen.query_one(StatusLine)
        assert "Loading knowledge base" in text_of(status)
        await say(pilot, "where is my order?", wait=False)
        await pilot.pause()
        assert not engine.called("run_turn")
        bubble = app.screen.query(MessageBubble).last()
        assert bubble.has_class("-queued")
        engine.make_ready()
        await settle(pilot)
        assert engine.called("run_turn")[0][0][1] == "where is my order?"
        assert "ready" in text_of(status)
        assert not bubble.has_class("-queued")


async def test_turn_streams_into_one_reply_and_fills_every_panel():
    app, engine = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await say(pilot, "where is my order?")
        screen = app.screen
        roles = [b.role for b in screen.query(MessageBubble)]
        assert roles == ["customer", "ai"]
        reply = screen.query_one(ReplyBubble)
        assert len(reply.query(Markdown)) == 1  # deltas merged into one widget
        assert "ORD-1001" in reply.text and reply.status == "sent"
        assert "order_tracking" in text_of(reply.query_one(".bubble-header")) and "openai/gpt-4o" in text_of(reply.query_one(".bubble-header"))
        routing = screen.query_one("#routing")
        assert routing.border_title == "Routing"
        bars = text_of(routing.query_one("#route-bars")).splitlines()
        assert [line.split()[0] for line in bars] == list(ROUTABLE)
        assert "conf 0.78" in text_of(routing.query_one("#route-active"))
        assert "positive" in text_of(screen.query_one("#sentiment-label"))
        assert "┃" in text_of(screen.query_one("#sentiment-gauge"))  # the escalation threshold is marked
        snippets = list(screen.query(SnippetCard))
        assert [s.has_class("-used") for s in snippets] == [True, False]
        card = screen.query_one(ToolCallCard)
        assert card.tool_name == "lookup_order" and card.has_class("-ok")
        assert [p.border_title for p in screen.query("#right-column > *")] == ["Routing", "Sentiment", "Knowledge", "Tools"]
        status = text_of(screen.query_one(StatusLine))
        assert "812/64" in status and "$0.0061" in status and "0.70s" in status
        assert "openai/gpt-4o" in screen.sub_title and screen.title == "AUTO"


async def test_untrusted_text_renders_literally_everywhere():
    app, engine = make_console(customer_id="cus_mal")
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await say(pilot, HOSTILE)
        assert app.is_running
        screen = app.screen
        customer = screen.query(MessageBubble).first()
        assert text_of(customer.query_one(".bubble-body")) == HOSTILE
        assert "[@click=app.quit]y[/]" in text_of(screen.query(SnippetCard).first())
        card = screen.query_one(ToolCallCard)
        assert "[@click=app.quit]y[/]" in text_of(card.query_one(".tool-detail"))
        assert "[bold red]Mallory[/] [@click=app.quit]x[/]" in text_of(screen.query_one("#card-body"))
        assert "[b]gift wrap[/b]" in text_of(screen.query_one("#card-body"))
        queue = screen.query_one("#queue")
        assert "[bold red]Mallory[/" in queue.row_text(0)  # drawn as typed (the column cuts the name's end)
        assert "[bold red]Mallory[/]" in screen.sub_title
        # clicking where the hostile text is drawn runs nothing
        await pilot.click(customer)
        await pilot.pause()
        assert app.is_running


async def test_escape_cancels_a_running_turn_and_keeps_the_customer_message():
    app, engine = make_console()
    engine.hold = asyncio.Event()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await say(pilot, "where is my order?", wait=False)
        for _ in range(5):
            await pilot.pause()
        assert app.screen.busy and app.screen.status.has_class("-busy")
        await pilot.press("escape")
        await settle(pilot)
        assert not app.screen.busy
        customer = app.screen.query(MessageBubble).first()
        assert customer.role == "customer" and customer.text == "where is my order?"
        assert customer.has_class("-cancelled")
        assert "cancelled" in text_of(app.screen.query(SystemLine).last())
        assert not app.screen.query(ReplyBubble)


async def test_worker_failure_is_reported_and_text_goes_back_to_the_composer():
    app, engine = make_console()
    engine.fail_with = RuntimeError("provider exploded")
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await say(pilot, "where is my order?")
        assert not app.screen.busy
        assert app.screen.query_one("#composer").value == "where is my order?"
        assert any("provider exploded" in str(n.message) for n in app._notifications)
        assert "failed" in text_of(app.screen.query(SystemLine).last())


async def test_pick_a_customer_from_the_picker_then_speak_as_the_agent():
    app, engine = make_console(customer_id=None)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        await pilot.pause()
        assert app.screen.query_one("#picker-options")
        await pilot.press("down", "enter")
        await settle(pilot)
        assert engine.called("open_conversation")[0][0] == ("cus_bob",)
        assert "Bob Stone" in text_of(app.screen.query_one("#card-body"))
        assert app.screen.speaker == "customer"
        await pilot.press("ctrl+t")
        assert app.screen.speaker == "agent"
        await say(pilot, "Hello, this is Sam from support.")
        assert engine.called("send_human_message")[0][0] == ("conv_001", "Hello, this is Sam from support.")
        assert not engine.called("run_turn")
        assert app.screen.query(MessageBubble).last().role == "human"


async def test_a_long_picker_filters_as_you_type():
    """55 customers or 47 scenarios: a few letters and Enter pick one; arrows move while typing."""
    items = [(f"cust_{i}", Content(f"Customer {i}  plus")) for i in range(20)]
    items.append(("cust_12345", Content.assemble(("Sarah Johnson", "bold"), "  premium")))
    app, _ = make_console()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        picked: list = []
        app.push_screen(PickerDialog("Pick a customer", items), picked.append)
        await pilot.pause()
        assert isinstance(app.focused, Input)
        await pilot.press(*"sarah j")
        await pilot.pause()
        assert app.screen.query_one("#picker-options", OptionList).option_count == 1
        await pilot.press("enter")
        await pilot.pause()
        assert picked == ["cust_12345"]
        app.push_screen(PickerDialog("Pick a customer", items), picked.append)
        await pilot.pause()
        await pilot.press("down", "down", "up", "enter")
        await pilot.pause()
        assert picked[-1] == "cust_1"
        app.push_screen(PickerDialog("Pick a customer", items), picked.append)
        await pilot.pause()
        await pilot.press(*"nobody", "enter")  # nothing matches: Enter does nothing, Esc leaves
        await pilot.pause()
        assert isinstance(app.screen, PickerDialog)
        await pilot.press("escape")
        await pilot.pause()
        assert picked[-1] is None


async def test_narrow_terminal_collapses_side_panels_into_tabs():
    app, engine = make_console()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert screen.has_class("-narrow")
        assert screen.query_one("#narrow-tabs").display
        assert not screen.query_one("#right-column").display
        assert screen.query_one("#center-column").display
        await say(pilot, "I want a refund")
        screen.query_one("#narrow-tabs").active = "tab-insight"
        await pilot.pause()
        assert screen.query_one("#right-column").display and not screen.query_one("#center-column").display
        await pilot.press("ctrl+g")  # jumps to the pending approval
        await pilot.pause()
        assert isinstance(app.focused, ToolCallCard)


async def test_status_line_fits_the_centre_column_with_a_long_conversation():
    """At 160x48 the centre is 72 columns: full token counts pushed the turn count off the line."""
    app, _ = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        status = app.screen.query_one(StatusLine)
        status.usage = Usage(prompt_tokens=32_307, completion_tokens=765, cost_usd=0.0123)
        status.latency_ms, status.turns = 1234.0, 12
        await pilot.pause()
        shown = text_of(status)
        assert "tok 32k/765" in shown and shown.endswith("turns 12")
        assert len(shown) <= status.content_region.width


def test_stylesheet_uses_theme_variables_only():
    css = (Path(support_tui.tui.__file__).parent / "app.tcss").read_text()
    assert not re.search(r"#[0-9a-fA-F]{3,8}\b|rgba?\(|hsl\(|ansi_", css)
    colour_values = re.findall(r"(?:color|background|border[a-z-]*):\s*([^;]+);", css)
    for value in colour_values:
        for word in re.findall(r"[a-z]+", re.sub(r"\$[a-z-]+", "", value)):
            assert word in {"round", "tall", "heavy", "solid", "outer", "thick", "none", "transparent", "bold"}, value


async def test_builtin_themes_render():
    app, engine = make_console()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await say(pilot, "I want a refund")
        themes = sorted(app.available_themes)
        for theme in ["textual-light", "nord", "gruvbox", "solarized-light", "monokai", themes[-1]]:
            app.theme = theme
            await pilot.pause()
        assert app.is_running


async def test_opening_a_conversation_from_the_queue_rebuilds_the_panels():
    app, engine = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await say(pilot, "This is ridiculous, I am angry")
        assert app.screen.query_one("#customer-card").has_class("-escalated")
        app.screen.query_one("#composer").focus()
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert app.screen.conversation.id == "conv_002"
        assert not app.screen.query(MessageBubble)
        queue = app.screen.query_one("#queue")
        assert queue.row_text(0)[1] == "⚑"
        queue.options.focus()
        queue.options.highlighted = 0
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.conversation.id == "conv_001"
        assert [b.role for b in app.screen.query(MessageBubble)] == ["customer", "ai"]
        assert "very negative" in text_of(app.screen.query_one("#sentiment-label"))
        assert "human" in text_of(app.screen.query_one("#route-history"))
