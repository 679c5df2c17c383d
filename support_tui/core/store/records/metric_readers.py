"""Synchronous metric readers for the Prometheus exporter's thread, over whichever database the settings choose."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import Callable

from support_tui.core.settings import Settings
from support_tui.core.store import database_url, postgres_support_store
from support_tui.core.store.records.values import MetricRecords
from support_tui.core.store.records.metric_queries import metric_reader as sqlite_metric_reader

SyncMetricReader = Callable[[datetime | None, bool], MetricRecords]
"""``(since, include_fixture) -> MetricRecords``, safe to call from any thread."""


def postgres_metric_reader(url: str) -> SyncMetricReader:
    """A reader that opens a one-connection pool per scrape on its own event loop (the exporter's thread has none)."""

    async def read(since: datetime | None, include_fixture: bool) -> MetricRecords:
        store = postgres_support_store(url, min_size=1, max_size=1)
        try:
            return await store.metric_records(since, include_fixture)
        finally:
            await store.close()

    return lambda since, include_fixture: asyncio.run(read(since, include_fixture))


def metric_reader_for(settings: Settings, sqlite_path: Path) -> SyncMetricReader:
    """PostgreSQL at ``database_url`` (config.toml or ``$SUPPORT_TUI_DATABASE_URL``) when set, else the SQLite file."""
    url = database_url(settings)
    return postgres_metric_reader(url) if url else sqlite_metric_reader(sqlite_path)
