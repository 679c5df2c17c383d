"""The customer channel at its edges and under store faults (in process, SQLite, offline model).

Malformed cursors and too-deep bodies get 400, refused requests cost no rate, a stream ends when its
token expires, paging goes past any window, readiness reaches the database, an outage answers 503
with Retry-After (never 500), and demo mode serves loopback Host headers only.
"""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest

from tests.channel_harness import API_KEY, bearer, channel_for, open_conversation, served, wait_for_reply


@pytest.fixture
async def api(engine):
    """(client, channel) on a served app with one in-process worker; burst 3 messages per token."""
    from support_tui.server.worker import TurnWorker

    channel = channel_for(engine, rate_burst=3, rate_per_minute=6)
    worker = TurnWorker(engine, engine.store, name="edge-worker", concurrency=2)
    async with served(channel, [worker]) as base, httpx.AsyncClient(base_url=base, timeout=30) as client:
        yield client, channel


async def _events(stream: httpx.Response, until: str, timeout: float = 30) -> list[tuple[str, str]]:
    """(event, data) pairs of an SSE response until an event of kind ``until`` (or the stream's end)."""
    got: list[tuple[str, str]] = []

    async def read() -> None:
        kind, data = "message", ""
        async for line in stream.aiter_lines():
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: "):
                data = line[6:]
            elif line == "" and data:
                got.append((kind, data))
                if kind == until:
                    return
                kind, data = "message", ""

    await asyncio.wait_for(read(), timeout)
    return got


async def test_malformed_cursors_and_deep_bodies_get_400_and_refusals_cost_no_rate(api):
    client, channel = api
    a = (await open_conversation(client)).json()
    conv, auth = a["conversation_id"], bearer(a["token"])
    for after in ("²", "١٢", "-1", "1e3", "9" * 30, " 1"):
        for path in ("messages", "stream"):
            got = await client.get(f"/api/conversations/{conv}/{path}", params={"after": after}, headers=auth)
            assert got.status_code == 400 and "after" in got.json()["error"], (path, after)
    got = await client.get(f"/api/conversations/{conv}/stream", headers={**auth, "Last-Event-ID": "²".encode()})
    assert got.status_code == 400
    deep = "[" * 30_000 + "]" * 30_000
    for url, headers in ((f"/api/conversations/{conv}/messages", auth), ("/api/conversations", bearer(API_KEY))):
        got = await client.post(url, content=deep.encode(), headers=headers)
        assert got.status_code == 400 and got.json()["error"] == "the body is nested too deeply"
    nested = '{"text": "hi", "x": ' + "[" * 30_000 + "]" * 30_000 + "}"
    assert (await client.post(f"/api/conversations/{conv}/messages", content=nested.encode(),
                              headers=auth)).status_code == 400
    # Ten refused requests (empty, malformed, too deep) and the burst of three is still whole.
    for _ in range(4):
        assert (await client.post(f"/api/conversations/{conv}/messages", json={"text": "  "}, headers=auth)).status_code == 400
        assert (await client.post(f"/api/conversations/{conv}/messages", content=b"{", headers=auth)).status_code == 400
    codes = [(await client.post(f"/api/conversations/{conv}/messages", json={"text": f"hi {n}"}, headers=auth)).status_code
             for n in range(4)]
    assert codes == [202, 202, 202, 429]


async def test_paging_and_a_resumed_stream_go_past_200_messages_without_skipping_any(api):
    client, channel = api
    a = (await open_conversation(client)).json()
    conv, auth = a["conversation_id"], bearer(a["token"])
    ids = [await channel.store.add_message(conv, "customer" if n % 2 else "ai", f"m{n}") for n in range(450)]
    await channel.store.add_message(conv, "ai", "a draft", status="draft")
    pages, after = [], 0
    while True:
        body = (await client.get(f"/api/conversations/{conv}/messages", params={"after": after}, headers=auth)).json()
        pages.append(len(body["messages"]))
        if not body["messages"]:
            break
        after = body["messages"][-1]["id"]
        if not body["more"]:
            break
    assert pages == [200, 200, 50]
    assert after == ids[-1]
    # A stream resumed far back sends every message after the cursor, in order, then waits.
    async with client.stream("GET", f"/api/conversations/{conv}/stream", headers={**auth, "Last-Event-ID": str(ids[5])}) as s:
        seen: list[int] = []

        async def read() -> None:
            async for line in s.aiter_lines():
                if line.startswith("id: "):
                    seen.append(int(line[4:]))
                    if seen[-1] == ids[-1]:
                        return

        await asyncio.wait_for(read(), 30)
    assert seen == ids[6:]


async def test_a_stream_ends_when_its_token_expires(api):
    client, channel = api
    a = (await open_conversation(client)).json()
    conv = a["conversation_id"]
    short, expires = channel.signer.issue(conv, ttl_s=1.5)
    started = time.monotonic()
    async with client.stream("GET", f"/api/conversations/{conv}/stream", headers=bearer(short)) as s:
        assert s.status_code == 200
        events = await _events(s, "expired", timeout=10)
    assert events[-1][0] == "expired" and 1.0 < time.monotonic() - started < 5.0
    assert (await client.get(f"/api/conversations/{conv}/stream", headers=bearer(short))).status_code == 401


