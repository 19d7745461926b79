"""Activation functions: the layers (``nn.ReLU()``) and their functional forms (``F.relu``).

Each function is composed from Tensor operations, so autograd differentiates it
without a backward of its own; a few get a small ``Function`` where a composition
would be inexact (the normal CDF inside GELU, hardtanh's open interval, a
log-sigmoid that never overflows).

``inplace=True`` writes the result into the input tensor and returns it, as torch
does; it saves memory but the input's old values are gone.
"""
import math
import warnings

import tinygrad_edu
from tinygrad_edu.autograd import Function
from tinygrad_edu.nn.attention import attention
from tinygrad_edu.nn.init import constant_, xavier_normal_, xavier_uniform_
from tinygrad_edu.nn.modules.linear import NonDynamicallyQuantizableLinear, linear
from tinygrad_edu.nn.modules.module import Module
from tinygrad_edu.nn.parameter import Parameter


def _maybe_inplace(function, input, inplace):
    """``function(input)``; with ``inplace``, the input tensor overwritten by it and returned.

    While autograd records, the function runs on a clone of the input, so the values it
    saves for backward are not the ones being overwritten.
    """
    if not inplace:
        return function(input)
    recording = input.requires_grad and tinygrad_edu.is_grad_enabled()
    return input.copy_(function(input.clone() if recording else input))


# ---- functional forms ---------------------------------------------------------------
def relu(input, inplace=False):
    """max(0, x) elementwise. ``inplace=True`` overwrites ``input``."""
    return input.relu_() if inplace else input.relu()


def sigmoid(input):
    """1 / (1 + exp(-x)) elementwise."""
    return input.sigmoid()


def tanh(input):
    """Hyperbolic tangent elementwise."""
    return input.tanh()


def softmax(input, dim=None, dtype=None):
    """exp(x) / sum(exp(x)) along ``dim``, computed stably."""
    return input.softmax(dim, dtype=dtype)


def log_softmax(input, dim=None, dtype=None):
    """log(softmax(x)) along ``dim``, computed stably as x - logsumexp(x)."""
    return input.log_softmax(dim, dtype=dtype)


def binary_step(input):
    """1 where input >= 0, else 0 (the Heaviside step with H(0) = 1).

    Its gradient is zero everywhere (the step is flat on both sides, and the jump
    at 0 has no derivative), so a network that uses it cannot learn through it by
    gradient descent; backward runs and yields zeros.

    >>> F.binary_step(tinygrad_edu.tensor([-2.0, 0.0, 3.0]))
    tensor([0., 1., 1.])
    """
    return _BinaryStep.apply(input)


class _BinaryStep(Function):
    def forward(self, x):
        return (x >= 0).astype(x.dtype)

    def backward(self, grad_output):
        return grad_output * 0


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x where x > 0, else negative_slope * x."""
    return _maybe_inplace(lambda x: x.where(x > 0, x * negative_slope), input, inplace)


def elu(input, alpha=1.0, inplace=False):
    """x where x > 0, else alpha * (exp(x) - 1)."""
    # clamp: exp never overflows in the branch that where() discards
    return _maybe_inplace(lambda x: x.where(x > 0, alpha * (x.clamp(max=0).exp() - 1)), input, inplace)


def gelu(input, approximate="none"):
    """x * Φ(x), Φ the standard normal CDF; ``approximate='tanh'`` uses
    0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))).

    >>> F.gelu(tinygrad_edu.tensor([-1.0, 0.0, 1.0]))
    tensor([-0.1587,  0.0000,  0.8413])
    """
    if approximate == "none":
        return input * _StandardNormalCdf.apply(input)
    if approximate == "tanh":
        inner = math.sqrt(2 / math.pi) * (input + 0.044715 * input * input * input)
        return 0.5 * input * (1 + inner.tanh())
    raise RuntimeError("approximate argument must be either none or tanh.")


def silu(input, inplace=False):
    """x * sigmoid(x), also called swish."""
    return _maybe_inplace(lambda x: x * x.sigmoid(), input, inplace)


def mish(input, inplace=False):
    """x * tanh(softplus(x))."""
    return _maybe_inplace(lambda x: x * softplus(x).tanh(), input, inplace)


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + exp(beta * x)) / beta, and x itself where beta * x > threshold."""
    scaled = input * beta
    smooth = scaled.clamp(max=threshold).exp().log1p() / beta
    return input.where(scaled > threshold, smooth)


