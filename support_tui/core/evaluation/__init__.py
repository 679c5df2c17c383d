"""Measuring the engine on labelled data: routing accuracy, escalation precision and recall, reply checks.

``routing`` also holds what every data set shares (``DatasetError``, ``json_lines``).
"""

from support_tui.core.evaluation.routing import (
    ClassificationReport,
    DatasetError,
    LabelMetrics,
    LabelledMessage,
    classification_report,
    expected_calibration_error,
    json_lines,
    load_labelled,
)

__all__ = ["ClassificationReport", "DatasetError", "LabelMetrics", "LabelledMessage", "classification_report", "expected_calibration_error", "json_lines", "load_labelled"]
