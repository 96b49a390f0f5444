import libcst as cst

from memlint.analysis.classes import ClassIndex, ClassInfo
from memlint.analysis.names import callee, dotted_name
from memlint.rule import Applicability, FixAvailability, Invalid, Valid

from ._slots import SPECIAL_BASES, ClassRule, DecoratorKind, decorator_kind, instance_attributes
from ._slots_layout import SLOTTED, UNKNOWN, base_layout
from ._slots_records import all_inherited, in_test_directory, not_a_record, project_view, slots_fix

# Decorators that decide the layout themselves (MEM102's business) or replace the class.
_LAYOUT_DECORATORS = (
    DecoratorKind.DATACLASS, DecoratorKind.ATTRS_SLOTTED, DecoratorKind.ATTRS_CLASSIC, DecoratorKind.REPLACING,
)


class MissingSlots(ClassRule):
    """
    ## What it does
    Reports a record-like class without `__slots__`: a value or data holder
    (a point, token, row, event, tree node, cache entry) whose instance
    attributes are all assigned in `__init__` on `self`, whose bases are
    `object` or classes known to be slotted, and nothing in the module needs
    the instances to have a `__dict__`.

    The rule stays silent when it cannot see the whole attribute set or when
    slots would not pay off:

    - instances that get attributes elsewhere: outside `__init__`, from other
      modules of the project (`msg.seqno = n`, also on a `copy.copy` of an
      instance; read from the project index), through `setattr`, `__dict__`,
      `vars()`, `__getattr__`/`__setattr__`, custom pickling or
      `functools.cached_property`;
    - classes the project constructs only a few times: every construction
      site is outside loops and comprehensions and keeps no instance in a
      container (once per process or per call: a service object, a transient
      adapter), or that it never constructs by name (built from settings by
      `import_string`, by generated code, or only by its users): nothing
      shows that many instances exist;
    - service objects by their code: classes that own threads, locks, files,
      in-memory buffers, sockets, executors or connections, define
      `close`/`start`/`run`/`__enter__`/`__del__`, construct objects with
      `self` as an argument (a registry), are named like a one-per-process
      object (`...Client`, `...Manager`, `...Parser`, ...), handle events,
      visit trees (`visit_*`/`leave_*` methods: one per walk), or
      do work rather than hold data (`__init__` calls the class's own
      methods, or three or more private helper methods);
    - classes without `__init__` (mixins), with a metaclass, decorated by a
      dataclass or attrs decorator (see MEM102), exceptions, enums, `NamedTuple`,
      `TypedDict`, `Protocol` classes, descriptors and callable objects;
    - classes whose attributes all land in slots of their bases: CPython
      allocates the `__dict__` lazily, so there is no dictionary to save;
    - classes that a class without `__slots__` extends anywhere in the
      project (its instances keep a `__dict__`), classes with a base that
      has a `__dict__` or whose layout is unknown (another module: with
      `--enable-inference` astroid checks it; reported only with
      `--report-unknown`, without a fix);
    - classes defined inside functions, and test files.

    ## Why is this bad?
    Without `__slots__` every instance carries a `__dict__`. Measured with
    `tracemalloc` on CPython 3.11 (`tests/test_mem1_runtime.py`, 20,000
    instances of the three-attribute `Vector` of `fixtures/MEM101.py`, the
    8-byte list slot that holds each one included): 105 bytes per instance
    without slots, 65 bytes with the fixed `__slots__`. A program holding a
    million such records pays about 38 MiB for dictionaries it never uses as
    dictionaries. Slotted attribute access is also slightly faster.

    ## Example
    ```python
    class Point:
        \"\"\"A point in the plane.\"\"\"

        def __init__(self, x, y):
            self.x = x
            self.y = y

    path = [Point(x, x * x) for x in range(1000)]
    ```

    ## Use instead
    ```python
    class Point:
        \"\"\"A point in the plane.\"\"\"
        __slots__ = ("x", "y")

        def __init__(self, x, y):
            self.x = x
            self.y = y
    ```

    ## Options
    - `min-attributes` (int, default 1): report only classes with at least
      this many instance attributes.
    - `ignore-bases` (list of qualified names): never report subclasses of
      these classes.
    - `ignore-decorators` (list of qualified names): never report classes
      decorated with these (class-replacing or registering decorators).

    ## Fix safety
    The fix inserts `__slots__ = ("a", "b", ...)` as the first statement after
    the docstring, followed by a blank line (one name per line when the
    line would pass 79 characters), in the order `__init__` first
    assigns the attributes, with `"__weakref__"` added when the module weakly
    references instances of the class (or something it cannot identify).
    Attributes that a base already slots are left out. The fix is withheld
    unless the project index proves it safe: it must know that no other
    module sets an attribute on instances and that no subclass combines the
    class with another base (a layout conflict). No fix either when a slot
    would clash with a class attribute of the same name (`ValueError`) or
    the class is one of several bases of a class in the module. The fix stays
    unsafe: code outside the project may still set attributes, read
    `obj.__dict__`, weakly reference instances or pickle them with protocol
    0/1.

    ## Known problems
    Record-likeness is a heuristic: memlint cannot count instances. A public
    record class that only the project's users construct is not reported;
    without a project index (flake8 or stdin with no cached index) a class is
    judged by its own module alone. Add `# noqa: MEM101`, or list the
    class's base or decorator in `ignore-bases` / `ignore-decorators`.

    ## References
    - [Python data model: `__slots__`](https://docs.python.org/3/reference/datamodel.html#slots)
    """

    code = "MEM101"
    name = "missing-slots"
    message = "class `{name}` has a fixed set of {count} instance attribute(s) but no `__slots__`{why}"
    fix_availability = FixAvailability.SOMETIMES
    applicability = Applicability.UNSAFE
    options = {"min-attributes": 1, "ignore-bases": [], "ignore-decorators": []}

    VALID = [
        # service objects
        Valid("""
            import threading

            class Poller:
                def __init__(self, interval):
                    self.interval = interval
                    self.lock = threading.Lock()
            """),
        Valid("""
            class P:
                def __init__(self, x):
                    self.x = x
            """, filename="tests/test_points.py"),
        Valid("""
            class P:
                def __init__(self, x):
                    self.x = x
            """, options={"min-attributes": 2}),
        Valid("""
            class Point:
                def __init__(self, x):
                    self.x = x
            """, filename="pkg/idle_test/mock_points.py"),
        # the project never constructs it (built by name from settings, or only by users): no evidence of records
        Valid("""
            class MinimumLengthValidator:
                def __init__(self, min_length=8):
                    self.min_length = min_length
            """),
        # constructed once per call, never in a loop, comprehension or container
        Valid("""
            class Summary:
                def __init__(self, total):
                    self.total = total

            def summarize(values):
                return Summary(sum(values))
            """),
    ]
    INVALID = [
        Invalid(
            """
            class Point:
                \"\"\"A point in the plane.\"\"\"

                def __init__(self, x, y):
                    self.x = x
                    self.y = y

                def norm(self):
                    return (self.x ** 2 + self.y ** 2) ** 0.5

            def grid(n):
                return [Point(x, y) for x in range(n) for y in range(n)]
            """,
            line=1,
            column=7,
            message="class `Point` has a fixed set of 2 instance attribute(s)",
            fixed="""
            class Point:
                \"\"\"A point in the plane.\"\"\"
                __slots__ = ("x", "y")

                def __init__(self, x, y):
                    self.x = x
                    self.y = y

                def norm(self):
                    return (self.x ** 2 + self.y ** 2) ** 0.5

            def grid(n):
                return [Point(x, y) for x in range(n) for y in range(n)]
            """,
        ),
        # a class attribute default would clash with the slot: no fix
        Invalid(
            """
            class Counter:
                count = 0

                def __init__(self, start):
                    self.count = start

            def counters(starts):
                return [Counter(start) for start in starts]
            """,
            line=1,
            column=7,
        ),
    ]

    def applies(self) -> bool:
        return not self.context.is_test_file and not in_test_directory(self.context.filename)

    def check_class(self, index: ClassIndex, info: ClassInfo) -> None:
        if self._candidate(index, info):
            self._check(index, info)

    def _check(self, index: ClassIndex, info: ClassInfo) -> None:
        attributes = instance_attributes(info)
        count = len(attributes.in_init)
        if attributes.elsewhere or count < self.options["min-attributes"]:
            return
        if len(attributes.later) >= 2:
            return  # its methods keep re-assigning its state: a worker (tokenizer, history), not a record
        view = project_view(self.context, info)
        few = view.made_few_times(index, info) or view.subclassed_without_slots
        if view.extended_outside(attributes.in_init) or few:
            return
        layout = base_layout(self.context, index, info)
        if layout.state is UNKNOWN and self.context.settings.report_unknown:
            self.report(info.node.name, name=info.name, count=count, why=" (base class layout unknown)")
        elif layout.state is SLOTTED and not all_inherited(info, attributes.in_init, layout):
            indent = self.context.module.default_indent
            fix = slots_fix(index, info, attributes.in_init, layout, indent) if view.safe_to_slot else None
            self.report(info.node.name, fix, name=info.name, count=count, why=": every instance carries a `__dict__`")

    def _candidate(self, index: ClassIndex, info: ClassInfo) -> bool:
        if info.in_function or info.slots is not None or info.method("__init__") is None or info.node.keywords:
            return False
        if info.name in index.bases_of_unslotted:
            return False  # its subclasses here keep a __dict__: slots would save nothing
        ignored = self._ignored_decorator(info) or self._ignored_base(info)
        return not (info.dynamic or not_a_record(self.context, index, info) or ignored)

    def _ignored_decorator(self, info: ClassInfo) -> bool:
        ignored = set(self.options["ignore-decorators"])
        for decorator, qualified in zip(info.node.decorators, info.decorator_names):
            if decorator_kind(qualified) in _LAYOUT_DECORATORS or {qualified, dotted_name(callee(decorator))} & ignored:
                return True
        return False

    def _ignored_base(self, info: ClassInfo) -> bool:
        ignored = set(self.options["ignore-bases"])
        for arg, name in zip(info.node.bases, info.base_names):
            value = arg.value.value if isinstance(arg.value, cst.Subscript) else arg.value
            qualified = name or ""
            if qualified in SPECIAL_BASES or qualified.startswith("enum."):
                return True
            if {qualified, dotted_name(callee(value))} & ignored:
                return True
            if qualified.startswith(("builtins.", "collections.abc.", "numbers.")) and qualified != "builtins.object":
                return True  # a container, number or exception: not a record
        return False
