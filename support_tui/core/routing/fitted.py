"""A shop's own routing head: logistic regression on its labelled messages, blended with the exemplars."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from support_tui.core.specialists import ROUTABLE

HEAD_FILE = "head.npz"
META_FILE = "head.json"
BLEND_GRID = (0.3, 0.5, 0.7, 0.85, 1.0)
"""Candidate weights of the head against the exemplar probabilities, chosen by cross-validation."""


@dataclass
class FittedHead:
    """Softmax regression over message vectors; classes absent from the shop's data get no mass."""

    coef: np.ndarray
    """``(len(ROUTABLE), dims)``; rows of classes never seen are zero."""
    intercept: np.ndarray
    present: np.ndarray
    """Boolean per class in ROUTABLE order: did the shop's data have it."""
    blend: float
    """Weight of the head's probabilities; the exemplar router gets ``1 - blend``."""
    model_id: str
    meta: dict[str, Any] = field(default_factory=dict)

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        """``(m, len(ROUTABLE))`` probabilities for ``(m, dims)`` vectors (or one vector)."""
        v = np.atleast_2d(vectors).astype(np.float64)
        logits = v @ self.coef.T + self.intercept
        logits[:, ~self.present] = -np.inf
        logits -= logits.max(axis=1, keepdims=True)
        e = np.exp(logits)
        p: np.ndarray = e / e.sum(axis=1, keepdims=True)
        return p if np.ndim(vectors) == 2 else p[0]

    def combine(self, base: np.ndarray, vectors: np.ndarray) -> np.ndarray:
        """Blend exemplar probabilities ``base`` with the head's."""
        return (1.0 - self.blend) * base + self.blend * self.probabilities(vectors)

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        tmp = directory / f".{HEAD_FILE}.{os.getpid()}.npz"
        np.savez(tmp, coef=self.coef, intercept=self.intercept, present=self.present)
        os.replace(tmp, directory / HEAD_FILE)
        meta = {**self.meta, "blend": self.blend, "model_id": self.model_id, "classes": list(ROUTABLE)}
        (directory / META_FILE).write_text(json.dumps(meta, indent=2), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path | None) -> "FittedHead | None":
        """The saved head, or None when there is none (or it was made for other specialists)."""
        if directory is None or not (directory / HEAD_FILE).exists():
            return None
        meta = json.loads((directory / META_FILE).read_text(encoding="utf-8"))
        if meta.get("classes") != list(ROUTABLE):
            return None
        with np.load(directory / HEAD_FILE, allow_pickle=False) as data:
            return cls(
                coef=data["coef"], intercept=data["intercept"], present=data["present"].astype(bool),
                blend=float(meta["blend"]), model_id=str(meta["model_id"]), meta=meta,
            )


def remove_head(directory: Path) -> bool:
    """Delete a saved head; True when there was one."""
    found = False
    for name in (HEAD_FILE, META_FILE):
        path = directory / name
        if path.exists():
            path.unlink()
            found = True
    return found


def _train(vectors: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from sklearn.linear_model import LogisticRegression

    n_classes = len(ROUTABLE)
    present = np.zeros(n_classes, dtype=bool)
    present[np.unique(labels)] = True
    coef = np.zeros((n_classes, vectors.shape[1]))
    intercept = np.zeros(n_classes)
    seen = np.flatnonzero(present)
    if len(seen) == 1:
        intercept[seen] = 0.0
        return coef, intercept, present
    model = LogisticRegression(C=10.0, max_iter=2000, class_weight="balanced")
    model.fit(vectors, labels)
    if len(seen) == 2:  # binary: one weight row for the second class
        coef[seen[1]], intercept[seen[1]] = model.coef_[0], model.intercept_[0]
    else:
        coef[model.classes_], intercept[model.classes_] = model.coef_, model.intercept_
    return coef, intercept, present


def _folds(labels: np.ndarray, k: int, seed: int) -> list[np.ndarray]:
    """Stratified fold ids: each class dealt round-robin after a shuffle."""
    rng = np.random.default_rng(seed)
    fold = np.empty(len(labels), dtype=int)
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        fold[idx] = (np.arange(len(idx)) + rng.integers(k)) % k
    return [np.flatnonzero(fold == f) for f in range(k)]


def fit_head(vectors: np.ndarray, agents: list[str], base: np.ndarray, model_id: str, *, folds: int = 5, seed: int = 0) -> FittedHead:
    """Train on all messages; choose the blend and measure accuracy by ``folds``-fold cross-validation.

    ``base`` holds the exemplar router's probabilities for the same messages.
    """
    labels = np.array([ROUTABLE.index(a) for a in agents])
    oof = np.zeros_like(base)
    k = min(folds, int(np.bincount(labels).max()))
    cv = k >= 2 and len(labels) >= 2 * k
    if cv:
        for test in _folds(labels, k, seed):
            train = np.setdiff1d(np.arange(len(labels)), test)
            coef, intercept, present = _train(vectors[train], labels[train])
            head = FittedHead(coef, intercept, present, 1.0, model_id)
            oof[test] = head.probabilities(vectors[test])
        accuracy = {b: float((((1 - b) * base + b * oof).argmax(1) == labels).mean()) for b in BLEND_GRID}
        blend = max(BLEND_GRID, key=lambda b: (accuracy[b], -b))
    else:
        accuracy, blend = {}, 0.5
    coef, intercept, present = _train(vectors, labels)
    meta = {
        "n": int(len(labels)),
        "per_label": {ROUTABLE[c]: int(n) for c, n in enumerate(np.bincount(labels, minlength=len(ROUTABLE)))},
        "folds": k if cv else 0,
        "cv_accuracy": accuracy.get(blend),
        "cv_accuracy_by_blend": {str(b): a for b, a in accuracy.items()},
        "exemplar_accuracy": float((base.argmax(1) == labels).mean()),
        "fitted_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    return FittedHead(coef, intercept, present, blend, model_id, meta)
