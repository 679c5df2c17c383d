"""``support-tui eval``: measure parts of the engine on labelled data (routing, escalation, scenarios)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

from support_tui.cli import UserError
from support_tui.core.evaluation import ClassificationReport, DatasetError, classification_report, load_labelled
from support_tui.core.specialists import ROUTABLE


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("eval", help="measure the engine on labelled data")
    suites = parser.add_subparsers(dest="eval_command", metavar="SUITE")
    parser.set_defaults(func=lambda args: _missing_suite())
    register_routing(suites)
    register_escalation(suites)
    register_scenarios(suites)
    from support_tui.cli.tau import register_tau  # the tau-bench suite lives in its own module
    register_tau(suites)
    from support_tui.cli.replies import register_replies  # the replies suite lives in its own module
    register_replies(suites)
    from support_tui.cli.answers import register_answers  # the answers suite lives in its own module
    register_answers(suites)


def _missing_suite() -> int:
    raise UserError("eval needs a suite, e.g. `support-tui eval routing --data FILE.jsonl`")


def register_routing(suites: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    routing = suites.add_parser("routing", help="accuracy of a router on JSON lines with text/opening and label")
    routing.add_argument("--data", type=Path, required=True, help="JSON lines with the message field and label")
    routing.add_argument("--router", choices=("embedding", "keyword", "llm"), default="embedding")
    routing.add_argument("--field", default="text", help="message field: text (first message) or opening")
    routing.add_argument("--model", default=None, help="model for --router llm (default: first fallback model)")
    routing.add_argument("--no-fitted", action="store_true", help="ignore a fitted router; use the exemplars only")
    routing.add_argument("--json", action="store_true", help="print one JSON object")
    routing.set_defaults(func=routing_command)


def routing_command(args: argparse.Namespace) -> int:
    try:
        rows = load_labelled(args.data, args.field)
    except DatasetError as exc:
        raise UserError(str(exc)) from None
    texts = [r.text for r in rows]
    started = time.perf_counter()
    notes: list[str] = []
    extra: dict[str, Any] = {}
    if args.router == "keyword":
        from support_tui.core.routing import KeywordRouter

        keyword = KeywordRouter()
        decisions = [keyword.route_text(t) for t in texts]
        predicted, confidences = [d.agent for d in decisions], [d.confidence for d in decisions]
    elif args.router == "llm":
        predicted, confidences = _route_llm(texts, args.model)
    else:
        predicted, confidences = _route_embedding(texts, notes, extra, use_fitted=not args.no_fitted)
    seconds = time.perf_counter() - started
    report = classification_report([r.label for r in rows], predicted, labels=ROUTABLE, confidences=confidences)
    if args.json:
        print(json.dumps({**report.to_dict(), "router": args.router, "field": args.field, "seconds": round(seconds, 3), **extra}))
    else:
        _print_report(report, args, seconds, notes)
    return 0


def _route_embedding(texts: list[str], notes: list[str], extra: dict[str, Any], use_fitted: bool) -> tuple[list[str], list[float]]:
    from support_tui.core.kb.embedder import Embedder
    from support_tui.core.paths import DataPaths
    from support_tui.core.routing import EmbeddingRouter

    router = EmbeddingRouter(Embedder(), fitted_dir=DataPaths.default().router_dir if use_fitted else None)
    router.prepare_sync()
    extra["fitted_on"] = router.head.meta.get("n") if router.head is not None else None
    if router.head is not None:
        notes.append(f"using the fitted router ({router.head.meta.get('n')} messages); --no-fitted for the exemplars alone")
    vectors = router.embedder.encode(texts)
    probs = router.probabilities(vectors, texts)
    return [ROUTABLE[i] for i in probs.argmax(axis=1)], [float(p) for p in probs.max(axis=1)]


def _route_llm(texts: list[str], model: str | None) -> tuple[list[str], list[float]]:
    from support_tui.core.llm.llm_router import LLMRouter, LLMRouterUnavailable, check_model
    from support_tui.core.settings import Settings

    model = model or Settings().fallback_models[0]
    try:
        check_model(model)
        decisions = asyncio.run(LLMRouter(model).route_many(texts))
    except LLMRouterUnavailable as exc:
        raise UserError(f"LLM router unavailable: {exc}") from None
    return [d.agent for d in decisions], [d.confidence for d in decisions]


def _print_report(report: ClassificationReport, args: argparse.Namespace, seconds: float, notes: list[str]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    for note in notes:
        console.print(note, style="dim", markup=False)
    console.print(f"router={args.router} field={args.field} n={report.n} ({seconds:.1f} s)", markup=False)
    console.print(f"accuracy {report.accuracy:.3f}   macro-F1 {report.macro_f1:.3f}"
                  + (f"   ECE {report.ece:.3f}" if report.ece is not None else ""), markup=False)
    per = Table("label", "precision", "recall", "F1", "support", title="per label")
    for label, m in report.per_label.items():
        per.add_row(label, f"{m.precision:.3f}", f"{m.recall:.3f}", f"{m.f1:.3f}", str(m.support))
    console.print(per)
    labels = list(report.confusion)
    short = [label.split("_")[0][:8] for label in labels]
    confusion = Table("true \\ predicted", *short, title="confusion")
    for label in labels:
        row = report.confusion[label]
        confusion.add_row(label, *(f"[bold]{row[p]}[/]" if p == label else str(row[p] or ".") for p in labels))
    console.print(confusion)


def register_escalation(suites: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    escalation = suites.add_parser(
        "escalation",
        help="precision and recall of escalation on opening messages",
        description="Judge each message as the opening of a fresh conversation with a customer of --tier (standard), "
        "exactly as the engine does (sentiment, the human-request detector, the escalation rules).",
    )
    escalation.add_argument("--data", type=Path, required=True, help='JSON lines of {"text": ..., "escalate": true|false}')
    escalation.add_argument("--tier", default="standard", help="the customer's tier (premium and vip customers who are "
                            "unhappy are handed over; the shop's intent layer says which messages are ordinary requests)")
    escalation.add_argument("--json", action="store_true", help="print one JSON object")
    escalation.set_defaults(func=escalation_command)


def escalation_command(args: argparse.Namespace) -> int:
    from support_tui.core.evaluation.escalation import evaluate_openings, load_escalation_cases
    from support_tui.core.factory import intent_classifier
    from support_tui.core.human_request import HumanRequestDetector
    from support_tui.core.settings import Settings
    from support_tui.core.kb.embedder import Embedder

    try:
        cases = load_escalation_cases(args.data)
    except DatasetError as exc:
        raise UserError(str(exc)) from None
    started = time.perf_counter()
    embedder = Embedder()
    report = evaluate_openings(cases, HumanRequestDetector(embedder), tier=args.tier,
                               intents=intent_classifier(Settings().shop, embedder))
    seconds = time.perf_counter() - started
    if args.json:
        print(json.dumps({**report.to_dict(), "seconds": round(seconds, 3)}, ensure_ascii=False))
        return 0
    from support_tui.cli._common import plain

    positives = report.tp + report.fn
    print(f"n={report.n} ({positives} escalate, {report.n - positives} ordinary)  {seconds:.1f} s")
    print(f"  precision            {report.precision:.3f}")
    print(f"  recall               {report.recall:.3f}   ({report.tp}/{positives} escalated)")
    print(f"  F1                   {report.f1:.3f}")
    print(f"  false escalations    {report.false_positive_rate:.3f}   ({report.fp}/{report.n - positives} ordinary)")
    for miss in report.misses:
        kind = "missed  " if miss.expected else f"false ({miss.rule})"
        print(f"  {kind:<28} {plain(miss.text)}")
    return 0


def register_scenarios(suites: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    scenarios = suites.add_parser(
        "scenarios",
        help="play the scripted scenarios and check what the engine did",
        description="Play each scripted scenario (fixtures/scenarios/*.json) on a fresh copy of the demo store and "
        "check its expectations: routes, tool calls, policy outcomes, escalations, store state. "
        "Exit status 1 if any scenario fails, so CI can gate on it; 2 for unusable scenario files.",
    )
    scenarios.add_argument("--only", action="append", metavar="ID", help="run only this scenario (repeatable)")
    scenarios.add_argument("--dir", type=Path, default=None, help="scenario folder (default: fixtures/scenarios)")
    scenarios.add_argument("--json", action="store_true", help="print one JSON object")
    scenarios.set_defaults(func=scenarios_command)


async def scenarios_command(args: argparse.Namespace) -> int:
    from support_tui.cli._common import plain
    from support_tui.core.scenarios import ScenarioError, ScenarioResult, load_scenarios, run_scenarios

    try:
        chosen = load_scenarios(args.dir)
    except ScenarioError as exc:
        raise UserError(str(exc)) from None
    if args.only:
        unknown = sorted(set(args.only) - {s.id for s in chosen})
        if unknown:
            raise UserError(f"no scenario {', '.join(map(repr, unknown))}; known: {', '.join(s.id for s in chosen)}")
        chosen = [s for s in chosen if s.id in args.only]

    def show(result: ScenarioResult) -> None:
        steps = f"{len(result.steps)} step{'s' if len(result.steps) != 1 else ''}, {result.seconds:.1f} s"
        print(f"{'PASS' if result.passed else 'FAIL'}  {result.id}  {plain(result.title)}  ({steps})", flush=True)
        for failure in result.failures:
            print(f"      {plain(failure)}")

    print(f"Playing {len(chosen)} scenarios, each on a fresh copy of the demo store…", file=sys.stderr, flush=True)
    started = time.perf_counter()
    results = await run_scenarios(chosen, on_result=None if args.json else show)
    passed = sum(r.passed for r in results)
    rate = round(passed / len(results), 4) if results else 0.0
    if args.json:
        print(json.dumps({"n": len(results), "passed": passed, "pass_rate": rate,
                          "seconds": round(time.perf_counter() - started, 3),
                          "scenarios": [r.to_dict() for r in results]}, ensure_ascii=False, default=str))
    else:
        print(f"{passed}/{len(results)} scenarios passed ({rate:.1%}) in {time.perf_counter() - started:.0f} s")
    return 0 if passed == len(results) else 1
