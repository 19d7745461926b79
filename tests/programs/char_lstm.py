"""A character-level LSTM in the popular tutorials' style: one-hot-free (Embedding), LSTM, Linear,
CrossEntropyLoss over every position, Adam, gradient clipping, then sampling with multinomial."""
import json

import torch
import torch.nn as nn
import torch.nn.functional as F

text = ("the quick brown fox jumps over the lazy dog. " * 20)
chars = sorted(set(text))
stoi = {c: i for i, c in enumerate(chars)}
itos = {i: c for c, i in stoi.items()}
data = torch.tensor([stoi[c] for c in text], dtype=torch.long)


class CharLSTM(nn.Module):
    def __init__(self, vocab, hidden=64):
        super().__init__()
        self.embed = nn.Embedding(vocab, 16)
        self.lstm = nn.LSTM(16, hidden, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, x, state=None):
        out, state = self.lstm(self.embed(x), state)
        return self.head(out), state


torch.manual_seed(42)
model = CharLSTM(len(chars))
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
seq_len, batch = 24, 16
for step in range(80):
    starts = torch.randint(0, len(data) - seq_len - 1, (batch,))
    x = torch.stack([data[s:s + seq_len] for s in starts.tolist()])
    y = torch.stack([data[s + 1:s + seq_len + 1] for s in starts.tolist()])
    logits, _ = model(x)
    loss = F.cross_entropy(logits.view(-1, len(chars)), y.view(-1))
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
model.eval()
with torch.no_grad():
    idx, state, out = torch.tensor([[stoi['t']]]), None, "t"
    for _ in range(40):
        logits, state = model(idx, state)
        probs = F.softmax(logits[:, -1, :] / 0.5, dim=-1)
        idx = torch.multinomial(probs, num_samples=1)
        out += itos[idx.item()]
print("RESULT", json.dumps({"loss": loss.item(), "sample": out}))
