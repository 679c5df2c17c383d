"""Team: the customer channel and 1, 2, 4 worker processes on PostgreSQL, under a rising rate of customers.

Each customer opens a conversation through the API (server key), opens its live stream (SSE),
sends a message, waits for the reply on the stream, then sends a second one. Every model call is
answered by a loopback fake provider after 800 ms. The rate of customer messages (turns/s) rises
step by step; a step is sustained when the p95 customer-visible latency (message posted -> reply
on the stream) is at most 3 s and every message of the step was answered. Reported per worker
count: the highest sustained turns/s, latencies, peak memory per worker, lost and duplicated
replies (from the customers' streams and from the store). The customers left after the ladder then
come at the highest sustained rate (the soak), to show it holds for all of them. Also: one worker SIGKILLed and restarted
mid-load, and SQLite with one worker. ``--customers`` caps the customers of each configuration
(default 10,000); ``--step-seconds`` is how long each rate is held.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import support_tui.core.offline_env  # noqa: E402,F401

from common import CACHE, percentile  # noqa: E402
from team_stack import API_KEY, Stack, prepared_home, serve_provider  # noqa: E402

RATES = (2, 4, 6, 8, 10, 13, 16, 20, 25, 32, 40)
"""Customer messages per second, step by step."""
P95_LIMIT_S = 3.0
REPLY_TIMEOUT_S = 30.0
"""A message with no reply this long after it was posted counts as lost."""
CUSTOMERS = ("cust_12345", "cust_23456", "cust_34567", "cust_45678")
QUESTIONS = ("Where is my order? It has been a week.", "Do you ship to Canada?")


@dataclass
class Sample:
    step: int
    latency_s: float | None
    """None: lost (no reply within REPLY_TIMEOUT_S)."""
    replies: int = 1
    """Replies the stream showed for this message (more than 1 is a duplicate)."""
    replied_at: float | None = None


@dataclass
class Load:
    """The client side: every customer's samples and failures."""

    base: str
    samples: list[Sample] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    async def customer(self, http: Any, number: int, step: int, think_s: float) -> None:
        try:
            opened = await http.post(f"{self.base}/api/conversations", json={"customer_id": CUSTOMERS[number % 4]},
                                     headers={"Authorization": f"Bearer {API_KEY}"})
            body = await opened.json()
            if opened.status != 201:
                raise RuntimeError(f"open: {opened.status} {body}")
            conv, auth = body["conversation_id"], {"Authorization": f"Bearer {body['token']}"}
            replies: dict[int, list[float]] = {}
            arrived = asyncio.Event()
            async with http.get(f"{self.base}/api/conversations/{conv}/stream", headers=auth,
                                timeout=None) as stream:
                reader = asyncio.create_task(self._read(stream, replies, arrived))
                try:
                    for question in QUESTIONS:
                        await self._ask(http, conv, auth, question, step, replies, arrived)
                        await asyncio.sleep(think_s)
                finally:
                    reader.cancel()
        except Exception as exc:  # counted, never fatal: the run reports it
            self.errors.append(f"{type(exc).__name__}: {exc}")

    async def _read(self, stream: Any, replies: dict[int, list[float]], arrived: asyncio.Event) -> None:
        async for raw in stream.content:
            line = raw.decode()
            if line.startswith("data: "):
                message = json.loads(line[6:])
                if message["role"] == "ai" and message.get("reply_to") is not None:
                    replies.setdefault(int(message["reply_to"]), []).append(time.perf_counter())
                    arrived.set()

    async def _ask(self, http: Any, conv: str, auth: dict[str, str], text: str, step: int,
                   replies: dict[int, list[float]], arrived: asyncio.Event) -> None:
        started = time.perf_counter()
        posted = await http.post(f"{self.base}/api/conversations/{conv}/messages", json={"text": text}, headers=auth)
        if posted.status != 202:
            raise RuntimeError(f"post: {posted.status} {await posted.text()}")
        message_id = int((await posted.json())["message_id"])
        deadline = started + REPLY_TIMEOUT_S
        while message_id not in replies and time.perf_counter() < deadline:
            arrived.clear()
            try:
                await asyncio.wait_for(arrived.wait(), max(0.01, deadline - time.perf_counter()))
            except asyncio.TimeoutError:
                break
        seen = replies.get(message_id)
        self.samples.append(Sample(step, seen[0] - started if seen else None, len(seen or []), seen[0] if seen else None))


