"""The channel and its workers as separate processes on one PostgreSQL store: every message answered exactly once.

``support-tui serve --workers 0`` takes the messages; two ``support-tui worker`` processes answer
them. One worker is SIGKILLed in the middle of a turn: its lease lapses, the other worker runs the
turn again, and the customer still gets exactly one reply.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator

import asyncpg
import httpx
import pytest

from tests.channel_harness import API_KEY, bearer, free_port, open_conversation, wait_for_reply
from tests.fake_provider import fake_provider  # noqa: F401  (fixture)

CLI = [str(Path(sys.executable).parent / "support-tui")]


class Processes:
    """Child processes of one test, each logging to a file; all killed at the end."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs = env, logs
        self.children: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("wb")
        child = subprocess.Popen([*CLI, *args], env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.children[name] = child
        return child

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    async def wait_for_line(self, name: str, text: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.log(name):
            if self.children[name].poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"{name} never said {text!r}:\n{self.log(name)[-3000:]}")
            await asyncio.sleep(0.2)

    def stop_all(self) -> None:
        for child in self.children.values():
            if child.poll() is None:
                child.kill()
            child.wait(10)


@asynccontextmanager
async def team(engine_home: Path, url: str, tmp_path: Path, **extra_env: str) -> AsyncIterator[tuple[Processes, str]]:
    """``serve --workers 0`` on a free loopback port over ``url``; yields (processes, base URL)."""
    env = {**os.environ, "SUPPORT_TUI_HOME": str(engine_home), "SUPPORT_TUI_DATABASE_URL": url,
           "SUPPORT_TUI_API_KEY": API_KEY, **extra_env}
    procs = Processes(env, tmp_path)
    port = free_port()
    procs.start("serve", "serve", "--workers", "0", "--port", str(port))
    try:
        await procs.wait_for_line("serve", "serving on")
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            for _ in range(100):
                try:
                    if (await client.get("/api/health")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
        yield procs, base
    finally:
        procs.stop_all()


async def _db_rows(url: str, sql: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(url)
    try:
        return list(await conn.fetch(sql))
    finally:
        await conn.close()


async def test_two_external_workers_answer_forty_conversations_exactly_once(pg_cluster, engine_home, tmp_path):
    url = await pg_cluster.new_database("team")
    async with team(engine_home, url, tmp_path) as (procs, base):
        for name in ("worker-1", "worker-2"):
            procs.start(name, "worker", "--concurrency", "8")
        for name in ("worker-1", "worker-2"):
            await procs.wait_for_line(name, "claiming turns")
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            opened = [await open_conversation(client, "cust_12345" if n % 2 else "cust_23456") for n in range(40)]
            assert {r.status_code for r in opened} == {201}
            convs = [(r.json()["conversation_id"], r.json()["token"]) for r in opened]
            posted = await asyncio.gather(*(
                client.post(f"/api/conversations/{cid}/messages", json={"text": f"Where is my order? ({n})"},
                            headers=bearer(token))
                for n, (cid, token) in enumerate(convs)
            ))
            assert {p.status_code for p in posted} == {202}
            for (cid, token), p in zip(convs, posted):
                messages = await wait_for_reply(client, cid, token, p.json()["message_id"], timeout=180)
                replies = [m for m in messages if m["role"] == "ai"]
                assert len(replies) == 1 and replies[0]["reply_to"] == p.json()["message_id"], messages

            # Another conversation's token, and a wrong API key: 401.
            (first, first_token), (second, _) = convs[0], convs[1]
            assert (await client.get(f"/api/conversations/{second}/messages", headers=bearer(first_token))).status_code == 401
            assert (await client.post(f"/api/conversations/{second}/messages", json={"text": "hi"},
                                      headers=bearer(first_token))).status_code == 401
            assert (await open_conversation(client, key="not-the-key")).status_code == 401

    jobs = await _db_rows(url, "SELECT status, attempts, worker FROM turn_jobs")
    assert len(jobs) == 40 and {(j["status"], j["attempts"]) for j in jobs} == {("done", 1)}
    assert len({j["worker"] for j in jobs}) == 2  # both workers took part
    turns = await _db_rows(url, "SELECT message_id, COUNT(*) AS n FROM turns WHERE message_id IN"
                                " (SELECT message_id FROM turn_jobs) GROUP BY message_id")
    assert len(turns) == 40 and {t["n"] for t in turns} == {1}  # each message's turn ran once


async def test_a_worker_killed_mid_turn_leaves_the_turn_to_another_and_one_reply(pg_cluster, engine_home, tmp_path,
                                                                                fake_provider):
    fake_provider.delay_s = 4.0  # every model call takes 4 s: the kill lands inside the turn
    url = await pg_cluster.new_database("kill")
    async with team(engine_home, url, tmp_path, OPENAI_API_KEY="sk-test",
                    OPENAI_API_BASE=fake_provider.openai_base) as (procs, base):
        doomed = procs.start("doomed", "worker", "--lease", "2")
        await procs.wait_for_line("doomed", "claiming turns")
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            opened = (await open_conversation(client)).json()
            cid, token = opened["conversation_id"], opened["token"]
            posted = await client.post(f"/api/conversations/{cid}/messages", json={"text": "Is the blender in stock?"},
                                       headers=bearer(token))
            message_id = posted.json()["message_id"]
            deadline = time.monotonic() + 60
            while not fake_provider.requests:  # the doomed worker's turn is waiting on the model
                assert time.monotonic() < deadline, procs.log("doomed")
                await asyncio.sleep(0.05)
            [job] = await _db_rows(url, "SELECT status, worker FROM turn_jobs")
            assert job["status"] == "running" and f":{doomed.pid}:" in job["worker"]
            doomed.send_signal(signal.SIGKILL)
            doomed.wait(10)

            procs.start("rescuer", "worker", "--lease", "2")
            messages = await wait_for_reply(client, cid, token, message_id, timeout=180)
            assert [m["role"] for m in messages] == ["customer", "ai"]
            await asyncio.sleep(3)  # nothing more arrives later
            again = (await client.get(f"/api/conversations/{cid}/messages", headers=bearer(token))).json()["messages"]
            assert [m["role"] for m in again] == ["customer", "ai"]

    [job] = await _db_rows(url, "SELECT status, attempts, worker FROM turn_jobs")
    assert job["status"] == "done" and job["attempts"] == 2 and f":{doomed.pid}:" not in job["worker"]
    turns = await _db_rows(url, f"SELECT status FROM turns WHERE message_id = {message_id} ORDER BY seq")
    assert len(turns) == 2 and turns[-1]["status"] == "completed"  # the killed one stays behind in the trace
    replies = await _db_rows(url, f"SELECT id FROM messages WHERE role = 'ai' AND conversation_id = '{cid}'")
    assert len(replies) == 1


async def test_sigterm_lets_the_running_turn_finish_then_the_worker_exits(pg_cluster, engine_home, tmp_path,
                                                                          fake_provider):
    fake_provider.delay_s = 3.0
    url = await pg_cluster.new_database("term")
    async with team(engine_home, url, tmp_path, OPENAI_API_KEY="sk-test",
                    OPENAI_API_BASE=fake_provider.openai_base) as (procs, base):
        worker = procs.start("worker", "worker", "--grace", "60")
        await procs.wait_for_line("worker", "claiming turns")
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            opened = (await open_conversation(client)).json()
            posted = await client.post(f"/api/conversations/{opened['conversation_id']}/messages",
                                       json={"text": "Do you ship to Canada?"}, headers=bearer(opened["token"]))
            deadline = time.monotonic() + 60
            while not fake_provider.requests:
                assert time.monotonic() < deadline, procs.log("worker")
                await asyncio.sleep(0.05)
            worker.send_signal(signal.SIGTERM)
            assert await asyncio.to_thread(worker.wait, 60) == 0
            assert "stopped: 1 answered, 0 failed, 0 given back" in procs.log("worker")
            messages = (await client.get(f"/api/conversations/{opened['conversation_id']}/messages",
                                         headers=bearer(opened["token"]))).json()["messages"]
            assert [m["role"] for m in messages] == ["customer", "ai"]
            assert messages[1]["reply_to"] == posted.json()["message_id"]
