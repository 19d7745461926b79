"""The tutorials' MLP (784-512-512-10 with ReLUs) trained with cross-entropy and SGD: one step.

The model is the one in the PyTorch "Build the Neural Network" tutorial, ReLU after the
last Linear included: Flatten, Linear(784, 512), ReLU, Linear(512, 512), ReLU,
Linear(512, 10), ReLU. One step is zero_grad, forward, loss, backward, SGD update.
"""
import numpy

from benchmarks.workloads.common import (build_training_case, classification_data, linear_backward,
                                         linear_forward, relu_, softmax_cross_entropy, training_gradients,
                                         uniform)

NAME = "mlp"
TITLE = "MLP 784-512-512-10 training step (cross-entropy, SGD)"
UNIT = "ms/step"
FRAMEWORKS = ("tinygrad_edu", "torch", "numpy")
DEVICES = ("cpu", "cuda")
LAYERS = ("1", "3", "5")  # the Linear layers' positions in the Sequential


def sizes(quick):
    if quick:
        return [{"label": "batch 8 (tiny: 8x8 images, 16 hidden)", "batch": 8, "image": 8, "hidden": 16}]
    return [{"label": f"batch {batch}", "batch": batch, "image": 28, "hidden": 512} for batch in (64, 512)]


def make(size, dtype, seed=0, classes=10):
    """Weights (by state_dict key, PyTorch's layout and initialisation), inputs and labels."""
    rng = numpy.random.default_rng(seed)
    widths = (size["image"] ** 2, size["hidden"], size["hidden"], classes)
    params = {}
    for name, fan_in, fan_out in zip(LAYERS, widths, widths[1:]):
        params[f"{name}.weight"] = uniform(rng, (fan_out, fan_in), fan_in, dtype)
        params[f"{name}.bias"] = uniform(rng, (fan_out,), fan_in, dtype)
    inputs, labels = classification_data(rng, size["batch"], (1, size["image"], size["image"]), classes, dtype)
    return params, inputs, labels


def model(nn, size, classes=10):
    """The tutorial's network, built from ``nn`` (torch.nn or tinygrad_edu.nn)."""
    features, hidden = size["image"] ** 2, size["hidden"]
    return nn.Sequential(nn.Flatten(), nn.Linear(features, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                         nn.Linear(hidden, classes), nn.ReLU())


def forward_backward(xp, params, inputs, labels):
    """The loss and every parameter's gradient, written by hand."""
    weights = [params[f"{name}.weight"] for name in LAYERS]
    activations = [inputs.reshape(len(inputs), -1)]                   # (B, 784)
    for name in LAYERS:
        activations.append(relu_(xp, linear_forward(activations[-1], params[f"{name}.weight"],
                                                    params[f"{name}.bias"])))
    loss, grad = softmax_cross_entropy(xp, activations[-1], labels)  # (B, 10)
    grads = {}
    for position in reversed(range(len(LAYERS))):
        grad *= activations[position + 1] > 0                         # through the ReLU
        grad = linear_backward(grad, activations[position], weights[position], LAYERS[position], grads,
                               input_grad=position > 0)
    return loss, grads


def build(framework, size, device):
    return build_training_case(make, model, forward_backward, framework, size, device)


def gradients(framework, size, dtype=numpy.float64):
    return training_gradients(make, model, forward_backward, framework, size, dtype)
