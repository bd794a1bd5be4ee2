"""Run a per-file function over many files on all cores, largest first, with progress."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, TypeVar

T = TypeVar("T")

IN_PROCESS_BYTES = 32 * 1024 * 1024
"""Below this many bytes, worker processes cost more than they save."""


def map_files(
    fn: Callable[..., T],
    tasks: Sequence[tuple[Any, ...]],
    sizes: Sequence[int],
    *,
    workers: int | None = None,
    initializer: Callable[..., None] | None = None,
    initargs: tuple[Any, ...] = (),
    on_error: Callable[[tuple[Any, ...], BaseException], T] | None = None,
) -> Iterator[tuple[int, T]]:
    """Yield ``(index, fn(*tasks[index]))`` as tasks finish, in parallel when the input is large.

    Largest tasks start first. Results are yielded, not collected, so the caller can merge them
    into bounded state. ``initializer(*initargs)`` runs once per worker (and once in-process
    otherwise); ``on_error`` turns a worker crash into a result.
    """
    n = workers or os.cpu_count() or 1
    order = sorted(range(len(tasks)), key=lambda i: -sizes[i])
    if n <= 1 or sum(sizes) < IN_PROCESS_BYTES or len(tasks) < 2:
        if initializer:
            initializer(*initargs)
        for i in order:
            yield i, fn(*tasks[i])
        return
    with ProcessPoolExecutor(max_workers=n, initializer=initializer, initargs=initargs) as pool:
        futures = {pool.submit(fn, *tasks[i]): i for i in order}
        for fut in as_completed(futures):
            i = futures.pop(fut)
            try:
                result = fut.result()
            except Exception as exc:  # noqa: BLE001 - a dead worker is reported per file by on_error
                if on_error is None:
                    raise
                result = on_error(tasks[i], exc)
            yield i, result
