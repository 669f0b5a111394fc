"""An MLP classifier on synthetic clusters: the PyTorch script, with `import unigrad as torch`.

    python examples/mlp.py [--steps 200]
"""
import argparse

import unigrad as torch
from unigrad import nn


def make_data(n=512, classes=4, dim=10):
    centers = torch.randn(classes, dim) * 3
    labels = torch.randint(0, classes, (n,))
    return centers[labels] + torch.randn(n, dim), labels


def main(steps: int = 200, seed: int = 0) -> list:
    torch.manual_seed(seed)
    x, y = make_data()
    model = nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 4))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    for step in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if step % 50 == 0:
            print(f"step {step:4d}  loss {loss.item():.4f}")
    accuracy = (model(x).argmax(1) == y).float().mean().item()
    print(f"final loss {losses[-1]:.4f}, training accuracy {accuracy:.3f}")
    return losses


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=200)
    main(parser.parse_args().steps)