def logsigmoid(input):
    """log(sigmoid(x)) = -softplus(-x), computed without overflow for any x."""
    return _LogSigmoid.apply(input)


class _LogSigmoid(Function):
    def forward(self, x):
        xp = self.xp
        self.save_for_backward(x)
        return xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x)))

    def backward(self, grad_output):
        x, = self.saved_tensors
        return grad_output * (-x).sigmoid()


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """x clipped to [min_val, max_val]; the gradient is 1 strictly inside, 0 elsewhere."""
    return _maybe_inplace(lambda x: _Hardtanh.apply(x, min_val=min_val, max_val=max_val), input, inplace)


class _Hardtanh(Function):
    def forward(self, x, min_val, max_val):
        self.save_for_backward((x <= min_val) | (x >= max_val))  # not NaN: torch passes its gradient on
        return self.xp.clip(x, min_val, max_val).astype(x.dtype, copy=False)

    def backward(self, grad_output):
        outside, = self.saved_tensors
        return grad_output.masked_fill(outside, 0)


def relu6(input, inplace=False):
    """min(max(0, x), 6)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def _threshold(input, threshold, value, inplace=False):
    """x where x > threshold, else ``value``."""
    return _maybe_inplace(lambda x: x.masked_fill(x <= threshold, value), input, inplace)


threshold = _threshold  # exported as F.threshold, like torch


# ---- the standard normal CDF, for the exact GELU -------------------------------------
# Chebyshev coefficients of erfc (Numerical Recipes, 3rd ed., section 6.2.2).
_ERFC_COEFFICIENTS = (
    -1.3026537197817094, 6.4196979235649026e-1, 1.9476473204185836e-2, -9.561514786808631e-3,
    -9.46595344482036e-4, 3.66839497852761e-4, 4.2523324806907e-5, -2.0278578112534e-5,
    -1.624290004647e-6, 1.303655835580e-6, 1.5626441722e-8, -8.5238095915e-8, 6.529054439e-9,
    5.059343495e-9, -9.91364156e-10, -2.27365122e-10, 9.6467911e-11, 2.394038e-12,
    -6.886027e-12, 8.94487e-13, 3.13092e-13, -1.12708e-13, 3.81e-16, 7.106e-15,
    -1.523e-15, -9.4e-17, 1.21e-16, -2.8e-17)


def _erfc_of_nonnegative(xp, z):
    """erfc(z) for z >= 0, relative error below 1e-13 in float64 (Clenshaw's recurrence)."""
    t = 2 / (2 + z)
    ty = 4 * t - 2
    d = dd = xp.zeros_like(z)
    for coefficient in _ERFC_COEFFICIENTS[:0:-1]:
        d, dd = ty * d - dd + coefficient, d
    return t * xp.exp(-z * z + 0.5 * (_ERFC_COEFFICIENTS[0] + ty * d) - dd)


class _StandardNormalCdf(Function):
    """Φ(x) = P(N(0, 1) <= x); its derivative is the normal density exp(-x²/2)/√(2π)."""

    def forward(self, x):
        self.save_for_backward(x)
        upper_tail = 0.5 * _erfc_of_nonnegative(self.xp, self.xp.abs(x) * math.sqrt(0.5))  # P(N > |x|)
        return self.xp.where(x >= 0, 1 - upper_tail, upper_tail)

    def backward(self, grad_output):
        x, = self.saved_tensors
        return grad_output * (x * x * -0.5).exp() * (1 / math.sqrt(2 * math.pi))


def _legacy_softmax_dim(name, ndim):
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. "
                  "Change the call to include dim=X as an argument.", stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


# ---- layers -----------------------------------------------------------------------------
def _inplace_suffix(inplace, separator=", "):
    return f"{separator}inplace=True" if inplace else ""


class ReLU(Module):
    """max(0, x) elementwise.

    >>> nn.ReLU()(tinygrad_edu.tensor([-1.0, 2.0]))
    tensor([0., 2.])
    """

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return relu(input, inplace=self.inplace)

    def extra_repr(self):
        return _inplace_suffix(self.inplace, "")


class LeakyReLU(Module):
    """x for x > 0, negative_slope * x otherwise.

    >>> nn.LeakyReLU(0.1)(tinygrad_edu.tensor([-1.0, 2.0]))
    tensor([-0.1000,  2.0000])
    """

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input):
        return leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}{_inplace_suffix(self.inplace)}"


