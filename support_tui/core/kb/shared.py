"""One knowledge base for many workers: an index named by the content hash of what it was built from.

Every document's hash covers the chunker's version and the file's bytes (``chunking.read_document``);
``corpus_hash`` folds the documents' hashes with the embedding model's name into one hash of the
whole index. Two data directories that ingest the same ``kb/`` hold the same chunks and the same
hash, so each worker can build its own index and be sure it matches the others', or all of them can
read one LanceDB folder on shared storage (``kb_path`` in config.toml).

``sync`` brings an index in line with a ``kb/`` folder only when the hashes differ, embedding only
the documents that changed, under an exclusive lock file beside the index: workers starting
together on one shared, empty folder build it once (the others wait, see the hash match and read).
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
from contextlib import asynccontextmanager
from pathlib import Path
from typing import IO, Any, AsyncIterator, Mapping

from support_tui.core.kb.chunking import read_corpus
from support_tui.core.kb.embedder import DIMENSIONS
from support_tui.core.kb.store import IngestReport, KnowledgeBase, ProgressFn

EMBEDDING_MODEL = f"all-MiniLM-L6-v2/{DIMENSIONS}"
"""The model the vectors come from; part of the index's hash (another model's vectors never match)."""


def corpus_hash(doc_hashes: Mapping[str, str]) -> str:
    """The hash of an index holding these documents (doc_id -> content hash), whatever their order."""
    text = EMBEDDING_MODEL + "\n" + "\n".join(f"{doc_id}\t{digest}" for doc_id, digest in sorted(doc_hashes.items()))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def source_hash(source_dir: Path) -> str:
    """The hash an index built from ``source_dir`` (its ``*.md`` files) has."""
    return corpus_hash({doc.doc_id: doc.content_hash for doc in read_corpus(Path(source_dir))})


async def index_hash(kb: KnowledgeBase) -> str:
    """The hash of what ``kb`` holds now (an empty index has the hash of an empty folder)."""
    return corpus_hash(await kb.doc_hashes())


def _lock(path: Path) -> IO[Any]:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a")
    fcntl.flock(handle, fcntl.LOCK_EX)  # blocks until no other process ingests into this index
    return handle


@asynccontextmanager
async def ingesting(kb: KnowledgeBase) -> AsyncIterator[None]:
    """Hold the index's lock file (``<folder>.ingest.lock``) and see what others wrote before it was free."""
    handle = await asyncio.to_thread(_lock, kb.path.with_name(kb.path.name + ".ingest.lock"))
    try:
        await kb.reload()
        yield
    finally:
        handle.close()  # closing the file releases the lock


async def sync(kb: KnowledgeBase, source_dir: Path, progress: ProgressFn | None = None) -> IngestReport | None:
    """Ingest ``source_dir`` into ``kb`` when their hashes differ; None when the index already matches.

    An index with no ``kb/`` folder beside it (a worker reading a shared index) is left as it is;
    an empty index without one is an error, as for ``ingest``."""
    source_dir = Path(source_dir)
    if not source_dir.is_dir():
        if not await kb.is_empty():
            return None
        raise FileNotFoundError(f"knowledge-base folder not found: {source_dir}")
    wanted = await asyncio.to_thread(source_hash, source_dir)
    if await index_hash(kb) == wanted:
        return None
    async with ingesting(kb):
        # Another process may have brought the index up to date while this one waited for the lock.
        if await index_hash(kb) == wanted:
            return None
        return await kb.ingest(source_dir, progress=progress)
