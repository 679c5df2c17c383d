"""The customer channel's API on a real engine (SQLite, offline model): auth, limits, visibility, the live stream."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest

from tests.channel_harness import API_KEY, bearer, channel_for, open_conversation, served, wait_for_reply


@pytest.fixture
async def api(engine):
    """(client, channel) on a served app with one in-process worker."""
    from support_tui.server.worker import TurnWorker

    channel = channel_for(engine, rate_burst=3, rate_per_minute=6, max_body_bytes=2048)
    worker = TurnWorker(engine, engine.store, name="test-worker", concurrency=4)
    async with served(channel, [worker]) as base, httpx.AsyncClient(base_url=base, timeout=30) as client:
        yield client, channel


async def test_health_and_a_message_answered_through_the_api(api):
    client, _ = api
    assert (await client.get("/api/health")).status_code == 200
    opened = await open_conversation(client)
    assert opened.status_code == 201
    conv, token = opened.json()["conversation_id"], opened.json()["token"]
    posted = await client.post(f"/api/conversations/{conv}/messages", json={"text": "Where is my order #ORD-67890?"},
                               headers=bearer(token))
    assert posted.status_code == 202
    message_id = posted.json()["message_id"]
    messages = await wait_for_reply(client, conv, token, message_id)
    assert [m["role"] for m in messages] == ["customer", "ai"]
    assert messages[0] == {**messages[0], "id": message_id, "text": "Where is my order #ORD-67890?"}
    assert "ORD-67890" in messages[1]["text"]


async def test_wrong_keys_and_tokens_get_401_and_write_nothing(api):
    client, channel = api
    assert (await open_conversation(client, key="wrong")).status_code == 401
    assert (await client.post("/api/conversations", json={"customer_id": "cust_12345"})).status_code == 401
    a = (await open_conversation(client)).json()
    b = (await open_conversation(client, "cust_23456")).json()
    before = len(await channel.store.turn_jobs())
    for token in (b["token"], "v1.x.y", a["token"][:-2] + "zz", "garbage"):
        got = await client.post(f"/api/conversations/{a['conversation_id']}/messages", json={"text": "hi"},
                                headers=bearer(token))
        assert got.status_code == 401, token
        assert "token" in got.json()["error"]
        assert (await client.get(f"/api/conversations/{a['conversation_id']}/messages",
                                 headers=bearer(token))).status_code == 401
    expired, _ = channel.signer.issue(a["conversation_id"], ttl_s=-1)
    assert (await client.get(f"/api/conversations/{a['conversation_id']}/messages",
                             headers=bearer(expired))).status_code == 401
    assert len(await channel.store.turn_jobs()) == before
    assert await channel.store.messages(a["conversation_id"]) == []
    assert (await open_conversation(client, "cust_nobody")).status_code == 404


async def test_oversized_malformed_and_empty_bodies_are_refused_with_nothing_written(api):
    client, channel = api
    a = (await open_conversation(client)).json()
    url, auth = f"/api/conversations/{a['conversation_id']}/messages", bearer(a["token"])
    big = await client.post(url, content=json.dumps({"text": "x" * 5000}), headers=auth)
    assert big.status_code == 413 and "larger than 2048" in big.json()["error"]
    bad = await client.post(url, content=b'{"text": "unfinished', headers=auth)
    assert bad.status_code == 400 and "not valid JSON" in bad.json()["error"]
    assert (await client.post(url, json=["text"], headers=auth)).status_code == 400
    assert (await client.post(url, json={"txt": "hi"}, headers=auth)).json()["error"] == 'the body needs "text" as a string'
    assert (await client.post(url, json={"text": "  \x1b[31m "}, headers=auth)).json()["error"] == "the message is empty"
    assert (await client.post("/api/conversations", content=b"nope",
                              headers=bearer(API_KEY))).status_code == 400
    assert await channel.store.messages(a["conversation_id"]) == []
    assert await channel.store.turn_jobs(a["conversation_id"]) == []


async def test_a_token_posting_too_fast_gets_429_with_retry_after(api):
    client, channel = api
    a = (await open_conversation(client)).json()
    url, auth = f"/api/conversations/{a['conversation_id']}/messages", bearer(a["token"])
    codes = [(await client.post(url, json={"text": f"hello {n}"}, headers=auth)) for n in range(5)]
    assert [c.status_code for c in codes] == [202, 202, 202, 429, 429]
    assert int(codes[3].headers["retry-after"]) >= 1
    assert len(await channel.store.turn_jobs(a["conversation_id"])) == 3
    # Another conversation's budget is its own.
    b = (await open_conversation(client, "cust_23456")).json()
    assert (await client.post(f"/api/conversations/{b['conversation_id']}/messages", json={"text": "hi"},
                              headers=bearer(b["token"]))).status_code == 202


async def test_customers_never_see_drafts_or_what_only_the_team_sees(api, engine):
    client, channel = api
    a = (await open_conversation(client)).json()
    conv = a["conversation_id"]
    await engine.set_mode(conv, "supervised")
    posted = (await client.post(f"/api/conversations/{conv}/messages", json={"text": "Where is my order #ORD-67890?"},
                                headers=bearer(a["token"]))).json()
    deadline = time.monotonic() + 60
    while not any(m.role == "ai" for m in await engine.messages(conv)):
        assert time.monotonic() < deadline
        await asyncio.sleep(0.1)
    draft = next(m for m in await engine.messages(conv) if m.role == "ai")
    assert draft.status == "draft"
    listed = (await client.get(f"/api/conversations/{conv}/messages", headers=bearer(a["token"]))).json()["messages"]
    assert [m["role"] for m in listed] == ["customer"]
    assert set(listed[0]) == {"id", "role", "text", "created_at", "reply_to"}
    await engine.approve_draft(draft.id, by="ana")
    listed = await wait_for_reply(client, conv, a["token"], posted["message_id"])
    assert [m["role"] for m in listed] == ["customer", "ai"]


async def test_the_live_stream_sends_the_history_then_the_reply(api):
    client, _ = api
    a = (await open_conversation(client)).json()
    conv, auth = a["conversation_id"], bearer(a["token"])
    events: list[dict] = []
    async with client.stream("GET", f"/api/conversations/{conv}/stream", headers=auth) as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        posted = (await client.post(f"/api/conversations/{conv}/messages", json={"text": "Do you ship to Canada?"},
                                    headers=auth)).json()

        async def read() -> None:
            async for line in stream.aiter_lines():
                if line.startswith("data: "):
                    events.append(json.loads(line[6:]))
                    if events[-1]["reply_to"] == posted["message_id"]:
                        return

        await asyncio.wait_for(read(), 60)
    assert [e["role"] for e in events] == ["customer", "ai"]
    # A stream opened later with ?token= (EventSource cannot send headers) and after= resumes after that id.
    async with client.stream("GET", f"/api/conversations/{conv}/stream",
                             params={"token": a["token"], "after": events[0]["id"]}) as again:
        async for line in again.aiter_lines():
            if line.startswith("data: "):
                assert json.loads(line[6:])["id"] == events[1]["id"]
                break
    assert (await client.get(f"/api/conversations/{conv}/stream")).status_code == 401


async def test_the_chat_page_is_served_with_a_strict_policy(api):
    client, _ = api
    page = await client.get("/chat")
    assert page.status_code == 200 and "<ol id=\"log\"" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    script = (await client.get("/chat/chat.js")).text
    assert "textContent" in script and "innerHTML" not in script
    assert (await client.get("/api/demo/customers")).status_code == 404  # not in demo mode


async def test_a_turn_that_fails_tells_the_customer_once_and_marks_the_job_failed(engine, monkeypatch):
    from support_tui.server.worker import TURN_FAILED, TurnWorker

    conv = await engine.open_conversation("cust_12345", new=True)
    queued = await engine.submit_message(conv.id, "hello")

    def broken(job):
        raise RuntimeError("the shop's database is away")

    monkeypatch.setattr(engine, "run_queued_turn", broken)
    worker = TurnWorker(engine, engine.store, name="w", poll_s=0.01)
    task = asyncio.create_task(worker.run())
    deadline = time.monotonic() + 30
    while not (jobs := await engine.store.turn_jobs(conv.id, statuses=("failed",))):
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)
    worker.stop()
    await task
    assert "RuntimeError: the shop's database is away" in jobs[0].error
    visible = [(m.role, m.text, m.reply_to) for m in await engine.messages(conv.id)]
    assert visible == [("customer", "hello", None), ("system", TURN_FAILED, queued.message_id)]
    assert worker.counts.failed == 1
