"""The small ones of issue 21: scenario tag, priority order, "1 step", turn numbers in `trace`, the "none" model row."""

from __future__ import annotations

import json
import re

import pytest
from textual.widgets import DataTable, OptionList

from support_tui.tui.screens.dialogs import PickerDialog
from fakes import make_console, settle
from test_metrics_screen import MetricsPreview, history_db  # noqa: F401 - the module's fixture


def one_step_scenario(tmp_path, monkeypatch) -> None:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "late.json").write_text(json.dumps({
        "id": "late", "title": "Late parcel", "customer_id": "cus_bob", "steps": [{"customer": "where is my parcel?"}],
    }))
    monkeypatch.setenv("SUPPORT_TUI_FIXTURES", str(tmp_path))


async def test_the_scenario_tag_does_not_follow_another_customer_and_one_step_is_singular(tmp_path, monkeypatch):
    one_step_scenario(tmp_path, monkeypatch)
    app, engine = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("f7")
        await pilot.pause()
        prompt = str(app.screen.query_one("#picker-options", OptionList).get_option_at_index(0).prompt)
        assert "1 step ·" in prompt and "1 steps" not in prompt
        await pilot.press("enter")
        await settle(pilot)
        assert "late step 0/1" in app.screen.sub_title
        app.screen.open_customer("cus_ada")  # another customer (Ctrl+O)
        await settle(pilot)
        assert "late" not in app.screen.sub_title and app.screen.scenario is None


async def test_priorities_list_most_pressing_first():
    app, engine = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await pilot.pause()
        await pilot.press(*"why", "enter")
        await pilot.pause()
        assert isinstance(app.screen, PickerDialog)
        options = app.screen.query_one("#picker-options", OptionList)
        assert [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)] == \
            ["urgent", "high", "normal", "low"]


async def test_the_metrics_models_table_has_no_model_called_none(history_db):  # noqa: F811
    app = MetricsPreview(history_db, days=None)
    async with app.run_test(size=(160, 48)) as pilot:
        for _ in range(20):
            await pilot.pause(0.05)
            table = app.screen.query("#table-models")
            if table and table.first(DataTable).row_count:
                break
        screen = app.screen
        figures = screen.figures
        # Conversations no model answered (a person only) are grouped by the store under "none".
        unanswered = figures.by_model[0].model_copy(update={"name": "none"})
        screen.figures = figures.model_copy(update={"by_model": [*figures.by_model, unanswered]})
        await pilot.pause()
        table = screen.query_one("#table-models", DataTable)
        names = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        assert "none" not in names and "no AI reply" in names, names


@pytest.fixture
def home(engine_home, monkeypatch):
    monkeypatch.setenv("SUPPORT_TUI_HOME", str(engine_home))
    return engine_home


def test_trace_numbers_the_turns_as_fork_and_compare_count_them(home, capsys):
    from support_tui.cli import main

    assert main(["ask", "where is my order ORD-67890?", "--customer", "cust_12345"]) == 0
    conversation = re.search(r"\(conversation (\S+)\)", capsys.readouterr().err).group(1)
    assert main(["ask", "and when will it arrive?", "--customer", "cust_12345", "--conversation", conversation]) == 0
    capsys.readouterr()
    assert main(["trace", conversation]) == 0
    out = capsys.readouterr().out
    started = [line for line in out.splitlines() if "turn_started" in line]
    assert [re.search(r"turn (\d+)", line).group(1) for line in started] == ["1", "2"]


def test_the_readme_key_table_lists_every_key_of_the_help():
    """The README's console key table and F1 come from one list of bindings; a key missing from one is a lie."""
    from pathlib import Path

    from support_tui.tui.screens.help import help_sections, key_label

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## The console", 1)[1].split("\n## ", 1)[0]
    keys_column = " ".join(line.split("|")[1] for line in section.splitlines() if line.startswith("| ") and "---" not in line)
    for area, bindings in help_sections():
        if area.startswith(("Trace", "Queue")):
            continue  # the dialog's own keys; the queue's row names "/ and s"
        for binding in bindings:
            for label in key_label(binding.key).split(" / "):
                assert label in keys_column or label.lower() in keys_column.lower(), (area, label)
    assert "| F1 |" in section and "F1 or ?" not in section
