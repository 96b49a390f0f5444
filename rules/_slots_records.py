"""What makes a class a record worth slotting (MEM101): signs in its own code
that it is a service object, a worker or a callable, and what the project
index says about its instances (attributes other modules set, how often it is
constructed, its subclasses).
"""
from __future__ import annotations

from typing import FrozenSet, List, NamedTuple, Optional, Tuple

import libcst as cst

from memlint.analysis.classes import ClassIndex, ClassInfo
from memlint.context import Context
from memlint.edits import insert_statement
from memlint.index import ClassSummary
from memlint.rule import Replace

from ._slots import mangle, string_tuple
from ._slots_layout import Layout

# The longest line a fix writes (pycodestyle's default): a longer `__slots__` is one name per line.
MAX_LINE = 79
# Constructors of in-memory files: a class that keeps one is a stream helper.
BUFFERS = ("io.BytesIO", "io.StringIO")
# Class names of one-per-process service objects and other few-instance classes.
SERVICE_SUFFIXES = (
    "Client", "Server", "Service", "Manager", "Scheduler", "Runner", "Repository", "Registry", "Host",
    "Bus", "Follower", "Controller", "Application", "App", "Session", "Connection", "Engine", "Pool",
    "Executor", "Worker", "Daemon", "Handler", "Loop", "Monitor", "Watcher", "Listener", "Dispatcher",
    "Supervisor", "Agent", "Driver", "Parser", "Compiler", "Formatter", "Builder", "Visitor",
    "Transformer", "Generator", "Reader", "Writer", "Loader", "Finder", "Importer", "Checker",
    "Debugger", "Profiler", "Tracer", "Interpreter", "Printer", "Encoder", "Decoder", "Factory",
    "Config", "Configuration", "Options", "Settings", "Cache", "Context", "Logger", "Stream", "Socket",
    "File", "Thread", "Process", "Queue", "Lock", "Tester", "Test", "Suite", "Result", "Window",
    "Pickler", "Framer", "Unframer", "Tokenizer", "Lexer", "Scanner", "Wrapper", "Expander", "Helper",
    "Timer", "Filterer", "Differ", "Closer", "Authenticator", "Accumulator", "Adapter", "Proxy", "Popen",
    "Flavour", "Selector", "Mixin", "Base", "Memoize", "Mock", "Stub", "Fake", "Dialog", "Widget",
)

# Methods of tree visitors (ast.NodeVisitor, libcst, memlint's collectors): one instance per walk.
VISITOR_METHODS = ("visit_", "leave_", "generic_visit")
# Descriptors and callable objects: a handful per program, not records.
NOT_RECORD_METHODS = frozenset({"__get__", "__set__", "__delete__", "__set_name__", "__call__"})
TEST_DOUBLES = ("Mock", "Fake", "Stub", "Dummy", "Test", "Example")


def not_a_record(context: Context, index: ClassIndex, info: ClassInfo) -> bool:
    """Signs that a class has few instances or does work rather than hold
    data, so that slots would not pay off."""
    name = info.name
    bare = name.lstrip("_")
    return (
        bool(NOT_RECORD_METHODS.intersection(info.bindings))  # a descriptor or a callable object
        or any(_handles_events(method.site.node) for method in info.methods)  # one per window or connection
        or any(method.name.startswith(VISITOR_METHODS) for method in info.methods)  # a tree visitor: one per walk
        or _is_processor(info)  # an object that does work (an analysis, a scanner)
        or info.owns_resources
        or _owns_buffer(context, info)  # an in-memory file: a stream helper
        or bare.endswith(SERVICE_SUFFIXES)
        or bare.startswith(TEST_DOUBLES)
        or bare[:1].islower()  # `partial`-style lowercase classes are function-like helpers
    )


def _handles_events(function: cst.FunctionDef) -> bool:
    """An event callback: ``def zoom_event(self, event)``, ``def on_click(...)``."""
    name = function.name.value
    return name.endswith("_event") or name.startswith("on_") or any(
        p.name.value in ("event", "evt") for p in function.params.params
    )


def _is_processor(info: ClassInfo) -> bool:
    """A class that does work rather than hold data: ``__init__`` calls the
    class's own methods (``self._scan(...)``), or it has three or more private
    helper methods. Records compute from their fields in a few public methods."""
    methods = {method.name: method for method in info.methods}
    helpers = [name for name in methods if name.startswith("_") and not name.endswith("__")]
    init = methods.get("__init__")
    return len(helpers) >= 3 or (init is not None and bool(init.calls_on_instance & set(methods)))


