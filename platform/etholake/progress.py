"""Progress bars for long work (rich): live in a terminal, one final line per bar elsewhere, none when disabled."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


@contextmanager
def progress_bar(description: str, total: int, *, enabled: bool = True) -> Iterator[Callable[[int], None]]:
    """A progress bar over ``total`` steps; yields a function that advances it.

    Parameters
    ----------
    description
        What is being done (shown left of the bar).
    total
        Number of steps.
    enabled
        False for no output at all.
    """
    if not enabled:
        yield lambda steps=1: None
        return
    columns = (TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, transient=False) as progress:
        task_id = progress.add_task(description, total=total)
        yield lambda steps=1: progress.advance(task_id, steps)
