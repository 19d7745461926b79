"""Run the benchmark suite: tinygrad_edu beside PyTorch, hand-written NumPy and micrograd.

    python benchmarks/run.py                            # every workload on the CPU, 10 repeats
    python benchmarks/run.py --workloads mlp,cnn --frameworks tinygrad_edu,torch --repeats 20
    python benchmarks/run.py --quick                    # tiny sizes, 1 repeat: does everything run?
    python benchmarks/run.py --device cuda              # the CPU and the GPU side by side
    python benchmarks/run.py --list                     # the workloads and what they measure

Every framework runs in this one process (the memory workload starts a fresh process per
framework), on 2 threads, and the frameworks take turns sample by sample so that a change
in the machine's load hits them all alike. Prints a Markdown table (median, min–max, and
the ratios against PyTorch and against NumPy by hand) and the targets' verdicts, and
writes everything to a JSON file. README.md explains the workloads.
"""
import os
import sys

def _threads_from_command_line(default="2"):
    """The --threads value, read before argparse runs: NumPy's BLAS reads it when it loads."""
    for position, argument in enumerate(sys.argv):
        if argument == "--threads" and position + 1 < len(sys.argv):
            return sys.argv[position + 1]
        if argument.startswith("--threads="):
            return argument.split("=", 1)[1]
    return default


THREADS = _threads_from_command_line() if __name__ == "__main__" else os.environ.get("OMP_NUM_THREADS", "2")
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
                  "NUMEXPR_NUM_THREADS"):
    os.environ[_variable] = THREADS

REPOSITORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if REPOSITORY not in sys.path:
    sys.path.insert(0, REPOSITORY)

import argparse  # noqa: E402
import ctypes  # noqa: E402
import ctypes.util  # noqa: E402
import datetime  # noqa: E402
import gc  # noqa: E402
import importlib.metadata  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

from benchmarks import report  # noqa: E402
from benchmarks.workloads import WORKLOADS  # noqa: E402
from benchmarks.workloads.common import FRAMEWORK_NAMES, Unavailable, require  # noqa: E402

SECONDS_PER = {"s": 1.0, "ms": 1e-3, "us": 1e-6}


def parse_arguments(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workloads", default=",".join(WORKLOADS),
                        help=f"comma-separated, from: {', '.join(WORKLOADS)} (default: all)")
    parser.add_argument("--frameworks", default=",".join(FRAMEWORK_NAMES),
                        help=f"comma-separated, from: {', '.join(FRAMEWORK_NAMES)} (default: all installed)")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                        help="cuda: run the workloads that have a GPU version on the CPU and on the GPU")
    parser.add_argument("--repeats", type=int, default=None, help="timed samples per framework (default 10, quick 1)")
    parser.add_argument("--min-time", type=float, default=None,
                        help="seconds a sample lasts at least: fast steps are repeated within it (default 0.05)")
    parser.add_argument("--threads", type=int, default=int(THREADS),
                        help="threads for every library (default 2; set before NumPy loads)")
    parser.add_argument("--retain-freed-memory", action="store_true",
                        help="ask glibc to keep freed memory for reuse (mallopt), so that NumPy's large "
                             "temporaries stop costing page faults every step; torch does not churn memory so")
    parser.add_argument("--quick", action="store_true", help="tiny sizes and 1 repeat: a smoke test, not a measurement")
    parser.add_argument("--json", default=None, help="where to write the results (default benchmarks/results.json, "
                                                     "or benchmarks/results-quick.json with --quick)")
    parser.add_argument("--plot", default=None, help="also draw a bar chart to this file (needs matplotlib)")
    parser.add_argument("--list", action="store_true", help="list the workloads and exit")
    options = parser.parse_args(argv)
    options.workloads = _known(options.workloads, WORKLOADS, "workload", parser)
    options.frameworks = _known(options.frameworks, FRAMEWORK_NAMES, "framework", parser)
    if options.repeats is None:
        options.repeats = 1 if options.quick else 10
    if options.min_time is None:
        options.min_time = 0.0 if options.quick else 0.05
    if options.json is None:
        options.json = os.path.join(REPOSITORY, "benchmarks", "results-quick.json" if options.quick else "results.json")
    return options


def _known(names, known, kind, parser):
    chosen = [name.strip() for name in names.split(",") if name.strip()]
    for name in chosen:
        if name not in known:
            parser.error(f"unknown {kind} {name!r}: choose from {', '.join(known)}")
    return chosen


