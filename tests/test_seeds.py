"""The tutorials' programs, run here and in PyTorch from the same weights and data.

Each test is the tutorial's code with its import changed, on real data shapes
(Fashion-MNIST when Debian's dataset-fashion-mnist is installed), and checks that
both frameworks compute the same numbers.
"""
import os

import numpy as np
import pytest
import torch

import tinygrad_edu
import tinygrad_edu as tg
from tinygrad_edu import nn
import tinygrad_edu.nn.functional as F
from tinygrad_edu.utils.data import DataLoader, TensorDataset

FASHION = "/usr/share/datasets/fashion-mnist"
needs_fashion = pytest.mark.skipif(not os.path.isdir(FASHION), reason="apt-get install dataset-fashion-mnist")


def copy_weights(ours, theirs):
    """Load torch's weights into our model through numpy (float64 or float32 as stored)."""
    ours.load_state_dict({k: tg.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})


def assert_close(ours, theirs, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=rtol, atol=atol)


def test_single_neuron_and_two_layer_network_by_hand():
    """Seed 003: a neuron and a 3-2-1 network with randn, mm, view, sum and a hand-made sigmoid."""
    def activation(x, lib):
        return 1 / (1 + lib.exp(-x))

    results = {}
    for lib in (torch, tinygrad_edu):
        lib.manual_seed(7)
        features = lib.tensor([[-0.1468, 0.7861, 0.9468, -1.1143, 1.6908]])
        weights = lib.tensor([[-0.8948, -0.3556, 1.2324, 0.1382, -1.6822]])
        bias = lib.tensor([[0.3177]])
        y1 = activation(lib.sum(features * weights) + bias, lib)
        y2 = activation((features * weights).sum() + bias, lib)
        y3 = activation(lib.mm(features, weights.view(5, 1)) + bias, lib)
        assert weights.view(5, 1).shape == (5, 1)
        w1 = lib.tensor(np.linspace(-1, 1, 6, dtype=np.float32).reshape(3, 2))
        w2 = lib.tensor([[0.5], [-0.25]])
        h = activation(lib.mm(features[:, :3], w1) + lib.tensor([[0.1, -0.2]]), lib)
        output = activation(lib.mm(h, w2) + lib.tensor([[0.3]]), lib)
        results[lib.__name__] = [y1, y2, y3, output]
    for ours, theirs in zip(results["tinygrad_edu"], results["torch"]):
        assert_close(ours, theirs)


def test_manual_seed_reproduces_random_tensors():
    tg.manual_seed(7)
    first = tg.randn((1, 5))
    tg.manual_seed(7)
    assert tg.randn((1, 5)).equal(first)
    assert tg.randn_like(first).shape == first.shape


class NeuralNet(nn.Module):
    """Seed 000: a fully connected network with one hidden layer."""

    def __init__(self, input_size, hidden_size, num_classes):
        super(NeuralNet, self).__init__()
        self.fc1 = nn.Linear(input_size, hidden_size)
        self.relu = nn.ReLU()
        self.fc2 = nn.Linear(hidden_size, num_classes)

    def forward(self, x):
        out = self.fc1(x)
        out = self.relu(out)
        out = self.fc2(out)
        return out


class TorchNeuralNet(torch.nn.Module):
    def __init__(self, input_size, hidden_size, num_classes):
        super().__init__()
        self.fc1 = torch.nn.Linear(input_size, hidden_size)
        self.relu = torch.nn.ReLU()
        self.fc2 = torch.nn.Linear(hidden_size, num_classes)

    def forward(self, x):
        return self.fc2(self.relu(self.fc1(x)))


def _fashion_sample(count):
    if os.path.isdir(FASHION):
        from tinygrad_edu import datasets
        data = datasets.FashionMNIST(train=True)
        images = data.data[:count].float() / 255
        return images.numpy(), data.targets[:count].numpy()
    rng = np.random.default_rng(0)
    return rng.random((count, 28, 28), dtype=np.float32), rng.integers(0, 10, count)


