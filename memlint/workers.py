"""Supervised worker processes: one item at a time per worker, so the parent
always knows which file a worker holds.

- A worker that dies (a signal, an abort in native code, the memory limit) is
  replaced; the item it held is retried once, alone (one worker, nothing in
  parallel), after the others; if it kills its worker again it becomes a
  :class:`Failure`.
- An item that runs past its deadline has its worker killed and becomes a
  :class:`Failure` at once (a second try would only take as long again).
- Ctrl-C or any error in the parent kills every worker before it propagates.

``multiprocessing.Pool`` can do none of this: a dead worker's task is lost and
the pool waits for it forever, and a task cannot be timed out.
"""
from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any, Callable, Deque, Dict, Generic, List, Optional, Sequence, Set, Tuple, TypeVar, Union

from memlint.errors import UsageError
from memlint.limits import out_of_memory, set_memory_limit

Payload = TypeVar("Payload")
Shared = TypeVar("Shared")
Result = TypeVar("Result")

# How often an idle worker checks that its parent is still alive: a parent
# killed with SIGKILL cannot stop its workers, so they stop themselves.
_PARENT_CHECK_SECONDS = 1.0
# A worker holds one large, long-lived syntax tree at a time. With CPython's
# default thresholds (700, 10, 10) full collections traverse it over and over,
# and a file's cost grows faster than its size (1.8x too slow at 19,000
# lines); collecting the oldest generation 100 times less often keeps it
# linear, and makes a run over the standard library ~15% faster for ~15%
# more peak memory.
WORKER_GC_THRESHOLDS = (700, 10, 1000)
# What Rust's allocator (libcst's parser) prints before it aborts.
_NATIVE_OUT_OF_MEMORY = b"memory allocation of "
# How long a worker told to stop may take before it is killed.
_STOP_GRACE_SECONDS = 5.0
# The exit status of a worker that could not start (its warm-up failed): when
# the memory limit is too low even to send the parent its report of the
# error, the status alone tells the parent.
_CANNOT_START = 3


@dataclass(frozen=True)
class Failure:
    """An item whose worker crashed twice or ran past the deadline."""

    message: str  # e.g. "the parser crashed (signal 9)"


@dataclass(frozen=True)
class Job(Generic[Payload, Shared]):
    """One item: ``payload`` is sent every time; ``shared`` (the settings of
    a directory) only the first time a worker needs it. ``timeout`` is in
    seconds (None: no deadline)."""

    payload: Payload
    shared: Shared
    timeout: Optional[float] = None


def run_supervised(
    jobs: Sequence[Job[Payload, Shared]],
    task: Callable[[Payload, Shared], Result],
    workers: int,
    memory_limit_mb: Optional[int] = None,
    warm_up: Optional[Callable[[], None]] = None,
    prepare: Optional[Callable[[Shared], None]] = None,
    on_result: Optional[Callable[[int], None]] = None,
) -> List[Union[Result, Failure]]:
    """``task(job.payload, job.shared)`` for every job in ``workers`` processes;
    the results in the order of ``jobs``. Outside any deadline, ``warm_up``
    runs once in each new worker before it takes work, and ``prepare(shared)``
    once per worker and shared value (imports). ``on_result(index)`` is
    called (here, in the parent) as each job's result becomes final."""
    supervisor = _Supervisor(jobs, task, memory_limit_mb, warm_up, prepare, on_result)
    crashed = supervisor.run(list(range(len(jobs))), workers)
    for index in supervisor.run(crashed, 1):  # alone, once more
        supervisor.settle(index, Failure(supervisor.crashes[index]))
    return [supervisor.results[index] for index in range(len(jobs))]