def _owns_buffer(context: Context, info: ClassInfo) -> bool:
    """A method keeps an in-memory file on the instance (``self._buffer = io.BytesIO()``)."""
    return any(
        not fill.into_container and isinstance(fill.value, cst.Call) and context.matches(fill.value.func, *BUFFERS)
        for method in info.methods
        for fill in method.fills
    )


def in_test_directory(filename: str) -> bool:
    parts = filename.replace("\\", "/").split("/")[:-1]
    return any(part.endswith(("_test", "_tests")) for part in parts)


# -- what the project index says ------------------------------------------------------------


class ProjectView(NamedTuple):
    """What the project index says about instances of a class; None: unknown."""

    assigned_outside: Optional[FrozenSet[str]]  # attributes set on instances outside its methods ("*": setattr)
    evidence: Optional[Tuple[bool, int]]  # (some construction repeats, how many construction sites)
    subclasses: Optional[List[Optional[ClassSummary]]]  # the project's direct subclasses (None: not in the index)

    def extended_outside(self, fields: List[str]) -> bool:
        """Code outside the class sets an attribute it does not set itself."""
        return self.assigned_outside is not None and bool(self.assigned_outside - set(fields))

    def made_few_times(self, index: ClassIndex, info: ClassInfo) -> bool:
        """No construction in the project repeats (in a loop, a comprehension
        or into a container): the class is made once per process or per call,
        or never by the project itself (built by name from settings, by
        generated code, or only by users): no evidence of many instances, so
        it is not judged a record (RULES.md: the index decides doubtful cases).
        Without the index: the module calls it only at module or class level."""
        if self.evidence is None:
            return self.made_at_import_only(index, info)
        return not self.evidence[0]

    def made_at_import_only(self, index: ClassIndex, info: ClassInfo) -> bool:
        """The module constructs the class only at module or class level
        (constants), and the index knows of no construction in a loop, a
        comprehension or into a container."""
        repeats = self.evidence is not None and self.evidence[0]
        return not repeats and info.name in index.calls_at_top and info.name not in index.calls_in_functions

    @property
    def subclassed_without_slots(self) -> bool:
        """A subclass keeps a ``__dict__``: slots on the base save nothing for its instances."""
        return any(summary is None or summary.slots is None for summary in self.subclasses or ())

    @property
    def safe_to_slot(self) -> bool:
        """The index proves no other module relies on the instances' ``__dict__``
        or combines the class with another base (an instance layout conflict)."""
        return (
            self.assigned_outside is not None
            and self.subclasses is not None
            and all(summary is not None and len(summary.bases) == 1 for summary in self.subclasses)
        )


def project_view(context: Context, info: ClassInfo) -> ProjectView:
    project = context.project
    if project is None or info.in_function:
        return ProjectView(None, None, None)
    index = project.index
    name = project.qualify(".".join(info.path))
    subclasses = index.subclasses(name)
    summaries = None if subclasses is None else [index.class_summary(sub) for sub in sorted(subclasses)]
    return ProjectView(index.attributes_assigned_outside(name), index.construction_evidence(name), summaries)


# -- the fix -----------------------------------------------------------------------------------


def all_inherited(info: ClassInfo, attributes: List[str], layout: Layout) -> bool:
    """Every attribute lands in a slot of a base: the lazily allocated
    ``__dict__`` stays empty, so there is no dictionary to save."""
    return all(mangle(info.name, name) in layout.slots for name in attributes)


def slots_fix(
    index: ClassIndex, info: ClassInfo, attributes: List[str], layout: Layout, indent: str
) -> Optional[Replace]:
    """The edit that gives a record its ``__slots__``, unless a slot would clash."""
    if any(name in info.bindings for name in attributes):
        return None  # `ValueError: 'x' in __slots__ conflicts with class variable`
    if info.name in index.multi_base:
        return None  # another class combines it with a base: layout conflicts
    names = [name for name in attributes if mangle(info.name, name) not in layout.slots]
    if index.weakly_referenced(info) and not layout.weakref:
        names.append("__weakref__")
    return insert_statement(info.node, _slots_statement(names, indent, depth=len(info.path)))


def _slots_statement(names: List[str], indent: str, depth: int) -> cst.Assign:
    """``__slots__ = (...)`` on one line, or one name per line when the line
    would pass MAX_LINE at the class body's depth (``indent`` per level)."""
    target = [cst.AssignTarget(cst.Name("__slots__"))]
    statement = cst.Assign(target, string_tuple(names))
    if len(indent) * depth + len(cst.Module([]).code_for_node(statement)) <= MAX_LINE:
        return statement
    return cst.Assign(target, string_tuple(names, one_per_line=indent))
