"""Support metrics over a period: resolution, first-contact resolution, escalations, timings, CSAT, cost, sentiment."""

from __future__ import annotations

import math
import statistics
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from typing import Callable, Collection, Mapping

from pydantic import BaseModel, ConfigDict, Field

from support_tui.core.metrics.facts import REOPEN_WINDOW, ConversationFacts, conversation_facts, write_tools
from support_tui.core.shop import ShopTool
from support_tui.core.store.protocol import SupportStore
from support_tui.core.store.records.values import MetricRecords

SENTIMENT_LABELS = ("very_negative", "negative", "neutral", "positive", "very_positive")
OUTCOMES = ("resolved", "escalated", "unresolved", "abandoned", "open")


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class Timing(_Model):
    """A duration over conversations: median and 95th percentile in seconds."""

    median_s: float | None = None
    """Middle value (mean of the two middle ones for an even count)."""
    p95_s: float | None = None
    """Nearest-rank 95th percentile: the ceil(0.95 n)-th smallest value."""
    count: int = 0
    """How many conversations had this duration."""


class GroupFigures(_Model):
    """Volume and outcomes of the conversations of one specialist or one model."""

    name: str
    conversations: int
    resolved: int
    escalated: int
    resolution_rate: float | None
    """resolved / ended conversations of this group."""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    """For a model: tokens and cost of every turn it answered; for a specialist: of its conversations."""


class DayFigures(_Model):
    """One day of the daily series (UTC days)."""

    day: date
    conversations: int
    """Conversations created that day."""
    escalations: int
    """Of those, how many were escalated."""
    ratings: int
    """Ratings given that day."""
    csat: float | None
    """Share of that day's ratings that are 4 or 5; None without ratings."""


class Metrics(_Model):
    """Every figure of the metrics screen, ``support-tui metrics`` and the Prometheus exporter."""

    since: datetime | None
    """Start of the period (conversations created at or after it); None: from the first one."""
    until: datetime | None
    """End of the period (created before it); None: up to now."""
    include_fixture: bool
    fixture_conversations: int
    """How many of the counted conversations are fixture (generated history) data."""
    conversations: int
    outcomes: dict[str, int]
    """resolved, escalated, unresolved (claim rejected), abandoned, open: see ``metrics_rules``."""
    ended: int
    """Conversations no longer open: the denominator of the resolution and FCR rates."""
    claimed_resolved: int
    """Closed as resolved, whether or not the rules accept it."""
    reopened: int
    """Conversations a later one of the same customer reopened within the window."""
    first_contact_resolved: int
    resolution_rate: float | None
    fcr_rate: float | None
    escalated: int
    """Conversations escalated at any point (some of them later resolved by a person)."""
    escalation_rate: float | None
    """escalated / conversations."""
    escalation_reasons: dict[str, int]
    """Escalations by the rule that fired first, most frequent first."""
    first_reply: Timing
    resolution_time: Timing
    ratings: int
    rating_counts: dict[int, int]
    csat: float | None
    """Share of ratings that are 4 or 5."""
    mean_rating: float | None
    by_specialist: list[GroupFigures]
    by_model: list[GroupFigures]
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    tokens_per_conversation: float | None
    cost_per_conversation: float | None
    sentiment: dict[str, int]
    """Customer messages by sentiment label (five labels, from ``SentimentScored`` events)."""
    daily: list[DayFigures] = Field(default_factory=list)
    reopen_window_hours: float = REOPEN_WINDOW.total_seconds() / 3600


