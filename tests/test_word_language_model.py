"""The official examples' word-level language model, step for step against torch: Embedding, a 2-layer
LSTM with dropout between the layers, the decoder's weight tied to the embedding's, ``clip_grad_norm_``,
plain SGD written as ``p.data.add_(p.grad, alpha=-lr)`` and the hidden state detached between batches.

Each piece that could make the recipe drift from torch's is pinned here: the tie (one parameter, two
uses, one gradient), clipping over a generator of parameters, the update through ``.data``, and dropout
(only between LSTM layers, only in training, gradients through the masks)."""
import numpy as np
import pytest
import torch

import tinygrad_edu as tg

NTOKEN, NINP, NLAYERS, BATCH, BPTT = 30, 8, 2, 4, 5


def build(lib, dropout):
    nn = lib.nn

    class RNNModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.drop = nn.Dropout(dropout)
            self.encoder = nn.Embedding(NTOKEN, NINP)
            self.rnn = nn.LSTM(NINP, NINP, NLAYERS, dropout=dropout)
            self.decoder = nn.Linear(NINP, NTOKEN)
            self.decoder.weight = self.encoder.weight
            nn.init.uniform_(self.encoder.weight, -0.1, 0.1)
            nn.init.zeros_(self.decoder.bias)

        def forward(self, input, hidden):
            output, hidden = self.rnn(self.drop(self.encoder(input)), hidden)
            decoded = self.decoder(self.drop(output)).view(-1, NTOKEN)
            return nn.functional.log_softmax(decoded, dim=1), hidden

        def init_hidden(self, batch):
            weight = next(self.parameters())
            return (weight.new_zeros(NLAYERS, batch, NINP), weight.new_zeros(NLAYERS, batch, NINP))

    return RNNModel().double()


def twin_models(dropout=0.0):
    theirs, ours = build(torch, dropout), build(tg, dropout)
    ours.load_state_dict({name: tg.tensor(value.detach().numpy()) for name, value in theirs.state_dict().items()})
    return theirs, ours


def train(lib, model, tokens, steps, lr=20.0, clip=0.25):
    """The official example's inner loop; returns the losses."""
    model.train()
    hidden, losses = model.init_hidden(BATCH), []
    for step in range(steps):
        start = step * BPTT
        data, targets = lib.tensor(tokens[start:start + BPTT]), lib.tensor(tokens[start + 1:start + 1 + BPTT])
        model.zero_grad()
        hidden = tuple(h.detach() for h in hidden)
        output, hidden = model(data, hidden)
        loss = lib.nn.NLLLoss()(output, targets.reshape(-1))
        loss.backward()
        lib.nn.utils.clip_grad_norm_(model.parameters(), clip)
        for param in model.parameters():
            param.data.add_(param.grad, alpha=-lr)
        losses.append(loss.item())
    return losses


def test_the_tie_is_one_parameter_as_in_torch():
    theirs, ours = twin_models()
    assert ours.decoder.weight is ours.encoder.weight
    assert [name for name, _ in ours.named_parameters()] == [name for name, _ in theirs.named_parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict())


def test_training_follows_torch_step_for_step():
    theirs, ours = twin_models()
    tokens = np.random.default_rng(0).integers(0, NTOKEN, (12 * BPTT + 1, BATCH))
    np.testing.assert_allclose(train(tg, ours, tokens, 12), train(torch, theirs, tokens, 12), rtol=1e-10)
    for name, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[name].numpy(), value.numpy(), rtol=1e-8, atol=1e-11,
                                   err_msg=name)


def test_lstm_dropout_falls_between_layers_only():
    """dropout=1 zeroes the second layer's input and nothing else: deterministic, so torch can check it."""
    theirs, ours = torch.nn.LSTM(4, 5, 2, dropout=1.0).double(), tg.nn.LSTM(4, 5, 2, dropout=1.0).double()
    ours.load_state_dict({name: tg.tensor(value.detach().numpy()) for name, value in theirs.state_dict().items()})
    x = np.random.default_rng(1).standard_normal((3, 2, 4))
    for mode in ("train", "eval"):
        getattr(theirs, mode)(), getattr(ours, mode)()
        expected, _ = theirs(torch.tensor(x))
        got, _ = ours(tg.tensor(x))
        np.testing.assert_allclose(got.detach().numpy(), expected.detach().numpy(), rtol=1e-10, err_msg=mode)


@pytest.mark.parametrize("mode", ["train", "eval"])
def test_evaluation_ignores_dropout_and_training_does_not(mode):
    _, ours = twin_models(dropout=0.5)
    getattr(ours, mode)()
    tokens = tg.tensor(np.random.default_rng(2).integers(0, NTOKEN, (BPTT, BATCH)))
    first, _ = ours(tokens, ours.init_hidden(BATCH))
    second, _ = ours(tokens, ours.init_hidden(BATCH))
    assert tg.equal(first, second) == (mode == "eval")


def test_gradients_through_the_dropout_masks_match_finite_differences():
    _, ours = twin_models(dropout=0.3)
    ours.train()
    rng = np.random.default_rng(3)
    tokens, targets = tg.tensor(rng.integers(0, NTOKEN, (BPTT, BATCH))), tg.tensor(rng.integers(0, NTOKEN, BPTT * BATCH))

    def loss():
        tg.manual_seed(7)  # the same masks on every call
        output, _ = ours(tokens, ours.init_hidden(BATCH))
        return tg.nn.functional.nll_loss(output, targets)

    loss().backward()
    for param in (ours.encoder.weight, ours.rnn.weight_ih_l1, ours.rnn.weight_hh_l0, ours.decoder.bias):
        flat, grads = param.data.view(-1), param.grad.numpy().reshape(-1)
        for index in rng.choice(flat.numel(), 6, replace=False).tolist():
            original = flat[index].item()
            flat[index] = original + 1e-6
            above = loss().item()
            flat[index] = original - 1e-6
            below = loss().item()
            flat[index] = original
            assert grads[index] == pytest.approx((above - below) / 2e-6, abs=1e-7)
