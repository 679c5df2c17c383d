"""The queue of turns in the store, on both backends: atomic enqueue, claims, leases, fencing, one reply per message."""

from __future__ import annotations

import asyncio

import pytest

from tests.pg import BACKENDS, support_store


@pytest.fixture(params=BACKENDS)
async def store(request, tmp_path):
    async with support_store(request.param, request, tmp_path) as s:
        await s.migrate()
        yield s


async def test_a_message_is_stored_and_queued_together_and_an_unknown_conversation_writes_nothing(store):
    conv = await store.create_conversation("cust_1")
    queued = await store.enqueue_customer_message(conv.id, "where is my order?")
    [message] = await store.messages(conv.id)
    assert (message.id, message.role, message.text) == (queued.message_id, "customer", "where is my order?")
    [job] = await store.turn_jobs(conv.id)
    assert (job.message_id, job.status, job.attempts) == (queued.message_id, "queued", 0)

    with pytest.raises(LookupError):
        await store.enqueue_customer_message("conv_missing", "hello")
    assert len(await store.turn_jobs()) == 1
    assert await store.messages("conv_missing") == []


async def test_one_turn_per_conversation_at_a_time_in_message_order(store):
    a = await store.create_conversation("cust_a")
    b = await store.create_conversation("cust_b")
    a1 = await store.enqueue_customer_message(a.id, "first")
    a2 = await store.enqueue_customer_message(a.id, "second")
    b1 = await store.enqueue_customer_message(b.id, "other customer")

    first = await store.claim_turn_job("w1", 30)
    other = await store.claim_turn_job("w2", 30)
    assert (first.message_id, other.message_id) == (a1.message_id, b1.message_id)
    assert first.turn_id and first.turn_id != other.turn_id
    assert await store.claim_turn_job("w3", 30) is None  # a's second message waits for its first turn
    # The customer's message now belongs to the claim's turn.
    assert (await store.get_message(a1.message_id)).turn_id == first.turn_id

    assert await store.finish_turn_job(first, "done")
    nxt = await store.claim_turn_job("w3", 30)
    assert nxt.message_id == a2.message_id and nxt.attempts == 1
    assert [j.status for j in await store.turn_jobs(a.id)] == ["done", "running"]


async def test_a_lapsed_lease_is_claimed_again_and_the_old_claim_can_no_longer_change_the_job(store):
    conv = await store.create_conversation("cust_1")
    queued = await store.enqueue_customer_message(conv.id, "refund please")
    dead = await store.claim_turn_job("w1", 0.2)
    assert await store.claim_turn_job("w2", 30) is None  # the lease still holds
    assert await store.renew_turn_job(dead, 0.2)
    await asyncio.sleep(0.4)

    again = await store.claim_turn_job("w2", 30)
    assert (again.message_id, again.attempts, again.worker) == (queued.message_id, 2, "w2")
    assert again.turn_id != dead.turn_id and not again.answered
    # The first worker comes back: its claim is fenced off.
    assert not await store.renew_turn_job(dead, 30)
    assert not await store.finish_turn_job(dead, "done")
    assert not await store.release_turn_job(dead)
    assert await store.finish_turn_job(again, "done")
    [job] = await store.turn_jobs(conv.id)
    assert (job.status, job.worker, job.lease_expires) == ("done", "w2", None)


async def test_a_message_keeps_one_reply_and_a_claim_after_it_says_it_is_answered(store):
    conv = await store.create_conversation("cust_1")
    queued = await store.enqueue_customer_message(conv.id, "hello")
    first = await store.claim_turn_job("w1", 0.2)
    reply = await store.add_message(conv.id, "ai", "Hi!", turn_id=first.turn_id, reply_to=queued.message_id)
    await asyncio.sleep(0.4)  # the worker died between its reply and its finish

    again = await store.claim_turn_job("w2", 30)
    assert again.answered
    duplicate = await store.add_message(conv.id, "ai", "Hi again!", turn_id=again.turn_id, reply_to=queued.message_id)
    assert duplicate == reply
    replies = [m for m in await store.messages(conv.id) if m.role == "ai"]
    assert [(m.text, m.reply_to) for m in replies] == [("Hi!", queued.message_id)]
    # Ordinary messages carry no reply_to and are never merged.
    await store.add_message(conv.id, "ai", "one")
    await store.add_message(conv.id, "ai", "two")
    assert len([m for m in await store.messages(conv.id) if m.role == "ai"]) == 3


async def test_claims_that_lapse_too_often_fail_instead_of_killing_every_worker(store):
    conv = await store.create_conversation("cust_1")
    await store.enqueue_customer_message(conv.id, "a message that crashes workers")
    for attempt in (1, 2):
        job = await store.claim_turn_job(f"w{attempt}", 0.05, max_attempts=2)
        assert job.attempts == attempt
        await asyncio.sleep(0.15)
    assert await store.claim_turn_job("w3", 30, max_attempts=2) is None
    [job] = await store.turn_jobs(conv.id)
    assert job.status == "failed" and "gave up after 2" in job.error
    # The customer is told once, as the reply to that message, however often workers look again.
    assert await store.claim_turn_job("w4", 30, max_attempts=2) is None
    from support_tui.core.store.queue.jobs import GAVE_UP_REPLY

    notices = [(m.role, m.text, m.reply_to) for m in await store.messages(conv.id) if m.role != "customer"]
    assert notices == [("system", GAVE_UP_REPLY, job.message_id)]


