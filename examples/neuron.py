"""A single neuron, then a two-layer network, computed by hand with tensors (no nn, no autograd).

This follows the Udacity tutorial "Neural Networks in PyTorch" (seed 003) line for line, with
``torch`` replaced by ``tinygrad_edu``:

1. one neuron: y = sigmoid(features . weights + bias), computed three ways (torch.sum,
   Tensor.sum, and a matrix product with weights.view(5, 1)), which must agree;
2. a network with 3 inputs, 2 hidden units and 1 output: sigmoid(sigmoid(x W1 + B1) W2 + B2).

The random numbers differ from the tutorial's printout (tensor([[0.1595]]) and
tensor([[0.3171]])): ``manual_seed(7)`` makes tinygrad_edu repeat its own sequence, which is not
PyTorch's generator. ``compare_with_pytorch.py`` shows the two frameworks agreeing on the same numbers.

    python examples/neuron.py
    python examples/neuron.py --seed 3
"""
import argparse
import sys

import tinygrad_edu as torch  # the tutorial's code below runs unchanged


def activation(x):
    """Sigmoid activation function, written with exp as the tutorial does."""
    return 1 / (1 + torch.exp(-x))


def single_neuron(seed):
    """The three ways of the tutorial's exercise 1; returns their outputs."""
    torch.manual_seed(seed)
    features = torch.randn((1, 5))                # (1, 5) a row vector of 5 inputs
    weights = torch.randn_like(features)          # (1, 5)
    bias = torch.randn((1, 1))                    # (1, 1)
    print("features", features, "\nweights ", weights, "\nbias    ", bias)

    y_sum = activation(torch.sum(features * weights) + bias)
    y_method = activation((features * weights).sum() + bias)
    y_matmul = activation(torch.mm(features, weights.view(5, 1)) + bias)   # (1, 5) @ (5, 1) -> (1, 1)
    print("torch.sum:  ", y_sum, "\nTensor.sum: ", y_method, "\nmm + view:  ", y_matmul)
    return y_sum, y_method, y_matmul


def two_layer_network(seed):
    """The tutorial's exercise 2: 3 inputs, 2 hidden units, 1 output."""
    torch.manual_seed(seed)
    features = torch.randn((1, 3))                # (1, 3)
    n_input, n_hidden, n_output = features.shape[1], 2, 1
    W1 = torch.randn(n_input, n_hidden)           # (3, 2)
    W2 = torch.randn(n_hidden, n_output)          # (2, 1)
    B1 = torch.randn((1, n_hidden))               # (1, 2)
    B2 = torch.randn((1, n_output))               # (1, 1)

    h = activation(torch.mm(features, W1) + B1)   # (1, 2) the hidden layer
    output = activation(torch.mm(h, W2) + B2)     # (1, 1)
    print("hidden:", h, "\noutput:", output)
    return output


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=7, help="random seed (default: 7, as the tutorial)")
    parser.add_argument("--quick", action="store_true", help="accepted for uniformity; this example is instant")
    args = parser.parse_args(argv)

    print("== Exercise 1: a single neuron")
    outputs = single_neuron(args.seed)
    if not all(torch.allclose(outputs[0], other) for other in outputs[1:]):
        raise RuntimeError("the three ways of computing the neuron disagree")
    print("\n== Exercise 2: a two-layer network")
    output = two_layer_network(args.seed)
    return outputs[2].item(), output.item()


if __name__ == "__main__":
    main(sys.argv[1:])
