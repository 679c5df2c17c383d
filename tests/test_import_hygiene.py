"""The engine is headless: no core module pulls in textual or rich."""

import pkgutil
import subprocess
import sys

import support_tui.core


def core_modules() -> list[str]:
    return sorted(
        m.name for m in pkgutil.walk_packages(support_tui.core.__path__, prefix="support_tui.core.")
    )


def test_core_never_imports_textual_or_rich():
    modules = core_modules()
    assert "support_tui.core.orchestrator" in modules and len(modules) > 20
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "", f"core imported: {out.stdout.strip()}"
