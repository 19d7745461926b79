"""Peak memory of training the MLP at batch 1024, and whether memory grows over 1,000 steps.

Each framework trains in a fresh process (``python -m benchmarks.workloads.memory``)
so that nothing another framework loaded is counted. The process reads its own
``VmHWM`` (peak resident memory) and ``VmRSS`` (current) from ``/proc/self/status``:
after importing the framework, after a few warm-up steps, and after the last step.
The peak includes the interpreter and the framework's own libraries (torch's are large).
"""
import json
import os
import subprocess
import sys

NAME = "memory"
TITLE = "peak memory of MLP training (VmHWM, fresh process)"
UNIT = "MiB"
FRAMEWORKS = ("tinygrad_edu", "torch", "numpy")
DEVICES = ("cpu",)
WARMUP_STEPS = 10
REPOSITORY = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def sizes(quick):
    if quick:
        return [{"label": "MLP batch 16, 5 steps (tiny)", "batch": 16, "image": 8, "hidden": 16, "steps": 5}]
    return [{"label": "MLP batch 1024, 1000 steps", "batch": 1024, "image": 28, "hidden": 512, "steps": 1000}]


def measure(framework, size):
    """Train in a fresh process; its memory readings in MiB (a dict), or RuntimeError with its stderr."""
    completed = subprocess.run([sys.executable, "-m", "benchmarks.workloads.memory", framework, json.dumps(size)],
                               cwd=REPOSITORY, capture_output=True, text=True, env=dict(os.environ))
    if completed.returncode != 0:
        raise RuntimeError(completed.stderr.strip().splitlines()[-1] if completed.stderr else "no output")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def memory_mib(field):
    """A field of /proc/self/status (VmHWM, VmRSS), in MiB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not found in /proc/self/status")


def train_and_report(framework, size):
    """Run the MLP training steps in this process and return the memory readings."""
    from benchmarks.workloads import common, mlp
    common.require(framework)
    readings = {"after_import_rss": memory_mib("VmRSS")}
    case = mlp.build(framework, size, "cpu")
    warmup = min(WARMUP_STEPS, size["steps"])
    for step in range(size["steps"]):
        case.run()
        if step + 1 == warmup:
            readings.update(warmup_peak=memory_mib("VmHWM"), warmup_rss=memory_mib("VmRSS"))
    readings.update(peak=memory_mib("VmHWM"), final_rss=memory_mib("VmRSS"), steps=size["steps"],
                    warmup_steps=warmup)
    return readings


if __name__ == "__main__":
    print(json.dumps(train_and_report(sys.argv[1], json.loads(sys.argv[2]))))
