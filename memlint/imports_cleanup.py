"""Removing the imports a fix made unused.

A fix that rewrites ``@cache`` into ``@lru_cache(maxsize=...)`` leaves
``from functools import cache`` behind. After a round of fixes, a name bound
by a module-level import that was used before the round and is used nowhere
after it goes: the alias, or the whole statement when it was its last. When
unsure, the import stays:

- an import that was already unused is not the fixes' doing;
- ``__future__`` imports, star imports, explicit re-exports (``import a as
  a``) and everything in an ``__init__.py`` (its imports are its API);
- a name another module of the project imports from this one (``from
  this import name``, as the project index records it), and every import
  when the index does not cover the whole project (other modules unknown).
  The index does not see ``import this`` followed by ``this.name``, nor
  ``from this import *``: those are the cases a fix can still break;
- imports that are not module-level statements (``if TYPE_CHECKING:``,
  ``try:``, function bodies);
- a name a string may use: a string that reads as an expression naming it
  (a string annotation, an ``__all__`` entry, ``getattr(m, "name")``) or a
  doctest line naming it, and any ``# type:`` comment naming it;
- every import of a module that calls ``globals``, ``locals``, ``vars``,
  ``dir``, ``eval`` or ``exec`` (names looked up at run time);
- an import whose removal would drop a comment.

Any count of a name is a use: a parameter or local variable of the same
name counts too, which can only keep an import.
"""
from __future__ import annotations

import ast
import os
import re
from typing import TYPE_CHECKING, Iterable, List, Optional, Sequence, Set, Tuple, TypeVar, Union

import libcst as cst

from memlint.analysis.imports import import_bindings
from memlint.edits import comments
from memlint.nodes import children

if TYPE_CHECKING:
    from memlint.analysis.project import Project

# Builtins that reach a module's names through strings or the namespace itself.
_DYNAMIC_LOOKUPS = frozenset({"globals", "locals", "vars", "dir", "eval", "exec"})
_DOCTEST_PROMPT = re.compile(r"^\s*(?:>>>|\.\.\.)(?:\s|$)(.*)$", re.MULTILINE)

_Import = Union[cst.Import, cst.ImportFrom]
_Separated = TypeVar("_Separated", cst.ImportAlias, cst.BaseSmallStatement)


def remove_unused_imports(
    before: cst.Module, after: cst.Module, filename: str, project: Optional[Project]
) -> cst.Module:
    """``after`` (the fixed ``before``) without the module-level imports whose
    names the fix made unused."""
    if os.path.basename(filename) == "__init__.py" or project is None or not project.index.complete:
        return after
    bound = {name for statement in _module_imports(after) for name in _removable_names(statement)}
    if not bound:
        return after
    used_after, strings = _uses(after)
    unused = bound - used_after
    if not unused or used_after & _DYNAMIC_LOOKUPS:
        return after
    doomed = (unused & _uses(before)[0]) - _imported_by_other_modules(project) - _mentioned(unused, strings, after.code)
    if not doomed:
        return after
    return _without_imports_of(after, doomed)


def _imported_by_other_modules(project: Project) -> Set[str]:
    """The names of the linted module that other modules import from it."""
    prefix = project.module.name + "."
    return {
        target[len(prefix):].split(".")[0]
        for module, summary in project.index.modules.items()
        if module != project.module.name
        for target in summary.exports.values()
        if target.startswith(prefix)
    }


def _module_imports(module: cst.Module) -> Iterable[_Import]:
    for statement in module.body:
        if isinstance(statement, cst.SimpleStatementLine):
            yield from (small for small in statement.body if isinstance(small, (cst.Import, cst.ImportFrom)))


def _removable_names(statement: _Import) -> List[str]:
    """The names ``statement`` binds that a cleanup may remove."""
    if isinstance(statement, cst.ImportFrom) and _is_future(statement):
        return []
    return [local for local, _, alias in import_bindings(statement) if local and not _is_reexport(alias)]


def _is_future(statement: cst.ImportFrom) -> bool:
    return not statement.relative and isinstance(statement.module, cst.Name) and statement.module.value == "__future__"


def _is_reexport(alias: cst.ImportAlias) -> bool:
    """``import a as a`` / ``from m import a as a``: the convention for "this is exported"."""
    asname = alias.asname
    return (
        asname is not None
        and isinstance(asname.name, cst.Name)
        and isinstance(alias.name, cst.Name)
        and asname.name.value == alias.name.value
    )


def _uses(module: cst.Module) -> Tuple[Set[str], List[str]]:
    """Every name the module's code mentions outside its import statements
    (not attribute names ``x.attr``, not keywords ``f(key=...)``), and the
    text of its strings. An iterative walk: code can nest deeper than
    Python's stack."""
    names: Set[str] = set()
    strings: List[str] = []
    stack: List[cst.CSTNode] = [module]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Name):
            names.add(node.value)
        elif isinstance(node, (cst.Import, cst.ImportFrom)):
            continue
        elif isinstance(node, cst.Attribute):
            stack.append(node.value)
        elif isinstance(node, cst.Arg):
            stack.append(node.value)
        elif isinstance(node, (cst.SimpleString, cst.FormattedStringText)):
            strings.append(_string_text(node))
        else:
            stack.extend(children(node))
    return names, strings


