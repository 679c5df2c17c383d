"""``support-tui kb ingest`` and ``support-tui kb search``: build and query the knowledge base."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable, TextIO

from support_tui.cli import UserError
from support_tui.cli._common import plain
from support_tui.shops import SHOPS

if TYPE_CHECKING:
    from support_tui.core.kb import KnowledgeBase


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    kb = sub.add_parser("kb", help="build and search the knowledge base", description="Build and search the knowledge base.")
    kb_sub = kb.add_subparsers(dest="kb_command", metavar="ACTION", required=True)

    ingest = kb_sub.add_parser("ingest", help="embed new and changed documents, drop deleted ones")
    ingest.add_argument("--source", type=Path, default=None,
                        help="folder of markdown documents (default: the shop's own articles; Northwind's are kb/)")
    ingest.add_argument("--shop", choices=SHOPS, default=None, help=SHOP_HELP)
    ingest.set_defaults(func=_ingest)

    search = kb_sub.add_parser("search", help="hybrid search of the knowledge base")
    search.add_argument("query", help="what to look for")
    search.add_argument("-k", type=int, default=4, help="how many snippets (default 4)")
    search.add_argument("--json", action="store_true", help="print a JSON list of {doc_id, title, score, text}")
    search.add_argument("--shop", choices=SHOPS, default=None, help=SHOP_HELP)
    search.set_defaults(func=_search)


SHOP_HELP = ("whose knowledge base (default: config.toml's shop, else northwind); each shop has its own index, "
             "where its console reads it")


class ProgressBar:
    """A one-line progress bar on a terminal stream; plain lines when the stream is not a terminal."""

    def __init__(self, stream: TextIO | None = None, width: int = 30) -> None:
        self.stream = stream or sys.stderr  # looked up now: a default bound at import outlives a redirected stderr
        self.width = width
        self.tty = self.stream.isatty()
        self._last_line = ""

    def __call__(self, done: int, total: int, doc_id: str) -> None:
        if total <= 0:
            return
        filled = int(self.width * done / total)
        bar = "#" * filled + "-" * (self.width - filled)
        line = f"embedding [{bar}] {done}/{total} {doc_id}"
        if self.tty:
            self.stream.write("\r" + line.ljust(len(self._last_line)))
            if done == total:
                self.stream.write("\n")
        elif done == total or done == 0:
            self.stream.write(line + "\n")
        self._last_line = line
        self.stream.flush()


def _open_kb(shop: str | None) -> tuple[KnowledgeBase, Path]:
    """The index of ``--shop`` (the one its console opens: ``demo --shop`` and ``console --shop`` use the same
    data directory) and the folder of that shop's articles."""
    from support_tui.cli.console import shop_home
    from support_tui.core.factory import kb_folder
    from support_tui.core.kb import Embedder, KnowledgeBase
    from support_tui.shops import kb_dir

    paths, settings = shop_home(shop)
    paths.ensure()
    # kb_path in config.toml: an index several workers share, one per shop
    return KnowledgeBase(kb_folder(paths, settings), Embedder()), kb_dir(settings.shop)


async def _run_ingest(kb: KnowledgeBase, source: Path, progress: Callable[[int, int, str], None]) -> str:
    if not source.is_dir():
        raise UserError(f"knowledge-base folder not found: {source}")
    from support_tui.core.kb.shared import index_hash, ingesting

    print(f"ingesting {source} into {kb.path}", file=sys.stderr)
    async with ingesting(kb):  # one writer at a time on an index several workers share
        report = await kb.ingest(source, progress=progress)
    return f"{report.summary()}; index {await index_hash(kb)}"


async def _ingest(args: argparse.Namespace) -> int:
    kb, articles = _open_kb(args.shop)
    await kb.open()
    summary = await _run_ingest(kb, args.source or articles, ProgressBar())
    print(summary)
    return 0


async def _search(args: argparse.Namespace) -> int:
    if args.k < 1:
        raise UserError("-k must be at least 1")
    # Like `ask`: escape sequences and control characters are not a query ("\x1b[2J" matched phone cases).
    args.query = plain(args.query).strip()
    if not args.query:
        raise UserError("the query is empty; write what to look for")
    kb, articles = _open_kb(args.shop)
    await kb.open()
    if await kb.is_empty():
        print("the knowledge base is empty: ingesting first", file=sys.stderr)
        print(await _run_ingest(kb, articles, ProgressBar()), file=sys.stderr)
    started = time.perf_counter()
    snippets = await kb.search(args.query, k=args.k)
    elapsed_ms = (time.perf_counter() - started) * 1000
    if args.json:
        rows = [{"doc_id": s.doc_id, "title": s.title, "score": s.score, "text": s.text} for s in snippets]
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    if not snippets:
        print("no results")
        return 0
    for i, s in enumerate(snippets, start=1):
        print(f"{i}. {s.title}  [{s.chunk_id}]  score {s.score:.3f}")
        for line in s.text.splitlines():
            print(f"   {line}")
        print()
    print(f"{len(snippets)} results in {elapsed_ms:.1f} ms (query embedding included)", file=sys.stderr)
    return 0