def step_figures(samples: list[Sample]) -> dict[str, float]:
    answered = [s.latency_s for s in samples if s.latency_s is not None]
    return {"messages": len(samples), "lost": len(samples) - len(answered),
            "duplicated": sum(1 for s in samples if s.replies > 1),
            "p50_s": round(percentile(answered, 50), 2), "p95_s": round(percentile(answered, 95), 2)}


async def ladder(load: Load, rates: tuple[float, ...], step_s: float, budget: int, *,
                 stop_on_failure: bool = True, during: Any = None, first_step: int = 0) -> list[dict[str, float]]:
    """Customers at each rate in turn (two messages each), until a step fails or the budget is spent."""
    import aiohttp

    steps: list[dict[str, float]] = []
    tasks: list[asyncio.Task[None]] = []
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=120)) as http:
        started, used = time.perf_counter(), 0
        for index, rate in enumerate(rates, first_step):
            customers = min(budget - used, max(1, round(rate * step_s / len(QUESTIONS))))
            gap = len(QUESTIONS) / rate
            t0 = time.perf_counter()
            for n in range(customers):
                await asyncio.sleep(max(0.0, t0 + n * gap - time.perf_counter()))
                tasks.append(asyncio.create_task(load.customer(http, used + n, index, think_s=0.5)))
                if during is not None:
                    await during(time.perf_counter() - started)
            used += customers
            window = (t0, time.perf_counter())
            await asyncio.gather(*[t for t in tasks if not t.done()])  # the step's customers finish
            figures = step_figures([s for s in load.samples if s.step == index])
            # Throughput while customers kept arriving, once the first ones are past their first cycle
            # (two replies and a pause): replies that reached a customer per second of that window.
            warm = min((window[1] - window[0]) / 2, 2 * figures["p50_s"] + 0.5)
            start, span = window[0] + warm, max(window[1] - window[0] - warm, 0.5)
            done = sum(1 for s in load.samples if s.replied_at is not None and start <= s.replied_at <= window[1])
            figures |= {"rate": rate, "achieved_turns_s": round(done / span, 2), "customers": customers}
            figures["sustained"] = float(figures["p95_s"] <= P95_LIMIT_S and figures["lost"] == 0 and not load.errors)
            steps.append(figures)
            print(f"    step {rate:>5} msg/s: {figures}", file=sys.stderr, flush=True)
            if (stop_on_failure and not figures["sustained"]) or used >= budget:
                break
    return steps


async def configuration(template: Path, url: str | None, workers: int, rates: tuple[float, ...], args: argparse.Namespace,
                        kill_at_s: float | None = None) -> dict[str, float]:
    stack = Stack(template, url, delay_s=args.delay, lease_s=args.lease, concurrency=args.concurrency)
    try:
        await stack.start(workers)
        load = Load(stack.base)
        killed: list[float] = []

        async def kill_one(elapsed: float) -> None:
            if kill_at_s is not None and not killed and elapsed >= kill_at_s:
                killed.append(elapsed)
                stack.kill("worker-1")
                stack.start_worker("worker-1b")  # restarted at once; it loads, then claims

        steps = await ladder(load, rates, args.step_seconds, args.customers, stop_on_failure=kill_at_s is None,
                             during=kill_one if kill_at_s is not None else None)
        best = max((s for s in steps if s["sustained"]), key=lambda s: s["rate"], default=None)
        left = args.customers - int(sum(s["customers"] for s in steps))
        soak: dict[str, float] = {}
        if kill_at_s is None and best is not None and left > 0:
            # The rest of the customers at the highest sustained rate: does it hold for all of them?
            print(f"    soak: {left} customers at {best['rate']} msg/s", file=sys.stderr, flush=True)
            soak = (await ladder(load, (best["rate"],), left * len(QUESTIONS) / best["rate"], left,
                                 first_step=len(steps)))[0]
        await asyncio.sleep(2)
        counts = await stack.store_counts()
        memory = stack.memory()
    finally:
        stack.stop()
    worker_mb = [mb for name, mb in memory.items() if name.startswith("worker")]
    everything = step_figures(load.samples)
    return {
        "sustained_turns_s": best["achieved_turns_s"] if best else 0.0,
        "sustained_p95_s": best["p95_s"] if best else 0.0,
        "highest_rate_tried": steps[-1]["rate"] if steps else 0.0,
        "p95_s_at_highest": steps[-1]["p95_s"] if steps else 0.0,
        "soak_rate": soak.get("rate", 0.0), "soak_customers": soak.get("customers", 0.0),
        "soak_turns_s": soak.get("achieved_turns_s", 0.0), "soak_p95_s": soak.get("p95_s", 0.0),
        "soak_sustained": soak.get("sustained", 0.0),
        "customers": sum(s["customers"] for s in steps) + soak.get("customers", 0.0), "messages": everything["messages"],
        "lost_replies": everything["lost"], "duplicated_replies_seen": everything["duplicated"],
        "client_errors": len(load.errors), "worker_peak_mb": max(worker_mb, default=0.0),
        "serve_peak_mb": memory.get("serve", 0.0), **{f"store_{k}": v for k, v in counts.items()},
    }


