"""``support-tui metrics`` (figures for a period) and ``support-tui serve-metrics`` (a Prometheus endpoint)."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from support_tui.cli import UserError
from support_tui.cli._common import plain, print_json
from support_tui.core.metrics.figures import duration, percent
from support_tui.core.paths import DataPaths

if TYPE_CHECKING:
    from support_tui.core.metrics.figures import Metrics


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    metrics = sub.add_parser("metrics", help="support metrics: resolution, FCR, escalations, reply times, CSAT, cost")
    metrics.add_argument("--since", help="first day, YYYY-MM-DD (default: the first conversation)")
    metrics.add_argument("--until", help="last day included, YYYY-MM-DD (default: today)")
    metrics.add_argument("--exclude-fixture", action="store_true", help="leave out the generated fixture history")
    metrics.add_argument("--json", action="store_true", help="print one JSON object")
    metrics.set_defaults(func=metrics_command)

    serve = sub.add_parser("serve-metrics", help="expose the metrics for Prometheus (read from the database per scrape)")
    serve.add_argument("--port", type=_port, default=9464, help="TCP port (default 9464)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    serve.add_argument("--exclude-fixture", action="store_true", help="leave out the generated fixture history")
    serve.set_defaults(func=serve_command)


def parse_day(text: str | None, flag: str) -> date | None:
    """A ``YYYY-MM-DD`` option as a date; anything else is the user's to fix."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UserError(f"{flag} expects a date as YYYY-MM-DD, not {plain(text)!r}") from None


def period(since: str | None, until: str | None) -> tuple[datetime | None, datetime | None]:
    """``--since``/``--until`` as the half-open UTC period [since 00:00, the day after until 00:00)."""
    from support_tui.core.metrics.figures import day_end, period_start

    first, last = parse_day(since, "--since"), parse_day(until, "--until")
    if first and last and first > last:
        raise UserError(f"--since {first} is after --until {last}")
    return (period_start(1, first) if first else None), (day_end(last) if last else None)


def _settings(paths: DataPaths) -> Any:
    """config.toml's settings: its ``database_url`` says where the records are (the environment variable wins)."""
    from support_tui.core.settings import Settings

    try:
        return Settings.load(paths.config)
    except ValueError as exc:  # a malformed config.toml (TOML or a field's type)
        raise UserError(f"{paths.config}: {exc}") from None


async def _open_store(paths: DataPaths, settings: Any) -> Any:
    """``open_store``, with a database that cannot be reached (server down, no such database) said in one line."""
    from support_tui.cli.store import database_problems
    from support_tui.core.factory import open_store
    from support_tui.core.store import database_url

    try:
        return await open_store(paths, settings)
    except database_problems() as exc:
        where = database_url(settings) or paths.database
        raise UserError(f"cannot open the records at {display(where)}: {exc}") from None


def display(where: Any) -> str:
    """A database URL with any password hidden, or a path."""
    from support_tui.core.store.sql.postgres import display_url

    return display_url(where) if isinstance(where, str) else str(where)


async def metrics_command(args: argparse.Namespace) -> int:
    from support_tui.core.metrics.figures import compute_metrics

    since, until = period(args.since, args.until)
    paths = DataPaths.default()
    db, store, shop = await _open_store(paths, _settings(paths))
    try:
        figures = await compute_metrics(store, shop.tools(), since=since, until=until, include_fixture=not args.exclude_fixture)
    finally:
        await store.close()
        await db.close()
    if args.json:
        print_json(figures.model_dump(mode="json"))
    else:
        print_tables(figures)
    return 0


