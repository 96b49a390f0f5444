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

LOOP = "import gc\nfor i in list(range(n)):\n    gc.collect()\n"
EXPECTED = [("MEM202", 2, 10), ("MEM602", 3, 5)]
# The runs here turn preview on: MEM202 (LOOP's finding with a safe fix) is one while the precision
# ledger (memlint/ledger.py) keeps it there, and what is cached must not depend on the ledger.
PREVIEW = "--preview"


@pytest.fixture
def tree(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.py").write_text(LOOP)
    (src / "clean.py").write_text("x = 1\n")
    return tmp_path


def lint(tree, cache, mode=Mode(), **overrides):
    registry = get_registry()
    resolver = ConfigResolver(registry, overrides={"preview": True, **overrides})
    files = discover_files([str(tree / "src")], resolver)
    return run_files(files, resolver, mode, 1, cache, registry)


def found(reports):
    return [(d.code, d.line, d.column) for r in reports for d in r.diagnostics]


def entries(cache_dir):
    """The findings entries (not the rule catalog, nor the project index's summaries)."""
    version_dir = cache_dir / memlint.cache.__version__
    return sorted(
        p for p in version_dir.rglob("*")
        if p.is_file() and not p.name.startswith("rules-") and not p.relative_to(version_dir).parts[0].startswith("index-")
    )


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


def test_fingerprint_covers_the_content_of_every_module(tmp_path, monkeypatch):
    """Keyed by content, not size and mtime: an edit that keeps both (a
    checkout, a rebuilt wheel) still invalidates entries and the rule catalog."""
    files = memlint.cache._source_files(memlint.cache._source_roots(memlint.cache._rule_pack_versions()))
    assert {"analysis/__init__.py", "cache.py"} <= {os.path.relpath(f, os.path.dirname(memlint.cache.__file__)) for f in files}
    assert any(f.endswith(os.path.join("rules", "missing_slots.py")) for f in files)
    pack = tmp_path / "pack"
    pack.mkdir()
    rule = pack / "rule.py"
    rule.write_text("MESSAGE = 'one'\n")
    real = memlint.cache._source_roots
    monkeypatch.setattr(memlint.cache, "_source_roots", lambda packs: real(packs) + [str(pack)])
    before = memlint.cache.code_fingerprint()
    stamp = rule.stat().st_mtime_ns
    rule.write_text("MESSAGE = 'two'\n")
    os.utime(rule, ns=(stamp, stamp))
    assert memlint.cache.code_fingerprint() != before


def test_fingerprint_reads_rule_packs_without_importing_them(tmp_path, monkeypatch):
    (tmp_path / "thirdpack").mkdir()
    (tmp_path / "thirdpack" / "__init__.py").write_text("raise SystemExit('imported!')\n")
    (tmp_path / "thirdpack" / "rules.py").write_text("X = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    files = memlint.cache._source_files(memlint.cache._source_roots([("thirdpack", "1.0", "third", "thirdpack.rules")]))
    assert str(tmp_path / "thirdpack" / "rules.py") in files
    assert "thirdpack" not in sys.modules


def _retyped(data, **fields):
    entry = json.loads(data)
    for item in entry["diagnostics"]:
        item.update(fields)
    if not entry["diagnostics"]:  # the clean file's entry: give it one bad finding
        item = dict(filename="x.py", line=1, column=1, end_line=1, end_column=2, code="MEM202", name="n", message="m")
        entry["diagnostics"] = [{**item, "fix": None, **fields}]
    return json.dumps(entry).encode()


@pytest.mark.parametrize("damage", [
    lambda data: data[: len(data) // 2],  # truncated
    lambda data: b"\x00\xff garbage",
    lambda data: b'{"format": 1, "diagnostics": [{"code": "MEM999"}]}',  # valid JSON, wrong shape
    lambda data: b"[]",
    lambda data: b'{"format": 1, "diagnostics": {}}',  # the right shape, not a list: not "clean"
    lambda data: _retyped(data, line="2"),  # the right fields, the wrong types
    lambda data: _retyped(data, end_column=True),
    lambda data: _retyped(data, fix={"applicability": "safe", "edits": "x"}),
    lambda data: _retyped(data, fix={"applicability": "sure", "edits": []}),
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
    run_memlint(PREVIEW, "--cache-dir", "cache", "src", cwd=tree)
    for path in sorted((tree / "cache").rglob("*"), reverse=True) + [tree / "cache"]:
        path.chmod(0o555 if path.is_dir() else 0o444)
    (tree / "src" / "new.py").write_text(LOOP)
    try:
        result = run_memlint(PREVIEW, "--cache-dir", "cache", "src", cwd=tree)
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
    command = [sys.executable, "-m", "memlint", PREVIEW, "-j2", "--cache-dir", "cache", "src"]
    runs = [subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    outputs = [run.communicate() for run in runs]
    assert [run.returncode for run in runs] == [1, 1]
    assert outputs[0][0] == outputs[1][0] and len(outputs[0][0].splitlines()) == 40
    assert b"error" not in outputs[0][1] + outputs[1][1]
    assert not [p for p in (tmp_path / "cache").rglob(".tmp-*")]  # no temporary file left behind
    monkeypatch.chdir(tmp_path)  # the key includes the path as printed: "src/m00.py"
    cache = Cache("cache")
    registry = get_registry()
    resolver = ConfigResolver(registry, overrides={"preview": True})
    reports = run_files(discover_files(["src"], resolver), resolver, Mode(), 1, cache, registry)
    assert (cache.hits, cache.misses) == (40, 0) and len(found(reports)) == 40


def test_fully_cached_run_imports_neither_libcst_nor_astroid(tree):
    probe = (
        "import sys; from memlint.cli import main; code = main(['--preview', '-j2', '-q', 'src']);"
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
    assert (tree / "src" / "a.py").read_text() == "import gc\nfor i in range(n):\n    gc.collect()\n"
    assert found(reports) == [("MEM602", 3, 5)] and sum(r.fixed for r in reports) == 1
    calls.clear()
    cache = Cache(str(tree / "cache"))
    assert found(lint(tree, cache)) == [("MEM602", 3, 5)]  # the fixed bytes' result was stored
    assert calls == [] and cache.hits == 2


def test_inference_runs_are_not_cached(tree):
    cache = Cache(str(tree / "cache"))
    lint(tree, cache, enable_inference=True)
    # Findings are not stored; the project index's summaries are (they do not depend on inference).
    assert (cache.hits, cache.misses) == (0, 0) and entries(tree / "cache") == []


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


# -- the directory is memlint's alone -------------------------------------------------------


def make_old(path, days=40):
    then = time.time() - days * 24 * 3600
    os.utime(path, (then, then), follow_symlinks=False)


def snapshot(directory):
    """Every path below a directory with its bytes (files) or link target."""
    result = {}
    for path in sorted(directory.rglob("*")):
        if path.is_symlink():
            result[str(path)] = ("link", os.readlink(path))
        elif path.is_file():
            result[str(path)] = path.read_bytes()
        else:
            result[str(path)] = "dir"
    return result


def test_project_directory_as_cache_dir_is_refused_and_clean_keeps_it(tree, run_memlint):
    (tree / ".git").mkdir()
    (tree / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (tree / ".gitignore").write_text("*.pyc\n")
    before = snapshot(tree)
    result = run_memlint(PREVIEW, "--cache-dir", ".", "src", cwd=tree)
    assert result.returncode == 1 and len(result.stdout.splitlines()) == 2
    assert result.stderr.decode().splitlines()[0] == (
        "memlint: warning: .: not a memlint cache directory (no CACHEDIR.TAG written by memlint); "
        "memlint only uses one it created; results are not cached"
    )
    clean_run = run_memlint("clean", "--cache-dir", ".", cwd=tree)
    assert clean_run.returncode == 2 and "not removed" in clean_run.stderr.decode()
    assert snapshot(tree) == before


def test_a_shared_cache_home_is_neither_written_nor_pruned(tree, run_memlint):
    """MEMLINT_CACHE_DIR=~/.cache: other tools' old files survive, even under
    another tool's CACHEDIR.TAG."""
    home = tree / "dot-cache"
    (home / "pip" / "http").mkdir(parents=True)
    (home / "pip" / "http" / "0123abcd").write_bytes(b"cached wheel")
    (home / "CACHEDIR.TAG").write_text("Signature: 8a477f597d28d172789f06886806bc55\n# pytest\n")
    for path in home.rglob("*"):
        make_old(path)
    before = snapshot(home)
    result = run_memlint("src", cwd=tree, env={"MEMLINT_CACHE_DIR": str(home)})
    assert result.returncode == 1 and "results are not cached" in result.stderr.decode()
    assert snapshot(home) == before
    cache = Cache(str(home))
    assert cache.prune(now=time.time() + 3 * 24 * 3600) == 0 and snapshot(home) == before


def test_cache_dir_symlinked_to_the_parent_is_refused(tree, run_memlint):
    """A cloned repository ships `.memlint_cache -> ..`: nothing outside is
    written or pruned, even when the target carries memlint's marker."""
    project = tree / "project"
    (project / "src").mkdir(parents=True)
    (project / "src" / "a.py").write_text(LOOP)
    old = tree / "old-notes.txt"
    old.write_text("keep me")
    make_old(old)
    (project / ".memlint_cache").symlink_to("..")
    for marker in (False, True):
        if marker:
            (tree / "CACHEDIR.TAG").write_text(memlint.cache.CACHEDIR_TAG)
        before = snapshot(tree / "src") | {"old": old.read_text(), "list": sorted(os.listdir(tree))}
        result = run_memlint("src", cwd=project)
        assert result.returncode == 1
        assert "memlint: warning: .memlint_cache: is a symbolic link, not a memlint cache directory" in result.stderr.decode()
        assert Cache(str(project / ".memlint_cache")).prune(now=time.time() + 3 * 24 * 3600) == 0
        assert snapshot(tree / "src") | {"old": old.read_text(), "list": sorted(os.listdir(tree))} == before
        cleaned = run_memlint("clean", cwd=project)
        assert cleaned.returncode == 2 and old.exists() and (project / ".memlint_cache").is_symlink()


def test_shipped_gitignore_symlink_is_never_written_through(tree, run_memlint):
    victim = tree / "victim.txt"
    victim.write_text("precious\n")
    shipped = tree / ".memlint_cache"
    shipped.mkdir()
    (shipped / ".gitignore").symlink_to(victim)
    result = run_memlint("src", cwd=tree)
    assert result.returncode == 1 and "results are not cached" in result.stderr.decode()
    assert victim.read_text() == "precious\n" and sorted(os.listdir(shipped)) == [".gitignore"]


def test_symlinks_inside_an_adopted_cache_are_never_followed(tree, run_memlint):
    """A repository ships a cache with memlint's marker whose version
    directory and entries are symbolic links: no write, prune or clean
    reaches their targets, and a FIFO entry does not block."""
    outside = tree / "outside"
    (outside / "ab").mkdir(parents=True)
    (outside / "ab" / ("ab" + "0" * 62)).write_text("old but not memlint's")
    make_old(outside / "ab" / ("ab" + "0" * 62))
    victim = tree / "victim.json"
    victim.write_text("precious")
    cache_dir = tree / "cache"
    run_memlint(PREVIEW, "--cache-dir", "cache", "src", cwd=tree)  # a real cache: marker, entries
    [a_entry, clean_entry] = entries(cache_dir)
    a_entry.unlink()
    a_entry.symlink_to(victim)
    os.mkfifo(clean_entry.with_name("f" * 64))
    settings_dir = a_entry.parent.parent
    shard = next(name for name in ("cd", "ce", "cf", "d0") if not (settings_dir / name).exists())
    (settings_dir / shard).symlink_to(outside / "ab")
    before = snapshot(outside) | {"victim": victim.read_text()}
    second = run_memlint(PREVIEW, "--cache-dir", "cache", "src", cwd=tree)
    assert second.returncode == 1 and len(second.stdout.splitlines()) == 2 and second.stderr.decode().count("\n") == 1
    assert a_entry.is_file() and not a_entry.is_symlink()  # the link was replaced by an entry
    # two entries, two summaries of the project index, the catalog
    assert Cache(str(cache_dir)).prune(now=time.time() + 60 * 24 * 3600) == 5
    kept = run_memlint("clean", "--cache-dir", "cache", cwd=tree)
    assert kept.returncode == 0
    assert kept.stderr.decode().strip().endswith("kept what memlint did not write: " + ", ".join(sorted(
        os.path.relpath(path, cache_dir) for path in (settings_dir / shard, clean_entry.with_name("f" * 64))
    )))
    assert snapshot(outside) | {"victim": victim.read_text()} == before
    assert sorted(p.name for p in cache_dir.rglob("*")) == sorted([
        ".gitignore", ".last-prune", "CACHEDIR.TAG", memlint.cache.__version__, settings_dir.name, shard,
        clean_entry.parent.name, "f" * 64,
    ])


def test_prune_and_clean_remove_only_memlint_entries(tree, run_memlint):
    cache_dir = tree / "cache"
    run_memlint("--cache-dir", "cache", "src", cwd=tree)
    [entry, _] = entries(cache_dir)
    foreign = [cache_dir / "notes.txt", entry.parent / "README", cache_dir / memlint.cache.__version__ / "keep.json"]
    for path in foreign:
        path.write_text("not memlint's")
    for path in cache_dir.rglob("*"):
        make_old(path)
    assert Cache(str(cache_dir)).prune() == 5  # two entries, two summaries of the project index, the rule catalog
    assert all(path.read_text() == "not memlint's" for path in foreign)
    run_memlint("--cache-dir", "cache", "src", cwd=tree)
    assert len(entries(cache_dir)) == 4  # two new entries beside README and keep.json
    result = run_memlint("clean", "--cache-dir", "cache", cwd=tree)
    assert result.returncode == 0
    assert result.stderr.decode().strip() == (
        "memlint: removed memlint's entries from cache; kept what memlint did not write: "
        + ", ".join(sorted(os.path.relpath(path, cache_dir) for path in foreign))
    )
    assert sorted(p.name for p in cache_dir.rglob("*") if p.is_file()) == [
        ".gitignore", ".last-prune", "CACHEDIR.TAG", "README", "keep.json", "notes.txt"
    ]
    for path in foreign:
        path.unlink()
    assert run_memlint("clean", "--cache-dir", "cache", cwd=tree).stderr.decode().strip() == "memlint: removed cache"
    assert not cache_dir.exists()


def test_a_user_edited_gitignore_is_kept_by_clean(tree, run_memlint):
    run_memlint("src", cwd=tree)
    (tree / ".memlint_cache" / ".gitignore").write_text("*\n!keep\n")
    result = run_memlint("clean", cwd=tree)
    assert "kept what memlint did not write: .gitignore" in result.stderr.decode()
    assert (tree / ".memlint_cache" / ".gitignore").read_text() == "*\n!keep\n"


@pytest.mark.parametrize("catalog", [
    b'[{"code": 5, "name": "x", "message": "m", "options": {}, "module": "m", "qualname": "X"}]',
    b'[{"code": "MEM001", "name": "x", "message": "m", "options": [], "module": "m", "qualname": "X"}]',
    b'[{"code": "not a code", "name": "x", "message": "m", "options": {}, "module": "m", "qualname": "X"}]',
    b'{"rules": []}',
])
def test_a_poisoned_rule_catalog_is_not_trusted(tree, run_memlint, catalog):
    run_memlint("src", cwd=tree)
    [path] = (tree / ".memlint_cache").rglob("rules-*.json")
    path.write_bytes(catalog)
    result = run_memlint("--select", "MEM6", "src", cwd=tree)
    assert (result.returncode, result.stderr.decode()) == (1, "Found 1 problem\n")
    assert json.loads(path.read_bytes())[0]["code"] == "MEM001"  # rewritten from the real rules
