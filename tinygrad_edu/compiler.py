"""``tinygrad_edu.compile`` and ``tinygrad_edu.compiler``: torch's compiler entry points, as no-ops.

Every op here runs eagerly on NumPy (or CuPy); there is nothing to compile. So that programs
written for ``torch.compile`` run unchanged, ``compile(model)`` returns ``model`` itself and
warns once that nothing was compiled.

>>> model = tinygrad_edu.compile(model)          # the same model, run eagerly
>>> @tinygrad_edu.compile
... def step(x): ...
"""
import warnings

_warned = False


def compile(model=None, *, fullgraph=False, dynamic=None, backend="inductor", mode=None, options=None,  # noqa: A001
            disable=False):
    """Return ``model`` unchanged (or, called without one, a decorator that does), warning once.

    torch compiles the model into fused kernels; tinygrad_edu runs each op as it comes, so
    results are the same and the speed is that of the uncompiled model.
    """
    if model is None:
        return lambda function: compile(function, fullgraph=fullgraph, dynamic=dynamic, backend=backend,
                                        mode=mode, options=options, disable=disable)
    _warn_once()
    return model


def _warn_once():
    global _warned
    if not _warned:
        _warned = True
        warnings.warn("tinygrad_edu.compile does not compile: tinygrad_edu runs every op eagerly, so the model is "
                      "returned unchanged (same results, uncompiled speed)", UserWarning, stacklevel=3)


def is_compiling():
    """False: nothing here is ever being compiled."""
    return False


def disable(fn=None, recursive=True, *, reason=None):
    """``fn`` unchanged (nothing is compiled, so nothing to exclude); usable as a decorator."""
    return (lambda function: function) if fn is None else fn


def reset():
    """Nothing to reset: no compiled code is cached."""
