"""Measuring escalation on opening messages: labelled data, the engine's verdicts, precision and recall."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, Sequence

from support_tui.core.escalation import assess_opening
from support_tui.core.evaluation.routing import DatasetError, json_lines
from support_tui.core.events import IntentReading
from support_tui.core.human_request import HumanRequestDetector


@dataclass(frozen=True)
class EscalationCase:
    """One opening message and whether a person should take it."""

    text: str
    escalate: bool


@dataclass(frozen=True)
class EscalationMiss:
    text: str
    expected: bool
    """True: a missed escalation (false negative); False: a false escalation."""
    rule: str | None
    """The rule that fired (false positives), or None."""


@dataclass(frozen=True)
class EscalationReport:
    n: int
    tp: int
    fp: int
    fn: int
    tn: int
    misses: list[EscalationMiss] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def false_positive_rate(self) -> float:
        return self.fp / (self.fp + self.tn) if self.fp + self.tn else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "false_positive_rate": round(self.false_positive_rate, 4),
            "counts": {"tp": self.tp, "fp": self.fp, "fn": self.fn, "tn": self.tn},
            "misses": [
                {"text": m.text, "expected": m.expected, "kind": "false_negative" if m.expected else "false_positive",
                 "rule": m.rule}
                for m in self.misses
            ],
        }


def load_escalation_cases(path: Path) -> list[EscalationCase]:
    """Read JSON lines of ``{"text": str, "escalate": bool}``; any problem raises ``DatasetError``."""
    cases: list[EscalationCase] = []
    for number, row in json_lines(path, "an object with 'text' and 'escalate'"):
        text, escalate = row.get("text"), row.get("escalate")
        if not isinstance(text, str) or not text.strip():
            raise DatasetError(f"{path}:{number}: missing or empty 'text' field")
        if not isinstance(escalate, bool):
            raise DatasetError(f"{path}:{number}: 'escalate' must be true or false, not {escalate!r}")
        cases.append(EscalationCase(text, escalate))
    if not cases:
        raise DatasetError(f"{path}: no labelled messages")
    return cases


def escalation_report(cases: Sequence[EscalationCase], rules: Sequence[str | None]) -> EscalationReport:
    """Compare each case's label with the rule that fired on it (None: no escalation)."""
    tp = fp = fn = tn = 0
    misses = []
    for case, rule in zip(cases, rules, strict=True):
        predicted = rule is not None
        if case.escalate and predicted:
            tp += 1
        elif case.escalate:
            fn += 1
            misses.append(EscalationMiss(case.text, True, None))
        elif predicted:
            fp += 1
            misses.append(EscalationMiss(case.text, False, rule))
        else:
            tn += 1
    return EscalationReport(len(cases), tp, fp, fn, tn, misses)


class IntentReader(Protocol):
    """The intent layer as the escalation check uses it (``IntentClassifier``)."""

    def prepare_sync(self) -> None: ...

    def read(self, vector: Any) -> IntentReading: ...


def evaluate_openings(
    cases: Sequence[EscalationCase], detector: HumanRequestDetector, *, tier: str = "standard",
    intents: IntentReader | None = None,
) -> EscalationReport:
    """Each case as the first message of a fresh conversation of a customer of ``tier``, judged as the engine
    judges it: with ``intents``, a message the intent layer answers, sure, is an ordinary request (its
    negative words are what it is about) as in the turn."""
    detector.prepare_sync()
    if intents is not None:
        intents.prepare_sync()
    texts = [c.text for c in cases]
    vectors = detector.embedder.encode(texts)
    rules = []
    for text, vector in zip(texts, vectors):
        reading = intents.read(vector) if intents is not None else None
        ordinary = reading is not None and reading.shop_request
        verdict = assess_opening(text, human_request=detector.is_request(text, vector), tier=tier,
                                 ordinary_request=ordinary)
        rules.append(verdict.rule if verdict else None)
    return escalation_report(cases, rules)
