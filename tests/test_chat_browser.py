"""The web chat at /chat in a real browser: Debian's Chromium, headless, driven by Playwright (no browser download).

A missing Chromium or Playwright fails these tests with what to install; they never skip.
"""

from __future__ import annotations

import os
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator

import pytest

from tests.channel_harness import channel_for, served

CHROMIUM = Path(os.environ.get("SUPPORT_TUI_CHROMIUM", "/usr/bin/chromium"))
# As root (tests and CI run so) Chromium needs --no-sandbox; without the background-networking flags it
# tries Google's hosts at every start, and this machine's closed network refuses them.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


@asynccontextmanager
async def browser_page(tmp_path: Path) -> AsyncIterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install it with `apt-get install -y chromium chromium-driver`"
                    " (`make test` does, through tests/system_deps.sh), or set SUPPORT_TUI_CHROMIUM", pytrace=False)
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        pytest.fail("Playwright's Python package is missing: `make setup` installs it (dev dependency)", pytrace=False)
    async with async_playwright() as p:
        browser = await p.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=str(CHROMIUM), headless=True, args=FLAGS,
        )
        try:
            yield browser.pages[0] if browser.pages else await browser.new_page()
        finally:
            await browser.close()


@pytest.fixture
def worker(engine):
    from support_tui.server.worker import TurnWorker

    return TurnWorker(engine, engine.store, name="browser-test-worker", concurrency=2)


async def _send_and_read_reply(page: Any, text: str) -> str:
    await page.fill("#text", text)
    await page.press("#text", "Enter")
    reply = page.locator('#log li[data-role="ai"]').first
    await reply.wait_for(timeout=60_000)
    return str(await reply.text_content())


async def test_a_demo_customer_types_a_message_and_the_reply_appears_in_the_page(engine, worker, tmp_path):
    async with served(channel_for(engine, demo=True), [worker]) as base, browser_page(tmp_path) as page:
        await page.goto(f"{base}/chat")
        await page.locator("#demo").wait_for(state="visible", timeout=20_000)
        await page.select_option("#customer", "cust_12345")
        await page.click('#demo button[type="submit"]')
        await page.locator("#chat").wait_for(state="visible", timeout=20_000)
        reply = await _send_and_read_reply(page, "Hi, I need to track my order #ORD-67890. When will it arrive?")
        assert "ORD-67890" in reply
        assert await page.locator('#log li[data-role="customer"]').first.text_content() == (
            "Hi, I need to track my order #ORD-67890. When will it arrive?")


async def test_a_token_link_opens_the_chat_and_hostile_text_is_shown_as_text(engine, worker, tmp_path):
    channel = channel_for(engine)
    conv = await engine.open_conversation("cust_12345", new=True)
    token, _ = channel.signer.issue(conv.id)
    hostile = '<img src=x onerror="document.title=\'owned\'"> <b>bold?</b>'
    async with served(channel, [worker]) as base, browser_page(tmp_path) as page:
        await page.goto(f"{base}/chat")
        await page.locator("#token-form").wait_for(state="visible", timeout=20_000)  # not demo mode: a token is asked for
        await page.goto(f"{base}/chat#token={token}")
        await page.reload()
        await page.locator("#chat").wait_for(state="visible", timeout=20_000)
        assert "token=" not in page.url  # the link's token is not left in the address bar
        await _send_and_read_reply(page, hostile)
        mine = page.locator('#log li[data-role="customer"]').first
        assert await mine.text_content() == hostile
        assert await page.locator("#log img, #log b").count() == 0
        assert await page.title() != "owned"


async def test_a_reload_keeps_the_conversation_and_only_the_right_form_is_drawn(engine, worker, tmp_path):
    async with served(channel_for(engine, demo=True), [worker]) as base, browser_page(tmp_path) as page:
        console: list[str] = []
        page.on("console", lambda message: console.append(message.text))
        await page.goto(f"{base}/chat")
        await page.locator("#demo").wait_for(state="visible", timeout=20_000)
        assert await page.locator("#token-form").is_hidden()  # demo mode: no token is asked for
        assert await page.locator("#chat").is_hidden()
        await page.select_option("#customer", "cust_12345")
        await page.click('#demo button[type="submit"]')
        await page.locator("#chat").wait_for(state="visible", timeout=20_000)
        await _send_and_read_reply(page, "Hi, where is my order #ORD-67890?")
        token = await page.evaluate("sessionStorage.getItem('support-tui-chat-token')")
        assert token and token.startswith("v1.")

        await page.reload()
        await page.locator("#chat").wait_for(state="visible", timeout=20_000)
        await page.locator('#log li[data-role="ai"]').first.wait_for(timeout=20_000)
        roles = await page.locator("#log li").evaluate_all("items => items.map(i => i.dataset.role)")
        assert roles == ["customer", "ai"]  # the same conversation, shown once
        assert await page.locator("#start").is_hidden() and await page.locator("#demo").is_hidden()
        # The live stream is back: a new message after the reload gets its reply.
        await page.fill("#text", "Do you ship to Canada?")
        await page.press("#text", "Enter")
        await page.locator('#log li[data-role="ai"]').nth(1).wait_for(timeout=60_000)
        assert not [line for line in console if token in line]


async def test_outside_demo_mode_only_the_token_form_is_drawn(engine, tmp_path):
    async with served(channel_for(engine)) as base, browser_page(tmp_path) as page:
        await page.goto(f"{base}/chat")
        await page.locator("#token-form").wait_for(state="visible", timeout=20_000)
        assert await page.locator("#demo").is_hidden() and await page.locator("#chat").is_hidden()
        # An expired or foreign token kept from before is dropped, and the form stays.
        await page.evaluate("sessionStorage.setItem('support-tui-chat-token', 'v1.eyJjIjoieCIsImUiOjF9.bad')")
        await page.reload()
        await page.locator("#token-form").wait_for(state="visible", timeout=20_000)
        assert await page.evaluate("sessionStorage.getItem('support-tui-chat-token')") is None
