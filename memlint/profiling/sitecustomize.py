"""memlint profile's probe, loaded in the profiled program as ``sitecustomize``.

``memlint profile`` puts this file's directory first on ``PYTHONPATH`` and
names, in ``MEMLINT_PROFILE``, a JSON file with the findings to measure; the
probe writes its measurements beside it (``<file>.out``) when the program
exits. It uses the standard library only (the program may run another
Python than memlint's, 3.9 or newer), changes nothing the program can see
but a daemon thread (and ``tracemalloc`` with ``--allocations``), and loads
the site's own ``sitecustomize`` (if any) after itself.

The peak is found from the interpreter's count of allocated memory blocks,
or with ``--allocations`` from the memory ``tracemalloc`` traces (which costs
the program several times its allocation speed). Measured per finding
(``memlint.profiling.targets`` says what each is):
- "class": live instances near the peak, and the bytes one instance would
  save with ``__slots__`` (its ``__dict__`` against a slotted twin with the
  same attributes, built here on this interpreter);
- "line": how often the flagged lines ran (a trace limited to the flagged
  files' code), the ``ResourceWarning``s of objects allocated there, and with
  ``--allocations`` the bytes allocated there still alive near the peak;
- "cache": entries and hits of the cache decorating the flagged function;
- "container": entries of the flagged module-level container at the peak;
- "cycle": instances of the flagged class that only the cycle collector
  freed (collections with ``DEBUG_SAVEALL`` at each observation and at exit).
"""
import atexit
import gc
import importlib
import importlib.machinery
import importlib.util
import json
import os
import sys
import threading
import time
import tracemalloc

try:
    import resource
except ImportError:  # Windows: observations at exit only
    resource = None  # type: ignore[assignment]
import warnings
from types import CodeType, FrameType, ModuleType
from typing import Any, Callable, Dict, Iterable, List, Optional, Set, Tuple, Type

TraceFunction = Callable[[FrameType, str, Any], Any]

_SAMPLE_SECONDS = 0.01
_GROWTH = 1.05  # a new observation when the traced memory grew by this factor since the last one
_NEAR_PEAK = 0.97  # ... is this close to the largest seen
_MIN_SIZE = 1 << 14  # ... and is at least this much (bytes, or blocks without tracemalloc)
_CHEAP_SECONDS = 0.05


def _load_targets(path: str) -> Any:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