def main(argv=None):
    """Run the chosen workloads, print the tables, write the JSON file; return the results document."""
    options = parse_arguments(argv)
    if options.list:
        for name, workload in WORKLOADS.items():
            print(f"{name:12} {workload.TITLE} [{', '.join(workload.FRAMEWORKS)}; {', '.join(workload.DEVICES)}]")
        return None
    if options.retain_freed_memory:
        retain_freed_memory()
    document = {"meta": describe_machine(options), "results": [], "skipped": []}
    devices = _devices(options.device, document["skipped"])
    for name in options.workloads:
        workload = WORKLOADS[name]
        for size in workload.sizes(options.quick):
            for device in devices:
                if device in workload.DEVICES:
                    document["results"] += measure_workload(workload, size, device, options, document["skipped"])
    document["meta"]["load_average_end"] = list(os.getloadavg())
    report.add_ratios(document["results"])
    document["targets"] = report.evaluate_targets(document["results"])
    _print_summary(document, options)
    _write(document, options)
    return document


def retain_freed_memory():
    """Let glibc's malloc serve large blocks from its heap and keep freed memory there.

    By default a block over 128 KiB (up to a few MiB once malloc adapts) is mapped fresh from
    the kernel, and freed memory at the top of the heap goes back to it: NumPy code that
    makes and drops large temporaries every step then page-faults each of their pages again,
    every step. This is the process-wide switch (``mallopt``) behind the ``MALLOC_MMAP_THRESHOLD_``
    and ``MALLOC_TRIM_THRESHOLD_`` environment variables; the memory workload's fresh processes
    keep the defaults.
    """
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    m_trim_threshold, m_mmap_threshold = -1, -3
    if not (libc.mallopt(m_mmap_threshold, 32 * 2 ** 20) and libc.mallopt(m_trim_threshold, 2 ** 30)):
        raise RuntimeError("mallopt refused the thresholds: is this glibc?")


def _devices(device, skipped):
    if device == "cpu":
        return ["cpu"]
    try:
        require("tinygrad_edu", "cuda")
    except Unavailable as reason:
        print(f"skipping --device cuda: {reason}", flush=True)
        skipped.append({"device": "cuda", "reason": str(reason)})
        return []
    return ["cpu", "cuda"]


def measure_workload(workload, size, device, options, skipped):
    """Result rows for each chosen framework of ``workload`` at ``size`` on ``device``."""
    frameworks = [framework for framework in workload.FRAMEWORKS if framework in options.frameworks]
    if hasattr(workload, "measure"):
        return [row for row in (_measure_by_itself(workload, size, framework, skipped) for framework in frameworks)
                if row is not None]
    cases = {}
    for framework in frameworks:
        try:
            cases[framework] = workload.build(framework, size, device)
        except Unavailable as reason:
            _skip(skipped, workload, size, device, framework, str(reason))
    repeats = min(options.repeats, getattr(workload, "MAX_REPEATS", options.repeats))
    samples, numbers = time_cases(cases, repeats, options.min_time, workload.UNIT,
                                  lambda framework, error: _skip(skipped, workload, size, device, framework,
                                                                 f"failed: {type(error).__name__}: {error}"))
    rows = []
    for framework, values in samples.items():
        rows.append(_row(workload, size, device, framework, values, numbers=numbers[framework]))
    return rows


def _measure_by_itself(workload, size, framework, skipped):
    try:
        require(framework)
        readings = workload.measure(framework, size)
    except Unavailable as reason:
        return _skip(skipped, workload, size, "cpu", framework, str(reason))
    except RuntimeError as error:
        return _skip(skipped, workload, size, "cpu", framework, f"failed: {error}")
    return _row(workload, size, "cpu", framework, [readings["peak"]], memory=readings)


def _skip(skipped, workload, size, device, framework, reason):
    print(f"  skipping {FRAMEWORK_NAMES[framework]} on {workload.NAME} ({size['label']}, {device}): {reason}",
          flush=True)
    skipped.append({"workload": workload.NAME, "size": size["label"], "device": device, "framework": framework,
                    "reason": reason})


