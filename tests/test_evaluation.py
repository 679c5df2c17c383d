"""Routing metrics on a small example computed by hand, and the labelled-file reader."""

from __future__ import annotations

import json

import pytest

from support_tui.core.evaluation import DatasetError, classification_report, expected_calibration_error, load_labelled

TRUE = ["a", "a", "a", "b", "b", "c"]
PRED = ["a", "a", "b", "b", "c", "c"]


def test_toy_example_matches_hand_computed_numbers():
    report = classification_report(TRUE, PRED)
    assert report.n == 6
    assert report.accuracy == pytest.approx(4 / 6, abs=1e-4)
    # a: P 2/2, R 2/3, F1 0.8; b: P 1/2, R 1/2, F1 0.5; c: P 1/2, R 1/1, F1 2/3
    assert report.per_label["a"].precision == 1.0
    assert report.per_label["a"].recall == pytest.approx(0.6667, abs=1e-4)
    assert report.per_label["a"].f1 == pytest.approx(0.8)
    assert report.per_label["b"].f1 == pytest.approx(0.5)
    assert report.per_label["c"].precision == pytest.approx(0.5)
    assert report.per_label["c"].recall == 1.0
    assert report.per_label["c"].f1 == pytest.approx(0.6667, abs=1e-4)
    assert [report.per_label[k].support for k in "abc"] == [3, 2, 1]
    assert report.macro_f1 == pytest.approx((0.8 + 0.5 + 2 / 3) / 3, abs=1e-4)
    assert report.confusion == {
        "a": {"a": 2, "b": 1, "c": 0},
        "b": {"a": 0, "b": 1, "c": 1},
        "c": {"a": 0, "b": 0, "c": 1},
    }


def test_labels_without_support_or_predictions_do_not_count_in_macro_f1():
    report = classification_report(TRUE, PRED, labels=["a", "b", "c", "d"])
    assert report.per_label["d"].support == 0
    assert report.macro_f1 == pytest.approx((0.8 + 0.5 + 2 / 3) / 3, abs=1e-4)
    assert report.confusion["d"] == {"a": 0, "b": 0, "c": 0, "d": 0}


def test_a_label_predicted_but_never_true_scores_zero():
    report = classification_report(["a", "a"], ["a", "z"], labels=["a"])
    assert report.per_label["z"].f1 == 0.0
    assert report.macro_f1 == pytest.approx((2 / 3 + 0.0) / 2, abs=1e-4)


def test_expected_calibration_error_by_hand():
    confidences = [0.9, 0.9, 0.9, 0.6, 0.6, 0.6]
    correct = [True, True, False, True, False, True]
    # two bins, each 2/3 right: |2/3 - 0.9| / 2 + |2/3 - 0.6| / 2 = 0.15
    assert expected_calibration_error(correct, confidences) == pytest.approx(0.15)
    assert classification_report(TRUE, PRED, confidences=confidences).to_dict()["ece"] == pytest.approx(0.15, abs=1e-4)


def test_to_dict_shape():
    data = classification_report(TRUE, PRED).to_dict()
    assert set(data) == {"n", "accuracy", "macro_f1", "per_label", "confusion"}
    assert set(data["per_label"]["a"]) == {"precision", "recall", "f1", "support"}


def test_length_mismatch_is_an_error():
    with pytest.raises(ValueError):
        classification_report(["a"], ["a", "b"])


def _write(tmp_path, lines):
    path = tmp_path / "data.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_load_labelled_reads_the_chosen_field(tmp_path):
    path = _write(tmp_path, [json.dumps({"text": "hi", "opening": "hi there", "label": "product_info"}), ""])
    assert [(r.text, r.label) for r in load_labelled(path, "opening")] == [("hi there", "product_info")]


@pytest.mark.parametrize(
    "lines, message",
    [
        (["not json"], "data.jsonl:1: not JSON"),
        ([json.dumps({"text": "hi", "label": "sales"})], "label 'sales' is not one of"),
        ([json.dumps({"label": "product_info"})], "missing or empty 'text'"),
        ([json.dumps(["text", "label"])], "expected an object"),
        ([""], "no labelled messages"),
    ],
)
def test_load_labelled_explains_bad_files(tmp_path, lines, message):
    with pytest.raises(DatasetError, match=message):
        load_labelled(_write(tmp_path, lines))


def test_load_labelled_missing_file(tmp_path):
    with pytest.raises(DatasetError, match="no such file"):
        load_labelled(tmp_path / "absent.jsonl")
