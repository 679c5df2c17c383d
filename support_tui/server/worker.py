"""``TurnWorker``: claims queued turns from the store and runs them on the engine, several at once, and stops gracefully.

While a turn runs its claim is renewed every third of the lease; a renewal refused means another
worker took the claim over (this one was thought dead), and the turn is cancelled at once. A
worker asked to stop claims nothing more, lets its turns finish for ``grace_s``, then cancels the
rest and gives their claims back, so another worker answers those messages.

The worker shows its presence to the store while it runs (``SupportStore.worker_presence``): if it
dies, its claims are taken over at once rather than when their leases lapse. A turn that fails
because the database is away is given back (not failed): it runs again once the database is back.
Every claim ends finished or given back as soon as the database takes the write; no turn's task
ends with an exception nobody reads.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from dataclasses import dataclass
from typing import Awaitable, Callable

from support_tui.core.engine import SupportEngine
from support_tui.core.events import TurnCompleted
from support_tui.core.store.sql.faults import store_unavailable
from support_tui.core.store.protocol import SupportStore
from support_tui.core.store.queue.jobs import DEFAULT_LEASE_S, DEFAULT_MAX_ATTEMPTS, TurnJob

log = logging.getLogger("support_tui.worker")

TURN_FAILED = "Sorry, something went wrong on our side and this message could not be answered. Please send it again."
"""What the customer reads when their message's turn failed (the reason stays in the trace and the queue)."""

SETTLE_S = 60.0
"""How long a worker keeps trying to record a claim's end (finished or given back) while the database is away."""


def worker_name(index: int = 0) -> str:
    """``host:pid:index``: who holds a claim, as the queue records it."""
    return f"{socket.gethostname()}:{os.getpid()}:{index}"


@dataclass
class WorkerCounts:
    """What a worker did since it started."""

    answered: int = 0
    """Turns run to their end (completed, awaiting approval, a person handling it ...)."""
    already_answered: int = 0
    """Claims of a message whose reply was stored by a worker that died before finishing the job."""
    failed: int = 0
    released: int = 0
    """Claims given back unfinished (stopping, or the claim was taken over)."""


