"""``tinygrad_edu.multiprocessing``: Python's ``multiprocessing`` with ``torch.multiprocessing``'s additions.

Everything of ``multiprocessing`` is here (``Process``, ``Queue``, ``Pool``, ``get_context``,
``set_start_method``, ``cpu_count``...), plus torch's ``spawn`` / ``start_processes``.
Tensors cross process boundaries by pickling: a tensor put on a ``Queue`` or passed to a
child arrives with its values (a copy). For weights that several processes update in
place (Hogwild), call ``model.share_memory()`` and start the children with ``fork``:
they then write into the same memory.

>>> def train(rank, model):
...     ...
>>> model.share_memory()
>>> tinygrad_edu.multiprocessing.start_processes(train, args=(model,), nprocs=4, start_method="fork")
"""
import multiprocessing
import multiprocessing.connection
import sys
import traceback
import warnings
from multiprocessing import *  # noqa: F403  (Process, Queue, Pool, get_context...)
from multiprocessing import __all__ as _multiprocessing_names

_SHARING_STRATEGIES = {"file_descriptor", "file_system"}
_sharing_strategy = "file_descriptor"


class ProcessException(Exception):
    """A child started by ``spawn`` failed; ``error_index`` is its index, ``error_pid`` its pid."""

    def __init__(self, msg, error_index, error_pid):
        super().__init__(msg)
        self.msg, self.error_index, self.error_pid = msg, error_index, error_pid

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.error_pid)


class ProcessRaisedException(ProcessException):
    """A child raised an exception; the message holds its traceback."""


class ProcessExitedException(ProcessException):
    """A child exited with a non-zero code (or a signal) without raising."""

    def __init__(self, msg, error_index, error_pid, exit_code, signal_name=None):
        super().__init__(msg, error_index, error_pid)
        self.exit_code, self.signal_name = exit_code, signal_name

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.error_pid, self.exit_code, self.signal_name)


def _run_child(fn, index, args, errors):
    try:
        fn(index, *args)
    except KeyboardInterrupt:
        pass
    except Exception:
        errors.put((index, traceback.format_exc()))
        sys.exit(1)


class ProcessContext:
    """The processes ``start_processes(..., join=False)`` started; ``join()`` waits for them."""

    def __init__(self, processes, errors):
        self.processes, self._errors = processes, errors
        self.sentinels = {process.sentinel: index for index, process in enumerate(processes)}

    def pids(self):
        return [int(process.pid) for process in self.processes]

    def join(self, timeout=None):
        """Wait for the processes; True once all have ended, False if some still run after ``timeout``.

        When one fails, the others are terminated and its failure is raised here:
        ``ProcessRaisedException`` (with the child's traceback) or ``ProcessExitedException``.
        """
        if not self.sentinels:
            return True
        failed = None
        for sentinel in multiprocessing.connection.wait(list(self.sentinels), timeout=timeout):
            index = self.sentinels.pop(sentinel)
            self.processes[index].join()
            if self.processes[index].exitcode != 0:
                failed = index
                break
        if failed is None:
            return not self.sentinels
        for process in self.processes:
            if process.is_alive():
                process.terminate()
            process.join()
        self._raise_failure(failed)

    def _raise_failure(self, index):
        process = self.processes[index]
        traces = {}
        while not self._errors.empty():
            error_index, trace = self._errors.get()
            traces[error_index] = trace
        if index in traces:
            raise ProcessRaisedException(
                f"\n\n-- Process {index:d} terminated with the following error:\n{traces[index]}", index, process.pid)
        code = process.exitcode
        if code < 0:
            import signal
            name = signal.Signals(-code).name
            raise ProcessExitedException(f"process {index:d} terminated with signal {name}", index, process.pid,
                                         code, name)
        raise ProcessExitedException(f"process {index:d} terminated with exit code {code:d}", index, process.pid, code)


def start_processes(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """Run ``fn(i, *args)`` in ``nprocs`` new processes (``i`` = 0 .. nprocs-1), started with
    ``start_method`` ('spawn', 'fork' or 'forkserver'); with ``join``, wait for them all and
    raise the first failure, else return their ``ProcessContext``."""
    context = multiprocessing.get_context(start_method)
    errors = context.SimpleQueue()
    processes = []
    for index in range(nprocs):
        process = context.Process(target=_run_child, args=(fn, index, args, errors), daemon=daemon)
        process.start()
        processes.append(process)
    processes_context = ProcessContext(processes, errors)
    if not join:
        return processes_context
    while not processes_context.join():
        pass
    return None


def spawn(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """``start_processes`` with the 'spawn' start method, as ``torch.multiprocessing.spawn``.

    ``fn`` must be defined at the top level of a module (the children import it).

    >>> def worker(rank, total):
    ...     print(rank, "of", total)
    >>> tinygrad_edu.multiprocessing.spawn(worker, args=(2,), nprocs=2)
    """
    if start_method != "spawn":
        warnings.warn(f"This method only supports start_method=spawn (got: {start_method}).\n"
                      "To use a different start_method use:\n\t\t tinygrad_edu.multiprocessing.start_processes(...)",
                      FutureWarning, stacklevel=2)
    return start_processes(fn, args, nprocs, join, daemon, start_method="spawn")


def get_sharing_strategy():
    """How torch would share CPU tensors ('file_descriptor'); tensors here are pickled."""
    return _sharing_strategy


def set_sharing_strategy(new_strategy):
    """Accepted for torch compatibility ('file_descriptor' or 'file_system'); changes nothing here."""
    global _sharing_strategy
    if new_strategy not in _SHARING_STRATEGIES:
        raise AssertionError(f"invalid sharing strategy: {new_strategy!r}")
    _sharing_strategy = new_strategy


def get_all_sharing_strategies():
    return set(_SHARING_STRATEGIES)


__all__ = list(_multiprocessing_names) + [
    "spawn", "start_processes", "ProcessContext", "ProcessException", "ProcessRaisedException",
    "ProcessExitedException", "get_sharing_strategy", "set_sharing_strategy", "get_all_sharing_strategies"]
