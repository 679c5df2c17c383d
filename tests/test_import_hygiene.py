"""The engine is headless: no core module imports textual or rich, and loading all of core loads no textual."""

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import support_tui.core

CORE = Path(support_tui.core.__file__).parent


def core_modules() -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages(support_tui.core.__path__, prefix="support_tui.core."))


def test_loading_all_of_core_loads_no_textual():
    modules = core_modules()
    assert "support_tui.core.turn.lifecycle" in modules and len(modules) > 20
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] == 'textual')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "", f"core pulled in: {out.stdout.strip()}"


def test_no_core_source_imports_textual_or_rich():
    # LiteLLM itself loads rich, so sys.modules cannot prove this part: read the sources.
    offenders = []
    for path in CORE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [f"{path.relative_to(CORE)}: {n}" for n in names if n.split(".")[0] in ("textual", "rich")]
    assert offenders == []
