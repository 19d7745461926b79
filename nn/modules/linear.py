"""Linear layers: Identity, Linear (y = x Wᵀ + b) and Bilinear (y = x₁ᵀ W x₂ + b)."""
import math

import tinygrad_edu
from tinygrad_edu.autograd import Op
from tinygrad_edu.nn import init
from tinygrad_edu.nn.modules.module import Module
from tinygrad_edu.nn.parameter import Parameter


class _Linear(Op):
    """x Wᵀ (+ b) over the last axis, as one node: one matrix product forward, two backward."""
    backward_name = "AddmmBackward0"

    def forward(self, input, weight, bias=None):
        self.save_for_backward(input, weight)
        self.rows = math.prod(input.shape[:-1])
        output = input.reshape(self.rows, input.shape[-1]) @ weight.T     # (rows, in) @ (in, out)
        if bias is not None:
            output += bias
        return output.reshape(input.shape[:-1] + weight.shape[:1])

    def backward(self, grad_output):
        input, weight = self.saved_tensors
        out_features, in_features = weight.shape
        rows_of_grad = grad_output.reshape(self.rows, out_features)       # (rows, out)
        grad_input = grad_weight = grad_bias = None
        if self.needs_input_grad[0]:
            grad_input = (rows_of_grad @ weight).reshape(input.shape)  # (rows, out) @ (out, in)
        if self.needs_input_grad[1]:
            grad_weight = rows_of_grad.T @ input.reshape(self.rows, in_features)
        if len(self.needs_input_grad) == 3 and self.needs_input_grad[2]:
            grad_bias = rows_of_grad.sum(0)
        return grad_input, grad_weight, grad_bias


def linear(input, weight, bias=None):
    """y = input @ weight.T + bias over the last dimension of ``input``.

    ``input`` (*, in_features), ``weight`` (out_features, in_features), ``bias``
    (out_features) or None; the result is (*, out_features).

    >>> F.linear(tinygrad_edu.ones(2, 3), tinygrad_edu.ones(4, 3)).shape
    tinygrad_edu.Size([2, 4])
    """
    _check_linear_shapes(input, weight)
    if weight.dim() < 2:
        output = input.matmul(weight)
        return output if bias is None else output + bias
    if bias is None:
        return _Linear.apply(input, weight)
    if tuple(bias.shape) == tuple(weight.shape[:1]):
        return _Linear.apply(input, weight, bias)
    return _Linear.apply(input, weight) + bias


def _check_linear_shapes(input, weight):
    if input.dim() == 0 or weight.dim() == 0:
        raise RuntimeError("both arguments to linear need to be at least 1D, "
                           f"but they are {input.dim()}D and {weight.dim()}D")
    if weight.dim() > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {weight.dim()}D")
    if weight.dim() == 2 and input.shape[-1] != weight.shape[1]:
        rows = math.prod(input.shape[:-1])
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{input.shape[-1]} "
                           f"and {weight.shape[1]}x{weight.shape[0]})")
    if input.dtype != weight.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{input.dtype.c_name} != {weight.dtype.c_name}")


def bilinear(input1, input2, weight, bias=None):
    """y_k = input1 · weight[k] · input2 + bias_k for each output feature k.

    ``input1`` (*, in1), ``input2`` (*, in2) with the same leading dims, ``weight``
    (out, in1, in2), ``bias`` (out) or None; the result is (*, out).

    >>> F.bilinear(tinygrad_edu.ones(5, 2), tinygrad_edu.ones(5, 3), tinygrad_edu.ones(4, 2, 3)).shape
    tinygrad_edu.Size([5, 4])
    """
    _check_bilinear_shapes(input1, input2, weight, bias)
    out_features, in1_features, in2_features = weight.shape
    # x1 (*, in1) @ W as (in1, out * in2) → (*, out, in2); then dot with x2 over in2
    weight_by_input1 = weight.permute(1, 0, 2).reshape(in1_features, out_features * in2_features)
    projected = input1.matmul(weight_by_input1).reshape(*input1.shape[:-1], out_features, in2_features)
    output = (projected * input2.unsqueeze(-2)).sum(-1)         # (*, out)
    return output if bias is None else output + bias


def _check_bilinear_shapes(input1, input2, weight, bias):
    if input1.dim() != input2.dim():
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {input1.dim()} and {input2.dim()}")
    for axis in range(input1.dim() - 1):
        if input1.shape[axis] != input2.shape[axis]:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {axis}: "
                               f"got {input1.shape[axis]} and {input2.shape[axis]}")
    if input1.shape[-1] != weight.shape[1]:
        raise RuntimeError("bilinear(): input1 size does not match weight size: "
                           f"got {input1.shape[-1]} but expected {weight.shape[1]}")
    if input2.shape[-1] != weight.shape[2]:
        raise RuntimeError("bilinear(): input2 size does not match weight size: "
                           f"got {input2.shape[-1]} but expected {weight.shape[2]}")
    if bias is not None and bias.shape[-1] != weight.shape[0]:
        raise RuntimeError("bilinear(): bias size does not match weight size: "
                           f"got {bias.shape[-1]} but expected {weight.shape[0]}")


class Identity(Module):
    """A placeholder layer that returns its input unchanged; its arguments are ignored.

    >>> nn.Identity(54, unused="argument")(x) is x
    True
    """

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """Applies y = x Wᵀ + b to the last dimension of its input.

    ``weight`` (out_features, in_features) starts as kaiming_uniform_(a=√5), i.e.
    U(-1/√in_features, 1/√in_features), and so does ``bias`` (out_features).

    >>> layer = nn.Linear(784, 512)
    >>> layer
    Linear(in_features=784, out_features=512, bias=True)
    >>> layer(tinygrad_edu.rand(3, 784)).shape
    tinygrad_edu.Size([3, 512])
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(tinygrad_edu.empty(out_features, in_features, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(tinygrad_edu.empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Draw the weights again, as at construction."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        return linear(input, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Bilinear(Module):
    """Applies y = x₁ᵀ A x₂ + b: one bilinear form per output feature.

    ``weight`` (out_features, in1_features, in2_features) and ``bias``
    (out_features) start as U(-1/√in1_features, 1/√in1_features).

    >>> nn.Bilinear(20, 30, 40)(tinygrad_edu.randn(128, 20), tinygrad_edu.randn(128, 30)).shape
    tinygrad_edu.Size([128, 40])
    """

    def __init__(self, in1_features, in2_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        shape = (out_features, in1_features, in2_features)
        self.weight = Parameter(tinygrad_edu.empty(*shape, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(tinygrad_edu.empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Draw the weights again, as at construction."""
        bound = 1 / math.sqrt(self.weight.shape[1])
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        return bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self):
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")


class NonDynamicallyQuantizableLinear(Linear):
    """A Linear under torch's name for ``MultiheadAttention.out_proj`` (same repr, same state_dict)."""