def test_fully_connected_net_with_adam_and_a_dataloader_follows_torch():
    """Seed 000's training loop: Adam, CrossEntropyLoss, a DataLoader, reshape(-1, 28*28), then accuracy."""
    images, labels = _fashion_sample(256)
    torch.manual_seed(0)
    theirs = TorchNeuralNet(784, 64, 10)
    model = NeuralNet(784, 64, 10).to("cpu")
    copy_weights(model, theirs)
    criterion, optimizer = nn.CrossEntropyLoss(), tg.optim.Adam(model.parameters(), lr=1e-3)
    torch_criterion, torch_optimizer = torch.nn.CrossEntropyLoss(), torch.optim.Adam(theirs.parameters(), lr=1e-3)
    train_loader = DataLoader(TensorDataset(tg.tensor(images), tg.tensor(labels)), batch_size=64, shuffle=False)
    total_step = len(train_loader)
    assert total_step == 4
    for epoch in range(2):
        for i, (images_batch, labels_batch) in enumerate(train_loader):
            images_batch = images_batch.reshape(-1, 28 * 28).to("cpu")
            outputs = model(images_batch)
            loss = criterion(outputs, labels_batch)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

            torch_images = torch.tensor(images_batch.numpy())
            torch_loss = torch_criterion(theirs(torch_images), torch.tensor(labels_batch.numpy()))
            torch_optimizer.zero_grad()
            torch_loss.backward()
            torch_optimizer.step()
            assert loss.item() == pytest.approx(torch_loss.item(), rel=1e-4)
    with tg.no_grad():
        correct = total = 0
        for images_batch, labels_batch in train_loader:
            outputs = model(images_batch.reshape(-1, 28 * 28))
            _, predicted = tg.max(outputs.data, 1)
            total += labels_batch.size(0)
            correct += (predicted == labels_batch).sum().item()
    assert total == 256 and 0 <= correct <= 256
    for (name, ours), (_, reference) in zip(model.named_parameters(), theirs.named_parameters()):
        assert_close(ours, reference, rtol=1e-4, atol=1e-5)


class NeuralNetwork(nn.Module):
    """Seed 001: the FashionMNIST network."""

    def __init__(self) -> None:
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(28 * 28, 512),
            nn.ReLU(),
            nn.Linear(512, 512),
            nn.ReLU(),
            nn.Linear(512, 10),
        )

    def forward(self, x):
        x = self.flatten(x)
        logits = self.linear_relu_stack(x)
        return logits


class TorchNeuralNetwork(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = torch.nn.Flatten()
        self.linear_relu_stack = torch.nn.Sequential(
            torch.nn.Linear(28 * 28, 512), torch.nn.ReLU(), torch.nn.Linear(512, 512), torch.nn.ReLU(),
            torch.nn.Linear(512, 10))

    def forward(self, x):
        return self.linear_relu_stack(self.flatten(x))


def test_fashion_mnist_network_repr_prediction_and_parameters_match_torch():
    """Seed 001: print(model), Softmax(dim=1) prediction, named_parameters, layer-by-layer shapes."""
    torch_device = "cuda" if tg.cuda.is_available() else "cpu"
    model = NeuralNetwork().to("cpu")
    theirs = TorchNeuralNetwork()
    copy_weights(model, theirs)
    assert repr(model) == repr(theirs).replace("TorchNeuralNetwork", "NeuralNetwork")
    X = tg.rand(1, 28, 28, device="cpu")
    logits = model(X)
    pred_probab = nn.Softmax(dim=1)(logits)
    y_pred = pred_probab.argmax(1)
    torch_probab = torch.nn.Softmax(dim=1)(theirs(torch.tensor(X.numpy())))
    assert_close(pred_probab, torch_probab)
    assert y_pred.item() == torch_probab.argmax(1).item()
    assert torch_device in ("cpu", "cuda")
    names = [name for name, _ in model.named_parameters()]
    assert names == [name for name, _ in theirs.named_parameters()]
    for name, param in model.named_parameters():
        assert f"Layer: {name} | Size: {param.size()} | Values: {param[:2]} \n"
    input_sample = tg.rand(3, 28, 28)
    flat_image = nn.Flatten()(input_sample)
    assert flat_image.size() == (3, 784)
    hidden1 = nn.ReLU()(nn.Linear(in_features=28 * 28, out_features=20)(flat_image))
    assert hidden1.size() == (3, 20) and (hidden1 >= 0).all()


def _keras_like_models():
    ours = nn.Sequential(
        nn.Conv2d(in_channels=1, out_channels=64, kernel_size=3, padding='same'),
        nn.ReLU(),
        nn.BatchNorm2d(64),
        nn.Conv2d(in_channels=64, out_channels=64, kernel_size=3, padding='same'),
        nn.ReLU(),
        nn.Conv2d(in_channels=64, out_channels=128, kernel_size=1, padding='same'),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(in_features=9 * 9 * 128, out_features=81 * 9),
        nn.Unflatten(1, (-1, 9)),
        nn.Softmax(dim=2),
    )
    theirs = torch.nn.Sequential(
        torch.nn.Conv2d(1, 64, 3, padding='same'), torch.nn.ReLU(), torch.nn.BatchNorm2d(64),
        torch.nn.Conv2d(64, 64, 3, padding='same'), torch.nn.ReLU(), torch.nn.Conv2d(64, 128, 1, padding='same'),
        torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(9 * 9 * 128, 81 * 9), torch.nn.Unflatten(1, (-1, 9)),
        torch.nn.Softmax(dim=2))
    return ours, theirs


def test_keras_style_conv_network_matches_torch_forward_backward_and_summary():
    """Seed 002: Conv2d 'same' + BatchNorm2d + 1x1 Conv2d + Flatten + Linear + Unflatten + Softmax on 9x9 input."""
    ours, theirs = _keras_like_models()
    copy_weights(ours, theirs)
    assert repr(ours) == repr(theirs)
    x = np.random.default_rng(1).standard_normal((2, 1, 9, 9)).astype(np.float32)
    upstream = np.random.default_rng(2).standard_normal((2, 81, 9)).astype(np.float32)
    out, torch_out = ours(tg.tensor(x)), theirs(torch.tensor(x))
    assert out.shape == (2, 81, 9)
    assert_close(out, torch_out)
    out.backward(tg.tensor(upstream))
    torch_out.backward(torch.tensor(upstream))
    for (name, param), (_, reference) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(param.grad.numpy(), reference.grad.numpy(), rtol=1e-3, atol=1e-6, err_msg=name)
    assert_close(ours[2].running_mean, theirs[2].running_mean)
    lines = []
    ours.summary((1, 9, 9), print_fn=lines.append)
    total = sum(p.numel() for p in theirs.parameters())
    assert f"Total params: {total:,}" in lines


class TorchTextClassifier(torch.nn.Module):
    def __init__(self, cell):
        super().__init__()
        self.embedding = torch.nn.Embedding(50, 16, padding_idx=0)
        self.rnn = getattr(torch.nn, cell)(16, 32, batch_first=True)
        self.head = torch.nn.Linear(32, 3)

    def forward(self, tokens):
        output, _ = self.rnn(self.embedding(tokens))
        return self.head(output[:, -1])


class TextClassifier(nn.Module):
    """Seed 000's recurrent layers: Embedding, then an LSTM or GRU, then a Linear head."""

    def __init__(self, cell):
        super().__init__()
        self.embedding = nn.Embedding(50, 16, padding_idx=0)
        self.rnn = getattr(nn, cell)(16, 32, batch_first=True)
        self.head = nn.Linear(32, 3)

    def forward(self, tokens):
        output, _ = self.rnn(self.embedding(tokens))
        return self.head(output[:, -1])


@pytest.mark.parametrize("cell", ["LSTM", "GRU"])
def test_recurrent_classifier_with_embedding_trains_like_torch(cell):
    torch.manual_seed(0)
    theirs = TorchTextClassifier(cell).double()
    ours = TextClassifier(cell).double()
    copy_weights(ours, theirs)
    tokens = np.random.default_rng(3).integers(0, 50, (4, 7))
    labels = np.array([0, 1, 2, 1])
    optimizer = tg.optim.SGD(ours.parameters(), lr=0.1, momentum=0.9)
    torch_optimizer = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9)
    for _ in range(3):
        loss = F.cross_entropy(ours(tg.tensor(tokens)), tg.tensor(labels))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        torch_loss = torch.nn.functional.cross_entropy(theirs(torch.tensor(tokens)), torch.tensor(labels))
        torch_optimizer.zero_grad()
        torch_loss.backward()
        torch_optimizer.step()
        assert loss.item() == pytest.approx(torch_loss.item(), rel=1e-9)
    for (name, param), (_, reference) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(param.detach().numpy(), reference.detach().numpy(), rtol=1e-9, atol=1e-12,
                                   err_msg=name)


