"""What the Fashion-MNIST examples share: the command line, the data, the training and test loops.

The same functions drive tinygrad_edu and PyTorch: they receive the framework module (``tg`` or
``torch``) and use only names the two have in common, which is the point of tinygrad_edu. Each
example defines its model with ``nn`` passed in, so ``--framework torch`` runs the very same recipe.

    >>> args = parse_args(__doc__, argv, epochs=10, lr=1e-3, batch_size=64)
    >>> framework = load_framework(args)                     # tinygrad_edu or torch
    >>> model = build_model(framework.nn)
    >>> train_loader, test_loader = data_loaders(framework, args)
    >>> history = fit(framework, model, train_loader, test_loader, args)   # loss and accuracy per epoch
    >>> save_outputs(framework, model, test_loader, args, "fashion_mnist_mlp", history)
"""
import argparse
import os
import time

from tqdm import tqdm

import tinygrad_edu as tg
from threads import add_threads_option, use_threads
from training_curves import draw_curves, save_history

FASHION_MNIST_MEAN, FASHION_MNIST_STD = 0.2860, 0.3530
QUICK_TRAIN_SAMPLES, QUICK_TEST_SAMPLES = 256, 128


def parse_args(description, argv, *, epochs, lr, batch_size, extra=None):
    """The options every Fashion-MNIST example takes; ``extra(parser)`` adds the example's own."""
    parser = argparse.ArgumentParser(description=description,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--framework", choices=["tinygrad_edu", "torch"], default="tinygrad_edu",
                        help="which library trains the model (default: tinygrad_edu)")
    parser.add_argument("--epochs", type=int, default=epochs, help=f"passes over the training set (default: {epochs})")
    parser.add_argument("--lr", type=float, default=lr, help=f"Adam's learning rate (default: {lr})")
    parser.add_argument("--batch-size", type=int, default=batch_size, help=f"(default: {batch_size})")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--device", default=None, help="cpu or cuda (default: cuda when a GPU is usable, else cpu)")
    add_threads_option(parser)
    parser.add_argument("--root", default=None, help="folder with the Fashion-MNIST IDX files "
                        "(default: /usr/share/datasets/fashion-mnist, Debian's dataset-fashion-mnist)")
    parser.add_argument("--out", default="runs", help="folder for the weights, the training history and curves, "
                        "and the graph (default: runs)")
    parser.add_argument("--quick", action="store_true", help=f"smoke test: {QUICK_TRAIN_SAMPLES} training and "
                        f"{QUICK_TEST_SAMPLES} test images, 1 epoch")
    parser.add_argument("--no-progress", action="store_true", help="no tqdm progress bar")
    if extra is not None:
        extra(parser)
    args = parser.parse_args(argv)
    if args.quick:
        args.epochs = 1
    return args


def load_framework(args):
    """The module ``tinygrad_edu`` or ``torch``, seeded; None (with a message) when torch is missing.

    Also settles ``args.device``: the GPU when one is usable and none was asked for.
    """
    if args.framework == "tinygrad_edu":
        framework = tg
        use_threads(args.threads)
    else:
        try:
            import torch as framework
        except ImportError:
            print("PyTorch is not installed: `pip install torch` to compare with it.")
            return None
        use_threads(args.threads, framework)
    framework.manual_seed(args.seed)
    if args.device is None:
        args.device = "cuda" if framework.cuda.is_available() else "cpu"
    return framework


def data_loaders(framework, args):
    """(train_loader, test_loader) yielding (images (B, 1, 28, 28) in [0, 1], labels (B,) int64).

    tinygrad_edu reads the files with ``tg.datasets.FashionMNIST``, as torchvision would; torch gets the
    same images through a ``TensorDataset`` (torchvision is not needed).
    """
    root = {} if args.root is None else {"root": args.root}
    train_set = tg.datasets.FashionMNIST(train=True, **root)
    test_set = tg.datasets.FashionMNIST(train=False, **root)
    if args.quick:
        train_set = tg.utils.data.Subset(train_set, range(QUICK_TRAIN_SAMPLES))
        test_set = tg.utils.data.Subset(test_set, range(QUICK_TEST_SAMPLES))
    if framework is not tg:
        train_set, test_set = _as_torch_dataset(framework, train_set), _as_torch_dataset(framework, test_set)
    DataLoader = framework.utils.data.DataLoader
    return (DataLoader(train_set, batch_size=args.batch_size, shuffle=True),
            DataLoader(test_set, batch_size=1000))


def _as_torch_dataset(torch, dataset):
    indices = list(dataset.indices) if hasattr(dataset, "indices") else slice(None)
    base = dataset.dataset if hasattr(dataset, "indices") else dataset
    images = torch.from_numpy(base.data.numpy()[indices]).float().div(255).unsqueeze(1)
    labels = torch.from_numpy(base.targets.numpy()[indices])
    return torch.utils.data.TensorDataset(images, labels)


