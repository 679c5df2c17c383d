"""Named escalation rules: when a case needs a human, with reason and priority."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from support_tui.core.human_request import rule_says_request
from support_tui.core.sentiment import SentimentTrend, is_abusive, score_message

PRIORITY_ORDER = ("low", "normal", "high", "urgent")

# Legal threats, fraud and harm, worded as something that happened or will happen: "caught fire",
# "take you to court", not the product words "fire pit", "court shoe", "smoke alarm", "Sue".
_LEGAL_SAFETY = re.compile(
    r"\b(lawyer|attorney|solicitor|suing|lawsuit|legal action|small claims|trading standards|ombudsman"
    r"|sue (you|your|them|the company|this company)|(take|taking|see) (you|this|them|it) to court|court (case|action|claim)"
    r"|(filing|file|raise|raising|start|starting|open|opening|do|doing) a chargeback|chargeback (with|through) my bank"
    r"|fraud(ulent)?|scam(med|mer|mers)?|(you|you have|you've) (stole|stolen)|stole my money|police (report|complaint)|report(ed|ing)? (you |this |it )?to the police|call(ed|ing)? the police"
    r"|injur(ed|y|ies) (me|my|him|her|us|them|our)|(was|were|got|have been|has been|i was|he was|she was) injured"
    r"|(caught|catch|catches|catching|on|set) fire|fire hazard|(burn(ed|t|s)?) (me|my|him|her|us|the|our|itself|a hole)|got burn(ed|t)"
    r"|(started|starting|was|is|kept|keeps|began) (smoking|sparking|melting)|smoke (came|coming|pouring)|burning smell|smell(s|ed)? of burning"
    r"|explod\w*|electric(al)? shock|electrocut\w*|choking|choked|unsafe|dangerous (to|for)|(a|real|serious) danger"
    r"|data breach|hacked|identity theft|unauthori[sz]ed (payment|charge|transaction|purchase|order)s?|never authori[sz]ed)\b",
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
    human_request: bool | None = None
    """The detector's verdict on "asks for a person" (``HumanRequestDetector``); None: wording rules only."""
    trend_messages: int | None = None
    """Customer messages in the trend (``SentimentTrend.count``). The trend alone escalates from the second
    message on: one sad or mildly negative opening is not a conversation going badly. None: count unknown."""
    ordinary_request: bool = False
    """The intent layer read the message, sure, as a request the shop answers ("the boots are the wrong
    colour"): its negative words are what it is about, not distress on their own."""


VERY_NEGATIVE = -0.75
"""A message this negative is distress whatever it asks for."""
DISTRESS = ("frustration_phrase", "shouting", "repeated_contact", "abuse", "exclamations", "profanity")
"""Signals that a customer is upset beyond the words of their request."""


def _vip_unhappy(s: EscalationSignals) -> bool:
    """A premium customer who is unhappy: a very negative message, or a conversation going badly. An ordinary
    request with negative words, not very negative and with no sign of distress, is unhappy only once the trend
    says so."""
    if s.tier not in VIP_TIERS:
        return False
    if s.ordinary_request and s.compound > VERY_NEGATIVE and not any(x in s.signals for x in DISTRESS):
        return s.trend_compound <= s.sentiment_threshold and (s.trend_messages or 0) >= 2
    return s.compound <= -0.5 or s.trend_compound <= s.sentiment_threshold


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
        lambda s: s.human_request if s.human_request is not None else rule_says_request(s.text),
        lambda s: "the customer asked to speak to a person",
    ),
    EscalationRule(
        "abusive",
        "Abuse aimed at the agent, or repeated swearing (one swear word in a request is neither)",
        "high",
        lambda s: is_abusive(s.text),
        lambda s: f"abusive message (sentiment {s.compound:+.2f})",
    ),
    EscalationRule(
        "vip_negative",
        "A premium or VIP customer who is unhappy",
        "high",
        _vip_unhappy,
        lambda s: f"{s.tier} customer with negative sentiment ({s.compound:+.2f})",
    ),
    EscalationRule(
        "negative_sentiment",
        "Sentiment trend at or below the threshold, or a very angry message with frustration signals",
        "high",
        lambda s: (s.trend_compound <= s.sentiment_threshold and (s.trend_messages is None or s.trend_messages >= 2))
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


def assess_opening(
    text: str, *, human_request: bool | None, tier: str = "standard", sentiment_threshold: float = -0.5,
    ordinary_request: bool = False,
) -> EscalationVerdict | None:
    """The verdict the engine reaches on the first message of a fresh conversation.

    Sentiment scored as the turn scores it, a new trend, a confident route, nothing failed or
    blocked yet: what ``eval escalation`` measures, so its numbers are the engine's. ``ordinary_request``:
    the intent layer read the message, sure, as a request the shop answers (as the turn sets it).
    """
    compound, signals = score_message(text)
    trend = SentimentTrend()
    trend.update(compound)
    return evaluate(
        EscalationSignals(
            text=text,
            compound=compound,
            trend_compound=trend.smoothed,
            trend_label=trend.label,
            signals=tuple(signals),
            tier=tier,
            route_confidence=1.0,
            low_confidence_turns=0,
            failed_tool_calls=0,
            policy_blocked=False,
            sentiment_threshold=sentiment_threshold,
            human_request=human_request,
            trend_messages=trend.count,
            ordinary_request=ordinary_request,
        )
    )
