"""What the project index costs: summarising every file with ``ast`` against
parsing it with libcst (what a second libcst pass would cost at the least),
the size of the summaries, and reading them back from a warm cache.

    python benchmarks/index_cost.py /tmp/corpus/pip

Both passes run interleaved per file, so machine load affects them alike;
compare the ratio, not the seconds.
"""
import json
import os
import sys
import tempfile
import time

import libcst

from memlint.cache import Cache
from memlint.index import build_index, module_names, project_root, summarize


def python_files(top):
    return sorted(
        os.path.join(directory, name)
        for directory, _, names in os.walk(top)
        for name in names
        if name.endswith(".py")
    )


def main(top):
    files = python_files(top)
    root = project_root([top])
    names = module_names(files, root)
    summary_seconds = parse_seconds = 0.0
    size = source = 0
    for path in files:
        with open(path, "rb") as handle:
            data = handle.read()
        source += len(data)
        name = names.get(path)
        start = time.perf_counter()
        summary = summarize(data, name.name if name else "m", name.is_package if name else False)
        summary_seconds += time.perf_counter() - start
        start = time.perf_counter()
        try:
            libcst.parse_module(data)
        except Exception:  # an unparsable file costs what it costs
            pass
        parse_seconds += time.perf_counter() - start
        size += len(json.dumps(summary.to_json(), separators=(",", ":")))
    with tempfile.TemporaryDirectory() as directory:
        cache = Cache(os.path.join(directory, "cache"), fingerprint="benchmark")  # memlint creates its own
        build_index(files, root, cache)
        start = time.perf_counter()
        build_index(files, root, cache)
        warm = time.perf_counter() - start
    count = len(files)
    print(f"{top}: {count} files, {source / 1e6:.1f} MB")
    print(f"summarize (ast.parse + scan): {summary_seconds:.2f} s, {1000 * summary_seconds / count:.2f} ms/file")
    print(f"libcst.parse_module:          {parse_seconds:.2f} s, {1000 * parse_seconds / count:.2f} ms/file")
    print(f"ratio libcst / summary:       {parse_seconds / summary_seconds:.1f}")
    print(f"summaries: {size / 1e3:.0f} kB of JSON ({100 * size / source:.0f} % of the source)")
    print(f"warm build_index (read and validate every summary): {warm:.3f} s")


if __name__ == "__main__":
    main(sys.argv[1])
