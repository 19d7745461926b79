"""tinygrad_edu: a readable autograd engine over NumPy (CuPy on a GPU), mirroring PyTorch.

>>> import tinygrad_edu as tg
>>> x = tg.tensor([1.0, 2.0], requires_grad=True)
>>> (x * x).sum().backward()
>>> x.grad
tensor([2., 4.])
"""
from importlib.metadata import PackageNotFoundError as _NotInstalled, version as _installed_version

try:
    __version__ = _installed_version("tinygrad-edu")
except _NotInstalled:  # imported from a source tree that pip has not installed
    __version__ = "0+unknown"

from tinygrad_edu.dtypes import (bool_ as bool, uint8, int8, int16, int32, int64, float16, float32, float64,  # noqa: A004
                                DType as dtype, get_default_dtype, set_default_dtype)
from tinygrad_edu.device import Device as device, get_default_device, set_default_device
from tinygrad_edu.graph import (no_grad, enable_grad, set_grad_enabled, inference_mode, is_grad_enabled,
                                is_inference_mode_enabled)
from tinygrad_edu.random import Generator, manual_seed, seed, initial_seed, get_rng_state, set_rng_state
from tinygrad_edu.tensor import Tensor, Size, where, broadcast_shapes
from tinygrad_edu.creation import (tensor, as_tensor, from_numpy, zeros, ones, empty, full, zeros_like, ones_like,
                                   empty_like, full_like, arange, linspace, eye, rand, randn, rand_like, randn_like,
                                   randint, randint_like, randperm, normal, bernoulli, multinomial, from_dlpack)
from tinygrad_edu.functions import (cat, concat, concatenate, stack, hstack, vstack, pad, einsum, numel, is_tensor,
                                    broadcast_tensors)
from tinygrad_edu.functions import var_mean, std_mean
from tinygrad_edu import autograd, cuda, linalg

half, float, double, long, int, short = float16, float32, float64, int64, int32, int16  # noqa: A001

_TENSOR_METHODS_AS_FUNCTIONS = (
    "add sub mul div neg pow exp log log1p sqrt rsqrt sin cos tanh sigmoid relu abs sign clamp clip maximum "
    "minimum sum mean prod max min amax amin argmax argmin var std logsumexp softmax log_softmax matmul mm bmm "
    "dot reshape flatten unflatten squeeze unsqueeze transpose permute t gather index_select masked_fill tril "
    "triu split chunk unbind narrow flip any all isnan isinf isfinite eq ne lt le gt ge square reciprocal "
    "cumsum clone detach allclose equal lerp addcmul addcdiv select repeat_interleave logical_not"
).split()
_TENSOR_METHODS_AS_FUNCTIONS += (
    "topk sort argsort kthvalue norm nonzero argwhere masked_select unique scatter scatter_add roll diagonal diag "
    "diag_embed cumprod outer ger cross addmm baddbmm isclose clamp_min clamp_max floor_divide remainder fmod floor "
    "ceil round trunc fix frac erf erfc erfinv divide median"
).split()


def _method_as_function(name):
    def function(input, *args, **kwargs):
        return getattr(input, name)(*args, **kwargs)
    function.__name__ = function.__qualname__ = name
    function.__doc__ = getattr(getattr(Tensor, name, None), "__doc__", None)
    return function


for _name in _TENSOR_METHODS_AS_FUNCTIONS:
    if hasattr(Tensor, _name):
        globals()[_name] = _method_as_function(_name)
del _name

from tinygrad_edu.scalar import Value  # noqa: E402
from tinygrad_edu.viz import draw_graph  # noqa: E402
from tinygrad_edu import nn, optim, utils, datasets, transforms  # noqa: E402
from tinygrad_edu.serialization import save, load  # noqa: E402
from tinygrad_edu.printing import set_printoptions  # noqa: E402
from tinygrad_edu.legacy_types import *  # noqa: E402,F403  (FloatTensor, LongTensor... as torch's legacy types)
from tinygrad_edu.compiler import compile  # noqa: E402,A004
from tinygrad_edu import accelerator, backends, compiler, distributed, multiprocessing, onnx  # noqa: E402
from tinygrad_edu.settings import (use_deterministic_algorithms, are_deterministic_algorithms_enabled,  # noqa: E402
                                   is_deterministic_algorithms_warn_only_enabled, set_float32_matmul_precision,
                                   get_float32_matmul_precision, set_num_threads, get_num_threads)
from tinygrad_edu import distributions  # noqa: E402
from tinygrad_edu import amp  # noqa: E402
from tinygrad_edu.amp import autocast  # noqa: E402
