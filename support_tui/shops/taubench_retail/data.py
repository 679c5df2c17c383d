"""The tau-bench retail data files: where they are, and one parsed, in-memory copy of them."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENV_DIR = "SUPPORT_TUI_TAUBENCH_DIR"
"""Environment variable naming the folder with users.json, orders.json and products.json."""

TABLES = ("users", "orders", "products")
"""The data files, in the order they load."""

Record = dict[str, Any]


class DataDirError(LookupError):
    """The data folder is missing or lacks one of the files."""


def default_data_dir() -> Path:
    """``$SUPPORT_TUI_TAUBENCH_DIR``, else ``../shared/taubench-retail`` next to the checkout."""
    env = os.environ.get(ENV_DIR)
    if env:
        return Path(env).expanduser()
    repo = Path(__file__).resolve().parents[3]
    return repo.parent / "shared" / "taubench-retail"


def resolve_data_dir(data_dir: Path | str | None = None) -> Path:
    """The folder to load from, checked to hold every data file."""
    folder = Path(data_dir).expanduser() if data_dir is not None else default_data_dir()
    missing = [f"{name}.json" for name in TABLES if not (folder / f"{name}.json").is_file()]
    if missing:
        raise DataDirError(
            f"no tau-bench retail data in {folder} (missing {', '.join(missing)}); "
            f"pass a folder or set {ENV_DIR}"
        )
    return folder


@dataclass(frozen=True)
class RetailData:
    """The three tables as the files hold them, each keyed by id in file order.

    ``texts`` holds each record's JSON text (``json.dumps`` defaults), the form the store keeps, so a
    reset writes text that is already made and a changed record is found by comparing strings.
    """

    folder: Path
    tables: dict[str, dict[str, Record]]
    texts: dict[str, dict[str, str]]

    @classmethod
    def load(cls, data_dir: Path | str | None = None) -> "RetailData":
        """Read and parse the files (about 0.1 s)."""
        folder = resolve_data_dir(data_dir)
        tables = {name: json.loads((folder / f"{name}.json").read_text(encoding="utf-8")) for name in TABLES}
        texts = {name: {key: json.dumps(rec) for key, rec in table.items()} for name, table in tables.items()}
        return cls(folder, tables, texts)

    def record(self, table: str, key: str) -> Record | None:
        """A fresh copy of one pristine record (parsed from its text, so callers may change it)."""
        text = self.texts[table].get(key)
        return None if text is None else json.loads(text)
