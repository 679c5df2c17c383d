"""The knowledge base: markdown chunks in embedded LanceDB, searched by vector and full text fused with RRF."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from support_tui.core import offline_env  # noqa: F401  (LANCEDB_LOG before lancedb loads)
from support_tui.core.events import Snippet
from support_tui.core.kb.chunking import Chunk, Document, chunk_document, read_corpus
from support_tui.core.kb.embedder import DIMENSIONS, Embedder
from support_tui.core.kb.ranking import RRF_K, fts_query, rrf_fuse  # noqa: F401  (re-exported)

if TYPE_CHECKING:
    import pyarrow as pa

TABLE = "chunks"

VECTOR_INDEX_MIN_ROWS = 3_000
"""Below this many chunks an exact (flat) scan is fast and perfectly accurate; from here on an
HNSW_SQ index is built. Flat search grows linearly (about 1.3 ms per 1k rows; 150-420 ms at 100k),
while HNSW_SQ with refinement stays near 2-3 ms at any size with recall@10 of 0.99-1.0
(benchmarks/retrieval.py). At 3k rows flat costs about 3 ms and the index builds in a second."""
HNSW_EF = 64
"""HNSW candidate list size per query: higher is more accurate and slower."""
REFINE_FACTOR = 2
"""Re-rank ``k * REFINE_FACTOR`` index candidates on full vectors: the scalar quantisation alone
caps recall@10 near 0.96 at 100k rows; refining lifts it to 1.0 for about 1 ms."""
NPROBES = 20
"""IVF partitions visited per query (HNSW_SQ in LanceDB is IVF-partitioned too)."""
CANDIDATES = 3
"""Each search fetches ``k * CANDIDATES`` (at least 10) candidates before fusion."""

_COLUMNS = ["doc_id", "chunk_id", "title", "text"]

ProgressFn = Callable[[int, int, str], None]
"""``progress(done, total, doc_id)`` after each document is embedded."""


@dataclass(frozen=True)
class IngestReport:
    """What one ingest changed."""

    added: int = 0
    """New documents."""
    updated: int = 0
    """Documents whose content changed (re-embedded)."""
    removed: int = 0
    """Documents whose file is gone."""
    unchanged: int = 0
    """Documents left as they were (not re-embedded)."""
    chunks: int = 0
    """Chunks in the knowledge base after the ingest."""
    embedded: int = 0
    """Chunks embedded by this ingest."""
    seconds: float = 0.0
    indexed: bool = False
    """True when the table carries an ANN vector index after the ingest."""

    def summary(self) -> str:
        return (
            f"{self.added} added, {self.updated} updated, {self.removed} removed, {self.unchanged} unchanged; "
            f"{self.chunks} chunks ({self.embedded} embedded) in {self.seconds:.1f}s"
        )


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _chunk_number(chunk_id: str) -> int:
    _, _, number = chunk_id.rpartition("#")
    return int(number) if number.isdigit() else 0


class KnowledgeBase:
    """Support articles in a LanceDB folder: incremental ingest and hybrid search."""

    def __init__(self, path: Path, embedder: Embedder, *, refresh_s: float | None = None) -> None:
        self.path = Path(path)
        self.embedder = embedder
        self.refresh_s = refresh_s
        """For an index other processes write (a shared ``kb_path``): look for their newer versions at most
        this often; None reads the version opened (and what this process writes)."""
        self._db: Any = None
        self._table: Any = None
        self._indexed = False
        self._write_lock = asyncio.Lock()
        self._documents: dict[str, list[Snippet]] = {}
        """Articles read whole by ``document``, while this process is the only writer (no ``refresh_s``)."""

    # -- connection -------------------------------------------------------------------------

    async def open(self) -> None:
        """Connect to the folder (created if missing) and open the chunk table if there is one."""
        if self._db is not None:
            return
        import lancedb

        self.path.mkdir(parents=True, exist_ok=True)
        refresh = None if self.refresh_s is None else timedelta(seconds=self.refresh_s)
        self._db = await lancedb.connect_async(str(self.path), read_consistency_interval=refresh)
        try:
            self._table = await self._db.open_table(TABLE)
        except (ValueError, FileNotFoundError):
            return  # a new knowledge base: the first ingest creates the table
        self._indexed = await self._has_vector_index()

    async def reload(self) -> None:
        """See what other processes wrote to the folder since it was opened (a table they made, rows they added)."""
        await self._require_open()
        if self._table is None:
            try:
                self._table = await self._db.open_table(TABLE)
            except (ValueError, FileNotFoundError):
                return
        else:
            await self._table.checkout_latest()
        self._documents.clear()
        self._indexed = await self._has_vector_index()

    @property
    def indexed(self) -> bool:
        """True when vector search goes through the HNSW index (the table is big enough)."""
        return self._indexed

    async def _require_open(self) -> None:
        if self._db is None:
            await self.open()

    async def _has_vector_index(self) -> bool:
        indices = await self._table.list_indices()
        return any(getattr(ix, "columns", None) == ["vector"] for ix in indices)

    # -- reading ----------------------------------------------------------------------------

    async def count(self) -> int:
        """Chunks in the knowledge base."""
        await self._require_open()
        return 0 if self._table is None else int(await self._table.count_rows())

    async def is_empty(self) -> bool:
        return await self.count() == 0

    async def doc_hashes(self) -> dict[str, str]:
        """doc_id -> content hash of every stored document."""
        await self._require_open()
        if self._table is None:
            return {}
        table = await self._table.query().select(["doc_id", "doc_hash"]).to_arrow()
        return dict(zip(table["doc_id"].to_pylist(), table["doc_hash"].to_pylist()))

    async def search(self, query: str, k: int = 4, *, vector: np.ndarray | None = None) -> list[Snippet]:
        """The ``k`` best chunks for ``query``: vector and full-text rankings fused with RRF.

        ``vector`` is the query's normalised embedding when the caller already has it.
        """
        await self._require_open()
        if self._table is None or k <= 0:
            return []
        if vector is None:
            if not query.strip():
                return []
            vector = (await self.embedder.aencode([query]))[0]
        vector = np.asarray(vector, dtype=np.float32).reshape(-1)
        limit = max(10, k * CANDIDATES)
        words = fts_query(query)
        if words:
            by_vector, by_text = await asyncio.gather(self._vector_rows(vector, limit), self._text_rows(words, limit))
        else:
            by_vector, by_text = await self._vector_rows(vector, limit), []
        return [
            Snippet(doc_id=row["doc_id"], chunk_id=row["chunk_id"], title=row["title"], score=score, text=row["text"])
            for score, row in rrf_fuse([by_vector, by_text], k)
        ]

    async def document(self, doc_id: str, limit: int = 2) -> list[Snippet]:
        """The first ``limit`` chunks of one article, in order (its answer section first)."""
        await self._require_open()
        if self._table is None or limit <= 0:
            return []
        cached = self._documents.get(doc_id) if self.refresh_s is None else None
        if cached is None:
            rows: list[dict[str, Any]] = await self._table.query().where(f"doc_id = {_quote(doc_id)}").select(_COLUMNS).to_list()
            rows.sort(key=lambda row: _chunk_number(str(row["chunk_id"])))
            cached = [Snippet(doc_id=row["doc_id"], chunk_id=row["chunk_id"], title=row["title"], score=1.0, text=row["text"])
                      for row in rows]
            if self.refresh_s is None:
                self._documents[doc_id] = cached
        return cached[:limit]

    async def _vector_rows(self, vector: np.ndarray, limit: int) -> list[dict[str, Any]]:
        query = self._table.query().nearest_to(vector).distance_type("cosine").select(_COLUMNS).limit(limit)
        if self._indexed:
            query = query.nprobes(NPROBES).ef(HNSW_EF).refine_factor(REFINE_FACTOR)
        rows: list[dict[str, Any]] = await query.to_list()
        return rows

    async def _text_rows(self, words: str, limit: int) -> list[dict[str, Any]]:
        try:
            rows: list[dict[str, Any]] = (
                await self._table.query().nearest_to_text(words, columns="search_text").select(_COLUMNS).limit(limit).to_list()
            )
            return rows
        except Exception:
            # A query the full-text parser rejects (or a missing FTS index) must not fail the
            # turn: the vector ranking alone still answers.
            return []

    # -- writing ----------------------------------------------------------------------------

    async def ingest(self, source_dir: Path, progress: ProgressFn | None = None) -> IngestReport:
        """Bring the knowledge base in line with ``source_dir``: embed new and changed documents
        only, drop documents whose file is gone."""
        started = time.perf_counter()
        source_dir = Path(source_dir)
        if not source_dir.is_dir():
            raise FileNotFoundError(f"knowledge-base folder not found: {source_dir}")
        await self._require_open()
        async with self._write_lock:
            docs = {d.doc_id: d for d in await asyncio.to_thread(read_corpus, source_dir)}
            stored = await self.doc_hashes()
            added = [d for i, d in docs.items() if i not in stored]
            updated = [d for i, d in docs.items() if i in stored and stored[i] != d.content_hash]
            removed = [i for i in stored if i not in docs]
            to_embed = added + updated
            rows = await self._embed(to_embed, progress)
            await self._write(rows, drop=[d.doc_id for d in updated] + removed)
            return IngestReport(
                added=len(added),
                updated=len(updated),
                removed=len(removed),
                unchanged=len(docs) - len(to_embed),
                chunks=await self.count(),
                embedded=len(rows),
                seconds=time.perf_counter() - started,
                indexed=self._indexed,
            )

    async def _embed(self, docs: list[Document], progress: ProgressFn | None) -> list[dict[str, Any]]:
        """Chunk and embed documents in batches of about 64 chunks, reporting per document."""
        rows: list[dict[str, Any]] = []
        total = len(docs)
        if progress and total:
            progress(0, total, "")
        batch: list[tuple[Document, list[Chunk]]] = []
        done = 0
        for i, doc in enumerate(docs):
            batch.append((doc, chunk_document(doc)))
            if sum(len(c) for _, c in batch) < 64 and i < total - 1:
                continue
            chunks = [c for _, cs in batch for c in cs]
            vectors = await self.embedder.aencode([c.search_text for c in chunks])
            hashes = {d.doc_id: d.content_hash for d, _ in batch}
            for chunk, vec in zip(chunks, vectors):
                rows.append(
                    {
                        "doc_id": chunk.doc_id,
                        "chunk_id": chunk.chunk_id,
                        "title": chunk.title,
                        "text": chunk.text,
                        "search_text": chunk.search_text,
                        "doc_hash": hashes[chunk.doc_id],
                        "vector": vec,
                    }
                )
            for d, _ in batch:
                done += 1
                if progress:
                    progress(done, total, d.doc_id)
            batch = []
        return rows

    async def add_rows(self, rows: list[dict[str, Any]]) -> None:
        """Append pre-embedded rows (the benchmark builds large corpora this way), then re-index."""
        await self._require_open()
        async with self._write_lock:
            await self._write(rows, drop=[])

    async def _write(self, rows: list[dict[str, Any]], drop: list[str]) -> None:
        if not rows and not drop:
            return
        self._documents.clear()
        data = _to_arrow(rows) if rows else None
        if self._table is None:
            if data is None:
                return
            self._table = await self._db.create_table(TABLE, data, mode="overwrite")
        else:
            if drop:
                await self._table.delete("doc_id IN (" + ", ".join(_quote(d) for d in drop) + ")")
            if data is not None:
                await self._table.add(data)
        await self._reindex()

    async def _reindex(self) -> None:
        """Rebuild the full-text index, compact, and keep the vector index policy."""
        from lancedb.index import FTS, HnswSq

        rows = await self._table.count_rows()
        if rows == 0:
            return
        await self._table.create_index("search_text", config=FTS(), replace=True)
        if rows >= VECTOR_INDEX_MIN_ROWS and not self._indexed:
            await self._table.create_index(
                "vector",
                config=HnswSq(distance_type="cosine"),
                replace=True,
            )
            self._indexed = True
        elif rows < VECTOR_INDEX_MIN_ROWS and self._indexed:
            for ix in await self._table.list_indices():
                if ix.columns == ["vector"]:
                    await self._table.drop_index(ix.name)
            self._indexed = False
        # Folds new rows into the existing indices and merges small fragments from deletes.
        await self._table.optimize()


def _to_arrow(rows: list[dict[str, Any]]) -> pa.Table:
    import pyarrow as pa

    vectors = np.asarray([r["vector"] for r in rows], dtype=np.float32).reshape(-1)
    columns = {name: [r[name] for r in rows] for name in ("doc_id", "chunk_id", "title", "text", "search_text", "doc_hash")}
    columns["vector"] = pa.FixedSizeListArray.from_arrays(pa.array(vectors, type=pa.float32()), DIMENSIONS)
    return pa.table(columns)
