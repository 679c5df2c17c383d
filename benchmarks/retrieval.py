"""Knowledge-base retrieval benchmark: latency and recall of flat, IVF_PQ and HNSW_SQ search, and hybrid search.

Corpora. Embedding 100k real texts would take about 7 minutes here (250 texts/s), so the corpora
are grown from real MiniLM vectors instead: the shipped kb/ chunks are embedded once, and every
further row is a mixture of two real chunk vectors plus Gaussian noise, re-normalised
(``x_i + 0.5 x_j + 0.25 g``). That keeps the geometry of real sentence embeddings (a few dense
topic clusters in 384 dimensions, which is what makes ANN recall hard) while giving 100k distinct
points. Each synthetic row's text splices halves of the two source chunks, so full-text search has
realistic vocabulary. Queries are real embeddings of short customer questions and of the kb titles.

Recall@k is measured against an exact numpy search over the same vectors. Vectors, chunk texts and
the built LanceDB tables are cached under ``$TMPDIR/support-tui-bench`` so a second run skips the
slow index builds.

    python benchmarks/retrieval.py [--json] [--sizes 1000,10000,100000]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from support_tui.core import offline_env  # noqa: E402,F401
from support_tui.core.kb import Embedder, KnowledgeBase  # noqa: E402
from support_tui.core.kb import store as kb_store  # noqa: E402
from support_tui.core.kb.chunking import chunk_document, read_corpus  # noqa: E402
from support_tui.core.paths import kb_source_dir  # noqa: E402

CACHE = Path(tempfile.gettempdir()) / "support-tui-bench"
QUERIES = [
    "where is my order", "my package says delivered but it is not here", "how do I return headphones",
    "I was charged twice", "refund still not in my bank account", "app crashes when I log in",
    "reset my password", "two factor code not working", "change delivery address after ordering",
    "cancel my order", "do gift cards expire", "which phone case fits iPhone 16 Pro",
    "what size hoodie should I buy", "pair earbuds with android", "promo code not working",
    "cancel northwind plus", "card declined at checkout", "delete my account data",
    "price dropped after I bought it", "talk to a human",
]
SEARCH_K = 10
RUNS = 60
REFINE_FACTOR = 5
"""IVF_PQ re-ranks ``k * REFINE_FACTOR`` candidates on full vectors (recall@10 ~0.6 without)."""
IVF_PQ_MAX_ROWS = 10_000
"""IVF_PQ is measured up to here only: its build takes minutes at 100k rows on two cores."""


def _base(embedder: Embedder) -> tuple[np.ndarray, list[str], np.ndarray, list[str]]:
    """Real embeddings of the shipped chunks and of the benchmark queries (cached)."""
    chunks = [c for d in read_corpus(kb_source_dir()) for c in chunk_document(d)]
    texts = [c.search_text for c in chunks]
    queries = QUERIES + [c.title for c in chunks if c.chunk_id.endswith("#0")]
    key = hashlib.sha256("\n".join(texts + queries).encode()).hexdigest()[:12]
    path = CACHE / f"base-{key}.npz"
    if path.exists():
        data = np.load(path)
        return data["docs"], texts, data["queries"], queries
    CACHE.mkdir(parents=True, exist_ok=True)
    docs, qvecs = embedder.encode(texts), embedder.encode(queries)
    np.savez(path, docs=docs, queries=qvecs)
    return docs, texts, qvecs, queries


def _corpus(base: np.ndarray, texts: list[str], n: int) -> tuple[np.ndarray, list[str]]:
    """``n`` rows: the real chunks first, then noisy mixtures of two real chunks."""
    rng = np.random.default_rng(n)
    real = min(n, len(base))
    i = rng.integers(0, len(base), n - real)
    j = rng.integers(0, len(base), n - real)
    noise = rng.normal(0.0, 1.0 / np.sqrt(base.shape[1]), (n - real, base.shape[1])).astype(np.float32)
    mixed = base[i] + 0.5 * base[j] + 0.25 * noise
    vectors = np.vstack([base[:real], mixed]).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    halves = [t[: len(t) // 2] for t in texts], [t[len(t) // 2 :] for t in texts]
    out = texts[:real] + [halves[0][a] + halves[1][b] for a, b in zip(i, j)]
    return vectors, out


def _rows(vectors: np.ndarray, texts: list[str]) -> list[dict]:
    return [
        {"doc_id": f"d{n}", "chunk_id": f"d{n}#0", "title": f"Doc {n}", "text": t, "search_text": t, "doc_hash": "-", "vector": v}
        for n, (v, t) in enumerate(zip(vectors, texts))
    ]


def _pct(samples: list[float], q: float) -> float:
    return round(float(np.percentile(samples, q)) * 1000.0, 2)


def _recall(found: list[list[str]], truth: list[list[str]], k: int) -> float:
    return round(float(np.mean([len(set(f[:k]) & set(t[:k])) / k for f, t in zip(found, truth)])), 3)


async def _variant_table(db, name: str, rows_fn, kind: str) -> tuple[object, float]:
    """A table holding the corpus with the given vector index; built once and cached."""
    from lancedb.index import HnswSq, IvfPq

    if name in (await db.list_tables()).tables:
        return await db.open_table(name), 0.0
    table = await db.create_table(name, kb_store._to_arrow(rows_fn()))
    started = time.perf_counter()
    if kind == "ivf_pq":
        await table.create_index("vector", config=IvfPq(distance_type="cosine", num_sub_vectors=48))
    elif kind == "hnsw_sq":
        await table.create_index("vector", config=HnswSq(distance_type="cosine"))
    return table, round(time.perf_counter() - started, 2)


async def _vector_latency(table, kind: str, queries: np.ndarray) -> tuple[list[float], list[list[str]]]:
    samples, found = [], []
    for n in range(RUNS + 3):
        q = queries[n % len(queries)]
        query = table.query().nearest_to(q).distance_type("cosine").select(["chunk_id"]).limit(SEARCH_K)
        if kind == "ivf_pq":
            query = query.nprobes(kb_store.NPROBES).refine_factor(REFINE_FACTOR)
        elif kind == "hnsw_sq":
            query = query.nprobes(kb_store.NPROBES).ef(kb_store.HNSW_EF).refine_factor(kb_store.REFINE_FACTOR)
        started = time.perf_counter()
        result = await query.to_arrow()
        if n >= 3:  # the first queries warm caches
            samples.append(time.perf_counter() - started)
        if n < len(queries):
            found.append(result["chunk_id"].to_pylist())
    return samples, found


async def _bench_size(n: int, base, texts, qvecs, qtexts, out: dict, log) -> None:
    import lancedb

    vectors, corpus_texts = _corpus(base, texts, n)
    ids = np.array([f"d{i}#0" for i in range(n)])
    truth = [list(ids[np.argsort(-(vectors @ q))[:SEARCH_K]]) for q in qvecs]
    folder = CACHE / f"n{n}"

    # The real KnowledgeBase first: its index policy decides flat or HNSW_SQ, and its table is
    # reused below for that variant instead of building it twice.
    kb = KnowledgeBase(folder / "kb", Embedder())
    await kb.open()
    if await kb.count() != n:
        started = time.perf_counter()
        await kb.add_rows(_rows(vectors, corpus_texts))
        out[f"retrieval.{n}.kb_build_s"] = round(time.perf_counter() - started, 2)
    policy = "hnsw_sq" if kb.indexed else "flat"

    db = await lancedb.connect_async(str(folder))
    kb_db = await lancedb.connect_async(str(folder / "kb"))
    kinds = ["flat", "hnsw_sq"] + (["ivf_pq"] if n <= IVF_PQ_MAX_ROWS else [])
    for kind in kinds:
        if kind != "flat" and n < 256:
            continue  # too few rows to train an index
        if kind == policy:
            table, build_s = await kb_db.open_table(kb_store.TABLE), 0.0
        else:
            table, build_s = await _variant_table(db, kind, lambda: _rows(vectors, corpus_texts), kind)
        samples, found = await _vector_latency(table, kind, qvecs)
        prefix = f"retrieval.{n}.{kind}"
        out[f"{prefix}.p50_ms"], out[f"{prefix}.p95_ms"] = _pct(samples, 50), _pct(samples, 95)
        out[f"{prefix}.recall@5"], out[f"{prefix}.recall@10"] = _recall(found, truth, 5), _recall(found, truth, 10)
        if build_s:
            out[f"{prefix}.build_s"] = build_s
        log(f"{prefix:28s} p50 {out[f'{prefix}.p50_ms']:7.2f} ms  p95 {out[f'{prefix}.p95_ms']:7.2f} ms  "
            f"recall@5 {out[f'{prefix}.recall@5']:.3f}  recall@10 {out[f'{prefix}.recall@10']:.3f}"
            + (f"  build {build_s:.1f}s" if build_s else ""))

    # Hybrid search as the engine calls it: text plus the precomputed query vector.
    samples = []
    for i in range(RUNS + 3):
        started = time.perf_counter()
        await kb.search(qtexts[i % len(qtexts)], k=4, vector=qvecs[i % len(qvecs)])
        if i >= 3:
            samples.append(time.perf_counter() - started)
    prefix = f"retrieval.{n}.hybrid"
    out[f"{prefix}.p50_ms"], out[f"{prefix}.p95_ms"] = _pct(samples, 50), _pct(samples, 95)
    out[f"{prefix}.indexed"] = int(kb.indexed)
    log(f"{prefix:28s} p50 {out[f'{prefix}.p50_ms']:7.2f} ms  p95 {out[f'{prefix}.p95_ms']:7.2f} ms  "
        f"({policy} vector + FTS, RRF, k=4)")


def run(sizes: tuple[int, ...] = (1_000, 10_000, 100_000), log=lambda line: None) -> dict:
    """Run the benchmark; returns ``{metric: value}`` (milliseconds, recall 0..1, seconds)."""
    started = time.perf_counter()
    embedder = Embedder()
    base, texts, qvecs, qtexts = _base(embedder)
    out: dict = {}
    for n in sizes:
        asyncio.run(_bench_size(n, base, texts, qvecs, qtexts, out, log))
    out["retrieval.index_min_rows"] = kb_store.VECTOR_INDEX_MIN_ROWS
    out["retrieval.seconds"] = round(time.perf_counter() - started, 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the metrics as JSON")
    parser.add_argument("--sizes", default="1000,10000,100000", help="comma-separated corpus sizes")
    args = parser.parse_args()
    sizes = tuple(int(s) for s in args.sizes.split(",") if s.strip())
    result = run(sizes, log=(lambda line: print(line, file=sys.stderr)) if args.json else print)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"done in {result['retrieval.seconds']}s (cache: {CACHE})")


if __name__ == "__main__":
    main()
