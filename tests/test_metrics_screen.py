"""The metrics screen over a fixed fixture history: snapshots, period and fixture switches, literal names, Escape."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest
from textual.app import App
from textual.widgets import DataTable, Static

from support_tui.core.metrics.figures import compute_metrics
from support_tui.core.store import ConversationInfo, Database, FixtureHistory, SQLSupportStore
from support_tui.shops.northwind.tools import TOOLS
from support_tui.tui.screens.metrics import MetricsScreen

TODAY = date(2025, 6, 16)
"""The day every period ends with; the history covers the 35 days before it."""
HOSTILE = "[bold red]x[/] [@click=app.quit]y[/] [$accent]z"


@pytest.fixture(scope="module")
def history_db(tmp_path_factory) -> Path:
    """A database holding the store fixtures and the seeded metrics history for TODAY."""
    from support_tui.core.metrics.history import load_history
    from tests.test_metrics import history_db

    path = tmp_path_factory.mktemp("metrics") / "support.db"

    async def build() -> None:
        db, store, orders = await history_db(path, TODAY)
        await load_history(store, today=TODAY, orders=orders)
        await db.close()

    asyncio.run(build())
    return path


class MetricsPreview(App):
    """A tiny app that opens the database and pushes the metrics screen over a blank default screen."""

    def __init__(self, path: Path, days: int | None = 30) -> None:
        super().__init__()
        self.path = path
        self.days = days
        self.db: Database | None = None

    async def on_mount(self) -> None:
        self.db = await Database.open(self.path)
        store = SQLSupportStore(self.db)

        async def metrics(**period):
            return await compute_metrics(store, TOOLS, **period)

        engine = SimpleNamespace(metrics=metrics)
        await self.push_screen(MetricsScreen(engine, today=TODAY, days=self.days))

    async def on_unmount(self) -> None:
        if self.db is not None:
            await self.db.close()


async def loaded(pilot) -> MetricsScreen:
    """Wait until the metrics screen shows computed figures."""
    # A deadline, not a count of pauses: on a loaded machine 200 pauses passed before the figures came.
    deadline = asyncio.get_running_loop().time() + 60
    while asyncio.get_running_loop().time() < deadline:
        await pilot.pause(0.05)
        screen = pilot.app.screen
        if isinstance(screen, MetricsScreen) and screen.figures is not None:
            break
    await pilot.app.workers.wait_for_complete()
    # The panels lay out again once the figures land; on a loaded run one more refresh came after a bare
    # pause (the wide snapshot failed once in a full run, never alone): let the screen settle first.
    await pilot.wait_for_scheduled_animations()
    # Then until two frames 0.1 s apart are the same: a table's column widths follow its rows a refresh
    # later, and a loaded CI run once caught the headers at their bare width ("name" unpadded).
    shot = ""
    for _ in range(100):
        await pilot.pause(0.1)
        now = pilot.app.export_screenshot()
        if now == shot:
            break
        shot = now
    return pilot.app.screen


def test_snapshot_wide(snap_compare, history_db):
    """160x48, last 30 days (2025-05-18 to 2025-06-16) of the fixture history.

    A reviewer should see: the period bar with "30 days" highlighted and "▲ fixture data included (332)";
    eight tiles (332 conversations, resolved 76.2% with 16 reopened, first contact 67.5%, escalated 12.3%,
    first reply 2.8s with p95 6.7s, to resolve 12.9m with p95 45.8m, CSAT 77.5% with mean 3.93 over 147
    ratings, cost $2.72 for 1.0M tokens); a Daily panel with three sparklines (volume, escalations, CSAT)
    and "2025-05-18 → 2025-06-16" in its subtitle; bars of the six escalation rules, the five sentiment
    labels and the outcomes; the per-specialist (six rows) and per-model (three rows) tables.
    """
    assert snap_compare(MetricsPreview(history_db), terminal_size=(160, 48), run_before=loaded)


def test_snapshot_narrow(snap_compare, history_db):
    """80x24, last 7 days: tiles wrap to two rows of four and the panels stack (the body scrolls)."""
    assert snap_compare(MetricsPreview(history_db, days=7), terminal_size=(80, 24), run_before=loaded)


async def test_period_buttons_keys_and_fixture_switch(history_db):
    app = MetricsPreview(history_db)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await loaded(pilot)
        assert screen.figures.since == datetime(2025, 5, 18, tzinfo=timezone.utc) and len(screen.figures.daily) == 30
        assert screen.query_one("#period-30").has_class("-active")
        await pilot.press("1")
        screen = await loaded(pilot)
        assert screen.figures.since == datetime(2025, 6, 10, tzinfo=timezone.utc)
        assert screen.query_one("#period-7").has_class("-active") and not screen.query_one("#period-30").has_class("-active")
        await pilot.click("#period-all")
        screen = await loaded(pilot)
        assert screen.figures.since is None and screen.figures.conversations > 300
        assert screen.query_one("#metrics-fixture").has_class("-shown")
        await pilot.press("f")
        screen = await loaded(pilot)
        assert screen.figures.conversations == 0 and not screen.query_one("#metrics-fixture").has_class("-shown")
        assert "—" in str(screen.query_one("#tile-resolution", Static).render())
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, MetricsScreen)


async def test_names_from_the_database_render_literally(tmp_path):
    path = tmp_path / "support.db"
    db = await Database.open(path)
    now = datetime(2025, 6, 15, 12, tzinfo=timezone.utc).isoformat(timespec="milliseconds")
    conv = ConversationInfo(id="c1", customer_id="cust_x", status="closed", handled_by="ai", agent=HOSTILE, mode="auto",
                            model=None, priority=None, escalation_reason=None, outcome="abandoned", summary=None, state={},
                            is_fixture=False, created_at=now, updated_at=now, closed_at=now)
    await SQLSupportStore(db).add_fixture_history(lambda _first: FixtureHistory(conversations=[conv]))
    await db.close()
    app = MetricsPreview(path)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await loaded(pilot)
        table = screen.query_one("#table-specialists", DataTable)
        assert table.get_row_at(0)[0].plain == HOSTILE
        assert app.is_running  # the [@click=app.quit] in the name did nothing
