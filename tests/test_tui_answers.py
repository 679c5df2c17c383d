"""Every customer message gets an answer or a visible state (issue 21): after Esc, after a hand-back, on F3."""

from __future__ import annotations

import asyncio

from support_tui.tui.widgets.conversation import MessageBubble, ReplyBubble, SystemLine
from fakes import make_console, say, settle, text_of


def customer_bubbles(app) -> list[MessageBubble]:
    return [b for b in app.screen.query(MessageBubble) if b.role == "customer"]


async def test_a_cancelled_message_says_it_is_not_answered_and_f3_answers_it():
    app, engine = make_console()
    engine.hold = asyncio.Event()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await say(pilot, "where is my order?", wait=False)
        for _ in range(5):
            await pilot.pause()
        await pilot.press("escape")
        await settle(pilot)
        bubble = customer_bubbles(app)[0]
        assert "not answered · F3 answers it" in text_of(bubble.query_one(".bubble-header"))
        engine.hold = None
        await pilot.press("f3")
        await pilot.pause()
        await pilot.press("enter")  # the first specialist
        await settle(pilot)
        assert engine.called("rerun_turn")
        assert bubble.note is None and "not answered" not in text_of(bubble.query_one(".bubble-header"))
        assert app.screen.query(ReplyBubble)


async def test_a_message_written_while_held_says_who_answers_it_and_the_hand_back_offers_f3():
    app, engine = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("f5")  # take over
        await settle(pilot)
        await pilot.press("ctrl+t")  # type as the customer again (demo)
        await say(pilot, "ok thanks, how long will it take?")
        bubble = customer_bubbles(app)[-1]
        assert "for sam to answer" in text_of(bubble.query_one(".bubble-header"))
        await pilot.press("f5")  # hand back: nobody answered it
        await settle(pilot)
        assert "not answered · F3 answers it" in text_of(bubble.query_one(".bubble-header"))
        assert any("no answer yet" in text_of(line) for line in app.screen.query(SystemLine))


async def test_f3_posts_its_notice_once():
    app, engine = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await say(pilot, "This is ridiculous, I am angry")  # escalated
        await pilot.press("f3")
        await pilot.pause()
        await pilot.press("down", "down", "down", "enter")
        await settle(pilot)
        lines = [text_of(line) for line in app.screen.query(SystemLine)]
        assert sum("Re-running" in line for line in lines) == 1, lines
