"""memlint.gitignore decides as git does, and the CLI skips what git ignores."""
import os
import shutil
import subprocess

import pytest

from memlint.gitignore import GitIgnore, parse_line

# (pattern, path relative to the .gitignore's directory, is a directory, ignored)
CASES = [
    ("*.py", "a.py", False, True),
    ("*.py", "sub/deep/a.py", False, True),
    ("/a.py", "a.py", False, True),
    ("/a.py", "sub/a.py", False, False),
    ("sub/a.py", "sub/a.py", False, True),
    ("sub/a.py", "x/sub/a.py", False, False),  # a slash anchors the pattern
    ("build/", "build", True, True),
    ("build/", "build", False, False),  # a trailing slash: directories only
    ("build/", "src/build", True, True),
    ("a?.py", "ab.py", False, True),
    ("a?.py", "a/.py", False, False),
    ("[ab].py", "b.py", False, True),
    ("[!ab].py", "b.py", False, False),
    ("[!ab].py", "c.py", False, True),
    ("**/gen", "x/y/gen", True, True),
    ("**/gen", "gen", True, True),
    ("docs/**/*.py", "docs/a.py", False, True),
    ("docs/**/*.py", "docs/x/y/a.py", False, True),
    ("docs/**", "docs/x/a.py", False, True),
    ("docs/**", "docs", True, False),
    ("*", "anything", False, True),
    ("\\#hash.py", "#hash.py", False, True),
    ("# a comment", "# a comment", False, False),
    ("trailing.py   ", "trailing.py", False, True),
]


@pytest.mark.parametrize("pattern, path, is_dir, ignored", CASES)
def test_one_pattern(pattern, path, is_dir, ignored):
    rule = parse_line(pattern)
    assert (rule is not None and rule.matches(path, is_dir)) == ignored


def make_tree(root, files):
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


TREE = {
    ".gitignore": "build/\n*.gen.py\n/top_only.py\nvendor/*\n!vendor/keep.py\nlogs\n",
    "pkg/.gitignore": "local_*.py\n!local_keep.py\n!*.gen.py\n",
    "pkg/a.py": "", "pkg/local_x.py": "", "pkg/local_keep.py": "", "pkg/x.gen.py": "", "pkg/top_only.py": "",
    "top_only.py": "", "z.gen.py": "", "build/b.py": "", "build/sub/!b.py": "", "src/build/c.py": "",
    "vendor/v.py": "", "vendor/keep.py": "", "logs/l.py": "", "logs/.gitignore": "!l.py\n",
}
IGNORED = sorted([
    "pkg/local_x.py", "top_only.py", "z.gen.py", "build/b.py", "build/sub/!b.py", "src/build/c.py",
    "vendor/v.py", "logs/l.py",  # a file in an ignored directory cannot be re-included
])


def ignored_in(root):
    gitignore = GitIgnore()
    files = [os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs if f.endswith(".py")]
    return sorted(f for f in files if gitignore.ignores(os.path.join(root, f)))


def test_nested_files_negations_and_directories(tmp_path):
    make_tree(tmp_path, TREE)
    (tmp_path / ".git").mkdir()
    assert ignored_in(tmp_path) == IGNORED


@pytest.mark.skipif(shutil.which("git") is None, reason="needs the git binary to compare with")
def test_agrees_with_git(tmp_path):
    make_tree(tmp_path, TREE)
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    files = sorted(os.path.relpath(os.path.join(d, f), tmp_path) for d, _, fs in os.walk(tmp_path)
                   for f in fs if f.endswith(".py") and ".git" not in d.split(os.sep))
    git = subprocess.run(["git", "check-ignore", "--no-index", *files], cwd=tmp_path, capture_output=True, text=True)
    assert sorted(git.stdout.split()) == ignored_in(tmp_path) == IGNORED


def test_git_info_exclude_and_outside_a_work_tree(tmp_path):
    make_tree(tmp_path, {"repo/a.py": "", "repo/b.py": "", "repo/.gitignore": "!b.py\n", "plain/.gitignore": "*\n",
                         "plain/c.py": ""})
    (tmp_path / "repo" / ".git" / "info").mkdir(parents=True)
    (tmp_path / "repo" / ".git" / "info" / "exclude").write_text("*.py\n")
    assert ignored_in(tmp_path / "repo") == ["a.py"]  # a .gitignore overrides info/exclude
    assert ignored_in(tmp_path / "plain") == []  # no .git: not a work tree


def test_the_cli_skips_ignored_files_and_says_so_for_named_ones(tmp_path, run_memlint):
    loop = "import gc\nfor i in list(range(n)):\n    gc.collect()\n"
    make_tree(tmp_path, {".gitignore": "gen/\nold.py\n", "a.py": loop, "old.py": loop, "gen/g.py": loop})
    (tmp_path / ".git").mkdir()
    result = run_memlint("--select", "MEM602", "-q", ".", cwd=tmp_path)
    assert result.stdout.decode().splitlines() == ["./a.py:3:5: MEM602 gc.collect() inside a loop: each call walks the whole heap"]
    result = run_memlint("--select", "MEM602", "-q", "old.py", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, b"")
    assert result.stderr.decode().splitlines() == [
        "memlint: warning: old.py: ignored by .gitignore; not linted (--no-respect-gitignore lints it)",
        "memlint: warning: no Python files found in old.py",
    ]
    result = run_memlint("--select", "MEM602", "-q", "gen", cwd=tmp_path)
    assert result.stderr.decode().splitlines() == [
        "memlint: warning: gen: every Python file in it (1) is ignored by .gitignore; not linted "
        "(--no-respect-gitignore lints them)",
        "memlint: warning: no Python files found in gen",
    ]
    result = run_memlint("--select", "MEM602", "-q", "--no-respect-gitignore", ".", cwd=tmp_path)
    assert [line.split(":")[0] for line in result.stdout.decode().splitlines()] == ["./a.py", "./gen/g.py", "./old.py"]
