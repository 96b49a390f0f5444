"""Time the MEM5 rules against a baseline rule on the same files.

    python benchmarks/mem5_overhead.py [PATH ...]   (default: a few large stdlib modules)

Prints seconds per run for MEM6 alone and for MEM6 + MEM501 + MEM502; the
difference is what the resource analysis costs on top of the shared parse and walk.
"""
import sys
import sysconfig
import time
from pathlib import Path

from memlint.config import Settings
from memlint.engine import lint_bytes
from memlint.registry import get_registry

DEFAULT = ["subprocess.py", "socket.py", "tarfile.py", "zipfile.py", "test/test_subprocess.py"]


def run(paths, codes):
    registry = get_registry()
    rules = [registry.get(code) for code in codes]
    settings = Settings(select=tuple(codes), target_version=(3, 11), rule_options={})
    start = time.perf_counter()
    for path in paths:
        lint_bytes(path.read_bytes(), str(path), settings, rules)
    return time.perf_counter() - start


def main(argv):
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    paths = [Path(a) for a in argv] or [stdlib / name for name in DEFAULT]
    baseline = min(run(paths, ["MEM601", "MEM602", "MEM603"]) for _ in range(3))
    with_mem5 = min(run(paths, ["MEM601", "MEM602", "MEM603", "MEM501", "MEM502"]) for _ in range(3))
    print(f"{len(paths)} files: MEM6 {baseline:.2f}s, MEM6+MEM5 {with_mem5:.2f}s "
          f"(+{100 * (with_mem5 - baseline) / baseline:.0f}%)")


if __name__ == "__main__":
    main(sys.argv[1:])
