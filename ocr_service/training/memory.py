"""glibc's malloc settings for a training process: freed tensors go back to the system while
the model trains, and a model reading lines one at a time in the same process is not slowed
by that.

return_freed_memory() fixes the mmap threshold low for the rest of the process (a training
process); reading_memory() raises it while the model reads lines one by one (the drift
check), then puts it back and trims the heap. with_malloc_tunables() is the environment a
training process is started with (glibc reads GLIBC_TUNABLES at start only).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache

# glibc's mallopt parameters (malloc.h)
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
# Allocations from this size on get their own mapping, returned to the system when freed; a
# freed heap top above TRIM_THRESHOLD goes back too. Measured on 40 steps of real handwriting
# lines (batches of ~2,000 px, 2 threads; docs/BENCHMARKS.md "Training"): glibc's default
# 0.92 s a step, peak 5.5 GB; 128 KiB / 1 MiB 2.00 s, 2.0 GB (every activation a fresh
# mapping: page faults); 4 MiB / 256 MiB 1.79 s, 2.3 GB; with transparent huge pages for
# those mappings (GLIBC_TUNABLES=glibc.malloc.hugetlb=1 in the training process's
# environment, TRAINING_MALLOC_TUNABLES) 1.13 s at 4 MiB, 1.31 s at 128 KiB. 128 KiB is kept:
# in whole runs 4 MiB peaked 0.5 GB higher (2.6-2.8 GB in bench_training's processes, 2.97 GB
# in the learning loop's job), too near the 3 GB a training may take.
MMAP_THRESHOLD = 128 * 1024
TRIM_THRESHOLD = 1024 * 1024
# While the model reads lines one at a time (no gradients, a few MB a line): under the
# training threshold every mid-sized tensor is a fresh mapping, and reading the drift check's
# 80 lines took 6.1-7.3 s (12-14 CPU-s) against 2.9-3.2 s at 4 MiB or 32 MiB
# (docs/BENCHMARKS.md #17 "Fifth session").
READING_MMAP_THRESHOLD = 4 * 1024 * 1024
TRAINING_MALLOC_TUNABLES = "glibc.malloc.hugetlb=1"


def with_malloc_tunables(environ: dict[str, str]) -> dict[str, str]:
    """`environ` with TRAINING_MALLOC_TUNABLES added to GLIBC_TUNABLES: the environment to
    start a training process with (glibc reads it at start only; the train worker's, or a
    child process's as in bench/bench_training.py)."""
    current = environ.get("GLIBC_TUNABLES", "")
    if TRAINING_MALLOC_TUNABLES in current.split(":"):
        return dict(environ)
    joined = f"{current}:{TRAINING_MALLOC_TUNABLES}" if current else TRAINING_MALLOC_TUNABLES
    return {**environ, "GLIBC_TUNABLES": joined}


@cache
def _glibc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
        libc.mallopt  # noqa: B018 - not glibc (musl has no mallopt): AttributeError
        libc.malloc_trim  # noqa: B018
    except (OSError, AttributeError):
        return None
    return libc


def _mallopt(settings: dict[int, int]) -> bool:
    libc = _glibc()
    if libc is None:
        return False
    mallopt: Callable[[int, int], int] = libc.mallopt
    return all(mallopt(param, value) == 1 for param, value in settings.items())


def return_freed_memory() -> bool:
    """Makes glibc give freed tensor memory back to the system. By default glibc raises its
    mmap threshold each time a large block is freed (up to 32 MiB), so the activations of the
    next, differently shaped batch come from the heap, which fragments and never shrinks:
    measured on 300 handwriting lines, the resident memory after 10 steps was 3.8 GB, growing
    to 5.8 GB (peak) by step 60; with the threshold fixed (MMAP_THRESHOLD: its measurements),
    ~1 GB between steps, peak 2.1-2.3 GB during one. A fixed threshold also stops glibc's
    adjustment, so this holds for the rest of the process (a training process). False where
    there is no glibc."""
    return _mallopt({M_MMAP_THRESHOLD: MMAP_THRESHOLD, M_TRIM_THRESHOLD: TRIM_THRESHOLD})


@contextmanager
def reading_memory() -> Iterator[None]:
    """Inside a training process: the mmap threshold raised to READING_MMAP_THRESHOLD while
    the model reads lines one at a time, then back to MMAP_THRESHOLD with the freed heap
    given back (malloc_trim), so the training's steps keep their memory bound."""
    libc = _glibc()
    raised = libc is not None and _mallopt({M_MMAP_THRESHOLD: READING_MMAP_THRESHOLD})
    try:
        yield
    finally:
        if libc is not None and raised:
            return_freed_memory()
            libc.malloc_trim(0)