def percentile(values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile (``fraction`` 0..1) of ``values``; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def timing(values: list[float]) -> Timing:
    if not values:
        return Timing()
    return Timing(median_s=round(statistics.median(values), 3), p95_s=round(percentile(values, 0.95), 3), count=len(values))  # type: ignore[arg-type]


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def summarise(facts: list[ConversationFacts], *, since: datetime | None, until: datetime | None, include_fixture: bool) -> Metrics:
    """Fold per-conversation facts into the figures of the period [since, until)."""
    since, until = _aware(since), _aware(until)
    chosen = [f for f in facts if (since is None or f.created >= since) and (until is None or f.created < until)]
    outcomes = Counter(f.outcome for f in chosen)
    ended = len(chosen) - outcomes["open"]
    rated = [f.rating for f in chosen if f.rating is not None]
    escalated = [f for f in chosen if f.escalated]
    prompt = sum(f.prompt_tokens for f in chosen)
    completion = sum(f.completion_tokens for f in chosen)
    cost = sum(f.cost_usd for f in chosen)
    sentiment = Counter({label: 0 for label in SENTIMENT_LABELS})
    for f in chosen:
        sentiment.update(f.sentiments)
    return Metrics(
        since=since,
        until=until,
        include_fixture=include_fixture,
        fixture_conversations=sum(f.is_fixture for f in chosen),
        conversations=len(chosen),
        outcomes={o: outcomes[o] for o in OUTCOMES},
        ended=ended,
        claimed_resolved=sum(f.claimed_resolved for f in chosen),
        reopened=sum(f.reopened_by is not None for f in chosen),
        first_contact_resolved=sum(f.fcr for f in chosen),
        resolution_rate=_rate(outcomes["resolved"], ended),
        fcr_rate=_rate(sum(f.fcr for f in chosen), ended),
        escalated=len(escalated),
        escalation_rate=_rate(len(escalated), len(chosen)),
        escalation_reasons=dict(Counter(f.escalation_rule or "unrecorded" for f in escalated).most_common()),
        first_reply=timing([f.first_reply_s for f in chosen if f.first_reply_s is not None]),
        resolution_time=timing([f.resolution_s for f in chosen if f.resolution_s is not None]),
        ratings=len(rated),
        rating_counts={score: rated.count(score) for score in range(1, 6)},
        csat=_rate(sum(1 for r in rated if r >= 4), len(rated)),
        mean_rating=round(statistics.fmean(rated), 3) if rated else None,
        by_specialist=_groups(chosen, lambda f: [f.specialist]),
        by_model=_groups(chosen, lambda f: [f.model], by_turn_model=True),
        prompt_tokens=prompt,
        completion_tokens=completion,
        cost_usd=round(cost, 6),
        tokens_per_conversation=round((prompt + completion) / len(chosen), 1) if chosen else None,
        cost_per_conversation=round(cost / len(chosen), 6) if chosen else None,
        sentiment={label: sentiment[label] for label in SENTIMENT_LABELS},
        daily=_daily(chosen, since, until),
    )


def _groups(
    chosen: list[ConversationFacts], key: Callable[[ConversationFacts], list[str]], *, by_turn_model: bool = False
) -> list[GroupFigures]:
    names = Counter(name for f in chosen for name in key(f))
    if by_turn_model:
        names.update({m: 0 for f in chosen for m in f.usage_by_model})
    out = []
    for name, volume in names.items():
        members = [f for f in chosen if name in key(f)]
        ended = sum(f.outcome != "open" for f in members)
        if by_turn_model:
            usage = [f.usage_by_model[name] for f in chosen if name in f.usage_by_model]
        else:
            usage = [[f.prompt_tokens, f.completion_tokens, f.cost_usd] for f in members]
        out.append(GroupFigures(
            name=name, conversations=volume, resolved=sum(f.outcome == "resolved" for f in members),
            escalated=sum(f.escalated for f in members),
            resolution_rate=_rate(sum(f.outcome == "resolved" for f in members), ended),
            prompt_tokens=int(sum(u[0] for u in usage)), completion_tokens=int(sum(u[1] for u in usage)),
            cost_usd=round(sum(u[2] for u in usage), 6),
        ))
    return sorted(out, key=lambda g: (-g.conversations, g.name))


def _daily(chosen: list[ConversationFacts], since: datetime | None, until: datetime | None) -> list[DayFigures]:
    days = [f.created.date() for f in chosen] + [f.rated_on for f in chosen if f.rated_on]
    if not days and since is None:
        return []
    first = since.date() if since else min(days)
    last = (until - timedelta(microseconds=1)).date() if until else max(days + [first])
    count = (last - first).days + 1
    created = Counter(f.created.date() for f in chosen)
    escalations = Counter(f.created.date() for f in chosen if f.escalated)
    ratings: dict[date, list[int]] = {}
    for f in chosen:
        if f.rated_on is not None and f.rating is not None:
            ratings.setdefault(f.rated_on, []).append(f.rating)
    series = []
    for n in range(max(0, count)):
        day = first + timedelta(days=n)
        scores = ratings.get(day, [])
        series.append(DayFigures(
            day=day, conversations=created[day], escalations=escalations[day], ratings=len(scores),
            csat=_rate(sum(1 for s in scores if s >= 4), len(scores)),
        ))
    return series


async def compute_metrics(
    store: SupportStore,
    tools: Mapping[str, ShopTool],
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    include_fixture: bool = True,
) -> Metrics:
    """The figures of conversations created in [since, until), from the store's records.

    ``tools`` is the shop's (``shop.tools()``): which of them write decides when an action request is done.
    """
    records = await store.metric_records(_aware(since), include_fixture)
    return figures_of(records, write_tools(tools), since=since, until=until, include_fixture=include_fixture)


def figures_of(
    records: MetricRecords, writes: Collection[str], *, since: datetime | None, until: datetime | None, include_fixture: bool
) -> Metrics:
    """The figures of [since, until) from records already read (``writes``: the shop's write tools)."""
    return summarise(conversation_facts(records, writes), since=since, until=until, include_fixture=include_fixture)


MetricReader = Callable[[datetime | None, bool], MetricRecords]
"""A synchronous ``(since, include_fixture) -> MetricRecords``, e.g. ``records.metric_queries.metric_reader(path)``."""


def compute_metrics_sync(
    read: MetricReader,
    tools: Mapping[str, ShopTool],
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    include_fixture: bool = True,
) -> Metrics:
    """``compute_metrics`` over a synchronous reader (for the Prometheus thread)."""
    return figures_of(read(_aware(since), include_fixture), write_tools(tools), since=since, until=until,
                      include_fixture=include_fixture)


def period_start(days: int | None, today: date) -> datetime | None:
    """Start of the last ``days`` days ending with ``today`` (UTC midnight); None for all time."""
    if days is None:
        return None
    start = today - timedelta(days=days - 1)
    return datetime(start.year, start.month, start.day, tzinfo=timezone.utc)


def day_end(today: date) -> datetime:
    """Midnight UTC after ``today``: the exclusive end of a period that includes it."""
    after = today + timedelta(days=1)
    return datetime(after.year, after.month, after.day, tzinfo=timezone.utc)


def percent(value: float | None) -> str:
    """A rate as people read it: ``75.4%``, or a dash when there is nothing to divide."""
    return "—" if value is None else f"{value * 100:.1f}%"


def duration(value: float | None, *, compact: bool = False) -> str:
    """Seconds as ``3.0 s``, ``13.4 min``, ``2.1 h`` (``3.0s``, ``13.4m`` when compact)."""
    if value is None:
        return "—"
    s, m, h = ("s", "m", "h") if compact else (" s", " min", " h")
    if value < 120:
        return f"{value:.1f}{s}"
    return f"{value / 60:.1f}{m}" if value < 7200 else f"{value / 3600:.1f}{h}"
