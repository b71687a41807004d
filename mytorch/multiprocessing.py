"""torch.multiprocessing: the standard library's multiprocessing under torch's name.

torch wraps multiprocessing to move tensors through shared memory; mytorch's tensors are NumPy arrays, which
the standard pickling already carries between processes (copied, not shared). Everything of the stdlib
module is re-exported, plus torch's ``spawn`` / ``start_processes`` helpers and the sharing-strategy stubs.
"""
import multiprocessing as _mp
from multiprocessing import *  # noqa: F401,F403

__all__ = list(getattr(_mp, "__all__", [])) + ["spawn", "start_processes", "ProcessContext", "ProcessRaisedException",
                                               "ProcessExitedException", "get_sharing_strategy",
                                               "set_sharing_strategy", "get_all_sharing_strategies"]

_SHARING = ["file_system"]


def get_all_sharing_strategies():
    return {"file_system"}


def get_sharing_strategy():
    return _SHARING[0]


def set_sharing_strategy(new_strategy):
    if new_strategy not in get_all_sharing_strategies():
        raise ValueError(f"invalid sharing strategy {new_strategy!r}; expected one of "
                         f"{sorted(get_all_sharing_strategies())}")
    _SHARING[0] = new_strategy


class ProcessRaisedException(Exception):
    """A spawned process raised: ``error_index`` and ``error_pid`` name it."""

    def __init__(self, msg, error_index, error_pid):
        super().__init__(msg)
        self.error_index, self.error_pid = error_index, error_pid


class ProcessExitedException(ProcessRaisedException):
    """A spawned process exited with a non-zero code."""

    def __init__(self, msg, error_index, error_pid, exit_code, signal_name=None):
        super().__init__(msg, error_index, error_pid)
        self.exit_code, self.signal_name = exit_code, signal_name


def _wrap(fn, i, args, queue):
    try:
        fn(i, *args)
    except KeyboardInterrupt:
        pass
    except Exception:
        import traceback
        queue.put(traceback.format_exc())
        raise SystemExit(1)


class ProcessContext:
    """The processes ``start_processes(join=False)`` started; ``join()`` waits and raises on a failure."""

    def __init__(self, processes, error_queues):
        self.processes, self.error_queues = processes, error_queues

    def pids(self):
        return [p.pid for p in self.processes]

    def join(self, timeout=None):
        for p in self.processes:
            p.join(timeout)
        for i, (p, q) in enumerate(zip(self.processes, self.error_queues)):
            if not q.empty():
                raise ProcessRaisedException(f"\n\n-- Process {i} terminated with the following error:\n{q.get()}",
                                             i, p.pid)
            if p.exitcode not in (0, None):
                raise ProcessExitedException(f"process {i} terminated with exit code {p.exitcode}", i, p.pid,
                                             p.exitcode)
        return all(not p.is_alive() for p in self.processes)


def start_processes(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """Starts ``nprocs`` processes running ``fn(i, *args)`` (i = 0 .. nprocs - 1), as torch's."""
    ctx = _mp.get_context(start_method)
    processes, queues = [], []
    for i in range(nprocs):
        q = ctx.SimpleQueue()
        p = ctx.Process(target=_wrap, args=(fn, i, args, q), daemon=daemon)
        p.start()
        processes.append(p)
        queues.append(q)
    context = ProcessContext(processes, queues)
    if not join:
        return context
    while not context.join():
        pass
    return None


def spawn(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """``start_processes`` with the 'spawn' start method: runs ``fn(i, *args)`` in ``nprocs`` fresh processes."""
    return start_processes(fn, args, nprocs, join, daemon, start_method)