class _Probe:
    def __init__(self, spec_path: str) -> None:
        self.spec_path = spec_path
        spec = _load_targets(spec_path)
        self.targets = spec["targets"]
        self.allocations = bool(spec.get("allocations"))  # trace allocations (tracemalloc): costly, optional
        self.largest_blocks = 0
        self.cycle_classes: Dict[Tuple[str, str], List[str]] = {}  # (path, class) -> ids of cycle findings
        for target in self.targets:
            if target["kind"] == "cycle" and target["name"]:
                self.cycle_classes.setdefault((target["path"], target["name"]), []).append(target["id"])
        self.freed: Dict[Tuple[str, str], int] = {}  # (path, class) -> instances the cycle collector freed
        self.files = {t["path"] for t in self.targets}
        self.lines: Dict[Tuple[str, int], int] = {}  # (path, line) -> execution count
        for target in self.targets:
            if target["kind"] == "line":
                for line in range(target["line"], target["end_line"] + 1):
                    self.lines[(target["path"], line)] = 0
        self.warned: Dict[Tuple[str, int], int] = {}  # (path, line) -> ResourceWarnings for objects allocated there
        self.observed: Optional[Dict[str, Dict[str, int]]] = None  # the measurements at the largest peak seen
        self.observed_bytes = 0
        self.lock = threading.Lock()
        self.start = time.perf_counter()
        self.real: Dict[str, str] = {}  # a code object's filename -> its real path, as memlint names files

    def real_path(self, filename: str) -> str:
        path = self.real.get(filename)
        if path is None:
            path = self.real[filename] = os.path.realpath(filename)
        return path

    # -- line counts: a trace only for frames of the flagged files --------------------------

    def _global_trace(self, frame: FrameType, event: str, arg: Any) -> Optional[TraceFunction]:
        if self.real_path(frame.f_code.co_filename) in self.files:
            return self._local_trace
        return None

    def _local_trace(self, frame: FrameType, event: str, arg: Any) -> TraceFunction:
        if event == "line":
            self.count_line(frame.f_code.co_filename, frame.f_lineno)
        return self._local_trace

    def count_line(self, filename: str, line: int) -> None:
        key = (self.real_path(filename), line)
        if key in self.lines:
            self.lines[key] += 1

    def start_line_counts(self) -> None:
        """sys.monitoring (3.12+): line events only in the flagged files' code,
        so the rest of the program runs at full speed; else a trace function
        that follows only frames of the flagged files."""
        monitoring = getattr(sys, "monitoring", None)
        if monitoring is None:
            sys.settrace(self._global_trace)
            threading.settrace(self._global_trace)
            return
        tool = monitoring.PROFILER_ID
        try:
            monitoring.use_tool_id(tool, "memlint-profile")
        except ValueError:  # the program's own profiler has it: fall back to tracing
            sys.settrace(self._global_trace)
            threading.settrace(self._global_trace)
            return
        events = monitoring.events

        def started(code: CodeType, offset: int) -> Any:
            if self.real_path(code.co_filename) in self.files:
                monitoring.set_local_events(tool, code, events.LINE)
            return monitoring.DISABLE

        def line(code: CodeType, number: int) -> None:
            self.count_line(code.co_filename, number)

        monitoring.register_callback(tool, events.PY_START, started)
        monitoring.register_callback(tool, events.LINE, line)
        monitoring.set_events(tool, events.PY_START)

    def stop_line_counts(self) -> None:
        monitoring = getattr(sys, "monitoring", None)
        if monitoring is not None and monitoring.get_tool(monitoring.PROFILER_ID) == "memlint-profile":
            monitoring.set_events(monitoring.PROFILER_ID, 0)
        sys.settrace(None)
        threading.settrace(None)

    # -- observations at the memory peak -----------------------------------------------------

    def _sampler(self) -> None:
        """Observe near every new peak: when the memory in use is within 3% of
        the largest seen and that has grown by 5% since the last observation.
        An observation walks the heap; after one that took longer than
        _CHEAP_SECONDS, waiting three times its cost before the next keeps the
        probe's share of a long run near a quarter."""
        not_before = 0.0
        while True:
            time.sleep(_SAMPLE_SECONDS)
            current, peak = self.memory()
            if (
                current >= _MIN_SIZE and current >= peak * _NEAR_PEAK
                and current >= self.observed_bytes * _GROWTH and time.perf_counter() >= not_before
            ):
                started = time.perf_counter()
                self.observe(current)
                cost = time.perf_counter() - started
                not_before = time.perf_counter() + (3 * cost if cost > _CHEAP_SECONDS else 0)

    def observe(self, current: int) -> None:
        with self.lock:
            if self.observed is not None and current < self.observed_bytes:
                return
            self.observed = self._measure()  # the sampler thread is not traced: threading.settrace came later
            self.observed_bytes = current

    def count_cyclic_garbage(self) -> None:
        """Collect with DEBUG_SAVEALL to see what only the cycle collector
        would free, count the flagged classes' instances there, then let
        them go (a plain collection frees them: none is counted twice)."""
        if not self.cycle_classes:
            return
        wanted = _classes_named(self.cycle_classes)
        if not wanted:
            return
        flags = gc.get_debug()
        gc.set_debug(flags | gc.DEBUG_SAVEALL)  # noqa: MEM603 -- cleared below, flags restored in the finally
        try:
            gc.collect()
            for obj in gc.garbage:
                key = wanted.get(type(obj))
                if key is not None:
                    self.freed[key] = self.freed.get(key, 0) + 1
            gc.garbage.clear()
        finally:
            gc.set_debug(flags)
        gc.collect()

    def _measure(self) -> Dict[str, Dict[str, int]]:
        self.count_cyclic_garbage()
        line_bytes: Dict[Tuple[str, int], int] = {}
        for stat in self._line_statistics():
            frame = stat.traceback[0]
            key = (self.real_path(frame.filename), frame.lineno)
            line_bytes[key] = line_bytes.get(key, 0) + stat.size
        measured = {}
        classes: Dict[Tuple[str, str], List[str]] = {}
        for target in self.targets:
            if target["kind"] == "class":
                classes.setdefault((target["path"], target["name"]), []).append(target["id"])
        instances = _live_instances(classes)
        for target in self.targets:
            kind, key = target["kind"], target["id"]
            if kind == "class":
                measured[key] = instances.get((target["path"], target["name"]), {"instances": 0})
            elif kind == "line":
                lines = range(target["line"], target["end_line"] + 1)
                if tracemalloc.is_tracing():
                    measured[key] = {"bytes_at_peak": sum(line_bytes.get((target["path"], n), 0) for n in lines)}
            elif kind == "container":
                measured[key] = _container(target)
        return measured

    def memory(self) -> Tuple[int, int]:
        """(current, largest seen): the bytes tracemalloc traces when it is
        on, else the number of memory blocks the interpreter has allocated
        (cheap to read, current, and what live objects cost; the process's
        resident size is no guide: its high-water mark includes the probe's
        own observations)."""
        if tracemalloc.is_tracing():
            return tracemalloc.get_traced_memory()
        current = sys.getallocatedblocks()
        self.largest_blocks = max(self.largest_blocks, current)
        return current, self.largest_blocks

    def _line_statistics(self) -> List[tracemalloc.Statistic]:
        if not self.lines or not tracemalloc.is_tracing():
            return []
        snapshot = tracemalloc.take_snapshot().filter_traces(
            [tracemalloc.Filter(True, path) for path in sorted(self.files)]
        )
        return snapshot.statistics("lineno")

    def finish(self) -> None:
        current, peak = self.memory()
        if self.observed is None or current >= self.observed_bytes * _GROWTH:
            self.observe(current)
        if not tracemalloc.is_tracing():
            peak = _peak_resident_bytes()
        with self.lock:
            self.count_cyclic_garbage()
        self.stop_line_counts()
        findings: Dict[str, Dict[str, int]] = {}
        result = {
            "seconds": time.perf_counter() - self.start,
            "peak_bytes": peak,
            "observed_at_bytes": self.observed_bytes,
            "findings": findings,
        }
        caches = _caches_in(self.files) if any(t["kind"] == "cache" for t in self.targets) else []
        for target in self.targets:
            key, kind = target["id"], target["kind"]
            entry = dict((self.observed or {}).get(key, {}))
            if kind == "line":
                lines = range(target["line"], target["end_line"] + 1)
                entry["executions"] = max(self.lines.get((target["path"], n), 0) for n in lines)
                entry["resource_warnings"] = sum(self.warned.get((target["path"], n), 0) for n in lines)
            elif kind == "cache":
                entry = _cache(target, caches)
            elif kind == "cycle":
                entry = {"freed_by_collector": self.freed.get((target["path"], target["name"]), 0)}
            findings[key] = entry
        with open(self.spec_path + ".out", "w", encoding="utf-8") as handle:
            json.dump(result, handle)

    # -- ResourceWarnings: counted where the object was allocated ---------------------------

    def count_warning(self, message: Any) -> None:
        """Count a ResourceWarning where its object was allocated (tracemalloc
        knows), else where it was dropped: for the `open(p).read()` that
        MEM501 reports, the same line."""
        source = message.source
        traceback = tracemalloc.get_object_traceback(source) if source is not None and tracemalloc.is_tracing() else None
        sites = [(f.filename, f.lineno) for f in traceback] if traceback else [(message.filename, message.lineno)]
        for filename, line in sites:
            key = (self.real_path(filename), line)
            if key[0] in self.files:
                self.warned[key] = self.warned.get(key, 0) + 1
                return


