"""A GAN in the beginner tutorials' style: a generator learns to draw from N(4, 1.25) against a
discriminator, BCELoss with real and fake labels, Adam with betas (0.5, 0.999), detach for the D step."""
import json

import torch
import torch.nn as nn
import torch.optim as optim

torch.manual_seed(0)
G = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 1))
D = nn.Sequential(nn.Linear(1, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1), nn.Sigmoid())
criterion = nn.BCELoss()
optimizerD = optim.Adam(D.parameters(), lr=2e-3, betas=(0.5, 0.999))
optimizerG = optim.Adam(G.parameters(), lr=2e-3, betas=(0.5, 0.999))
real_label, fake_label = 1., 0.
batch = 64
for step in range(600):
    real = torch.randn(batch, 1) * 1.25 + 4
    D.zero_grad()
    label = torch.full((batch,), real_label, dtype=torch.float)
    errD_real = criterion(D(real).view(-1), label)
    errD_real.backward()
    noise = torch.randn(batch, 4)
    fake = G(noise)
    label.fill_(fake_label)
    errD_fake = criterion(D(fake.detach()).view(-1), label)
    errD_fake.backward()
    optimizerD.step()
    G.zero_grad()
    label.fill_(real_label)
    errG = criterion(D(fake).view(-1), label)
    errG.backward()
    optimizerG.step()
with torch.no_grad():
    samples = G(torch.randn(2000, 4))
print("RESULT", json.dumps({"mean": samples.mean().item(), "std": samples.std().item(),
                            "errD": (errD_real + errD_fake).item(), "errG": errG.item()}))
