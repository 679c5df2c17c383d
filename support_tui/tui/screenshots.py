"""Render SVG (and PNG when a converter exists) screenshots of the console mid-scenario (``support-tui screenshots OUTDIR``)."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from support_tui.tui.app import SupportConsole
from support_tui.tui.widgets.composer import Composer
from support_tui.tui.scripted import ScriptedEngine

SIZES = [(160, 48), (80, 24)]
STEPS = ["Where is my order ORD-1001? It was due yesterday.", "I also want a refund for the blender."]
"""What the customer types over the scripted engine."""
SEED_STEPS = [
    "Hi, I need to track my order #ORD-67890. When will it arrive?",
    "I'm very upset! I was charged twice for my order and nobody is helping me!",
]
"""Over the real engine: two of the seed scenarios, for the demo customer Sarah Johnson."""
SEED_CUSTOMER = "cust_12345"


async def open_real_engine(home: Path) -> Any:
    from support_tui.core.factory import open_engine
    from support_tui.core.paths import DataPaths

    return await open_engine(DataPaths(home), wait=True)


async def shoot(
    engine: Any, customer_id: str | None, outdir: Path, label: str, size: tuple[int, int], steps: list[str] = STEPS
) -> Path:
    """Play the steps, then save the frame; a pending approval, if any, gets the focus."""
    app = SupportConsole(engine, engine.settings, customer_id=customer_id, demo=True)
    app.cursor_blink = False
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        for text in steps:
            composer = app.screen.query_one("#composer", Composer)
            composer.value = text
            await pilot.press("enter")
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
        await pilot.press("ctrl+g")
        await pilot.pause()
        app.clear_notifications()
        await pilot.pause()
        path = outdir / f"console-{label}-{size[0]}x{size[1]}.svg"
        app.save_screenshot(path.name, str(outdir))
    return path


def to_png(svg: Path) -> Path | None:
    """Convert with rsvg-convert or cairosvg when present; nothing is installed for this."""
    png = svg.with_suffix(".png")
    if shutil.which("rsvg-convert"):
        result = subprocess.run(["rsvg-convert", "-o", str(png), str(svg)], capture_output=True)
        return png if result.returncode == 0 else None
    if importlib.util.find_spec("cairosvg") is not None:
        import cairosvg  # type: ignore[import-not-found]

        cairosvg.svg2png(url=str(svg), write_to=str(png))
        return png
    return None


async def render(outdir: Path, engine_kind: str, notes: list[str]) -> list[Path]:
    """Write the screenshots; what the caller should tell the user goes into ``notes``."""
    outdir.mkdir(parents=True, exist_ok=True)
    engine: Any = None
    label = "scripted"
    customer_id: str | None = "cus_ada"
    if engine_kind in ("auto", "real") and importlib.util.find_spec("support_tui.core.factory") is not None:
        try:
            home = Path(tempfile.mkdtemp(prefix="support-tui-shots-"))
            engine = await open_real_engine(home)
            customer_id, label = SEED_CUSTOMER, "engine"
        except Exception as exc:  # the scripted engine still shows the console
            if engine_kind == "real":
                raise
            notes.append(f"real engine unavailable ({exc}); using the scripted engine")
            engine = None
    written: list[Path] = []
    for size in SIZES:
        current = engine or ScriptedEngine()
        if engine is not None:
            conv = await engine.open_conversation(customer_id, new=True)
            customer_id = conv.customer_id
        steps = SEED_STEPS if engine is not None else STEPS
        written.append(await shoot(current, customer_id, outdir, label, size, steps))
    if engine is not None and hasattr(engine, "close"):
        await engine.close()
    for svg in list(written):
        png = to_png(svg)
        if png:
            written.append(png)
    if not any(p.suffix == ".png" for p in written):
        notes.append("no SVG-to-PNG converter found (rsvg-convert, cairosvg); wrote SVG only")
    return written
