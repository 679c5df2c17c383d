"""The console exits when its terminal goes away, instead of reading a dead terminal for ever."""

from __future__ import annotations

import os
import pty

from support_tui.tui.app import terminal_alive


def test_a_hung_up_terminal_is_no_longer_alive() -> None:
    leader, follower = pty.openpty()
    try:
        assert terminal_alive(follower)
        os.close(leader)  # the terminal window closes
        assert not terminal_alive(follower)
    finally:
        os.close(follower)


def test_a_pipe_was_never_a_terminal() -> None:
    read_end, write_end = os.pipe()
    try:
        assert not terminal_alive(read_end)
    finally:
        os.close(read_end)
        os.close(write_end)