def _string_text(node: Union[cst.SimpleString, cst.FormattedStringText]) -> str:
    if isinstance(node, cst.FormattedStringText):
        return node.value
    try:
        value = node.evaluated_value
    except (SyntaxError, ValueError):  # an escape Python rejects: the text as written
        return node.raw_value
    return value.decode("latin-1") if isinstance(value, bytes) else value


def _mentioned(names: Set[str], strings: Sequence[str], code: str) -> Set[str]:
    """The ``names`` a string or a ``# type:`` comment may use."""
    word = re.compile(r"\b(?:%s)\b" % "|".join(re.escape(name) for name in sorted(names)))
    found: Set[str] = set()
    for text in strings:
        if word.search(text):
            found |= _names_in_string(text, names)
    for comment in re.findall(r"#\s*type:[^\n]*", code):
        found |= set(word.findall(comment))
    return found


def _names_in_string(text: str, names: Set[str]) -> Set[str]:
    """The ``names`` ``text`` uses if it is an expression (an annotation, an
    ``__all__`` entry), or in its doctest lines."""
    found: Set[str] = set()
    expression = _parsed_expression(text)
    if expression is not None:
        found |= {node.id for node in ast.walk(expression) if isinstance(node, ast.Name)} & names
    for line in _DOCTEST_PROMPT.findall(text):
        found |= set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", line)) & names
    return found


def _parsed_expression(text: str) -> Optional[ast.AST]:
    try:
        return ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _without_imports_of(module: cst.Module, doomed: Set[str]) -> cst.Module:
    """The module with each import line without the aliases binding ``doomed``
    names; a line left empty goes, its leading comments and blank lines
    passing to the next statement (or the end of the file)."""
    body: List[cst.BaseStatement] = []
    carried: Sequence[cst.EmptyLine] = ()
    for statement in module.body:
        new = _line_without(statement, doomed) if isinstance(statement, cst.SimpleStatementLine) else statement
        if new is None:
            carried = [*carried, *statement.leading_lines]
            continue
        if carried:
            new = new.with_changes(leading_lines=_merged(carried, new.leading_lines))
            carried = ()
        body.append(new)
    return module.with_changes(body=body, footer=_merged(carried, module.footer) if carried else module.footer)


def _line_without(line: cst.SimpleStatementLine, doomed: Set[str]) -> Optional[cst.SimpleStatementLine]:
    """``line`` without its aliases binding ``doomed`` names; None when nothing
    is left of it; ``line`` itself when removing would drop a comment."""
    smalls: List[cst.BaseSmallStatement] = []
    for small in line.body:
        kept = _import_without(small, doomed) if isinstance(small, (cst.Import, cst.ImportFrom)) else small
        if kept is not None:
            smalls.append(kept)
    if len(smalls) == len(line.body) and all(a is b for a, b in zip(smalls, line.body)):
        return line
    if not smalls:  # the line goes, unless with a comment of its own (its leading lines are kept)
        return None if not comments(line.with_changes(leading_lines=[])) else line
    new = line.with_changes(body=_keep_last_separator(line.body, smalls, "semicolon"))
    return new if comments(new) == comments(line) else line


def _import_without(statement: _Import, doomed: Set[str]) -> Optional[_Import]:
    """``statement`` without the aliases binding ``doomed`` names (None: all went)."""
    removable = set(_removable_names(statement))
    names = statement.names
    if isinstance(names, cst.ImportStar):
        return statement
    gone = {id(alias) for local, _, alias in import_bindings(statement) if local in doomed and local in removable}
    if not gone:
        return statement
    kept = [alias for alias in names if id(alias) not in gone]
    if not kept:
        return None
    return statement.with_changes(names=_keep_last_separator(names, kept, "comma"))


def _keep_last_separator(items: Sequence[_Separated], kept: List[_Separated], separator: str) -> List[_Separated]:
    """When the last of ``items`` went, the new last takes its separator (no
    comma, or the trailing comma of a bracketed list, with its line break)."""
    if kept and kept[-1] is not items[-1]:
        kept[-1] = kept[-1].with_changes(**{separator: getattr(items[-1], separator)})
    return kept


def _merged(carried: Sequence[cst.EmptyLine], leading: Sequence[cst.EmptyLine]) -> List[cst.EmptyLine]:
    """The leading lines of a statement that follows removed ones: their
    comments stay; their blank lines only where it had none (a blank line
    separated the removed import from what came before)."""
    if all(line.comment is None for line in carried) and leading and leading[0].comment is None:
        return list(leading)
    return [*carried, *leading]
