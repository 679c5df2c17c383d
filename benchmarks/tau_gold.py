"""Gold replay of every tau-bench retail task, compared task by task with the benchmark's reference/replay.py.

  .venv/bin/python benchmarks/tau_gold.py [--data-dir ../shared/taubench-retail] [--json]

Runs ``python3 -m reference.replay`` in the data folder (a separate process: the project never imports
the reference), replays the same tasks through the shop, and prints per file: tasks, actions, calls
blocked by the shop's policy, tasks whose results and changed records equal the reference's, and the
time each took. Exit status 1 when any call was blocked or any task differs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from support_tui.shops.taubench_retail import RetailData, default_data_dir  # noqa: E402
from support_tui.shops.taubench_retail.replay import differences, load_tasks, replay_tasks, summary  # noqa: E402


def reference_replay(folder: Path, tasks_file: Path) -> tuple[dict, float]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "reference.replay", str(tasks_file)], cwd=folder,
                          capture_output=True, text=True, check=True)
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    return {row["task_id"]: row for row in rows}, time.perf_counter() - started


async def compare(folder: Path, name: str, data: RetailData) -> dict:
    tasks_file = folder / name
    reference, reference_seconds = reference_replay(folder, tasks_file)
    started = time.perf_counter()
    replays = await replay_tasks(load_tasks(tasks_file), data=data)
    totals = summary(replays, time.perf_counter() - started, reference)
    totals["reference_seconds"] = round(reference_seconds, 3)
    totals["different"] = {str(r.task_id): differences(r, reference[r.task_id]) for r in replays
                           if r.task_id in reference and differences(r, reference[r.task_id])}
    totals["blocked_calls"] = [{"task_id": r.task_id, **b} for r in replays for b in r.blocked]
    return totals


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    folder = (args.data_dir or default_data_dir()).resolve()
    data = RetailData.load(folder)
    report = {name: await compare(folder, name, data) for name in ("tasks_train.jsonl", "tasks_dev.jsonl")}
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for name, t in report.items():
            print(f"{name}: {t['tasks']} tasks, {t['actions']} actions, {t['blocked']} blocked, "
                  f"{t['error_results']} error results (as the reference), {t['equal_to_reference']}/{t['tasks']} equal "
                  f"to reference/replay.py; shop {t['seconds']:.1f} s, reference {t['reference_seconds']:.1f} s")
            for task_id, diff in t["different"].items():
                print(f"  task {task_id}: {'; '.join(diff)}")
    bad = any(t["blocked"] or t["equal_to_reference"] != t["tasks"] for t in report.values())
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
