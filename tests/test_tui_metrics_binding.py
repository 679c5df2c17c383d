"""F12 and the command palette open the Metrics screen over the real engine's database."""

from support_tui.tui.app import SupportConsole
from support_tui.tui.screens.metrics import MetricsScreen


async def test_f12_opens_metrics_and_escape_closes(engine):
    app = SupportConsole(engine, engine.settings, customer_id="cust_12345", demo=True)
    app.cursor_blink = False
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        await pilot.press("f12")
        await pilot.pause(0.3)
        assert isinstance(app.screen, MetricsScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, MetricsScreen)
