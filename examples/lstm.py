"""An LSTM sequence classifier: which of three waveforms is this noisy sequence?

    python examples/lstm.py [--steps 60]
"""
import argparse
import math

import unigrad as torch
from unigrad import nn


class Classifier(nn.Module):
    def __init__(self, hidden=32, classes=3):
        super().__init__()
        self.lstm = nn.LSTM(1, hidden, num_layers=2, batch_first=True)
        self.head = nn.Linear(hidden, classes)

    def forward(self, x):
        out, (h, c) = self.lstm(x)
        return self.head(out[:, -1])


def make_data(n=128, length=24):
    labels = torch.randint(0, 3, (n,))
    t = torch.arange(length).float() / length * 4 * math.pi
    phase = torch.rand(n, 1) * 2 * math.pi
    base = torch.stack([torch.sin(t + phase), torch.sign(torch.sin(t + phase)),
                        ((t + phase) % (2 * math.pi)) / math.pi - 1])  # (3, n, length)
    waves = base[labels, torch.arange(n)]
    return (waves + torch.randn(n, length) * 0.1).unsqueeze(-1), labels


def main(steps: int = 60, seed: int = 0) -> list:
    torch.manual_seed(seed)
    x, y = make_data()
    model = Classifier()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    losses = []
    for step in range(steps):
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        losses.append(loss.item())
        if step % 20 == 0:
            print(f"step {step:3d}  loss {loss.item():.4f}")
    return losses


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=60)
    main(parser.parse_args().steps)
