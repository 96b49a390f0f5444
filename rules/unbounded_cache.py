from typing import Any, List, Mapping, Optional, Tuple

import libcst as cst

from memlint.analysis.functions import FunctionKind, FunctionSite, all_params, function_site
from memlint.context import Context
from memlint.rule import Applicability, Edit, FixAvailability, Invalid, Rule, Valid

from ._caches import (
    CACHE_CLEARS, bounding_fix, cache_kind, may_be_cleared, receives_class, takes_few_values, unbounded_maxsize,
)



class UnboundedCache(Rule):
    """
    ## What it does
    Reports `@functools.cache`, `@lru_cache(maxsize=None)` (also
    `@lru_cache(None)`) and `@async_lru.alru_cache(maxsize=None)` on a
    function that takes arguments, through any import spelling
    (`from functools import lru_cache as memo`, `import functools as ft`).

    Not reported: functions without arguments (the cache holds one value),
    functions whose arguments are all annotated `bool`, `Literal[...]` or an
    `Enum` class of the module or are unannotated flags with a `True`/`False`
    default (finitely many keys), the class a method receives (a
    `classmethod`'s `cls`, a method later rebound with `classmethod(f)`, a
    first parameter named `cls`), bounded caches (bare `@lru_cache` keeps 128
    entries, `@lru_cache()` and any explicit `maxsize`), a cached function
    nested in another function that only calls it (the cache goes when that
    call returns), and caches the code clears (`f.cache_clear()` in the
    module, or a removal another module of the project makes). When the
    project's other modules are unknown nothing is reported.

    ## Why is this bad?
    An unbounded cache keeps every argument tuple and every result it has
    ever seen, as long as the function lives: for a module-level function,
    the whole process. Keyed by request data (user ids, paths, queries) it
    grows without end: a leak that looks like a speed-up.

    ## Example
    ```python
    from functools import cache

    @cache
    def load_profile(user_id):
        return db.fetch(user_id)
    ```

    ## Use instead
    ```python
    from functools import lru_cache

    @lru_cache(maxsize=1024)
    def load_profile(user_id):
        return db.fetch(user_id)
    ```

    ## Options
    - `maxsize` (int, default 1024): the bound the fix writes.

    ## Fix safety
    The fix sets `maxsize` to the `maxsize` option: `None` becomes the
    number, and `@cache` becomes `@lru_cache(maxsize=N)` spelled like the
    module's `cache` (`@functools.cache` becomes
    `@functools.lru_cache(maxsize=N)`; a bare `@cache` uses the module's
    name for `functools.lru_cache`, importing it when needed). It is unsafe:
    evicted entries are computed again, so a function whose result must stay
    the same object across calls (a singleton per key) changes behaviour, and
    `lru_cache` is slightly slower than `cache`. No fix is offered when the
    name `lru_cache` is already used for something else.

    ## References
    - [functools.lru_cache](https://docs.python.org/3/library/functools.html#functools.lru_cache)
    - [functools.cache](https://docs.python.org/3/library/functools.html#functools.cache)
    """

    code = "MEM301"
    name = "unbounded-cache"
    message = (
        "unbounded cache on a function with arguments: it keeps every distinct argument and its result "
        "as long as the function lives; set a maxsize"
    )
    fix_availability = FixAvailability.SOMETIMES
    applicability = Applicability.UNSAFE
    options = {"maxsize": 1024}
    triggers = ("cache",)  # every cache decorator's name holds it: cache, lru_cache, alru_cache
    requires = (CACHE_CLEARS,)

    VALID = [
        Valid(
            """
            from functools import cache

            @cache
            def settings():
                return load()
            """
        ),
        Valid(
            """
            import functools

            @functools.lru_cache(maxsize=128)
            def parse(text):
                return text.split()
            """
        ),
        Valid(
            """
            from functools import cache

            class Config:
                @classmethod
                @cache
                def default(cls):
                    return cls()
            """
        ),
        # flags: two values each
        Valid(
            """
            import functools

            @functools.cache
            def get_models(include_auto_created=False, include_swapped=False):
                return collect(include_auto_created, include_swapped)
            """
        ),
        # cleared by the code
        Valid(
            """
            from functools import cache

            @cache
            def get_resolver(urlconf):
                return Resolver(urlconf)

            def clear_url_caches():
                get_resolver.cache_clear()
            """
        ),
        # not functools' cache
        Valid(
            """
            from mylib import cache

            @cache
            def f(x):
                return x
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            from functools import cache

            @cache
            def load_profile(user_id):
                return fetch(user_id)
            """,
            line=3,
            column=1,
            fixed="""
            from functools import lru_cache

            @lru_cache(maxsize=1024)
            def load_profile(user_id):
                return fetch(user_id)
            """,
        ),
        Invalid(
            """
            from functools import lru_cache as memo

            @memo(maxsize=None, typed=True)
            def parse(text):
                return text.split()
            """,
            line=3,
            column=1,
            fixed="""
            from functools import lru_cache as memo

            @memo(maxsize=4096, typed=True)
            def parse(text):
                return text.split()
            """,
            options={"maxsize": 4096},
        ),
        # `lru_cache` means something else here: no fix
        Invalid(
            """
            from functools import cache

            def lru_cache(f):
                return f

            @cache
            def f(*args):
                return args
            """,
            line=6,
            column=1,
        ),
    ]

    def __init__(self, context: Context, options: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__(context, options)
        self._candidates: List[Tuple[cst.FunctionDef, str, cst.Decorator, Optional[List[Edit]]]] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        for decorator in node.decorators:
            kind = cache_kind(self.context, decorator)
            if kind is None:
                continue
            unbounded = unbounded_maxsize(decorator, kind)
            if unbounded is None:
                continue
            site = function_site(self.context, node, self.context.scope_around(node))
            if self._has_unbounded_keys(site) and not self._dies_with_its_call(site):
                qualname = node.name.value if site.owner is None else f"{site.owner.name.value}.{node.name.value}"
                self._candidates.append((node, qualname, decorator, bounding_fix(self.context, decorator, kind, unbounded, self.options["maxsize"])))

    def leave_Module(self, original_node: cst.Module) -> None:
        for function, qualname, decorator, fix in self._candidates:
            if not may_be_cleared(self.context, function, qualname):
                self.report(decorator, fix)

    def _has_unbounded_keys(self, site: FunctionSite) -> bool:
        params = all_params(site.node.params)
        if site.owner is not None and receives_class(self.context, site):
            params = params[1:]  # `cls`: one key per class
        return any(not takes_few_values(self.context, p) for p in params)

    def _dies_with_its_call(self, site: FunctionSite) -> bool:
        """A function nested in another that only calls it: the cache goes
        when the enclosing call returns."""
        if site.kind is not FunctionKind.NESTED:
            return False
        outer = self.context.scope_around(site.node)
        if not isinstance(outer, (cst.FunctionDef, cst.Lambda)):
            return False
        info, name = self.context.scope_info(outer), site.node.name.value
        if name in info.global_names or name in info.nonlocal_names:
            return False
        for load in info.loads_of(name):
            call = info.parent(load)
            if not isinstance(call, cst.Call) or call.func is not load:
                return False  # handed out: the function (and its cache) may outlive the call
        return True
