"""Files on disk: what is read (regular files only), and how --fix writes
(never over an edit, keeping the file's identity and every untouched byte)."""
import os
import socket
import stat
import subprocess
import sys

import pytest

import memlint.runner
from memlint.cli import main
from memlint.config import ConfigResolver, Settings
from memlint.fixes import keep_untouched
from memlint.registry import get_registry
from memlint.runner import FileReport, Mode, discover_files, process_path, run_files

LOOP = "import gc\nfor i in list(range(n)):\n    gc.collect()\n"
FIXED = "import gc\nfor i in range(n):\n    gc.collect()\n"
FIX = Mode(fix=True)
# MEM202 (LOOP's finding with a safe fix) runs even while the precision ledger keeps it in preview.
WITH_MEM202 = ("--extend-select", "MEM202")
SETTINGS = Settings(extend_select=("MEM202",))


def codes(report):
    return [(d.code, d.line) for d in report.diagnostics]


# -- --fix writes ------------------------------------------------------------------------


def test_an_edit_saved_while_fixing_is_not_overwritten(tmp_path, monkeypatch):
    path = tmp_path / "a.py"
    path.write_text(LOOP)
    edited = "import gc\n# the user's edit\nfor i in list(range(n)):\n    gc.collect()\n"
    real = memlint.runner.process_source

    def lint_then_save(data, name, settings, mode, *project):
        report = real(data, name, settings, mode, *project)
        path.write_text(edited)  # an editor saves while memlint is fixing
        return report

    monkeypatch.setattr(memlint.runner, "process_source", lint_then_save)
    report = process_path(str(path), SETTINGS, FIX)
    assert path.read_text() == edited
    assert report.warnings == [f"{path}: changed on disk while memlint was fixing it; not written (run memlint again)"]
    assert report.fixed == 0 and codes(report) == [("MEM202", 2), ("MEM602", 3)]  # the findings of what was read
    assert [p for p in os.listdir(tmp_path) if p != "a.py"] == []


def test_fix_writes_through_a_symlink_to_its_target(tmp_path):
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "a.py"
    target.write_text(LOOP)
    link = tmp_path / "link.py"
    link.symlink_to(os.path.join("real", "a.py"))
    report = process_path(str(link), SETTINGS, FIX)
    assert report.fixed == 1 and report.warnings == [] and report.errors == []
    assert link.is_symlink() and os.readlink(link) == os.path.join("real", "a.py")
    assert target.read_text() == FIXED
    assert sorted(os.listdir(tmp_path / "real")) == ["a.py"]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="only root can give a file another owner")
def test_fix_keeps_owner_group_and_mode(tmp_path):
    path = tmp_path / "a.py"
    path.write_text(LOOP)
    os.chown(path, 4242, 4343)
    path.chmod(0o2751)  # set-group-id survives the chown that comes first
    report = process_path(str(path), SETTINGS, FIX)
    assert report.fixed == 1 and path.read_text() == FIXED
    info = path.stat()
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (4242, 4343, 0o2751)


def test_fix_refuses_a_read_only_file(tmp_path, run_memlint):
    path = tmp_path / "a.py"
    path.write_text(LOOP)
    path.chmod(0o444)
    result = run_memlint("--no-cache", *WITH_MEM202, "--fix", "a.py", cwd=tmp_path)
    assert path.read_text() == LOOP and stat.S_IMODE(path.stat().st_mode) == 0o444
    assert result.returncode == 1 and len(result.stdout.splitlines()) == 2  # both findings, unfixed
    assert result.stderr.decode().splitlines() == ["memlint: warning: a.py: read-only; fixes not applied", "Found 2 problems (1 fixable with --fix)"]


def test_fix_refuses_a_file_with_other_hard_links(tmp_path):
    path = tmp_path / "a.py"
    path.write_text(LOOP)
    os.link(path, tmp_path / "b.py")
    report = process_path(str(path), SETTINGS, FIX)
    assert report.fixed == 0 and codes(report) == [("MEM202", 2), ("MEM602", 3)]
    assert report.warnings == [f"{path}: has other hard links (replacing it would leave them unfixed); fixes not applied"]
    assert (tmp_path / "b.py").read_text() == path.read_text() == LOOP


@pytest.mark.parametrize("before, after", [
    # CR-only line endings, the last one included
    (LOOP.replace("\n", "\r"), FIXED.replace("\n", "\r")),
    ("x = 1\n\r" + LOOP.replace("\n", "\r"), "x = 1\n\r" + FIXED.replace("\n", "\r")),
    # a form feed before the first statement, in the indentation of a later one, on a fixed line
    ("\f" + LOOP, "\f" + FIXED),
    ("import gc\ndef f():\n    x = 1\n\f    for i in list(range(n)):\n        gc.collect()\n",
     "import gc\ndef f():\n    x = 1\n\f    for i in range(n):\n        gc.collect()\n"),
    ("import gc\n\f \ffor i in list(range(n)):\r\n    gc.collect()\r", "import gc\n\f \ffor i in range(n):\r\n    gc.collect()\r"),
])
def test_fix_keeps_every_byte_it_does_not_touch(tmp_path, before, after):
    path = tmp_path / "a.py"
    path.write_bytes(before.encode())
    report = process_path(str(path), SETTINGS, FIX)
    assert report.fixed == 1 and report.warnings == []
    assert path.read_bytes() == after.encode()


