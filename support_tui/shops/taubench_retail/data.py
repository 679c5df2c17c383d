"""The tau-bench retail data files: where they are, and one parsed, in-memory copy of them."""

from __future__ import annotations

import gzip
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENV_DIR = "SUPPORT_TUI_TAUBENCH_DIR"
"""Environment variable naming the folder with users.json, orders.json and products.json."""

SHIPPED_DIR = Path(__file__).resolve().parent / "dataset"
"""The benchmark's files as the project ships them (gzipped records, policy, tasks, MIT licence)."""

DEV_TASKS = SHIPPED_DIR / "tasks_dev.jsonl"
"""The 20 dev tasks: ``eval tau``'s default."""

TABLES = ("users", "orders", "products")
"""The data files, in the order they load."""

Record = dict[str, Any]


class DataDirError(LookupError):
    """The data folder is missing or lacks one of the files."""


def default_data_dir() -> Path:
    """``$SUPPORT_TUI_TAUBENCH_DIR``, else the files shipped with the shop."""
    env = os.environ.get(ENV_DIR)
    return Path(env).expanduser() if env else SHIPPED_DIR


def data_file(folder: Path, name: str) -> Path | None:
    """``name`` in ``folder``, or its gzipped copy ``name.gz``; None when neither is there."""
    for path in (folder / name, folder / f"{name}.gz"):
        if path.is_file():
            return path
    return None


def read_text(path: Path) -> str:
    """A data file's text, gunzipped when its name ends in ``.gz``."""
    if path.suffix == ".gz":
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            return fh.read()
    return path.read_text(encoding="utf-8")


def resolve_data_dir(data_dir: Path | str | None = None) -> Path:
    """The folder to load from, checked to hold every data file (plain or gzipped)."""
    folder = Path(data_dir).expanduser() if data_dir is not None else default_data_dir()
    missing = [f"{name}.json" for name in TABLES if data_file(folder, f"{name}.json") is None]
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
        paths = {name: data_file(folder, f"{name}.json") for name in TABLES}
        tables = {name: json.loads(read_text(path)) for name, path in paths.items() if path is not None}
        texts = {name: {key: json.dumps(rec) for key, rec in table.items()} for name, table in tables.items()}
        return cls(folder, tables, texts)

    def policy(self) -> str:
        """The folder's written policy (``policy.md``), or "" when it has none."""
        path = self.folder / "policy.md"
        return path.read_text(encoding="utf-8") if path.is_file() else ""

    def record(self, table: str, key: str) -> Record | None:
        """A fresh copy of one pristine record (parsed from its text, so callers may change it)."""
        text = self.texts[table].get(key)
        return None if text is None else json.loads(text)
