"""The knowledge base: the only place that imports lancedb and sentence-transformers."""
