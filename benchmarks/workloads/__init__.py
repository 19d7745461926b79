"""The workloads, in the order the suite runs them.

A workload module names itself (NAME, TITLE), the unit of its result (UNIT: "ms/step",
"us/op", "MiB"...), its FRAMEWORKS and DEVICES, and ``sizes(quick)``.
It either builds a timed Case per framework and size (``build(framework, size, device)``)
or measures itself (``measure(framework, size)``, the memory workload). The workloads
with a hand-written NumPy version also give ``gradients(framework, size)``, which the
tests use to check that every framework computes the same math.
"""
from benchmarks.workloads import cnn, deep_chain, lstm, matmul, memory, mlp, per_op, resnet, scalar

WORKLOADS = {module.NAME: module for module in (per_op, mlp, cnn, resnet, lstm, matmul, scalar, deep_chain, memory)}
