from typing import Dict, Iterator, List, Sequence, Set, Tuple

import libcst as cst
from memlint.lazy_matchers import m

from memlint.analysis.blocks import small_statements
from memlint.analysis.scopes import ScopeInfo
from memlint.analysis.flow import Effect, Use, classify, container_kind, grows_without_bound, local_uses, statement_of
from memlint.rule import Applicability, FixAvailability, Invalid, Rule, Valid

_MAPPINGS = frozenset({"dict", "defaultdict", "OrderedDict"})


class ClosureMemo(Rule):
    """
    ## What it does
    Reports the statement that inserts into a dict of an enclosing function
    when the inner function uses that dict as a memo (it looks keys up with
    `in`, `get` or `d[k]`, or fills it with `setdefault`), the enclosing
    function returns the inner function (directly or wrapped, as memoizing
    decorators do: `return functools.wraps(fn)(wrapper)`), and nothing ever
    evicts from the dict (`pop`, `popitem`, `clear`, `del`, a reset).

    Not reported: counters, whose writes store a value made from the dict's
    own entry (`d[k] += 1`, `n = d.get(k, 0)` then `d[k] = n + 1`): they
    remember a number per key, not a result per call. Memos the code bounds (RULES.md, "Bounded by the code"):
    writes with a constant key (`memo["value"] = ...`), writes that only run
    while the dict is small (`if len(memo) < 100:`), and keys from a fixed
    set (a loop over a literal collection or `range(4)`, pure calls of those).

    ## Why is this bad?
    The dict lives as long as the returned function, which for a decorated
    module-level function is the whole process. Every distinct argument
    tuple and every result stays in it: a hand-written `@cache` with no bound.

    ## Example
    ```python
    def memoize(fn):
        cache = {}

        @functools.wraps(fn)
        def wrapper(*args):
            if args not in cache:
                cache[args] = fn(*args)
            return cache[args]
        return wrapper
    ```

    ## Use instead
    ```python
    def memoize(fn):
        return functools.lru_cache(maxsize=1024)(fn)
    ```

    ## Fix safety
    There is no automatic fix: the memo may be keyed or filled in ways
    `lru_cache` does not reproduce (unhashable arguments turned into keys,
    shared between several inner functions).

    ## References
    - [functools.lru_cache](https://docs.python.org/3/library/functools.html#functools.lru_cache)
    """

    code = "MEM304"
    name = "closure-memo"
    message = (
        "closure dict `{name}` memoizes every call of `{inner}` and is never evicted: it lives as long as "
        "the returned function; use functools.lru_cache(maxsize=...) or evict entries"
    )
    fix_availability = FixAvailability.NONE
    applicability = Applicability.DISPLAY_ONLY

    VALID = [
        # the inner function is not returned: the dict dies with the call
        Valid(
            """
            def solve(items):
                memo = {}
                def best(i):
                    if i not in memo:
                        memo[i] = compute(i)
                    return memo[i]
                return best(0)
            """
        ),
        # evicted
        Valid(
            """
            def memoize(fn):
                cache = {}
                def wrapper(x):
                    if x not in cache:
                        if len(cache) > 100:
                            cache.popitem()
                        cache[x] = fn(x)
                    return cache[x]
                return wrapper
            """
        ),
        # a counter, not a memo
        Valid(
            """
            def counter():
                counts = {}
                def hit(k):
                    counts[k] = 1
                return hit
            """
        ),
        # counters per key: each write updates the dict's own entry, nothing is memoized
        Valid(
            """
            from collections import defaultdict

            def numbering():
                counts = defaultdict(int)
                def next_name(kind):
                    n = str(counts[kind])
                    counts[kind] += 1
                    return kind + "_" + n
                return next_name

            def tally():
                seen = {}
                def hit(key):
                    n = seen.get(key, 0)
                    seen[key] = n + 1
                    return n
                return hit
            """
        ),
        # rebound by the inner function: a fresh dict per call
        Valid(
            """
            def outer():
                memo = {}
                def inner(k):
                    memo = {}
                    if k not in memo:
                        memo[k] = 1
                    return memo
                return inner
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import functools

            def memoize(fn):
                cache = {}

                @functools.wraps(fn)
                def wrapper(*args):
                    if args not in cache:
                        cache[args] = fn(*args)
                    return cache[args]
                return wrapper
            """,
            line=9,
            column=13,
            message="closure dict `cache` memoizes every call of `wrapper`",
        ),
        Invalid(
            """
            import functools

            def memoize(fn):
                memo = dict()
                def wrapper(key):
                    return memo.setdefault(key, fn(key))
                return functools.wraps(fn)(wrapper)
            """,
            line=6,
            column=9,
        ),
        # the looked-up name is rebound to a computed result: a memo, not a counter
        Invalid(
            """
            def memoize(fn):
                memo = {}
                def wrapper(k):
                    v = memo.get(k)
                    if v is None:
                        v = fn(k)
                        memo[k] = v
                    return v
                return wrapper
            """,
            line=7,
            column=13,
        ),
        # the memo is returned from an `else` branch
        Invalid(
            """
            def memoize(fn, enabled):
                memo = {}
                def wrapper(key):
                    if key not in memo:
                        memo[key] = fn(key)
                    return memo[key]
                if not enabled:
                    return fn
                else:
                    return wrapper
            """,
            line=5,
            column=13,
        ),
    ]

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        body = node.body.body
        if not any(isinstance(s, cst.FunctionDef) for s in body) or not any(_assigns_a_dict(s) for s in body):
            return  # cheap precheck: no `name = {...}` next to an inner def
        dicts = self._local_dicts(node)
        if not dicts:
            return
        for inner in self._returned_functions(node):
            for name in dicts:
                self._check(node, inner, name)

    def _local_dicts(self, function: cst.FunctionDef) -> Dict[str, cst.CSTNode]:
        """`name = {}` statements directly in the function body, for names bound once."""
        info = self.context.scope_info(function)
        found = {}
        for name, bindings in info.bindings.items():
            if len(bindings) == 1 and bindings[0].kind == "assign" and not bindings[0].unpacked:
                if container_kind(self.context, bindings[0].value) in _MAPPINGS:
                    found[name] = bindings[0].statement
        return found

    def _returned_functions(self, function: cst.FunctionDef) -> Iterator[cst.FunctionDef]:
        """Inner functions defined in the body that the function returns."""
        inner = {s.name.value: s for s in function.body.body if isinstance(s, cst.FunctionDef)}
        if not inner:
            return
        returned: Set[str] = set()
        for statement in small_statements(function.body.body):
            if isinstance(statement, cst.Return) and statement.value is not None:
                returned.update(n.value for n in _names(statement.value) if n.value in inner)
        for name in sorted(returned):
            yield inner[name]

    def _check(self, outer: cst.FunctionDef, inner: cst.FunctionDef, name: str) -> None:
        inner_info = self.context.scope_info(inner)
        if inner_info.binds(name):
            return
        uses: List[Tuple[Use, Sequence[cst.CSTNode]]] = [
            (classify(path, "dict"), path) for path in local_uses(self.context.scope_info(outer), name)
        ]
        if any(use.effect in (Effect.REMOVE, Effect.ALIAS) for use, _ in uses):
            return
        in_inner = [(use, path) for use, path in uses if inner in path]
        counted = _read_into(inner_info, {statement_of(path) for _, path in in_inner})
        writes = [
            path for use, path in in_inner
            if grows_without_bound(use, path) and not _updates_a_count(use, path, counted)
        ]
        written_by = {statement_of(path) for path in writes}
        # A read that feeds a write of the same statement (`d[k] = d.get(k, 0) + 1`) counts, not memoizes.
        if writes and any(_is_lookup(use, path, written_by) for use, path in in_inner):
            self.report(statement_of(writes[0]), name=name, inner=inner.name.value)


