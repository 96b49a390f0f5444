from typing import Any, List, Mapping, Optional, Tuple

import libcst as cst

from memlint.analysis.functions import FunctionSite, function_site
from memlint.context import Context
from memlint.rule import Applicability, FixAvailability, Invalid, Rule, Valid

from ._caches import CACHE_CLEARS, cache_kind, is_enum_class, may_be_cleared, receives_class, rewrapped, unbounded_maxsize


class CachedMethod(Rule):
    """
    ## What it does
    Reports an unbounded cache — `@functools.cache`,
    `@functools.lru_cache(maxsize=None)`, `@async_lru.alru_cache(maxsize=None)`,
    through any import spelling — on an instance method: a function defined
    directly in a class body whose first parameter is the instance, also
    under other decorators (`@property` over `@cache`).

    Not reported: bounded caches (bare `@lru_cache` keeps 128 entries, an
    explicit `maxsize` that many: a number of instances the code bounds), static
    and class methods (also `__new__`, `__init_subclass__`,
    `__class_getitem__`, a function the class body rebinds with
    `classmethod(f)`/`staticmethod(f)` and a method whose first parameter is
    named `cls`, as under a `classproperty` decorator), methods of `Enum`
    classes (their members live forever anyway),
    `functools.cached_property` (it stores the value on the instance), and
    caches the code clears (`self.method.cache_clear()` in the module, or a
    removal another module of the project makes). When the project's other
    modules are unknown nothing is reported.

    ## Why is this bad?
    The cache is attached to the function, which lives as long as the class,
    and its keys include `self`. Every instance the method is ever called on
    is kept alive by the cache, together with everything the instance
    references, long after the program dropped it.

    ## Example
    ```python
    class Report:
        @lru_cache(maxsize=None)
        def totals(self, year):
            return self._compute(year)
    ```

    ## Use instead
    ```python
    class Report:
        def __init__(self):
            self._totals = {}

        def totals(self, year):
            if year not in self._totals:
                self._totals[year] = self._compute(year)
            return self._totals[year]
    ```
    or `functools.cached_property` for a method without arguments, or a
    module-level cached function that takes the data it needs instead of `self`.

    ## Fix safety
    There is no automatic fix: the right replacement (a per-instance dict,
    `cached_property`, a module-level function) depends on the class.

    ## References
    - [functools.lru_cache](https://docs.python.org/3/library/functools.html#functools.lru_cache)
    - [Python FAQ: How do I cache method calls?](https://docs.python.org/3/faq/programming.html#how-do-i-cache-method-calls)
    """

    code = "MEM302"
    name = "cached-method"
    message = (
        "unbounded cache on an instance method: it keeps every `self` it is called with alive as long as "
        "the class lives; cache per instance (a dict on self, cached_property) instead"
    )
    fix_availability = FixAvailability.NONE
    applicability = Applicability.DISPLAY_ONLY
    triggers = ("cache",)  # every cache decorator's name holds it: cache, lru_cache, alru_cache
    requires = (CACHE_CLEARS,)

    VALID = [
        Valid(
            """
            import functools

            class Parser:
                @staticmethod
                @functools.cache
                def grammar(name):
                    return load(name)

                @classmethod
                @functools.cache
                def default(cls):
                    return cls()

                @functools.cached_property
                def tokens(self):
                    return self.text.split()

                @functools.cache
                def __new__(cls, root):
                    return super().__new__(cls)
            """
        ),
        # bounded: at most 1024 instances, a number the code fixes
        Valid(
            """
            from functools import lru_cache

            class Style:
                @lru_cache(maxsize=1024)
                def combine(self, other):
                    return Style(self, other)

                @lru_cache
                def render(self):
                    return str(self)
            """
        ),
        # receives the class: under a classproperty, or made a classmethod afterwards
        Valid(
            """
            import functools

            class Lookups:
                @classproperty
                @functools.cache
                def signature(cls):
                    return inspect.signature(cls)

                @functools.cache
                def class_lookups(klass):
                    return merge(klass.__mro__)

                class_lookups = classmethod(class_lookups)
            """
        ),
        # cleared by the code
        Valid(
            """
            import functools

            class Apps:
                @functools.cache
                def get_models(self, include_swapped=False):
                    return list(self.models)

                def clear_cache(self):
                    self.get_models.cache_clear()
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            from functools import lru_cache

            class Report:
                @lru_cache(maxsize=None)
                def totals(self, year):
                    return self.compute(year)
            """,
            line=4,
            column=5,
            message="unbounded cache on an instance method: it keeps every `self` it is called with alive",
        ),
        # under another decorator
        Invalid(
            """
            import functools as ft

            class Page:
                @property
                @ft.cache
                def title(self):
                    return self.html.find("title")
            """,
            line=5,
            column=5,
        ),
        Invalid(
            """
            from async_lru import alru_cache as acache

            class Api:
                @acache(maxsize=None)
                async def user(self, user_id):
                    return await self.get(user_id)
            """,
            line=4,
            column=5,
        ),
        # a cache_clear of another function of the same name elsewhere does not count
        Invalid(
            """
            from functools import cache

            class Command:
                @cache
                def find_fixtures(self, label):
                    return search(label)
            """,
            line=4,
            column=5,
        ),
    ]

    def __init__(self, context: Context, options: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__(context, options)
        self._candidates: List[Tuple[cst.FunctionDef, cst.Decorator, str]] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if not node.decorators:
            return
        site = function_site(self.context, node, self.context.scope_around(node))
        if site.owner is None or site.instance_parameter is None:
            return  # not an instance method, or one without `self`
        for decorator in node.decorators:
            kind = cache_kind(self.context, decorator)
            if kind is not None:
                if unbounded_maxsize(decorator, kind) is not None and not self._receives_no_instance(site):
                    self._candidates.append((node, decorator, f"{site.owner.name.value}.{node.name.value}"))
                return

    def _receives_no_instance(self, site: FunctionSite) -> bool:
        assert site.owner is not None
        return (
            receives_class(self.context, site)
            or rewrapped(self.context, site, "builtins.staticmethod")
            or is_enum_class(self.context, site.owner)
        )

    def leave_Module(self, original_node: cst.Module) -> None:
        for function, decorator, qualname in self._candidates:
            if not may_be_cleared(self.context, function, qualname):
                self.report(decorator)
