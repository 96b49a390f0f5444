"""``libcst.matchers``' notation, without importing ``libcst.matchers``.

Importing ``libcst.matchers`` builds some 700 dataclasses: 0.1-0.3 s, up to
half the cold start of one small file, paid by every process that lints a
file with one candidate finding. Rules write
``from memlint.lazy_matchers import m`` and use ``m`` as that module. The
plain patterns rules use are matched here:

- ``m.Name("x")``, ``m.Call(func=m.Attribute())``: a node of exactly that
  type whose fields, given by position (the node's field order) or by
  keyword, match; a field's value is a string or bool (equal), None, a
  pattern, or a list of patterns (same length, each matches);
- ``p | q``: either;
- ``m.findall(tree, pattern)`` and ``m.matches(node, pattern)``.

Anything else (``MatchIfTrue``, ``ZeroOrMore``, metadata, ``extract``...)
is ``libcst.matchers`` itself, imported on first use, with these patterns
converted to its own. ``tests/test_lazy_matchers.py`` checks the two agree.
"""
from __future__ import annotations

import dataclasses
import importlib
from types import ModuleType
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import libcst as cst

__all__ = ["m"]

_LITERALS = (str, bool, type(None))


class Pattern:
    """A node of exactly ``node_type`` whose named fields match."""

    __slots__ = ("node_type", "fields")

    def __init__(self, node_type: type, fields: Dict[str, Any]) -> None:
        self.node_type = node_type
        self.fields = fields

    def matches(self, node: object) -> bool:
        return type(node) is self.node_type and all(
            _value_matches(getattr(node, name), expected) for name, expected in self.fields.items()
        )

    def __or__(self, other: Any) -> Any:
        return _one_of(self, other)

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={value!r}" for name, value in self.fields.items())
        return f"m.{self.node_type.__name__}({fields})"


class OneOf:
    """Any of the options matches."""

    __slots__ = ("options",)

    def __init__(self, options: Tuple[Pattern, ...]) -> None:
        self.options = options

    def matches(self, node: object) -> bool:
        return any(option.matches(node) for option in self.options)

    def __or__(self, other: Any) -> Any:
        return _one_of(self, other)

    def __repr__(self) -> str:
        return " | ".join(map(repr, self.options))


_Ours = Union[Pattern, OneOf]


def _one_of(left: _Ours, right: Any) -> Any:
    if not isinstance(right, (Pattern, OneOf)):  # a libcst matcher: let libcst combine them
        return _to_libcst(left) | right
    options = [o for side in (left, right) for o in (side.options if isinstance(side, OneOf) else (side,))]
    return OneOf(tuple(options))


def _value_matches(value: object, expected: object) -> bool:
    if isinstance(expected, (Pattern, OneOf)):
        return expected.matches(value)
    if isinstance(expected, bool) or expected is None:
        return value is expected
    if isinstance(expected, str):
        return value == expected
    # A list of patterns: only a sequence field of the same length matches.
    assert isinstance(expected, (list, tuple))  # the only other kind _ours() lets in
    return (
        isinstance(value, Sequence) and not isinstance(value, str) and len(value) == len(expected)
        and all(_value_matches(v, e) for v, e in zip(value, expected))
    )


def _ours(value: object) -> bool:
    """Whether a field value is one this module matches itself."""
    if isinstance(value, (list, tuple)):
        return all(isinstance(item, (Pattern, OneOf)) for item in value)
    return isinstance(value, (Pattern, OneOf) + _LITERALS)


class _Finder(cst.CSTVisitor):
    def __init__(self, pattern: _Ours) -> None:
        super().__init__()
        self.pattern = pattern
        self.found: List[cst.CSTNode] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        if self.pattern.matches(node):
            self.found.append(node)
        return True


def findall(tree: object, pattern: Any, **options: Any) -> Sequence[cst.CSTNode]:
    """Every node of ``tree`` (itself included) that matches, in source order."""
    if isinstance(tree, (cst.MaybeSentinel, cst.RemovalSentinel)):
        return []  # as libcst: a missing node has no descendants
    if options or not isinstance(pattern, (Pattern, OneOf)) or not isinstance(tree, cst.CSTNode):
        return _libcst_function("findall")(tree, pattern, **options)  # type: ignore[no-any-return]
    finder = _Finder(pattern)
    tree.visit(finder)
    return finder.found


def matches(node: object, pattern: Any, **options: Any) -> bool:
    if options or not isinstance(pattern, (Pattern, OneOf)):
        return bool(_libcst_function("matches")(node, pattern, **options))
    return pattern.matches(node)


# -- libcst.matchers itself, for everything else --------------------------------------

_LIBCST: Optional[ModuleType] = None


def _libcst_matchers() -> ModuleType:
    global _LIBCST
    if _LIBCST is None:
        _LIBCST = importlib.import_module("libcst.matchers")
    return _LIBCST


def _to_libcst(value: Any) -> Any:
    """Our patterns (inside lists and tuples too) as libcst matchers."""
    if isinstance(value, Pattern):
        make = getattr(_libcst_matchers(), value.node_type.__name__)
        return make(**{name: _to_libcst(v) for name, v in value.fields.items()})
    if isinstance(value, OneOf):
        return _libcst_matchers().OneOf(*map(_to_libcst, value.options))
    if isinstance(value, (list, tuple)):
        return type(value)(map(_to_libcst, value))
    return value


def _libcst_function(name: str) -> Callable[..., Any]:
    function = getattr(_libcst_matchers(), name)

    def converting(*args: Any, **kwargs: Any) -> Any:
        return function(*map(_to_libcst, args), **{k: _to_libcst(v) for k, v in kwargs.items()})

    return converting


def _concrete(node_type_name: str) -> bool:
    """Whether libcst.matchers has a pattern for this node type (not for the abstract ones)."""
    return node_type_name != "CSTNode" and not node_type_name.startswith("Base")


def _node_fields(node_type: type) -> Tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(node_type))


class _Matchers:
    """What ``m.<name>`` gives: a pattern maker for a node type, our
    ``findall``/``matches``, else libcst.matchers' own (converting ours)."""

    findall = staticmethod(findall)
    matches = staticmethod(matches)

    def __getattr__(self, name: str) -> Any:
        node_type = getattr(cst, name, None)
        if isinstance(node_type, type) and issubclass(node_type, cst.CSTNode) and _concrete(name):
            value: Any = self._pattern_maker(node_type)
        else:
            value = getattr(_libcst_matchers(), name)
            if callable(value) and not name.startswith(("Base", "_")):  # BaseMatcherNode stays a class
                value = _libcst_function(name)
        setattr(self, name, value)  # later reads are plain attribute reads
        return value

    @staticmethod
    def _pattern_maker(node_type: type) -> Callable[..., Any]:
        field_names = _node_fields(node_type)

        def make(*args: Any, **kwargs: Any) -> Any:
            fields = dict(zip(field_names, args), **kwargs)
            known = len(args) <= len(field_names) and set(fields) <= set(field_names)
            if not (known and all(map(_ours, fields.values()))):  # libcst's own matcher (or its error)
                return _libcst_function(node_type.__name__)(*args, **kwargs)
            return Pattern(node_type, fields)

        return make


if TYPE_CHECKING:  # type checkers see the module itself
    import libcst.matchers as m
else:
    m = _Matchers()
