"""Calibrate the human-request detector on the escalation dev set: recall and false hand-overs per threshold.

    .venv/bin/python benchmarks/human_request.py [--data fixtures/eval/escalation.jsonl] [--threshold 0.8 0.9 0.95]

Each message is judged as the opening of a fresh standard-tier conversation, as ``eval escalation``
does, with the head's probability at each threshold, with and without the plain wordings
(``rule_says_request``) and the look-alike guard, as ``is_request`` has them. The detector never learns from this file, so no folds are needed. Never run it
on a held-out set to choose a threshold.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from support_tui.core.escalation import assess_opening  # noqa: E402
from support_tui.core.evaluation.escalation import escalation_report, load_escalation_cases  # noqa: E402
from support_tui.core.human_request import HumanRequestDetector  # noqa: E402
from support_tui.core.kb.embedder import Embedder  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "fixtures" / "eval" / "escalation.jsonl")
    parser.add_argument("--threshold", type=float, nargs="*", default=[0.5, 0.7, 0.8, 0.9, 0.95])
    args = parser.parse_args()
    cases = load_escalation_cases(args.data)
    detector = HumanRequestDetector(Embedder())
    detector.prepare_sync()
    texts = [c.text for c in cases]
    vectors = detector.embedder.encode(texts)
    probabilities = [detector.probability(v) for v in vectors]
    print(f"{args.data.name}: {len(cases)} openings, {sum(c.escalate for c in cases)} to hand over")
    print(f"{'threshold':>9}  {'wordings':>8}  {'recall':>6}  {'false hand-overs':>16}")
    for threshold in args.threshold:
        detector.threshold = threshold
        for wordings in (False, True):
            rules = []
            for text, vector, p in zip(texts, vectors, probabilities):
                human = detector.is_request(text, vector) if wordings else p >= threshold
                verdict = assess_opening(text, human_request=human)
                rules.append(verdict.rule if verdict else None)
            report = escalation_report(cases, rules)
            print(f"{threshold:>9.2f}  {'yes' if wordings else 'no':>8}  {report.recall:>6.3f}  "
                  f"{report.false_positive_rate:>8.3f} ({report.fp})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
