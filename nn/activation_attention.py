"""Multi-head attention, as ``torch.nn.MultiheadAttention`` (torch keeps it in activation.py)."""
import tinygrad_edu as tg
from tinygrad_edu.nn.attention import attention
from tinygrad_edu.nn.init import constant_, xavier_normal_, xavier_uniform_
from tinygrad_edu.nn.linear import Linear, linear
from tinygrad_edu.nn.module import Module
from tinygrad_edu.nn.parameter import Parameter

__all__ = ["MultiheadAttention", "NonDynamicallyQuantizableLinear"]


class NonDynamicallyQuantizableLinear(Linear):
    """A Linear under torch's name for ``MultiheadAttention.out_proj`` (same repr, same state_dict)."""


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
            return Parameter(tg.empty(*shape, dtype=dtype, device=device))

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
            k = tg.cat([k, self.bias_k.expand(batch, 1, self.embed_dim)], dim=1)
            v = tg.cat([v, self.bias_v.expand(batch, 1, self.embed_dim)], dim=1)
            mask = _pad_last(mask)
        q, k, v = (self._split_heads(x) for x in (q, k, v))  # (N, heads, L or S, head_dim)
        if self.add_zero_attn:
            zeros = tg.zeros(batch, self.num_heads, 1, self.head_dim, dtype=k.dtype, device=k.device)
            k, v = tg.cat([k, zeros], dim=2), tg.cat([v, zeros], dim=2)
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
    if mask.dtype != tg.bool:
        raise AssertionError(f"only bool and floating types of {name} are supported")
    return tg.zeros(*mask.shape, dtype=dtype, device=mask.device).masked_fill(mask, float("-inf"))


def _pad_last(mask):
    """One more key column that every query may attend to (the appended bias_k or zero key)."""
    return None if mask is None else tg.pad(mask, (0, 1))


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
