"""A validation split with samplers, as in many course notebooks: shuffle the indices with NumPy, hand
the two parts to SubsetRandomSampler and SequentialSampler-backed loaders over one dataset."""
import json

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.sampler import SubsetRandomSampler

rng = np.random.RandomState(0)
features = np.concatenate([rng.randn(300, 2) + 2, rng.randn(300, 2) - 2]).astype(np.float32)
labels = np.concatenate([np.zeros(300), np.ones(300)]).astype(np.int64)
dataset = TensorDataset(torch.from_numpy(features), torch.from_numpy(labels))

validation_split = .2
dataset_size = len(dataset)
indices = list(range(dataset_size))
split = int(np.floor(validation_split * dataset_size))
np.random.seed(42)
np.random.shuffle(indices)
train_indices, val_indices = indices[split:], indices[:split]
train_sampler = SubsetRandomSampler(train_indices)
valid_sampler = SubsetRandomSampler(val_indices)
train_loader = DataLoader(dataset, batch_size=32, sampler=train_sampler)
validation_loader = DataLoader(dataset, batch_size=32, sampler=valid_sampler)

torch.manual_seed(0)
model = torch.nn.Linear(2, 2)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
criterion = torch.nn.CrossEntropyLoss()
for epoch in range(3):
    for batch_index, (x, y) in enumerate(train_loader):
        optimizer.zero_grad()
        criterion(model(x), y).backward()
        optimizer.step()
correct = seen = 0
with torch.no_grad():
    for x, y in validation_loader:
        correct += (model(x).argmax(1) == y).sum().item()
        seen += len(y)
print("RESULT", json.dumps({"val_accuracy": correct / seen, "seen": seen, "train_batches": len(train_loader)}))
