"""Wires the real parts into an ``Engine`` for one data directory (tests build their own)."""

from __future__ import annotations

import asyncio
from typing import Any

from support_tui.core.store.sqlite import Database
from support_tui.core.engine import Engine, Progress
from support_tui.core.paths import DataPaths
from support_tui.core.settings import Settings


def _import_heavy() -> None:
    """Import LiteLLM, LanceDB and friends (a few seconds) off the event loop."""
    import support_tui.core.kb.store  # noqa: F401
    import support_tui.core.llm  # noqa: F401
    import support_tui.core.routing  # noqa: F401


async def load_parts(paths: DataPaths, settings: Settings, embedder: Any = None) -> tuple[Any, Any, Any, Any]:
    """The knowledge base, embedder, router and model client for a data directory."""
    await asyncio.to_thread(_import_heavy)
    from support_tui.core.kb.embedder import Embedder
    from support_tui.core.kb.store import KnowledgeBase
    from support_tui.core.llm import ModelClient
    from support_tui.core.routing import EmbeddingRouter

    embedder = embedder or Embedder()
    kb = KnowledgeBase(paths.lancedb, embedder)
    await kb.open()
    router = EmbeddingRouter(embedder, fitted_dir=paths.router_dir)
    return kb, embedder, router, ModelClient(settings)


async def open_store(paths: DataPaths, progress: Progress | None = None) -> Database:
    """The data directory's database, with the demo store and its history loaded on first use."""
    from support_tui.shops.northwind.fixtures import is_loaded, load_fixtures, store_today
    from support_tui.core.metrics.history import load_history

    db = await Database.open(paths.ensure().database)
    try:
        if not await is_loaded(db):
            if progress:
                progress("fixtures", 0, 1)
            await load_fixtures(db)
        # Weeks of past conversations (marked as fixture data) so the metrics show something true.
        await load_history(db, today=await store_today(db))
    except BaseException:
        await db.close()
        raise
    return db


async def open_engine(
    paths: DataPaths | None = None,
    settings: Settings | None = None,
    *,
    wait: bool = True,
    progress: Progress | None = None,
    embedder: Any = None,
) -> Engine:
    """Open (and on first use initialise) a data directory: database, fixtures, KB, router, models.

    The database and fixtures are ready when this returns. The embedding model, the router's
    exemplars and the KB load in the background unless ``wait``; turns wait for them, so a
    console can draw its first frame at once.
    """
    paths = (paths or DataPaths.default()).ensure()
    settings = settings or Settings.load(paths.config)
    db = await open_store(paths, progress)
    engine = Engine(settings=settings, db=db, loader=lambda: load_parts(paths, settings, embedder), paths=paths)
    await engine.store.mark_interrupted_turns()
    engine.start_background(progress)
    if wait:
        try:
            await engine.wait_ready()
        except BaseException:
            await engine.close()
            raise
    return engine
