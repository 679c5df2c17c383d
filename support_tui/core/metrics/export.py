"""Prometheus exposition of the support metrics: a collector that reads the records on each scrape.

The collector runs on the exposition server's thread, so it reads through a synchronous reader the
store's adapter provides (``records.metric_queries.metric_reader(path)``: a private read-only connection per scrape).
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any, Iterator, Mapping

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from support_tui.core.metrics.facts import conversation_facts, write_tools
from support_tui.core.metrics.figures import MetricReader, summarise
from support_tui.core.shop import ShopTool

log = logging.getLogger("support_tui.metrics")

FIRST_REPLY_BUCKETS = (1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0)
"""Seconds: a reply within seconds is the AI, within minutes a person."""
RESOLUTION_BUCKETS = (60.0, 300.0, 900.0, 1800.0, 3600.0, 4 * 3600.0, 24 * 3600.0, 72 * 3600.0)

METRIC_NAMES = (
    "support_conversations_total",
    "support_escalations_total",
    "support_first_reply_seconds",
    "support_resolution_seconds",
    "support_tokens_total",
    "support_cost_usd_total",
    "support_csat_ratings_total",
    "support_customer_messages_total",
    "support_first_contact_resolution_ratio",
    "support_resolution_ratio",
    "support_escalation_ratio",
    "support_csat_ratio",
    "support_rating_mean",
    "support_metrics_scrape_errors_total",
)


def histogram(name: str, doc: str, values: list[float], buckets: tuple[float, ...]) -> HistogramMetricFamily:
    """A Prometheus histogram (cumulative buckets) of ``values``."""
    ordered = sorted(values)
    cumulative = [(str(b), sum(1 for v in ordered if v <= b)) for b in buckets]
    cumulative.append(("+Inf", len(ordered)))
    return HistogramMetricFamily(name, doc, buckets=cumulative, sum_value=sum(ordered))


class SupportCollector(Collector):
    """Every scrape reads through ``read`` (its own connection), so the HTTP thread never shares the engine's."""

    def __init__(self, read: MetricReader, tools: Mapping[str, ShopTool], *, include_fixture: bool = True) -> None:
        self.read = read
        self.writes = write_tools(tools)
        self.include_fixture = include_fixture
        self.errors = 0

    def describe(self) -> list[Metric]:
        # Registering must not touch the database; describing nothing makes the registry skip collect().
        return []

    def collect(self) -> Iterator[Metric]:
        try:
            facts = conversation_facts(self.read(None, self.include_fixture), self.writes)
        except Exception:  # a locked or missing database must not kill the exporter
            log.exception("metrics scrape failed")
            self.errors += 1
            facts = None
        errors = CounterMetricFamily("support_metrics_scrape_errors", "Scrapes that could not read the database.")
        errors.add_metric([], self.errors)
        yield errors
        if facts is None:
            return
        m = summarise(facts, since=None, until=None, include_fixture=self.include_fixture)

        conversations = CounterMetricFamily(
            "support_conversations", "Conversations by outcome and the specialist that first took them.",
            labels=["outcome", "specialist"],
        )
        for (outcome, specialist), n in sorted(Counter((f.outcome, f.specialist) for f in facts).items()):
            conversations.add_metric([outcome, specialist], n)
        yield conversations

        escalations = CounterMetricFamily("support_escalations", "Escalated conversations by the rule that fired.", labels=["rule"])
        for rule, n in sorted(m.escalation_reasons.items()):
            escalations.add_metric([rule], n)
        yield escalations

        yield histogram("support_first_reply_seconds", "Customer's first message to the first sent reply.",
                        [f.first_reply_s for f in facts if f.first_reply_s is not None], FIRST_REPLY_BUCKETS)
        yield histogram("support_resolution_seconds", "Opening to closing of resolved conversations.",
                        [f.resolution_s for f in facts if f.resolution_s is not None], RESOLUTION_BUCKETS)

        tokens = CounterMetricFamily("support_tokens", "Model tokens by model and kind (prompt, completion).", labels=["model", "kind"])
        cost = CounterMetricFamily("support_cost_usd", "Model cost in US dollars by model.", labels=["model"])
        for group in sorted(m.by_model, key=lambda g: g.name):
            tokens.add_metric([group.name, "prompt"], group.prompt_tokens)
            tokens.add_metric([group.name, "completion"], group.completion_tokens)
            cost.add_metric([group.name], group.cost_usd)
        yield tokens
        yield cost

        ratings = CounterMetricFamily("support_csat_ratings", "Customer ratings by score (1-5).", labels=["score"])
        for score, n in m.rating_counts.items():
            ratings.add_metric([str(score)], n)
        yield ratings

        sentiment = CounterMetricFamily("support_customer_messages", "Customer messages by sentiment label.", labels=["sentiment"])
        for label, n in m.sentiment.items():
            sentiment.add_metric([label], n)
        yield sentiment

        for name, doc, value in (
            ("support_first_contact_resolution_ratio", "Ended conversations resolved at first contact, no person involved.", m.fcr_rate),
            ("support_resolution_ratio", "Ended conversations whose resolved claim holds.", m.resolution_rate),
            ("support_escalation_ratio", "Conversations escalated to a person.", m.escalation_rate),
            ("support_csat_ratio", "Share of ratings that are 4 or 5.", m.csat),
            ("support_rating_mean", "Mean customer rating (1-5).", m.mean_rating),
        ):
            gauge = GaugeMetricFamily(name, doc)
            gauge.add_metric([], float("nan") if value is None else value)
            yield gauge


def make_registry(read: MetricReader, tools: Mapping[str, ShopTool], *, include_fixture: bool = True) -> Any:
    """A fresh registry holding only the support collector (no process or platform metrics)."""
    from prometheus_client import CollectorRegistry

    registry = CollectorRegistry(auto_describe=False)
    registry.register(SupportCollector(read, tools, include_fixture=include_fixture))
    return registry


def serve(
    read: MetricReader, tools: Mapping[str, ShopTool], *, host: str = "127.0.0.1", port: int = 9464,
    include_fixture: bool = True,
) -> Any:
    """Start the exposition HTTP server in a daemon thread; returns (server, thread)."""
    from prometheus_client import start_http_server

    return start_http_server(port, addr=host, registry=make_registry(read, tools, include_fixture=include_fixture))
