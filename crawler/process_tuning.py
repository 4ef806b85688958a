"""How a newsvault process tunes Python's collector and glibc's allocator for a long run of pages.

The crawl's process and its extraction workers both call ``tune_process`` first: one place for it.
"""

from __future__ import annotations

import ctypes
import gc
import sys

GC_YOUNG_THRESHOLD = 10_000  # allocations between collections of the youngest generation (Python's default: 700)


def tune_gc() -> None:
    """Fewer, cheaper garbage collections for a long run.

    Parsing pages and seed records allocates many short-lived objects and few reference cycles, so the
    youngest generation is collected every 10,000 allocations instead of 700, and what is alive when
    the command starts (imported modules, settings) is frozen out of the collector's scans. Measured on
    a 2,000-seed benchmark crawl: time in the collector 0.67 s -> 0.31 s, peak RSS +2 MB.
    """
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, middle, old)


# glibc's mallopt parameters, and what the crawl sets them to
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
MALLOC_TRIM_BYTES = 64 * 1024 * 1024
MALLOC_MMAP_BYTES = 16 * 1024 * 1024


def tune_malloc() -> None:
    """Keep freed memory in the process for the next page instead of returning it to the kernel (glibc).

    Every page's body, text and parsed tree are freed once it is stored. With glibc's defaults, whether
    that memory is handed back (and the next page faults it in again, zeroed) depends on where objects
    happen to sit in the heap: the same extraction benchmark ran at 40k or 560k minor page faults, parse
    time 0.14 or 0.30 ms per page, from one build to the next. Fixed thresholds make it stable; peak RSS
    is what the crawl needs at its largest either way.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc, or no mallopt: nothing to tune
        return
    mallopt(M_TRIM_THRESHOLD, MALLOC_TRIM_BYTES)
    mallopt(M_MMAP_THRESHOLD, MALLOC_MMAP_BYTES)


def tune_process() -> None:
    """Both tunings; call it once the process has imported what it runs on."""
    tune_gc()
    tune_malloc()
