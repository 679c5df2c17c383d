"""Calibrate the intent layer on the dev messages: five folds, each message read by a classifier that never saw it.

    .venv/bin/python benchmarks/intents.py [--data ../shared/eval/answers-abcd-dev.jsonl] [--answer 0.6 0.65 0.7]

A reading counts as right when it answers with an intent the line's key accepts (its article, or its flow's
tools), wrong when it answers with another; a decline is right for an off-topic line and refused for any other;
ask and rephrase are counted as such (and 'off-topic asked' counts the off-topic lines among them). This measures understanding
alone; `support-tui eval answers` measures the replies.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from support_tui.core.understanding.catalog import IntentSpec  # noqa: E402
from support_tui.shops.northwind.intents import FLOW_TOOLS, catalog as northwind_catalog  # noqa: E402
from support_tui.core.understanding.classifier import IntentClassifier  # noqa: E402


def accepted(spec: IntentSpec, line: dict) -> bool:
    if spec.kind == "article":
        return spec.article in line.get("accept_articles", [])
    if spec.kind == "flow":
        tools = {t.split("~")[0] for t in line.get("accept_tools", [])}
        return bool(FLOW_TOOLS.get(spec.flow or "", frozenset()) & tools)
    return line.get("intent") == "off_topic"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "eval" / "answers-abcd-dev.jsonl")
    parser.add_argument("--answer", type=float, nargs="*", default=[0.5, 0.55, 0.6, 0.65, 0.7])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--decline", type=float, default=None, help="the off-topic threshold below answer")
    parser.add_argument("--per-intent", action="store_true", help="at the last --answer, each line intent's right rate, weakest first")
    parser.add_argument("--show", choices=("wrong", "ask", "rephrase", "refused"), help="at the last --answer, print the lines read so")
    args = parser.parse_args()
    from support_tui.core.kb.embedder import Embedder

    embedder = Embedder()
    catalog = northwind_catalog()
    classifier = IntentClassifier(catalog, embedder, model_id="all-MiniLM-L6-v2")
    classifier.prepare_sync()
    lines = [json.loads(x) for x in args.data.read_text().splitlines() if x.strip()]
    vectors = embedder.encode([x["text"] for x in lines])
    index = {" ".join(t.split()).lower(): i for i, t in enumerate(catalog.texts)}
    fold = np.random.default_rng(0).integers(0, args.folds, len(catalog.texts))
    own = np.array([index.get(" ".join(x["text"].split()).lower(), -1) for x in lines])
    line_fold = np.where(own >= 0, fold[np.maximum(own, 0)], -1)
    readings: list = [None] * len(lines)
    for f in range(args.folds):
        held = np.zeros(len(catalog.texts), dtype=bool)
        held[[i for i in own[line_fold == f] if i >= 0]] = True
        classifier.fit(classifier.matrix, keep=~held)
        for j in np.flatnonzero((line_fold == f) | ((line_fold == -1) & (f == 0))):
            sims = np.where(held, -1.0, classifier.matrix @ vectors[j]).astype(np.float32)
            readings[j] = (classifier.probabilities(vectors[j], sims), sims, held)
    if args.decline is not None:
        classifier.decline = args.decline
    for answer in args.answer:
        classifier.answer = answer
        counts: Counter[str] = Counter()
        per_intent: dict[str, Counter[str]] = {}
        shown: list[str] = []
        for line, (probs, sims, held) in zip(lines, readings):
            reading = classifier.decide(probs, sims)
            off_topic = line.get("intent") == "off_topic"
            tally = per_intent.setdefault(str(line.get("intent")), Counter())
            tally["n"] += 1
            if reading.decision == "answer":
                verdict = "right" if accepted(catalog.spec(reading.intent or ""), line) else "wrong"
                if verdict == args.show:
                    shown.append(f"  {line.get('intent')} -> {reading.intent} ({reading.rule}) | {line['text']}")
                counts[verdict] += 1
                tally[verdict] += 1
            elif reading.decision == "decline":
                counts["declined" if off_topic else "refused"] += 1
                if not off_topic and args.show == "refused":
                    shown.append(f"  {line.get('intent')} -> {reading.intent} ({reading.rule}) | {line['text']}")
                tally["right"] += off_topic
            else:
                counts[reading.decision] += 1
                if reading.decision == args.show:
                    shown.append(f"  {line.get('intent')} -> {reading.intent} ({reading.rule}) | {line['text']}")
                counts["off-topic asked"] += off_topic
        n = len(lines)
        print(f"answer>={answer:.2f}  " + "  ".join(f"{k} {counts[k] / n:.3f}" for k in
                                                 ("right", "wrong", "ask", "rephrase", "declined", "refused", "off-topic asked")))
    print("\n".join(sorted(shown)))
    if args.per_intent:
        for name, tally in sorted(per_intent.items(), key=lambda kv: kv[1]["right"] / kv[1]["n"]):
            print(f"  {name:40s} n {tally['n']:3d}  right {tally['right'] / tally['n']:.2f}  wrong {tally['wrong'] / tally['n']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
