"""Fashion-MNIST with the tutorials' fully connected network (784-512-512-10), trained with Adam.

The model is the ``NeuralNetwork`` of the PyTorch tutorial (seed 001): Flatten, then
Linear-ReLU-Linear-ReLU-Linear. The tutorial also puts a ReLU after the last Linear; that layer
is left out here because logits must be free to go negative (with it, a class whose logit drops
below zero stops receiving gradient).

    python examples/fashion_mnist_mlp.py                      # tinygrad_edu, 10 epochs
    python examples/fashion_mnist_mlp.py --framework torch    # the same recipe in PyTorch
    python examples/fashion_mnist_mlp.py --quick              # a few seconds on 256 images

It prints the loss and test accuracy after each epoch, saves the weights to
runs/fashion_mnist_mlp.safetensors, the loss and accuracy per epoch to
runs/fashion_mnist_mlp_history.json and their curves to runs/fashion_mnist_mlp_curves.svg (with
PyTorch's beside them once --framework torch has run too), and draws one training step's graph to
runs/fashion_mnist_mlp_graph.svg.

Measured with the default settings on the CPU (2026-12-02, commit 5147ab8, a shared 2-core "AMD
EPYC" machine, 1 thread per library, so the times are indicative): tinygrad_edu reached test
accuracy 0.9026 after its 10 epochs in 38 s; PyTorch, the same recipe, 0.9017 in 57 s.
examples/README.md has the details.
"""
import sys

import fashion_mnist_common as common


def neural_network(nn):
    """The tutorial's model, built from ``nn`` (``tinygrad_edu.nn`` or ``torch.nn``)."""

    class NeuralNetwork(nn.Module):
        def __init__(self):
            super().__init__()
            self.flatten = nn.Flatten()
            self.linear_relu_stack = nn.Sequential(
                nn.Linear(28 * 28, 512),
                nn.ReLU(),
                nn.Linear(512, 512),
                nn.ReLU(),
                nn.Linear(512, 10),
            )

        def forward(self, x):            # x: (B, 1, 28, 28)
            x = self.flatten(x)          # (B, 784)
            return self.linear_relu_stack(x)  # (B, 10) logits

    return NeuralNetwork()


def main(argv=None):
    args = common.parse_args(__doc__, argv, epochs=10, lr=1e-3, batch_size=64)
    framework = common.load_framework(args)
    if framework is None:
        return None
    model = neural_network(framework.nn).to(args.device)
    print(model)
    train_loader, test_loader = common.data_loaders(framework, args)
    history = common.fit(framework, model, train_loader, test_loader, args)
    common.save_outputs(framework, model, test_loader, args, "fashion_mnist_mlp", history)
    return history["test_accuracy"][-1]


if __name__ == "__main__":
    main(sys.argv[1:])