class ELU(Module):
    """x for x > 0, alpha * (exp(x) - 1) otherwise.

    >>> nn.ELU()(tinygrad_edu.tensor([-1.0, 2.0]))
    tensor([-0.6321,  2.0000])
    """

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input):
        return elu(input, self.alpha, self.inplace)

    def extra_repr(self):
        return f"alpha={self.alpha}{_inplace_suffix(self.inplace)}"


class GELU(Module):
    """x * Φ(x) (Gaussian error linear unit); ``approximate='tanh'`` for the tanh formula.

    >>> nn.GELU()(tinygrad_edu.tensor([1.0]))
    tensor([0.8413])
    """

    def __init__(self, approximate="none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, input):
        return gelu(input, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """x * sigmoid(x).

    >>> nn.SiLU()(tinygrad_edu.tensor([1.0]))
    tensor([0.7311])
    """

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return silu(input, inplace=self.inplace)

    def extra_repr(self):
        return _inplace_suffix(self.inplace, "")


class Mish(Module):
    """x * tanh(softplus(x)).

    >>> nn.Mish()(tinygrad_edu.tensor([1.0]))
    tensor([0.8651])
    """

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return mish(input, inplace=self.inplace)

    def extra_repr(self):
        return _inplace_suffix(self.inplace, "")


class Sigmoid(Module):
    """1 / (1 + exp(-x)), squashing any value into (0, 1).

    >>> nn.Sigmoid()(tinygrad_edu.tensor([0.0]))
    tensor([0.5000])
    """

    def forward(self, input):
        return sigmoid(input)


class Tanh(Module):
    """Hyperbolic tangent, squashing any value into (-1, 1).

    >>> nn.Tanh()(tinygrad_edu.tensor([0.0]))
    tensor([0.])
    """

    def forward(self, input):
        return tanh(input)


class LogSigmoid(Module):
    """log(sigmoid(x)), computed stably.

    >>> nn.LogSigmoid()(tinygrad_edu.tensor([0.0]))
    tensor([-0.6931])
    """

    def forward(self, input):
        return logsigmoid(input)


class Softmax(Module):
    """exp(x) / sum(exp(x)) along ``dim``: each slice becomes a probability distribution.

    >>> nn.Softmax(dim=1)(tinygrad_edu.zeros(1, 4))
    tensor([[0.2500, 0.2500, 0.2500, 0.2500]])
    """

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        dim = self.dim if self.dim is not None else _legacy_softmax_dim("softmax", input.dim())
        return softmax(input, dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """log(softmax(x)) along ``dim``, computed stably as x - logsumexp(x).

    >>> nn.LogSoftmax(dim=1)(tinygrad_edu.zeros(1, 2))
    tensor([[-0.6931, -0.6931]])
    """

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        dim = self.dim if self.dim is not None else _legacy_softmax_dim("log_softmax", input.dim())
        return log_softmax(input, dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class Softplus(Module):
    """log(1 + exp(beta * x)) / beta, a smooth ReLU; linear where beta * x > threshold.

    >>> nn.Softplus()(tinygrad_edu.tensor([0.0]))
    tensor([0.6931])
    """

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input):
        return softplus(input, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class Hardtanh(Module):
    """x clipped to [min_val, max_val].

    >>> nn.Hardtanh()(tinygrad_edu.tensor([-3.0, 0.5, 3.0]))
    tensor([-1.0000,  0.5000,  1.0000])
    """

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False):
        super().__init__()
        if max_val <= min_val:
            raise AssertionError(f"max_val ({max_val}) must be greater than min_val ({min_val})")
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace

    def forward(self, input):
        return hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}{_inplace_suffix(self.inplace)}"


class ReLU6(Hardtanh):
    """min(max(0, x), 6).

    >>> nn.ReLU6()(tinygrad_edu.tensor([-1.0, 8.0]))
    tensor([0., 6.])
    """

    def __init__(self, inplace=False):
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self):
        return _inplace_suffix(self.inplace, "")


class Threshold(Module):
    """x where x > threshold, else ``value``.

    >>> nn.Threshold(0.1, 20.0)(tinygrad_edu.tensor([0.0, 0.5]))
    tensor([20.0000,  0.5000])
    """

    def __init__(self, threshold, value, inplace=False):
        super().__init__()
        self.threshold = threshold
        self.value = value
        self.inplace = inplace

    def forward(self, input):
        return _threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self):
        return f"threshold={self.threshold}, value={self.value}{_inplace_suffix(self.inplace)}"


