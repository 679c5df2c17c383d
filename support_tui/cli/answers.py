"""``support-tui eval answers``: play each customer message as a fresh conversation and grade the reply against its key."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, TextIO

from support_tui.cli import UserError
from support_tui.core.evaluation import DatasetError
from support_tui.core.evaluation.answers import (
    OUTCOMES,
    AnswerLine,
    AnswerReport,
    AnswerVerdict,
    ToolRun,
    TurnSeen,
    answer_report,
    classify,
    load_answer_lines,
    load_articles,
    unknown_articles,
)

if TYPE_CHECKING:
    from support_tui.core.turn.summary import TurnSummary

SHOW_CHOICES = ("wrong", "not-right", "all", *OUTCOMES)


def register_answers(suites: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    answers = suites.add_parser(
        "answers",
        help="grade the replies to first messages against an answer key (right, clarify, wrong, refused, escalated)",
        description="Play each line as the first message of a fresh conversation with the offline model on a fresh "
        "demo store, and grade the reply. Right: it quotes a sentence (8+ words) of an accepted kb/ article, or an "
        "accepted tool ran (tool~word: and the reply says the word) and no other article is quoted; for off_topic "
        "lines, the bare decline. Escalated: the turn handed the case to a person. Refused: the off-topic decline. "
        "Clarify: a question with no facts, or asking which order, product or topic is meant. Wrong: anything else.",
    )
    answers.add_argument("--data", type=Path, required=True,
                         help='JSON lines of {"text", "intent", "accept_articles": [...], "accept_tools": [...]}')
    answers.add_argument("--customer", default=None, help="the customer who writes (default: the first demo customer)")
    answers.add_argument("--limit", type=int, default=None, metavar="N", help="play only the first N lines")
    answers.add_argument("--show", choices=SHOW_CHOICES, default=None, metavar="CLASS",
                         help="print each line of this class with its reply, the tools that ran and the specialist: "
                         "wrong, clarify, refused, escalated, right, not-right (every line but right) or all")
    answers.add_argument("--json", action="store_true", help="print one JSON object")
    answers.set_defaults(func=answers_command)


@dataclass(frozen=True)
class PlayedLine:
    """One line, what its turn did and its grade."""

    line: AnswerLine
    verdict: AnswerVerdict
    reply: str
    tools: list[str] = field(default_factory=list)
    """Each call as ``name`` (ok) or ``name (status)``."""
    specialist: str | None = None
    wrote: list[str] = field(default_factory=list)
    """Write tools that ran: the store was reset before the next line."""
    escalation: str | None = None
    """The escalation rule that fired, with its reason."""


def first_demo_customer() -> str:
    from support_tui.core.paths import fixtures_dir

    customers = json.loads((fixtures_dir() / "demo_customers.json").read_text(encoding="utf-8"))["customers"]
    return str(customers[0]["id"])


def _turn_seen(summary: TurnSummary) -> TurnSeen:
    return TurnSeen(
        reply=summary.reply or "",
        tools=tuple(ToolRun(c.name, c.status == "ok") for c in summary.tool_calls),
        escalated=summary.escalation.escalated,
    )


def _escalation(summary: TurnSummary) -> str | None:
    escalation = summary.escalation
    return f"{escalation.rule}: {escalation.reason}" if escalation.escalated else None


async def play_answer_lines(lines: list[AnswerLine], customer: str | None = None, embedder: Any = None,
                            on_line: Callable[[PlayedLine], None] | None = None) -> list[PlayedLine]:
    """Each line as the first message of a new conversation on one engine over a fresh demo store.

    A first message never confirms a write, so the lines share one store; should a write run anyway,
    the store is copied afresh from the template before the next line, so no line sees another's effects.
    """
    from support_tui.core.factory import open_engine
    from support_tui.core.paths import DataPaths, kb_source_dir
    from support_tui.core.scenarios.run import build_template
    from support_tui.core.settings import Settings
    from support_tui.core.turn.summary import TurnSummary, summarise_turn

    articles = load_articles(kb_source_dir())
    settings = Settings()
    customer = customer or first_demo_customer()
    played: list[PlayedLine] = []
    with tempfile.TemporaryDirectory(prefix="support-tui-answers-") as tmp:
        template, home = Path(tmp) / "template", Path(tmp) / "run"
        embedder = await build_template(template, settings, embedder)

        async def fresh_engine() -> Any:
            shutil.rmtree(home, ignore_errors=True)
            shutil.copytree(template, home)
            return await open_engine(DataPaths(home), settings, embedder=embedder)

        engine = await fresh_engine()
        try:
            try:
                await engine.customer_brief(customer)
            except LookupError:
                raise UserError(f"no customer {customer!r} in the demo store") from None
            writes = {name for name, spec in engine.shop.tools().items() if spec.writes}
            for line in lines:
                conv = await engine.open_conversation(customer, new=True)
                try:
                    summary = summarise_turn([e async for e in engine.run_turn(conv.id, line.text)])
                except Exception as exc:  # a crash is a wrong answer, not a crashed run
                    summary = TurnSummary(reply=f"[turn failed: {type(exc).__name__}: {exc}]")
                calls = summary.tool_calls
                wrote = [c.name for c in calls if c.name in writes and c.status == "ok"]
                result = PlayedLine(
                    line, classify(line, _turn_seen(summary), articles), summary.reply or "",
                    [c.name if c.status == "ok" else f"{c.name} ({c.status})" for c in calls],
                    summary.agent or (summary.route.agent if summary.route else None), wrote,
                    _escalation(summary),
                )
                played.append(result)
                if on_line:
                    on_line(result)
                if wrote:
                    await engine.close()
                    engine = await fresh_engine()
        finally:
            await engine.close()
    return played


def _wanted(show: str | None, outcome: str) -> bool:
    return show is not None and (show == "all" or show == outcome or (show == "not-right" and outcome != "right"))


def _print_line(result: PlayedLine, out: TextIO) -> None:
    from support_tui.cli._common import plain

    key = (f"articles {', '.join(result.line.accept_articles) or '-'}; tools "
           + (", ".join(k.name + (f"~{k.word}" if k.word else "") for k in result.line.accept_tools) or "-"))
    lines = [
        f"[{result.verdict.outcome}] ({result.line.intent}) {plain(result.line.text)}",
        f"    why:        {plain(result.verdict.reason)}",
        f"    specialist: {result.specialist or '-'}   tools: {', '.join(result.tools) or '-'}",
        f"    key:        {key}",
        *([f"    escalation: {plain(result.escalation)}"] if result.escalation else []),
        *([f"    NOTE: a write ran ({', '.join(result.wrote)}); the store was reset after this line"] if result.wrote else []),
        "    reply:      " + plain(result.reply).replace("\n", "\n                "),
        "",
    ]
    print("\n".join(lines), file=out, flush=True)


def _print_report(report: AnswerReport, seconds: float) -> None:
    print(f"n={report.n}  ({seconds:.0f} s)")
    print("  ".join(f"{o} {report.share(o):.3f}" for o in OUTCOMES))
    print(f"\n{'intent':<36} {'n':>4}  {'right':>5}  {'clarify':>7}  {'wrong':>5}  {'refused':>7}  {'escalated':>9}")
    for intent in report.intents_weakest_first():
        n = sum(report.per_intent[intent].values())
        shares = [report.intent_share(intent, o) for o in OUTCOMES]
        print(f"{intent:<36} {n:>4}  {shares[0]:>5.2f}  {shares[1]:>7.2f}  {shares[2]:>5.2f}  {shares[3]:>7.2f}  {shares[4]:>9.2f}")


async def answers_command(args: argparse.Namespace) -> int:
    from support_tui.core.paths import kb_source_dir

    try:
        lines = load_answer_lines(args.data)
    except DatasetError as exc:
        raise UserError(str(exc)) from None
    if args.limit is not None:
        if args.limit < 1:
            raise UserError("--limit must be at least 1")
        lines = lines[: args.limit]
    missing = unknown_articles(lines, load_articles(kb_source_dir()))
    if missing:
        print(f"note: the key names articles the knowledge base lacks: {', '.join(missing)}", file=sys.stderr)
    print(f"Playing {len(lines)} first messages, each in a new conversation…", file=sys.stderr, flush=True)
    started = time.perf_counter()
    shown = sys.stderr if args.json else sys.stdout  # --json keeps stdout one object

    def show(result: PlayedLine) -> None:
        if _wanted(args.show, result.verdict.outcome):
            _print_line(result, shown)

    played = await play_answer_lines(lines, args.customer, on_line=show)
    seconds = time.perf_counter() - started
    report = answer_report([(p.line, p.verdict) for p in played])
    wrote = sum(bool(p.wrote) for p in played)
    if wrote:
        print(f"note: {wrote} line(s) ran a write tool; the store was reset after each", file=sys.stderr)
    if args.json:
        print(f"{len(played)} lines in {seconds:.0f} s", file=sys.stderr)
        print(json.dumps(report.to_dict(), ensure_ascii=False))
    else:
        _print_report(report, seconds)
    return 0
