"""Recurrent layers, as ``torch.nn.RNN``, ``LSTM`` and ``GRU``, and their one-step cells.

A layer runs one direction of a sequence in two parts:

1. the input projection of every time step for every gate at once: one matmul
   ``(T*B, input_size) @ W_ih^T`` made before the loop;
2. a Python loop over time that adds the hidden projection ``h @ W_hh^T`` (all gates in
   one matmul again) and applies the gate arithmetic of the step.

``F.linear`` does both products: it multiplies by the transposed weight as a view, so no
transposed copy and no transpose node are made.

LSTM (without ``proj_size``) and GRU layers do both parts inside one node, ``LSTMLayer`` and
``GRULayer``, as torch's float32 CPU LSTM does: the same two products, the step arithmetic on
arrays, and a backward that is backpropagation through time written out. RNN layers and the
LSTM with a projection run step by step with Tensor ops.

Parameter names, shapes, order and gate order follow torch, so a torch ``state_dict``
loads as it is: LSTM rows are the (input, forget, cell, output) gates, GRU rows the
(reset, update, new) gates.
"""
import math
import numbers
import warnings
from typing import Callable, NamedTuple

import tinygrad_edu as tg
from tinygrad_edu.autograd import Op
from tinygrad_edu.nn.modules.dropout import dropout as _dropout
from tinygrad_edu.nn.modules.linear import linear
from tinygrad_edu.nn.modules.module import Module
from tinygrad_edu.nn.parameter import Parameter
from tinygrad_edu.nn.utils.rnn import PackedSequence, packed_from_padded, padded_from_packed
from tinygrad_edu.ops_elementwise import Sigmoid, Tanh, sigmoid
from tinygrad_edu.ops_movement import Cat

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]


# -- one time step of each kind of layer -------------------------------------------------------
# A step receives ``input_gates`` (x @ W_ih^T plus the biases that could be added before the
# loop, shape (B, gates)), the state as a tuple ((h,) or (h, c)), and the recurrent weights.

class Recurrent(NamedTuple):
    """What a time step needs besides its input."""

    weight_hh: tg.Tensor                    # (gates, hidden)
    weight_hr: tg.Tensor | None = None      # the LSTM projection (proj_size > 0)


def tanh_step(input_gates, state, recurrent):
    (h,) = state
    return ((input_gates + linear(h, recurrent.weight_hh)).tanh(),)


def relu_step(input_gates, state, recurrent):
    (h,) = state
    return ((input_gates + linear(h, recurrent.weight_hh)).relu(),)


def lstm_step(input_gates, state, recurrent):
    """An LSTM step with a projection (``proj_size > 0``); without one, ``lstm_layer`` runs the layer."""
    h, c = state
    gates = input_gates + linear(h, recurrent.weight_hh)              # (B, 4H)
    i, f, g, o = gates.chunk(4, dim=1)
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    return linear(o.sigmoid() * c.tanh(), recurrent.weight_hr), c


def lstm_layer(input, state, weight_ih, weight_hh, bias_ih, bias_hh, reverse=False):
    """One direction of an LSTM layer over ``input`` (T, B, I) as one node: (outputs (T, B, H), (h_n, c_n))."""
    weights = (weight_ih, weight_hh) if bias_ih is None else (weight_ih, weight_hh, bias_ih + bias_hh)
    states = LSTMLayer.apply(input, *state, *weights, reverse=reverse)
    last = 0 if reverse else input.shape[0] - 1
    return states[0].clone(), (states[0, last], states[1, last])   # a clone, not a view: open to in-place ops


