"""Where one framework spends a workload's time: a profile of the runs that run.py times.

    python benchmarks/profile_workload.py cnn                        # tinygrad_edu, the first full size
    python benchmarks/profile_workload.py per_op --runs 300 --top 25
    python benchmarks/profile_workload.py deep_chain --size 1        # the 1e5-deep chain
    python benchmarks/profile_workload.py lstm --pyinstrument        # a call tree (pip install pyinstrument)

By default cProfile counts CPU time (``time.process_time``), so the profile stays true
on a machine shared with other jobs; it adds a fixed cost to every Python call, which
inflates the share of small functions. ``--pyinstrument`` samples wall-clock time
instead and prints the call tree. Runs the same Case as run.py after one warm-up run;
a case that builds a graph first (deep_chain) is profiled for one run, without the build.
"""
import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "2")
for _variable in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_variable] = os.environ["OMP_NUM_THREADS"]
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import argparse  # noqa: E402
import cProfile  # noqa: E402
import pstats  # noqa: E402
import time  # noqa: E402

from benchmarks.workloads import WORKLOADS  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description="Profile one framework on one workload.")
    parser.add_argument("workload", choices=[name for name, module in WORKLOADS.items() if hasattr(module, "build")])
    parser.add_argument("--framework", default="tinygrad_edu")
    parser.add_argument("--size", type=int, default=0, help="which of the workload's full sizes (0: the first)")
    parser.add_argument("--runs", type=int, default=20, help="runs to profile")
    parser.add_argument("--top", type=int, default=30, help="functions to list")
    parser.add_argument("--pyinstrument", action="store_true", help="a wall-clock call tree from pyinstrument")
    parser.add_argument("--device", default="cpu")
    options = parser.parse_args(argv)
    workload = WORKLOADS[options.workload]
    size = workload.sizes(quick=False)[options.size]
    case = workload.build(options.framework, size, options.device)
    profiler = _pyinstrument() if options.pyinstrument else cProfile.Profile(time.process_time)
    runs = _profile(case, options.runs, profiler)
    print(f"{options.framework} on {options.workload} ({size['label']}), {runs} runs")
    if options.pyinstrument:
        print(profiler.output_text(unicode=True))
    else:
        pstats.Stats(profiler).strip_dirs().sort_stats("tottime").print_stats(options.top)


def _pyinstrument():
    try:
        from pyinstrument import Profiler
    except ImportError:
        sys.exit("--pyinstrument needs pyinstrument: pip install pyinstrument")
    profiler = Profiler(interval=0.0005)
    profiler.enable, profiler.disable = profiler.start, profiler.stop
    return profiler


def _profile(case, runs, profiler):
    """Profile ``runs`` runs after a warm-up; a case with a setup (a graph to build) is profiled once, without it."""
    if case.setup is not None:
        runs = 1
        case.setup()
    else:
        _run(case)
    profiler.enable()
    for _ in range(runs):
        _run(case)
    profiler.disable()
    if case.teardown is not None:
        case.teardown()
    return runs


def _run(case):
    case.run()
    if case.sync is not None:
        case.sync()


if __name__ == "__main__":
    main()