def _context() -> Any:
    """fork where the platform has it: a worker starts in milliseconds with
    the parent's modules (memlint's parent process starts no threads)."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else None)


class _Worker:
    def __init__(self, serve_args: Tuple[Any, ...]) -> None:
        context = _context()
        self.conn, child_end = context.Pipe()
        # The worker's stderr goes to a file read when it ends: a native
        # crash's message becomes part of the error line, not noise above it.
        self.stderr = tempfile.TemporaryFile()
        stderr_fd = self.stderr.fileno() if context.get_start_method() == "fork" else None
        self.process = context.Process(target=_serve, args=(child_end, stderr_fd, *serve_args), daemon=True)
        self.process.start()
        child_end.close()  # the worker's death must show as EOF here
        self.ready = False
        self.job: Optional[int] = None
        self.deadline: Optional[float] = None
        self.sent_shared: Set[int] = set()

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except OSError:
            pass
        self.process.join(_STOP_GRACE_SECONDS)
        self.kill()

    def kill(self) -> None:
        if self.process.exitcode is None:
            self.process.kill()
        self.process.join()
        self.conn.close()
        _show(self.output())
        self.stderr.close()

    def output(self) -> bytes:
        """What the worker wrote to stderr that nobody has read yet."""
        if self.stderr.closed:
            return b""
        self.stderr.seek(0)
        output = self.stderr.read()
        self.stderr.seek(0)
        self.stderr.truncate()
        return output


class _Supervisor(Generic[Payload, Shared, Result]):
    def __init__(
        self,
        jobs: Sequence[Job[Payload, Shared]],
        task: Callable[[Payload, Shared], Result],
        memory_limit_mb: Optional[int],
        warm_up: Optional[Callable[[], None]],
        prepare: Optional[Callable[[Shared], None]],
        on_result: Optional[Callable[[int], None]] = None,
    ) -> None:
        self.jobs = jobs
        self.on_result = on_result
        self.memory_limit_mb = memory_limit_mb
        self.serve_args = (task, warm_up, prepare, memory_limit_mb)
        # the shared values, deduplicated by identity: a worker caches them by index
        self.shared_index: Dict[int, int] = {}
        for job in jobs:
            self.shared_index.setdefault(id(job.shared), len(self.shared_index))
        self.results: Dict[int, Union[Result, Failure]] = {}
        self.crashes: Dict[int, str] = {}  # job index -> how its worker died

    def run(self, indices: List[int], size: int) -> List[int]:
        """Run these jobs in at most ``size`` workers; the indices of the jobs
        whose worker died are returned, not retried."""
        pending: Deque[int] = deque(indices)
        crashed: List[int] = []
        workers: List[_Worker] = []
        try:
            while pending or any(w.job is not None for w in workers):
                spare = sum(1 for w in workers if w.job is None)  # idle or starting
                workers.extend(_Worker(self.serve_args) for _ in range(min(size - len(workers), len(pending) - spare)))
                for worker in workers:
                    if worker.ready and worker.job is None and pending:
                        self._assign(worker, pending.popleft())
                for worker, exited in self._wait(workers):
                    if not self._serviced(worker, exited, crashed):
                        worker.kill()
                        workers.remove(worker)
        except BaseException:
            for worker in workers:
                worker.kill()
            raise
        for worker in workers:
            worker.stop()
        return crashed

    def _assign(self, worker: _Worker, index: int) -> None:
        job = self.jobs[index]
        key = self.shared_index[id(job.shared)]
        send_shared = key not in worker.sent_shared
        worker.job = index
        # With a new shared value the worker prepares first and says when the task starts.
        worker.deadline = None if send_shared else _deadline(job)
        worker.sent_shared.add(key)
        try:
            worker.conn.send((index, job.payload, key, send_shared, job.shared if send_shared else None))
        except OSError:
            pass  # the worker is dead: its sentinel says so on the next wait

    def _wait(self, workers: List[_Worker]) -> List[Tuple[_Worker, bool]]:
        """The workers with news (a message, an exit, a passed deadline), each
        with whether its process has exited."""
        deadlines = [w.deadline for w in workers if w.job is not None and w.deadline is not None]
        timeout = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
        ready = set(wait([w.conn for w in workers] + [w.process.sentinel for w in workers], timeout))
        now = time.monotonic()
        return [
            (w, w.process.sentinel in ready) for w in workers
            if w.conn in ready or w.process.sentinel in ready
            or (w.job is not None and w.deadline is not None and now >= w.deadline)
        ]

    def _serviced(self, worker: _Worker, exited: bool, crashed: List[int]) -> bool:
        """Handle a worker's news; False when the worker must be replaced."""
        if worker.conn.poll():  # a message sent before an exit counts
            try:
                return self._received(worker, worker.conn.recv())
            except (EOFError, OSError):
                exited = True  # the worker closed its end: it is exiting
        if exited:
            worker.process.join()
            self._died(worker, crashed)
            return False
        # Past the deadline: a second try would only take as long again.
        index = worker.job
        assert index is not None
        self.settle(index, Failure(
            f"took longer than {self.jobs[index].timeout:g} s (the file timeout, --file-timeout); skipped"
        ))
        return False

    def settle(self, index: int, result: Union[Result, Failure]) -> None:
        """A job's final result."""
        self.results[index] = result
        if self.on_result is not None:
            self.on_result(index)

    def _received(self, worker: _Worker, message: Tuple[Any, ...]) -> bool:
        if message[0] == "ready":
            worker.ready = True
        elif message[0] == "started":
            worker.deadline = _deadline(self.jobs[message[1]])
        elif message[0] == "failed":  # the warm-up failed: no worker could do better
            raise UsageError(f"a worker process could not start: {message[1]}{self._memory_note()}")
        else:
            _, index, result = message
            self.settle(index, result)
            worker.job = worker.deadline = None
        return True

    def _died(self, worker: _Worker, crashed: List[int]) -> None:
        if not worker.ready and worker.process.exitcode == _CANNOT_START:  # and its report did not fit
            raise UsageError(f"a worker process could not start: out of memory{self._memory_note()}")
        how = self._death(worker.process.exitcode, worker.output())
        if not worker.ready:
            raise UsageError(f"a worker process died while starting: {how}")
        if worker.job is not None:
            self.crashes[worker.job] = how
            crashed.append(worker.job)

    def _death(self, code: Optional[int], output: bytes) -> str:
        """What killed a worker, for the error line; what it printed on its
        way out is shown, unless the error line says it all."""
        if _NATIVE_OUT_OF_MEMORY in output:
            return out_of_memory(self.memory_limit_mb)
        _show(output)
        if code is not None and code < 0:
            return f"the parser crashed (signal {-code}){self._memory_note()}"
        return f"the worker process exited with code {code}{self._memory_note()}"

    def _memory_note(self) -> str:
        if self.memory_limit_mb is None:
            return ""
        return f"; the memory limit is {self.memory_limit_mb} MB per worker (--max-memory)"


