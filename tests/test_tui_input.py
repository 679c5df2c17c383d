"""Input is never lost (issue 21): focus through tabs, resizes and dialogs; Enter sends once; pastes keep lines."""

from __future__ import annotations

from textual import events
from textual.keys import _character_to_key

from support_tui.tui.screens.help import HelpScreen
from support_tui.tui.widgets.composer import Composer
from support_tui.tui.widgets.conversation import MessageBubble
from support_tui.tui.widgets.tabbar import TabBar
from fakes import make_console, say, settle


def type_fast(app, text: str, *, enter: bool = True) -> None:
    """Keys as a terminal delivers them to a fast typist: all queued before any is handled."""
    for ch in text:
        app.post_message(events.Key(_character_to_key(ch), ch))
    if enter:
        app.post_message(events.Key("enter", "\r"))


def sent(engine) -> list[str]:
    return [args[1] for args, _ in engine.called("run_turn")]


async def test_a_letter_typed_on_the_customer_tab_goes_to_the_composer_and_shows_the_conversation():
    app, engine = make_console()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        await pilot.press("f10")
        await pilot.pause()
        assert screen.has_class("-show-customer") and not screen.query_one("#center-column").display
        await pilot.press("?", "w")  # help stays on F1: "?" is a letter of the message
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)
        assert screen.has_class("-show-chat") and screen.query_one("#center-column").display
        assert app.focused is screen.composer and screen.composer.value == "?w"
        await pilot.press("enter")
        await settle(pilot)
        assert sent(engine) == ["?w"]


async def test_a_whole_message_typed_at_once_on_the_customer_tab_is_sent_whole():
    """Under tmux, send-keys delivers every key before the first is handled: only "W" was sent, the rest lost."""
    app, engine = make_console()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f10")
        await pilot.pause()
        type_fast(app, "Where is my order?")
        await settle(pilot)
        assert sent(engine) == ["Where is my order?"]
        assert app.screen.has_class("-show-chat") and app.screen.composer.value == ""


async def test_queue_keys_still_act_on_the_queue():
    app, engine = make_console()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f10")
        await pilot.pause()
        app.screen.query_one("#queue-options").focus()
        await pilot.press("slash")
        await pilot.pause()
        assert app.focused is app.screen.query_one("#queue-filter")


async def test_a_message_typed_after_the_customer_tab_and_a_resize_is_sent_once_and_answered():
    app, engine = make_console()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f10")
        await pilot.pause()
        await pilot.resize_terminal(160, 48)
        await pilot.pause()
        await pilot.pause()
        await pilot.press(*"Where is my order?", "enter")
        await settle(pilot)
        assert sent(engine) == ["Where is my order?"]
        assert [b.role for b in app.screen.query(MessageBubble)] == ["customer", "ai"]
        assert app.focused is app.screen.composer and app.screen.composer.value == ""
        await pilot.resize_terminal(80, 24)  # narrow again: the tab shown is the one with the focus
        await pilot.pause()
        await pilot.pause()
        assert app.screen.has_class("-show-chat") and app.screen.query_one("#center-column").display
        assert app.screen.query_one(TabBar).active == "tab-chat"


async def test_typing_on_at_once_after_enter_sends_each_message_once():
    """'...arrive?' Enter then at once 'Also ...' Enter stored the merged text (and cleared the rest)."""
    app, engine = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        type_fast(app, "When will it arrive?")
        type_fast(app, "Also what is your return window?")
        await settle(pilot)
        await settle(pilot)
        assert sent(engine) == ["When will it arrive?", "Also what is your return window?"]
        customers = [b.text for b in app.screen.query(MessageBubble) if b.role == "customer"]
        assert customers == ["When will it arrive?", "Also what is your return window?"]
        assert app.screen.composer.value == ""


async def test_a_multi_line_paste_is_kept_and_ctrl_j_adds_a_line():
    app, engine = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        composer = app.screen.composer
        composer.post_message(events.Paste("Order ORD-1001\nnever arrived\n"))
        await pilot.pause()
        assert "never arrived" in composer.value
        await pilot.press("ctrl+j", *"help")
        await pilot.press("enter")
        await settle(pilot)
        assert sent(engine) == ["Order ORD-1001\nnever arrived\nhelp"]


async def test_focus_comes_back_to_the_composer_after_a_dialog_and_a_turn():
    app, engine = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        await say(pilot, "where is my order?")
        assert isinstance(app.focused, Composer)


async def test_the_tab_bar_highlights_the_tab_shown():
    """At 80x24 F10 changed the content while the highlight stayed on the first tab (a var does not repaint)."""
    app, engine = make_console()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        tabs = app.screen.query_one("#narrow-tabs", TabBar)

        def highlighted() -> str:
            strip = tabs.render_line(0)  # what the screen draws, repainted only on refresh
            return "".join(seg.text for seg in strip if seg.style and seg.style.reverse).strip()

        assert highlighted() == "Conversation"
        await pilot.press("f10")
        await pilot.pause()
        assert highlighted() == "Customer & queue"
        await pilot.press("f10")
        await pilot.pause()
        assert highlighted() == "Insight"
