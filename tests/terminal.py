"""Start a command the way a shell in a terminal starts a foreground command, for the tests that
press Ctrl-C (SIGINT) in it.

A test run started in the background of a script (``make test &``, ``nohup``, some CI runners)
has SIGINT ignored, and an ignored signal stays ignored across ``fork`` and ``exec``: the command
would never see the Ctrl-C the test sends (Python keeps SIGINT ignored when it starts with it
ignored). A terminal's foreground job always has SIGINT at its default; so does the command
started here, whatever the test run's own disposition.
"""

import signal
import subprocess


def start_in_foreground(cmd, **kwargs):
    """``subprocess.Popen(cmd, **kwargs)`` with SIGINT at its default in the new process."""
    # A handler (unlike SIG_IGN) is reset to the default by exec, so setting one here for the
    # moment of the fork gives the child the default disposition. Signal handlers can only be
    # set from the main thread, where pytest runs the tests.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return subprocess.Popen(cmd, **kwargs)
    finally:
        signal.signal(signal.SIGINT, previous)