def _peak_resident_bytes() -> int:
    if resource is None:
        return 0
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024))


def _module_of_file(path: str) -> Optional[ModuleType]:
    for module in list(sys.modules.values()):
        if _file_of(module) == path:
            return module
    return None


def _file_of(module: object) -> Optional[str]:
    """A module's real path; a script's ``__main__`` loses ``__file__`` when it
    ends (before atexit), its loader still knows."""
    name = getattr(module, "__file__", None) or getattr(getattr(module, "__loader__", None), "path", None)
    return os.path.realpath(name) if isinstance(name, str) else None


def _live_instances(classes: Dict[Tuple[str, str], List[str]]) -> Dict[Tuple[str, str], Dict[str, int]]:
    """(path, class name) -> instances alive now and the bytes slots would save on one."""
    wanted = _classes_named(classes)
    counts: Dict[Tuple[str, str], int] = {}
    examples: Dict[Tuple[str, str], object] = {}
    for obj in gc.get_objects():
        cls = type(obj)
        key = wanted.get(cls)
        if key is not None:
            counts[key] = counts.get(key, 0) + 1
            examples.setdefault(key, obj)
    found = {}
    for key in set(wanted.values()):
        entry = {"instances": counts.get(key, 0)}
        if key in examples:
            entry["saving_per_instance"] = _slots_saving(examples[key])
        found[key] = entry
    return found


