"""The same model in tinygrad_edu and in PyTorch, from the same weights: do the gradients agree?

For each model of the Fashion-MNIST examples (the MLP, the CNN, the LSTM row reader) this
builds the tinygrad_edu model, copies its state_dict into the PyTorch model, runs both on the
same batch with the same labels, calls ``loss.backward()`` in both, and prints, for the loss,
the input's gradient and every parameter's gradient, the largest absolute difference between
the two frameworks next to the largest gradient (to judge the difference against).

Dropout draws its random mask from each framework's own generator, so Dropout layers are put in
eval mode (identity) in both; everything else runs in training mode (BatchNorm uses batch
statistics). In float64 the differences are rounding noise (~1e-15 of the largest value); in
float32, ~1e-6.

    python examples/compare_with_pytorch.py
    python examples/compare_with_pytorch.py --model cnn --dtype float32
"""
import argparse
import sys

import numpy as np

import tinygrad_edu as tg
from fashion_mnist_cnn import convolutional_network
from fashion_mnist_mlp import neural_network
from fashion_mnist_rnn import row_reader

MODELS = {"mlp": neural_network, "cnn": convolutional_network, "lstm": lambda nn: row_reader(nn, "lstm", 32),
          "gru": lambda nn: row_reader(nn, "gru", 32)}
ZERO_GRADIENT = {"float64": 1e-12, "float32": 1e-5}     # smaller gradients are rounding noise around 0


def twin_models(torch, build, dtype):
    """(ours, theirs): the same architecture, PyTorch's weights copied from ours."""
    ours = build(tg.nn).to(getattr(tg, dtype))
    theirs = build(torch.nn).to(getattr(torch, dtype))
    theirs.load_state_dict({name: torch.from_numpy(tensor.numpy().copy())
                            for name, tensor in ours.state_dict().items()})
    for model, dropout in ((ours, tg.nn.Dropout), (theirs, torch.nn.Dropout)):
        model.train()
        for module in model.modules():
            if isinstance(module, dropout):
                module.eval()
    return ours, theirs


def run(framework, model, images, labels):
    """Forward and backward on numpy data; returns {name: numpy array} of the loss and the gradients."""
    x = framework.tensor(images, requires_grad=True)
    loss = framework.nn.functional.cross_entropy(model(x), framework.tensor(labels))
    loss.backward()
    results = {"loss": loss.detach().numpy(), "input.grad": x.grad.numpy()}
    results.update({f"{name}.grad": p.grad.numpy() for name, p in model.named_parameters()})
    return results


def compare(torch, name, dtype, batch_size=16, seed=0):
    tg.manual_seed(seed)
    ours, theirs = twin_models(torch, MODELS[name], dtype)
    rng = np.random.default_rng(seed)
    images = rng.standard_normal((batch_size, 1, 28, 28)).astype(dtype)
    labels = rng.integers(0, 10, batch_size)
    ours_results, theirs_results = run(tg, ours, images, labels), run(torch, theirs, images, labels)
    print(f"\n== {name} ({dtype}): {sum(p.numel() for p in ours.parameters()):,} parameters, batch of {batch_size}")
    print(f"   {'tensor':42s} {'shape':>16s} {'max |ours - torch|':>19s} {'max |value|':>12s}")
    worst = 0.0
    for key, value in ours_results.items():
        difference = float(np.max(np.abs(value - theirs_results[key])))
        scale = float(np.max(np.abs(theirs_results[key])))
        is_zero = scale < ZERO_GRADIENT[dtype]
        if not is_zero:
            worst = max(worst, difference / scale)
        print(f"   {key:42s} {str(tuple(value.shape)):>16s} {difference:19.3e} {scale:12.3e}"
              f"{'  (zero: not counted)' if is_zero else ''}")
    print(f"   largest difference relative to its tensor's largest value: {worst:.2e}")
    if name == "cnn":
        print("   (a conv bias just before a BatchNorm has a gradient of exactly 0 in exact arithmetic;\n"
              "    both frameworks give rounding noise there, which is not counted)")
    return worst


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=[*MODELS, "all"], default="all", help="(default: all)")
    parser.add_argument("--dtype", choices=["float64", "float32"], default="float64", help="(default: float64)")
    parser.add_argument("--quick", action="store_true", help="smoke test: the MLP and the GRU only")
    args = parser.parse_args(argv)
    try:
        import torch
    except ImportError:
        print("PyTorch is not installed (`pip install torch`): nothing to compare with.")
        return None
    names = ["mlp", "gru"] if args.quick else list(MODELS) if args.model == "all" else [args.model]
    return {name: compare(torch, name, args.dtype) for name in names}


if __name__ == "__main__":
    main(sys.argv[1:])
