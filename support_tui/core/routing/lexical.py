"""A small character n-gram TF-IDF index: the router's lexical signal, in plain numpy."""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Sequence

import numpy as np

_WORD = re.compile(r"[a-z0-9]+")


def char_ngrams(text: str, low: int = 3, high: int = 5) -> Counter[str]:
    """Character n-grams inside padded words (like scikit-learn's ``char_wb``)."""
    return Counter(
        padded[i : i + n]
        for padded in (f" {word} " for word in _WORD.findall(text.lower()))
        for n in range(low, high + 1)
        for i in range(max(1, len(padded) - n + 1))
    )


class CharNgramIndex:
    """Cosine similarity of a text to each indexed text over sublinear TF-IDF char n-grams.

    Stored as an inverted index (n-gram -> rows, weights), so one query costs a few gathers and a
    ``bincount`` rather than a pass over every row.
    """

    def __init__(self, texts: Sequence[str]) -> None:
        docs = [char_ngrams(t) for t in texts]
        df: Counter[str] = Counter()
        for doc in docs:
            df.update(doc.keys())
        self.size = len(docs)
        self.vocab = {gram: i for i, gram in enumerate(sorted(df))}
        self.idf = np.array([math.log((1 + self.size) / (1 + df[g])) + 1.0 for g in sorted(df)], dtype=np.float32)
        postings: list[list[tuple[int, float]]] = [[] for _ in self.vocab]
        for row, doc in enumerate(docs):
            cols, weights = self._weigh(doc)
            for col, weight in zip(cols, weights):
                postings[col].append((row, float(weight)))
        self.indptr = np.zeros(len(postings) + 1, dtype=np.int64)
        self.indptr[1:] = np.cumsum([len(p) for p in postings])
        self.rows = np.array([r for p in postings for r, _ in p], dtype=np.int64)
        self.weights = np.array([w for p in postings for _, w in p], dtype=np.float32)

    def _weigh(self, grams: Counter[str]) -> tuple[np.ndarray, np.ndarray]:
        cols = np.array([self.vocab[g] for g in grams if g in self.vocab], dtype=np.int64)
        if cols.size == 0:
            return cols, np.zeros(0, dtype=np.float32)
        tf = np.array([grams[g] for g in grams if g in self.vocab], dtype=np.float32)
        weights = (1.0 + np.log(tf)) * self.idf[cols]
        norm = math.sqrt(float(weights @ weights)) or 1.0
        return cols, weights / norm

    def similarities(self, text: str) -> np.ndarray:
        """Cosine similarity of ``text`` to every indexed text, shape ``(size,)``."""
        cols, weights = self._weigh(char_ngrams(text))
        if cols.size == 0:
            return np.zeros(self.size, dtype=np.float32)
        starts, ends = self.indptr[cols], self.indptr[cols + 1]
        lengths = ends - starts
        total = int(lengths.sum())
        if total == 0:
            return np.zeros(self.size, dtype=np.float32)
        offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
        positions = offsets + np.arange(total)
        contrib = self.weights[positions] * np.repeat(weights, lengths)
        return np.bincount(self.rows[positions], weights=contrib, minlength=self.size).astype(np.float32)