class TurnWorker:
    """Runs queued turns: up to ``concurrency`` at once, each under a renewed lease."""

    def __init__(
        self, engine: SupportEngine, store: SupportStore, *, name: str | None = None, concurrency: int = 8,
        lease_s: float = DEFAULT_LEASE_S, poll_s: float = 0.1, max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        grace_s: float = 30.0, settle_s: float = SETTLE_S,
    ) -> None:
        if concurrency < 1:
            raise ValueError("a worker runs at least one turn at a time")
        self.engine, self.store = engine, store
        self.name = name or worker_name()
        self.concurrency, self.lease_s, self.poll_s = concurrency, lease_s, poll_s
        self.max_attempts, self.grace_s, self.settle_s = max_attempts, grace_s, settle_s
        self.counts = WorkerCounts()
        self._stopping = asyncio.Event()
        self._turns: set[asyncio.Task[None]] = set()

    @property
    def running(self) -> int:
        """Turns in flight now."""
        return len(self._turns)

    def stop(self) -> None:
        """Claim nothing more; ``run`` returns once the turns in flight are done (or ``grace_s`` passed)."""
        self._stopping.set()

    async def run(self) -> None:
        """Claim and run turns until ``stop``; then finish or give back what is in flight."""
        await self.engine.wait_ready()  # the lease must not tick while the models load
        async with self.store.worker_presence(self.name):
            try:
                await self._claim_until_stopped()
            finally:
                await self._drain()

    async def _claim_until_stopped(self) -> None:
        while not self._stopping.is_set():
            if len(self._turns) >= self.concurrency:
                await asyncio.wait(self._turns, return_when=asyncio.FIRST_COMPLETED)
                continue
            try:
                job = await self.store.claim_turn_job(self.name, self.lease_s, max_attempts=self.max_attempts)
            except Exception as exc:  # the database is away: keep trying, slowly
                log.warning("%s: could not claim a turn; retrying in 1 s (%s: %s)", self.name, type(exc).__name__, exc,
                            exc_info=not store_unavailable(exc))
                await self._pause(1.0)
                continue
            if job is None:
                await self._pause(self.poll_s)
                continue
            task = asyncio.create_task(self._answer(job), name=f"turn {job.message_id}")
            self._turns.add(task)
            task.add_done_callback(self._turns.discard)

    async def _pause(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._stopping.wait(), seconds)
        except asyncio.TimeoutError:
            pass

    async def _drain(self) -> None:
        if self._turns:
            _, late = await asyncio.wait(set(self._turns), timeout=self.grace_s)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late)

    async def _answer(self, job: TurnJob) -> None:
        """Run one claimed turn and record its end; never raises (a task nobody awaits must not fail)."""
        try:
            await self._run(job)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s: message %s could not be settled", self.name, job.message_id)

    async def _run(self, job: TurnJob) -> None:
        if job.answered:  # the last worker stored the reply and died before it could say so
            self.counts.already_answered += 1
            await self._settle(job, lambda: self.store.finish_turn_job(job, "done"))
            return
        turn = asyncio.current_task()
        assert turn is not None
        lease = asyncio.create_task(self._keep_lease(job, turn))
        status, error, away = "failed", "the turn ended without a result", False
        try:
            async for event in self.engine.run_queued_turn(job):
                if isinstance(event, TurnCompleted):
                    status, error = event.status, event.error or ""
        except asyncio.CancelledError:
            self.counts.released += 1
            await asyncio.shield(self._give_back(job))
            raise
        except Exception as exc:  # the turn could not start (the conversation is gone ...): never retried
            away = store_unavailable(exc)
            if not away:
                log.exception("%s: turn of message %s failed", self.name, job.message_id)
            status, error = "failed", f"{type(exc).__name__}: {exc}"
        finally:
            lease.cancel()
            await asyncio.wait([lease])  # its query, if one is in flight, ends before the next one starts
        failed = status in ("failed", "cancelled")
        if failed and (away or not await self._reachable()):
            # The database went away under the turn: give the message back; it runs again once it is back.
            log.warning("%s: the database is away; message %s goes back to the queue", self.name, job.message_id)
            self.counts.released += 1
            await self._settle(job, lambda: self.store.release_turn_job(job))
            return
        self.counts.failed += failed
        self.counts.answered += not failed
        if failed:  # the customer is told, once (a reply stored before the failure stays the one reply)
            await self._settle(job, lambda: self.store.add_message(
                job.conversation_id, "system", TURN_FAILED, reply_to=job.message_id))
        await self._settle(job, lambda: self.store.finish_turn_job(job, "failed" if failed else "done", error or None))

    async def _reachable(self) -> bool:
        try:
            await asyncio.wait_for(self.store.ping(), 5.0)
        except Exception:
            return False
        return True

    async def _settle(self, job: TurnJob, write: Callable[[], Awaitable[object]], within: float | None = None) -> None:
        """``write`` until the database takes it (for up to ``within``, default ``settle_s``, while it is away);
        else the claim is left to lapse, which the worker's presence makes immediate once this process is gone."""
        loop = asyncio.get_running_loop()
        deadline, pause = loop.time() + (self.settle_s if within is None else within), 0.25
        while True:
            try:
                await write()
                return
            except Exception as exc:
                if not store_unavailable(exc) or loop.time() + pause > deadline:
                    raise
            await asyncio.sleep(pause)
            pause = min(pause * 2, 2.0)

    async def _give_back(self, job: TurnJob) -> None:
        try:
            # Brief: a worker being stopped must not hang on a database that is away.
            await self._settle(job, lambda: self.store.release_turn_job(job), within=5.0)
        except Exception:  # its lease lapses instead and another worker claims it
            log.warning("%s: could not give back message %s", self.name, job.message_id, exc_info=True)

    async def _keep_lease(self, job: TurnJob, turn: asyncio.Task[None]) -> None:
        while True:
            await asyncio.sleep(self.lease_s / 3)
            try:
                held = await self.store.renew_turn_job(job, self.lease_s)
            except Exception as exc:
                log.warning("%s: could not renew the claim of message %s (%s: %s)", self.name, job.message_id,
                            type(exc).__name__, exc, exc_info=not store_unavailable(exc))
                continue
            if not held:
                log.warning("%s: the claim of message %s was taken over; stopping its turn", self.name, job.message_id)
                turn.cancel()
                return
