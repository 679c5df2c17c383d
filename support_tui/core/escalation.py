"""Named escalation rules: when a case needs a human, with reason and priority."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

PRIORITY_ORDER = ("low", "normal", "high", "urgent")

_LEGAL_SAFETY = re.compile(
    r"\b(lawyer|attorney|sue|suing|lawsuit|legal action|court|small claims|chargeback|fraud(ulent)?|scam"
    r"|police|injur(ed|y)|burn(ed|t)?|fire|smok(e|ing)|explod\w*|electric shock|choking|unsafe|danger(ous)?"
    r"|data breach|hacked|identity theft)\b",
    re.IGNORECASE,
)
_HUMAN_REQUEST = re.compile(
    r"\b(speak|talk|chat)\s+(to|with)\s+(a\s+|an\s+|the\s+|your\s+)?(human|person|real person|someone|manager|"
    r"supervisor|agent|representative|rep)\b|\b(human|real person|live agent|manager|supervisor)\s*(please|now)?\s*[.!]*$"
    r"|\bescalate\b|\bnot a (bot|robot|machine)\b",
    re.IGNORECASE,
)
VIP_TIERS = ("premium", "vip")


@dataclass(frozen=True)
class EscalationSignals:
    """Everything the rules look at for one turn."""

    text: str
    compound: float
    """This message's sentiment."""
    trend_compound: float
    trend_label: str
    signals: tuple[str, ...]
    tier: str
    route_confidence: float
    low_confidence_turns: int
    """Consecutive turns the router was unsure (this one included)."""
    failed_tool_calls: int
    """Tool calls that errored or were blocked in this conversation."""
    policy_blocked: bool
    """A write was blocked by a hard policy rule (not a confirmation request) in this conversation."""
    sentiment_threshold: float = -0.5


@dataclass(frozen=True)
class EscalationRule:
    name: str
    description: str
    priority: str
    fires: Callable[[EscalationSignals], bool]
    reason: Callable[[EscalationSignals], str]


RULES: tuple[EscalationRule, ...] = (
    EscalationRule(
        "legal_or_safety",
        "Legal threats, fraud or safety words",
        "urgent",
        lambda s: bool(_LEGAL_SAFETY.search(s.text)),
        lambda s: f"legal or safety concern: '{_LEGAL_SAFETY.search(s.text).group(0)}'",  # type: ignore[union-attr]
    ),
    EscalationRule(
        "human_requested",
        "The customer asked for a person",
        "high",
        lambda s: bool(_HUMAN_REQUEST.search(s.text)),
        lambda s: "the customer asked to speak to a person",
    ),
    EscalationRule(
        "vip_negative",
        "A premium or VIP customer who is unhappy",
        "high",
        lambda s: s.tier in VIP_TIERS and (s.compound <= -0.5 or s.trend_compound <= s.sentiment_threshold),
        lambda s: f"{s.tier} customer with negative sentiment ({s.compound:+.2f})",
    ),
    EscalationRule(
        "negative_sentiment",
        "Sentiment trend at or below the threshold, or a very angry message with frustration signals",
        "high",
        lambda s: s.trend_compound <= s.sentiment_threshold
        or (s.compound <= -0.5 and any(x in s.signals for x in ("frustration_phrase", "shouting", "repeated_contact"))),
        lambda s: f"negative sentiment (message {s.compound:+.2f}, trend {s.trend_compound:+.2f}"
        + (f"; {', '.join(s.signals)}" if s.signals else "")
        + ")",
    ),
    EscalationRule(
        "repeated_failure",
        "Tool calls kept failing, or the router stayed unsure",
        "normal",
        lambda s: s.failed_tool_calls >= 3 or s.low_confidence_turns >= 3,
        lambda s: f"repeated failure ({s.failed_tool_calls} failed tool calls, {s.low_confidence_turns} unsure routings)",
    ),
    EscalationRule(
        "policy_blocked",
        "A requested action was blocked by policy",
        "normal",
        lambda s: s.policy_blocked and s.compound < -0.05,
        lambda s: "an action the customer wants was blocked by policy and they are unhappy",
    ),
)


@dataclass
class EscalationVerdict:
    rule: str
    reason: str
    priority: str
    also: list[str] = field(default_factory=list)
    """Other rules that fired too."""


def evaluate(signals: EscalationSignals) -> EscalationVerdict | None:
    """The highest-priority rule that fires (others listed in ``also``), or None."""
    fired = [r for r in RULES if r.fires(signals)]
    if not fired:
        return None
    fired.sort(key=lambda r: -PRIORITY_ORDER.index(r.priority))
    top = fired[0]
    return EscalationVerdict(top.name, top.reason(signals), top.priority, [r.name for r in fired[1:]])
