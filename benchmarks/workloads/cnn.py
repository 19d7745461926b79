"""A small CNN training step: two conv+pool blocks and a linear classifier, batch 64, 28x28.

Conv2d(1, 16, 3, padding=1), ReLU, MaxPool2d(2), Conv2d(16, 32, 3, padding=1), ReLU,
MaxPool2d(2), Flatten, Linear(32*7*7, 10); cross-entropy and SGD.

The hand-written version keeps activations channels-last (N, H, W, C): im2col is then a
sliding-window view reshaped (one copy) and multiplied by the weights seen as a
(C_out, C_in*3*3) matrix; pooling reshapes into 2x2 windows (a view) and takes their
maximum, and its backward sends the gradient where an entry equals its window's maximum.
(An argmax over a length-4 window axis costs NumPy a per-window loop: 3x slower.)
"""
import numpy

from benchmarks.workloads.common import (build_training_case, classification_data, linear_backward,
                                         linear_forward, relu_, softmax_cross_entropy, training_gradients,
                                         uniform)

NAME = "cnn"
TITLE = "CNN (2x conv3x3+pool, linear) training step"
UNIT = "ms/step"
FRAMEWORKS = ("tinygrad_edu", "torch", "numpy")
DEVICES = ("cpu", "cuda")


def sizes(quick):
    if quick:
        return [{"label": "batch 2 (tiny: 8x8, 2 and 3 channels)", "batch": 2, "image": 8, "channels": (2, 3)}]
    return [{"label": "batch 64, 28x28", "batch": 64, "image": 28, "channels": (16, 32)}]


def make(size, dtype, seed=0, classes=10):
    """Weights (by state_dict key, PyTorch's layout and initialisation), inputs and labels."""
    rng = numpy.random.default_rng(seed)
    first, second = size["channels"]
    features = second * (size["image"] // 4) ** 2
    params = {"0.weight": uniform(rng, (first, 1, 3, 3), 9, dtype),
              "0.bias": uniform(rng, (first,), 9, dtype),
              "3.weight": uniform(rng, (second, first, 3, 3), first * 9, dtype),
              "3.bias": uniform(rng, (second,), first * 9, dtype),
              "7.weight": uniform(rng, (classes, features), features, dtype),
              "7.bias": uniform(rng, (classes,), features, dtype)}
    inputs, labels = classification_data(rng, size["batch"], (1, size["image"], size["image"]), classes, dtype)
    return params, inputs, labels


def model(nn, size, classes=10):
    """The network, built from ``nn`` (torch.nn or tinygrad_edu.nn)."""
    first, second = size["channels"]
    return nn.Sequential(
        nn.Conv2d(1, first, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(first, second, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(second * (size["image"] // 4) ** 2, classes))


def forward_backward(xp, params, inputs, labels):
    """The loss and every parameter's gradient, written by hand."""
    batch = len(inputs)
    x = inputs.transpose(0, 2, 3, 1)                                  # (N, 28, 28, 1)
    conv1, columns1 = conv_forward(xp, x, params["0.weight"], params["0.bias"])
    pooled1 = pool_forward(relu_(xp, conv1))                          # (N, 14, 14, 16)
    conv2, columns2 = conv_forward(xp, pooled1, params["3.weight"], params["3.bias"])
    pooled2 = pool_forward(relu_(xp, conv2))                          # (N, 7, 7, 32)
    features = pooled2.transpose(0, 3, 1, 2).reshape(batch, -1)       # (N, 32*7*7), Flatten's (C, H, W) order
    loss, grad = softmax_cross_entropy(xp, linear_forward(features, params["7.weight"], params["7.bias"]), labels)

    grads = {}
    grad = linear_backward(grad, features, params["7.weight"], "7", grads)
    grad = grad.reshape(batch, -1, *pooled2.shape[1:3]).transpose(0, 2, 3, 1)    # back to (N, 7, 7, 32)
    grad = pool_backward(grad, conv2, pooled2)
    grad *= conv2 > 0
    grad = conv_backward(xp, grad, columns2, pooled1.shape, params["3.weight"], "3", grads)
    grad = pool_backward(grad, conv1, pooled1)
    grad *= conv1 > 0
    conv_backward(xp, grad, columns1, x.shape, params["0.weight"], "0", grads, input_grad=False)
    return loss, grads


def conv_forward(xp, x, weight, bias):
    """A 3x3 convolution with padding 1 of channels-last ``x``: the output and the im2col columns."""
    batch, height, width, channels = x.shape
    padded = xp.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    windows = xp.lib.stride_tricks.sliding_window_view(padded, (3, 3), axis=(1, 2))  # (N, H, W, C, 3, 3)
    columns = windows.reshape(batch * height * width, channels * 9)
    out = columns @ weight.reshape(len(weight), -1).T                # (N*H*W, C_out)
    out += bias
    return out.reshape(batch, height, width, -1), columns


def conv_backward(xp, grad_out, columns, input_shape, weight, name, grads, input_grad=True):
    """Store the weight and bias gradients under ``name``; return the input's gradient (col2im)."""
    batch, height, width, channels = input_shape
    grad_2d = grad_out.reshape(-1, len(weight))                       # (N*H*W, C_out)
    grads[f"{name}.weight"] = (grad_2d.T @ columns).reshape(weight.shape)
    grads[f"{name}.bias"] = grad_2d.sum(axis=0)
    if not input_grad:
        return None
    grad_columns = (grad_2d @ weight.reshape(len(weight), -1)).reshape(batch, height, width, channels, 3, 3)
    grad_padded = xp.zeros((batch, height + 2, width + 2, channels), dtype=grad_out.dtype)
    for row in range(3):
        for col in range(3):
            grad_padded[:, row:row + height, col:col + width] += grad_columns[..., row, col]
    return grad_padded[:, 1:-1, 1:-1]


def pool_forward(x):
    """2x2 max pooling of channels-last ``x``: the maxima, (N, H/2, W/2, C)."""
    batch, height, width, channels = x.shape
    return x.reshape(batch, height // 2, 2, width // 2, 2, channels).max(axis=(2, 4))


def pool_backward(grad_out, x, pooled):
    """Send each 2x2 window's gradient to the entry that holds the window's maximum.

    Entries tied for the maximum would share it; in this network ties are ReLU's zeros,
    whose gradient the ReLU's mask clears anyway, so the result is torch's (first maximum).
    """
    batch, height, width, channels = x.shape
    windows = x.reshape(batch, height // 2, 2, width // 2, 2, channels)
    winners = windows == pooled[:, :, None, :, None]
    return (winners * grad_out[:, :, None, :, None]).reshape(x.shape)


def build(framework, size, device):
    return build_training_case(make, model, forward_backward, framework, size, device)


def gradients(framework, size, dtype=numpy.float64):
    return training_gradients(make, model, forward_backward, framework, size, dtype)
