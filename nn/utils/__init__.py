"""Gradient and parameter utilities, as ``torch.nn.utils``: ``clip_grad`` and ``convert_parameters``
hold the code under torch's module paths."""
from tinygrad_edu.nn.utils.clip_grad import (clip_grad_norm_, clip_grad_norm, clip_grad_value_,
                                             clip_grads_with_norm_, get_total_norm)
from tinygrad_edu.nn.utils.convert_parameters import parameters_to_vector, vector_to_parameters
from tinygrad_edu.nn.utils import rnn  # torch.nn.utils.rnn