class LSTMLayer(Op):
    """A whole LSTM sequence in one node, as torch's float32 CPU LSTM is (``MkldnnRnnLayerBackward0``).

    From the input ``(T, B, I)``, the initial ``h0`` and ``c0`` ``(B, H)``, ``W_ih`` ``(4H, I)``,
    ``W_hh`` ``(4H, H)`` and the summed biases ``(4H,)`` (or none), it returns every step's state
    stacked as ``(2, T, B, H)``: ``[0]`` holds h, ``[1]`` holds c. Backward runs backpropagation
    through time over the saved gates. Recorded (``create_graph=True``), the backward first runs
    the steps again as recorded ops, so its result is differentiable with respect to the inputs.

    The steps run feature-major: h and c as ``(H, B)``, the gates as ``(4H, B)``, so each gate is
    a block of whole rows. Columns sliced out of ``(B, 4H)`` would make every elementwise op of a
    step loop over short strided rows, 3-4x slower in NumPy.
    """

    def forward(self, input, h0, c0, weight_ih, weight_hh, bias=None, reverse=False):
        self.reverse = reverse
        activated, hs, cs, tanh_cs = lstm_steps(project(input, weight_ih), h0, c0, weight_hh, bias, reverse)
        xp = self.xp
        states = xp.empty((2,) + input.shape[:2] + h0.shape[1:], dtype=h0.dtype)
        xp.stack([h.T for h in hs], out=states[0])
        xp.stack([c.T for c in cs], out=states[1])
        self.save_for_backward(input, h0, c0, weight_ih, weight_hh, bias, xp.stack(activated), xp.stack(cs),
                               xp.stack(tanh_cs), states)
        return states

    def backward(self, grad_states):
        input, h0, c0, weight_ih, weight_hh, bias, activated, cs, tanh_cs, states = self.saved_tensors
        if self.on_arrays:
            hs = states[0].swapaxes(1, 2)
        else:
            activated, hs, cs, tanh_cs = lstm_steps(project(input, weight_ih), h0, c0, weight_hh, bias,
                                                    self.reverse)
        length, _, hidden = states.shape[1:]
        order = time_order(length, self.reverse)
        previous = {t: order[position - 1] for position, t in enumerate(order) if position}
        grad_hs, grad_cs = grad_states[0].swapaxes(1, 2), grad_states[1].swapaxes(1, 2)   # (T, H, B)
        step_grads = [None] * length
        grad_h = grad_c = 0
        for t in reversed(order):
            c_prev = cs[previous[t]] if t in previous else c0.T
            i, f, g, o = gate_blocks(activated[t], hidden)
            grad_h = grad_hs[t] + grad_h
            grad_c = grad_cs[t] + grad_c + grad_h * o * (1 - tanh_cs[t] * tanh_cs[t])
            step_grads[t] = Cat.apply(grad_c * g * i * (1 - i), grad_c * c_prev * f * (1 - f),  # through σ and tanh
                                      grad_c * i * (1 - g * g), grad_h * tanh_cs[t] * o * (1 - o), dim=0)
            grad_h, grad_c = weight_hh.T @ step_grads[t], grad_c * f
        grad_gates = Cat.apply(*step_grads, dim=1)                    # (4H, T*B): step t in columns tB..(t+1)B
        needs = self.needs_input_grad
        grads = [None] * len(needs)
        grads[0], grads[3], grads[4] = product_grads((needs[0], needs[3], needs[4]), grad_gates, grad_gates,
                                                     input, weight_ih, h0, hs, previous)
        grads[1] = grad_h.T if needs[1] else None
        grads[2] = grad_c.T if needs[2] else None
        if len(needs) == 6 and needs[5]:
            grads[5] = grad_gates.sum(1)
        return tuple(grads)


def product_grads(needs, grad_input_gates, grad_hidden_gates, input, weight_ih, h0, hs, previous):
    """The gradients of the input, ``W_ih`` and ``W_hh`` (where ``needs`` says) from the gradients of
    the gates' two parts, ``W_ih x_t`` and ``W_hh h_(t-1)``, every step's side by side: ``(G, T*B)``.
    Each weight's sum over the steps, Σ_t grad_t · (x_t or h_(t-1))ᵀ, is one product."""
    grad_input = grad_weight_ih = grad_weight_hh = None
    if needs[0]:
        grad_input = (weight_ih.T @ grad_input_gates).T.reshape(input.shape)
    if needs[1]:
        grad_weight_ih = grad_input_gates @ input.reshape(-1, input.shape[-1])
    if needs[2]:
        steps = range(input.shape[0])
        previous_hs = Cat.apply(*[hs[previous[t]].T if t in previous else h0 for t in steps], dim=0)  # (T*B, H)
        grad_weight_hh = grad_hidden_gates @ previous_hs
    return grad_input, grad_weight_ih, grad_weight_hh


def project(input, weight_ih):
    """``W_ih x_t`` for every step at once, feature-major: ``(T, G, B)`` from ``(T, B, I)``, G the gate rows."""
    return weight_ih @ input.swapaxes(1, 2)