async def test_a_released_claim_waits_for_the_next_worker_without_using_up_an_attempt(store):
    conv = await store.create_conversation("cust_1")
    await store.enqueue_customer_message(conv.id, "hello")
    job = await store.claim_turn_job("w1", 30)
    assert await store.release_turn_job(job)
    again = await store.claim_turn_job("w2", 30)
    assert again.attempts == 1 and again.worker == "w2"


async def test_concurrent_claimers_never_hold_one_conversation_twice(store):
    convs = [await store.create_conversation(f"cust_{i}") for i in range(6)]
    for conv in convs:
        for n in range(3):
            await store.enqueue_customer_message(conv.id, f"message {n}")
    held: dict[str, str] = {}
    order: dict[str, list[int]] = {c.id: [] for c in convs}
    overlaps = []

    async def worker(name: str) -> None:
        while True:
            job = await store.claim_turn_job(name, 30)
            if job is None:
                if not await store.turn_jobs(statuses=("queued", "running")):
                    return
                await asyncio.sleep(0.01)
                continue
            if job.conversation_id in held:
                overlaps.append(job.conversation_id)
            held[job.conversation_id] = name
            order[job.conversation_id].append(job.message_id)
            await asyncio.sleep(0.005)
            del held[job.conversation_id]
            assert await store.finish_turn_job(job, "done")

    await asyncio.wait_for(asyncio.gather(*(worker(f"w{i}") for i in range(4))), 60)
    assert overlaps == []
    assert all(ids == sorted(ids) and len(ids) == 3 for ids in order.values())


async def test_a_process_starting_marks_dead_turns_but_never_one_a_worker_holds_under_a_live_lease(store):
    conv = await store.create_conversation("cust_1")
    queued = await store.enqueue_customer_message(conv.id, "where is my order?")
    live = await store.claim_turn_job("w1", 30)
    await store.start_turn(live.turn_id, conv.id, queued.message_id)
    console = await store.create_conversation("cust_2")
    console_message = await store.add_message(console.id, "customer", "hello")
    await store.start_turn("turn_console", console.id, console_message)

    # Another machine starts on a shared store: the worker's turn and a console turn that began just now stay.
    assert await store.mark_interrupted_turns(grace_s=600) == 0
    assert {t.status for t in await store.turns(conv.id)} == {"running"}
    # A process on its own store: the console's turn is dead, the leased one is still not touched.
    assert await store.mark_interrupted_turns() == 1
    assert [t.status for t in await store.turns(console.id)] == ["interrupted"]
    assert [t.status for t in await store.turns(conv.id)] == ["running"]

    # Once the worker's lease lapses (it was killed), its turn is dead too.
    assert await store.renew_turn_job(live, 0.1)
    await asyncio.sleep(0.3)
    assert await store.mark_interrupted_turns() == 1
    assert [t.status for t in await store.turns(conv.id)] == ["interrupted"]


async def test_a_page_of_messages_after_a_cursor_goes_past_any_window(store):
    conv = await store.create_conversation("cust_1")
    ids = [await store.add_message(conv.id, "customer", f"m{n}") for n in range(250)]
    await store.add_message(conv.id, "ai", "a draft", status="draft")
    await store.add_message(conv.id, "tool", "not for customers")
    page = await store.messages_after(conv.id, ids[10], 200, roles=("customer", "ai"))
    assert [m.id for m in page] == ids[11:211]
    rest = await store.messages_after(conv.id, page[-1].id, 200, roles=("customer", "ai"))
    assert [m.text for m in rest] == [f"m{n}" for n in range(211, 250)]
    await store.ping()


async def test_a_dead_workers_claim_is_taken_over_before_its_lease_lapses(store, tmp_path, request):
    """The worker showing its presence dies (PostgreSQL: its lock's session ends; SQLite: its process is gone)."""
    import socket
    import subprocess
    import sys

    conv = await store.create_conversation("cust_1")
    await store.enqueue_customer_message(conv.id, "hello")
    if hasattr(store.db, "url"):  # PostgreSQL: the doomed worker's presence lives on a store of its own
        from support_tui.core.store import postgres_support_store

        other = postgres_support_store(store.db.url)
        presence = other.worker_presence("doomed")
        await presence.__aenter__()
        for _ in range(100):
            if other._presence.watched("doomed"):
                break
            await asyncio.sleep(0.05)
        job = await other.claim_turn_job("doomed", 30)
        assert await store.claim_turn_job("rescuer", 30) is None  # alive: its claim holds
        await presence.__aexit__(None, None, None)  # the session that held the lock ends
        await other.close()
    else:
        child = subprocess.Popen([sys.executable, "-c", "pass"])
        child.wait()
        dead = f"{socket.gethostname()}:{child.pid}:0"
        store._presence._present[dead] = True  # as if that process had claimed under worker_presence
        job = await store.claim_turn_job(dead, 30)
    rescued = await store.claim_turn_job("rescuer", 30)
    assert rescued is not None and rescued.message_id == job.message_id and rescued.attempts == 2


async def test_a_live_present_workers_claim_is_never_taken_over(store):
    import os
    import socket

    conv = await store.create_conversation("cust_1")
    await store.enqueue_customer_message(conv.id, "hello")
    me = f"{socket.gethostname()}:{os.getpid()}:0"
    async with store.worker_presence(me):
        for _ in range(100):
            if not hasattr(store.db, "url") or store._presence.watched(me):
                break
            await asyncio.sleep(0.05)
        job = await store.claim_turn_job(me, 30)
        assert job is not None
        assert await store.claim_turn_job("other", 30) is None
