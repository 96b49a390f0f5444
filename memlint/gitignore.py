"""Which files git ignores, read from ``.gitignore`` files (no git binary).

Inside a git work tree (a directory holding ``.git``), a path is ignored
as git decides: the ``.gitignore`` of each directory from the top of the
work tree down to the path's own, and ``.git/info/exclude``; a deeper file
overrides a shallower one, a later line an earlier one; ``!pattern``
re-includes, but nothing inside an ignored directory can be re-included.
Patterns follow gitignore(5): a pattern with a slash (other than a trailing
one) is relative to its file's directory, else it matches a name at any
depth; a trailing slash matches directories only; ``*``, ``?``, ``[...]``
stay within one path component and ``**`` spans any number. Outside a work
tree nothing is ignored (as ruff does). The user's global excludes file
(``core.excludesFile``) is not read.
"""
from __future__ import annotations

import os
import re
from typing import Dict, List, NamedTuple, Optional, Pattern, Sequence, Tuple


class Rule(NamedTuple):
    regex: Pattern[str]  # matched against the path relative to the rule's directory
    negated: bool
    directories_only: bool

    def matches(self, relative: str, is_dir: bool) -> bool:
        return (is_dir or not self.directories_only) and self.regex.fullmatch(relative) is not None


def parse_line(line: str) -> Optional[Rule]:
    """A rule from one line of a .gitignore file; None for blanks and comments."""
    line = line.rstrip("\n").rstrip("\r")
    line = re.sub(r"(?<!\\) +$", "", line)  # trailing spaces, unless escaped
    if not line or line.startswith("#"):
        return None
    negated = line.startswith("!")
    if negated or line.startswith(("\\!", "\\#")):
        line = line[1:]
    directories_only = line.endswith("/")
    line = line.rstrip("/")
    if not line:
        return None
    anchored = "/" in line
    line = line.lstrip("/")
    body = _translate(line)
    return Rule(re.compile(body if anchored else f"(?:.*/)?{body}", re.DOTALL), negated, directories_only)


def _translate(pattern: str) -> str:
    """A gitignore glob as a regular expression over a ``/``-separated path."""
    out: List[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i) and (i == 0 or pattern[i - 1] == "/"):
            out.append("(?:.*/)?")  # any number of leading directories, none included
            i += 3
        elif pattern.startswith("**", i) and i + 2 == len(pattern) and (i == 0 or pattern[i - 1] == "/"):
            out.append(".*")  # everything inside
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[":
            end = _class_end(pattern, i)
            if end < 0:
                out.append(re.escape("["))
                i += 1
            else:
                inner = pattern[i + 1:end]
                if inner.startswith("!"):
                    inner = "^" + inner[1:]
                out.append("[" + _CLASS_SPECIAL.sub(r"\\\g<0>", inner) + "]")
                i = end + 1
        elif pattern[i] == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return "".join(out)


# Characters a Python character class treats specially that a glob's does not.
_CLASS_SPECIAL = re.compile(r"[\\\[&~|]")


def _class_end(pattern: str, start: int) -> int:
    """The index of the ``]`` closing the bracket expression at ``start``, or -1."""
    i = start + 1
    if i < len(pattern) and pattern[i] in "!^":
        i += 1
    if i < len(pattern) and pattern[i] == "]":  # a leading ] is literal
        i += 1
    end = pattern.find("]", i)
    return end if end >= 0 and "/" not in pattern[start:end] else -1


def parse(text: str) -> List[Rule]:
    return [rule for rule in map(parse_line, text.splitlines()) if rule is not None]


class GitIgnore:
    """Answers "does git ignore this path?" for many paths, reading each
    directory's .gitignore once."""

    def __init__(self) -> None:
        self._rules: Dict[str, List[Rule]] = {}  # directory -> its rules (one per directory visited)
        self._roots: Dict[str, Optional[str]] = {}  # directory -> top of its work tree

    def ignores(self, path: str) -> bool:
        path = os.path.abspath(path)
        root = self._root(os.path.dirname(path))
        if root is None:
            return False
        parts = os.path.relpath(path, root).split(os.sep)
        # Each ancestor directory first: the contents of an ignored directory stay ignored.
        for depth in range(1, len(parts) + 1):
            is_dir = depth < len(parts) or os.path.isdir(path)
            if self._decides(root, parts[:depth], is_dir):
                return True
        return False

    def _decides(self, root: str, parts: Sequence[str], is_dir: bool) -> bool:
        """Whether the rules of the directories above ``parts`` ignore it."""
        ignored = False
        for level in range(len(parts)):
            directory = os.path.join(root, *parts[:level])
            relative = "/".join(parts[level:])
            for rule in self._rules_of(directory, root):
                if rule.matches(relative, is_dir):
                    ignored = not rule.negated
        return ignored

    def _rules_of(self, directory: str, root: str) -> List[Rule]:
        rules = self._rules.get(directory)
        if rules is None:
            sources = [os.path.join(directory, ".gitignore")]
            if directory == root:  # first: below every .gitignore in precedence, as in git
                sources.insert(0, os.path.join(root, ".git", "info", "exclude"))
            rules = self._rules[directory] = [rule for source in sources for rule in parse(_read(source))]
        return rules

    def _root(self, directory: str) -> Optional[str]:
        if directory not in self._roots:
            parent = os.path.dirname(directory)
            if os.path.exists(os.path.join(directory, ".git")):
                self._roots[directory] = directory
            else:
                self._roots[directory] = None if parent == directory else self._root(parent)
        return self._roots[directory]


def _read(path: str) -> str:
    try:
        with open(path, "rb") as handle:
            return handle.read().decode("utf-8", "replace")
    except OSError:  # none, unreadable, a directory: no rules, as git
        return ""


def filter_ignored(paths: Sequence[str], gitignore: GitIgnore) -> Tuple[List[str], List[str]]:
    """``paths`` split into (kept, ignored by git)."""
    kept: List[str] = []
    ignored: List[str] = []
    for path in paths:
        (ignored if path != "-" and gitignore.ignores(path) else kept).append(path)
    return kept, ignored
