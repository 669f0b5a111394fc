"""A convolutional autoencoder compressing 16x16 blobs through an 8-number bottleneck.

    python examples/autoencoder.py [--steps 300]
"""
import argparse

import unigrad as torch
from unigrad import nn


class AutoEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(1, 8, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.ReLU(),
            nn.Flatten(), nn.Linear(16 * 4 * 4, 8))
        self.decoder = nn.Sequential(
            nn.Linear(8, 16 * 4 * 4), nn.ReLU(), nn.Unflatten(1, (16, 4, 4)),
            nn.ConvTranspose2d(16, 8, 2, stride=2), nn.ReLU(),
            nn.ConvTranspose2d(8, 1, 2, stride=2), nn.Sigmoid())

    def forward(self, x):
        return self.decoder(self.encoder(x))


def make_data(n=128, size=16):
    coords = torch.arange(size).float()
    centres = torch.rand(n, 2) * (size - 4) + 2
    rows = (coords.reshape(1, size, 1) - centres[:, 0].reshape(n, 1, 1)) ** 2
    cols = (coords.reshape(1, 1, size) - centres[:, 1].reshape(n, 1, 1)) ** 2
    return torch.exp(-(rows + cols) / 8).unsqueeze(1)


def main(steps: int = 300, seed: int = 0) -> list:
    torch.manual_seed(seed)
    images = make_data()
    model = AutoEncoder()
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-3)
    losses = []
    for step in range(steps):
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(images), images)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if step % 25 == 0:
            print(f"step {step:3d}  reconstruction loss {loss.item():.5f}")
    return losses


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=300)
    main(parser.parse_args().steps)
