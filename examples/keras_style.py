"""The Keras model of seed 002 written with tinygrad_edu.nn, and its ``model.summary()`` table.

The tutorial builds, in Keras, a network that reads a 9x9 grid (a Sudoku board) and gives for
each of its 81 cells a probability over 9 digits:

    Conv2D(64, 3x3, relu, same) -> BatchNormalization -> Conv2D(64, 3x3, relu, same)
    -> BatchNormalization -> Conv2D(128, 1x1, relu) -> Flatten -> Dense(81*9)
    -> Reshape((-1, 9)) -> Activation('softmax')

and then shows a PyTorch translation. Here is that translation, with the Keras order of layers
(ReLU before BatchNorm, both BatchNorms) so the parameter counts line up with Keras' table:

    Keras              PyTorch / tinygrad_edu
    Conv2D (640)       Conv2d (640)
    BatchNormalization BatchNorm2d: 128 trainable (weight, bias); Keras also counts the 128
      (256)              running statistics, which torch keeps as buffers, not parameters
    Dense (7,559,001)  Linear (7,559,001)
    Total 7,605,401    7,605,145 parameters (= Keras' trainable params)

Two details differ from the tutorial's PyTorch code: channels come first (N, 1, 9, 9), as
PyTorch wants, and the softmax is taken over the last dimension (the 9 digits). ``nn.Softmax()``
without ``dim`` on a 3-D input would normalise over dimension 0, the batch, in PyTorch and here.

    python examples/keras_style.py
"""
import argparse
import sys

import tinygrad_edu as tg
from tinygrad_edu import nn


def get_model():
    return nn.Sequential(
        nn.Conv2d(in_channels=1, out_channels=64, kernel_size=3, padding="same"),   # (N, 64, 9, 9)
        nn.ReLU(),
        nn.BatchNorm2d(64),
        nn.Conv2d(in_channels=64, out_channels=64, kernel_size=3, padding="same"),  # (N, 64, 9, 9)
        nn.ReLU(),
        nn.BatchNorm2d(64),
        nn.Conv2d(in_channels=64, out_channels=128, kernel_size=1, padding="same"), # (N, 128, 9, 9)
        nn.ReLU(),
        nn.Flatten(),                                                               # (N, 10368)
        nn.Linear(in_features=9 * 9 * 128, out_features=81 * 9),                    # (N, 729)
        nn.Unflatten(1, (-1, 9)),                                                   # (N, 81, 9)
        nn.Softmax(dim=-1),                                                         # each cell: 9 probabilities
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--quick", action="store_true", help="accepted for uniformity; this example is instant")
    args = parser.parse_args(argv)

    tg.manual_seed(args.seed)
    model = get_model()
    print(model)
    model.summary((1, 9, 9))

    boards = tg.randint(0, 10, (2, 1, 9, 9)).float()   # two random "boards"
    model.eval()
    with tg.no_grad():
        probabilities = model(boards)
    print(f"\noutput shape {tuple(probabilities.shape)}: 81 cells x 9 digits for each of 2 boards; "
          f"each cell's probabilities sum to {probabilities.sum(-1).mean().item():.4f}")
    return model


if __name__ == "__main__":
    main(sys.argv[1:])
