"""A few steps of an MLP on synthetic data with PyTorch; prints first and last loss."""

import json

import torch

torch.manual_seed(0)
x = torch.randn(512, 16)
y = (x[:, :4].sum(dim=1, keepdim=True) > 0).float()
model = torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.ReLU(), torch.nn.Linear(32, 1))
opt = torch.optim.Adam(model.parameters(), lr=0.01)
loss_fn = torch.nn.BCEWithLogitsLoss()
losses = []
for _ in range(60):
    opt.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    opt.step()
    losses.append(loss.item())
print(json.dumps({"first": losses[0], "last": losses[-1], "device": "cpu"}))
