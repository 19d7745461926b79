"""Scaled dot-product attention, as ``torch.nn.functional.scaled_dot_product_attention``."""
import math

import tinygrad_edu as tg
from tinygrad_edu.nn.modules.dropout import dropout

__all__ = ["scaled_dot_product_attention"]


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None):
    """``softmax(query @ key^T * scale + mask) @ value`` over the last two dimensions.

    query (..., L, E), key (..., S, E), value (..., S, Ev) -> (..., L, Ev); the leading
    dimensions (batch, heads) broadcast. ``scale`` defaults to ``1 / sqrt(E)``.
    ``attn_mask`` broadcasts to (..., L, S): a bool mask marks with True the pairs that
    take part, a float mask is added to the scores. ``is_causal=True`` (instead of a mask)
    lets query i see keys 0..i only. A query left with no key to attend to gets zeros, as
    in torch.
    ``dropout_p`` drops attention weights (pass 0.0 when evaluating, as torch asks).

    >>> q = k = v = tinygrad_edu.randn(2, 4, 5, 8)      # (B, heads, T, head_dim)
    >>> F.scaled_dot_product_attention(q, k, v, is_causal=True).shape
    tinygrad_edu.Size([2, 4, 5, 8])
    """
    output, _ = attention(query, key, value, attn_mask, dropout_p, is_causal, scale)
    return output


def attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None):
    """``scaled_dot_product_attention`` that also returns the attention weights (..., L, S)."""
    if not query.dtype == key.dtype == value.dtype:
        raise RuntimeError("Expected query, key, and value to have the same dtype, but got "
                           f"query.dtype: {query.dtype} key.dtype: {key.dtype} and value.dtype: {value.dtype} instead.")
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True")
    if scale is None:
        scale = 1.0 / math.sqrt(query.shape[-1])
    scores = (query @ key.transpose(-2, -1)) * scale  # (..., L, S)
    if is_causal:
        attn_mask = _causal_mask(query.shape[-2], key.shape[-2], query.device)
    if attn_mask is None:
        weights = scores.softmax(dim=-1)
    elif attn_mask.dtype == tg.bool:
        weights = _softmax_over_keys(tg.where(attn_mask, scores, float("-inf")))
    else:
        weights = _softmax_over_keys(scores + attn_mask)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, True)
    return weights @ value, weights


def _causal_mask(query_length, key_length, device):
    """(L, S) bool, True where key position <= query position (lower triangle)."""
    key_positions = tg.arange(key_length, device=device)
    query_positions = tg.arange(query_length, device=device).unsqueeze(1)
    return key_positions <= query_positions


def _softmax_over_keys(scores):
    """softmax over the last dimension; a row where every score is -inf gives zeros, not NaN."""
    empty_rows = (scores.detach() == float("-inf")).all(dim=-1, keepdim=True)
    if not empty_rows.any().item():
        return scores.softmax(dim=-1)
    return scores.masked_fill(empty_rows, 0.0).softmax(dim=-1).masked_fill(empty_rows, 0.0)