def lstm_steps(input_gates, h0, c0, weight_hh, bias, reverse):
    """The LSTM recurrence on arrays or on Tensors, feature-major (see ``LSTMLayer``), from the
    projected input ``(T, 4H, B)`` and the summed biases (or None): lists, in time order, of every
    step's activated gates ``(4H, B)`` (σ on i, f, o; tanh on g), h, c and tanh(c)."""
    hidden = h0.shape[1]
    length = input_gates.shape[0]
    activated, hs, cs, tanh_cs = ([None] * length for _ in range(4))
    h, c = h0.T, c0.T
    bias = 0 if bias is None else bias.reshape(-1, 1)
    gates_per_step = time_steps(input_gates)
    for t in time_order(length, reverse):
        activated[t] = LSTMGates.apply(gates_per_step[t] + weight_hh @ h + bias)
        i, f, g, o = gate_blocks(activated[t], hidden)
        c = f * c + i * g
        tanh_c = Tanh.apply(c)
        h = o * tanh_c
        hs[t], cs[t], tanh_cs[t] = h, c, tanh_c
    return activated, hs, cs, tanh_cs


class LSTMGates(Op):
    """The gate activations of an LSTM step, feature-major: σ on the input, forget and output
    gates, tanh on the cell gate, for ``(4H, B)`` pre-activations."""

    def forward(self, gates):
        hidden = gates.shape[0] // 4
        activated = sigmoid(self.xp, gates)
        self.xp.tanh(gates[2 * hidden:3 * hidden], out=activated[2 * hidden:3 * hidden])
        self.save_for_backward(activated)
        return activated

    def backward(self, grad_output):
        activated, = self.saved_tensors
        i, f, g, o = gate_blocks(activated, activated.shape[0] // 4)
        return grad_output * Cat.apply(i * (1 - i), f * (1 - f), 1 - g * g, o * (1 - o), dim=0)


def gate_blocks(gates, hidden):
    """The (input, forget, cell, output) blocks of rows of ``(4H, B)`` gates."""
    return gates[:hidden], gates[hidden:2 * hidden], gates[2 * hidden:3 * hidden], gates[3 * hidden:]


def time_order(length, reverse):
    return range(length - 1, -1, -1) if reverse else range(length)


def gru_layer(input, state, weight_ih, weight_hh, bias_ih, bias_hh, reverse=False):
    """One direction of a GRU layer over ``input`` (T, B, I) as one node: (outputs (T, B, H), (h_n,))."""
    weights = (weight_ih, weight_hh) if bias_ih is None else (weight_ih, weight_hh, bias_ih, bias_hh)
    hs = GRULayer.apply(input, *state, *weights, reverse=reverse)
    return hs.clone(), (hs[0 if reverse else input.shape[0] - 1],)   # a clone: open to in-place ops


class GRULayer(Op):
    """A whole GRU sequence in one node, the way ``LSTMLayer`` runs an LSTM: feature-major steps
    on arrays, backpropagation through time written out, the steps run again as recorded ops when
    the backward is recorded.

    From the input ``(T, B, I)``, ``h0`` ``(B, H)``, ``W_ih`` ``(3H, I)``, ``W_hh`` ``(3H, H)`` and
    ``b_ih``, ``b_hh`` ``(3H,)`` (or none), it returns every step's h, ``(T, B, H)``.
    """

    def forward(self, input, h0, weight_ih, weight_hh, bias_ih=None, bias_hh=None, reverse=False):
        self.reverse = reverse
        r_and_zs, ns, hidden_ns, hs = gru_steps(project(input, weight_ih), h0, weight_hh, bias_ih, bias_hh, reverse)
        xp = self.xp
        states = xp.stack([h.T for h in hs])
        self.save_for_backward(input, h0, weight_ih, weight_hh, bias_ih, bias_hh, xp.stack(r_and_zs), xp.stack(ns),
                               xp.stack(hidden_ns), states)
        return states

    def backward(self, grad_states):
        input, h0, weight_ih, weight_hh, bias_ih, bias_hh, r_and_zs, ns, hidden_ns, states = self.saved_tensors
        if self.on_arrays:
            hs = states.swapaxes(1, 2)
        else:
            r_and_zs, ns, hidden_ns, hs = gru_steps(project(input, weight_ih), h0, weight_hh, bias_ih, bias_hh,
                                                    self.reverse)
        length, _, hidden = states.shape
        order = time_order(length, self.reverse)
        previous = {t: order[position - 1] for position, t in enumerate(order) if position}
        grad_hs = grad_states.swapaxes(1, 2)                                  # (T, H, B)
        input_grads, hidden_grads = [None] * length, [None] * length
        grad_h = 0
        for t in reversed(order):
            h_prev = hs[previous[t]] if t in previous else h0.T
            r, z, n = r_and_zs[t][:hidden], r_and_zs[t][hidden:], ns[t]
            grad_h = grad_hs[t] + grad_h
            grad_n = grad_h * (1 - z) * (1 - n * n)                            # h = n + z (h_prev - n); tanh
            grad_z = grad_h * (h_prev - n) * z * (1 - z)
            grad_r = grad_n * hidden_ns[t] * r * (1 - r)                       # n = tanh(x_n + r (W_hn h + b_hn))
            input_grads[t] = Cat.apply(grad_r, grad_z, grad_n, dim=0)
            hidden_grads[t] = Cat.apply(grad_r, grad_z, grad_n * r, dim=0)
            grad_h = grad_h * z + weight_hh.T @ hidden_grads[t]
        grad_input_gates = Cat.apply(*input_grads, dim=1)                    # (3H, T*B)
        grad_hidden_gates = Cat.apply(*hidden_grads, dim=1)
        needs = self.needs_input_grad
        grads = [None] * len(needs)
        grads[0], grads[2], grads[3] = product_grads((needs[0], needs[2], needs[3]), grad_input_gates,
                                                     grad_hidden_gates, input, weight_ih, h0, hs, previous)
        grads[1] = grad_h.T if needs[1] else None
        if len(needs) == 6:
            grads[4] = grad_input_gates.sum(1) if needs[4] else None
            grads[5] = grad_hidden_gates.sum(1) if needs[5] else None
        return tuple(grads)


def gru_steps(input_gates, h0, weight_hh, bias_ih, bias_hh, reverse):
    """The GRU recurrence on arrays or on Tensors, feature-major, from the projected input
    ``(T, 3H, B)``: lists, in time order, of every step's r and z ``(2H, B)``, n, ``W_hn h + b_hn``
    and h ``(H, B)``."""
    hidden = h0.shape[1]
    length = input_gates.shape[0]
    r_and_zs, ns, hidden_ns, hs = ([None] * length for _ in range(4))
    bias_ih = 0 if bias_ih is None else bias_ih.reshape(-1, 1)
    bias_hh = 0 if bias_hh is None else bias_hh.reshape(-1, 1)
    h = h0.T
    gates_per_step = time_steps(input_gates)
    for t in time_order(length, reverse):
        input_gates_t, hidden_gates = gates_per_step[t] + bias_ih, weight_hh @ h + bias_hh
        r_and_z = Sigmoid.apply(input_gates_t[:2 * hidden] + hidden_gates[:2 * hidden])
        n = Tanh.apply(input_gates_t[2 * hidden:] + r_and_z[:hidden] * hidden_gates[2 * hidden:])
        h = n + r_and_z[hidden:] * (h - n)
        r_and_zs[t], ns[t], hidden_ns[t], hs[t] = r_and_z, n, hidden_gates[2 * hidden:], h
    return r_and_zs, ns, hidden_ns, hs


class Mode(NamedTuple):
    gate_count: int
    step: Callable | None     # one time step, where the layer runs step by step
    layer: Callable | None    # the whole layer as one node


MODES = {
    "RNN_TANH": Mode(1, tanh_step, None),
    "RNN_RELU": Mode(1, relu_step, None),
    "LSTM": Mode(4, lstm_step, lstm_layer),    # step by step only with a projection (proj_size > 0)
    "GRU": Mode(3, None, gru_layer),
}


def project_input(input, weight_ih, bias_ih, bias_hh):
    """``input @ W_ih^T + b_ih + b_hh`` for every row at once."""
    if bias_ih is None:
        return linear(input, weight_ih)
    return linear(input, weight_ih, bias_ih + bias_hh)


def time_steps(sequence):
    """[sequence[0], ..., sequence[T-1]], cut by halving the sequence again and again.

    The backward of ``sequence[t]`` writes its gradient into zeros shaped like the whole
    sequence, so T slices of (T, B, G) cost O(T^2 B G) in backward. Halving costs each
    level of the split O(T B G) once: O(T log T B G) in all (2x faster at T=100).
    """
    if sequence.shape[0] == 1:
        return [sequence[0]]
    middle = sequence.shape[0] // 2
    return time_steps(sequence[:middle]) + time_steps(sequence[middle:])


def run_direction(input_gates, state, recurrent, mode, reverse):
    """Run one direction of one layer over time: (outputs (T, B, H), final state tuple)."""
    length = input_gates.shape[0]
    gates_per_step = time_steps(input_gates)
    outputs = [None] * length
    for t in time_order(length, reverse):
        state = mode.step(gates_per_step[t], state, recurrent)
        outputs[t] = state[0]
    return tg.stack(outputs), state


def direction_runner(mode, weights, reverse):
    """``run(input (T, B, I), initial state) -> (output (T, B, H), final state)`` for one layer and direction."""
    weight_ih, weight_hh, bias_ih, bias_hh, weight_hr = weights
    if mode.layer is not None and weight_hr is None:
        return lambda input, initial: mode.layer(input, initial, weight_ih, weight_hh, bias_ih, bias_hh, reverse)
    recurrent = Recurrent(weight_hh, weight_hr)
    return lambda input, initial: run_direction(project_input(input, weight_ih, bias_ih, bias_hh), initial,
                                                recurrent, mode, reverse)


def length_segments(lengths):
    """(start, end, rows) time ranges over which the same rows (a prefix: lengths decrease) are running."""
    segments, start = [], 0
    for end in sorted(set(lengths)):
        segments.append((start, end, sum(1 for n in lengths if n >= end)))
        start = end
    return segments


def run_lengths(run, input, initial, lengths, reverse):
    """``run`` (one layer, one direction) over rows of different ``lengths``: time is cut where rows
    stop, so each row's final state is its state at its last step, and the reverse direction starts
    each row at its own last step. Output (T, B, H) has zeros beyond each row's length."""
    batch = input.shape[1]
    outputs, finished, state = [], [], None
    segments = length_segments(lengths)
    for start, end, rows in (reversed(segments) if reverse else segments):
        if reverse:
            joining = tuple(part[0 if state is None else state[0].shape[0]:rows] for part in initial)
            state = joining if state is None else tuple(tg.cat([s, j]) for s, j in zip(state, joining))
        else:
            state = initial if state is None else state
            if state[0].shape[0] > rows:
                finished.append(tuple(part[rows:] for part in state))
                state = tuple(part[:rows] for part in state)
        output, state = run(input[start:end, :rows], state)
        outputs.append(tg.pad(output, (0, 0, 0, batch - rows)) if rows < batch else output)
    if reverse:
        return tg.cat(outputs[::-1]), state
    finished.append(state)
    return tg.cat(outputs), tuple(tg.cat(parts[::-1]) for parts in zip(*finished))


# -- multi-layer recurrent layers ----------------------------------------------------------------

class RNNBase(Module):
    """What RNN, LSTM and GRU share: the parameters per layer and direction, and the forward pass."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        _check_layer_arguments(input_size, hidden_size, num_layers, bias, batch_first, dropout, proj_size)
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        self._all_weights = []
        gate_size = MODES[mode].gate_count * hidden_size
        output_size = proj_size if proj_size > 0 else hidden_size
        num_directions = 2 if bidirectional else 1
        for layer in range(num_layers):
            layer_input_size = input_size if layer == 0 else output_size * num_directions
            shapes = {"weight_ih": (gate_size, layer_input_size), "weight_hh": (gate_size, output_size)}
            if bias:
                shapes.update(bias_ih=(gate_size,), bias_hh=(gate_size,))
            if proj_size > 0:
                shapes["weight_hr"] = (proj_size, hidden_size)
            for direction in range(num_directions):
                suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                for name, shape in shapes.items():
                    setattr(self, name + suffix, Parameter(tg.empty(*shape, dtype=dtype, device=device)))
                self._all_weights.append([name + suffix for name in shapes])
        self.reset_parameters()

    def reset_parameters(self):
        """Draw every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        with tg.no_grad():
            for weight in self.parameters():
                weight.uniform_(-bound, bound)

    def flatten_parameters(self):
        """Kept for torch compatibility: cuDNN's weight packing, nothing to do here."""

    @property
    def all_weights(self):
        """The parameters grouped per layer and direction, as torch's ``all_weights``."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def extra_repr(self):
        parts = [f"{self.input_size}, {self.hidden_size}"]
        for name, default in (("proj_size", 0), ("num_layers", 1), ("bias", True), ("batch_first", False),
                              ("dropout", 0.0), ("bidirectional", False)):
            if getattr(self, name) != default:
                parts.append(f"{name}={getattr(self, name)}")
        return ", ".join(parts)

    def forward(self, input, hx=None):
        """Run the whole sequence; return ``(output, h_n)`` (LSTM: ``(output, (h_n, c_n))``).

        ``input`` is (T, B, input_size), (B, T, input_size) with ``batch_first=True``, or
        (T, input_size) unbatched. ``output`` holds the last layer's h for every step,
        both directions concatenated: (T, B, D * H). ``h_n`` is (num_layers * D, B, H).
        """
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        is_batched = self._check_input(input)
        if not is_batched:
            input = input.unsqueeze(1)
        elif self.batch_first:
            input = input.transpose(0, 1)
        states = self._initial_states(input, hx, is_batched)
        output, final_states = self._run_layers(input, states)
        if not is_batched:
            output = output.squeeze(1)
            final_states = tuple(state.squeeze(1) for state in final_states)
        elif self.batch_first:
            output = output.transpose(0, 1)
        return output, final_states[0] if len(final_states) == 1 else final_states

    def _forward_packed(self, packed, hx):
        """The forward pass of a PackedSequence: each sequence runs for its own length, both ways.

        Returns the output packed as the input was, and the final states (at each sequence's last
        step) in the caller's batch order.
        """
        data, batch_sizes, sorted_indices, unsorted_indices = packed
        self._check_input(data)
        sizes = [int(size) for size in batch_sizes.tolist()]
        lengths = [sum(1 for size in sizes if size > row) for row in range(sizes[0])]
        padded = padded_from_packed(data, sizes)
        states = self._initial_states(padded, hx, True)
        if sorted_indices is not None:
            states = tuple(state.index_select(1, sorted_indices) for state in states)
        output, final_states = self._run_layers(padded, states, lengths)
        if unsorted_indices is not None:
            final_states = tuple(state.index_select(1, unsorted_indices) for state in final_states)
        output = PackedSequence(packed_from_padded(output, sizes), batch_sizes, sorted_indices, unsorted_indices)
        return output, final_states[0] if len(final_states) == 1 else final_states

    def _run_layers(self, input, states, lengths=None):
        """input (T, B, I) and states ((L*D, B, H), ...) -> output (T, B, D*H), final states.

        ``lengths`` (decreasing, one per batch row) makes each row stop at its own length: its outputs
        beyond are zeros, its final state is taken there, and the reverse direction starts there."""
        mode = MODES[self.mode]
        num_directions = 2 if self.bidirectional else 1
        layer_input, final_states = input, []
        for layer in range(self.num_layers):
            if layer > 0 and self.dropout > 0 and self.training:
                layer_input = _dropout(layer_input, self.dropout, True)
            outputs = []
            for direction in range(num_directions):
                index = layer * num_directions + direction
                initial = tuple(state[index] for state in states)
                reverse = direction == 1
                run = direction_runner(mode, self._weights_of(index), reverse)
                if lengths is None:
                    output, final = run(layer_input, initial)
                else:
                    output, final = run_lengths(run, layer_input, initial, lengths, reverse)
                outputs.append(output)
                final_states.append(final)
            layer_input = outputs[0] if num_directions == 1 else tg.cat(outputs, dim=2)
        return layer_input, tuple(tg.stack(parts) for parts in zip(*final_states))

    def _weights_of(self, index):
        """(weight_ih, weight_hh, bias_ih, bias_hh, weight_hr) of one layer and direction, None where absent."""
        names = self._all_weights[index]
        suffix = names[0][len("weight_ih"):]
        return tuple(getattr(self, base + suffix) if base + suffix in names else None
                     for base in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr"))

    def _check_input(self, input):
        if input.dim() not in (2, 3):
            raise ValueError(f"{type(self).__name__}: Expected input to be 2D or 3D, got {input.dim()}D instead")
        weight_dtype = self.weight_ih_l0.dtype
        if input.dtype != weight_dtype:
            raise ValueError(
                f"RNN input dtype ({input.dtype}) does not match weight dtype ({weight_dtype}). "
                f"Convert input: input.to({weight_dtype}), or convert model: model.to({input.dtype})")
        time_dim = 1 if input.dim() == 3 and self.batch_first else 0
        if input.shape[time_dim] == 0:
            raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
        if input.shape[-1] != self.input_size:
            raise RuntimeError("input.size(-1) must be equal to input_size. "
                               f"Expected {self.input_size}, got {input.shape[-1]}")
        return input.dim() == 3

    def _state_sizes(self):
        return (self.hidden_size,)

    def _initial_states(self, input, hx, is_batched):
        """The initial states as a tuple of (L*D, B, size) tensors: zeros when ``hx`` is None."""
        num_states = self.num_layers * (2 if self.bidirectional else 1)
        batch = input.shape[1]
        if hx is None:
            return tuple(tg.zeros(num_states, batch, size, dtype=input.dtype, device=input.device)
                         for size in self._state_sizes())
        states = tuple(hx) if self.mode == "LSTM" else (hx,)
        self._check_state_dims(states, is_batched)
        if not is_batched:
            states = tuple(state.unsqueeze(1) for state in states)
        for position, (state, size) in enumerate(zip(states, self._state_sizes())):
            expected = (num_states, batch, size)
            if tuple(state.shape) != expected:
                name = "hidden" if len(states) == 1 else f"hidden[{position}]"
                raise RuntimeError(f"Expected {name} size {expected}, got {list(state.shape)}")
        return states

    def _check_state_dims(self, states, is_batched):
        wanted = 3 if is_batched else 2
        if any(state.dim() != wanted for state in states):
            kind = "batched 3-D" if is_batched else "unbatched 2-D"
            if len(states) == 1:
                got = f"{states[0].dim()}-D tensor"
                raise RuntimeError(f"For {kind} input, hx should also be {wanted}-D but got {got}")
            got = ", ".join(f"{state.dim()}-D" for state in states)
            raise RuntimeError(f"For {kind} input, hx and cx should also be {wanted}-D but got ({got}) tensors")


class RNN(RNNBase):
    """Elman RNN: ``h_t = tanh(x_t W_ih^T + b_ih + h_(t-1) W_hh^T + b_hh)`` (or relu), stacked in layers.

    >>> rnn = RNN(10, 20, num_layers=2)
    >>> output, h_n = rnn(tinygrad_edu.randn(5, 3, 10))   # (T, B, input_size)
    >>> output.shape, h_n.shape
    (tinygrad_edu.Size([5, 3, 20]), tinygrad_edu.Size([2, 3, 20]))
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size, hidden_size,
                         num_layers, bias, batch_first, dropout, bidirectional, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory, stacked in layers; returns ``(output, (h_n, c_n))``.

    Per step, with the (input, forget, cell, output) gates of torch::

        i, f, g, o = split(x_t W_ih^T + b_ih + h_(t-1) W_hh^T + b_hh)
        c_t = sigmoid(f) * c_(t-1) + sigmoid(i) * tanh(g)
        h_t = sigmoid(o) * tanh(c_t)            (then h_t W_hr^T when proj_size > 0)

    >>> lstm = LSTM(28, 128, num_layers=2, batch_first=True)
    >>> output, (h_n, c_n) = lstm(tinygrad_edu.randn(4, 7, 28))   # (B, T, input_size)
    >>> output.shape, h_n.shape, c_n.shape
    (tinygrad_edu.Size([4, 7, 128]), tinygrad_edu.Size([2, 4, 128]), tinygrad_edu.Size([2, 4, 128]))
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, proj_size, device=device, dtype=dtype)

    def _state_sizes(self):
        return (self.proj_size if self.proj_size > 0 else self.hidden_size, self.hidden_size)


