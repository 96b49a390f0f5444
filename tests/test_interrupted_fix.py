"""``--fix`` killed at a random moment (Ctrl-C, or SIGKILL of the whole
process group) leaves every file either as it was or fully fixed, and
compiling; a run to the end afterwards fixes the rest."""
import os
import random
import shutil
import signal
import subprocess
import sys
import time

import pytest

FILES = 300
TRIALS = [("SIGINT", seed) for seed in range(3)] + [("SIGKILL", seed) for seed in range(3)]


def fixable(i):
    """MEM101, MEM202, MEM201 and MEM501 fixes (and an unfixable MEM602)."""
    return (
        f"import gc\n\n\nclass Point{i}:\n    def __init__(self, x):\n        self.x = x\n\n\n"
        f"def total{i}(n):\n    for j in list(range(n)):\n        gc.collect()\n"
        f"    return sum([x * {i} for x in range(n)])\n\n\n"
        f"def read{i}(path):\n    return open(path).read()\n\n\n"
        f"POINTS{i} = [Point{i}(x) for x in range(3)]\n"  # built in a loop: MEM101 reports only such classes
    ).encode()


def fix_command(tree):
    # Those rules by their codes: the precision ledger may keep some of them in preview.
    return [sys.executable, "-m", "memlint", "--extend-select", "MEM101,MEM201,MEM202,MEM501", "--fix", "--unsafe-fixes",
            "-j2", "--cache-dir", str(tree.parent / f"{tree.name}-cache"), str(tree)]


def snapshot(tree):
    return {path.name: path.read_bytes() for path in sorted(tree.glob("*.py"))}


def wait_for_group(pgid):
    """Until no process of the group is left (workers of a killed parent stop by themselves)."""
    for _ in range(600):
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.killpg(pgid, signal.SIGKILL)
    pytest.fail("memlint's processes outlived the interrupted run")


@pytest.fixture(scope="module")
def trees(tmp_path_factory):
    """The original files, and the same files fixed by a run to the end (and how long that took)."""
    root = tmp_path_factory.mktemp("interrupted")
    original = root / "original"
    original.mkdir()
    for i in range(FILES):
        (original / f"m{i:03}.py").write_bytes(fixable(i))
    fixed = root / "fixed"
    shutil.copytree(original, fixed)
    start = time.monotonic()
    run = subprocess.run(fix_command(fixed), capture_output=True)
    duration = time.monotonic() - start
    assert run.returncode == 1 and run.stderr.decode().splitlines()[-1] == (
        f"Fixed {4 * FILES} problems in {FILES} files; {FILES} remaining"
    ), run.stderr
    return snapshot(original), snapshot(fixed), duration


@pytest.mark.slow
@pytest.mark.soak
@pytest.mark.parametrize("signal_name, seed", TRIALS)
def test_a_killed_fix_leaves_each_file_original_or_fully_fixed(tmp_path, trees, signal_name, seed):
    original, fixed, duration = trees
    assert all(original[name] != fixed[name] for name in original)
    tree = tmp_path / "tree"
    tree.mkdir()
    for name, data in original.items():
        (tree / name).write_bytes(data)
    delay = random.Random(seed).uniform(0.1, duration)
    with subprocess.Popen(fix_command(tree), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          start_new_session=True) as run:
        time.sleep(delay)
        os.killpg(run.pid, getattr(signal, signal_name))
        run.wait()
        wait_for_group(run.pid)
    after = snapshot(tree)
    assert sorted(after) == sorted(original)
    torn = [name for name, data in after.items() if data not in (original[name], fixed[name])]
    assert torn == [], f"{signal_name} after {delay:.2f} s"
    for name, data in after.items():
        compile(data, name, "exec", dont_inherit=True)
    finish = subprocess.run(fix_command(tree), capture_output=True)
    assert finish.returncode == 1, finish.stderr
    assert snapshot(tree) == fixed