class Network(nn.Module):
    """Seed 004: XOR with three sigmoid layers."""

    def __init__(self):
        super(Network, self).__init__()
        self.lin1 = nn.Linear(3, 5)
        self.lin2 = nn.Linear(5, 8)
        self.lin3 = nn.Linear(8, 2)

    def forward(self, x):
        x = self.lin1(x)
        x = F.sigmoid(x)
        x = self.lin2(x)
        x = F.sigmoid(x)
        x = self.lin3(x)
        x = F.sigmoid(x)
        return x


def test_xor_network_learns_with_mse_and_sgd():
    tg.manual_seed(0)
    net = Network()
    x = tg.tensor(np.array([[0, 0, 0], [0, 1, 0], [1, 0, 0], [1, 1, 1]]), dtype=tg.float32)
    y = tg.tensor(np.array([[0, 1], [1, 0], [1, 0], [0, 1]]), dtype=tg.float32)
    optimizer = tg.optim.SGD(net.parameters(), lr=2.0)
    criterion = nn.MSELoss()
    first = criterion(net(x), y).item()
    for _ in range(1500):
        optimizer.zero_grad()
        loss = criterion(net(x), y)
        loss.backward()
        optimizer.step()
    yhat = net(x)
    assert loss.item() < first / 10
    assert (yhat.argmax(1) == y.argmax(1)).all()


def test_model_checkpoint_saves_and_loads(tmp_path):
    """Seed 000 ends with torch.save(model.state_dict(), 'model.ckpt')."""
    model = NeuralNet(784, 32, 10)
    path = tmp_path / "model.ckpt"
    tg.save(model.state_dict(), str(path))
    restored = NeuralNet(784, 32, 10)
    restored.load_state_dict(tg.load(str(path)))
    x = tg.rand(2, 784)
    assert restored(x).equal(model(x))
