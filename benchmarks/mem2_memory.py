# memlint: noqa
# (This file holds the eager patterns MEM2 reports, on purpose: they are the "before" cases.)
"""Peak memory and time before/after each MEM2 rewrite, on realistic sizes.

Run: python benchmarks/mem2_memory.py [--quick]

Each case pairs the eager code a MEM2 rule reports with the code its fix (or
its advice) produces. Peak memory is measured with tracemalloc around one run
(the inputs are built before tracing starts, so only what the code itself
allocates counts); time is the best of three untraced runs. The rule docs
quote these numbers.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
import tracemalloc
from typing import Callable, List, Tuple

N = 10**6  # items
CHUNKS = 10**4  # appends / slicing steps
CHUNK = 1024  # bytes per chunk
FILE_MB = 50


def peak_mb(run: Callable[[], object]) -> float:
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        run()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def best_seconds(run: Callable[[], object], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


# -- the pairs ---------------------------------------------------------------------


def mem201(n: int) -> Tuple[Callable, Callable]:
    return (lambda: sum([i * 2 for i in range(n)]), lambda: sum(i * 2 for i in range(n)))


def mem202(n: int) -> Tuple[Callable, Callable]:
    def before():
        total = 0
        for i in list(range(n)):
            total += i
        return total

    def after():
        total = 0
        for i in range(n):
            total += i
        return total

    return before, after


def mem203(path: str) -> Tuple[Callable, Callable]:
    def before():
        with open(path) as f:
            return sum(len(line) for line in f.readlines())

    def after():
        with open(path) as f:
            return sum(len(line) for line in f)

    return before, after


def mem204(path: str) -> Tuple[Callable, Callable]:
    def before():
        with open(path) as f:
            return sum(len(line) for line in f.read().splitlines())

    def after():
        with open(path) as f:
            return sum(len(line) for line in f)

    return before, after


def mem205(n: int) -> Tuple[Callable, Callable]:
    return (lambda: [str(i) for i in range(n)][0], lambda: next(str(i) for i in range(n)))


def mem206(n: int) -> Tuple[Callable, Callable]:
    def before():
        total = 0
        for s in list(map(str, range(n))):
            total += len(s)
        return total

    def after():
        total = 0
        for s in map(str, range(n)):
            total += len(s)
        return total

    return before, after


def mem207(chunks: List[bytes]) -> Tuple[Callable, Callable]:
    def before():
        buf = b""
        for chunk in chunks:
            buf += chunk
        return buf

    def after():
        buf = bytearray()
        for chunk in chunks:
            buf += chunk
        return bytes(buf)

    return before, after


def mem208(payload: bytes, step: int) -> Tuple[Callable, Callable]:
    def before():
        data, total = payload, 0
        while data:
            total += data[0]
            data = data[step:]
        return total

    def after():
        view, total = memoryview(payload), 0
        while view:
            total += view[0]
            view = view[step:]
        return total

    return before, after


def mem209(strings: List[str]) -> Tuple[Callable, Callable]:
    return (lambda: len([s for s in strings if s]), lambda: sum(1 for s in strings if s))


def write_file(directory: str, megabytes: int) -> str:
    path = os.path.join(directory, "big.txt")
    line = "x" * 49 + "\n"
    with open(path, "w") as f:
        f.write(line * (megabytes * 10**6 // len(line)))
    return path


def cases(directory: str, scale: int):
    n = N // scale
    path = write_file(directory, max(1, FILE_MB // scale))
    chunks = [os.urandom(CHUNK) for _ in range(CHUNKS // scale)]
    payload = b"".join(chunks)
    strings = [str(i % 10) if i % 3 else "" for i in range(n)]
    return [
        ("MEM201", f"sum([...]) over {n:,} items", mem201(n)),
        ("MEM202", f"for i in list(range({n:,}))", mem202(n)),
        ("MEM203", f"readlines() of a {FILE_MB // scale} MB file", mem203(path)),
        ("MEM204", f"read().splitlines() of a {FILE_MB // scale} MB file", mem204(path)),
        ("MEM205", f"[...][0] over {n:,} items", mem205(n)),
        ("MEM206", f"for s in list(map(str, {n:,} items))", mem206(n)),
        ("MEM207", f"bytes += {len(chunks):,} chunks of {CHUNK} B", mem207(chunks)),
        ("MEM208", f"data = data[{CHUNK}:] over {len(payload) // 10**6} MB", mem208(payload, CHUNK)),
        ("MEM209", f"len([...]) over {n:,} items", mem209(strings)),
    ]


def main(argv: List[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="inputs 100x smaller (a smoke test)")
    args = parser.parse_args(argv)
    print(f"CPython {platform.python_version()} on {platform.machine()}")
    header = f"{'code':7} {'case':44} {'peak before':>12} {'peak after':>11} {'time before':>12} {'time after':>11}"
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory() as directory:
        for code, label, (before, after) in cases(directory, 100 if args.quick else 1):
            row = (peak_mb(before), peak_mb(after), best_seconds(before), best_seconds(after))
            print(f"{code:7} {label:44} {row[0]:9.2f} MB {row[1]:8.2f} MB {row[2]:10.4f} s {row[3]:9.4f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
