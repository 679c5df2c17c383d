"""Queued turns: the records of the ``turn_jobs`` table, where customers' messages wait for a worker.

A customer's message that arrives through the customer channel is stored and queued in one
transaction (``SupportStore.enqueue_customer_message``). Workers claim the oldest message of a
conversation with no turn running, under a lease they renew while the turn runs; a worker killed
mid-turn stops renewing, the lease expires and another worker claims the message again; a worker that
shows its presence (``SupportStore.worker_presence``) is seen dead at once, not after its lease. Each claim
gets a fresh ``turn_id``, which is also the fencing token: renewing, finishing and releasing a claim
name it, so a worker whose lease was taken over can no longer change the job. The reply of a queued
turn is stored with ``reply_to`` set to the message it answers, and the store keeps at most one such
reply per message, so the customer gets exactly one reply however many times the turn ran.
"""

from __future__ import annotations

from typing import Literal

from support_tui.core.store.records.values import Record

JobStatus = Literal["queued", "running", "done", "failed"]
"""queued: waits for a worker; running: claimed under a lease; done: answered; failed: gave up."""

DEFAULT_LEASE_S = 30.0
"""How long a claim lasts unless renewed; a worker renews it every third of this while the turn runs."""

DEFAULT_MAX_ATTEMPTS = 3
"""Claims of one message before it is marked failed (a message that kills every worker that runs it)."""

GAVE_UP_REPLY = ("Sorry, we could not answer this message: it failed several times on our side."
                 " Please send it again, or ask for a person.")
"""The one ``system`` reply a customer gets when their message is given up on (``max_attempts`` claims lapsed)."""

PRESENCE_LOCK = 0x5354_4C57
"""PostgreSQL: the first key of every worker's session-level advisory lock (the second is ``hashtext(worker)``)."""


class QueuedMessage(Record):
    """A customer's message as the channel stored and queued it."""

    message_id: int
    """The stored message; also the id of its queued turn."""
    conversation_id: str
    text: str
    """The message as stored (cleaned: control characters removed, truncated when too long)."""
    created_at: str
    notices: tuple[str, ...] = ()
    """What cleaning changed before it was stored (control characters removed, truncated), for the sender."""


class TurnJob(Record):
    """One queued turn: a customer's message waiting for, or claimed by, a worker."""

    message_id: int
    """The customer's message this turn answers (one job per message, so it is the job's id)."""
    conversation_id: str
    status: str
    """queued, running, done or failed (``JobStatus``)."""
    attempts: int
    """How many times it has been claimed (1 on the first claim)."""
    worker: str | None
    """Who holds or last held the claim (``host:pid:n``)."""
    turn_id: str | None
    """The turn of the current claim: the fencing token for renew, finish and release."""
    lease_expires: float | None
    """When the claim lapses, in seconds since the epoch by the database's clock."""
    error: str | None
    created_at: str
    started_at: str | None
    finished_at: str | None
    answered: bool = False
    """A reply to this message is already stored (a claim after a worker died between its reply and its finish)."""