async def test_readiness_and_an_outage_answer_503_with_retry_after_never_500(api, monkeypatch):
    client, channel = api
    store = channel.store
    a = (await open_conversation(client)).json()
    conv, auth = a["conversation_id"], bearer(a["token"])
    live = await client.get("/api/health")
    ready = await client.get("/api/health/ready")
    assert (live.status_code, live.json()) == (200, {"status": "ok"})
    assert (ready.status_code, ready.json()) == (200, {"status": "ok"})

    async def refused(*args, **kwargs):
        raise ConnectionRefusedError(111, "Connect call failed")

    async with client.stream("GET", f"/api/conversations/{conv}/stream", headers=auth) as open_stream:
        for method in ("ping", "enqueue_customer_message", "messages_after", "create_conversation", "get_conversation"):
            monkeypatch.setattr(store, method, refused)
        # The open stream ends cleanly, saying why, once it next reads.
        channel.feed.wake(conv)
        assert (await _events(open_stream, "unavailable"))[-1] == ("unavailable", "{}")
    assert (await client.get("/api/health")).status_code == 200  # liveness does not ask the database
    answers = [
        await client.get("/api/health/ready"),
        await client.get(f"/api/conversations/{conv}/messages", headers=auth),
        await client.get(f"/api/conversations/{conv}/stream", headers=auth),
        await open_conversation(client),
        *[await client.post(f"/api/conversations/{conv}/messages", json={"text": f"hi {n}"}, headers=auth)
          for n in range(5)],
    ]
    assert [r.status_code for r in answers] == [503] * len(answers)
    assert all(int(r.headers["retry-after"]) >= 1 for r in answers)
    assert answers[0].json() == {"status": "unavailable"}
    monkeypatch.undo()
    # Five refused posts cost no rate: the burst of three is whole once the database is back.
    posted = [await client.post(f"/api/conversations/{conv}/messages", json={"text": f"back {n}"}, headers=auth)
              for n in range(3)]
    assert [p.status_code for p in posted] == [202, 202, 202]
    assert (await client.get("/api/health/ready")).status_code == 200
    await wait_for_reply(client, conv, a["token"], posted[-1].json()["message_id"])


async def test_demo_mode_serves_only_loopback_host_headers(engine):
    async with served(channel_for(engine, demo=True)) as base, httpx.AsyncClient(base_url=base, timeout=30) as client:
        port = base.rsplit(":", 1)[1]
        for host in ("evil.example", f"evil.example:{port}", "127.0.0.2", "localhost.evil.example", "localhost:x",
                     "[::1]x", "", f"192.168.1.5:{port}"):
            got = await client.get("/api/demo/customers", headers={"Host": host})
            assert got.status_code == 400 and "localhost" in got.json()["error"], host
            assert (await client.post("/api/demo/conversations", json={"customer_id": "cust_12345"},
                                      headers={"Host": host})).status_code == 400
        for host in (f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}", "LOCALHOST", "127.0.0.1"):
            assert (await client.get("/api/demo/customers", headers={"Host": host})).status_code == 200, host
    async with served(channel_for(engine)) as base, httpx.AsyncClient(base_url=base, timeout=30) as client:
        assert (await client.get("/api/health", headers={"Host": "support.example.com"})).status_code == 200


async def test_a_turn_the_database_failed_goes_back_to_the_queue_at_once_and_is_answered_later(engine, monkeypatch):
    from support_tui.server.worker import TURN_FAILED, TurnWorker

    conv = await engine.open_conversation("cust_12345", new=True)
    queued = await engine.submit_message(conv.id, "Where is my order #ORD-67890?")
    real = engine.run_queued_turn
    broken = {"on": True}

    def run(job):
        if broken["on"]:
            raise ConnectionResetError(104, "Connection reset by peer")
        return real(job)

    monkeypatch.setattr(engine, "run_queued_turn", run)
    worker = TurnWorker(engine, engine.store, name="w", poll_s=0.01)
    task = asyncio.create_task(worker.run())
    deadline = time.monotonic() + 30
    while worker.counts.released < 2:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.01)
    [job] = await engine.store.turn_jobs(conv.id)
    assert job.status in ("queued", "running") and job.attempts <= 1  # given back, not used up or failed
    broken["on"] = False
    while not (done := await engine.store.turn_jobs(conv.id, statuses=("done",))):
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)
    worker.stop()
    await task
    roles = [(m.role, m.reply_to) for m in await engine.messages(conv.id)]
    assert roles == [("customer", None), ("ai", queued.message_id)]
    assert TURN_FAILED not in [m.text for m in await engine.messages(conv.id)]
    assert worker.counts.failed == 0 and done[0].attempts == 1