async def _run(args: argparse.Namespace) -> dict[str, float]:
    from tests.pg import PostgresCluster

    template = prepared_home(CACHE)
    cluster = PostgresCluster().start()
    results: dict[str, float] = {}
    try:
        for workers in args.workers:
            print(f"  postgres, {workers} worker(s)", file=sys.stderr, flush=True)
            got = await configuration(template, await cluster.new_database("team"), workers, RATES, args)
            results |= {f"pg_w{workers}.{k}": v for k, v in got.items()}
        if args.kill:
            rate = round(max(2.0, results.get("pg_w2.sustained_turns_s", 8.0) * 0.6), 1)
            print(f"  postgres, 2 workers, one SIGKILLed and restarted at {args.step_seconds / 2:.0f} s, {rate:.1f} msg/s",
                  file=sys.stderr, flush=True)
            longer = argparse.Namespace(**{**vars(args), "step_seconds": args.step_seconds * 2})
            got = await configuration(template, await cluster.new_database("team"), 2, (rate,), longer,
                                      kill_at_s=args.step_seconds / 2)
            results |= {f"pg_w2_kill.{k}": v for k, v in got.items()}
        if args.sqlite:
            print("  sqlite, 1 worker", file=sys.stderr, flush=True)
            got = await configuration(template, None, 1, RATES, args)
            results |= {f"sqlite_w1.{k}": v for k, v in got.items()}
    finally:
        cluster.stop()
    results["load_average_1m"] = round(os.getloadavg()[0], 2)  # the machine is shared: how busy it was at the end
    return results


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--customers", type=int, default=10_000, help="customers per configuration at most (default 10000)")
    p.add_argument("--step-seconds", type=float, default=60.0, help="seconds each rate is held (default 60)")
    p.add_argument("--workers", type=lambda s: [int(n) for n in s.split(",")], default=[1, 2, 4],
                   help="worker process counts on PostgreSQL (default 1,2,4)")
    p.add_argument("--concurrency", type=int, default=32, help="turns each worker runs at once (default 32)")
    p.add_argument("--lease", type=float, default=5.0, help="worker lease in seconds (default 5)")
    p.add_argument("--delay", type=float, default=0.8, help="the fake model's delay per call, seconds (default 0.8)")
    p.add_argument("--no-kill", dest="kill", action="store_false", help="skip the SIGKILL run")
    p.add_argument("--no-sqlite", dest="sqlite", action="store_false", help="skip the SQLite run")
    p.add_argument("--json", action="store_true")
    return p


def run(argv: list[str] | None = None) -> dict[str, float]:
    """For benchmarks/run.py: the defaults, or ``argv``."""
    return asyncio.run(_run(parser().parse_args(argv or [])))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--provider":
        serve_provider(int(sys.argv[2]), float(sys.argv[3]))
        raise SystemExit(0)
    options = parser().parse_args()
    figures = {"team": asyncio.run(_run(options))}
    if options.json:
        print(json.dumps(figures, indent=2))
    else:
        from common import print_table

        print_table(figures)
