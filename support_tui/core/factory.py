"""Wires the real parts into an ``Engine`` for one data directory (tests build their own)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from support_tui.core.shop import Shop
from support_tui.core.store import ShopDatabase, SupportStore, open_shop_database, open_support_store
from support_tui.core.engine import Engine, Progress
from support_tui.core.paths import DataPaths
from support_tui.core.settings import Settings


SHARED_STORE_GRACE_S = 600.0
"""On a shared store, a running turn without a queue lease is taken as dead only this long after it started."""


def _import_heavy() -> None:
    """Import LiteLLM, LanceDB and friends (a few seconds) off the event loop."""
    import support_tui.core.kb.store  # noqa: F401
    import support_tui.core.llm  # noqa: F401
    import support_tui.core.routing  # noqa: F401


KB_HOME_SHOP = "northwind"
"""The shop whose index keeps the plain name (``kb.lance``, or ``kb_path`` itself); other shops add their name."""


def kb_folder(paths: DataPaths, settings: Settings) -> Path:
    """The shop's LanceDB folder: config.toml's ``kb_path`` (an index several workers share), else
    ``<data dir>/kb.lance``, for Northwind; ``kb-<shop>.lance`` beside it for another shop, so switching
    shops never mixes one shop's articles into another's index (nor re-embeds either)."""
    base = Path(settings.kb_path).expanduser() if settings.kb_path else paths.lancedb
    if settings.shop == KB_HOME_SHOP:
        return base
    return base.with_name(f"{base.stem}-{settings.shop}{base.suffix}")


SHARED_KB_REFRESH_S = 30.0
"""How often an engine on a shared ``kb_path`` looks for a newer version of the index another process wrote."""


async def load_parts(paths: DataPaths, settings: Settings, embedder: Any = None) -> tuple[Any, Any, Any, Any, Any, Any]:
    """The knowledge base, embedder, router, model client, human-request detector and the shop's intent
    classifier (None for a shop without an intent catalogue) for a data directory.

    The shop's knowledge base (``shops.kb_dir``) is brought in line with its articles by content hash (``kb.shared.sync``): an index
    built from other files is updated (only changed documents are embedded); one that matches is left
    alone, so workers with the same ``kb/`` hold identical indexes. A shared ``kb_path`` is synced under
    a lock file, empty or not; a data directory's own empty index is built by the engine (with progress).
    """
    await asyncio.to_thread(_import_heavy)
    from support_tui.core.human_request import HumanRequestDetector
    from support_tui.core.kb.embedder import Embedder
    from support_tui.core.kb.shared import sync
    from support_tui.core.kb.store import KnowledgeBase
    from support_tui.core.llm import ModelClient
    from support_tui.core.llm.offline import register_offline_provider
    from support_tui.core.routing import EmbeddingRouter
    from support_tui.shops import kb_dir, offline_skill

    # The offline model serves each shop with that shop's skill, found by the name the prompt gives.
    register_offline_provider(offline_skill)
    embedder = embedder or Embedder()
    shared = bool(settings.kb_path)
    kb = KnowledgeBase(kb_folder(paths, settings), embedder, refresh_s=SHARED_KB_REFRESH_S if shared else None)
    await kb.open()
    if shared or not await kb.is_empty():
        await sync(kb, kb_dir(settings.shop))
    router = EmbeddingRouter(embedder, fitted_dir=paths.router_dir)
    return kb, embedder, router, ModelClient(settings), HumanRequestDetector(embedder), intent_classifier(settings.shop, embedder)


def intent_classifier(shop: str, embedder: Any) -> Any:
    """The shop's intent classifier over the embedder's vectors, or None when the shop has no catalogue."""
    from support_tui.core.routing.embedding import model_id_of
    from support_tui.core.understanding.classifier import IntentClassifier
    from support_tui.shops import intent_catalog

    catalog = intent_catalog(shop)
    return IntentClassifier(catalog, embedder, model_id=model_id_of(embedder)) if catalog is not None else None


async def open_store(
    paths: DataPaths, settings: Settings | None = None, progress: Progress | None = None
) -> tuple[ShopDatabase, SupportStore, Shop]:
    """The shop's database, the support records (migrated) and the configured shop, set up on first use.

    With ``database_url`` set (config.toml or ``$SUPPORT_TUI_DATABASE_URL``) the shop's tables and
    the support records both live in that PostgreSQL database, so every console and worker pointed
    at it serves one shop; otherwise both are in the data directory's SQLite file. A fresh database
    gets the shop's customers, catalogue and orders, and weeks of past conversations marked as
    fixture data (so the metrics show something true). Several processes starting on one fresh
    PostgreSQL database at once set it up once: each step runs under an advisory lock and looks
    again before it writes.
    """
    from support_tui.core.metrics.history import history_loaded, load_history
    from support_tui.shops import open_shop

    settings = settings or Settings()
    db = await open_shop_database(settings, paths.ensure().database)
    try:
        store = open_support_store(settings, db)
    except BaseException:
        await db.close()
        raise
    try:
        await store.migrate()
        fresh = not await history_loaded(store)
        if progress and fresh:
            progress("fixtures", 0, 1)
        shop = await open_shop(settings.shop, db, return_window_days=settings.return_window_days)
        if fresh:
            orders = {c.id: [o.order_id for o in (await shop.customer_card(c.id)).recent_orders]
                      for c in await shop.customers()}
            await load_history(store, today=await shop.today(), orders=orders)
    except BaseException:
        await store.close()
        await db.close()
        raise
    return db, store, shop


async def open_engine(
    paths: DataPaths | None = None,
    settings: Settings | None = None,
    *,
    wait: bool = True,
    progress: Progress | None = None,
    embedder: Any = None,
) -> Engine:
    """Open (and on first use initialise) a data directory: database, fixtures, KB, router, models.

    The database and fixtures are ready when this returns. With ``wait`` the embedding model, the
    router's exemplars and the KB are loaded too; without it nothing heavy starts until the caller
    asks (``wait_ready`` or ``start_background``, or the first turn), so a console draws its first
    frame before any of it competes for the cores.
    """
    paths = (paths or DataPaths.default()).ensure()
    settings = settings or Settings.load(paths.config)
    db, store, shop = await open_store(paths, settings, progress)

    async def close() -> None:
        await store.close()
        await db.close()

    from support_tui.shops import kb_dir

    engine = Engine(settings=settings, store=store, shop=shop, loader=lambda: load_parts(paths, settings, embedder),
                    paths=paths, on_close=close, kb_source=kb_dir(settings.shop))
    # A turn a worker runs under a live lease is never marked. On a shared database a console's turn
    # has no lease: another machine may be running it now, so only one older than any turn can last
    # (every model in the chain timing out) is taken as dead.
    grace = SHARED_STORE_GRACE_S if settings.database_url else 0.0
    await engine.store.mark_interrupted_turns(grace_s=grace)
    if wait:
        engine.start_background(progress)
        try:
            await engine.wait_ready()
        except BaseException:
            await engine.close()
            raise
    return engine