class BinaryStep(Module):
    """1 where x >= 0, else 0: the step activation of the first perceptrons.

    Its gradient is zero everywhere, so layers before it receive no learning
    signal: use it to see why differentiable activations replaced it.

    >>> nn.BinaryStep()(tinygrad_edu.tensor([-0.5, 0.0, 2.0]))
    tensor([0., 1., 1.])
    """

    def forward(self, input):
        return binary_step(input)


# ---- multi-head attention (torch keeps it here too) ------------------------------------
class MultiheadAttention(Module):
    """Attention from ``num_heads`` heads side by side, each on ``embed_dim // num_heads`` features.

    ``forward(query, key, value)`` returns ``(attn_output, attn_weights)``: query (L, N, E),
    key (S, N, kdim), value (S, N, vdim) -> output (L, N, E) and weights (N, L, S) averaged
    over heads (``average_attn_weights=False``: (N, num_heads, L, S); ``need_weights=False``:
    None). ``batch_first=True`` puts N first; unbatched inputs drop N. Masks use torch's
    convention: True in a bool ``attn_mask`` or ``key_padding_mask`` means *do not attend*;
    a float mask is added to the scores.

    >>> mha = MultiheadAttention(16, 4, batch_first=True)
    >>> x = tinygrad_edu.randn(2, 5, 16)                          # (N, L, E)
    >>> out, weights = mha(x, x, x)
    >>> out.shape, weights.shape
    (tinygrad_edu.Size([2, 5, 16]), tinygrad_edu.Size([2, 5, 5]))
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False, add_zero_attn=False,
                 kdim=None, vdim=None, batch_first=False, device=None, dtype=None):
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got embed_dim={embed_dim} "
                             f"and num_heads={num_heads} instead")
        super().__init__()
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != embed_dim:
            raise AssertionError("embed_dim must be divisible by num_heads")

        def new_parameter(*shape):
            return Parameter(tinygrad_edu.empty(*shape, dtype=dtype, device=device))

        if self._qkv_same_embed_dim:
            self.in_proj_weight = new_parameter(3 * embed_dim, embed_dim)
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.q_proj_weight = new_parameter(embed_dim, embed_dim)
            self.k_proj_weight = new_parameter(embed_dim, self.kdim)
            self.v_proj_weight = new_parameter(embed_dim, self.vdim)
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = new_parameter(3 * embed_dim)
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, device=device, dtype=dtype)
        if add_bias_kv:
            self.bias_k = new_parameter(1, 1, embed_dim)
            self.bias_v = new_parameter(1, 1, embed_dim)
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self):
        """Xavier-uniform projections, zero biases, Xavier-normal bias_k/bias_v, as torch."""
        if self._qkv_same_embed_dim:
            xavier_uniform_(self.in_proj_weight)
        else:
            for weight in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                xavier_uniform_(weight)
        if self.in_proj_bias is not None:
            constant_(self.in_proj_bias, 0.0)
            constant_(self.out_proj.bias, 0.0)
        for extra_bias in (self.bias_k, self.bias_v):
            if extra_bias is not None:
                xavier_normal_(extra_bias)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        """Attend from ``query`` to ``key``/``value``; return ``(attn_output, attn_weights or None)``.

        ``is_causal`` is only a hint that ``attn_mask`` is the causal mask, as in torch:
        the mask itself must be given.
        """
        is_batched = _check_input_dims(query, key, value, key_padding_mask, attn_mask, self.num_heads)
        if is_causal and attn_mask is None:
            raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer "
                               "module method `generate_square_subsequent_mask` to create this mask.")
        self._check_embedding_dims(query, key, value)
        q, k, v = (self._batch_major(x, is_batched) for x in self._in_projection(query, key, value))
        batch, target_length, _ = q.shape
        mask = self._attention_mask(attn_mask, key_padding_mask, query.dtype, batch, target_length, k.shape[1],
                                    is_batched)
        if self.bias_k is not None:
            k = tinygrad_edu.cat([k, self.bias_k.expand(batch, 1, self.embed_dim)], dim=1)
            v = tinygrad_edu.cat([v, self.bias_v.expand(batch, 1, self.embed_dim)], dim=1)
            mask = _pad_last(mask)
        q, k, v = (self._split_heads(x) for x in (q, k, v))  # (N, heads, L or S, head_dim)
        if self.add_zero_attn:
            zeros = tinygrad_edu.zeros(batch, self.num_heads, 1, self.head_dim, dtype=k.dtype, device=k.device)
            k, v = tinygrad_edu.cat([k, zeros], dim=2), tinygrad_edu.cat([v, zeros], dim=2)
            mask = _pad_last(mask)
        output, weights = attention(q, k, v, mask, self.dropout if self.training else 0.0)
        output = output.transpose(1, 2).reshape(batch, target_length, self.embed_dim)  # (N, L, E)
        output = self.out_proj(output)
        output = self._from_batch_major(output, is_batched)
        if not need_weights:
            return output, None
        if average_attn_weights:
            weights = weights.mean(dim=1)
        return output, weights if is_batched else weights.squeeze(0)

    def _check_embedding_dims(self, query, key, value):
        if query.shape[-1] != self.embed_dim:
            raise AssertionError(f"was expecting embedding dimension of {self.embed_dim}, but got {query.shape[-1]}")
        if self._qkv_same_embed_dim and tuple(key.shape) != tuple(value.shape):
            raise AssertionError(f"key shape {tuple(key.shape)} does not match value shape {tuple(value.shape)}")
        if not self._qkv_same_embed_dim and tuple(key.shape[:-1]) != tuple(value.shape[:-1]):
            raise AssertionError(f"key's sequence and batch dims {tuple(key.shape[:-1])} do not match "
                                 f"value's {tuple(value.shape[:-1])}")

    def _in_projection(self, query, key, value):
        """query, key, value projected to embed_dim each; self-attention uses one matmul for all three."""
        biases = (None, None, None) if self.in_proj_bias is None else self.in_proj_bias.chunk(3)
        if not self._qkv_same_embed_dim:
            weights = (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)
        elif query is key and key is value:
            return linear(query, self.in_proj_weight, self.in_proj_bias).chunk(3, dim=-1)
        else:
            weights = self.in_proj_weight.chunk(3)
        return tuple(linear(x, weight, bias) for x, weight, bias in zip((query, key, value), weights, biases))

    def _batch_major(self, x, is_batched):
        """(N, L, E) from (L, E) unbatched, or from (L, N, E) unless batch_first."""
        if not is_batched:
            return x.unsqueeze(0)
        return x if self.batch_first else x.transpose(0, 1)

    def _from_batch_major(self, x, is_batched):
        """Back to the caller's layout: the inverse of ``_batch_major``."""
        if not is_batched:
            return x.squeeze(0)
        return x if self.batch_first else x.transpose(0, 1)

    def _split_heads(self, x):
        """(N, L, E) -> (N, heads, L, head_dim)."""
        return x.reshape(x.shape[0], x.shape[1], self.num_heads, self.head_dim).transpose(1, 2)

    def _attention_mask(self, attn_mask, key_padding_mask, dtype, batch, target_length, source_length, is_batched):
        """Both masks as one float mask added to the scores, broadcastable to (N, heads, L, S)."""
        if attn_mask is not None and key_padding_mask is not None and \
                attn_mask.dtype.is_floating_point != key_padding_mask.dtype.is_floating_point:
            warnings.warn("Support for mismatched key_padding_mask and attn_mask is deprecated. Use same type for "
                          "both instead.")
        attn_mask = _additive_mask(attn_mask, "attn_mask", dtype)
        key_padding_mask = _additive_mask(key_padding_mask, "key_padding_mask", dtype)
        if attn_mask is not None:
            if attn_mask.dim() == 2 and tuple(attn_mask.shape) != (target_length, source_length):
                raise RuntimeError(f"The shape of the 2D attn_mask is {tuple(attn_mask.shape)}, but should be "
                                   f"{(target_length, source_length)}.")
            expected = (batch * self.num_heads, target_length, source_length)
            if attn_mask.dim() == 3 and is_batched and tuple(attn_mask.shape) != expected:
                raise RuntimeError(f"The shape of the 3D attn_mask is {tuple(attn_mask.shape)}, but should be "
                                   f"{expected}.")
            if attn_mask.dim() == 3:
                attn_mask = attn_mask.reshape(batch, self.num_heads, target_length, source_length)
        if key_padding_mask is None:
            return attn_mask
        if not is_batched:
            key_padding_mask = key_padding_mask.unsqueeze(0)
        for position, expected in enumerate((batch, source_length)):
            if key_padding_mask.shape[position] != expected:
                raise AssertionError(f"Expected key_padded_mask.shape[{position}] to be {expected}, "
                                     f"but got {key_padding_mask.shape[position]}")
        key_padding_mask = key_padding_mask.reshape(batch, 1, 1, source_length)
        return key_padding_mask if attn_mask is None else attn_mask + key_padding_mask