class GRU(RNNBase):
    """Gated recurrent unit, stacked in layers; returns ``(output, h_n)``.

    Per step, with the (reset, update, new) gates of torch::

        r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
        z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
        n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
        h' = (1 - z) * n + z * h

    >>> gru = GRU(10, 20)
    >>> output, h_n = gru(tinygrad_edu.randn(5, 10))   # unbatched (T, input_size)
    >>> output.shape, h_n.shape
    (tinygrad_edu.Size([5, 20]), tinygrad_edu.Size([1, 20]))
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device=device, dtype=dtype)


def _check_layer_arguments(input_size, hidden_size, num_layers, bias, batch_first, dropout, proj_size):
    if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) or not 0 <= dropout <= 1:
        raise ValueError("dropout should be a number in range [0, 1] representing the probability of "
                         "an element being zeroed")
    if dropout > 0 and num_layers == 1:
        warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                      f"expects num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}",
                      stacklevel=3)
    for name, value, kind in (("bias", bias, bool), ("batch_first", batch_first, bool),
                              ("input_size", input_size, int), ("hidden_size", hidden_size, int)):
        if not isinstance(value, kind):
            raise TypeError(f"{name} should be of type {kind.__name__}, got: {type(value).__name__}")
    if input_size <= 0:
        raise ValueError("input_size must be greater than zero")
    if hidden_size <= 0:
        raise ValueError("hidden_size must be greater than zero")
    if num_layers <= 0:
        raise ValueError("num_layers must be greater than zero")
    if proj_size < 0:
        raise ValueError("proj_size should be a positive integer or zero to disable projections")
    if proj_size >= hidden_size:
        raise ValueError("proj_size has to be smaller than hidden_size")


# -- cells: one time step as a module ------------------------------------------------------------

class RNNCellBase(Module):
    """What the cells share: ``weight_ih``, ``weight_hh`` and optional ``bias_ih``, ``bias_hh``."""

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        gate_size = num_chunks * hidden_size
        self.weight_ih = Parameter(tg.empty(gate_size, input_size, dtype=dtype, device=device))
        self.weight_hh = Parameter(tg.empty(gate_size, hidden_size, dtype=dtype, device=device))
        if bias:
            self.bias_ih = Parameter(tg.empty(gate_size, dtype=dtype, device=device))
            self.bias_hh = Parameter(tg.empty(gate_size, dtype=dtype, device=device))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Draw every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        with tg.no_grad():
            for weight in self.parameters():
                weight.uniform_(-bound, bound)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _step(self, mode, input, state):
        """One step on a batched input (B, input_size) and state tuple."""
        if mode.layer is not None:
            _, state = mode.layer(input.unsqueeze(0), state, self.weight_ih, self.weight_hh, self.bias_ih,
                                  self.bias_hh)
            return state
        input_gates = project_input(input, self.weight_ih, self.bias_ih, self.bias_hh)
        return mode.step(input_gates, state, Recurrent(self.weight_hh))

    def _check_dims(self, input, hx, hx_name="hidden"):
        name = type(self).__name__
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        if hx is not None and hx.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected {hx_name} to be 1D or 2D, got {hx.dim()}D instead")
        return input.dim() == 2

    def _zeros(self, input):
        return tg.zeros(input.shape[0], self.hidden_size, dtype=input.dtype, device=input.device)


class RNNCell(RNNCellBase):
    """One Elman RNN step: ``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)`` (or relu).

    >>> cell = RNNCell(10, 20)
    >>> h = cell(tinygrad_edu.randn(3, 10))          # h starts at zeros
    >>> h = cell(tinygrad_edu.randn(3, 10), h)
    >>> h.shape
    tinygrad_edu.Size([3, 20])
    """

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        is_batched = self._check_dims(input, hx)
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        if not is_batched:
            input = input.unsqueeze(0)
        hx = self._zeros(input) if hx is None else (hx if is_batched else hx.unsqueeze(0))
        (h,) = self._step(MODES["RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU"], input, (hx,))
        return h if is_batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step: ``(h', c') = cell(x, (h, c))``, gates in torch's (i, f, g, o) order.

    >>> cell = LSTMCell(10, 20)
    >>> h, c = cell(tinygrad_edu.randn(3, 10))       # (h, c) start at zeros
    >>> h, c = cell(tinygrad_edu.randn(3, 10), (h, c))
    >>> h.shape, c.shape
    (tinygrad_edu.Size([3, 20]), tinygrad_edu.Size([3, 20]))
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        is_batched = self._check_dims(input, None)
        for position, state in enumerate(hx or ()):
            if state.dim() not in (1, 2):
                raise ValueError(f"LSTMCell: Expected hx[{position}] to be 1D or 2D, got {state.dim()}D instead")
        if not is_batched:
            input = input.unsqueeze(0)
        if hx is None:
            hx = (self._zeros(input), self._zeros(input))
        elif not is_batched:
            hx = (hx[0].unsqueeze(0), hx[1].unsqueeze(0))
        h, c = self._step(MODES["LSTM"], input, tuple(hx))
        return (h, c) if is_batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step: ``h' = (1 - z) * n + z * h``, gates in torch's (r, z, n) order.

    >>> cell = GRUCell(10, 20)
    >>> h = cell(tinygrad_edu.randn(10))             # unbatched: (input_size,) -> (hidden_size,)
    >>> h.shape
    tinygrad_edu.Size([20])
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        is_batched = self._check_dims(input, hx)
        if not is_batched:
            input = input.unsqueeze(0)
        hx = self._zeros(input) if hx is None else (hx if is_batched else hx.unsqueeze(0))
        (h,) = self._step(MODES["GRU"], input, (hx,))
        return h if is_batched else h.squeeze(0)