def normalize(images):
    """Pixels in [0, 1] to mean 0, std 1 over the training set (``transforms.Normalize``, batch at a time)."""
    return (images - FASHION_MNIST_MEAN) / FASHION_MNIST_STD


def train_epoch(model, loader, loss_fn, optimizer, device="cpu", description="train", progress=True):
    """One pass over ``loader``; returns the mean loss. Works for tinygrad_edu and torch alike."""
    model.train()
    total_loss, batches = 0.0, 0
    bar = tqdm(loader, desc=description, leave=False, disable=not progress, dynamic_ncols=True)
    for images, labels in bar:
        images, labels = images.to(device), labels.to(device)
        loss = loss_fn(model(normalize(images)), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total_loss, batches = total_loss + loss.item(), batches + 1
        bar.set_postfix(loss=f"{total_loss / batches:.4f}")
    return total_loss / batches


def evaluate(framework, model, loader, device="cpu"):
    """Accuracy of ``model`` on ``loader`` (no graph is recorded)."""
    model.eval()
    correct, total = 0, 0
    with framework.no_grad():
        for images, labels in loader:
            images, labels = images.to(device), labels.to(device)
            predicted = model(normalize(images)).argmax(1)
            correct += (predicted == labels).sum().item()
            total += labels.shape[0]
    return correct / total


def fit(framework, model, train_loader, test_loader, args):
    """Train with cross-entropy and Adam, its learning rate annealed to 0 along a cosine over ``args.epochs``.

    Prints a line per epoch and returns the history: the columns ``epoch``, ``train_loss``,
    ``test_accuracy`` and ``seconds`` (since the start), one entry per epoch.
    """
    loss_fn = framework.nn.CrossEntropyLoss()
    optimizer = framework.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = framework.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    print(f"{args.framework} on {args.device}: {sum(p.numel() for p in model.parameters()):,} parameters, "
          f"{len(train_loader.dataset):,} training images, {args.epochs} epochs")
    history = {"framework": args.framework, "device": str(args.device), "threads": args.threads,
               "epoch": [], "train_loss": [], "test_accuracy": [], "seconds": []}
    accuracy, start = 0.0, time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        loss = train_epoch(model, train_loader, loss_fn, optimizer, args.device, f"epoch {epoch}/{args.epochs}",
                           progress=not args.no_progress)
        scheduler.step()
        accuracy = evaluate(framework, model, test_loader, args.device)
        for column, value in zip(("epoch", "train_loss", "test_accuracy", "seconds"),
                                 (epoch, loss, accuracy, time.perf_counter() - start)):
            history[column].append(value)
        print(f"epoch {epoch:2d}  loss {loss:.4f}  test accuracy {accuracy:.4f}  "
              f"({history['seconds'][-1]:.0f} s)", flush=True)
    print(f"{args.framework}: test accuracy {accuracy:.4f} after {args.epochs} epochs, "
          f"{time.perf_counter() - start:.0f} s")
    return history


def save_outputs(framework, model, test_loader, args, name, history, graph_depth=None):
    """Save the run: weights (safetensors; a torch pickle for torch), history, curves, one step's graph (ours)."""
    os.makedirs(args.out, exist_ok=True)
    print(f"saved the training history to {save_history(history, args.out, name)}")
    curves = draw_curves(args.out, name)
    if curves is not None:
        print(f"drew the training curves to {curves}")
    if framework is not tg:
        path = os.path.join(args.out, f"{name}_torch.pt")
        framework.save(model.state_dict(), path)
        print(f"saved the weights to {path}")
        return
    path = os.path.join(args.out, f"{name}.safetensors")
    tg.save(model.state_dict(), path)
    print(f"saved the weights to {path}")
    draw_training_step(model, test_loader, os.path.join(args.out, f"{name}_graph"), args.device, depth=graph_depth)


def draw_training_step(model, loader, path, device="cpu", images_in_step=8, depth=None):
    """Run forward and backward on a few images and write the graph to ``path``.svg (needs Graphviz's dot)."""
    images, labels = next(iter(loader))
    images, labels = images[:images_in_step].to(device), labels[:images_in_step].to(device)
    model.train()
    loss = tg.nn.functional.cross_entropy(model(normalize(images)), labels)
    loss.backward()
    picture = tg.draw_graph(loss, name="loss", params=model, depth=depth)
    model.zero_grad()
    try:
        written = picture.render(path, format="svg")
    except Exception as error:  # graphviz.ExecutableNotFound when dot is missing
        print(f"graph not drawn ({type(error).__name__}: {error}); the DOT text is in {path}.dot")
        with open(path + ".dot", "w") as file:
            file.write(picture.source)
        return None
    print(f"drew one training step's graph to {written}")
    return written
