#!/usr/bin/env bash
# Everything that needs a GPU, in one go (each step has a time limit; together under 8 minutes), its
# results in one folder:
#   1. install CuPy's wheels (cupy-cuda12x), unless CuPy already imports;
#   2. pytest -m gpu                       (tests/test_gpu.py: CuPy computes what NumPy does);
#   3. the whole suite with --device cuda  (every tensor a test makes lands on the GPU);
#   4. benchmarks/run.py --device cuda     (the workloads on the CPU and the GPU, and the table
#                                           of CPU against GPU).
#
#   bash benchmarks/gpu_check.sh               # on a machine with an NVIDIA GPU
#   bash benchmarks/gpu_check.sh --stand-in    # without one: the same steps on the CuPy stand-in
#                                              # (tests/stand_in_device.py), nothing installed
#
# Results go to $OUT when it is set, else runs/gpu_check/ (a relative path is taken from the repository
# root): one log per step, JUnit XML of the test runs, results.json and cpu_vs_gpu.md of the benchmark,
# and summary.txt (each step's exit status and time).
# Environment: PYTHON (default python3), GPU_CHECK_WHEELS (a folder of downloaded wheels, for a
# machine without internet: `pip download cupy-cuda12x -d DIR` elsewhere), GPU_CHECK_WORKERS (pytest
# processes for the whole suite, default half the cores, at most 8), GPU_CHECK_TESTS (what "the whole
# suite" runs, default tests), GPU_CHECK_WORKLOADS (default mlp,cnn,resnet,lstm,matmul).
set -u
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
RESULTS=${OUT:-runs/gpu_check}
CORES=$(nproc 2>/dev/null || echo 2)
WORKERS=${GPU_CHECK_WORKERS:-$(( CORES / 2 > 8 ? 8 : (CORES / 2 > 0 ? CORES / 2 : 1) ))}
TESTS=${GPU_CHECK_TESTS:-tests}
WORKLOADS=${GPU_CHECK_WORKLOADS:-mlp,cnn,resnet,lstm,matmul}
MODE=cuda
if [ "${1:-}" = "--stand-in" ]; then MODE=stand_in; fi
mkdir -p "$RESULTS"
SUMMARY="$RESULTS/summary.txt"
: > "$SUMMARY"
STATUS=0

# step NAME SECONDS COMMAND...: run under a time limit, log to $RESULTS/NAME.log, note the outcome.
step() {
    local name=$1 limit=$2 start rc
    shift 2
    start=$(date +%s)
    echo "== $name: $*" | tee -a "$SUMMARY"
    timeout "$limit" "$@" > "$RESULTS/$name.log" 2>&1
    rc=$?
    [ $rc -eq 124 ] && echo "   timed out after ${limit} s" | tee -a "$SUMMARY"
    echo "   exit $rc, $(( $(date +%s) - start )) s; last line: $(tail -n 1 "$RESULTS/$name.log")" | tee -a "$SUMMARY"
    [ $rc -eq 0 ] || STATUS=1
    return $rc
}

{ echo "mode: $MODE; $(date -u '+%Y-%m-%d %H:%M UTC'); commit $(git rev-parse --short HEAD 2>/dev/null)"
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo "nvidia-smi: none"
} | tee -a "$SUMMARY"

if [ "$MODE" = cuda ]; then
    if ! "$PYTHON" -c "import cupy" 2>/dev/null; then
        if [ -n "${GPU_CHECK_WHEELS:-}" ]; then
            step install 90 "$PYTHON" -m pip install --no-index --find-links "$GPU_CHECK_WHEELS" cupy-cuda12x
        else
            step install 90 "$PYTHON" -m pip install cupy-cuda12x
        fi
    fi
    "$PYTHON" -c "import tinygrad_edu as tg; assert tg.cuda.is_available(), 'no usable GPU'" 2>&1 | tee -a "$SUMMARY"
    step pytest_gpu 90 "$PYTHON" -m pytest -q -p no:cacheprovider -m gpu -rs --junitxml="$RESULTS/pytest_gpu.xml"
    step suite_on_cuda 180 "$PYTHON" -m pytest -q -p no:cacheprovider $TESTS --device cuda -n "$WORKERS" \
        --dist loadfile --junitxml="$RESULTS/suite_on_cuda.xml"
    step benchmarks 120 "$PYTHON" benchmarks/run.py --device cuda --workloads "$WORKLOADS" --repeats 5 \
        --json "$RESULTS/results.json"
else
    echo "   (stand-in: no install; pytest -m gpu skips without CuPy)" | tee -a "$SUMMARY"
    step pytest_gpu 90 "$PYTHON" -m pytest -q -p no:cacheprovider -m gpu -rs --junitxml="$RESULTS/pytest_gpu.xml"
    step suite_on_stand_in 600 "$PYTHON" -m pytest -q -p no:cacheprovider $TESTS --device stand_in -n "$WORKERS" \
        --dist loadfile --junitxml="$RESULTS/suite_on_stand_in.xml"
    step benchmarks 300 "$PYTHON" benchmarks/stand_in_run.py --device cuda --workloads "$WORKLOADS" --quick \
        --json "$RESULTS/results.json"
fi
grep -A 200 "CPU against GPU" "$RESULTS/benchmarks.log" > "$RESULTS/cpu_vs_gpu.md" 2>/dev/null
echo "results in $RESULTS (overall exit $STATUS)" | tee -a "$SUMMARY"
exit $STATUS
