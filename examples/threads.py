"""``--threads``: how many CPU threads NumPy's BLAS (and PyTorch, with ``--framework torch``) may use.

OpenBLAS starts one busy-waiting thread per core. When other programs keep the cores busy, those
threads wait on one another and a matrix product can take many times longer than on one thread,
so the examples use one thread unless told otherwise: one thread cannot oversubscribe the machine.

    >>> parser = argparse.ArgumentParser()
    >>> add_threads_option(parser)
    >>> args = parser.parse_args(["--threads", "2"])
    >>> use_threads(args.threads)               # NumPy's BLAS; use_threads(n, torch) sets torch's too
"""
import argparse

from threadpoolctl import threadpool_limits

DEFAULT_THREADS = 1


def add_threads_option(parser):
    parser.add_argument("--threads", type=_positive_int, default=DEFAULT_THREADS,
                        help=f"CPU threads for NumPy's BLAS and for torch (default: {DEFAULT_THREADS}; more "
                             "threads than idle cores slow training down)")


def use_threads(threads, torch=None):
    """Limit NumPy's BLAS (through threadpoolctl) and, when ``torch`` is given, PyTorch to ``threads`` threads."""
    threadpool_limits(limits=threads)
    if torch is not None:
        torch.set_num_threads(threads)


def _positive_int(text):
    number = int(text)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {number}")
    return number
