"""The command line with odd input: one clear line on stderr, no traceback, the documented exit code."""

from __future__ import annotations

from support_tui.cli._common import StderrProgress


def test_progress_writes_nothing_to_a_piped_stderr(capsys):
    progress = StderrProgress()
    for stage, done, total in (("fixtures", 0, 0), ("kb", 3, 36), ("ready", 0, 0)):
        progress(stage, done, total)
    assert capsys.readouterr().err == ""