def test_keep_untouched_refuses_an_unexplained_round_trip():
    assert keep_untouched("x = 1\n", "x = 1\n", "y = 1\n") == "y = 1\n"
    assert keep_untouched("\fx = 1\r", "x = 1", "y = 1") == "\fy = 1\r"
    assert keep_untouched("x = 1\n", "x  = 1\n", "y  = 1\n") is None  # not what libcst drops: write nothing


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="needs syntax newer than the running interpreter")
def test_fix_in_a_file_with_syntax_newer_than_the_interpreter(tmp_path):
    path = tmp_path / "a.py"
    path.write_text("type Items = list[int]\n" + LOOP)
    report = process_path(str(path), Settings(extend_select=("MEM202",), target_version=(3, 12)), FIX)
    assert report.warnings == [] and report.fixed == 1
    assert path.read_text() == "type Items = list[int]\n" + FIXED


# -- what is read --------------------------------------------------------------------


@pytest.fixture
def special_tree(tmp_path):
    (tmp_path / "a.py").write_text(LOOP)
    os.mkfifo(tmp_path / "fifo.py")
    os.symlink("nowhere.py", tmp_path / ".#lock.py")  # an editor's lock file
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(tmp_path / "sock.py"))
    yield tmp_path
    server.close()


def run_bounded(*args, cwd):
    """memlint where a regression would block on a FIFO or read /dev/zero
    forever: a time limit and an address-space limit end it instead."""
    import resource

    def limit_memory():
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    return subprocess.run(
        [sys.executable, "-m", "memlint", *args], cwd=cwd, capture_output=True, timeout=120, preexec_fn=limit_memory
    )


def test_special_files_in_a_walk_are_skipped_with_a_warning(special_tree):
    result = run_bounded("-j1", *WITH_MEM202, ".", cwd=special_tree)
    assert result.returncode == 1 and len(result.stdout.splitlines()) == 2
    assert result.stderr.decode().splitlines() == [
        "memlint: warning: ./.#lock.py: is a broken symbolic link; skipped",
        "memlint: warning: ./fifo.py: not a regular file (a FIFO); skipped",
        "memlint: warning: ./sock.py: not a regular file (a socket); skipped",
        "Found 2 problems (1 fixable with --fix)",
    ]


def test_special_files_named_explicitly(special_tree, run_memlint):
    fifo = run_bounded("fifo.py", "/dev/zero", cwd=special_tree)  # neither blocks nor is read
    assert (fifo.returncode, fifo.stdout) == (0, b"")
    assert fifo.stderr.decode().splitlines() == [
        "memlint: warning: /dev/zero: not a regular file (a character device); skipped",
        "memlint: warning: fifo.py: not a regular file (a FIFO); skipped",
        "All checks passed!",
    ]
    broken = run_memlint(".#lock.py", "a.py", cwd=special_tree)
    assert broken.returncode == 2 and broken.stderr.decode() == "memlint: error: .#lock.py: broken symbolic link\n"


def test_a_file_deleted_after_discovery_is_a_warning(tmp_path):
    (tmp_path / "a.py").write_text(LOOP)
    (tmp_path / "gone.py").write_text(LOOP)
    resolver = ConfigResolver(get_registry(), overrides={"extend_select": ("MEM202",)})
    files = discover_files([str(tmp_path)], resolver)
    (tmp_path / "gone.py").unlink()
    reports = run_files(files, resolver, Mode(), 1)
    assert [(r.path, r.warnings, r.errors, len(r.diagnostics)) for r in reports] == [
        (str(tmp_path / "a.py"), [], [], 2),
        (str(tmp_path / "gone.py"), [f"{tmp_path / 'gone.py'}: no longer exists; skipped"], [], 0),
    ]


def test_an_unreadable_directory_is_an_error_that_names_it(tmp_path, monkeypatch, capsys):
    (tmp_path / "a.py").write_text(LOOP)
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "b.py").write_text(LOOP)
    real = os.scandir

    def scandir(path="."):
        if os.fspath(path) == str(tmp_path / "locked"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    problems = []
    assert discover_files([str(tmp_path)], ConfigResolver(get_registry()), problems) == [str(tmp_path / "a.py")]
    assert [(r.path, r.errors) for r in problems] == [
        (str(tmp_path / "locked"), [f"{tmp_path / 'locked'}: cannot read directory: Permission denied"])
    ]
    assert main(["--no-cache", "-j1", *WITH_MEM202, str(tmp_path)]) == 2
    out, err = capsys.readouterr()
    assert len(out.splitlines()) == 2  # the other files are still linted
    assert f"memlint: error: {tmp_path / 'locked'}: cannot read directory: Permission denied\n" in err
