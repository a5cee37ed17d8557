"""The console commands print to."""

from __future__ import annotations

import os

from rich.console import Console

UNCUT_WIDTH = 200


def command_console() -> Console:
    """A rich console for command output.

    In a terminal it takes the terminal's width. Written to a file or a pipe (a
    log, ``| tee``), where rich would assume 80 columns and cut table cells such
    as session names short, it is :data:`UNCUT_WIDTH` wide unless ``COLUMNS`` is set.
    Markup and emoji codes are off, so file names, asset identities and error
    messages print as they are (rich would take ``[individuals,]`` for a style tag
    and drop it, and show ``pulses:camera:`` with a camera emoji); styled output
    is built with :class:`rich.text.Text`.
    """
    console = Console(markup=False, emoji=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = UNCUT_WIDTH
    return console
