from typing import Iterator, List, Tuple

import libcst as cst

from memlint.analysis.flow import Effect, Use, classify, container_kind, grows_without_bound, local_uses
from memlint.analysis.functions import named_params
from memlint.rule import Applicability, FixAvailability, Invalid, Rule, Valid


class MutableDefaultMemo(Rule):
    """
    ## What it does
    Reports a function with a mutable default argument (`{}`, `[]`, `set()`,
    `dict()`, `defaultdict(...)`, `OrderedDict()`, `Counter()`) that the
    function writes into (`memo[k] = v`, `append`, `add`, `setdefault`,
    `update`, also from a nested function) and never removes from: the
    default is created once, when the `def` runs, and serves as a hidden
    memo shared by every call.

    Not reported: functions defined inside another function (each call of the
    outer function makes a new default, which dies with the inner function);
    defaults that are only read; defaults the function rebinds
    (`memo = memo or {}`), removes from or hands to another name; writes that
    cannot grow it (`counter[0] += 1`, `opts["seen"] = True`), that only run
    while it is small (`if len(memo) < 100:`), or whose keys come from a fixed
    set (a literal, a loop over a literal collection or `range(4)`, pure calls
    of those: `memo[mode.upper()]` in `for mode in ("r", "w"):`).

    ## Why is this bad?
    The default object lives as long as the function, usually the whole
    process. Used as a memo it grows with every distinct call and is never
    evicted; it is also shared by every caller that does not pass the
    argument, which is rarely intended.

    ## Example
    ```python
    def fib(n, _memo={}):
        if n not in _memo:
            _memo[n] = n if n < 2 else fib(n - 1) + fib(n - 2)
        return _memo[n]
    ```

    ## Use instead
    ```python
    @functools.lru_cache(maxsize=1024)
    def fib(n):
        return n if n < 2 else fib(n - 1) + fib(n - 2)
    ```

    ## Fix safety
    There is no automatic fix: whether the default is meant as a memo (use
    `lru_cache`) or is a mutable-default bug (use `None` and create the
    container inside) is for a person to decide.

    ## References
    - [Default argument values](https://docs.python.org/3/tutorial/controlflow.html#default-argument-values)
    - [functools.lru_cache](https://docs.python.org/3/library/functools.html#functools.lru_cache)
    """

    code = "MEM305"
    name = "mutable-default-memo"
    message = (
        "mutable default `{param}` is written inside the function: one {kind} shared by all calls "
        "grows for the life of the function; use functools.lru_cache or a bounded cache"
    )
    fix_availability = FixAvailability.NONE
    applicability = Applicability.DISPLAY_ONLY

    VALID = [
        # keys from a small fixed loop
        Valid(
            """
            def modes(_memo={}):
                for mode in ("r", "w"):
                    _memo[mode] = open_mode(mode)
                return _memo
            """
        ),
        Valid(
            """
            def lookup(key, table={"a": 1}):
                return table.get(key)
            """
        ),
        Valid(
            """
            def f(x, memo={}):
                memo = dict(memo)
                memo[x] = 1
                return memo
            """
        ),
        Valid(
            """
            def f(x, seen=set()):
                seen.add(x)
                if len(seen) > 100:
                    seen.clear()
            """
        ),
        # a nested function: a new default per call of the outer one
        Valid(
            """
            def walk(paths):
                def seen(p, m={}):
                    if p in m:
                        return True
                    m[p] = True
                return [p for p in paths if not seen(p)]
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            def fib(n, _memo={}):
                if n not in _memo:
                    _memo[n] = n if n < 2 else fib(n - 1) + fib(n - 2)
                return _memo[n]
            """,
            line=1,
            column=1,
            message="mutable default `_memo` is written inside the function: one dict",
        ),
        Invalid(
            """
            class Resolver:
                def resolve(
                    self,
                    name,
                    cache={},
                ):
                    return cache.setdefault(name, self.lookup(name))
            """,
            line=2,
            column=5,
        ),
        Invalid(
            """
            from collections import defaultdict

            def record(key, value, _log=defaultdict(list)):
                def add():
                    _log[key].append(value)
                add()
            """,
            line=3,
            column=1,
        ),
    ]

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if self.context.enclosing(cst.FunctionDef, cst.Lambda) is not None:
            return  # a nested def makes a new default on every call of its parent
        for param, kind in self._mutable_defaults(node):
            if self._used_as_memo(node, param.name.value, kind):
                self.report(node, param=param.name.value, kind=kind)
                return

    def _mutable_defaults(self, node: cst.FunctionDef) -> Iterator[Tuple[cst.Param, str]]:
        for param in named_params(node.params):
            if param.default is not None:
                kind = container_kind(self.context, param.default)
                if kind is not None:
                    yield param, kind

    def _used_as_memo(self, function: cst.FunctionDef, name: str, kind: str) -> bool:
        info = self.context.scope_info(function)
        if any(b.kind != "param" for b in info.bindings_of(name)):
            return False  # rebound: writes may go to another object
        uses: List[Tuple[Use, List[cst.CSTNode]]] = [(classify(path, kind), path) for path in local_uses(info, name)]
        if any(use.effect in (Effect.REMOVE, Effect.ALIAS) for use, _ in uses):
            return False
        return any(grows_without_bound(use, path) for use, path in uses)
