"""The tau-bench retail data ships with the shop: a clone loads it, replays the gold actions and reads the
tasks without ``../shared`` (gzipped files, the MIT licence beside them)."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from support_tui.shops.taubench_retail import DEV_TASKS, RetailData, default_data_dir
from support_tui.shops.taubench_retail.data import ENV_DIR, SHIPPED_DIR
from support_tui.shops.taubench_retail.replay import load_tasks

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "taubench-retail"


def test_the_shipped_folder_holds_the_data_the_policy_the_tasks_and_the_licence():
    names = {p.name for p in SHIPPED_DIR.iterdir()}
    assert {"users.json.gz", "orders.json.gz", "products.json.gz", "policy.md", "tasks_dev.jsonl",
            "tasks_train.jsonl.gz", "LICENSE"} <= names
    assert "MIT License" in (SHIPPED_DIR / "LICENSE").read_text() and "Sierra" in (SHIPPED_DIR / "LICENSE").read_text()
    assert sum(p.stat().st_size for p in SHIPPED_DIR.iterdir()) < 400_000  # gzipped: not 2.6 MB of JSON


def test_the_shop_reads_the_shipped_files_by_default(monkeypatch):
    monkeypatch.delenv(ENV_DIR, raising=False)
    assert default_data_dir() == SHIPPED_DIR
    data = RetailData.load()
    assert data.folder == SHIPPED_DIR
    assert {name: len(table) for name, table in data.tables.items()} == {"users": 500, "orders": 1000, "products": 50}
    assert list(data.tables["users"])[0] == "noah_brown_6181"  # file order is kept (look-ups return the first match)
    assert data.policy().startswith("# Retail agent policy")
    assert len(load_tasks(DEV_TASKS)) == 20 and len(load_tasks(SHIPPED_DIR / "tasks_train.jsonl.gz")) == 500


def test_a_folder_of_plain_json_still_loads(tmp_path):
    for name in ("users", "orders", "products"):
        with gzip.open(SHIPPED_DIR / f"{name}.json.gz", "rt", encoding="utf-8") as fh:
            (tmp_path / f"{name}.json").write_text(fh.read(), encoding="utf-8")
    plain = RetailData.load(tmp_path)
    assert plain.texts == RetailData.load().texts and plain.policy() == ""


@pytest.mark.skipif(not (SHARED / "orders.json").is_file(), reason="no ../shared/taubench-retail to compare with")
def test_the_shipped_files_are_the_benchmarks():
    shipped = RetailData.load()
    for name in ("users", "orders", "products"):
        assert shipped.tables[name] == json.loads((SHARED / f"{name}.json").read_text(encoding="utf-8"))
    assert load_tasks(SHIPPED_DIR / "tasks_train.jsonl.gz") == load_tasks(SHARED / "tasks_train.jsonl")
    assert load_tasks(DEV_TASKS) == load_tasks(SHARED / "tasks_dev.jsonl")


GUARD = """
import sys
opened = []
def audit(event, args):
    if event == "open" and isinstance(args[0], (str, bytes)) and "shared" in str(args[0]) and "taubench" in str(args[0]):
        opened.append(str(args[0]))
sys.addaudithook(audit)
from support_tui.cli import main
code = main(["eval", "tau", "--agent", "gold", "--json"])
print("OPENED", opened, file=sys.stderr)
sys.exit(code)
"""


def test_eval_tau_runs_from_another_folder_without_shared(tmp_path):
    """A clone's ``eval tau --agent gold`` with no --tasks and no --data-dir: the shipped dev tasks on the shipped
    data, and not one file of ../shared opened (an audit hook watches every open)."""
    env = {k: v for k, v in os.environ.items() if k != ENV_DIR}
    env.update(PYTHONPATH=str(REPO), SUPPORT_TUI_HOME=str(tmp_path / "home"))
    done = subprocess.run([sys.executable, "-c", GUARD], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "OPENED []" in done.stderr
    summary = json.loads(done.stdout)["summary"]
    assert summary["tasks"] == 20 and summary["actions"] == 25 and summary["blocked"] == 0 and summary["error_results"] == 0