def _classes_named(keys: Iterable[Tuple[str, str]]) -> Dict[type, Tuple[str, str]]:
    """The live class objects for (module path, class name) keys: top-level or
    nested classes of that name defined in the module loaded from that path."""
    wanted: Dict[type, Tuple[str, str]] = {}
    for module_path, name in keys:
        module = _module_of_file(module_path)
        for value in list(vars(module).values()) if module is not None else []:
            if isinstance(value, type):
                _collect_classes(value, name, module_path, wanted, set())
    return wanted


def _collect_classes(cls: type, name: str, module_path: str, wanted: Dict[type, Tuple[str, str]], seen: Set[type]) -> None:
    if cls in seen:
        return
    seen.add(cls)
    if cls.__name__ == name and getattr(cls, "__module__", None) and _defined_in(cls, module_path):
        wanted[cls] = (module_path, name)
    for value in list(vars(cls).values()):
        if isinstance(value, type):
            _collect_classes(value, name, module_path, wanted, seen)


def _defined_in(cls: type, module_path: str) -> bool:
    module = sys.modules.get(cls.__module__)
    return module is not None and _file_of(module) == module_path


def _slots_saving(instance: object) -> int:
    """Bytes one instance would save with __slots__: its size and its __dict__'s
    against an instance of a slotted twin holding the same attributes."""
    attributes = getattr(instance, "__dict__", None)
    if not isinstance(attributes, dict):
        return 0
    try:
        twin = type("SlottedTwin", (), {"__slots__": tuple(attributes)})()
        for name, value in attributes.items():
            setattr(twin, name, value)
        return max(0, sys.getsizeof(instance) + sys.getsizeof(attributes) - sys.getsizeof(twin))
    except Exception:  # attribute names a slot cannot have, exotic metaclasses: unknown
        return 0


def _container(target: Dict[str, Any]) -> Dict[str, int]:
    module = _module_of_file(target["path"])
    value = getattr(module, target["name"], None) if module is not None else None
    try:
        return {"entries": len(value), "bytes_at_peak": sys.getsizeof(value)} if value is not None else {}
    except TypeError:
        return {}


