"""``support-tui eval replies``: play customer messages through the real engine offline and check every reply."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any, Callable

from support_tui.cli import UserError
from support_tui.core.evaluation import DatasetError
from support_tui.core.evaluation.replies import RULES, ReplyCase, TurnReport, check_reply, load_reply_cases, rule_counts


def register_replies(suites: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    replies = suites.add_parser(
        "replies",
        help="check the replies to customer messages (grounding, raw values, KB quoting, coverage)",
        description="Play each case of fixtures/replies/*.jsonl on a fresh copy of the demo store with the offline "
        "model, and check every reply: amounts, ids and dates grounded in the turn's tool results or snippets; no "
        "raw timestamps, enum values, SKUs or Python values; KB quoted whole; every request answered; a confirmed "
        "write executes the quoted amount; general questions show no order details.",
    )
    replies.add_argument("--data", type=Path, default=None, help="a JSONL file or a folder (default: fixtures/replies)")
    replies.add_argument("--only", action="append", metavar="ID", help="run only this case (repeatable)")
    replies.add_argument("--json", action="store_true", help="print one JSON object")
    replies.set_defaults(func=replies_command)


async def run_reply_cases(cases: list[ReplyCase], on_report: Callable[[TurnReport], None] | None = None,
                          embedder: Any = None) -> list[TurnReport]:
    """Each case on its own copy of a fresh demo store, its turns in one conversation, every reply checked."""
    from support_tui.core.factory import open_engine
    from support_tui.core.paths import DataPaths
    from support_tui.core.scenarios.run import build_template
    from support_tui.core.settings import Settings
    from support_tui.core.turn.summary import TurnSummary, summarise_turn

    settings = Settings()
    reports: list[TurnReport] = []
    with tempfile.TemporaryDirectory(prefix="support-tui-replies-") as tmp:
        template = Path(tmp) / "template"
        embedder = await build_template(template, settings, embedder)  # one embedding model for every case
        today = date.today()  # the demo store is created with its dates relative to today
        for case in cases:
            home = Path(tmp) / "run"
            shutil.copytree(template, home)
            engine = await open_engine(DataPaths(home), settings, embedder=embedder)
            try:
                conv = await engine.open_conversation(case.customer, new=True)
                previous: str | None = None
                summaries: list[TurnSummary] = []
                for index, turn in enumerate(case.turns, 1):
                    try:
                        summary = summarise_turn([e async for e in engine.run_turn(conv.id, turn.text)])
                    except Exception as exc:  # a crash is a failed reply, not a crashed run
                        summary = TurnSummary(status="failed", error=f"{type(exc).__name__}: {exc}", reply="")
                    report = TurnReport(case.id, index, turn.text, summary.reply or "",
                                        check_reply(turn, summary, previous, today,
                                                    (summaries, [t.text for t in case.turns[:index - 1]])))
                    previous = summary.reply
                    summaries.append(summary)
                    reports.append(report)
                    if on_report:
                        on_report(report)
            finally:
                await engine.close()
                shutil.rmtree(home, ignore_errors=True)
    return reports


async def replies_command(args: argparse.Namespace) -> int:
    from support_tui.cli._common import plain

    try:
        cases = load_reply_cases(args.data)
    except (DatasetError, OSError) as exc:
        raise UserError(str(exc)) from None
    if args.only:
        unknown = sorted(set(args.only) - {c.id for c in cases})
        if unknown:
            raise UserError(f"no reply case {', '.join(map(repr, unknown))}")
        cases = [c for c in cases if c.id in args.only]

    def show(report: TurnReport) -> None:
        mark = "ok   " if report.clean else "FAIL "
        print(f"{mark}{report.case_id}#{report.index}  {plain(report.text)[:70]}", flush=True)
        if not report.clean:
            print(f"      reply: {plain(report.reply)[:400]}")
            for v in report.violations:
                print(f"      {v.rule}: {plain(v.detail)}")

    print(f"Playing {len(cases)} reply cases, each on a fresh copy of the demo store…", file=sys.stderr, flush=True)
    started = time.perf_counter()
    reports = await run_reply_cases(cases, on_report=None if args.json else show)
    counts = rule_counts(reports)
    clean = sum(r.clean for r in reports)
    share = round(clean / len(reports), 4) if reports else 0.0
    if args.json:
        print(json.dumps({"cases": len(cases), "replies": len(reports), "clean": clean, "clean_share": share,
                          "rules": counts, "seconds": round(time.perf_counter() - started, 1),
                          "turns": [r.to_dict() for r in reports]}, ensure_ascii=False))
    else:
        print(f"\n{len(reports)} replies in {len(cases)} cases, {time.perf_counter() - started:.0f} s")
        for rule, line in RULES.items():
            print(f"  {rule:<18} {counts[rule]:>3}   {line}")
        print(f"clean replies: {clean}/{len(reports)} ({share:.1%})")
    return 0 if clean == len(reports) else 1
