"""support-tui: a terminal console for supervising AI customer support."""

__version__ = "0.1.0"
