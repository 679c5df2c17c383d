"""Classification metrics for routing: accuracy, macro-F1, per-label P/R/F1, confusion, calibration."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

from support_tui.core.specialists import ROUTABLE


class DatasetError(ValueError):
    """A labelled file that cannot be used as it is (the message says where and why)."""


@dataclass(frozen=True)
class LabelMetrics:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class ClassificationReport:
    """How predicted labels compare with true ones."""

    n: int
    accuracy: float
    macro_f1: float
    per_label: dict[str, LabelMetrics]
    confusion: dict[str, dict[str, int]]
    """``confusion[true][predicted]`` = count; every label appears on both axes."""
    ece: float | None = None
    """Expected calibration error of the confidences (10 equal-width bins), when given."""

    def to_dict(self) -> dict[str, Any]:
        out = {
            "n": self.n,
            "accuracy": self.accuracy,
            "macro_f1": self.macro_f1,
            "per_label": {k: vars(v) for k, v in self.per_label.items()},
            "confusion": self.confusion,
        }
        if self.ece is not None:
            out["ece"] = self.ece
        return out


def _ratio(num: float, den: float) -> float:
    return num / den if den else 0.0


def classification_report(
    y_true: Sequence[str],
    y_pred: Sequence[str],
    labels: Sequence[str] | None = None,
    confidences: Sequence[float] | None = None,
) -> ClassificationReport:
    """Metrics over ``labels`` (default: every label seen, true or predicted, sorted).

    Macro-F1 averages over labels with support or predictions, so a label absent from both does
    not drag the mean down; a label predicted but never true counts with F1 0.
    """
    if len(y_true) != len(y_pred):
        raise ValueError("y_true and y_pred differ in length")
    labels = list(labels) if labels is not None else sorted(set(y_true) | set(y_pred))
    for extra in sorted((set(y_true) | set(y_pred)) - set(labels)):
        labels.append(extra)
    confusion = {t: {p: 0 for p in labels} for t in labels}
    for t, p in zip(y_true, y_pred):
        confusion[t][p] += 1
    per_label: dict[str, LabelMetrics] = {}
    f1s = []
    for label in labels:
        tp = confusion[label][label]
        predicted = sum(confusion[t][label] for t in labels)
        support = sum(confusion[label].values())
        precision, recall = _ratio(tp, predicted), _ratio(tp, support)
        f1 = _ratio(2 * precision * recall, precision + recall)
        per_label[label] = LabelMetrics(round(precision, 4), round(recall, 4), round(f1, 4), support)
        if support or predicted:
            f1s.append(f1)
    n = len(y_true)
    correct = sum(t == p for t, p in zip(y_true, y_pred))
    ece = None
    if confidences is not None:
        ece = round(expected_calibration_error([t == p for t, p in zip(y_true, y_pred)], confidences), 4)
    return ClassificationReport(
        n=n,
        accuracy=round(_ratio(correct, n), 4),
        macro_f1=round(_ratio(sum(f1s), len(f1s)), 4),
        per_label=per_label,
        confusion=confusion,
        ece=ece,
    )


def expected_calibration_error(correct: Sequence[bool], confidences: Sequence[float], bins: int = 10) -> float:
    """Mean |accuracy - confidence| over equal-width confidence bins, weighted by bin size."""
    if not correct:
        return 0.0
    totals = [[0, 0.0, 0.0] for _ in range(bins)]
    for ok, conf in zip(correct, confidences):
        b = min(int(conf * bins), bins - 1)
        totals[b][0] += 1
        totals[b][1] += float(ok)
        totals[b][2] += float(conf)
    n = len(correct)
    return sum(abs(hits - conf) / n for count, hits, conf in totals if count)


@dataclass(frozen=True)
class LabelledMessage:
    text: str
    label: str


def json_lines(path: Path, expected: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) of each non-blank line; a missing file, bad JSON or a non-object raises ``DatasetError``.

    ``expected`` names the fields, for the message ("an object with 'text' and 'label'").
    """
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DatasetError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path}: cannot read ({exc})") from None
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DatasetError(f"{path}:{number}: not JSON ({exc.msg})") from None
        if not isinstance(row, dict):
            raise DatasetError(f"{path}:{number}: expected {expected}")
        yield number, row


def load_labelled(path: Path, field: str = "text", labels: Sequence[str] = ROUTABLE) -> list[LabelledMessage]:
    """Read JSON lines with ``field`` and ``label``; any problem raises ``DatasetError``."""
    out: list[LabelledMessage] = []
    for number, row in json_lines(path, f"an object with {field!r} and 'label'"):
        text, label = row.get(field), row.get("label")
        if not isinstance(text, str) or not text.strip():
            raise DatasetError(f"{path}:{number}: missing or empty {field!r} field")
        if not isinstance(label, str) or label not in labels:
            raise DatasetError(f"{path}:{number}: label {label!r} is not one of {', '.join(labels)}")
        out.append(LabelledMessage(text, label))
    if not out:
        raise DatasetError(f"{path}: no labelled messages")
    return out
