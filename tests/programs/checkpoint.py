"""The 'saving and loading a general checkpoint' recipe: epoch, model and optimizer state dicts and the
loss in one dict through torch.save / torch.load; training resumed from it continues exactly."""
import json

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.fc1 = nn.Linear(10, 16)
        self.bn = nn.BatchNorm1d(16)
        self.fc2 = nn.Linear(16, 3)

    def forward(self, x):
        return self.fc2(F.relu(self.bn(self.fc1(x))))


def run(model, optimizer, steps, data):
    losses = []
    for x, y in data[:steps]:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


torch.manual_seed(0)
data = [(torch.randn(16, 10), torch.randint(0, 3, (16,))) for _ in range(10)]
net = Net()
optimizer = optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
run(net, optimizer, 5, data)
PATH = "model.pt"
torch.save({
    'epoch': 5,
    'model_state_dict': net.state_dict(),
    'optimizer_state_dict': optimizer.state_dict(),
    'loss': 0.25,
}, PATH)
expected = run(net, optimizer, 5, data[5:])

model = Net()
optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
checkpoint = torch.load(PATH, weights_only=True)
model.load_state_dict(checkpoint['model_state_dict'])
optimizer.load_state_dict(checkpoint['optimizer_state_dict'])
epoch = checkpoint['epoch']
loss = checkpoint['loss']
model.train()
resumed = run(model, optimizer, 5, data[5:])
print("RESULT", json.dumps({"epoch": epoch, "loss": loss, "resumed_exactly": resumed == expected,
                            "final_loss": resumed[-1]}))