def _additive_mask(mask, name, dtype):
    """A bool mask (True = do not attend) as 0 / -inf floats; a float mask as it is."""
    if mask is None or mask.dtype.is_floating_point:
        return mask
    if mask.dtype != tinygrad_edu.bool:
        raise AssertionError(f"only bool and floating types of {name} are supported")
    return tinygrad_edu.zeros(*mask.shape, dtype=dtype, device=mask.device).masked_fill(mask, float("-inf"))


def _pad_last(mask):
    """One more key column that every query may attend to (the appended bias_k or zero key)."""
    return None if mask is None else tinygrad_edu.pad(mask, (0, 1))


def _check_input_dims(query, key, value, key_padding_mask, attn_mask, num_heads):
    """torch's shape rules for batched (3-D) and unbatched (2-D) inputs; returns whether batched."""
    if query.dim() not in (2, 3):
        raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received {query.dim()}-D "
                             "query tensor")
    is_batched = query.dim() == 3
    kind, dims = ("batched (3-D)", 3) if is_batched else ("unbatched (2-D)", 2)
    if key.dim() != dims or value.dim() != dims:
        raise AssertionError(f"For {kind} `query`, expected `key` and `value` to be {dims}-D but found "
                             f"{key.dim()}-D and {value.dim()}-D tensors respectively")
    if key_padding_mask is not None and key_padding_mask.dim() != dims - 1:
        raise AssertionError(f"For {kind} `query`, expected `key_padding_mask` to be `None` or {dims - 1}-D but "
                             f"found {key_padding_mask.dim()}-D tensor instead")
    if attn_mask is not None and attn_mask.dim() not in (2, 3):
        raise AssertionError(f"For {kind} `query`, expected `attn_mask` to be `None`, 2-D or 3-D but found "
                             f"{attn_mask.dim()}-D tensor instead")
    if not is_batched and attn_mask is not None and attn_mask.dim() == 3:
        expected = (num_heads, query.shape[0], key.shape[0])
        if tuple(attn_mask.shape) != expected:
            raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got {tuple(attn_mask.shape)}")
    return is_batched
