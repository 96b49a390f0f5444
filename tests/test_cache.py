"""The content-hash result cache: hits, misses, damage, concurrency, read-only."""
import json
import os
import subprocess
import sys
import time

import pytest

import memlint.cache
import memlint.runner
from memlint.cache import Cache, clean
from memlint.config import ConfigResolver
from memlint.errors import UsageError
from memlint.registry import get_registry
from memlint.runner import Mode, discover_files, run_files

LOOP = "import gc\nfor i in list(range(3)):\n    gc.collect()\n"
EXPECTED = [("MEM202", 2, 10), ("MEM602", 3, 5)]


@pytest.fixture
def tree(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.py").write_text(LOOP)
    (src / "clean.py").write_text("x = 1\n")
    return tmp_path


def lint(tree, cache, mode=Mode(), **overrides):
    registry = get_registry()
    resolver = ConfigResolver(registry, overrides=overrides)
    files = discover_files([str(tree / "src")], resolver)
    return run_files(files, resolver, mode, 1, cache, registry)


def found(reports):
    return [(d.code, d.line, d.column) for r in reports for d in r.diagnostics]


def entries(cache_dir):
    version_dir = cache_dir / memlint.cache.__version__
    return sorted(p for p in version_dir.rglob("*") if p.is_file() and not p.name.startswith("rules-"))


def forbid_linting(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("a cached file was linted again")

    monkeypatch.setattr(memlint.runner, "process_source", fail)


def test_hit_returns_stored_diagnostics_without_linting(tree, monkeypatch):
    first = Cache(str(tree / "cache"))
    assert found(lint(tree, first)) == EXPECTED
    assert (first.hits, first.misses) == (0, 2)
    assert len(entries(tree / "cache")) == 2  # clean files are stored too
    forbid_linting(monkeypatch)
    second = Cache(str(tree / "cache"))
    reports = lint(tree, second)
    assert found(reports) == EXPECTED and (second.hits, second.misses) == (2, 0)
    assert reports[0].diagnostics[0].fix.applicability == "safe"  # fixes survive the round trip


def test_layout_has_cachedir_tag_and_gitignore(tree):
    lint(tree, Cache(str(tree / "cache")))
    assert (tree / "cache" / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")
    assert (tree / "cache" / ".gitignore").read_text().splitlines()[-1] == "*"


def test_miss_on_content_change(tree):
    lint(tree, Cache(str(tree / "cache")))
    (tree / "src" / "a.py").write_text("import gc\n\n" + LOOP.split("\n", 1)[1])
    cache = Cache(str(tree / "cache"))
    assert found(lint(tree, cache)) == [("MEM202", 3, 10), ("MEM602", 4, 5)]
    assert (cache.hits, cache.misses) == (1, 1)


def test_miss_on_config_change(tree):
    lint(tree, Cache(str(tree / "cache")))
    cache = Cache(str(tree / "cache"))
    assert found(lint(tree, cache, select=("MEM6",))) == [("MEM602", 3, 5)]
    assert (cache.hits, cache.misses) == (0, 2)
    cache = Cache(str(tree / "cache"))
    assert found(lint(tree, cache, target_version=(3, 8))) == EXPECTED
    assert (cache.hits, cache.misses) == (0, 2)


def test_miss_on_memlint_version_change(tree, monkeypatch):
    lint(tree, Cache(str(tree / "cache")))
    monkeypatch.setattr(memlint.cache, "__version__", "99.0")
    cache = Cache(str(tree / "cache"))
    assert found(lint(tree, cache)) == EXPECTED
    assert (cache.hits, cache.misses) == (0, 2)
    assert (tree / "cache" / "99.0").is_dir()


def test_miss_when_rule_sources_change(tree, monkeypatch):
    before = memlint.cache.code_fingerprint()
    real = memlint.cache._source_stats
    monkeypatch.setattr(memlint.cache, "_source_stats", lambda d: real(d) + [("edited.py", 1, 1)])
    assert memlint.cache.code_fingerprint() != before


@pytest.mark.parametrize("damage", [
    lambda data: data[: len(data) // 2],  # truncated
    lambda data: b"\x00\xff garbage",
    lambda data: b'{"format": 1, "diagnostics": [{"code": "MEM999"}]}',  # valid JSON, wrong shape
    lambda data: b"[]",
])
def test_corrupt_entry_is_ignored_and_rewritten(tree, damage):
    lint(tree, Cache(str(tree / "cache")))
    for entry in entries(tree / "cache"):
        entry.write_bytes(damage(entry.read_bytes()))
    cache = Cache(str(tree / "cache"))
    assert found(lint(tree, cache)) == EXPECTED
    assert (cache.hits, cache.misses) == (0, 2)
    for entry in entries(tree / "cache"):
        assert json.loads(entry.read_bytes())["format"] == memlint.cache.ENTRY_FORMAT
    again = Cache(str(tree / "cache"))
    lint(tree, again)
    assert again.hits == 2


def test_read_only_cache_directory_lints_without_storing(tree, monkeypatch):
    def read_only(*args, **kwargs):
        raise PermissionError(30, "Read-only file system")

    monkeypatch.setattr(memlint.cache.tempfile, "mkstemp", read_only)
    cache = Cache(str(tree / "cache"))
    assert found(lint(tree, cache)) == EXPECTED
    assert not cache.writable and not (tree / "cache").exists() or entries(tree / "cache") == []


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root ignores permissions")
def test_read_only_cache_directory_cli(tree, run_memlint):
    run_memlint("--cache-dir", "cache", "src", cwd=tree)
    for path in sorted((tree / "cache").rglob("*"), reverse=True) + [tree / "cache"]:
        path.chmod(0o555 if path.is_dir() else 0o444)
    (tree / "src" / "new.py").write_text(LOOP)
    try:
        result = run_memlint("--cache-dir", "cache", "src", cwd=tree)
    finally:
        for path in [tree / "cache", *(tree / "cache").rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
    assert result.returncode == 1 and result.stderr.decode().count("\n") == 1  # only the summary
    assert len(result.stdout.decode().splitlines()) == 4


def test_two_concurrent_runs_share_a_cache_directory(tmp_path, monkeypatch):
    src = tmp_path / "src"
    src.mkdir()
    for i in range(40):
        (src / f"m{i:02}.py").write_text(LOOP if i % 2 else f"x = {i}\n")
    command = [sys.executable, "-m", "memlint", "-j2", "--cache-dir", "cache", "src"]
    runs = [subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    outputs = [run.communicate() for run in runs]
    assert [run.returncode for run in runs] == [1, 1]
    assert outputs[0][0] == outputs[1][0] and len(outputs[0][0].splitlines()) == 40
    assert b"error" not in outputs[0][1] + outputs[1][1]
    assert not [p for p in (tmp_path / "cache").rglob(".tmp-*")]  # no temporary file left behind
    monkeypatch.chdir(tmp_path)  # the key includes the path as printed: "src/m00.py"
    cache = Cache("cache")
    registry = get_registry()
    resolver = ConfigResolver(registry)
    reports = run_files(discover_files(["src"], resolver), resolver, Mode(), 1, cache, registry)
    assert (cache.hits, cache.misses) == (40, 0) and len(found(reports)) == 40


def test_fully_cached_run_imports_neither_libcst_nor_astroid(tree):
    probe = (
        "import sys; from memlint.cli import main; code = main(['-j2', '-q', 'src']);"
        "print(code, sorted({m.split('.')[0] for m in sys.modules} & {'libcst', 'astroid'}),"
        " 'memlint.rules' in sys.modules or 'memlint.engine' in sys.modules)"
    )
    first = subprocess.run([sys.executable, "-c", probe], cwd=tree, capture_output=True, text=True)
    assert first.stdout.splitlines()[-1].startswith("1 ['libcst'")
    warm = subprocess.run([sys.executable, "-c", probe], cwd=tree, capture_output=True, text=True)
    assert warm.stdout.splitlines()[-1] == "1 [] False", warm.stderr
    assert len(warm.stdout.splitlines()) == 3  # the two findings, then the probe's line


def test_selection_is_validated_against_the_rule_catalog(tree, run_memlint):
    run_memlint("src", cwd=tree)  # writes the catalog
    result = run_memlint("--select", "MEM999", "src", cwd=tree)
    assert result.returncode == 2
    assert result.stderr.decode().strip() == "memlint: error: --select: unknown rule code or name 'MEM999'"
    assert run_memlint("--select", "gc-collect-in-loop", "src", cwd=tree).stdout.decode().splitlines() == [
        "src/a.py:3:5: MEM602 gc.collect() inside a loop: each call walks the whole heap"
    ]


def test_fix_uses_cache_only_for_files_without_applicable_fixes(tree, monkeypatch):
    lint(tree, Cache(str(tree / "cache")))
    calls = []
    real = memlint.runner.process_source
    monkeypatch.setattr(memlint.runner, "process_source", lambda data, path, *a: calls.append(path) or real(data, path, *a))
    reports = lint(tree, Cache(str(tree / "cache")), Mode(fix=True))
    assert [os.path.basename(p) for p in calls] == ["a.py"]  # clean.py came from the cache
    assert (tree / "src" / "a.py").read_text() == "import gc\nfor i in range(3):\n    gc.collect()\n"
    assert found(reports) == [("MEM602", 3, 5)] and sum(r.fixed for r in reports) == 1
    calls.clear()
    cache = Cache(str(tree / "cache"))
    assert found(lint(tree, cache)) == [("MEM602", 3, 5)]  # the fixed bytes' result was stored
    assert calls == [] and cache.hits == 2


def test_inference_runs_are_not_cached(tree):
    cache = Cache(str(tree / "cache"))
    lint(tree, cache, enable_inference=True)
    assert (cache.hits, cache.misses) == (0, 0) and not (tree / "cache").exists()


def test_no_cache_env_and_clean(tree, run_memlint):
    run_memlint("--no-cache", "src", cwd=tree)
    assert not (tree / ".memlint_cache").exists()
    run_memlint("src", cwd=tree, env={"MEMLINT_CACHE_DIR": "elsewhere"})
    assert (tree / "elsewhere" / "CACHEDIR.TAG").exists() and not (tree / ".memlint_cache").exists()
    run_memlint("src", cwd=tree)
    assert (tree / ".memlint_cache" / "CACHEDIR.TAG").exists()
    result = run_memlint("clean", cwd=tree)
    assert result.returncode == 0 and not (tree / ".memlint_cache").exists()
    assert run_memlint("clean", "--cache-dir", "elsewhere", cwd=tree).returncode == 0
    assert not (tree / "elsewhere").exists()
    assert run_memlint("clean", cwd=tree).returncode == 0  # nothing to clean is fine


def test_clean_refuses_a_directory_that_is_not_a_cache(tmp_path):
    (tmp_path / "precious").mkdir()
    with pytest.raises(UsageError, match="not a memlint cache directory"):
        clean(str(tmp_path / "precious"))
    assert (tmp_path / "precious").is_dir()


def test_prune_removes_entries_unused_for_30_days(tree):
    cache = Cache(str(tree / "cache"))
    lint(tree, cache)
    old, recent = entries(tree / "cache")
    month_ago = time.time() - 31 * 24 * 3600
    os.utime(old, (month_ago, month_ago))
    assert Cache(str(tree / "cache")).prune() == 0  # pruned at most once a day: the first run did
    assert cache.prune(now=time.time() + 2 * 24 * 3600) == 1
    assert entries(tree / "cache") == [recent]
    assert (tree / "cache" / "CACHEDIR.TAG").exists()
