import libcst as cst

from memlint.analysis.flow import MODULE_CONTAINERS
from memlint.rule import Applicability, FixAvailability, Invalid, Rule, Valid


class EverGrowingGlobal(Rule):
    """
    ## What it does
    Reports a statement inside a function that inserts into a module-level
    container (a dict, list or set literal, `dict()`/`list()`/`set()`,
    `defaultdict`, `OrderedDict`, `Counter`, an unbounded `deque`) when
    nothing anywhere in the project ever removes from that container. Inserts
    are `c[k] = v`, `c[k] += n`, `append`, `add`, `setdefault`, `update`,
    `extend`, `insert`, and writes into its values such as
    `_timings[k].append(v)`. Removals are `pop`, `popitem`, `clear`,
    `remove`, `discard`, `del c[k]`, `-=`, slice assignment, and a function
    rebinding the name (`global c; c = {}`, or `mod.c = {}` in another
    module of the project).

    Not reported: containers filled only while the module is imported (at
    module level, in a function the module only calls or applies as a
    decorator at import time, in `__init_subclass__`), registries
    (a decorator that stores its argument and returns it:
    `def register(fn): _handlers[fn.__name__] = fn; return fn`, any
    decorator, also one a decorator factory returns, that returns its
    function or a `functools.wraps` wrapper of it, or a function
    named for registering: `register_codec(name, codec)`), writes that cannot
    grow the container (`_state["last"] = x`, `_slots[i] = x` on a list) or
    only run while it is small (`if len(_seen) < 100: _seen.add(x)`) or
    empty (`if not _table: _table.update(build())`, also when that block
    fills another container beside `_table`), and keys bounded by the
    code: keys made of literals, module-level constants and loop variables
    over them (`for a, b in _PAIRS: _map[ord(a)] = b`), keys the function
    first checks against a constant collection (`if name not in _BACKENDS:
    raise ...`) or that must name an installed module
    (`importlib.import_module(f"pkg.backends.{name}")` before the write), registries that refuse a key twice (`if name in _registry:
    raise KeyError(name)`), a parameter of a private function the module
    calls only with module-level names or literals, and a public function
    that stores its parameters as they are (`def add_alias(alias, name):
    ALIASES[alias] = name`), whose callers decide what goes in. Nor are bounded or
    weak containers (`deque(maxlen=...)`, `WeakSet`, `WeakValueDictionary`,
    `WeakKeyDictionary`), containers that some code of the project evicts from
    or clears, and containers bound to another name or attribute (the alias
    may be emptied elsewhere). When the project's other modules are unknown
    (flake8 or stdin without a cached project index) nothing is reported.

    ## Why is this bad?
    A module-level container lives as long as the process. If request
    handlers, callbacks or loops keep adding to it and nothing takes entries
    out, memory grows with every distinct key until the process is
    restarted: the classic slow leak of long-running servers.

    ## Example
    ```python
    _timings = collections.defaultdict(list)

    def record(endpoint, seconds):
        _timings[endpoint].append(seconds)
    ```

    ## Use instead
    ```python
    _timings = collections.defaultdict(lambda: collections.deque(maxlen=1000))

    def record(endpoint, seconds):
        _timings[endpoint].append(seconds)

    def reset():
        _timings.clear()
    ```

    ## Fix safety
    There is no automatic fix: how to bound the container (an LRU, a
    `deque(maxlen=...)`, periodic eviction, a weak mapping) depends on what
    it is for.

    ## Known problems
    A container filled only by other modules at their import time (a public
    configuration function not named for registering, such as
    `AddPackagePath(name, path)` appending to `packagePathMap[name]`) is
    still reported. The rule cannot tell how many distinct keys a program
    will use: a cache keyed by a few configuration values (database aliases,
    installed backends) or by classes grows only a little and is reported
    all the same; silence it with `# noqa: MEM303`.

    ## References
    - [collections.deque](https://docs.python.org/3/library/collections.html#collections.deque)
    - [functools.lru_cache](https://docs.python.org/3/library/functools.html#functools.lru_cache)
    """

    code = "MEM303"
    requires = (MODULE_CONTAINERS,)
    name = "ever-growing-global"
    message = (
        "module-level {kind} `{name}` grows here and nothing in the project removes from it: "
        "it lives as long as the process; bound it or evict entries"
    )
    fix_availability = FixAvailability.NONE
    applicability = Applicability.DISPLAY_ONLY

    VALID = [
        # a registry filled by a decorator applied at import
        Valid(
            """
            _handlers = {}

            def register(fn):
                _handlers[fn.__name__] = fn
                return fn

            @register
            def on_start():
                pass
            """
        ),
        # a function the module only calls while importing
        Valid(
            """
            _table = {}

            def _build():
                for i in range(256):
                    _table[i] = chr(i)

            _build()
            """
        ),
        # evicted elsewhere in the module
        Valid(
            """
            _sessions = {}

            def login(user):
                _sessions[user.id] = user

            def logout(user):
                _sessions.pop(user.id, None)
            """
        ),
        # keys drawn from module constants: bounded by the code
        Valid(
            """
            _PAIRS = [("&", r"\\&"), ("%", r"\\%")]
            _escape = {}

            def init():
                for a, b in _PAIRS:
                    _escape[ord(a)] = b
                _escape[ord("-")] = "-{}"
            """
        ),
        # keys checked against a fixed set first
        Valid(
            """
            BACKENDS = {"asyncio": "a", "trio": "t"}
            _loaded = {}

            def load(name):
                if name not in BACKENDS:
                    raise ImportError(name)
                _loaded[name] = import_backend(BACKENDS[name])
            """
        ),
        # a decorator (here from a factory) runs as functions are defined
        Valid(
            """
            import functools

            _sensitive = {}

            def sensitive(*names):
                def decorator(func):
                    _sensitive[func.__qualname__] = names

                    @functools.wraps(func)
                    def wrapper(*args):
                        return func(*args)
                    return wrapper
                return decorator
            """
        ),
        # a lazy initialisation: `_patterns` is filled in the same block, so it runs once
        Valid(
            """
            _patterns = []
            _wilds = []

            def special_function_rule(integral):
                if not _patterns:
                    a = Wild("a")
                    _wilds.extend((a,))
                    _patterns.extend(((a, "rule"),))
                return match(integral, _patterns)
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import collections

            _timings = collections.defaultdict(list)

            def record(endpoint, seconds):
                _timings[endpoint].append(seconds)
            """,
            line=6,
            column=5,
            message="module-level defaultdict `_timings` grows here",
        ),
        Invalid(
            """
            _cache = {}

            def lookup(key):
                if key not in _cache:
                    _cache[key] = compute(key)
                return _cache[key]
            """,
            line=5,
            column=9,
        ),
        Invalid(
            """
            _seen = set()

            class Crawler:
                def visit(self, url):
                    _seen.add(url)
            """,
            line=5,
            column=9,
        ),
        Invalid(
            """
            _by_user = {}

            def remember(user, item):
                _by_user.setdefault(user, []).append(item)
            """,
            line=4,
            column=5,
        ),
    ]

    def leave_Module(self, original_node: cst.Module) -> None:
        facts = self.context.fact(MODULE_CONTAINERS)
        for container in facts.globals.values():
            writes = [w for w in container.writes if not (w.at_import or w.finite_keys)]
            if not writes or container.ever_shrinks or self._may_be_emptied_elsewhere(container.name):
                continue
            reported = set()
            for write in writes:
                if write.statement not in reported:
                    reported.add(write.statement)
                    self.report(write.statement, kind=container.kind, name=container.name)

    def _may_be_emptied_elsewhere(self, name: str) -> bool:
        """Another module of the project removes from the container or rebinds
        it (``trans_real._translations = {}``), or the index cannot tell."""
        project = self.context.project
        if project is None:
            return True  # no index: the other modules are unknown
        return project.index.removes_from(project.module.name, name) is not False
