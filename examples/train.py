"""Train a tiny model with an lrsched schedule and print the learning rate of each epoch.

Two param groups (a backbone and a head with a 10x larger lr) share one schedule: a linear
warmup over 3 epochs into a cosine decay over 17. The schedule is a value: it is printed,
evaluated ahead of time, and bound to the optimizer in one line.
"""

from __future__ import annotations

import torch

import lrsched as ls

EPOCHS = 20


def main() -> None:
    torch.manual_seed(0)
    backbone, head = torch.nn.Linear(8, 16), torch.nn.Linear(16, 1)
    model = torch.nn.Sequential(backbone, torch.nn.ReLU(), head)
    optimizer = torch.optim.SGD(
        [
            {"params": backbone.parameters(), "lr": 0.01},
            {"params": head.parameters(), "lr": 0.1},
        ],
        momentum=0.9,
    )
    schedule = ls.warmup(ls.cosine(EPOCHS - 3, end=0.01), 3)
    print(f"schedule: {schedule!r}")
    print(f"planned multiplier at the last epoch: {schedule(EPOCHS - 1):.4f}")

    bound = ls.bind(optimizer, schedule)
    x = torch.randn(256, 8)
    y = (x.sum(dim=1, keepdim=True) > 0).float()
    print("epoch  lr(backbone)  lr(head)   loss")
    for epoch in range(EPOCHS):
        loss = torch.nn.functional.binary_cross_entropy_with_logits(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        backbone_lr, head_lr = bound.get_last_lr()
        print(f"{epoch:5d}  {backbone_lr:12.6f}  {head_lr:8.5f}  {loss.item():.4f}")
        bound.step()


if __name__ == "__main__":
    main()
