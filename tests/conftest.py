"""Shared test fixtures: an isolated data directory, one embedding model, a ready engine per test."""

from __future__ import annotations

import asyncio
import os
import shutil
from datetime import date
from pathlib import Path

import pytest

# Tests never reach a real provider or the user's data directory.
for _key in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_API_BASE", "OPENAI_BASE_URL", "ANTHROPIC_API_BASE", "ANTHROPIC_BASE_URL"):
    os.environ.pop(_key, None)

import support_tui.core.offline_env  # noqa: E402,F401


@pytest.fixture(scope="session")
def _shared_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch, _shared_cache):
    monkeypatch.setenv("SUPPORT_TUI_HOME", str(tmp_path_factory.mktemp("home")))
    # The router's exemplar vectors depend only on the exemplars and the model: one cache per run.
    monkeypatch.setenv("SUPPORT_TUI_CACHE", str(_shared_cache))


@pytest.fixture(scope="session")
def shared_embedder():
    """The MiniLM model, loaded once for the whole run (about 5 s)."""
    from support_tui.core.kb.embedder import Embedder

    embedder = Embedder()
    embedder.load()
    return embedder


@pytest.fixture(scope="session")
def template_home(tmp_path_factory, shared_embedder) -> Path:
    """A data directory with fixtures loaded and the KB ingested, copied for each engine test."""
    from support_tui.core.factory import open_engine
    from support_tui.core.paths import DataPaths

    home = tmp_path_factory.mktemp("template") / "home"

    async def build() -> None:
        engine = await open_engine(DataPaths(home), embedder=shared_embedder)
        await engine.close()

    asyncio.run(build())
    return home


@pytest.fixture
def engine_home(tmp_path, template_home) -> Path:
    home = tmp_path / "home"
    shutil.copytree(template_home, home)
    return home


@pytest.fixture
async def engine(engine_home, shared_embedder):
    """A ready engine on a private copy of the fixture store, offline model only."""
    from support_tui.core.factory import open_engine
    from support_tui.core.paths import DataPaths
    from support_tui.core.settings import Settings

    eng = await open_engine(DataPaths(engine_home), Settings(), embedder=shared_embedder)
    try:
        yield eng
    finally:
        await eng.close()


STORE_DAY = date(2026, 3, 15)
"""The day the store-only tests' fixture store is created (its dates are relative to it)."""


@pytest.fixture(params=("sqlite", "postgres"))
async def db(request, tmp_path):
    """The demo store alone (no KB, no engine) in a temporary database, once on SQLite and once on PostgreSQL."""
    from tests.pg import shop_database

    async with shop_database(request.param, request, tmp_path, day=STORE_DAY) as database:
        yield database


async def run(engine, conversation_id: str, text: str, **kwargs):
    """All events of one turn."""
    return [e async for e in engine.run_turn(conversation_id, text, **kwargs)]


@pytest.fixture(scope="session")
def pg_cluster():
    """A throwaway PostgreSQL 15 cluster for the whole run (tests/pg.py), started on first use, stopped at the end."""
    from tests.pg import ClusterError, PostgresCluster

    try:
        cluster = PostgresCluster().start()
    except ClusterError as exc:
        problem = str(exc)
    else:
        problem = ""
    if problem:
        pytest.fail(problem, pytrace=False)
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def retail_kb_index(tmp_path_factory, shared_embedder) -> Path:
    """The tau-bench retail shop's knowledge base, ingested once; engine tests on that shop copy it into their
    data directory as ``kb-taubench-retail.lance`` (the folder ``factory.kb_folder`` names for the shop)."""
    from support_tui.core.kb import KnowledgeBase
    from support_tui.shops.taubench_retail import KB_DIR

    folder = tmp_path_factory.mktemp("retail-kb") / "kb-taubench-retail.lance"

    async def build() -> None:
        kb = KnowledgeBase(folder, shared_embedder)
        await kb.open()
        await kb.ingest(KB_DIR)

    asyncio.run(build())
    return folder
