import libcst as cst

from memlint.analysis.functions import function_site
from memlint.rule import Applicability, FixAvailability, Invalid, Rule, Valid

from ._caches import cache_kind, is_enum_class


class CachedMethod(Rule):
    """
    ## What it does
    Reports `@functools.lru_cache`, `@functools.cache` and
    `@async_lru.alru_cache` (bounded or not, through any import spelling) on
    an instance method: a function defined directly in a class body that is
    not a `staticmethod` or `classmethod`.

    Not reported: static and class methods (also `__new__`,
    `__init_subclass__`, `__class_getitem__`), methods of `Enum` classes (their
    members live forever anyway), `functools.cached_property` (it stores the
    value on the instance).

    ## Why is this bad?
    The cache is attached to the function, which lives as long as the class,
    and its keys include `self`. Every instance the method is ever called on
    is kept alive by the cache (up to `maxsize` of them, or all of them with
    `@cache`), together with everything the instance references, long after
    the program dropped it.

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
        "cache decorator on an instance method: the cache keeps every `self` it has seen alive; "
        "cache per instance (a dict on self, cached_property) instead"
    )
    fix_availability = FixAvailability.NONE
    applicability = Applicability.DISPLAY_ONLY
    triggers = ("cache",)  # every cache decorator's name holds it: cache, lru_cache, alru_cache

    VALID = [
        Valid(
            """
            import functools

            class Parser:
                @staticmethod
                @functools.lru_cache(maxsize=256)
                def grammar(name):
                    return load(name)

                @classmethod
                @functools.cache
                def default(cls):
                    return cls()

                @functools.cached_property
                def tokens(self):
                    return self.text.split()

                @functools.lru_cache()
                def __new__(cls, root):
                    return super().__new__(cls)
            """
        ),
        Valid(
            """
            import enum
            from functools import lru_cache

            class Color(enum.Enum):
                RED = 1

                @lru_cache
                def label(self):
                    return self.name.title()
            """
        ),
        # a nested function, not a method
        Valid(
            """
            from functools import lru_cache

            class Client:
                def fetch(self, url):
                    @lru_cache
                    def get(u):
                        return download(u)
                    return get(url)
            """
        ),
        Valid(
            """
            from functools import lru_cache

            @lru_cache
            def parse(text):
                return text.split()
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
        ),
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
                @acache
                async def user(self, user_id):
                    return await self.get(user_id)
            """,
            line=4,
            column=5,
        ),
    ]

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if not node.decorators:
            return
        site = function_site(self.context, node, self.context.scope_around(node))
        if site.owner is None or site.instance_parameter is None:
            return  # not an instance method, or one without `self`
        for decorator in node.decorators:
            if cache_kind(self.context, decorator) is not None:
                if not is_enum_class(self.context, site.owner):
                    self.report(decorator)
                return