def _row(workload, size, device, framework, values, **extra):
    row = {"workload": workload.NAME, "title": workload.TITLE, "size": size["label"], "device": device,
           "framework": framework, "unit": workload.UNIT, "median": statistics.median(values), "min": min(values),
           "max": max(values), "samples": values, **extra}
    print(f"  {workload.NAME:10} {size['label']:40} {device:4} {FRAMEWORK_NAMES[framework]:14} "
          f"{report.number(row['median']):>8} {workload.UNIT}  (min {report.number(row['min'])}, "
          f"max {report.number(row['max'])})", flush=True)
    return row


# -- timing ---------------------------------------------------------------------------------

def time_cases(cases, repeats, min_time, unit, on_failure):
    """Time each Case ``repeats`` times, the frameworks taking turns; samples in ``unit`` (e.g. "ms/step").

    A sample runs the case ``number`` times in a row (enough to last ``min_time``) and
    keeps the mean. A case that raises is dropped and reported through ``on_failure``.
    """
    scale = SECONDS_PER[unit.split("/")[0]]
    numbers, samples = {}, {framework: [] for framework in cases}
    for framework, case in list(cases.items()):
        try:
            numbers[framework] = _calibrate(case, min_time)
        except Exception as error:  # a broken framework must not stop the others' measurements
            on_failure(framework, error)
            del cases[framework], samples[framework]
    for _ in range(repeats):
        for framework, case in list(cases.items()):
            try:
                samples[framework].append(_seconds(case, numbers[framework]) / scale)
            except Exception as error:
                on_failure(framework, error)
                del cases[framework], samples[framework]
    return samples, numbers


def _calibrate(case, min_time):
    """How many runs one sample needs to last ``min_time``, after a warm-up run (none for set-up cases)."""
    if case.setup is not None:
        return 1
    _seconds(case, 1)
    once = _seconds(case, 1) * case.per
    return max(1, min(1000, math.ceil(min_time / once))) if once > 0 else 1000


def _seconds(case, number):
    """Seconds per run (divided by ``case.per``): ``number`` timed runs after the untimed setup."""
    if case.setup is not None:
        case.setup()
    gc.collect()
    start = time.perf_counter()
    for _ in range(number):
        case.run()
    if case.sync is not None:
        case.sync()
    elapsed = time.perf_counter() - start
    if case.teardown is not None:
        case.teardown()
    return elapsed / number / case.per


# -- describing the run ---------------------------------------------------------------------

def describe_machine(options):
    return {"date": datetime.date.today().isoformat(), "cpu": _cpu_model(), "cores": os.cpu_count(),
            "threads_per_library": int(THREADS), "python": platform.python_version(), "platform": platform.platform(),
            "versions": _versions(), "git": _git_revision(), "load_average_start": list(os.getloadavg()),
            "options": {key: value for key, value in vars(options).items() if key != "list"}}


def _cpu_model():
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    except OSError:
        lscpu = ""
    for line in lscpu.splitlines():
        if line.startswith("Model name:"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _versions():
    versions = {}
    for package in ("tinygrad-edu", "numpy", "torch", "micrograd"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    return versions


def _git_revision():
    try:
        revision = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPOSITORY, capture_output=True,
                                  text=True).stdout.strip()
        changed = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPOSITORY,
                                 capture_output=True, text=True).stdout.strip()
    except OSError:
        return None
    return (revision + ("+uncommitted changes" if changed else "")) or None


def _print_summary(document, options):
    meta = document["meta"]
    print(f"\n{meta['date']}, {meta['cpu']}, {meta['cores']} cores, {meta['threads_per_library']} threads per "
          f"library, load average {_load(meta['load_average_start'])} at the start and "
          f"{_load(meta['load_average_end'])} at the end\n")
    print(report.results_table(document["results"]))
    gpu = report.device_table(document["results"])
    if gpu:
        print("\nCPU against GPU\n\n" + gpu)
    print("\nTargets" + (" (--quick sizes: not the targets' sizes)" if options.quick else "") + "\n")
    print(report.targets_table(document["targets"]))


def _load(averages):
    return "/".join(f"{value:.2f}" for value in averages)


def _write(document, options):
    with open(options.json, "w") as file:
        json.dump(document, file, indent=1)
    print(f"\nresults written to {options.json}")
    if options.plot:
        drawn = report.plot(document["results"], options.plot)
        print(f"plot written to {options.plot}" if drawn else "no plot: matplotlib is not installed")


if __name__ == "__main__":
    main()
