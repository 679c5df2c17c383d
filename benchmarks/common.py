"""Shared pieces of the benchmark scripts: the cache folder, percentiles, and the command line."""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np

CACHE = Path(tempfile.gettempdir()) / "support-tui-bench"
"""Prepared corpora and data directories, reused between runs."""


async def demo_home(name: str, embedder) -> Path:
    """A ready demo data directory (store, history, KB) cached under CACHE; built once."""
    import shutil

    from support_tui.core.factory import open_engine
    from support_tui.core.paths import DataPaths

    home = CACHE / name
    if not (home / "ready").exists():
        shutil.rmtree(home, ignore_errors=True)
        engine = await open_engine(DataPaths(home), embedder=embedder)
        await engine.close()
        (home / "ready").write_text("ok")
    return home


def percentile(samples: list[float], q: float) -> float:
    return float(np.percentile(samples, q)) if samples else 0.0


def print_table(results: dict[str, dict[str, float]]) -> None:
    for name, metrics in results.items():
        print(f"## {name}")
        for key, value in metrics.items():
            print(f"  {key:40} {value:>12}")


def main(name: str, run: Callable[[], dict[str, float]]) -> None:
    """Run one benchmark: a table by default, ``--json`` for one object {name: {metric: value}}."""
    parser = argparse.ArgumentParser(description=f"support-tui benchmark: {name}")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    result = {name: run()}
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_table(result)
