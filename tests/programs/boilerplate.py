"""What beginners' scripts do before and around training: seed every generator, set cuDNN flags,
pick a device, wrap the model in DataParallel, print tensors with set_printoptions, use legacy
constructors and Variable, and count parameters."""
import json
import random

import numpy as np
import torch
import torch.nn as nn
from torch.autograd import Variable

seed = 0
random.seed(seed)
np.random.seed(seed)
torch.manual_seed(seed)
torch.cuda.manual_seed(seed)
torch.cuda.manual_seed_all(seed)
torch.backends.cudnn.deterministic = True
torch.backends.cudnn.benchmark = False
use_cuda = torch.cuda.is_available()
use_mps = torch.backends.mps.is_available()
device = torch.device("cuda" if use_cuda else "mps" if use_mps else "cpu")

model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
if torch.cuda.device_count() > 1 or True:
    model = nn.DataParallel(model)
model.to(device)
n_params = sum(p.numel() for p in model.parameters() if p.requires_grad)

x = Variable(torch.FloatTensor([[1.0, 2.0, 3.0]]), requires_grad=False)
labels = torch.LongTensor([1])
weights = torch.Tensor(2, 3).fill_(0.5)
out = model(x)
loss = nn.CrossEntropyLoss()(out, labels)
loss.backward()
torch.set_printoptions(precision=2)
shown = repr(torch.tensor([1.23456, 2.5]))
torch.set_printoptions(profile="default")
print("RESULT", json.dumps({
    "device": str(device), "params": n_params, "keys": list(model.state_dict())[:2],
    "shown": shown, "is_float": isinstance(x, torch.FloatTensor), "label_type": labels.type().split(".")[-1],
    "weights": weights.sum().item(), "grad_shape": list(model.module[0].weight.grad.shape)}))