def _read_into(info: ScopeInfo, reading: Set[cst.CSTNode]) -> Set[str]:
    """Names the inner function binds only from a statement that reads the
    dict (`n = d.get(k, 0)`): they hold an entry's old value."""
    return {
        name for name, bindings in info.bindings.items()
        if all(binding.kind == "assign" and binding.statement in reading for binding in bindings)
    }


def _updates_a_count(use: Use, path: Sequence[cst.CSTNode], counted: Set[str]) -> bool:
    """The write stores a value made from the entry it replaces: `d[k] += 1`,
    or `d[k] = n + 1` where `n` was read from the dict."""
    if isinstance(statement_of(path), cst.AugAssign):
        return True
    return any(
        isinstance(found, cst.Name) and found.value in counted
        for value in use.stored
        for found in m.findall(value, m.Name())
    )


def _assigns_a_dict(statement: cst.CSTNode) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and any(
        isinstance(small, cst.Assign) and isinstance(small.value, (cst.Dict, cst.Call)) for small in statement.body
    )


def _names(node: cst.CSTNode) -> Iterator[cst.Name]:
    """Names whose object a returned value hands out: the value itself, tuple
    items, and call arguments (`functools.wraps(fn)(wrapper)`), but not a
    function that is called (`return best(0)`)."""
    if isinstance(node, cst.Name):
        yield node
    elif isinstance(node, (cst.Tuple, cst.List)):
        for element in node.elements:
            yield from _names(element.value)
    elif isinstance(node, cst.Call):
        if isinstance(node.func, cst.Call):
            yield from _names(node.func)
        for arg in node.args:
            yield from _names(arg.value)


def _is_lookup(use: Use, path: Sequence[cst.CSTNode], written_by: Set[cst.CSTNode]) -> bool:
    """A memo lookup: `k in d`, `d.setdefault(k, v)`, or a `d.get(k)`/`d[k]`
    read in a statement that does not also write the dict."""
    ref, parent = path[-1], path[-2]
    if isinstance(parent, cst.ComparisonTarget):
        return isinstance(parent.operator, (cst.In, cst.NotIn)) and parent.comparator is ref
    if isinstance(parent, cst.Attribute) and parent.value is ref and parent.attr.value == "setdefault":
        return True
    reads = (isinstance(parent, cst.Attribute) and parent.attr.value == "get") or isinstance(parent, cst.Subscript)
    if not reads or getattr(parent, "value", None) is not ref:
        return False
    return use.effect is not Effect.GROW and statement_of(path) not in written_by
