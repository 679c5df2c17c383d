"""What a router returns: the decision, and the conversation it was made in."""

from __future__ import annotations

from dataclasses import dataclass, field

from support_tui.core.events import RouteEvidence


@dataclass(frozen=True)
class RouteDecision:
    """Which specialist should take a message, how sure the router is, and why."""

    agent: str
    confidence: float
    """Calibrated probability of ``agent``, 0..1."""
    margin: float
    """Probability of ``agent`` minus the runner-up's."""
    scores: dict[str, float]
    """Calibrated probability per routable specialist (sums to 1)."""
    reason: str
    """One line a person can read: the closest example and the lead over the runner-up."""
    evidence: list[RouteEvidence]
    """The nearest exemplar messages, best first."""
    method: str
    """``embedding``, ``fitted``, ``sticky``, ``keyword`` or ``llm``."""
    clarify: bool
    """True when the top two are too close (or confidence too low): ask before acting."""

    @property
    def runner_up(self) -> str | None:
        """The second-best specialist, if any."""
        ranked = sorted(self.scores, key=lambda name: self.scores[name], reverse=True)
        others = [name for name in ranked if name != self.agent]
        return others[0] if others else None


@dataclass
class RoutingContext:
    """The conversation so far, as far as routing cares."""

    current_agent: str | None = None
    """Specialist handling the conversation so far."""
    previous_texts: list[str] = field(default_factory=list)
    """Earlier customer messages, oldest first."""


def ranked(scores: dict[str, float]) -> list[tuple[str, float]]:
    """Scores best first."""
    return sorted(scores.items(), key=lambda item: item[1], reverse=True)


def quote(text: str, limit: int = 60) -> str:
    """A short single-line quotation of an exemplar for a reason line."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"
