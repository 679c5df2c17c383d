"""``TurnWorker``: claims queued turns from the store and runs them on the engine, several at once, and stops gracefully.

While a turn runs its claim is renewed every third of the lease; a renewal refused means another
worker took the claim over (this one was thought dead), and the turn is cancelled at once. A
worker asked to stop claims nothing more, lets its turns finish for ``grace_s``, then cancels the
rest and gives their claims back, so another worker answers those messages.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from dataclasses import dataclass

from support_tui.core.engine import SupportEngine
from support_tui.core.events import TurnCompleted
from support_tui.core.store.protocol import SupportStore
from support_tui.core.store.queue import DEFAULT_LEASE_S, DEFAULT_MAX_ATTEMPTS, TurnJob

log = logging.getLogger("support_tui.worker")

TURN_FAILED = "Sorry, something went wrong on our side and this message could not be answered. Please send it again."
"""What the customer reads when their message's turn failed (the reason stays in the trace and the queue)."""


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
        grace_s: float = 30.0,
    ) -> None:
        if concurrency < 1:
            raise ValueError("a worker runs at least one turn at a time")
        self.engine, self.store = engine, store
        self.name = name or worker_name()
        self.concurrency, self.lease_s, self.poll_s = concurrency, lease_s, poll_s
        self.max_attempts, self.grace_s = max_attempts, grace_s
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
            except Exception:  # the database is away: keep trying, slowly
                log.warning("%s: could not claim a turn; retrying in 1 s", self.name, exc_info=True)
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
        if job.answered:  # the last worker stored the reply and died before it could say so
            self.counts.already_answered += 1
            await self.store.finish_turn_job(job, "done")
            return
        turn = asyncio.current_task()
        assert turn is not None
        lease = asyncio.create_task(self._keep_lease(job, turn))
        try:
            status, error = "failed", "the turn ended without a result"
            async for event in self.engine.run_queued_turn(job):
                if isinstance(event, TurnCompleted):
                    status, error = event.status, event.error or ""
        except asyncio.CancelledError:
            self.counts.released += 1
            await asyncio.shield(self._give_back(job))
            raise
        except Exception as exc:  # the turn could not start (the conversation is gone ...): never retried
            log.exception("%s: turn of message %s failed", self.name, job.message_id)
            status, error = "failed", f"{type(exc).__name__}: {exc}"
        finally:
            lease.cancel()
        failed = status in ("failed", "cancelled")
        self.counts.failed += failed
        self.counts.answered += not failed
        if failed:  # the customer is told, once (a reply stored before the failure stays the one reply)
            await self.store.add_message(job.conversation_id, "system", TURN_FAILED, reply_to=job.message_id)
        await self.store.finish_turn_job(job, "failed" if failed else "done", error or None)

    async def _give_back(self, job: TurnJob) -> None:
        try:
            await self.store.release_turn_job(job)
        except Exception:  # its lease lapses instead and another worker claims it
            log.warning("%s: could not give back message %s", self.name, job.message_id, exc_info=True)

    async def _keep_lease(self, job: TurnJob, turn: asyncio.Task[None]) -> None:
        while True:
            await asyncio.sleep(self.lease_s / 3)
            try:
                held = await self.store.renew_turn_job(job, self.lease_s)
            except Exception:
                log.warning("%s: could not renew the claim of message %s", self.name, job.message_id, exc_info=True)
                continue
            if not held:
                log.warning("%s: the claim of message %s was taken over; stopping its turn", self.name, job.message_id)
                turn.cancel()
                return
