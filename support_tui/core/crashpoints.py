"""Named step boundaries of a turn where a test can kill the process, to prove what survives a crash.

``reached(point)`` is called at each boundary. It does nothing unless ``$SUPPORT_TUI_CRASH_AT`` names
that point, and then it ends the process at once with SIGKILL (no ``finally``, no flush, no
commit), as a killed worker or a power cut would. Production never sets the variable; the check is
one dictionary lookup.
"""

from __future__ import annotations

import os
import signal
from typing import Literal, get_args

CrashPoint = Literal["before_call", "after_write", "after_model_reply", "before_reply_stored", "after_reply_stored"]
"""before_call: a consequential write passed every rule and is about to run; after_write: its transaction
committed; after_model_reply: the model's last reply of the turn arrived; before_reply_stored /
after_reply_stored: either side of storing the reply to the customer."""

CRASH_POINTS: tuple[CrashPoint, ...] = get_args(CrashPoint)

CRASH_ENV = "SUPPORT_TUI_CRASH_AT"
"""The variable naming the one point at which the process kills itself (tests only)."""


def reached(point: CrashPoint) -> None:
    """Kill this process now if ``$SUPPORT_TUI_CRASH_AT`` names ``point``; otherwise nothing."""
    if os.environ.get(CRASH_ENV) == point:
        os.kill(os.getpid(), signal.SIGKILL)
