"""Turning measurements into ratios, tables, the targets' verdicts and an optional plot.

A result row is a dict: workload, size (a label), device, framework, unit, median, min,
max, samples. ``add_ratios`` adds, per row, its median divided by the median of each
baseline (PyTorch, NumPy by hand, micrograd) measured on the same workload, size and device.
"""
from benchmarks.workloads.common import FRAMEWORK_NAMES

BASELINES = ("torch", "numpy", "micrograd")
MEMORY_GROWTH_ALLOWED = 0.02  # "no growth": resident memory after the last step within 2% of the peak


def add_ratios(rows):
    """Give every row ``ratios`` (of medians) and ``ratios_of_minimums`` against each baseline measured beside it."""
    for row in rows:
        row["ratios"], row["ratios_of_minimums"] = {}, {}
        for baseline in BASELINES:
            other = find(rows, row["workload"], baseline, row["size"], row["device"])
            if other is not None and other["median"] > 0 and other["min"] > 0:
                row["ratios"][baseline] = row["median"] / other["median"]
                row["ratios_of_minimums"][baseline] = row["min"] / other["min"]
    return rows


def find(rows, workload, framework, size=None, device="cpu"):
    """The row of ``framework`` on ``workload`` (the first size when ``size`` is None), or None."""
    for row in rows:
        if (row["workload"], row["framework"], row["device"]) == (workload, framework, device) and \
                size in (None, row["size"]):
            return row
    return None


def number(value):
    """Three significant digits, without exponents for ordinary sizes."""
    if value is None:
        return "—"
    if abs(value) >= 100:
        return f"{value:.0f}"
    return f"{value:.3g}" if abs(value) >= 0.001 else f"{value:.2e}"


def ratio(value):
    return "—" if value is None else f"{value:.2f}x"


