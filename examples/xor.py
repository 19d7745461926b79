"""XOR learned by three sigmoid layers with mean squared error and plain SGD (seed 004's network).

The tutorial's inputs have a third column (the AND of the first two) and its targets are
one-hot pairs: [0, 1] when XOR is 0, [1, 0] when XOR is 1. The network is trained on all four
rows at once (full-batch gradient descent) and prints its predictions before and after.

    python examples/xor.py
    python examples/xor.py --epochs 5000 --lr 1.0
"""
import argparse
import sys

import numpy as np

import tinygrad_edu as tg
import tinygrad_edu.nn as nn
import tinygrad_edu.nn.functional as F


class Network(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin1 = nn.Linear(3, 5)
        self.lin2 = nn.Linear(5, 8)
        self.lin3 = nn.Linear(8, 2)

    def forward(self, x):              # (4, 3)
        x = self.lin1(x)
        x = F.sigmoid(x)               # (4, 5)
        x = self.lin2(x)
        x = F.sigmoid(x)               # (4, 8)
        x = self.lin3(x)
        x = F.sigmoid(x)               # (4, 2) in (0, 1)
        return x


def xor_data():
    x = np.array([
        [0, 0, 0],
        [0, 1, 0],
        [1, 0, 0],
        [1, 1, 1]
    ])
    y = np.array([
        [0, 1],
        [1, 0],
        [1, 0],
        [0, 1]
    ])
    return tg.tensor(x, dtype=tg.float32), tg.tensor(y, dtype=tg.float32)


def train(net, x, y, epochs, lr, report_every):
    optimizer = tg.optim.SGD(net.parameters(), lr=lr)
    loss_fn = nn.MSELoss()
    for epoch in range(1, epochs + 1):
        loss = loss_fn(net(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if epoch % report_every == 0 or epoch == epochs:
            print(f"epoch {epoch:5d}  loss {loss.item():.5f}")
    return loss.item()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=3000, help="full-batch steps (default: 3000)")
    parser.add_argument("--lr", type=float, default=2.0, help="SGD learning rate (default: 2.0)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--quick", action="store_true", help="smoke test: 200 steps")
    args = parser.parse_args(argv)
    epochs = 200 if args.quick else args.epochs

    tg.manual_seed(args.seed)
    net = Network()
    print(net)
    x, y = xor_data()
    with tg.no_grad():
        print("before training:\n", net(x))
    train(net, x, y, epochs, args.lr, report_every=max(epochs // 10, 1))
    with tg.no_grad():
        yhat = net(x)
    print("after training (targets [0, 1] for XOR 0, [1, 0] for XOR 1):\n", yhat)
    accuracy = (yhat.argmax(1) == y.argmax(1)).float().mean().item()
    print(f"rows right: {accuracy:.0%}")
    return accuracy


if __name__ == "__main__":
    main(sys.argv[1:])
