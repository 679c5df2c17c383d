"""A throwaway PostgreSQL 15 cluster for the tests: started once per test session, on 127.0.0.1 and a free port.

The server refuses to run as root, so as root every command runs as the ``postgres`` user
(``su postgres``) on a data directory it owns. The cluster trusts local connections (``initdb -A
trust``) and skips fsync: it lives for one test run. Each test that wants PostgreSQL gets a fresh
database of its own (``new_database``), so nothing leaks between tests.

Set ``SUPPORT_TUI_PG_BIN`` to use server binaries elsewhere than ``/usr/lib/postgresql/15/bin``.
"""

from __future__ import annotations

import itertools
import os
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import asynccontextmanager
from pathlib import Path
from datetime import date
from typing import Any, AsyncIterator, Awaitable, Callable

PG_BIN = Path(os.environ.get("SUPPORT_TUI_PG_BIN", "/usr/lib/postgresql/15/bin"))
SERVER_USER = "postgres"


class ClusterError(RuntimeError):
    """The throwaway cluster could not be made or started; the message says why and what to install."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresCluster:
    """One initdb'd, running cluster; ``stop()`` ends it and removes its files."""

    def __init__(self) -> None:
        missing = [name for name in ("initdb", "pg_ctl", "postgres") if not (PG_BIN / name).exists()]
        if missing:
            raise ClusterError(
                f"PostgreSQL 15 server binaries not found in {PG_BIN} (missing {', '.join(missing)}): install the"
                " Debian package with `apt-get update && apt-get install -y postgresql` (`make test` does, through tests/system_deps.sh), or set"
                " SUPPORT_TUI_PG_BIN to the folder holding initdb and pg_ctl."
            )
        self._as_root = os.geteuid() == 0
        self.dir = Path(tempfile.mkdtemp(prefix="support-tui-pg-"))
        self.data = self.dir / "data"
        self.port = 0
        self._names = itertools.count(1)
        self._templates: dict[str, str] = {}
        if self._as_root:
            shutil.chown(self.dir, user=SERVER_USER)

    def _run(self, command: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        argv = ["su", SERVER_USER, "-s", "/bin/bash", "-c", command] if self._as_root else ["/bin/bash", "-c", command]
        return subprocess.run(argv, cwd=self.dir, capture_output=True, text=True, timeout=timeout)

    def _check(self, what: str, done: subprocess.CompletedProcess[str]) -> None:
        if done.returncode != 0:
            log = (self.dir / "log").read_text(errors="replace")[-2000:] if (self.dir / "log").exists() else ""
            raise ClusterError(f"{what} failed ({done.returncode}): {done.stderr.strip()[-2000:]}\n{log}")

    def start(self) -> "PostgresCluster":
        """initdb and start; on failure nothing is left behind and ``ClusterError`` says why."""
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> "PostgresCluster":
        self._check("initdb", self._run(
            f"{PG_BIN / 'initdb'} -D {shlex.quote(str(self.data))} -A trust -U postgres -E UTF8 --no-sync"
            " --no-instructions"
        ))
        for attempt in range(3):  # the free port may be taken between choosing and binding it
            self.port = _free_port()
            done = self._pg_ctl_start()
            if done.returncode == 0:
                return self
            if attempt == 2:
                self._check("pg_ctl start", done)
        return self

    def _pg_ctl_start(self) -> subprocess.CompletedProcess[str]:
        options = (f"-p {self.port} -k {shlex.quote(str(self.dir))} -c listen_addresses=127.0.0.1"
                   " -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        return self._run(
            f"{PG_BIN / 'pg_ctl'} -D {shlex.quote(str(self.data))} -o {shlex.quote(options)}"
            f" -l {shlex.quote(str(self.dir / 'log'))} -w -t 30 start"
        )

    def go_down(self) -> None:
        """An outage: stop the server (fast: sessions are ended, nothing new connects); its data stays."""
        self._check("pg_ctl stop", self._run(f"{PG_BIN / 'pg_ctl'} -D {shlex.quote(str(self.data))} -m fast -w stop"))

    def come_back(self) -> None:
        """End an outage: start the server again on the same port."""
        self._check("pg_ctl start", self._pg_ctl_start())

    def stop(self) -> None:
        """Stop the server at once (its data is thrown away) and remove the folder."""
        if self.data.exists():
            self._run(f"{PG_BIN / 'pg_ctl'} -D {shlex.quote(str(self.data))} -m immediate -w stop", timeout=30)
        shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    async def new_database(self, prefix: str = "test", *, template: str | None = None) -> str:
        """Create a database of its own for one test (empty, or a copy of ``template``); returns its URL."""
        import asyncpg

        name = f"{prefix}_{os.getpid()}_{next(self._names)}_{int(time.time() * 1000) % 100000}"
        conn = await asyncpg.connect(self.url())
        try:
            await conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        finally:
            await conn.close()
        return self.url(name)

    async def copy_of(self, key: str, build: Callable[[str], Awaitable[None]]) -> str:
        """A fresh database holding what ``build(url)`` made the first time ``key`` was asked for (a template
        database kept for the run: loading the demo shop once, cloning it per test in a few ms)."""
        if key not in self._templates:
            url = await self.new_database(f"template_{key}")
            await build(url)  # it must close its connections: a template is cloned only when nobody is on it
            self._templates[key] = url.rsplit("/", 1)[-1]
        return await self.new_database(key, template=self._templates[key])


@asynccontextmanager
async def support_store(backend: str, request: Any, tmp_path: Path) -> AsyncIterator[Any]:
    """An empty ``SupportStore`` of ``backend`` (``sqlite``: a file in ``tmp_path``; ``postgres``: a fresh
    database in the session's cluster), closed when the block ends. For fixtures parametrized over both."""
    from support_tui.core.store import Database, SQLSupportStore, postgres_support_store

    if backend == "sqlite":
        db = await Database.open(tmp_path / "support.db")
        try:
            yield SQLSupportStore(db)
        finally:
            await db.close()
    elif backend == "postgres":
        store = postgres_support_store(await request.getfixturevalue("pg_cluster").new_database())
        try:
            yield store
        finally:
            await store.close()
    else:
        raise ValueError(f"no such backend {backend!r}")


@asynccontextmanager
async def shop_database(backend: str, request: Any, tmp_path: Path, *, day: date | None = None) -> AsyncIterator[Any]:
    """A ``ShopDatabase`` of ``backend`` with the demo shop's tables (and its fixtures for ``day`` when given),
    closed when the block ends: SQLite in ``tmp_path``, or a database of its own in the session's cluster."""
    from support_tui.core.store import Database, PostgresShopDatabase
    from support_tui.shops.northwind import NorthwindShop
    from support_tui.shops.northwind.fixtures import load_fixtures

    async def build(db: Any) -> None:
        await NorthwindShop.open(db, load=False)
        if day is not None:
            await load_fixtures(db, today=day)

    if backend == "sqlite":
        db: Any = await Database.open(tmp_path / "store.db")
        await build(db)
    elif backend == "postgres":
        async def template(url: str) -> None:
            made = PostgresShopDatabase(url)
            try:
                await build(made)
            finally:
                await made.close()

        url = await request.getfixturevalue("pg_cluster").copy_of(f"northwind_{day or 'empty'}".replace("-", ""), template)
        db = PostgresShopDatabase(url)
    else:
        raise ValueError(f"no such backend {backend!r}")
    try:
        yield db
    finally:
        await db.close()


def counters(store: Any) -> tuple[int, int]:
    """(statements sent, rows read) so far by a store of either backend."""
    source = store.db if hasattr(store, "db") else store
    return source.statements, source.rows_read


BACKENDS = ("sqlite", "postgres")
"""The ``params`` of a store fixture that runs its tests against both backends."""
