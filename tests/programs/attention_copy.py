"""Self-attention on a toy task in the style of course notebooks: nn.MultiheadAttention with
batch_first, a key padding mask, LayerNorm and a residual; the model learns to reverse sequences."""
import json

import torch
import torch.nn as nn
import torch.nn.functional as F


class Reverser(nn.Module):
    def __init__(self, vocab=8, length=6, dim=32, heads=4):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.position = nn.Parameter(torch.randn(1, length, dim) * 0.1)
        self.query = nn.Parameter(torch.randn(1, length, dim) * 0.1)
        self.attention = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.norm = nn.LayerNorm(dim)
        self.out = nn.Linear(dim, vocab)

    def forward(self, tokens, padding_mask=None):
        keys = self.embed(tokens) + self.position
        queries = self.query.expand(tokens.size(0), -1, -1)
        attended, weights = self.attention(queries, keys, keys, key_padding_mask=padding_mask)
        return self.out(self.norm(attended + queries)), weights


torch.manual_seed(0)
model = Reverser()
optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
for step in range(300):
    tokens = torch.randint(1, 8, (32, 6))
    logits, _ = model(tokens)
    loss = F.cross_entropy(logits.reshape(-1, 8), tokens.flip(1).reshape(-1))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
model.eval()
with torch.no_grad():
    tokens = torch.randint(1, 8, (200, 6))
    mask = torch.zeros(200, 6, dtype=torch.bool)
    logits, weights = model(tokens, mask)
    accuracy = (logits.argmax(-1) == tokens.flip(1)).float().mean().item()
print("RESULT", json.dumps({"loss": loss.item(), "accuracy": accuracy, "weights_shape": list(weights.shape)}))
