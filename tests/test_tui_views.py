"""Views that tell the truth (issue 21): following the conversation, one-line queue rows, the mode, the footer, Esc."""

from __future__ import annotations

from support_tui.tui.widgets.conversation import ConversationView, NewMessagesMark
from support_tui.tui.widgets.queue import ConversationQueue, QueueRow
from support_tui.tui.widgets.tools import ToolCallCard
from fakes import make_console, say, settle


async def test_the_conversation_follows_new_messages_unless_scrolled_up_then_marks_them():
    app, engine = make_console()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        chat = app.screen.query_one(ConversationView)
        mark = app.screen.query_one(NewMessagesMark)
        for i in range(5):
            await say(pilot, f"where is my order? ({i})")
        await pilot.pause()
        assert chat.max_scroll_y > 0 and chat.is_vertical_scroll_end and not mark.display
        await pilot.press("f4")  # a dialog over it, then nothing: the next turn is still followed
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        await say(pilot, "where is my order? (5)")
        await pilot.pause()
        assert chat.is_vertical_scroll_end and not mark.display
        chat.scroll_home(animate=False)  # the reader scrolls up
        await pilot.pause()
        await chat.add_message("customer", "hello? (from the customer channel)")  # not the reader's own message
        await pilot.pause()
        await pilot.pause()
        assert chat.scroll_y == 0 and mark.display  # not moved under the reader; marked instead
        await pilot.click(NewMessagesMark)
        await pilot.pause()
        await pilot.pause()
        assert chat.is_vertical_scroll_end and not mark.display
        chat.scroll_home(animate=False)
        await pilot.pause()
        await say(pilot, "where is my order? (6)")  # the person's own message: back to the end, with its answer
        assert chat.is_vertical_scroll_end and not mark.display


def row(i: int, subject: str) -> QueueRow:
    return QueueRow(conversation_id=f"conv_{i:06d}", customer="Sarah Johnson-Featherstonehaugh", status="escalated",
                    priority="urgent", last_at="2026-11-26T09:14:03", subject=subject, unread=True, waiting=12,
                    human=False, rank=i, held_by="a-very-long-person-name")


async def test_queue_rows_keep_each_line_within_the_column_with_an_ellipsis():
    app, engine = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        queue = app.screen.query_one(ConversationQueue)
        queue.show([row(i, "My order never arrived and I want to know where it is " * 3) for i in range(8)], None)
        await pilot.pause()
        width = queue.options.scrollable_content_region.width
        for i in range(8):
            prompt = queue.options.get_option_at_index(i).prompt
            lines = prompt.plain.split("\n")
            assert len(lines) == 2 and all(len(line) <= width for line in lines), lines
            assert lines[0].rstrip().endswith("09:14")  # the time stays on the name's line
        assert len({queue.row_text(i) for i in range(8)}) == 8  # the short ids tell them apart


async def test_switching_to_a_conversation_in_another_mode_says_so():
    app, engine = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+s")  # conv_001 becomes supervised
        await settle(pilot)
        await pilot.press("ctrl+n")  # conv_002: auto, the settings' mode
        await settle(pilot)
        assert app.screen.title == "AUTO"
        assert any("auto mode" in str(n.message) and "supervised" in str(n.message) for n in app._notifications)


async def test_a_finished_tool_card_offers_no_decision_keys():
    app, engine = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await say(pilot, "where is my order?")  # lookup_order: finished, ok
        card = app.screen.query_one(ToolCallCard)
        card.focus()
        await pilot.pause()
        keys = {b.binding.key for b in app.screen.active_bindings.values() if b.node is card and b.binding.show}
        assert not keys & {"a", "e", "d"}
        await pilot.press("a")  # not a decision key here: a letter for the composer
        await pilot.pause()
        assert app.screen.composer.value == "a"


async def test_escape_closes_the_queue_filter_and_the_next_key_acts():
    app, engine = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        queue = app.screen.query_one(ConversationQueue)
        queue.options.focus()
        await pilot.press("slash", "z", "z")
        await pilot.pause()
        assert queue.options.option_count == 0
        await pilot.press("escape")
        await pilot.pause()
        filter_box = app.screen.query_one("#queue-filter")
        assert not filter_box.display and filter_box.value == "" and queue.options.option_count == 1
        assert app.focused is queue.options
        await pilot.press("s")
        await pilot.pause()
        assert queue.sort == "recent"


async def test_queue_rows_fit_the_column_after_a_resize_and_with_a_scrollbar():
    app, engine = make_console()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f10")  # the Customer & queue tab: the queue is as wide as the window
        await settle(pilot)
        queue = app.screen.query_one(ConversationQueue)
        # More rows than the column holds: the list scrolls (the scrollbar took its column after the rows were cut).
        queue.show([row(i, "My order never arrived and I want to know where it is " * 3) for i in range(20)], None)
        await pilot.pause()
        await pilot.resize_terminal(160, 48)  # now a narrow left column
        await settle(pilot)
        assert queue.options.max_scroll_y > 0
        width = queue.options.scrollable_content_region.width
        assert width < 60
        for i in range(20):
            lines = queue.options.get_option_at_index(i).prompt.plain.split("\n")
            assert len(lines) == 2 and all(len(line) <= width for line in lines), (width, lines)
            assert lines[0].rstrip().endswith("09:14")


async def test_the_conversation_stays_at_its_end_through_a_tab_switch_and_a_resize():
    app, engine = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        chat = app.screen.query_one(ConversationView)
        for i in range(6):
            await say(pilot, f"where is my order? ({i})")
        await pilot.pause()
        assert chat.is_vertical_scroll_end
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        await pilot.press("f10")  # the Customer & queue tab hides the conversation
        await settle(pilot)
        await pilot.press("shift+f10")  # and the conversation tab shows it again
        await settle(pilot)
        await pilot.pause()
        assert chat.max_scroll_y > 0 and chat.is_vertical_scroll_end