def results_table(rows):
    """A Markdown table of every row: median, min–max and the ratios against the baselines."""
    lines = ["| workload | size | device | framework | median | min–max | × PyTorch | × NumPy | × micrograd |",
             "|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        ratios = row.get("ratios", {})
        lines.append(f"| {row['workload']} | {row['size']} | {row['device']} | {FRAMEWORK_NAMES[row['framework']]} | "
                     f"{number(row['median'])} {row['unit']} | {number(row['min'])}–{number(row['max'])} | "
                     + " | ".join(ratio(ratios.get(baseline)) for baseline in BASELINES) + " |")
    return "\n".join(lines)


def device_table(rows):
    """CPU against GPU for every workload, size and framework measured on both; empty without GPU rows."""
    lines = []
    for row in rows:
        if row["device"] != "cuda":
            continue
        cpu = find(rows, row["workload"], row["framework"], row["size"], "cpu")
        if cpu is None:
            continue
        lines.append(f"| {row['workload']} | {row['size']} | {FRAMEWORK_NAMES[row['framework']]} | "
                     f"{number(cpu['median'])} {row['unit']} | {number(row['median'])} {row['unit']} | "
                     f"{cpu['median'] / row['median']:.1f}x |")
    if not lines:
        return ""
    return "\n".join(["| workload | size | framework | CPU median | GPU median | GPU speedup |",
                      "|---|---|---|---|---|---|"] + lines)


# -- the targets ------------------------------------------------------------------------

def evaluate_targets(rows):
    """Each target of the suite with what was measured and whether it is met (None: not measured)."""
    targets = [_per_op(rows)]
    targets += [_against(rows, "mlp", row["size"], "numpy", 1.10) for row in _sizes(rows, "mlp")]
    targets += [_against(rows, workload, row["size"], "torch", 1.5)
                for workload in ("cnn", "resnet", "lstm") for row in _sizes(rows, workload)]
    targets += [_against(rows, "matmul", row["size"], "numpy", 1.05) for row in _sizes(rows, "matmul")]
    targets += [_scalar(rows), _chain_linear(rows), _chain_against_torch(rows), _memory_peak(rows),
                _memory_growth(rows)]
    return targets


def _sizes(rows, workload):
    return [row for row in rows if row["workload"] == workload and row["framework"] == "tinygrad_edu"
            and row["device"] == "cpu"]


def _target(name, goal, measured, met):
    return {"target": name, "goal": goal, "measured": measured, "met": met}


def _not_measured(name, goal):
    return _target(name, goal, "not measured", None)


def _ratio_of(rows, workload, size, baseline):
    ours, theirs = find(rows, workload, "tinygrad_edu", size), find(rows, workload, baseline, size)
    if ours is None or theirs is None:
        return None
    return ours["median"] / theirs["median"]


def _against(rows, workload, size, baseline, limit):
    name = f"{workload} ({size})"
    goal = f"<= {limit:.2f}x {FRAMEWORK_NAMES[baseline]}"
    value = _ratio_of(rows, workload, size, baseline)
    if value is None:
        return _not_measured(name, goal)
    return _target(name, goal, f"{value:.2f}x", value <= limit)


def _per_op(rows):
    name, goal = "per-op overhead (fwd+bwd)", "<= PyTorch eager"
    value = _ratio_of(rows, "per_op", None, "torch")
    if value is None:
        return _not_measured(name, goal)
    ours = find(rows, "per_op", "tinygrad_edu")
    theirs = find(rows, "per_op", "torch")
    return _target(name, goal, f"{number(ours['median'])} vs {number(theirs['median'])} {ours['unit']} "
                               f"({value:.2f}x)", value <= 1)


def _scalar(rows):
    name, goal = "scalar engine vs micrograd", ">= 3x faster than micrograd"
    value = _ratio_of(rows, "scalar", None, "micrograd")
    if value is None:
        return _not_measured(name, goal)
    return _target(name, goal, f"{1 / value:.2f}x faster", 1 / value >= 3)


def _chain_linear(rows):
    name, goal = "deep chain backward linear in depth", "time per node at the deepest within 1.5x of the shallowest"
    depths = _sizes(rows, "deep_chain")
    if len(depths) < 2:
        return _not_measured(name, goal)
    shallow, deep = depths[0], depths[-1]
    growth = deep["median"] / shallow["median"]
    return _target(name, goal, ", ".join(f"{row['size']}: {number(row['median'])} {row['unit']}" for row in depths)
                   + f" ({growth:.2f}x)", growth <= 1.5)


def _chain_against_torch(rows):
    depths = _sizes(rows, "deep_chain")
    deepest = depths[-1]["size"] if depths else "deepest"
    return _against(rows, "deep_chain", deepest, "torch", 1.0) | {"target": f"deep chain backward ({deepest})"}


def _memory_peak(rows):
    name, goal = "peak memory of MLP training", "<= 1.30x NumPy by hand"
    value = _ratio_of(rows, "memory", None, "numpy")
    if value is None:
        return _not_measured(name, goal)
    ours, theirs = find(rows, "memory", "tinygrad_edu"), find(rows, "memory", "numpy")
    return _target(name, goal, f"{number(ours['median'])} vs {number(theirs['median'])} MiB ({value:.2f}x)",
                   value <= 1.3)


def _memory_growth(rows):
    name = "no memory growth over the training steps"
    goal = f"RSS growth after warm-up <= {MEMORY_GROWTH_ALLOWED:.0%} of peak"
    ours = find(rows, "memory", "tinygrad_edu")
    if ours is None:
        return _not_measured(name, goal)
    readings = ours["memory"]
    growth = readings["final_rss"] - readings["warmup_rss"]
    return _target(name, goal, f"{growth:+.1f} MiB from step {readings['warmup_steps']} to step {readings['steps']} "
                               f"(peak {readings['peak'] - readings['warmup_peak']:+.1f} MiB)",
                   growth <= MEMORY_GROWTH_ALLOWED * readings["peak"])


def targets_table(targets):
    verdicts = {True: "met", False: "**missed**", None: "not measured"}
    lines = ["| target | goal | measured | verdict |", "|---|---|---|---|"]
    lines += [f"| {t['target']} | {t['goal']} | {t['measured']} | {verdicts[t['met']]} |" for t in targets]
    return "\n".join(lines)


# -- plot -------------------------------------------------------------------------------------

def plot(rows, path):
    """A bar chart of tinygrad_edu's time relative to each baseline; False without matplotlib."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        from matplotlib import pyplot
    except ImportError:
        return False
    ours = [row for row in rows if row["framework"] == "tinygrad_edu" and row["ratios"]]
    figure, axes = pyplot.subplots(figsize=(9, 0.5 * len(ours) + 1.5))
    for offset, baseline in zip((-0.27, 0, 0.27), BASELINES):
        measured = [(position, row["ratios"][baseline]) for position, row in enumerate(ours)
                    if baseline in row["ratios"]]
        if measured:
            positions, ratios = zip(*measured)
            axes.barh([p + offset for p in positions], ratios, height=0.27, label=f"vs {FRAMEWORK_NAMES[baseline]}")
    axes.axvline(1, color="black", linewidth=0.8)
    axes.set_yticks(range(len(ours)), [f"{row['workload']} {row['size']} [{row['device']}]" for row in ours])
    axes.set_xscale("log")
    axes.set_xlabel("tinygrad_edu's median relative to the baseline's (lower is better)")
    axes.legend()
    figure.tight_layout()
    figure.savefig(path)
    return True
