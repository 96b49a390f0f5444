"""The per-file budgets: a wall-clock limit per file (``--file-timeout``,
enforced by :mod:`memlint.workers`) and an address-space limit per worker
process (``--max-memory``, ``RLIMIT_AS`` set in the worker).

A file that needs more than its budget is reported as an error naming the
file and the limit; the run goes on with the other files.
"""
from __future__ import annotations

import os
from typing import Optional

try:
    import resource
except ImportError:  # pragma: no cover - Windows has no rlimits: no memory limit there
    resource = None  # type: ignore[assignment]

DEFAULT_FILE_TIMEOUT = 60.0  # seconds per file
MEBIBYTE = 1024 * 1024
# The interpreter, libcst and the rules take about 100 MB of address space;
# the default limit never goes below this much.
MINIMUM_DEFAULT_MEMORY_MB = 1024


def default_memory_limit_mb(workers: int) -> Optional[int]:
    """Half of the physical memory shared among the workers (at least 1 GiB
    each), so that one pathological file fails with a clear error before it
    pushes the machine into swap or the kernel's OOM killer; None where the
    platform cannot limit memory or tell how much there is."""
    if resource is None:
        return None
    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None
    return max(MINIMUM_DEFAULT_MEMORY_MB, physical // 2 // max(1, workers) // MEBIBYTE)


def set_memory_limit(megabytes: int) -> None:
    """Limit this process's address space (called in a fresh worker): an
    allocation beyond it raises MemoryError in Python code and aborts native
    code, which the supervising process reports."""
    if resource is None:
        return
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = megabytes * MEBIBYTE
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def memory_limit_mb() -> Optional[int]:
    """This process's address-space limit in MB, if it has one."""
    if resource is None:
        return None
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    return None if soft == resource.RLIM_INFINITY else soft // MEBIBYTE


def out_of_memory(limit_mb: Optional[int]) -> str:
    """What to say about a file whose analysis ran out of memory."""
    if limit_mb is None:
        return "ran out of memory"
    return f"ran out of memory (the memory limit is {limit_mb} MB per worker process, --max-memory)"


def file_out_of_memory(filename: str) -> str:
    """The error line for a file whose analysis raised MemoryError here."""
    return f"{filename}: {out_of_memory(memory_limit_mb())}"