def print_tables(m: Metrics) -> None:
    """The figures as a few rich tables; names from the database are shown literally."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console()
    start = m.since.date().isoformat() if m.since else "the start"
    end = m.until.date().isoformat() if m.until else "now"
    note = f" · includes {m.fixture_conversations} fixture conversations" if m.fixture_conversations else ""
    console.print(Text(f"Support metrics from {start} to {end} (end exclusive){note}", style="bold"))

    summary = Table(show_header=False, box=None, padding=(0, 2))
    for label, value in (
        ("Conversations", f"{m.conversations} ({m.ended} ended)"),
        ("Resolution rate", f"{percent(m.resolution_rate)} ({m.outcomes['resolved']} of {m.claimed_resolved} resolved claims hold)"),
        ("First-contact resolution", f"{percent(m.fcr_rate)} ({m.first_contact_resolved})"),
        ("Reopened", f"{m.reopened} (within {m.reopen_window_hours:g} h)"),
        ("Escalation rate", f"{percent(m.escalation_rate)} ({m.escalated})"),
        ("First reply", f"median {duration(m.first_reply.median_s)} · p95 {duration(m.first_reply.p95_s)}"),
        ("Time to resolution", f"median {duration(m.resolution_time.median_s)} · p95 {duration(m.resolution_time.p95_s)}"),
        ("CSAT", f"{percent(m.csat)} · mean {m.mean_rating if m.mean_rating is not None else '—'} ({m.ratings} ratings)"),
        ("Tokens", f"{m.prompt_tokens:,} prompt · {m.completion_tokens:,} completion"),
        ("Cost", f"${m.cost_usd:.4f} · ${(m.cost_per_conversation or 0):.5f} per conversation"),
    ):
        summary.add_row(Text(label, style="bold"), Text(value))
    console.print(summary)

    outcomes = Table(title="Outcomes and escalation rules")
    outcomes.add_column("outcome")
    outcomes.add_column("n", justify="right")
    for name, n in m.outcomes.items():
        outcomes.add_row(Text(name), str(n))
    for rule, n in m.escalation_reasons.items():
        outcomes.add_row(Text(f"escalated: {plain(rule)}"), str(n))
    console.print(outcomes)

    for title, groups in (("By specialist", m.by_specialist), ("By model", m.by_model)):
        table = Table(title=title)
        table.add_column("name", overflow="fold")
        for column in ("convs", "resolved", "rate", "escalated", "tokens", "cost $"):
            table.add_column(column, justify="right", no_wrap=True)
        for g in groups:
            table.add_row(Text("no AI reply", style="italic") if title == "By model" and g.name == "none" else Text(plain(g.name)), str(g.conversations), str(g.resolved), percent(g.resolution_rate),
                          str(g.escalated), f"{g.prompt_tokens + g.completion_tokens:,}", f"{g.cost_usd:.4f}")
        console.print(table)

    sentiment = Table(title="Customer messages by sentiment")
    for label in m.sentiment:
        sentiment.add_column(label.replace("_", " "), justify="right")
    sentiment.add_row(*(str(n) for n in m.sentiment.values()))
    console.print(sentiment)


def _port(text: str) -> int:
    """A TCP port for argparse: 99999 ended in an OverflowError traceback from bind()."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0-65535, not {port}")
    return port


def serve_command(args: argparse.Namespace) -> int:
    from support_tui.core.metrics.export import serve
    from support_tui.core.store.records.metric_readers import metric_reader_for

    paths = DataPaths.default()
    settings = _settings(paths)

    async def prepare() -> Any:
        db, store, shop = await _open_store(paths, settings)
        await store.close()
        await db.close()
        return shop.tools()

    tools = asyncio.run(prepare())  # a fresh database sets itself up first
    read = metric_reader_for(settings, paths.database)  # PostgreSQL when database_url is set
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"support-tui: warning: serving metrics on {args.host}, reachable from other machines", file=sys.stderr)
    try:
        server, _thread = serve(read, tools, host=args.host, port=args.port, include_fixture=not args.exclude_fixture)
    except OSError as exc:
        raise UserError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from None
    host, port = server.server_address[:2]
    print(f"Serving support metrics at http://{host}:{port}/metrics (Ctrl-C stops)", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
        server.server_close()
    return 0
