"""Ranking for hybrid search: plain words for the full-text index and reciprocal-rank fusion of two rankings."""

from __future__ import annotations

import re
from typing import Any

RRF_K = 60
"""The usual reciprocal-rank-fusion constant: a rank r contributes 1 / (RRF_K + r)."""
_RRF_BEST = 2.0 / (RRF_K + 1)
"""Fused score of a chunk ranked first by both searches; scores are divided by it (so 0..1)."""
_FTS_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?", re.UNICODE)
_FTS_OPERATORS = {"and", "or", "not"}


def fts_query(text: str) -> str:
    """Plain words for the full-text index: quotes, colons, brackets and boolean operators dropped."""
    words = [w.lower() for w in _FTS_WORD.findall(text)]
    return " ".join(w for w in words if w not in _FTS_OPERATORS)[:500]


def rrf_fuse(rankings: list[list[dict[str, Any]]], k: int) -> list[tuple[float, dict[str, Any]]]:
    """Reciprocal-rank fusion of ranked row lists (keyed by chunk_id), best first, scores 0..1."""
    scores: dict[str, float] = {}
    rows: dict[str, dict[str, Any]] = {}
    for ranking in rankings:
        for rank, row in enumerate(ranking, start=1):
            cid = row["chunk_id"]
            scores[cid] = scores.get(cid, 0.0) + 1.0 / (RRF_K + rank)
            rows.setdefault(cid, row)
    best = sorted(scores, key=lambda cid: (-scores[cid], cid))[:k]
    return [(round(scores[cid] / _RRF_BEST, 4), rows[cid]) for cid in best]
