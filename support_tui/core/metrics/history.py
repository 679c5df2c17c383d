"""A seeded, clearly marked fixture history of past support conversations, so metrics have something to show."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Mapping, Sequence

from support_tui.core.events import (
    EscalationRaised, Event, HandoffPacket, ReplyCompleted, RouteDecided, SentimentScored, ToolCallFinished,
    ToolCallRequested, TurnCompleted, TurnStarted, Usage,
)
from support_tui.core.sentiment import label_for
from support_tui.core.store.protocol import SupportStore
from support_tui.core.store.records.values import ConversationInfo, FixtureHistory, Rating, StoredMessage, TurnRecord, stored_time

HISTORY_SEED = 4242
HISTORY_DAYS = 35
"""Five weeks, ending the day before ``today``."""
PREFIX = "hist_"
"""Every fixture-history conversation id starts with this (and has ``is_fixture = 1``)."""
PRICES = {"offline/support-agent": (0.0, 0.0), "openai/gpt-4o": (2.5e-6, 10e-6), "anthropic/claude-sonnet-4-5": (3e-6, 15e-6)}
"""US dollars per prompt and per completion token."""
DEFAULT_MODEL = {"returns_refunds": "anthropic/claude-sonnet-4-5"}
RULES = (("negative_sentiment", 30), ("human_requested", 25), ("policy_blocked", 15), ("legal_or_safety", 10),
         ("vip_negative", 10), ("repeated_failure", 10))
KINDS = (("resolved", 67), ("unverified", 5), ("escalated", 14), ("human", 5), ("abandoned", 9))
"""Every history conversation is closed (status ``closed``, even when escalated): none sits in the live
queue or gets resumed by ``Engine.open_conversation`` for a demo customer."""


@dataclass(frozen=True)
class Topic:
    """One kind of request: who takes it, what the customer says, which tools answer or do it."""

    specialist: str
    ask: str
    read: str
    write: str | None
    needs_order: bool
    weight: int


TOPICS = (
    Topic("order_tracking", "Where is my order {order}? It should have arrived by now.", "track_shipment", None, True, 16),
    Topic("order_tracking", "Please change the delivery address of {order} to my office.", "lookup_order", "change_shipping_address", True, 5),
    Topic("order_tracking", "Can you cancel {order}? I ordered it twice by mistake.", "lookup_order", "cancel_order", True, 5),
    Topic("returns_refunds", "I'd like to return the jacket from {order}, it doesn't fit.", "check_return_eligibility", "create_return", True, 12),
    Topic("returns_refunds", "When will I get the refund for {order}?", "list_returns", None, True, 8),
    Topic("billing_payment", "I was charged twice for {order}.", "explain_charges", "issue_refund", True, 8),
    Topic("billing_payment", "What is this charge on my card from last week?", "explain_charges", None, False, 6),
    Topic("product_info", "Is the trail backpack waterproof, and does it fit a 15 inch laptop?", "get_product", None, False, 9),
    Topic("product_info", "Do you have the running shoes in size 11?", "search_products", None, False, 6),
    Topic("technical_support", "I can't log in, the password reset email never comes.", "get_account", "send_login_link", False, 9),
    Topic("account_management", "Please update the phone number on my account.", "get_account", "update_account", False, 8),
)
SPECIALISTS = tuple(dict.fromkeys(t.specialist for t in TOPICS))


async def history_loaded(store: SupportStore) -> bool:
    """True once the fixture history is in this store."""
    return await store.fixture_history_loaded()


async def load_history(
    store: SupportStore, *, today: date, orders: Mapping[str, Sequence[str]], seed: int = HISTORY_SEED
) -> int:
    """Write the history (conversations, messages, turns, events, ratings); returns how many conversations.

    ``orders`` maps every one of the shop's customers to their order ids (an empty list for none):
    who writes, and about what. A no-op returning 0 when it is already loaded. Everything is
    derived from ``seed``, ``today`` and ``orders``.
    """
    if await history_loaded(store):
        return 0
    customers = sorted(orders) or ["cust_12345"]
    by_customer = {c: sorted(orders.get(c, ())) for c in customers}

    def build(first_message_id: int) -> FixtureHistory:
        history = _History(random.Random(seed), customers, by_customer, first_message_id)
        history.generate(today)
        return history.records()

    return await store.add_fixture_history(build)


class _History:
    """Builds the rows; one instance per load."""

    def __init__(self, rng: random.Random, customers: list[str], orders: dict[str, list[str]], first_message_id: int) -> None:
        self.rng = rng
        demo = [c for c in customers if c in ("cust_12345", "cust_23456", "cust_34567", "cust_45678", "cust_56789")]
        self.customers = customers + demo * 2  # the demo customers are frequent contacts
        self.quiet_after: dict[str, datetime] = {}
        """When each customer may write again without it reading as a reopen of their last conversation."""
        self.orders = orders
        self.message_id = first_message_id
        self.rows: dict[str, list[dict[str, Any]]] = {k: [] for k in ("conversations", "messages", "turns", "ratings")}
        self.events: list[Event] = []

    def records(self) -> FixtureHistory:
        """What ``generate`` made, as the store's records."""
        return FixtureHistory(
            conversations=[ConversationInfo(**c) for c in self.rows["conversations"]],
            messages=[StoredMessage(**m) for m in self.rows["messages"]],
            turns=[TurnRecord(**t) for t in self.rows["turns"]],
            events=self.events,
            ratings=[Rating(**r) for r in self.rows["ratings"]],
        )

    def pick(self, weighted: tuple[tuple[Any, int], ...]) -> Any:
        return self.rng.choices([w[0] for w in weighted], [w[1] for w in weighted])[0]

    def generate(self, today: date) -> None:
        n = 0
        for offset in range(HISTORY_DAYS, 0, -1):
            day = today - timedelta(days=offset)
            base = 8 if day.weekday() >= 5 else 12
            volume = max(2, round(base * (0.85 + 0.3 * (1 - offset / HISTORY_DAYS))) + self.rng.randint(-2, 2))
            for _ in range(volume):
                n += 1
                start = datetime(day.year, day.month, day.day, tzinfo=timezone.utc) + timedelta(
                    hours=self.rng.randint(7, 21), minutes=self.rng.randint(0, 59), seconds=self.rng.randint(0, 59))
                customer = self.customer(start)
                kind = self.pick(KINDS)
                topic = self.rng.choices(TOPICS, [t.weight for t in TOPICS])[0]
                if topic.needs_order and not self.orders.get(customer):
                    topic = TOPICS[7]
                order = self.rng.choice(self.orders[customer]) if topic.needs_order else None
                end = self.conversation(f"{PREFIX}{n:04d}", customer, topic, order, kind, start)
                self.quiet_after[customer] = end + timedelta(hours=80)
                if kind == "resolved" and order and self.rng.random() < 0.08:
                    n += 1  # the customer comes back on the same order: a reopen
                    again = end + timedelta(hours=self.rng.uniform(3, 40))
                    follow = Topic(topic.specialist, "Following up on {order}: it still isn't sorted.", topic.read, topic.write, True, 0)
                    last = self.conversation(f"{PREFIX}{n:04d}", customer, follow, order, self.pick(KINDS[:3]), again)
                    self.quiet_after[customer] = last + timedelta(hours=80)

    def customer(self, start: datetime) -> str:
        """Someone who has not been in touch in the last few days (only planned reopens come back sooner)."""
        for _ in range(20):
            customer = self.rng.choice(self.customers)
            if self.quiet_after.get(customer, start) <= start:
                return customer
        return customer

    def conversation(self, cid: str, customer: str, topic: Topic, order: str | None, kind: str, start: datetime) -> datetime:
        """One conversation of the given kind; returns when it closed."""
        rng = self.rng
        specialist = topic.specialist
        default = DEFAULT_MODEL.get(specialist, "openai/gpt-4o")
        other = "openai/gpt-4o" if default != "openai/gpt-4o" else "anthropic/claude-sonnet-4-5"
        r = rng.random()
        model = "offline/support-agent" if r < 0.3 else default if r < 0.85 else other
        mood = rng.uniform(-0.95, -0.45) if kind == "escalated" else rng.uniform(-0.3, 0.5)
        conv: dict[str, Any] = {"id": cid, "customer_id": customer, "status": "closed", "handled_by": "ai", "agent": specialist,
                "mode": "auto", "model": None, "priority": None, "escalation_reason": None, "outcome": None,
                "summary": None, "state": {}, "is_fixture": True, "created_at": stored_time(start)}
        text = topic.ask.format(order=order or "")
        now = start
        history: list[float] = []
        # First turn: read; a write waits for the customer's yes.
        rule = self.pick(RULES) if kind == "escalated" else None
        now = self.turn(cid, customer, topic, order, model, text, mood, history, now,
                        write="blocked" if topic.write else None,
                        read_status="error" if kind == "unverified" and not topic.write else "ok", escalate=rule)
        if rule:
            conv.update(agent="escalation_manager", priority="high", escalation_reason=f"{rule.replace('_', ' ')} (fixture)")
            if rng.random() < 0.55:
                now = self.human_reply(cid, now, minutes=rng.uniform(8, 120))
                conv.update(handled_by="human", outcome="resolved")
            else:
                conv["outcome"] = "escalated"
        elif kind == "abandoned":
            conv["outcome"] = "abandoned"
            now += timedelta(hours=rng.uniform(2, 24))
        else:
            if topic.write:
                yes = "Yes please, go ahead." if kind != "unverified" else "Hmm, let me think about it."
                now = self.turn(cid, customer, topic, order, model, yes, rng.uniform(0.2, 0.7), history,
                                now + timedelta(seconds=rng.uniform(20, 240)),
                                write="ok" if kind != "unverified" else "blocked")
            if kind == "human":
                self.message(cid, "system", "A person took over the conversation.", now, None, None)
                now = self.human_reply(cid, now, minutes=rng.uniform(3, 40))
                conv["handled_by"] = "human"
            conv["outcome"] = "resolved"
        return self.close(conv, now + timedelta(minutes=rng.uniform(1, 20)))

    def close(self, conv: dict[str, Any], at: datetime) -> datetime:
        conv.update(updated_at=stored_time(at), closed_at=stored_time(at))
        self.rows["conversations"].append(conv)
        if self.rng.random() < 0.4:
            score = self.pick({"resolved": ((5, 50), (4, 32), (3, 10), (2, 5), (1, 3)),
                               "escalated": ((5, 10), (4, 20), (3, 30), (2, 25), (1, 15))}.get(
                conv["outcome"], ((4, 10), (3, 25), (2, 35), (1, 30))))
            if conv["handled_by"] == "human" and score < 5 and self.rng.random() < 0.5:
                score += 1  # a person's help lifts the mood
            self.rows["ratings"].append({"conversation_id": conv["id"], "score": score, "comment": None,
                                         "created_at": stored_time(at + timedelta(minutes=self.rng.uniform(1, 90)))})
        return at

    def message(self, cid: str, role: str, text: str, at: datetime, turn_id: str | None, model: str | None, agent: str | None = None) -> int:
        mid = self.message_id
        self.message_id += 1
        self.rows["messages"].append({"id": mid, "conversation_id": cid, "turn_id": turn_id, "role": role, "text": text,
                                      "agent": agent, "model": model, "status": "sent", "created_at": stored_time(at)})
        return mid

    def human_reply(self, cid: str, now: datetime, *, minutes: float) -> datetime:
        at = now + timedelta(minutes=minutes)
        self.message(cid, "human", "I've looked into this personally and sorted it out for you.", at, None, None, "human")
        return at

    def turn(self, cid: str, customer: str, topic: Topic, order: str | None, model: str, text: str, compound: float,
             history: list[float], now: datetime, *, write: str | None, read_status: str = "ok", escalate: str | None = None) -> datetime:
        rng = self.rng
        tid = f"{cid}_t{len(history) + 1}"
        msg_id = self.message(cid, "customer", text, now, tid, None)
        history.append(round(compound, 4))
        events: list[Event] = []
        clock = now.timestamp() * 1000

        def add(cls: type, **fields: Any) -> None:
            events.append(cls(turn_id=tid, conversation_id=cid, at=clock, **fields))

        add(TurnStarted, customer_id=customer, message_id=msg_id, text=text)
        smoothed = sum(history) / len(history)
        add(SentimentScored, compound=round(compound, 4), label=label_for(compound),
            trend="negative" if smoothed <= -0.3 else "steady", trend_compound=round(smoothed, 4), history=list(history))
        confidence = round(rng.uniform(0.55, 0.97), 4)
        add(RouteDecided, agent=topic.specialist, confidence=confidence, margin=round(confidence - 0.3, 4),
            scores={topic.specialist: confidence}, reason="closest exemplars", method="embedding" if len(history) == 1 else "sticky")
        agent = topic.specialist
        if escalate:
            agent = "escalation_manager"
            packet = HandoffPacket(from_agent=topic.specialist, to_agent="human", reason=escalate, summary=text)
            add(EscalationRaised, rule=escalate, reason=escalate.replace("_", " "), priority="high", packet=packet)
        args = {"order_id": order} if order else {}
        calls: list[tuple[str, str]] = [(topic.read, read_status)] if len(history) == 1 or not write else []
        if write and topic.write and not escalate:
            calls.append((topic.write, write))
        tools_ms = 0.0
        for j, (name, status) in enumerate(calls):
            call_id = f"call_{tid}_{j}"
            duration = round(rng.uniform(4, 60), 3)
            tools_ms += duration
            add(ToolCallRequested, call_id=call_id, name=name, arguments=args)
            add(ToolCallFinished, call_id=call_id, name=name, arguments=args, status=status,
                result={"ok": True} if status == "ok" else None, duration_ms=duration,
                error=None if status == "ok" else "waiting for the customer's yes" if status == "blocked" else "store timeout",
                rule="customer_confirmation" if status == "blocked" else None)
        remote = model != "offline/support-agent"
        model_ms = rng.uniform(1500, 7000) if remote else rng.uniform(60, 400)
        reply_at = now + timedelta(milliseconds=model_ms + tools_ms + rng.uniform(30, 120))
        reply = "A colleague will pick this up shortly." if escalate else "Here is what I found, and what I've done about it."
        reply_id = self.message(cid, "ai", reply, reply_at, tid, model, agent)
        clock = reply_at.timestamp() * 1000
        add(ReplyCompleted, message_id=reply_id, text=reply, agent=agent, model=model)
        prompt = rng.randint(1400, 3600) if remote else rng.randint(500, 1200)
        completion = rng.randint(60, 320)
        price = PRICES[model]
        usage = Usage(prompt_tokens=prompt, completion_tokens=completion, cost_usd=round(prompt * price[0] + completion * price[1], 8))
        timings = {"sentiment": round(rng.uniform(1, 5), 3), "embed": round(rng.uniform(8, 25), 3), "route": round(rng.uniform(1, 4), 3),
                   "retrieve": round(rng.uniform(5, 20), 3), "model": round(model_ms, 3), "tools": round(tools_ms, 3)}
        timings["total"] = round((reply_at - now).total_seconds() * 1000, 3)
        add(TurnCompleted, status="completed", timings_ms=timings, usage=usage)
        self.rows["turns"].append({
            "id": tid, "conversation_id": cid, "message_id": msg_id, "status": "completed", "agent": agent, "model": model,
            "error": None, "timings": timings, "prompt_tokens": prompt, "completion_tokens": completion,
            "cost_usd": usage.cost_usd, "started_at": stored_time(now), "ended_at": stored_time(reply_at),
        })
        self.events.extend(events)
        return reply_at
