"""Customer sentiment: VADER per message, a conversation trend with hysteresis, frustration signals."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

_ANALYZER: SentimentIntensityAnalyzer | None = None

# Phrases VADER underrates in support chats: "nobody is helping" reads neutral to it.
_FRUSTRATION = re.compile(
    r"\b(nobody|no one) (is )?(helping|helps|answer(s|ing)?|respond(s|ing)?)\b|\b(again|still) (not|no|nothing)\b"
    r"|\b(third|3rd|fourth|several|many) times?\b|\bfed up\b|\bridiculous\b|\bunacceptable\b|\bworst\b"
    r"|\bwaste of (my )?time\b|\bfurious\b|\bangry\b|\bupset\b",
    re.IGNORECASE,
)
_REPEAT = re.compile(r"\b(again|already (told|asked|contacted|called|wrote)|(second|third|3rd|2nd) time|keep (asking|telling))\b", re.I)
_PROFANITY = re.compile(r"\b(damn|hell|crap|wtf|bs|shit|fuck\w*)\b", re.IGNORECASE)


def analyzer() -> SentimentIntensityAnalyzer:
    global _ANALYZER
    if _ANALYZER is None:
        _ANALYZER = SentimentIntensityAnalyzer()
    return _ANALYZER


def label_for(compound: float) -> str:
    """Five levels on VADER's compound score."""
    if compound <= -0.6:
        return "very_negative"
    if compound <= -0.05:
        return "negative"
    if compound < 0.05:
        return "neutral"
    if compound < 0.6:
        return "positive"
    return "very_positive"


def frustration_signals(text: str) -> list[str]:
    """Signals VADER does not weigh: shouting, repeated contact, piled-up exclamations, profanity."""
    signals = []
    letters = [c for c in text if c.isalpha()]
    upper_words = [w for w in re.findall(r"[A-Za-z]{3,}", text) if w.isupper()]
    if len(letters) >= 12 and (sum(c.isupper() for c in letters) / len(letters) > 0.6 or len(upper_words) >= 3):
        signals.append("shouting")
    if _REPEAT.search(text):
        signals.append("repeated_contact")
    if text.count("!") >= 2:
        signals.append("exclamations")
    if _PROFANITY.search(text):
        signals.append("profanity")
    if _FRUSTRATION.search(text):
        signals.append("frustration_phrase")
    return signals


def score_message(text: str) -> tuple[float, list[str]]:
    """Compound score in -1..1 adjusted for frustration signals, and the signals found."""
    compound = analyzer().polarity_scores(text)["compound"]
    signals = frustration_signals(text)
    # Each signal pulls the score down a little: VADER reads "nobody is helping me" as neutral.
    penalty = 0.15 * len(signals)
    if signals and compound > -0.3:
        compound = min(compound, 0.0) - penalty
    elif signals:
        compound -= penalty / 2
    return max(-1.0, min(1.0, round(compound, 4))), signals


@dataclass
class SentimentTrend:
    """A conversation's mood: an exponential average that only changes label past a margin."""

    history: list[float] = field(default_factory=list)
    smoothed: float = 0.0
    label: str = "steady"
    alpha: float = 0.5
    """Weight of the newest message in the average."""
    enter: float = 0.35
    """How far the average must move to enter a negative/positive trend."""
    leave: float = 0.15
    """How far back it must come to leave one (the gap is the hysteresis)."""

    def update(self, compound: float) -> str:
        previous = self.smoothed
        if not self.history:
            self.smoothed = compound
        else:
            self.smoothed = self.alpha * compound + (1 - self.alpha) * self.smoothed
        self.history.append(compound)
        s = self.smoothed
        if self.label == "negative":
            self.label = "negative" if s < -self.leave else "improving"
        elif self.label == "positive":
            self.label = "positive" if s > self.leave else "worsening"
        elif s <= -self.enter:
            self.label = "negative"
        elif s >= self.enter:
            self.label = "positive"
        elif len(self.history) > 1 and s - previous > 0.1:
            self.label = "improving"
        elif len(self.history) > 1 and s - previous < -0.1:
            self.label = "worsening"
        else:
            self.label = "steady"
        return self.label

    def to_state(self) -> dict[str, Any]:
        return {"history": self.history, "smoothed": self.smoothed, "label": self.label}

    @classmethod
    def from_state(cls, state: dict[str, Any] | None) -> "SentimentTrend":
        state = state or {}
        return cls(
            history=list(state.get("history", [])),
            smoothed=float(state.get("smoothed", 0.0)),
            label=state.get("label", "steady"),
        )
