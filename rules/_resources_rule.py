"""The visitor both MEM5 rules share, and code that expects a leak or a failure."""
from __future__ import annotations

from typing import Any, Mapping, Optional, Tuple

import libcst as cst
from memlint.lazy_matchers import m

from memlint.analysis.blocks import statement_site
from memlint.analysis.names import last_name
from memlint.context import Context
from memlint.rule import Rule

from ._resources import ResourceTable, borrows_descriptor, find_resource
from ._resources_flow import Creation, creation_of
from ._resources_paths import process_ends_after

# Context managers of tests that expect their body to raise.
EXPECTING_RAISE = frozenset({"assertRaises", "assertRaisesRegex", "raises"})


def exempt(creation: Creation, context: Context) -> bool:
    """The function is about ResourceWarning itself (`assertWarns(ResourceWarning)`:
    the leak is what it tests), the constructor is a mock here (inside
    `with patch("...open", ...)`, under `@patch.object(m, "Popen")`), or the
    process ends after starting a child (`os._exit()`, `os.exec*()`): the
    child outlives it on purpose, or the code runs only as a script (under
    the module's `if __name__ == "__main__":`): the process ends with it."""
    if creation.resource.kind.process and process_ends_after(context, creation.path):
        return True
    if len(creation.path) > 1 and is_main_guard(creation.path[1]):  # path[1]: the module-level statement
        return True
    function = next((n for n in reversed(creation.path) if isinstance(n, cst.FunctionDef)), None)
    if function is not None and context.scope_info(function).loads_of("ResourceWarning"):
        return True
    last = creation.resource.qualified.rsplit(".", 1)[-1]
    calls = [item.item for node in creation.path if isinstance(node, cst.With) for item in node.items]
    calls += [d.decorator for node in creation.path if isinstance(node, cst.FunctionDef) for d in node.decorators]
    return any(
        isinstance(call, cst.Call) and last_name(call) in ("patch", "object")
        and (any(_names_target(string, last) for string in m.findall(call, m.SimpleString()))  # type: ignore[arg-type]
             or bool(m.findall(call, m.Name(last))))  # patch.object(subprocess.Popen, "_execute_child")
        for call in calls
    )


def is_main_guard(node: cst.CSTNode) -> bool:
    """`if __name__ == "__main__":` (either side of the `==`)."""
    if not isinstance(node, cst.If) or not isinstance(node.test, cst.Comparison) or len(node.test.comparisons) != 1:
        return False
    comparison = node.test.comparisons[0]
    if not isinstance(comparison.operator, cst.Equal):
        return False
    sides = (node.test.left, comparison.comparator)
    names = [side for side in sides if m.matches(side, m.Name("__name__"))]
    strings = [side for side in sides if isinstance(side, cst.SimpleString) and side.evaluated_value == "__main__"]
    return len(names) == 1 and len(strings) == 1


def _names_target(string: cst.SimpleString, name: str) -> bool:
    value = string.evaluated_value
    return isinstance(value, str) and (value == name or value.endswith("." + name))


def expected_to_raise(creation: Creation) -> bool:
    """A statement in `with self.assertRaises(...)` / `pytest.raises(...)`,
    or a resource dropped at once in a `try` with handlers: the code expects
    the constructor (or the use) to fail."""
    path = creation.path
    site = statement_site(path)
    if site is None:
        return False
    index = path.index(site.block)
    owner = path[index - 1] if index > 0 else None
    if isinstance(owner, cst.Try) and isinstance(creation.consumer, cst.Expr):
        return bool(owner.handlers) and site.block is owner.body
    withs = [n for n in path[:index] if isinstance(n, cst.With)]
    return any(
        isinstance(item.item, cst.Call) and last_name(item.item) in EXPECTING_RAISE
        for with_node in withs for item in with_node.items
    )


def in_try_body(path: Tuple[cst.CSTNode, ...]) -> bool:
    """The statement at the end of ``path`` is in the body of a `try` with handlers."""
    site = statement_site(path)
    if site is None:
        return False
    owner = path[path.index(site.block) - 1]
    return isinstance(owner, cst.Try) and bool(owner.handlers) and owner.body is site.block


class ResourceRule(Rule):
    """The visitor both MEM5 rules share: find constructor calls, hand each
    creation that does not escape to :meth:`check`."""

    options = {"extra-resources": [], "ignore-resources": []}

    def __init__(self, context: Context, options: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__(context, options)
        self._table = ResourceTable(self.options)

    @classmethod
    def trigger_words(cls, options: Mapping[str, Any]) -> Tuple[str, ...]:
        """The last parts of the constructors' names (`open`, `Popen`, those
        `extra-resources` adds): every reported call spells one, and so does
        the import that brings in an alias."""
        return tuple(sorted(ResourceTable(options).candidates))

    def visit_Call(self, node: cst.Call) -> None:
        if last_name(node.func) not in self._table.candidates:
            return
        resource = find_resource(self.context, node, self._table)
        if resource is None or borrows_descriptor(node):
            return
        creation = creation_of(self.context, node, resource)
        if creation is not None:
            self.check(creation)

    def check(self, creation: Creation) -> None:
        """Report ``creation`` if the rule applies (the call is being visited)."""
        raise NotImplementedError
