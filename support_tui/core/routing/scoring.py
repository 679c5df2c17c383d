"""Per-specialist scores from exemplar similarities, and the temperature that makes them probabilities."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

TOP_K = 3
"""A specialist's score is the mean similarity of its ``TOP_K`` nearest exemplars."""
LEXICAL_WEIGHT = 0.3
"""Weight of the character n-gram similarity added to the embedding similarity."""


def class_scores(similarities: np.ndarray, labels: np.ndarray, n_classes: int, k: int = TOP_K) -> np.ndarray:
    """Mean of the top-``k`` similarities per class; ``similarities`` is ``(n,)`` or ``(m, n)``."""
    sims = np.atleast_2d(similarities)
    labels = np.asarray(labels, dtype=np.int64)
    gather, counts = _class_layout(labels.tobytes(), len(labels), n_classes)
    padded = np.concatenate([sims, np.full((sims.shape[0], 1), -np.inf, dtype=sims.dtype)], axis=1)
    blocks = padded[:, gather]  # (m, classes, widest class), padded with -inf
    kk = min(k, blocks.shape[2])
    top = np.partition(blocks, blocks.shape[2] - kk, axis=2)[:, :, -kk:]
    finite = np.isfinite(top)
    out = np.where(finite, top, 0.0).sum(axis=2) / np.maximum(finite.sum(axis=2), 1)
    out = np.where(counts[None, :] == 0, -1.0, out).astype(np.float64)
    return out if similarities.ndim == 2 else out[0]


@lru_cache(maxsize=8)
def _class_layout(key: bytes, n: int, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Per class, the column of each of its items, padded with ``n`` (a -inf column)."""
    labels = np.frombuffer(key, dtype=np.int64)[:n]
    members = [np.flatnonzero(labels == c) for c in range(n_classes)]
    width = max(1, max(len(m) for m in members))
    gather = np.full((n_classes, width), n, dtype=np.int64)
    for c, m in enumerate(members):
        gather[c, : len(m)] = m
    return gather, np.array([len(m) for m in members])


def softmax(logits: np.ndarray, temperature: float) -> np.ndarray:
    """Softmax over the last axis at a temperature."""
    z = np.asarray(logits, dtype=np.float64) / temperature
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    probs: np.ndarray = e / e.sum(axis=-1, keepdims=True)
    return probs


def fit_temperature(scores: np.ndarray, labels: np.ndarray, shrink: float = 1.0) -> float:
    """The temperature that minimises negative log-likelihood of ``labels`` (a 1-d grid search).

    ``shrink`` > 1 softens the result: fitted on clean exemplars, a temperature is sharper than
    real messages deserve.
    """
    grid = np.geomspace(0.005, 0.5, 120)
    rows = np.arange(len(labels))
    best, best_nll = float(grid[0]), np.inf
    for t in grid:
        p = softmax(scores, float(t))[rows, labels]
        nll = -np.log(np.clip(p, 1e-12, None)).mean()
        if nll < best_nll:
            best, best_nll = float(t), nll
    return best * shrink


def leave_one_out_scores(emb_sims: np.ndarray, lex_sims: np.ndarray, labels: np.ndarray, n_classes: int) -> np.ndarray:
    """Each exemplar's class scores against all the others (its own row masked out)."""
    n = len(labels)
    mask = np.eye(n, dtype=bool)
    emb = np.where(mask, -1.0, emb_sims)
    lex = np.where(mask, -1.0, lex_sims)
    scores: np.ndarray = class_scores(emb, labels, n_classes) + LEXICAL_WEIGHT * np.clip(
        class_scores(lex, labels, n_classes), 0, None
    )
    return scores


NO_MATCH_LOW, NO_MATCH_HIGH = 0.30, 0.55
"""Best exemplar similarity below LOW: the message matches nothing (greetings, small talk); above
HIGH: it clearly resembles something. In between, trust in the scores ramps up linearly."""


def temper_by_match(probs: np.ndarray, best_similarity: np.ndarray | float) -> np.ndarray:
    """Pull probabilities toward uniform when even the nearest exemplar is far away.

    A softmax only compares specialists with each other, so "hello, anyone there?" can look
    confident; mixing with the uniform distribution keeps the choice but lowers the confidence.
    """
    trust = np.clip((np.asarray(best_similarity) - NO_MATCH_LOW) / (NO_MATCH_HIGH - NO_MATCH_LOW), 0.0, 1.0)
    trust = trust[..., None] if np.ndim(trust) else trust
    tempered: np.ndarray = trust * probs + (1.0 - trust) / probs.shape[-1]
    return tempered
