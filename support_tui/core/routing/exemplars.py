"""The router's exemplar messages: loaded from TOML, embedded once, cached on disk by content hash."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from support_tui.core.specialists import ROUTABLE, Team, default_team

EXEMPLARS_FILE = Path(__file__).resolve().parents[1] / "routing_exemplars.toml"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Exemplars:
    """Exemplar texts with the specialist each belongs to (descriptions included)."""

    texts: tuple[str, ...]
    agents: tuple[str, ...]

    def digest(self, model_id: str) -> str:
        """A hash of the texts, their labels and the embedding model: the cache key."""
        payload = json.dumps([model_id, list(self.agents), list(self.texts)], ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:20]


def load_exemplars(path: Path = EXEMPLARS_FILE, team: Team | None = None) -> Exemplars:
    """Each routable specialist's exemplars, then its description as one more exemplar."""
    team = team or default_team()
    with path.open("rb") as fh:
        raw = tomllib.load(fh)
    unknown = sorted(set(raw) - set(ROUTABLE))
    if unknown:
        raise ValueError(f"{path.name}: unknown specialist(s) {', '.join(unknown)}")
    texts: list[str] = []
    agents: list[str] = []
    for agent in ROUTABLE:
        for text in [*raw.get(agent, {}).get("exemplars", []), team[agent].description]:
            texts.append(str(text))
            agents.append(agent)
    return Exemplars(tuple(texts), tuple(agents))


class PreparedOffLoop:
    """Exemplars embedded (or read from the cache) once, off the event loop: ``await prepare()`` runs the
    subclass's ``prepare_sync`` in a thread the first time; later and concurrent calls wait or return."""

    _prepare_lock: asyncio.Lock | None = None

    @property
    def ready(self) -> bool:
        raise NotImplementedError

    def prepare_sync(self) -> None:
        raise NotImplementedError

    async def prepare(self) -> None:
        if self._prepare_lock is None:
            self._prepare_lock = asyncio.Lock()
        async with self._prepare_lock:
            if not self.ready:
                await asyncio.to_thread(self.prepare_sync)


def default_cache_dir() -> Path:
    """Where exemplar matrices are cached: ``$SUPPORT_TUI_CACHE`` or ``<data home>/cache/router``."""
    env = os.environ.get("SUPPORT_TUI_CACHE")
    if env:
        return Path(env).expanduser()
    from support_tui.core.paths import data_home

    return data_home() / "cache" / "router"


def read_cached(cache_dir: Path, key: str, rows: int) -> np.ndarray | None:
    """The cached matrix for ``key``, or None when absent, unreadable or the wrong shape."""
    path = cache_dir / f"exemplars-{key}.npy"
    try:
        matrix: np.ndarray = np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        return None
    if matrix.ndim != 2 or matrix.shape[0] != rows:
        return None
    return matrix.astype(np.float32, copy=False)


def embed_cached(encode: Callable[[list[str]], Any], texts: Sequence[str], key: str, cache_dir: Path | None = None) -> np.ndarray:
    """The texts' vectors from the cache under ``key``, or encoded and cached (``cache_dir``: the default one)."""
    folder = cache_dir or default_cache_dir()
    matrix = read_cached(folder, key, len(texts))
    if matrix is None:
        matrix = np.asarray(encode(list(texts)), dtype=np.float32)
        write_cached(folder, key, matrix)
    return matrix


def write_cached(cache_dir: Path, key: str, matrix: np.ndarray) -> None:
    """Store the matrix atomically; a read-only disk only costs the next start its encoding time."""
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = cache_dir / f".exemplars-{key}.{os.getpid()}.npy"
        np.save(tmp, matrix.astype(np.float32))
        os.replace(tmp, cache_dir / f"exemplars-{key}.npy")
    except OSError as exc:
        log.warning("router exemplar cache not written: %s", exc)
