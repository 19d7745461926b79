"""'Learning PyTorch with examples', the nn version: a third-order polynomial fit to sin(x) with
nn.Sequential(Linear, Flatten(0, 1)), MSELoss(reduction='sum') and a hand-written update under no_grad."""
import json
import math

import torch

x = torch.linspace(-math.pi, math.pi, 2000)
y = torch.sin(x)
p = torch.tensor([1, 2, 3])
xx = x.unsqueeze(-1).pow(p)
torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
loss_fn = torch.nn.MSELoss(reduction='sum')
learning_rate = 1e-6
for t in range(2000):
    y_pred = model(xx)
    loss = loss_fn(y_pred, y)
    model.zero_grad()
    loss.backward()
    with torch.no_grad():
        for param in model.parameters():
            param -= learning_rate * param.grad
linear_layer = model[0]
print("RESULT", json.dumps({"loss": loss.item(), "a": linear_layer.bias.item(),
                            "b": linear_layer.weight[:, 0].item(), "d": linear_layer.weight[:, 2].item()}))