def _deadline(job: Job[Any, Any]) -> Optional[float]:
    return None if job.timeout is None else time.monotonic() + job.timeout


def _show(output: bytes) -> None:
    """Pass on what a worker wrote to its stderr."""
    if output:
        sys.stderr.write(output.decode(errors="replace"))
        sys.stderr.flush()


def _serve(
    conn: Connection,
    stderr_fd: Optional[int],
    task: Callable[[Any, Any], Any],
    warm_up: Optional[Callable[[], None]],
    prepare: Optional[Callable[[Any], None]],
    memory_limit_mb: Optional[int],
) -> None:
    """A worker: take one item at a time until told to stop or orphaned."""
    # Ctrl-C goes to the whole process group: the parent alone handles it
    # (and kills the workers), so workers print no tracebacks.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.set_threshold(*WORKER_GC_THRESHOLDS)
    if stderr_fd is not None:
        os.dup2(stderr_fd, 2)
    parent = os.getppid()
    try:
        if memory_limit_mb is not None:
            set_memory_limit(memory_limit_mb)
        if warm_up is not None:
            warm_up()
    except Exception as exc:  # MemoryError included: the limit is too low to start
        # Exit right after the report: under a limit too low to start,
        # multiprocessing's clean-up would run out of memory too and print a
        # traceback. If even the report does not fit, the exit status is the report.
        try:
            conn.send(("failed", f"{type(exc).__name__}: {exc}"))
        finally:
            os._exit(_CANNOT_START)
    conn.send(("ready",))
    shared: Dict[int, Any] = {}
    while True:
        while not conn.poll(_PARENT_CHECK_SECONDS):
            if os.getppid() != parent:
                return
        try:
            message = conn.recv()
        except EOFError:
            return
        if message is None:
            return
        index, payload, key, has_shared, value = message
        if has_shared:
            shared[key] = value
            if prepare is not None:
                _prepare(prepare, value)
            conn.send(("started", index))
        try:
            result = task(payload, shared[key])
        except Exception as exc:  # a bug in the task: this item fails, the run goes on
            result = Failure(f"internal error: {type(exc).__name__}: {exc}")
        conn.send(("done", index, result))


def _prepare(prepare: Callable[[Any], None], value: Any) -> None:
    try:
        prepare(value)
    except Exception:  # pragma: no cover - the task meets the same error and reports it
        pass
