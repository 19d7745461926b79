"""An encoder-decoder with attention learns to reverse (or sort) short sequences of digits.

    input   3 1 4 1 5 9 2 6
    target  6 2 9 5 1 4 1 3      (--task reverse, the default)
    target  1 1 2 3 4 5 6 9      (--task sort)

The parts, all from ``tinygrad_edu.nn``:

- ``Embedding``: each digit (and the start token) becomes a learned vector;
- the encoder, a ``GRU`` (or ``LSTM``, ``--cell lstm``), reads the input and gives one hidden
  state per position;
- the decoder, the same kind of layer, starts from the encoder's last state and reads the target
  shifted right by one (teacher forcing: at step t it sees the true digits before t);
- ``MultiheadAttention``: each decoder state (the query) looks at every encoder state (keys and
  values) and takes a weighted mix of them; for reversal, output position t learns to look at
  input position L-1-t, which the printed attention map shows;
- a ``Linear`` layer maps [decoder state, attention result] to scores for the 10 digits.

At test time the decoder runs one step at a time on its own predictions (greedy decoding), on
sequences it never saw. It prints per-digit and whole-sequence accuracy.

    python examples/seq2seq_attention.py                  # reverse, GRU
    python examples/seq2seq_attention.py --task sort --cell lstm
"""
import argparse
import sys
import time

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import nn
import tinygrad_edu.nn.functional as F
from threads import add_threads_option, use_threads

DIGITS = 10
START = DIGITS               # the token the decoder starts from
VOCABULARY = DIGITS + 1


def make_batch(rng, batch_size, length, task):
    """(inputs, targets), int64 tensors (B, length) of digits."""
    inputs = rng.integers(0, DIGITS, size=(batch_size, length))
    targets = inputs[:, ::-1] if task == "reverse" else np.sort(inputs, axis=1)
    return tg.tensor(inputs, dtype=tg.int64), tg.tensor(np.ascontiguousarray(targets), dtype=tg.int64)


class Seq2Seq(nn.Module):
    def __init__(self, cell="gru", embedding_dim=32, hidden_size=64, num_heads=4):
        super().__init__()
        recurrent_layer = {"gru": nn.GRU, "lstm": nn.LSTM}[cell]
        self.source_embedding = nn.Embedding(VOCABULARY, embedding_dim)
        self.target_embedding = nn.Embedding(VOCABULARY, embedding_dim)
        self.encoder = recurrent_layer(embedding_dim, hidden_size, batch_first=True)
        self.decoder = recurrent_layer(embedding_dim, hidden_size, batch_first=True)
        self.attention = nn.MultiheadAttention(hidden_size, num_heads, batch_first=True)
        self.output = nn.Linear(2 * hidden_size, DIGITS)

    def encode(self, inputs):                                         # (B, S) digits
        encoded, state = self.encoder(self.source_embedding(inputs))  # (B, S, H), final state
        return encoded, state

    def decode(self, previous_tokens, encoded, state):
        """Scores (B, T, DIGITS) for the next digit after each of ``previous_tokens`` (B, T)."""
        decoded, state = self.decoder(self.target_embedding(previous_tokens), state)   # (B, T, H)
        context, weights = self.attention(decoded, encoded, encoded)                   # (B, T, H), (B, T, S)
        scores = self.output(tg.cat([decoded, context], dim=-1))                       # (B, T, DIGITS)
        return scores, state, weights

    def forward(self, inputs, targets):
        """Teacher forcing: the decoder reads [START, targets[:-1]] and predicts targets."""
        encoded, state = self.encode(inputs)
        start = tg.full((targets.shape[0], 1), START, dtype=tg.int64)
        scores, _, _ = self.decode(tg.cat([start, targets[:, :-1]], dim=1), encoded, state)
        return scores

    @tg.no_grad()
    def generate(self, inputs):
        """Greedy decoding, one digit at a time: (predictions (B, S), attention weights (B, S, S))."""
        encoded, state = self.encode(inputs)
        token = tg.full((inputs.shape[0], 1), START, dtype=tg.int64)
        predictions, attention = [], []
        for _ in range(inputs.shape[1]):
            scores, state, weights = self.decode(token, encoded, state)   # (B, 1, DIGITS)
            token = scores.argmax(-1)                                      # (B, 1)
            predictions.append(token)
            attention.append(weights)
        return tg.cat(predictions, dim=1), tg.cat(attention, dim=1)


def train(model, args, rng):
    optimizer = tg.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = tg.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.steps)   # lr -> 0 at the end
    start = time.perf_counter()
    for step in range(1, args.steps + 1):
        inputs, targets = make_batch(rng, args.batch_size, args.length, args.task)
        scores = model(inputs, targets)                                    # (B, L, DIGITS)
        loss = F.cross_entropy(scores.reshape(-1, DIGITS), targets.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        optimizer.step()
        scheduler.step()
        if step % max(args.steps // 10, 1) == 0:
            print(f"step {step:5d}  loss {loss.item():.4f}  ({time.perf_counter() - start:.0f} s)", flush=True)


def evaluate(model, args, rng, samples=1000):
    model.eval()
    inputs, targets = make_batch(rng, samples, args.length, args.task)
    predictions, attention = model.generate(inputs)
    correct = (predictions == targets)
    digit_accuracy = correct.float().mean().item()
    sequence_accuracy = correct.all(dim=1).float().mean().item()
    print(f"\ngreedy decoding on {samples} new sequences: digit accuracy {digit_accuracy:.4f}, "
          f"whole sequences right {sequence_accuracy:.4f}")
    show_example(inputs[0], targets[0], predictions[0], attention[0])
    return digit_accuracy, sequence_accuracy


def show_example(inputs, targets, predictions, attention):
    """One sequence, and for each output position the input position it attended to most."""
    print("input     ", " ".join(map(str, inputs.tolist())))
    print("target    ", " ".join(map(str, targets.tolist())))
    print("predicted ", " ".join(map(str, predictions.tolist())))
    print("attention (rows: output positions, columns: input positions, # = the strongest)")
    for row in attention.tolist():
        strongest = int(np.argmax(row))
        print("   " + " ".join("#" if i == strongest else ("+" if w > 0.2 else ".") for i, w in enumerate(row)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", choices=["reverse", "sort"], default="reverse", help="(default: reverse)")
    parser.add_argument("--cell", choices=["gru", "lstm"], default="gru", help="recurrent layer (default: gru)")
    parser.add_argument("--hidden-size", type=int, default=64, help="recurrent and attention width (default: 64)")
    parser.add_argument("--length", type=int, default=8, help="digits per sequence (default: 8)")
    parser.add_argument("--steps", type=int, default=1500, help="training batches (default: 1500)")
    parser.add_argument("--batch-size", type=int, default=64, help="(default: 64)")
    parser.add_argument("--lr", type=float, default=3e-3, help="Adam's learning rate (default: 3e-3)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--quick", action="store_true", help="smoke test: 20 steps, 100 test sequences")
    add_threads_option(parser)
    args = parser.parse_args(argv)
    if args.quick:
        args.steps = 20

    use_threads(args.threads)
    tg.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    model = Seq2Seq(args.cell, hidden_size=args.hidden_size)
    print(model)
    print(f"{sum(p.numel() for p in model.parameters()):,} parameters; task: {args.task} {args.length} digits")
    train(model, args, rng)
    return evaluate(model, args, rng, samples=100 if args.quick else 1000)


if __name__ == "__main__":
    main(sys.argv[1:])
