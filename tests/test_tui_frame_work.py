"""What keeps a turn's frames short: no full garbage collection inside a turn, buttons only where a person
can press them, no redraw of panels whose facts did not change, and a one-line tab bar."""

from __future__ import annotations

import gc

from fakes import make_console, say, settle
from support_tui.tui.heap import NEVER, QuietCollector
from support_tui.tui.widgets.conversation import DraftActions, ReplyBubble
from support_tui.tui.widgets.keyfooter import KeyFooter
from support_tui.tui.widgets.queue import ConversationQueue
from support_tui.tui.widgets.tabbar import TabBar
from support_tui.tui.widgets.tools import ApprovalActions, ToolCallCard


def test_two_holders_share_one_saved_threshold_and_the_last_gives_it_back():
    before = gc.get_threshold()
    first, second = QuietCollector(), QuietCollector()
    first.hold()
    second.hold()
    assert gc.get_threshold()[2] == NEVER
    first.release()
    assert gc.get_threshold()[2] == NEVER  # the second console still holds it
    second.release()
    assert gc.get_threshold() == before
    second.release()  # idempotent
    assert gc.get_threshold() == before


def test_a_collection_runs_at_a_quiet_moment_and_is_put_off_during_a_turn_only_so_often():
    heap = QuietCollector()
    heap.hold()
    try:
        gc.collect(1)  # the middle generation was collected: something may be old garbage now
        assert not heap.collect(quiet=False)
        assert heap.put_off == 1
        assert heap.collect(quiet=True) and heap.collections == 1 and heap.put_off == 0
        assert gc.get_count()[2] == 0
        assert not heap.collect()  # nothing was promoted since: nothing to look at
        for _ in range(3):
            gc.collect(1)
            assert not heap.collect(quiet=False)
        gc.collect(1)
        assert heap.collect(quiet=False)  # a console busy without a pause still collects
    finally:
        heap.release()


async def test_the_console_holds_full_collections_while_it_runs_and_gives_them_back():
    before = gc.get_threshold()
    app, _ = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        assert gc.get_threshold()[2] == NEVER
        await say(pilot, "where is my order?")
        assert app.screen.heap.holding
    assert gc.get_threshold() == before


async def test_approval_buttons_exist_only_while_a_call_waits_and_draft_buttons_only_on_drafts():
    app, _ = make_console(mode="supervised")
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await say(pilot, "I want a refund for the blender")
        card = app.screen.query_one(ToolCallCard)
        assert card.status == "pending_approval" and len(card.query(ApprovalActions)) == 1
        assert card.is_open and card.query_one(".tool-detail").display
        draft = next(b for b in app.screen.query(ReplyBubble) if b.status == "draft")
        assert len(draft.query(DraftActions)) == 1
        card.focus()
        await pilot.press("a")
        await settle(pilot)
        assert not card.query(ApprovalActions)
        sent = [b for b in app.screen.query(ReplyBubble) if b.status == "sent"]
        assert all(not b.query(DraftActions) for b in sent)


async def test_a_folded_card_is_one_line_and_enter_opens_it():
    app, _ = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await say(pilot, "where is my order?")
        card = app.screen.query_one(ToolCallCard)
        assert card.status == "ok" and not card.is_open
        assert not card.query_one(".tool-detail").display and len(card.children) == 2
        card.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert card.is_open and card.query_one(".tool-detail").display
        assert str(card.query_one(".tool-title").render()).startswith("▼ lookup_order")
        await pilot.click(card.query_one(".tool-title"))  # a click on the title folds it again
        await pilot.pause()
        assert not card.is_open and not card.query_one(".tool-detail").display


async def test_an_unchanged_queue_is_not_rebuilt():
    app, _ = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await say(pilot, "where is my order?")
        queue = app.screen.query_one(ConversationQueue)
        rebuilt = []
        original = queue._redraw
        queue._redraw = lambda: (rebuilt.append(1), original())[1]  # type: ignore[method-assign]
        queue.show(list(queue.rows), queue.current)
        assert rebuilt == []
        queue.show(list(queue.rows), None)  # the active row changed
        assert rebuilt == [1]


def footer_keys(app) -> list[str]:
    from textual.widgets._footer import FooterKey

    return [key.key for key in app.screen.query_one(KeyFooter).query(FooterKey)]