def _caches_in(files: Set[str]) -> List[Tuple[str, int, Any]]:
    """(real path, first line, wrapper) of every live ``lru_cache`` wrapper of a
    function defined in ``files``: one walk of the heap for all cache findings."""
    found = []
    for obj in gc.get_objects():
        info = getattr(obj, "cache_info", None) if callable(obj) else None
        code = getattr(getattr(obj, "__wrapped__", None), "__code__", None)
        if info is not None and code is not None:
            path = os.path.realpath(code.co_filename)
            if path in files:
                found.append((path, code.co_firstlineno, obj))
    return found


def _cache(target: Dict[str, Any], caches: List[Tuple[str, int, Any]]) -> Dict[str, int]:
    """The cache the finding flags: the wrapper whose function starts nearest its line."""
    best = None
    for path, first_line, wrapper in caches:
        distance = abs(first_line - target["line"])
        if path == target["path"] and distance <= target["end_line"] - target["line"] + 10 and (
            best is None or distance < best[0]
        ):
            best = (distance, wrapper)
    if best is None:
        return {}
    try:
        info = best[1].cache_info()
    except Exception:
        return {}
    return {"entries": info.currsize, "hits": info.hits, "misses": info.misses, "bytes": _cache_bytes(best[1])}


def _cache_bytes(wrapper: object) -> int:
    """The retained size of an lru_cache's entries: its dict (the C wrapper
    shows it to the collector), each entry and what the entry holds (key and
    result, one level deep)."""
    total = 0
    for table in gc.get_referents(wrapper):
        if isinstance(table, dict) and table is not getattr(wrapper, "__dict__", None):
            total += sys.getsizeof(table)
            for key, entry in table.items():
                total += sys.getsizeof(key) + sys.getsizeof(entry)
                total += sum(sys.getsizeof(part) for part in gc.get_referents(entry))
    return total


def _install(spec_path: str) -> None:
    probe = _Probe(spec_path)
    if probe.allocations:
        tracemalloc.start(1)
    _count_resource_warnings(probe)
    threading.Thread(target=probe._sampler, name="memlint-profile", daemon=True).start()
    probe.start_line_counts()
    atexit.register(probe.finish)


def _count_resource_warnings(probe: _Probe) -> None:
    """Count every ResourceWarning where its object was allocated. They are
    ignored by default: a filter of ours lets them through to
    ``warnings._showwarnmsg`` (which the C code calls for every warning it
    shows, also inside ``catch_warnings``), where they are counted and, unless
    the program showed them before (``-W``, ``-X dev``), not printed."""
    shown_before = _action_for(ResourceWarning) != "ignore"
    warnings.filterwarnings("always", category=ResourceWarning)
    show = warnings._showwarnmsg  # type: ignore[attr-defined]

    def showwarnmsg(message: Any) -> None:
        if issubclass(message.category, ResourceWarning):
            probe.count_warning(message)
            if not shown_before:
                return
        show(message)

    warnings._showwarnmsg = showwarnmsg  # type: ignore[attr-defined]


def _action_for(category: Type[Warning]) -> str:
    for action, _message, filtered, _module, _line in warnings.filters:
        if issubclass(category, filtered):
            return str(action)
    return str(warnings.defaultaction)  # type: ignore[attr-defined]


def _chain_to_the_site_sitecustomize() -> None:
    """Run the ``sitecustomize`` this probe hides (a later one on sys.path), if any."""
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", sys.path)
    if spec is not None and spec.loader is not None:
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)


def _start() -> None:
    spec = os.environ.pop("MEMLINT_PROFILE", None)
    if not spec:
        return
    try:
        _install(spec)
    except Exception as error:  # never break the program: it runs unmeasured
        sys.stderr.write(f"memlint profile: cannot measure this run: {type(error).__name__}: {error}\n")


_start()
_chain_to_the_site_sitecustomize()
