"""The team benchmark's processes: a slow loopback model, ``support-tui serve``, worker processes, and what the store says after.

Everything listens on 127.0.0.1. The fake provider answers every OpenAI and Anthropic call after a
fixed delay (``tests/fake_provider.py``, in a process of its own so the load generator's loop does
not serve it). Workers reach it through ``OPENAI_API_BASE`` / ``ANTHROPIC_API_BASE``.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import deque
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CLI = str(Path(sys.executable).parent / "support-tui")
API_KEY = "bench-api-key-0123456789"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve_provider(port: int, delay_s: float) -> None:
    """Run the fake provider until killed (the ``--provider`` mode of team.py)."""
    from aiohttp import web

    from tests.fake_provider import FakeProvider

    async def main() -> None:
        fake = FakeProvider(delay_s=delay_s)
        fake.requests = deque(maxlen=10)  # type: ignore[assignment]  (bounded: it runs for hours)
        app = web.Application()
        app.router.add_post("/v1/chat/completions", fake.handle)
        app.router.add_post("/v1/messages", fake.handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        await asyncio.Event().wait()

    asyncio.run(main())


def prepared_home(cache: Path) -> Path:
    """A demo data directory with the store and the KB index built once (``support-tui kb ingest``)."""
    home = cache / "team-home"
    if not (home / "ready").exists():
        shutil.rmtree(home, ignore_errors=True)
        env = {**os.environ, "SUPPORT_TUI_HOME": str(home)}
        env.pop("SUPPORT_TUI_DATABASE_URL", None)
        subprocess.run([CLI, "kb", "ingest"], env=env, check=True, stdout=subprocess.DEVNULL)
        (home / "ready").write_text("ok")
    return home


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory (VmHWM), in MB; 0 when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


class Stack:
    """One configuration: a fresh copy of the data directory, the provider, ``serve --workers 0`` and N workers."""

    def __init__(self, template: Path, database_url: str | None, *, delay_s: float, lease_s: float, concurrency: int) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="support-tui-team-"))
        self.home = self.dir / "home"
        shutil.copytree(template, self.home)
        self.database_url = database_url
        self.delay_s, self.lease_s, self.concurrency = delay_s, lease_s, concurrency
        self.provider_port, self.port = free_port(), free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "SUPPORT_TUI_HOME": str(self.home), "SUPPORT_TUI_API_KEY": API_KEY,
                    "OPENAI_API_KEY": "sk-bench", "OPENAI_API_BASE": f"http://127.0.0.1:{self.provider_port}/v1",
                    "ANTHROPIC_API_KEY": "sk-ant-bench", "ANTHROPIC_API_BASE": f"http://127.0.0.1:{self.provider_port}",
                    "PYTHONPATH": str(ROOT)}
        if database_url:
            self.env["SUPPORT_TUI_DATABASE_URL"] = database_url
        else:
            self.env.pop("SUPPORT_TUI_DATABASE_URL", None)
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.peaks: dict[str, float] = {}

    def _start(self, name: str, argv: list[str]) -> subprocess.Popen[bytes]:
        log = (self.dir / f"{name}.log").open("ab")
        proc = subprocess.Popen(argv, env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
        self.procs[name] = proc
        return proc

    def log(self, name: str) -> str:
        return (self.dir / f"{name}.log").read_text(errors="replace")

    async def _said(self, name: str, text: str, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.log(name):
            if self.procs[name].poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start:\n{self.log(name)[-2000:]}")
            await asyncio.sleep(0.25)

    async def start(self, workers: int) -> None:
        self._start("provider", [sys.executable, str(Path(__file__).with_name("team.py")), "--provider",
                                 str(self.provider_port), str(self.delay_s)])
        self._start("serve", [CLI, "serve", "--workers", "0", "--port", str(self.port)])
        await self._said("serve", "serving on")  # the store (and on PostgreSQL the history) is set up first
        for n in range(workers):
            self.start_worker(f"worker-{n + 1}")
        for n in range(workers):
            await self._said(f"worker-{n + 1}", "claiming turns")

    def start_worker(self, name: str) -> subprocess.Popen[bytes]:
        return self._start(name, [CLI, "worker", "--concurrency", str(self.concurrency), "--lease", str(self.lease_s)])

    def kill(self, name: str) -> None:
        proc = self.procs[name]
        self.peaks[name] = peak_rss_mb(proc.pid)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)

    def memory(self) -> dict[str, float]:
        """Peak resident memory of serve and of each worker, in MB."""
        live = {name: peak_rss_mb(p.pid) for name, p in self.procs.items() if p.poll() is None}
        return {**self.peaks, **live}

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

    async def store_counts(self) -> dict[str, int]:
        """What the store says: queued turns by status, re-claimed ones, turns run per message, replies per message."""
        queries = {
            "jobs": "SELECT COUNT(*) FROM turn_jobs",
            "jobs_done": "SELECT COUNT(*) FROM turn_jobs WHERE status = 'done'",
            "jobs_unfinished": "SELECT COUNT(*) FROM turn_jobs WHERE status IN ('queued', 'running')",
            "jobs_failed": "SELECT COUNT(*) FROM turn_jobs WHERE status = 'failed'",
            "jobs_reclaimed": "SELECT COUNT(*) FROM turn_jobs WHERE attempts > 1",
            "messages_unanswered": "SELECT COUNT(*) FROM turn_jobs j WHERE NOT EXISTS"
                                   " (SELECT 1 FROM messages m WHERE m.reply_to = j.message_id)",
            "replies_duplicated": "SELECT COUNT(*) FROM (SELECT reply_to FROM messages WHERE role = 'ai'"
                                  " AND reply_to IS NOT NULL GROUP BY reply_to HAVING COUNT(*) > 1) d",
            "turns_rerun": "SELECT COUNT(*) FROM (SELECT message_id FROM turns WHERE message_id IN"
                           " (SELECT message_id FROM turn_jobs) GROUP BY message_id HAVING COUNT(*) > 1) r",
        }
        if self.database_url:
            import asyncpg

            conn = await asyncpg.connect(self.database_url)
            try:
                return {k: int(await conn.fetchval(q)) for k, q in queries.items()}
            finally:
                await conn.close()
        db = sqlite3.connect(self.home / "support.db")
        try:
            return {k: int(db.execute(q).fetchone()[0]) for k, q in queries.items()}
        finally:
            db.close()