async def test_the_footer_is_rebuilt_only_when_the_keys_it_shows_change():
    app, _ = make_console(mode="supervised")
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await say(pilot, "I want a refund for the blender")  # a waiting card and a draft: both ask for refreshes
        await settle(pilot)
        footer = app.screen.query_one(KeyFooter)
        before = list(footer.children)
        assert before and "a" not in footer_keys(app)
        card = app.screen.query_one(ToolCallCard)
        card.refresh_bindings()  # the card's keys are not the footer's while the composer has the focus
        app.screen.refresh_bindings()
        await pilot.pause()
        await pilot.pause()
        assert list(footer.children) == before  # the same widgets: not rebuilt
        card.focus()
        await pilot.pause()
        await pilot.pause()
        assert {"a", "e", "d"} <= set(footer_keys(app))  # the focused card's keys: rebuilt
        app.screen.composer.focus()
        await pilot.pause()
        await pilot.pause()
        assert "a" not in footer_keys(app) and footer_keys(app) == [key.key for key in before]


async def test_the_tab_bar_switches_areas_by_click_and_carries_badges():
    app, _ = make_console(mode="supervised")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        bar = app.screen.query_one("#narrow-tabs", TabBar)
        assert bar.active == "tab-chat"
        await say(pilot, "I want a refund")
        assert bar.label("tab-chat") == "Conversation ◆1" and bar.label("tab-insight") == "Insight ◆1"
        x = len("Conversation ◆1 │ Customer & queue │ ") + 2  # inside "Insight ◆1" (after the bar's padding)
        await pilot.click("#narrow-tabs", offset=(x + 1, 0))
        await pilot.pause()
        assert bar.active == "tab-insight" and app.screen.has_class("-show-insight")
        assert app.screen.query_one("#right-column").display and not app.screen.query_one("#center-column").display
        assert bar.tab_at(0) == "tab-chat" and bar.tab_at(len("Conversation ◆1")) is None


async def test_the_first_show_draws_an_empty_queue_and_its_count():
    from textual.app import App

    class One(App):
        def compose(self):
            yield ConversationQueue(id="queue")

    app = One()
    async with app.run_test(size=(60, 12)) as pilot:
        queue = app.query_one(ConversationQueue)
        queue.show([], None)
        await pilot.pause()
        assert queue.has_drawn and str(queue.border_subtitle).startswith("0 open · 0 waiting")


async def test_the_knowledge_panel_reuses_its_cards_and_redraws_only_cards_that_change():
    from textual.app import App

    from support_tui.core.events import Snippet
    from support_tui.tui.widgets.insight import KnowledgePanel, SnippetCard

    def snippet(n: int) -> Snippet:
        return Snippet(doc_id=f"doc{n}", chunk_id=f"doc{n}#0", title=f"Article {n}", score=0.5, text=f"text {n}")

    class One(App[None]):
        def compose(self):
            yield KnowledgePanel(id="knowledge")

    app = One()
    async with app.run_test(size=(60, 40)) as pilot:
        panel = app.query_one(KnowledgePanel)
        await panel.show("q", [snippet(1), snippet(2)])
        first = list(panel.query(SnippetCard))
        drawn: list[str] = []
        for card in first:
            original = card.update
            card.update = lambda content, *a, _o=original, _c=card, **k: (drawn.append(_c.snippet.chunk_id), _o(content, *a, **k))[1]  # type: ignore[method-assign]
        panel.mark_used(["doc1#0"])
        assert drawn == ["doc1#0"]  # the unused card is not drawn again
        panel.mark_used(["doc1#0"])
        assert drawn == ["doc1#0"]
        await panel.show("q", [snippet(3), snippet(4), snippet(5)])
        cards = list(panel.query(SnippetCard))
        assert cards[:2] == first and [c.snippet.chunk_id for c in cards] == ["doc3#0", "doc4#0", "doc5#0"]
        assert not any(c.has_class("-used") for c in cards)
        await pilot.pause()
        assert "Article 3" in str(cards[0].render()) and "✓ used" not in str(cards[0].render())
        await panel.show("q", [snippet(6)])
        assert [c.snippet.chunk_id for c in panel.query(SnippetCard)] == ["doc6#0"] and panel.border_subtitle == "1 snippets"
        await panel.show("q", [])
        assert not panel.query(SnippetCard) and len(panel.children) == 1
        await panel.show("q", [snippet(7)])
        assert [c.snippet.chunk_id for c in panel.query(SnippetCard)] == ["doc7#0"] and len(panel.children) == 1


async def test_an_unchanged_panel_subtitle_does_not_repaint_the_panel():
    app, _ = make_console(mode="supervised")
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await say(pilot, "I want a refund for the blender")
        tools = app.screen.tools
        assert tools.border_subtitle == "1 awaiting approval"
        repaints = []
        original = tools.refresh
        tools.refresh = lambda *a, **k: (repaints.append(1), original(*a, **k))[1]  # type: ignore[method-assign]
        tools.update_subtitle()
        app.screen.update_badges()
        assert repaints == []  # the same text: the column is not drawn again
        tools.pending()[0].set_running("running")
        tools.update_subtitle()
        assert repaints and not tools.border_subtitle
